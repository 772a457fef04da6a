package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import dev.lifeboat.launcher.it.S3EndToEndIT.S3Server;
import dev.lifeboat.uploader.gcs.testserver.GcsTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm-up check's first connection is accepted and never answered ({@link StuckFirstConnectionProxy})
 * while later connections reach the real server (S3Proxy, the GCS test server): the check gives up after
 * its own timeout and is tried again on a fresh connection while the child runs, and at the stop a check
 * still in flight is abandoned and shipping goes ahead on a fresh client. The fat jar, a real child,
 * a real SIGTERM.
 */
class StuckCheckIT {
    private static final int FILES = 103;
    private static final String CHILD = "trap 'exit 0' TERM; echo ready > \"$0\"; while :; do sleep 0.1; done";

    @TempDir
    Path dir;

    private Path logs() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        for (int i = 0; i < FILES; i++) {
            Files.writeString(logs.resolve("app-" + i + ".log"), ("line of file " + i + "\n").repeat(100));
        }
        return logs;
    }

    private List<String> args(String destination, List<String> options, Path logs, String... more) {
        List<String> args = new ArrayList<>(List.of("--destination", destination, "--spool-dir",
                dir.resolve("spool").toString(), "--run-id", "run", "--grace-period", "20s", "--logs", logs + "/*.log"));
        args.addAll(options);
        args.addAll(List.of(more));
        args.addAll(List.of("--", "sh", "-c", CHILD, dir.resolve("ready").toString()));
        return args;
    }

    private static List<String> s3Options(S3Server s3, StuckFirstConnectionProxy proxy) {
        List<String> options = new ArrayList<>();
        for (String option : s3.lifeboatOptions()) {
            options.add(option.startsWith("s3.endpoint=") ? "s3.endpoint=" + proxy.endpoint() : option);
        }
        return options;
    }

    private static long count(String text, String part) {
        return text.lines().filter(l -> l.contains(part)).count();
    }

    /** The stop arrives while the check hangs: the check is abandoned, everything ships through a new connection. */
    private void assertShippedAfterAbandonedCheck(LifeboatProcess lb, StuckFirstConnectionProxy proxy, JsonNode manifest,
            String stderr) throws java.io.IOException {
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        assertEquals(FILES + 2, manifest.get("files").size(), "every log, stdout and stderr: " + manifest.toPrettyString());
        assertEquals(1, count(stderr, "destination check in flight"), "the abandoned check is said once:\n" + stderr);
        assertTrue(proxy.accepted() >= 2, "shipping used a fresh connection: " + proxy.accepted());
        assertTrue(lb.errorLines().isEmpty(), "no error:\n" + stderr);
    }

    /** What a test does with Lifeboat running against S3Proxy behind the proxy. */
    private interface S3Run {
        void run(S3Server s3, StuckFirstConnectionProxy proxy, LifeboatProcess lb) throws Exception;
    }

    /** Lifeboat shipping to {@code s3://logs/<prefix>/run} through a proxy in front of S3Proxy. */
    private void withS3(String prefix, S3Run test) throws Exception {
        LifeboatProcess.assumeJava();
        Path logs = logs();
        try (S3Server s3 = S3Server.start(Files.createDirectories(dir.resolve("s3-store")), "logs");
                StuckFirstConnectionProxy proxy = StuckFirstConnectionProxy.inFrontOf(s3.endpoint().getPort())) {
            test.run(s3, proxy, LifeboatProcess.start(dir, args("s3://logs/" + prefix, s3Options(s3, proxy), logs)));
        }
    }

    @Test
    void s3StopDuringAStuckCheckShipsEverythingOnAFreshConnection() throws Exception {
        withS3("stuck", (s3, proxy, lb) -> {
            LifeboatProcess.awaitContent(dir.resolve("ready"), "ready", 60);
            proxy.awaitHeld(60);
            lb.signal("TERM");
            assertEquals(0, lb.waitFor(60), lb.stderr());
            JsonNode manifest = LifeboatProcess.json(s3.download("logs", "stuck/run/manifest.json", dir.resolve("manifest.json")));
            assertShippedAfterAbandonedCheck(lb, proxy, manifest, lb.stderr());
            for (JsonNode f : manifest.get("files")) {
                String key = "stuck/run/" + f.get("key").asText();
                assertEquals(f.get("sha256").asText(), s3.sha256("logs", key), "SHA-256 of " + key + " read back");
            }
        });
    }

    @Test
    void s3AStuckCheckTimesOutIsLoggedOnceAndSucceedsOnAFreshConnectionWhileTheChildRuns() throws Exception {
        withS3("retried", (s3, proxy, lb) -> {
            LifeboatProcess.awaitContent(lb.stderr, "is ready", 120);
            String beforeStop = lb.stderr();
            assertEquals(1, count(beforeStop, "is not usable yet: "), "the failure is logged once:\n" + beforeStop);
            assertEquals(1, count(beforeStop, "no answer within 10 s (the check's timeout)"),
                    "with its reason:\n" + beforeStop);
            assertEquals(1, count(beforeStop, "after 1 failed check(s)"), beforeStop);
            lb.signal("TERM");
            assertEquals(0, lb.waitFor(60), lb.stderr());
            JsonNode manifest = LifeboatProcess.json(s3.download("logs", "retried/run/manifest.json", dir.resolve("manifest.json")));
            assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
            assertEquals(FILES + 2, manifest.get("files").size(), manifest.toPrettyString());
            assertEquals(0, count(lb.stderr(), "destination check in flight"), "nothing was in flight at the stop");
        });
    }

    @Test
    void gcsStopDuringAStuckCheckShipsEverythingOnAFreshConnection() throws Exception {
        LifeboatProcess.assumeJava();
        Path logs = logs();
        try (GcsTestServer server = GcsTestServer.start(); Storage storage = server.client();
                StuckFirstConnectionProxy proxy = StuckFirstConnectionProxy.inFrontOf(server.port())) {
            storage.create(BucketInfo.of("logs"));
            LifeboatProcess lb = LifeboatProcess.start(dir, args("gs://logs/stuck",
                    List.of("--set", "gcs.endpoint=" + proxy.endpoint(), "--set", "gcs.project=test"), logs));
            LifeboatProcess.awaitContent(dir.resolve("ready"), "ready", 60);
            proxy.awaitHeld(60);
            lb.signal("TERM");
            assertEquals(0, lb.waitFor(60), lb.stderr());
            Blob blob = storage.get("logs", "stuck/run/manifest.json");
            assertTrue(blob != null, "the manifest was shipped:\n" + lb.stderr());
            Path local = Files.write(dir.resolve("manifest.json"), blob.getContent());
            JsonNode manifest = LifeboatProcess.json(local);
            assertShippedAfterAbandonedCheck(lb, proxy, manifest, lb.stderr());
        }
    }
}
