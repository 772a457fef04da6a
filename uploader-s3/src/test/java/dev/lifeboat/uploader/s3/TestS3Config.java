package dev.lifeboat.uploader.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.InvalidOptionException;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Pins every option's default, its parsing and its validation. */
class TestS3Config {
    private static final URI DEST = URI.create("s3://bucket/some/prefix");

    private static S3Config parse(Map<String, String> options) throws InvalidOptionException {
        return S3Config.parse(DEST, options);
    }

    private static void assertRejected(String key, Map<String, String> options) {
        InvalidOptionException e = assertThrows(InvalidOptionException.class, () -> parse(options), options.toString());
        assertEquals(key, e.key(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void defaults() throws Exception {
        S3Config c = parse(Map.of());
        assertEquals("bucket", c.bucket);
        assertEquals("some/prefix/", c.prefix);
        assertEquals("s3://bucket/some/prefix/", c.destination());
        assertNull(c.region);
        assertNull(c.endpoint);
        assertFalse(c.pathStyle);
        assertEquals(S3Config.Sse.NONE, c.sse);
        assertNull(c.sseKmsKeyId);
        assertNull(c.storageClass);
        assertEquals(Map.of(), c.tags);
        assertEquals(Map.of(), c.metadata);
        assertEquals(16L << 20, c.multipartThreshold);
        assertEquals(8L << 20, c.partSize);
        assertEquals(4, c.concurrency);
        assertNull(c.accessKeyId);
        assertNull(c.secretAccessKey);
        assertEquals(S3Config.Checksum.CRC32C, c.checksum);
    }

    @Test
    void everyOption() throws Exception {
        Map<String, String> o = new HashMap<>();
        o.put("region", "eu-west-1");
        o.put("endpoint", "http://127.0.0.1:9000");
        o.put("path-style", "TRUE");
        o.put("sse", "aws:kms");
        o.put("sse-kms-key-id", "alias/logs");
        o.put("storage-class", "standard_ia");
        o.put("tag.team", "payments");
        o.put("tag.env", "prod");
        o.put("metadata.Owner", "ops");
        o.put("multipart-threshold", "64MB");
        o.put("part-size", "16MiB");
        o.put("concurrency", "8");
        o.put("access-key-id", "AKIDEXAMPLE");
        o.put("secret-access-key", "secret-value");
        o.put("checksum", "sha-256");
        S3Config c = parse(o);
        assertEquals("eu-west-1", c.region);
        assertEquals(URI.create("http://127.0.0.1:9000"), c.endpoint);
        assertTrue(c.pathStyle);
        assertEquals(S3Config.Sse.KMS, c.sse);
        assertEquals("aws:kms", c.sse.headerValue);
        assertEquals("alias/logs", c.sseKmsKeyId);
        assertEquals("STANDARD_IA", c.storageClass);
        assertEquals(Map.of("team", "payments", "env", "prod"), c.tags);
        assertEquals(Map.of("owner", "ops"), c.metadata);
        assertEquals(64_000_000L, c.multipartThreshold);
        assertEquals(16L << 20, c.partSize);
        assertEquals(8, c.concurrency);
        assertEquals("AKIDEXAMPLE", c.accessKeyId);
        assertEquals(S3Config.Checksum.SHA256, c.checksum);
        assertFalse(c.toString().contains("secret-value"), "the secret never prints: " + c);
        assertEquals(S3Config.Sse.AES256, parse(Map.of("sse", "AES256")).sse);
        assertEquals(S3Config.Sse.NONE, parse(Map.of("sse", "none")).sse);
        assertEquals(S3Config.Checksum.CRC32, parse(Map.of("checksum", "crc32")).checksum);
    }

    @Test
    void everyKeyIsDeclared() {
        assertEquals(new java.util.TreeSet<>(List.of("region", "endpoint", "path-style", "sse", "sse-kms-key-id",
                "storage-class", "tag.", "metadata.", "multipart-threshold", "part-size", "concurrency",
                "access-key-id", "secret-access-key", "checksum")), new java.util.TreeSet<>(new S3UploaderFactory().optionKeys()));
    }

    @Test
    void sizesAreSiOrIecAndABareUnitLetterIsRefused() throws Exception {
        for (String key : new String[] {"part-size", "multipart-threshold"}) {
            assertEquals(10_000_000L, size(key, "10MB"), key);
            assertEquals(10_485_760L, size(key, "10MiB"), key);
            assertEquals(5L << 30, size(key, "5GiB"), key);
            assertEquals(6L << 20, size(key, "6291456"), key);
            assertEquals(6L << 20, size(key, "6144 KiB"), key);
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> parse(Map.of(key, "10M")), key);
            assertEquals(key, e.key());
            assertEquals("'10M' is ambiguous: write 10MiB (2^20 bytes each) or 10MB (10^6 bytes each)", e.getMessage());
            for (String bad : new String[] {"MiB", "8 MiBs", "-1", "1.5MiB", "8X", "99999999999999999999"}) {
                assertRejected(key, Map.of(key, bad));
            }
        }
        assertEquals("at least 5MiB, got '5MB'", assertThrows(InvalidOptionException.class,
                () -> parse(Map.of("part-size", "5MB"))).getMessage());
    }

    private static long size(String key, String value) throws InvalidOptionException {
        S3Config c = parse(Map.of(key, value));
        return key.equals("part-size") ? c.partSize : c.multipartThreshold;
    }

    @Test
    void partSizeGrowsToStayWithinTenThousandParts() throws Exception {
        S3Config c = parse(Map.of());
        assertEquals(8L << 20, c.partSizeFor(200L << 20));
        long huge = 200L << 30; // 200 GiB at 8 MiB would be 25,600 parts
        long part = c.partSizeFor(huge);
        assertTrue((huge + part - 1) / part <= 10_000, "parts: " + (huge + part - 1) / part);
        assertEquals(0, part % (1 << 20));
    }

    @Test
    void invalidValuesNameTheirKey() {
        assertRejected("region", Map.of("region", "EU West"));
        assertRejected("endpoint", Map.of("endpoint", "127.0.0.1:9000"));
        assertRejected("endpoint", Map.of("endpoint", "http://user:pw@host:9000"));
        assertRejected("path-style", Map.of("path-style", "yes"));
        assertRejected("sse", Map.of("sse", "aws:kms:dsse:x"));
        assertRejected("sse-kms-key-id", Map.of("sse", "AES256", "sse-kms-key-id", "k"));
        assertRejected("storage-class", Map.of("storage-class", "COLD"));
        assertRejected("multipart-threshold", Map.of("multipart-threshold", "0"));
        assertRejected("part-size", Map.of("part-size", "4MiB"));
        assertRejected("part-size", Map.of("part-size", "6GiB"));
        assertRejected("concurrency", Map.of("concurrency", "65"));
        assertRejected("concurrency", Map.of("concurrency", "many"));
        assertRejected("secret-access-key", Map.of("access-key-id", "AKID"));
        assertRejected("access-key-id", Map.of("secret-access-key", "s"));
        assertRejected("checksum", Map.of("checksum", "MD5"));
        assertRejected("metadata.bad name", Map.of("metadata.bad name", "x"));
        assertRejected("tag.", Map.of("tag.", "x"));
        assertRejected("no-such-option", Map.of("no-such-option", "x"));
        Map<String, String> tags = new HashMap<>();
        for (int i = 0; i < 11; i++) {
            tags.put("tag.t" + i, "v");
        }
        assertRejected("tag.", tags);
    }

    @Test
    void invalidDestinations() {
        for (String bad : new String[] {"s3:///prefix", "s3://bucket:9000/p", "s3://user@bucket/p", "s3://bucket/a//b",
                "s3://bucket/../p", "gs://bucket/p", "s3://b/p?x=1"}) {
            InvalidOptionException e = assertThrows(InvalidOptionException.class,
                    () -> S3Config.parse(URI.create(bad), Map.of()), bad);
            assertNull(e.key(), bad);
        }
    }

    @Test
    void prefixes() throws Exception {
        assertEquals("", S3Config.parse(URI.create("s3://bucket"), Map.of()).prefix);
        assertEquals("", S3Config.parse(URI.create("s3://bucket/"), Map.of()).prefix);
        assertEquals("a/b/", S3Config.parse(URI.create("s3://bucket/a/b/"), Map.of()).prefix);
    }

    @Test
    void combinedCrcsEqualTheWholeFilesCrc() {
        byte[] data = new byte[3_000_001];
        new java.util.Random(1).nextBytes(data);
        int[] cuts = {0, 1_000_000, 2_500_000, data.length};
        for (S3Config.Checksum algorithm : List.of(S3Config.Checksum.CRC32C, S3Config.Checksum.CRC32)) {
            List<byte[]> parts = new java.util.ArrayList<>();
            List<Long> lengths = new java.util.ArrayList<>();
            for (int i = 0; i + 1 < cuts.length; i++) {
                PartChecksums.Running r = PartChecksums.start(algorithm);
                r.update(data, cuts[i], cuts[i + 1] - cuts[i]);
                parts.add(r.value());
                lengths.add((long) (cuts[i + 1] - cuts[i]));
            }
            java.util.zip.Checksum whole = algorithm == S3Config.Checksum.CRC32C ? new CRC32C() : new CRC32();
            whole.update(data, 0, data.length);
            assertEquals(Checksums.crc(whole.getValue()), PartChecksums.combine(algorithm, parts, lengths),
                    algorithm.name());
        }
    }

    @Test
    void theFactoryDoesNotLoadTheSdk() throws Exception {
        // validate() and optionKeys() run before the child starts: they must not need the SDK.
        ClassLoader jdkOnly = new ClassLoader(null) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                if (name.startsWith("software.amazon")) {
                    throw new ClassNotFoundException(name);
                }
                String resource = name.replace('.', '/') + ".class";
                try (var in = TestS3Config.class.getClassLoader().getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new ClassNotFoundException(name);
                    }
                    byte[] bytes = in.readAllBytes();
                    return defineClass(name, bytes, 0, bytes.length);
                } catch (java.io.IOException e) {
                    throw new ClassNotFoundException(name, e);
                }
            }
        };
        Class<?> factory = jdkOnly.loadClass(S3UploaderFactory.class.getName());
        Object instance = factory.getConstructor().newInstance();
        assertEquals("s3", factory.getMethod("scheme").invoke(instance));
        factory.getMethod("validate", URI.class, Map.class).invoke(instance, DEST, Map.of("part-size", "8MiB"));
        assertTrue(((java.util.Set<?>) factory.getMethod("optionKeys").invoke(instance)).contains("region"));
    }
}
