package dev.lifeboat.uploader.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Failures against real servers: a stopped S3Proxy, a black hole, wrong credentials, a missing bucket. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TestS3UploaderFaults {
    private static final String BUCKET = "faults";
    /** Generous: a busy 2-core machine may be slow, but never this slow. */
    private static final long SLACK_MILLIS = 10_000;
    private static S3ProxyServer server;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        server = S3ProxyServer.start(BUCKET);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    private Uploader uploader(URI destination, Map<String, String> options) throws Exception {
        S3UploaderFactory factory = new S3UploaderFactory();
        factory.validate(destination, options);
        return factory.create(destination, options, new UploaderContext(dir, System.getenv(),
                System.getLogger("lifeboat.test")));
    }

    private Uploader uploader(Map<String, String> extra) throws Exception {
        Map<String, String> options = new HashMap<>(server.options());
        options.putAll(extra);
        return uploader(URI.create("s3://" + BUCKET + "/faults"), options);
    }

    private Path file(String name, long size) throws IOException {
        Path file = dir.resolve(name);
        byte[] chunk = new byte[1 << 20];
        new Random(size).nextBytes(chunk);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return file;
    }

    private static SourceFile source(Path file) throws IOException {
        return new SourceFile(file, Files.size(file));
    }

    private static void assertOneLine(String message) {
        System.out.println("message: " + message);
        assertFalse(message.contains("\n"), "one line: " + message);
        assertFalse(message.contains(S3ProxyServer.SECRET_KEY), "no secret in: " + message);
        assertFalse(message.contains("\tat "), "no stack trace in: " + message);
    }

    private static List<MultipartUpload> openUploads() {
        return server.client().listMultipartUploads(b -> b.bucket(BUCKET)).uploads();
    }

    private static List<MultipartUpload> openUploadsAfterSettling() throws InterruptedException {
        return server.openUploadsAfterSettling(BUCKET);
    }

    // ---- integrity -------------------------------------------------------------------------------

    @Test
    void theServerRejectsBytesThatDoNotMatchTheirChecksum() {
        S3Exception e = assertThrows(S3Exception.class, () -> server.client().putObject(
                b -> b.bucket(BUCKET).key("corrupt.log").checksumCRC32C("AAAAAA=="),
                RequestBody.fromString("these bytes do not have that CRC32C")));
        assertEquals(400, e.statusCode(), e.getMessage());
        assertFalse(server.read(BUCKET, "corrupt.log").isPresent());
    }

    @Test
    void everyChecksumAlgorithmShipsAndReportsTheLocalValue() throws Exception {
        Path small = file("small.log", 100_000);
        Path large = file("large.bin", 12L << 20);
        for (String algorithm : new String[] {"CRC32C", "CRC32", "SHA256"}) {
            try (Uploader uploader = uploader(Map.of("checksum", algorithm, "multipart-threshold", "5MiB",
                    "part-size", "5MiB"))) {
                UploadResult one = uploader.upload(source(small), algorithm + "/small.log", timeout(60));
                UploadResult many = uploader.upload(source(large), algorithm + "/large.bin", timeout(60));
                System.out.println(algorithm + " single: " + one + "; multipart: " + many);
                assertTrue(one.checksumAlgorithm().startsWith(algorithm.equals("SHA256") ? "SHA-256" : algorithm));
                assertEquals(localChecksum(algorithm, Files.readAllBytes(small)), one.checksum(), "single " + algorithm);
                if (!algorithm.equals("SHA256")) {
                    assertEquals(localChecksum(algorithm, Files.readAllBytes(large)), many.checksum(),
                            "multipart " + algorithm + " is the whole object's checksum");
                } else {
                    assertNull(many.checksumAlgorithm(), "S3's composite SHA-256 is no SHA-256 of the object");
                    assertNull(many.checksum());
                }
                assertTrue(java.util.Arrays.equals(Files.readAllBytes(large),
                        server.read(BUCKET, "faults/" + algorithm + "/large.bin").orElseThrow()));
            }
        }
    }

    private static String localChecksum(String algorithm, byte[] bytes) {
        PartChecksums.Running running = PartChecksums.start(S3Config.Checksum.valueOf(algorithm));
        running.update(bytes, 0, bytes.length);
        return Checksums.base64(running.value());
    }

    @Test
    void metadataAndContentTypeArrive() throws Exception {
        Path log = dir.resolve("app.log");
        Files.writeString(log, "line\n");
        try (Uploader uploader = uploader(Map.of("metadata.team", "payments", "storage-class", "STANDARD"))) {
            uploader.upload(source(log), "meta/app.log", timeout(30));
        }
        HeadObjectResponse head = server.client().headObject(b -> b.bucket(BUCKET).key("faults/meta/app.log"));
        assertEquals("payments", head.metadata().get("team"));
        assertTrue(head.contentType().startsWith("text/plain"), head.contentType());
    }

    // ---- check() ---------------------------------------------------------------------------------

    @Test
    void checkNamesAMissingBucket() throws Exception {
        try (Uploader uploader = uploader(URI.create("s3://no-such-bucket/logs"), server.options())) {
            IOException e = assertThrows(IOException.class, () -> uploader.check(timeout(30)));
            assertEquals("bucket 'no-such-bucket' does not exist", e.getMessage());
        }
    }

    @Test
    void checkNamesWrongCredentials() throws Exception {
        try (Uploader uploader = uploader(Map.of("secret-access-key", "not-the-secret"))) {
            IOException e = assertThrows(IOException.class, () -> uploader.check(timeout(30)));
            assertOneLine(e.getMessage());
            assertTrue(e.getMessage().startsWith("access denied writing to s3://faults/faults/"), e.getMessage());
            assertTrue(e.getMessage().contains("signature"), e.getMessage());
        }
        try (Uploader uploader = uploader(Map.of("access-key-id", "nobody"))) {
            IOException e = assertThrows(IOException.class, () -> uploader.check(timeout(30)));
            assertOneLine(e.getMessage());
            assertTrue(e.getMessage().startsWith("access denied writing to s3://faults/faults/"), e.getMessage());
        }
    }

    @Test
    void checkSaysWhenNoCredentialsAreFound() throws Exception {
        Map<String, String> env = System.getenv();
        for (String name : new String[] {"AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_PROFILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}) {
            assumeTrue(env.get(name) == null, name + " is set in this environment");
        }
        Map<String, String> props = Map.of("aws.disableEc2Metadata", "true",
                "aws.sharedCredentialsFile", dir.resolve("no-credentials").toString(),
                "aws.configFile", dir.resolve("no-config").toString());
        Map<String, String> saved = new HashMap<>();
        props.forEach((k, v) -> saved.put(k, System.setProperty(k, v)));
        try {
            Map<String, String> options = new HashMap<>(server.options());
            options.remove("access-key-id");
            options.remove("secret-access-key");
            try (Uploader uploader = uploader(URI.create("s3://" + BUCKET + "/x"), options)) {
                IOException e = assertThrows(IOException.class, () -> uploader.check(timeout(30)));
                assertEquals(S3Errors.NO_CREDENTIALS, e.getMessage());
            }
        } finally {
            saved.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
    }

    /** A real HTTP server answering as S3 does for a bucket in another region. */
    @Test
    void checkNamesTheBucketsRegion() throws Exception {
        HttpServer redirect = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        redirect.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("x-amz-bucket-region", "eu-west-1");
            exchange.sendResponseHeaders(301, -1);
            exchange.close();
        });
        redirect.start();
        try {
            Map<String, String> options = new HashMap<>(server.options());
            options.put("endpoint", "http://127.0.0.1:" + redirect.getAddress().getPort());
            try (Uploader uploader = uploader(URI.create("s3://elsewhere/logs"), options)) {
                IOException e = assertThrows(IOException.class, () -> uploader.check(timeout(30)));
                assertEquals("bucket 'elsewhere' is in region eu-west-1, not us-east-1: set s3.region=eu-west-1",
                        e.getMessage());
            }
        } finally {
            redirect.stop(0);
        }
    }

    // ---- unreachable servers ---------------------------------------------------------------------

    @Test
    void aStoppedServerFailsWithinTheDeadline() throws Exception {
        S3ProxyServer stopped = S3ProxyServer.start("gone");
        Map<String, String> options = stopped.options();
        stopped.close();
        Path log = dir.resolve("x.log");
        Files.writeString(log, "x\n");
        try (Uploader uploader = uploader(URI.create("s3://gone/logs"), options)) {
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> uploader.upload(source(log), "x.log", timeout(20)));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertOneLine(e.getMessage());
            assertTrue(e.getMessage().contains("cannot connect to http://127.0.0.1:"), e.getMessage());
            assertTrue(millis < 20_000 + SLACK_MILLIS, "returned after " + millis + " ms");
            IOException check = assertThrows(IOException.class, () -> uploader.check(timeout(20)));
            assertTrue(check.getMessage().contains("cannot connect"), check.getMessage());
        }
    }

    /** Accepts connections and never answers. */
    private static final class BlackHole implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final List<Socket> held = new ArrayList<>();
        final Thread acceptor = new Thread(this::accept, "black-hole");

        BlackHole() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void accept() {
            try {
                while (true) {
                    Socket s = socket.accept();
                    synchronized (held) {
                        held.add(s);
                    }
                }
            } catch (IOException e) {
                // closed
            }
        }

        String endpoint() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            synchronized (held) {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aBlackHoleDoesNotHoldAnUploadPastTheDeadline() throws Exception {
        Path small = file("small.log", 10_000);
        Path large = file("large.bin", 12L << 20);
        try (BlackHole hole = new BlackHole()) {
            Map<String, String> options = new HashMap<>(server.options());
            options.put("endpoint", hole.endpoint());
            options.put("multipart-threshold", "5MiB");
            options.put("part-size", "5MiB");
            try (Uploader uploader = uploader(URI.create("s3://" + BUCKET + "/hole"), options)) {
                for (Path file : List.of(small, large)) {
                    long start = System.nanoTime();
                    IOException e = assertThrows(IOException.class,
                            () -> uploader.upload(source(file), file.getFileName().toString(), timeout(3)));
                    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertTrue(e instanceof UploadCancelledException, "cancelled at the deadline: " + e);
                    assertTrue(millis >= 2_500, "not before the deadline: " + millis + " ms");
                    assertTrue(millis < 3_000 + SLACK_MILLIS, file + " returned after " + millis + " ms");
                }
                long start = System.nanoTime();
                assertThrows(IOException.class, () -> uploader.check(timeout(3)));
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(millis < 3_000 + SLACK_MILLIS, "check returned after " + millis + " ms");
            }
        }
    }

    @Test
    void cancellingAnUploadToABlackHoleReturnsBeforeTheDeadline() throws Exception {
        Path small = file("small.log", 10_000);
        try (BlackHole hole = new BlackHole()) {
            Map<String, String> options = new HashMap<>(server.options());
            options.put("endpoint", hole.endpoint());
            try (Uploader uploader = uploader(URI.create("s3://" + BUCKET + "/hole"), options)) {
                UploadControl control = timeout(120);
                ExecutorService pool = Executors.newSingleThreadExecutor();
                try {
                    Future<UploadResult> upload = pool.submit(() -> uploader.upload(source(small), "s.log", control));
                    Thread.sleep(500);
                    long start = System.nanoTime();
                    control.cancel();
                    ExecutionException e = assertThrows(ExecutionException.class, () -> upload.get(60, TimeUnit.SECONDS));
                    assertTrue(e.getCause() instanceof UploadCancelledException, String.valueOf(e.getCause()));
                    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    assertTrue(millis < SLACK_MILLIS, "returned " + millis + " ms after cancel, deadline 120 s");
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    // ---- multipart clean-up ----------------------------------------------------------------------

    @Test
    void aCancelledMultipartUploadLeavesNoPartsAndNoObject() throws Exception {
        Path large = file("cancel.bin", 48L << 20);
        try (Uploader uploader = uploader(Map.of("multipart-threshold", "5MiB", "part-size", "5MiB",
                "concurrency", "2"))) {
            UploadControl control = timeout(120);
            // 48 MiB cannot have gone up before the cancel at 10 MiB
            S3ProxyServer.assertCancelledAfter(control, 10L << 20,
                    () -> uploader.upload(source(large), "cancel.bin", control));
            assertEquals(List.of(), openUploadsAfterSettling(), "no multipart upload left open");
            assertFalse(server.read(BUCKET, "faults/cancel.bin").isPresent(), "no object under the final key");
            // the uploader stays usable
            Path after = dir.resolve("after.log");
            Files.writeString(after, "after\n");
            uploader.upload(source(after), "after.log", timeout(30));
            assertEquals("after\n", new String(server.read(BUCKET, "faults/after.log").orElseThrow(),
                    StandardCharsets.UTF_8));
        }
    }

    @Test
    void aFailedPartAbortsTheMultipartUpload() throws Exception {
        Path shrunk = file("shrunk.bin", 12L << 20);
        // Lifeboat measured 16 MiB, the file now has 12: the parts past 12 MiB fail.
        SourceFile measured = new SourceFile(shrunk, 16L << 20);
        try (Uploader uploader = uploader(Map.of("multipart-threshold", "5MiB", "part-size", "5MiB"))) {
            IOException e = assertThrows(IOException.class, () -> uploader.upload(measured, "shrunk.bin", timeout(60)));
            assertFalse(e instanceof UploadCancelledException, e.toString());
            assertTrue(String.valueOf(e.getMessage()).contains("shrank"), e.getMessage());
        }
        assertEquals(List.of(), openUploadsAfterSettling(), "no multipart upload left open");
        assertFalse(server.read(BUCKET, "faults/shrunk.bin").isPresent(), "no object under the final key");
    }

    private static UploadControl timeout(long seconds) {
        return UploadControl.withTimeout(Duration.ofSeconds(seconds));
    }
}
