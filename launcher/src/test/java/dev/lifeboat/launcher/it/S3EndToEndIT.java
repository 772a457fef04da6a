package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The fat jar shipping to a real S3Proxy through the S3 uploader: real child, real SIGTERM, every object read
 * back with a separate SDK client and compared with the local file and the manifest.
 */
class S3EndToEndIT {
    static final String BUCKET = "logs";
    static final String PREFIX = "e2e";

    @TempDir
    Path dir;

    private S3Server s3;

    @BeforeEach
    void startS3() throws Exception {
        LifeboatProcess.assumeJava();
        s3 = S3Server.start(Files.createDirectories(dir.resolve("s3-store")), BUCKET);
    }

    @AfterEach
    void stopS3() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }

    private List<String> args(String... more) {
        List<String> args = new ArrayList<>(List.of("--destination", "s3://" + BUCKET + "/" + PREFIX,
                "--spool-dir", dir.resolve("spool").toString(), "--run-id", "run"));
        args.addAll(s3.lifeboatOptions());
        args.addAll(Arrays.asList(more));
        return args;
    }

    /** Waits until Lifeboat has created and checked its S3 uploader while the child runs. */
    static void awaitWarm(LifeboatProcess lb) throws Exception {
        try {
            LifeboatProcess.awaitContent(lb.stderr, "is ready", 120);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + lb.stderr(), e);
        }
    }

    private static String objectKey(String key) {
        return PREFIX + "/run/" + key;
    }

    private static JsonNode file(JsonNode manifest, String key) {
        for (JsonNode f : manifest.get("files")) {
            if (f.get("key").asText().equals(key)) {
                return f;
            }
        }
        throw new AssertionError("manifest has no " + key + ": " + manifest.toPrettyString());
    }

    @Test
    void sigtermShipsEveryFileAndTheManifestToS3() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path log = logs.resolve("app.log");
        Path empty = Files.createFile(logs.resolve("empty.log"));
        Path older = logs.resolve("older.log");
        writeRandomText(older, 300 << 10, 1);
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--logs", logs + "/*.log", "--",
                "sh", "-c", LifeboatIT.WRITER, log.toString()));
        awaitWarm(lb);
        LifeboatProcess.awaitContent(log, "log line 20", 60);
        lb.signal("TERM");
        assertEquals(42, lb.waitFor(60), "the child's exit status is passed on\n" + lb.stderr());
        assertTrue(Files.readString(log).endsWith("received TERM\n"), "the child received SIGTERM");

        JsonNode manifest = LifeboatProcess.json(s3.download(BUCKET, objectKey("manifest.json"), dir.resolve("manifest.json")));
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        assertEquals("SIGTERM", manifest.at("/stop/signal").asText());
        assertEquals(42, manifest.at("/child/exitCode").asInt());

        // every object is a file of the manifest (or the manifest itself), and its bytes are the manifest's
        Set<String> expected = new TreeSet<>();
        expected.add(objectKey("manifest.json"));
        expected.add(objectKey("claim.json")); // the run's claim on its folder, written first
        for (JsonNode f : manifest.get("files")) {
            String key = objectKey(f.get("key").asText());
            expected.add(key);
            assertEquals(f.get("sha256").asText(), s3.sha256(BUCKET, key), "SHA-256 of " + key + " read back");
            assertEquals(f.get("size").asLong(), s3.head(BUCKET, key).contentLength(), "size of " + key);
        }
        assertEquals(expected, new TreeSet<>(s3.keys(BUCKET, PREFIX + "/")), "objects under the prefix");

        for (Path local : List.of(log, empty, older)) {
            String key = "files" + local;
            assertEquals(LifeboatProcess.sha256(local), file(manifest, key).get("sha256").asText(), "manifest's SHA-256 of " + local);
            assertEquals(LifeboatProcess.sha256(local), s3.sha256(BUCKET, objectKey(key)), "SHA-256 of " + local + " read back");
        }
        assertEquals(5, manifest.get("files").size(), "three logs, stdout and stderr: " + manifest.toPrettyString());
        assertEquals(lb.stdout(), new String(s3.bytes(BUCKET, objectKey("stdout.log")), StandardCharsets.UTF_8),
                "the captured stdout is the pass-through");
        assertEquals("CRC32C", file(manifest, "files" + older).at("/checksum/algorithm").asText(),
                "the uploader's checksum is recorded");
    }

    @Test
    void aLargeLogGoesUpAsAMultipartObject() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path big = logs.resolve("big.log");
        String sha = writeRandomBytes(big, 200L << 20, 200);
        Path ready = dir.resolve("ready");
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--grace-period", "120s", "--logs", logs + "/*.log", "--",
                "sh", "-c", "trap 'exit 0' TERM; echo ready > \"$0\"; while :; do sleep 0.1; done", ready.toString()));
        LifeboatProcess.awaitContent(ready, "ready", 60);
        awaitWarm(lb);
        long sent = System.nanoTime();
        lb.signal("TERM");
        assertEquals(0, lb.waitFor(180), lb.stderr());
        System.out.println("200 MiB: Lifeboat exited " + (System.nanoTime() - sent) / 1_000_000 + " ms after SIGTERM\n" + lb.stderr());

        String key = objectKey("files" + big);
        HeadObjectResponse head = s3.head(BUCKET, key);
        assertEquals(200L << 20, head.contentLength());
        String eTag = head.eTag().replace("\"", "");
        assertTrue(eTag.matches(".*-\\d+"), "a multipart ETag ends in -<parts>: " + eTag);
        int parts = Integer.parseInt(eTag.substring(eTag.lastIndexOf('-') + 1));
        assertEquals(25, parts, "200 MiB in the default 8 MiB parts: " + eTag);

        assertEquals(sha, s3.sha256(BUCKET, key), "SHA-256 read back");
        JsonNode manifest = LifeboatProcess.json(s3.download(BUCKET, objectKey("manifest.json"), dir.resolve("manifest.json")));
        assertEquals(sha, file(manifest, "files" + big).get("sha256").asText());
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
    }

    @Test
    void aDestinationThatDiedWhileTheChildRanStillEndsWithinTheGracePeriod() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path log = logs.resolve("app.log");
        long graceMs = 10_000;
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--grace-period", graceMs + "ms", "--logs", logs + "/*.log", "--",
                "sh", "-c", LifeboatIT.WRITER, log.toString()));
        awaitWarm(lb);
        LifeboatProcess.awaitContent(log, "log line 5", 60);
        s3.stop();
        long sent = System.nanoTime();
        lb.signal("TERM");
        int status = lb.waitFor(120);
        long tookMs = (System.nanoTime() - sent) / 1_000_000;
        System.out.println("S3 stopped before SIGTERM: Lifeboat exited " + tookMs + " ms after SIGTERM\n" + lb.stderr());
        assertEquals(42, status, "the child's status, even though nothing was shipped\n" + lb.stderr());
        assertTrue(tookMs < graceMs, "Lifeboat exits within the " + graceMs + " ms grace period, took " + tookMs + " ms\n" + lb.stderr());

        JsonNode manifest = LifeboatProcess.json(dir.resolve("spool/run/manifest-run.json"));
        assertFalse(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        Set<String> notShipped = new HashSet<>();
        for (JsonNode n : manifest.get("notShipped")) {
            notShipped.add(n.get("key").asText());
        }
        assertEquals(Set.of("stdout.log", "stderr.log", "files" + log), notShipped, manifest.toPrettyString());
        assertEquals(0, manifest.get("files").size(), manifest.toPrettyString());
        assertTrue(lb.stderr().contains("not shipped: " + log), lb.stderr());
        assertFalse(lb.stderr().contains(S3Server.SECRET_KEY), "the secret key is never printed");
    }

    @Test
    void aBadS3OptionExitsWith2BeforeTheChildStarts() throws Exception {
        List<String> bad = List.of("s3.part-size=1KiB", "s3.checksum=MD5", "s3.no-such-option=1");
        for (int i = 0; i < bad.size(); i++) {
            String option = bad.get(i);
            String key = option.substring(0, option.indexOf('='));
            Path marker = dir.resolve("child-ran-" + i);
            LifeboatProcess lb = LifeboatProcess.start(dir, args("--set", option, "--", "touch", marker.toString()));
            assertEquals(2, lb.waitFor(60), "exit status for " + option + "\n" + lb.stderr());
            List<String> errors = lb.errorLines();
            assertEquals(1, errors.size(), "one error line for " + option + ":\n" + lb.stderr());
            assertTrue(errors.get(0).contains(key), "'" + key + "' named in: " + errors.get(0));
            assertFalse(lb.stderr().contains("\tat "), "no stack trace:\n" + lb.stderr());
            assertFalse(lb.stderr().contains(S3Server.SECRET_KEY), "the secret key is never printed:\n" + lb.stderr());
            assertFalse(Files.exists(marker), "the child was not started for " + option);
        }
        assertEquals(List.of(), s3.keys(BUCKET, ""), "nothing was written");
    }

    /** Lines of printable text, {@code size} bytes. */
    static void writeRandomText(Path file, int size, long seed) throws IOException {
        Random random = new Random(seed);
        StringBuilder text = new StringBuilder(size);
        while (text.length() < size) {
            text.append("2024-01-01T00:00:00Z INFO request ").append(random.nextLong()).append(" took ")
                    .append(random.nextInt(1000)).append(" ms\n");
        }
        text.setLength(size);
        Files.writeString(file, text, StandardCharsets.US_ASCII);
    }

    /** Random bytes, written a MiB at a time; returns their SHA-256. */
    static String writeRandomBytes(Path file, long size, long seed) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] chunk = new byte[1 << 20];
        Random random = new Random(seed);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                sha.update(chunk, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * S3Proxy in this JVM over a blob store in a local directory (so large objects do not sit in the test
     * JVM's heap), checking SigV4 signatures with a static key pair and the checksums the SDK sends.
     */
    static final class S3Server implements AutoCloseable {
        static final String ACCESS_KEY = "lifeboat-e2e-access-key";
        static final String SECRET_KEY = "lifeboat-e2e-secret-key-0123456789";
        /** Held so that java.util.logging does not forget the levels set on them. */
        private static final List<Logger> QUIET = new ArrayList<>();

        private final URI endpoint;
        private final S3Proxy proxy;
        private final S3Client client;

        private S3Server(Path store, int port) throws Exception {
            quietLogging();
            this.endpoint = URI.create("http://127.0.0.1:" + port);
            this.proxy = S3Proxy.builder()
                    .blobStore(new FilesystemNio2BlobStore(store.toString()))
                    .endpoint(endpoint)
                    .awsAuthentication(AuthenticationType.AWS_V4, ACCESS_KEY, SECRET_KEY)
                    .ignoreUnknownHeaders(true)
                    .build();
            proxy.start();
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > until) {
                    throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
                }
                Thread.sleep(10);
            }
            this.client = S3Client.builder()
                    .httpClientBuilder(Apache5HttpClient.builder())
                    .endpointOverride(endpoint)
                    .forcePathStyle(true)
                    .region(Region.US_EAST_1)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                    .build();
        }

        static S3Server start(Path store, String... buckets) throws Exception {
            S3Server server = new S3Server(store, freePort());
            for (String bucket : buckets) {
                server.client.createBucket(b -> b.bucket(bucket));
            }
            return server;
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            }
        }

        /**
         * S3Proxy's Jetty logs every request at DEBUG, and uploads crawl at that level. The test classpath
         * has two SLF4J providers (java.util.logging from the launcher, Logback from S3Proxy): quiet both.
         */
        private static synchronized void quietLogging() {
            if (!QUIET.isEmpty()) {
                return;
            }
            List<String> names = List.of("org.gaul", "org.eclipse.jetty", "software.amazon.awssdk", "org.apache.hc", "org.jclouds");
            for (String name : names) {
                Logger logger = Logger.getLogger(name);
                logger.setLevel(Level.WARNING);
                QUIET.add(logger);
            }
            if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext logback) {
                for (String name : names) {
                    logback.getLogger(name).setLevel(ch.qos.logback.classic.Level.WARN);
                }
            }
        }

        URI endpoint() {
            return endpoint;
        }

        /** The options that point Lifeboat's S3 uploader here. */
        List<String> lifeboatOptions() {
            Map<String, String> options = new HashMap<>();
            options.put("s3.endpoint", endpoint.toString());
            options.put("s3.path-style", "true");
            options.put("s3.region", "us-east-1");
            options.put("s3.access-key-id", ACCESS_KEY);
            options.put("s3.secret-access-key", SECRET_KEY);
            List<String> args = new ArrayList<>();
            options.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
            return args;
        }

        List<String> keys(String bucket, String prefix) {
            List<String> keys = new ArrayList<>();
            for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
                keys.add(o.key());
            }
            return keys;
        }

        HeadObjectResponse head(String bucket, String key) {
            return client.headObject(b -> b.bucket(bucket).key(key));
        }

        byte[] bytes(String bucket, String key) {
            return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
        }

        Path download(String bucket, String key, Path to) throws IOException {
            Files.write(to, bytes(bucket, key));
            return to;
        }

        /** SHA-256 of an object's bytes, streamed. */
        String sha256(String bucket, String key) throws Exception {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            try (InputStream in = client.getObject(b -> b.bucket(bucket).key(key))) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    sha.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        }

        void delete(String bucket, List<String> keys) {
            for (int i = 0; i < keys.size(); i += 1000) {
                List<ObjectIdentifier> batch = keys.subList(i, Math.min(keys.size(), i + 1000)).stream()
                        .map(k -> ObjectIdentifier.builder().key(k).build()).toList();
                client.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(batch)));
            }
        }

        void stop() throws Exception {
            proxy.stop();
        }

        @Override
        public void close() throws Exception {
            client.close();
            proxy.stop();
        }
    }
}
