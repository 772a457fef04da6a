package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.ReadChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import dev.lifeboat.uploader.gcs.testserver.GcsTestServer;
import dev.lifeboat.uploader.gcs.testserver.RecordedRequest;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fat jar shipping to {@code gs://} against the in-process GCS JSON API test server (anonymous
 * access through {@code <scheme>.endpoint}), with real child processes and real signals; every object
 * is read back with the google-cloud-storage client.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GcsEndToEndIT {
    /** The GCS uploader's options read {@code gcs.endpoint}, {@code gcs.chunk-size} (its option prefix, not the scheme). */
    static final String OPTION = "gcs.";
    private static final String BUCKET = "lifeboat-e2e";
    private static final long MiB = 1024 * 1024;

    private static GcsTestServer server;
    private static Storage storage;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        LifeboatProcess.assumeJava();
        server = GcsTestServer.start();
        storage = server.client();
        storage.create(BucketInfo.of(BUCKET));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (storage != null) {
            storage.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @AfterEach
    void releaseStalls() {
        if (server != null) {
            server.faults().clear();
        }
    }

    /** Options for a run into {@code gs://BUCKET/<prefix>/run}. */
    private List<String> args(String prefix, String... more) {
        List<String> args = new ArrayList<>(List.of("--destination", "gs://" + BUCKET + "/" + prefix,
                "--set", OPTION + "endpoint=" + server.endpoint(), "--set", OPTION + "project=test",
                "--spool-dir", dir.resolve("spool").toString(), "--run-id", "run"));
        args.addAll(Arrays.asList(more));
        return args;
    }

    /** The child's stderr: Lifeboat's own stderr without Lifeboat's own lines. */
    private Path childStderr(LifeboatProcess lb) throws java.io.IOException {
        StringBuilder child = new StringBuilder();
        for (String line : lb.stderr().split("(?<=\n)")) {
            if (!line.startsWith("lifeboat ")) {
                child.append(line);
            }
        }
        return Files.writeString(dir.resolve("child-stderr.log"), child.toString());
    }

    private Path spool(String name) {
        return dir.resolve("spool").resolve("run").resolve(name);
    }

    /** The objects under {@code <prefix>/run/}, by name relative to it, listed through the client. */
    private static Map<String, Blob> objects(String prefix) {
        String runFolder = prefix + "/run/";
        Map<String, Blob> objects = new HashMap<>();
        for (Blob blob : storage.list(BUCKET, Storage.BlobListOption.prefix(runFolder)).iterateAll()) {
            objects.put(blob.getName().substring(runFolder.length()), blob);
        }
        return objects;
    }

    /** SHA-256 of an object's bytes, streamed through the client's reader. */
    private static String sha256(Blob blob) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        try (ReadChannel reader = storage.reader(BlobId.of(BUCKET, blob.getName()))) {
            while (reader.read(buffer) >= 0) {
                buffer.flip();
                md.update(buffer);
                buffer.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static JsonNode entry(JsonNode manifest, String key) {
        for (JsonNode f : manifest.get("files")) {
            if (f.get("key").asText().equals(key)) {
                return f;
            }
        }
        throw new AssertionError("manifest has no " + key + ": " + manifest.toPrettyString());
    }

    /** Waits until the uploader was created and the bucket checked, while the child runs. */
    private static void awaitWarm(LifeboatProcess lb) throws Exception {
        LifeboatProcess.awaitContent(lb.stderr, "is ready (gs uploader", 120);
    }

    private static Path randomFile(Path file, long size, long seed) throws Exception {
        Random random = new Random(seed);
        byte[] chunk = new byte[(int) MiB];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        }
        return file;
    }

    @Test
    void sigtermShipsEveryFileAndTheManifestToTheBucket() throws Exception {
        String prefix = "sigterm";
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path app = logs.resolve("app.log");
        Path empty = Files.createFile(logs.resolve("empty.log"));
        Path boot = Files.writeString(logs.resolve("boot.log"), "démarrage ✓\n".repeat(5000), StandardCharsets.UTF_8);
        LifeboatProcess lb = LifeboatProcess.start(dir, args(prefix, "--logs", logs + "/*.log",
                "--", "sh", "-c", LifeboatIT.WRITER, app.toString()));
        awaitWarm(lb);
        LifeboatProcess.awaitContent(app, "log line 20", 60);
        lb.signal("TERM");
        assertEquals(42, lb.waitFor(60), "the child's exit status is passed on\n" + lb.stderr());
        assertTrue(Files.readString(app).endsWith("received TERM\n"), "the child received SIGTERM");

        JsonNode manifest = LifeboatProcess.json(spool("manifest-run.json"));
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        assertEquals("SIGTERM", manifest.at("/stop/signal").asText());
        assertEquals(42, manifest.at("/child/status").asInt());
        assertEquals(0, manifest.get("notShipped").size(), manifest.toPrettyString());

        Map<String, Path> local = Map.of(
                "stdout.log", lb.stdout,
                "stderr.log", childStderr(lb),
                "files" + app, app,
                "files" + empty, empty,
                "files" + boot, boot);
        Map<String, Blob> objects = objects(prefix);
        Set<String> expected = new HashSet<>(local.keySet());
        expected.add("manifest.json");
        expected.add("claim.json"); // the run's claim on its folder, written first
        assertEquals(expected, objects.keySet(), "exactly the run's files, its claim and its manifest are in the bucket");
        for (Map.Entry<String, Path> e : local.entrySet()) {
            Blob blob = objects.get(e.getKey());
            JsonNode shipped = entry(manifest, e.getKey());
            String sha = LifeboatProcess.sha256(e.getValue());
            assertEquals(sha, sha256(blob), "the object " + e.getKey() + " holds the local file's bytes");
            assertEquals(sha, shipped.get("sha256").asText(), "the manifest's SHA-256 of " + e.getKey());
            assertEquals(Files.size(e.getValue()), blob.getSize(), e.getKey());
            assertEquals(blob.getCrc32c(), shipped.at("/checksum/value").asText(), "the CRC32C GCS reports for " + e.getKey());
            assertEquals("CRC32C", shipped.at("/checksum/algorithm").asText());
            assertTrue(shipped.at("/checksum/verified").asBoolean(), e.getKey());
            assertEquals("gs://" + BUCKET + "/" + blob.getName(), shipped.get("location").asText());
            assertTrue(blob.getContentType().startsWith("text/plain"), e.getKey() + ": " + blob.getContentType());
        }
        Blob manifestObject = objects.get("manifest.json");
        assertEquals(LifeboatProcess.sha256(spool("manifest-run.json")), sha256(manifestObject),
                "manifest.json in the bucket is the local manifest");
        assertEquals("application/json", manifestObject.getContentType());
        assertEquals(lb.stdout(), new String(storage.readAllBytes(BlobId.of(BUCKET, prefix + "/run/stdout.log")),
                StandardCharsets.UTF_8), "the captured stdout is the pass-through");
    }

    @Test
    void aLargeFileGoesThroughAResumableSession() throws Exception {
        String prefix = "large";
        long size = 100 * MiB;
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path big = randomFile(logs.resolve("big.log"), size, 7);
        Path ready = dir.resolve("ready");
        LifeboatProcess lb = LifeboatProcess.start(dir, args(prefix, "--logs", logs + "/*.log", "--grace-period", "120s",
                "--", "sh", "-c", "trap 'exit 0' TERM; echo ready > \"$0\"; while :; do sleep 0.05; done", ready.toString()));
        LifeboatProcess.awaitContent(ready, "ready", 60);
        awaitWarm(lb);
        lb.signal("TERM");
        assertEquals(0, lb.waitFor(180), lb.stderr());

        JsonNode manifest = LifeboatProcess.json(spool("manifest-run.json"));
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        String key = "files" + big;
        Blob blob = objects(prefix).get(key);
        assertNotNull(blob, "the large file is in the bucket");
        assertEquals(size, blob.getSize());
        String sha = LifeboatProcess.sha256(big);
        assertEquals(sha, sha256(blob), "the object holds the local file's bytes");
        assertEquals(sha, entry(manifest, key).get("sha256").asText());
        assertEquals(blob.getCrc32c(), entry(manifest, key).at("/checksum/value").asText());

        // The server saw a resumable session for it: a session start, and chunks whose last names the total.
        List<RecordedRequest> requests = server.requests();
        RecordedRequest last = requests.stream()
                .filter(r -> r.isFinalChunk() && r.header("Content-Range").endsWith("/" + size))
                .findFirst().orElseThrow(() -> new AssertionError("no final chunk of " + size + " bytes: " + requests));
        String session = last.query().get("upload_id");
        long chunks = requests.stream().filter(r -> r.isResumableChunk() && session.equals(r.query().get("upload_id"))).count();
        assertTrue(chunks >= size / (8 * MiB), "sent in chunks of at most 8 MiB: " + chunks);
        assertTrue(requests.stream().anyMatch(RecordedRequest::isResumableStart), "a resumable session was started");
        assertEquals(0, server.openSessions(), "no session is left open");
        storage.delete(BlobId.of(BUCKET, blob.getName()));
    }

    @Test
    void aStalledServerDoesNotHoldLifeboatPastTheGracePeriod() throws Exception {
        String prefix = "stalled";
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path app = logs.resolve("app.log");
        LifeboatProcess lb = LifeboatProcess.start(dir, args(prefix, "--logs", logs + "/*.log", "--grace-period", "5s",
                "--", "sh", "-c", LifeboatIT.WRITER, app.toString()));
        awaitWarm(lb);
        LifeboatProcess.awaitContent(app, "log line 5", 60);
        server.faults().stallEverything();
        long sent = System.nanoTime();
        lb.signal("TERM");
        int status = lb.waitFor(60);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
        assertEquals(42, status, "the child's status, although nothing could be shipped\n" + lb.stderr());
        assertTrue(tookMs < 5000, "Lifeboat exits within the 5 s grace period, took " + tookMs + " ms\n" + lb.stderr());
        assertTrue(server.faults().stalledNow() > 0, "requests reached the server and were held");

        JsonNode manifest = LifeboatProcess.json(spool("manifest-run.json"));
        assertFalse(manifest.get("allShipped").asBoolean());
        assertEquals(0, manifest.get("files").size(), manifest.toPrettyString());
        Set<String> notShipped = new HashSet<>();
        for (JsonNode n : manifest.get("notShipped")) {
            assertEquals("DEADLINE", n.get("reason").asText(), n.toString());
            notShipped.add(n.get("key").asText());
        }
        assertEquals(Set.of("stdout.log", "stderr.log", "files" + app), notShipped);
        assertTrue(lb.stderr().contains("not shipped: " + app), lb.stderr());
        assertTrue(lb.stderr().contains("manifest.json not shipped"), lb.stderr());
        // at most the run's claim, made while the child ran and the server still answered
        List<String> inBucket = server.objectNames(BUCKET).stream().filter(n -> n.startsWith(prefix + "/"))
                .filter(n -> !n.equals(prefix + "/run/claim.json")).collect(Collectors.toList());
        assertEquals(List.of(), inBucket, "nothing of the stop appeared in the bucket");
    }

    @Test
    void aBadGcsOptionExitsWith2BeforeTheChildStarts() throws Exception {
        List<String> options = List.of("chunk-size=1000", "no-such-option=x", "endpoint=ftp://127.0.0.1:1",
                "storage-class=GOLD", "resumable-threshold=65MiB", "concurrency=0");
        for (int i = 0; i < options.size(); i++) {
            String option = OPTION + options.get(i);
            String key = option.substring(0, option.indexOf('='));
            Path marker = dir.resolve("child-ran-" + i);
            LifeboatProcess lb = LifeboatProcess.start(dir, List.of("--destination", "gs://" + BUCKET + "/bad",
                    "--set", option, "--", "touch", marker.toString()));
            assertEquals(2, lb.waitFor(60), option + "\n" + lb.stderr());
            List<String> errors = lb.errorLines();
            assertEquals(1, errors.size(), "one error line for " + option + ":\n" + lb.stderr());
            assertTrue(errors.get(0).contains(key), "'" + key + "' named in: " + errors.get(0));
            assertFalse(lb.stderr().contains("\tat "), "no stack trace:\n" + lb.stderr());
            assertFalse(Files.exists(marker), "the child was not started for " + option);
        }
    }

    @Test
    void checkProvesTheBucketAndNamesAMissingOne() throws Exception {
        LifeboatProcess ok = LifeboatProcess.start(dir, List.of("check", "--destination", "gs://" + BUCKET + "/checked",
                "--set", OPTION + "endpoint=" + server.endpoint()));
        assertEquals(0, ok.waitFor(120), ok.stderr());
        assertTrue(ok.stdout().startsWith("ok: gs://" + BUCKET + "/checked is writable"), ok.stdout());
        assertEquals(List.of(), server.objectNames(BUCKET).stream().filter(n -> n.startsWith("checked/")).toList(),
                "the probe object was deleted");

        LifeboatProcess missing = LifeboatProcess.start(dir, List.of("check", "--destination", "gs://no-such-bucket/logs",
                "--set", OPTION + "endpoint=" + server.endpoint()));
        assertEquals(1, missing.waitFor(120), missing.stderr());
        List<String> errors = missing.errorLines();
        assertEquals(1, errors.size(), missing.stderr());
        assertTrue(errors.get(0).contains("bucket 'no-such-bucket' does not exist"), errors.get(0));
    }
}
