package dev.lifeboat.uploader.gcs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.UploaderFactory;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pins every option's default and mapping, and what validation refuses. */
class TestGcsConfig {
    private static final URI DEST = URI.create("gs://my-bucket/logs/app");

    private static GcsConfig parse(Map<String, String> options) throws InvalidOptionException {
        return GcsConfig.parse(DEST, options);
    }

    @Test
    void defaults() throws Exception {
        GcsConfig c = parse(Map.of());
        assertEquals("my-bucket", c.bucket);
        assertEquals("logs/app", c.prefix);
        assertNull(c.project);
        assertNull(c.endpoint);
        assertNull(c.storageClass);
        assertEquals(Map.of(), c.metadata);
        assertNull(c.kmsKeyName);
        assertEquals(8 * 1024 * 1024, c.chunkSize);
        assertEquals(8L * 1024 * 1024, c.resumableThreshold);
        assertEquals(8, c.concurrency);
        assertNull(c.credentialsFile);
    }

    @Test
    void explicitValues() throws Exception {
        Map<String, String> o = new HashMap<>();
        o.put("project", "proj-1");
        o.put("endpoint", "http://127.0.0.1:4443/");
        o.put("storage-class", "coldline");
        o.put("metadata.team", "core");
        o.put("metadata.env", "prod");
        o.put("kms-key-name", "projects/p/locations/eu/keyRings/r/cryptoKeys/k");
        o.put("chunk-size", "512KiB");
        o.put("resumable-threshold", "1MiB");
        o.put("concurrency", "3");
        o.put("credentials-file", "/etc/gcs/key.json");
        GcsConfig c = parse(o);
        assertEquals("proj-1", c.project);
        assertEquals("http://127.0.0.1:4443", c.endpoint);
        assertEquals("COLDLINE", c.storageClass);
        assertEquals(Map.of("team", "core", "env", "prod"), c.metadata);
        assertEquals("projects/p/locations/eu/keyRings/r/cryptoKeys/k", c.kmsKeyName);
        assertEquals(512 * 1024, c.chunkSize);
        assertEquals(1024 * 1024, c.resumableThreshold);
        assertEquals(3, c.concurrency);
        assertEquals("/etc/gcs/key.json", c.credentialsFile);
    }

    @Test
    void destinations() throws Exception {
        assertEquals("", GcsConfig.parse(URI.create("gs://b-1"), Map.of()).prefix);
        assertEquals("", GcsConfig.parse(URI.create("gs://b-1/"), Map.of()).prefix);
        GcsConfig c = GcsConfig.parse(URI.create("gs://b_1.example/a/b/"), Map.of());
        assertEquals("b_1.example", c.bucket);
        assertEquals("a/b", c.prefix);
        assertEquals("a/b/run/stdout.log", c.objectName("run/stdout.log"));
        assertEquals("run/stdout.log", GcsConfig.parse(URI.create("gs://b-1"), Map.of()).objectName("run/stdout.log"));
        assertEquals("gs://b_1.example/a/b", c.location());
        for (String bad : new String[] {"gs:///nobucket", "s3://b/p", "gs://UPPER/p", "gs://a/p?x=1", "gs://-bad-/p"}) {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> GcsConfig.parse(URI.create(bad), Map.of()), bad);
            assertNull(e.key(), "the destination is at fault: " + bad);
        }
    }

    @Test
    void badValuesNameTheirKey() {
        Map<String, String> bad = Map.ofEntries(
                Map.entry("chunk-size", "100000"),
                Map.entry("chunk-size ", "x"),
                Map.entry("resumable-threshold", "-1"),
                Map.entry("concurrency", "many"),
                Map.entry("storage-class", "GOLD"),
                Map.entry("endpoint", "localhost:4443"),
                Map.entry("kms-key-name", "key"),
                Map.entry("metadata.bad key", "v"),
                Map.entry("region", "eu"));
        for (Map.Entry<String, String> e : bad.entrySet()) {
            InvalidOptionException ex = assertThrows(InvalidOptionException.class,
                    () -> parse(Map.of(e.getKey(), e.getValue())), e.toString());
            assertEquals(e.getKey(), ex.key(), ex.getMessage());
        }
        assertEquals("chunk-size", assertThrows(InvalidOptionException.class,
                () -> parse(Map.of("chunk-size", "2GiB"))).key());
        assertEquals("resumable-threshold", assertThrows(InvalidOptionException.class,
                () -> parse(Map.of("resumable-threshold", "1GiB"))).key());
        assertEquals("concurrency", assertThrows(InvalidOptionException.class,
                () -> parse(Map.of("concurrency", "0"))).key());
    }

    @Test
    void optionKeysAndSizes() throws Exception {
        assertEquals(Set.of("project", "endpoint", "storage-class", "metadata.", "kms-key-name", "chunk-size",
                "resumable-threshold", "concurrency", "credentials-file"), new GcsUploaderFactory().optionKeys());
        assertEquals("gs", new GcsUploaderFactory().scheme());
        assertEquals(262144, parse(Map.of("chunk-size", "256 KiB")).chunkSize);
        assertEquals(262144, parse(Map.of("chunk-size", "262144")).chunkSize);
        assertEquals(1 << 30, parse(Map.of("chunk-size", "1GiB")).chunkSize);
        assertEquals(12345, parse(Map.of("resumable-threshold", "12345")).resumableThreshold);
        assertEquals(16_000_000, parse(Map.of("resumable-threshold", "16MB")).resumableThreshold);
    }

    @Test
    void sizesAreSiOrIecAndABareUnitLetterIsRefused() throws Exception {
        assertEquals(10_000_000, parse(Map.of("resumable-threshold", "10MB")).resumableThreshold);
        assertEquals(10_485_760, parse(Map.of("resumable-threshold", "10MiB")).resumableThreshold);
        assertEquals(10_485_760, parse(Map.of("chunk-size", "10MiB")).chunkSize);
        InvalidOptionException notAMultiple = assertThrows(InvalidOptionException.class,
                () -> parse(Map.of("chunk-size", "10MB")));
        assertEquals("chunk-size", notAMultiple.key());
        assertTrue(notAMultiple.getMessage().contains("multiple of 256KiB"), notAMultiple.getMessage());
        for (String key : new String[] {"chunk-size", "resumable-threshold"}) {
            InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> parse(Map.of(key, "10M")), key);
            assertEquals(key, e.key());
            assertEquals("'10M' is ambiguous: write 10MiB (2^20 bytes each) or 10MB (10^6 bytes each)", e.getMessage());
        }
    }

    @Test
    void retrySettingsAndTimeoutsFollowTheTimeLeft() {
        var rs = GcsUploader.retrySettings(Duration.ofSeconds(4));
        assertEquals(Duration.ofSeconds(4), rs.getTotalTimeoutDuration());
        assertEquals(Duration.ofSeconds(4), rs.getMaxRpcTimeoutDuration());
        assertEquals(GcsUploader.MAX_ATTEMPTS, rs.getMaxAttempts());
        assertEquals(Duration.ofSeconds(1), rs.getMaxRetryDelayDuration());
        var http = GcsUploader.transportOptions(null, Duration.ofSeconds(4));
        assertEquals(4000, http.getReadTimeout());
        assertEquals(4000, http.getConnectTimeout());
        var later = GcsUploader.transportOptions(null, Duration.ofMinutes(5));
        assertEquals(300_000, later.getReadTimeout());
        assertEquals(10_000, later.getConnectTimeout());
    }

    /** The factory validates with the JDK and the SPI alone: no client library class is needed. */
    @Test
    void theFactoryLoadsAndValidatesWithoutTheClientLibrary() throws Exception {
        URL ours = GcsUploaderFactory.class.getProtectionDomain().getCodeSource().getLocation();
        URL spi = UploaderFactory.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader isolated = new URLClassLoader(new URL[] {ours, spi}, ClassLoader.getPlatformClassLoader())) {
            Class<?> factoryClass = Class.forName(GcsUploaderFactory.class.getName(), true, isolated);
            Object factory = factoryClass.getConstructor().newInstance();
            assertEquals("gs", factoryClass.getMethod("scheme").invoke(factory));
            factoryClass.getMethod("optionKeys").invoke(factory);
            factoryClass.getMethod("validate", URI.class, Map.class).invoke(factory, DEST,
                    Map.of("endpoint", "http://127.0.0.1:1", "chunk-size", "1MiB"));
            assertThrows(ClassNotFoundException.class, () -> isolated.loadClass("com.google.cloud.storage.Storage"),
                    "the isolated loader cannot see the client library");
        }
        assertTrue(true);
    }
}
