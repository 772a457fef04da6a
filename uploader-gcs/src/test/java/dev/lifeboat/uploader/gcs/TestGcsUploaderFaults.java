package dev.lifeboat.uploader.gcs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.uploader.gcs.testserver.GcsTestServer;
import dev.lifeboat.uploader.gcs.testserver.RecordedRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is particular to GCS beyond the contract kit, against a misbehaving server: 503s that are retried,
 * a connection dropped mid-session that resumes, a session stalled after its first chunk, missing buckets,
 * denials and credentials. A server that never answers at all is the kit's black-hole clauses.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TestGcsUploaderFaults {
    private static final String BUCKET = "fault-bucket";
    private static final int MiB = 1024 * 1024;

    @TempDir
    Path dir;
    private GcsTestServer server;

    @BeforeEach
    void start() throws IOException {
        server = GcsTestServer.start();
        server.createBucket(BUCKET);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Uploader uploader(String destination, Map<String, String> extra) throws Exception {
        Map<String, String> options = new HashMap<>(Map.of("endpoint", server.endpoint(),
                "chunk-size", "1MiB", "resumable-threshold", "1MiB"));
        options.putAll(extra);
        GcsUploaderFactory factory = new GcsUploaderFactory();
        factory.validate(URI.create(destination), options);
        return factory.create(URI.create(destination), options,
                new UploaderContext(dir, Map.of(), System.getLogger("lifeboat.test")));
    }

    private Uploader uploader() throws Exception {
        return uploader("gs://" + BUCKET + "/runs", Map.of());
    }

    private Path randomFile(String name, long size, long seed) throws IOException {
        Path file = dir.resolve(name);
        Random random = new Random(seed);
        byte[] chunk = new byte[MiB];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return file;
    }

    private static SourceFile source(Path file) throws IOException {
        return new SourceFile(file, Files.size(file));
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static UploadControl minutes() {
        return UploadControl.withTimeout(Duration.ofMinutes(2));
    }

    @Test
    void serviceUnavailableIsRetried() throws Exception {
        try (Uploader uploader = uploader()) {
            Path small = Files.writeString(dir.resolve("small.log"), "small\n");
            server.faults().failNext(3, 503, RecordedRequest::isUpload);
            uploader.upload(source(small), "small.log", minutes());
            assertEquals(3, server.faults().injected());
            assertArrayEquals("small\n".getBytes(StandardCharsets.UTF_8),
                    server.objectBytes(BUCKET, "runs/small.log").orElseThrow());

            Path large = randomFile("large.bin", 3 * MiB + 17, 1);
            server.faults().failNext(1, 503, RecordedRequest::isResumableStart);
            server.faults().failNext(2, 503, RecordedRequest::isResumableChunk);
            UploadResult result = uploader.upload(source(large), "large.bin", minutes());
            assertEquals(6, server.faults().injected());
            assertArrayEquals(Files.readAllBytes(large), server.objectBytes(BUCKET, "runs/large.bin").orElseThrow());
            assertEquals("CRC32C", result.checksumAlgorithm());
            assertTrue(result.verified());
        }
    }

    @Test
    void aConnectionDroppedMidSessionResumes() throws Exception {
        try (Uploader uploader = uploader()) {
            Path large = randomFile("drop.bin", 5 * MiB + 123, 2);
            server.faults().dropNext(1, 600 * 1024,
                    r -> r.isResumableChunk() && !r.header("Content-Range").startsWith("bytes 0-"));
            UploadResult result = uploader.upload(source(large), "drop.bin", minutes());
            assertEquals(1, server.faults().injected(), "the drop happened");
            byte[] stored = server.objectBytes(BUCKET, "runs/drop.bin").orElseThrow();
            assertEquals(sha256(Files.readAllBytes(large)), sha256(stored));
            assertEquals(server.objectMetadata(BUCKET, "runs/drop.bin").orElseThrow().get("crc32c").getAsString(),
                    result.checksum());
            assertTrue(server.requests().stream().anyMatch(r -> "bytes */*".equals(r.header("Content-Range"))),
                    "the client asked the session for its persisted size");
        }
    }

    @Test
    void aServerThatStopsAnsweringMidUploadEndsAtTheDeadline() throws Exception {
        try (Uploader uploader = uploader()) {
            Path large = randomFile("stall.bin", 6 * MiB, 3);
            server.faults().stall(r -> r.isResumableChunk() && !r.header("Content-Range").startsWith("bytes 0-"));
            UploadControl control = UploadControl.withTimeout(Duration.ofSeconds(4));
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> uploader.upload(source(large), "stall.bin", control));
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(e instanceof UploadCancelledException, "cancelled at the deadline: " + e);
            assertTrue(elapsedMs < 4_000 + 5_000, "returned " + elapsedMs + " ms after start, deadline 4000 ms");
            assertTrue(server.faults().stalledNow() >= 1 || server.faults().injected() == 0, "the server was holding");
            server.faults().release();
            // the abandoned session must never be finalized, even once the server answers again
            Thread.sleep(1000);
            assertTrue(server.objectBytes(BUCKET, "runs/stall.bin").isEmpty(), "no object after a stalled upload");
            assertFalse(server.requests().stream().anyMatch(r -> r.isFinalChunk()
                    && r.header("Content-Range").endsWith("/" + 6 * MiB)), "the final chunk was never sent");

            // still usable afterwards
            Path after = Files.writeString(dir.resolve("after.log"), "after\n");
            uploader.upload(source(after), "after.log", minutes());
            assertTrue(server.objectBytes(BUCKET, "runs/after.log").isPresent());
        }
    }

    @Test
    void explicitCancellationAbortsAStalledUpload() throws Exception {
        try (Uploader uploader = uploader()) {
            Path large = randomFile("cancel.bin", 4 * MiB, 4);
            // hold a middle chunk: a cancellation that comes after the last chunk is fully sent may still
            // let the object appear, complete; one that comes before it must leave nothing
            server.faults().stall(r -> r.isResumableChunk() && r.header("Content-Range").startsWith("bytes 2097152-"));
            UploadControl control = minutes();
            Thread canceller = new Thread(() -> {
                while (server.faults().stalledNow() == 0) {
                    Thread.onSpinWait();
                }
                control.cancel();
            });
            canceller.start();
            long start = System.nanoTime();
            assertThrows(UploadCancelledException.class, () -> uploader.upload(source(large), "cancel.bin", control));
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 60, "promptly after cancel()");
            canceller.join();
            server.faults().release();
            Thread.sleep(500);
            assertTrue(server.objectBytes(BUCKET, "runs/cancel.bin").isEmpty(),
                    "a cancelled upload creates no object");
            assertFalse(server.requests().stream().anyMatch(RecordedRequest::isFinalChunk), "the last chunk was never sent");
        }
    }

    @Test
    void aMissingBucketFailsTheCheckInOneLine() throws Exception {
        try (Uploader uploader = uploader("gs://no-such-bucket/logs", Map.of())) {
            IOException e = assertThrows(IOException.class, () -> uploader.check(minutes()));
            assertEquals("bucket 'no-such-bucket' does not exist", e.getMessage());
        }
    }

    @Test
    void deniedAccessFailsTheCheckInOneLine() throws Exception {
        try (Uploader uploader = uploader()) {
            server.faults().failNext(Integer.MAX_VALUE, 403);
            IOException e = assertThrows(IOException.class, () -> uploader.check(minutes()));
            assertEquals("access denied to gs://" + BUCKET + "/runs", e.getMessage());
        }
    }

    @Test
    void aWriterWithoutBucketReadPermissionPassesTheCheck() throws Exception {
        try (Uploader uploader = uploader()) {
            server.faults().failNext(1, 403, r -> "GET".equals(r.method()) && r.path().equals("/storage/v1/b/" + BUCKET));
            uploader.check(minutes());
            assertTrue(server.objectNames(BUCKET).isEmpty(), "the probe object was deleted");
        }
    }

    @Test
    void absentCredentialsFailTheCheckInOneLine() throws Exception {
        Assumptions.assumeTrue(System.getenv("GOOGLE_APPLICATION_CREDENTIALS") == null
                && !Files.exists(Path.of(System.getProperty("user.home"), ".config/gcloud/application_default_credentials.json")),
                "Application Default Credentials are configured on this machine");
        GcsUploaderFactory factory = new GcsUploaderFactory();
        long start = System.nanoTime();
        try (Uploader uploader = factory.create(URI.create("gs://" + BUCKET + "/x"), Map.of(),
                new UploaderContext(dir, Map.of(), System.getLogger("lifeboat.test")))) {
            long createMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            IOException e = assertThrows(IOException.class, () -> uploader.check(minutes()));
            assertTrue(e.getMessage().startsWith("no credentials found: "), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
            System.out.println("create() without credentials took " + createMs + " ms");
        }
    }

    @Test
    void aBadCredentialsFileIsNamedWithoutItsContent() throws Exception {
        Path key = Files.writeString(dir.resolve("key.json"),
                "{\"type\":\"service_account\",\"private_key\":\"-----BEGIN PRIVATE KEY-----SECRETSECRET\"}");
        GcsUploaderFactory factory = new GcsUploaderFactory();
        Map<String, String> options = Map.of("credentials-file", key.toString());
        IOException e = assertThrows(IOException.class, () -> factory.create(URI.create("gs://" + BUCKET + "/x"), options,
                new UploaderContext(dir, Map.of(), System.getLogger("lifeboat.test"))));
        assertTrue(e.getMessage().contains(key.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("SECRET"), e.getMessage());
        IOException missing = assertThrows(IOException.class, () -> factory.create(URI.create("gs://" + BUCKET + "/x"),
                Map.of("credentials-file", dir.resolve("nope.json").toString()),
                new UploaderContext(dir, Map.of(), System.getLogger("lifeboat.test"))));
        assertTrue(missing.getMessage().endsWith("does not exist"), missing.getMessage());
    }

    @Test
    void objectSettingsReachTheServer() throws Exception {
        String kms = "projects/p/locations/global/keyRings/r/cryptoKeys/k";
        try (Uploader uploader = uploader("gs://" + BUCKET + "/meta", Map.of("storage-class", "nearline",
                "metadata.team", "core", "kms-key-name", kms))) {
            Path small = Files.writeString(dir.resolve("m.log"), "m\n");
            uploader.upload(source(small), "m.log", minutes());
            Path large = randomFile("m.bin", MiB + 1, 5);
            uploader.upload(source(large), "m.bin", minutes());
            for (String name : new String[] {"meta/m.log", "meta/m.bin"}) {
                var json = server.objectMetadata(BUCKET, name).orElseThrow();
                assertEquals("NEARLINE", json.get("storageClass").getAsString(), name);
                assertEquals("core", json.getAsJsonObject("metadata").get("team").getAsString(), name);
                assertEquals(kms, json.get("kmsKeyName").getAsString(), name);
            }
            assertEquals("text/plain; charset=utf-8",
                    server.objectMetadata(BUCKET, "meta/m.log").orElseThrow().get("contentType").getAsString());
            assertTrue(server.requests().stream().anyMatch(r -> "multipart".equals(r.uploadType())), "small: one request");
            assertTrue(server.requests().stream().anyMatch(RecordedRequest::isResumableStart), "large: resumable");
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void oneHundredMebibytesThroughAResumableUpload() throws Exception {
        try (Uploader uploader = uploader("gs://" + BUCKET + "/big", Map.of("chunk-size", "8MiB"))) {
            Path file = randomFile("hundred.bin", 100L * MiB, 100);
            long start = System.nanoTime();
            UploadResult result = uploader.upload(source(file), "hundred.bin", minutes());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            byte[] stored = server.objectBytes(BUCKET, "big/hundred.bin").orElseThrow();
            assertEquals(sha256(Files.readAllBytes(file)), sha256(stored), "SHA-256 of the stored object");
            assertEquals(100L * MiB, result.bytes());
            assertTrue(result.verified());
            long chunks = server.requests().stream().filter(RecordedRequest::isResumableChunk).count();
            assertTrue(chunks >= 13, "8 MiB chunks: " + chunks);
            System.out.println("100 MiB resumable upload: " + ms + " ms, " + chunks + " chunk requests");
        }
    }
}
