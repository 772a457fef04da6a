package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous shipping with the real fat jar, the same for every backend: a hard kill of Lifeboat and its
 * child together (a real SIGKILL of their process group) loses no more than the last rounds, and
 * {@code lifeboat fetch} returns a byte-identical prefix of every file; a normal stop after rounds leaves the
 * layout of a run without them. A backend's test gives the destination, the options that point Lifeboat at
 * it, and how to list and read the run's objects directly from the backend, not through Lifeboat.
 */
abstract class AbstractContinuousShippingIT {
    static final String INTERVAL = "300ms";
    /** Three files and stdout, a line each every 10 ms; exits 42 on SIGTERM. */
    static final String WRITER = "trap 'exit 42' TERM; i=0; while :; do i=$((i+1)); "
            + "for f in a b c; do echo \"$f line $i\" >> \"$0/$f.log\"; done; echo \"out $i\"; sleep 0.01; done";
    private static final List<String> NAMES = List.of("a", "b", "c");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private String name;
    private String destination;

    /**
     * A destination of its own for the test {@code name} (a single path segment), empty and writable, at
     * {@code name} under the backend's root; the run goes to {@code <destination>/run}, which {@link #keys()}
     * and {@link #read(String)} then look at.
     */
    protected abstract String destination(String name) throws Exception;

    /** The options ({@code --set KEY=VALUE}, ...) that point Lifeboat at the backend, for a run and for fetch. */
    protected List<String> backendOptions() {
        return List.of();
    }

    /**
     * Every object under the run's folder, by key relative to it, as the backend lists it. Where the backend
     * has real directories (file://, HDFS), an empty one is listed too, as {@code <key>/}: a user sees it.
     */
    protected abstract Set<String> keys() throws Exception;

    /** The bytes of the object {@code key} under the run's folder, read from the backend; null if there is none. */
    protected abstract byte[] read(String key) throws Exception;

    @BeforeEach
    void createDestination(TestInfo test) throws Exception {
        LifeboatProcess.assumeJava();
        name = test.getTestMethod().orElseThrow().getName();
        destination = destination(name);
    }

    /** The run's folder relative to the backend's root (a bucket, the HDFS root): {@code <name>/run/}. */
    protected final String runFolder() {
        return name + "/run/";
    }

    private String runUri() {
        return destination + "/run";
    }

    private Path logs() throws Exception {
        return Files.createDirectories(dir.resolve("logs"));
    }

    private List<String> args(Path logs) {
        List<String> args = new ArrayList<>(List.of("--destination", destination, "--spool-dir",
                dir.resolve("spool").toString(), "--run-id", "run", "--ship-interval", INTERVAL, "--logs", logs + "/*.log"));
        args.addAll(backendOptions());
        args.addAll(List.of("--", "sh", "-c", WRITER, logs.toString()));
        return args;
    }

    /** The destination's {@code progress.json}, or null while there is none. */
    private JsonNode progress() throws Exception {
        byte[] progress = read("progress.json");
        return progress == null ? null : JSON.readTree(progress);
    }

    /** Waits until {@code progress.json} at the destination names round {@code round} or a later one. */
    private JsonNode awaitRound(long round, LifeboatProcess lb) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            JsonNode progress = progress();
            if (progress != null && progress.get("round").asLong() >= round) {
                return progress;
            }
            if (System.nanoTime() - until > 0) {
                throw new AssertionError("no round " + round + " in progress.json after 20 s: " + progress
                        + "\nstderr:\n" + lb.stderr());
            }
            Thread.sleep(50);
        }
    }

    /** {@code lifeboat fetch [OPTIONS] RUN-URI DIR}, with its exit status and output. */
    private LifeboatProcess fetch(Path into) throws Exception {
        List<String> args = new ArrayList<>(List.of("fetch"));
        args.addAll(backendOptions());
        args.addAll(List.of(runUri(), into.toString()));
        return LifeboatProcess.start(dir, args);
    }

    @Test
    void aHardKillOfLifeboatAndItsChildLosesNoMoreThanTheLastRounds() throws Exception {
        Path logs = logs();
        // setsid: Lifeboat leads a process group of its own, with its child in it, as in a container
        List<String> command = new ArrayList<>(List.of("setsid"));
        command.addAll(LifeboatProcess.javaCommand(false));
        LifeboatProcess lb = LifeboatProcess.start(dir, command, args(logs));
        awaitRound(1, lb);
        Thread.sleep(1000);
        // what the child has written by now, to its files and through Lifeboat to stdout
        long sampled = System.nanoTime();
        Map<String, Long> before = new HashMap<>();
        for (String name : NAMES) {
            before.put("files" + logs.resolve(name + ".log"), Files.size(logs.resolve(name + ".log")));
        }
        before.put("stdout.log", Files.size(lb.stdout));
        // Two more completed rounds: the second started after the sample (the first may have been in flight
        // at it), so everything sampled is durable. And at least five intervals, as on a backend whose rounds
        // are quick that is two rounds only.
        long round = progress().get("round").asLong();
        awaitRound(round + 2, lb);
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sampled);
        Thread.sleep(Math.max(0, 1500 - waited));
        JsonNode last = awaitRound(round + 2, lb);
        LifeboatProcess.killGroup(lb.pid());
        assertEquals(137, lb.waitFor(60), "SIGKILLed");
        assertNull(read("manifest.json"), "no manifest: Lifeboat was killed");
        assertTrue(keys().stream().anyMatch(k -> k.startsWith("pieces/")), "the rounds' pieces are there: " + keys());

        Path out = dir.resolve("fetched");
        LifeboatProcess fetch = fetch(out);
        assertEquals(1, fetch.waitFor(120), "the run is not sealed: " + fetch.stdout() + fetch.stderr());
        assertTrue(fetch.stdout().startsWith("no manifest: the run did not finish"), fetch.stdout());
        Map<String, Long> listed = new HashMap<>();
        for (JsonNode f : last.get("files")) {
            listed.put(f.get("key").asText(), f.get("size").asLong());
        }
        for (Map.Entry<String, Long> e : before.entrySet()) {
            String key = e.getKey();
            byte[] written = key.equals("stdout.log") ? Files.readAllBytes(lb.stdout)
                    : Files.readAllBytes(Path.of(key.substring("files".length())));
            Path fetchedFile = out.resolve(key);
            assertTrue(Files.exists(fetchedFile), key + " fetched: " + fetch.stdout());
            byte[] fetched = Files.readAllBytes(fetchedFile);
            assertTrue(fetched.length >= e.getValue(), key + ": " + fetched.length + " bytes fetched, "
                    + e.getValue() + " were written five intervals and two rounds before the kill");
            assertTrue(fetched.length >= listed.getOrDefault(key, Long.MAX_VALUE), key + ": " + fetched.length
                    + " bytes fetched, the last progress.json read before the kill listed " + listed.get(key));
            assertArrayEquals(Arrays.copyOf(written, fetched.length), fetched, key + ": a byte-identical prefix");
        }
    }

    @Test
    void aStopAfterRoundsLeavesTheLayoutOfARunWithoutThem() throws Exception {
        Path logs = logs();
        LifeboatProcess lb = LifeboatProcess.start(dir, args(logs));
        JsonNode progress = awaitRound(1, lb);
        awaitRound(progress.get("round").asLong() + 2, lb);
        lb.signal("TERM");
        assertEquals(42, lb.waitFor(60), lb.stderr());

        // exactly what a run without rounds leaves: its claim, no pieces, no progress record, nothing else
        Set<String> expected = new TreeSet<>(List.of("claim.json", "manifest.json", "stdout.log", "stderr.log"));
        for (String name : NAMES) {
            expected.add("files" + logs.resolve(name + ".log"));
        }
        assertEquals(expected, new TreeSet<>(keys()), "the sealed layout, no piece and no progress record left");
        for (String name : NAMES) {
            Path local = logs.resolve(name + ".log");
            assertArrayEquals(Files.readAllBytes(local), read("files" + local), local + " sealed whole");
        }
        assertEquals(lb.stdout(), new String(read("stdout.log"), StandardCharsets.UTF_8),
                "the captured output, whole: Lifeboat's pass-through stdout");
        JsonNode manifest = JSON.readTree(read("manifest.json"));
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        assertTrue(manifest.get("allSealed").asBoolean(), manifest.toPrettyString());
        assertEquals(5, manifest.get("files").size(), manifest.toPrettyString());
        for (JsonNode f : manifest.get("files")) {
            String key = f.get("key").asText();
            byte[] shipped = read(key);
            assertNotNull(shipped, key);
            assertEquals(f.get("size").asLong(), shipped.length, "size of " + key);
            assertEquals(f.get("sha256").asText(), LifeboatProcess.sha256(shipped), "SHA-256 of " + key);
            if (key.startsWith("files/")) {
                assertTrue(f.path("pieces").asInt() >= 2, "sealed from the rounds' pieces: " + f);
            }
        }

        Path out = dir.resolve("fetched");
        LifeboatProcess fetch = fetch(out);
        assertEquals(0, fetch.waitFor(120), fetch.stdout() + fetch.stderr());
        assertTrue(fetch.stdout().startsWith("ok: 5 file(s)"), fetch.stdout());
        for (String name : NAMES) {
            Path local = logs.resolve(name + ".log");
            assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(out.resolve("files" + local)), local + " fetched");
        }
        assertEquals(lb.stdout(), Files.readString(out.resolve("stdout.log")), "stdout.log fetched");
    }
}
