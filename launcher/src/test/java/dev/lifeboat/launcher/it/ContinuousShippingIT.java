package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous shipping with the real fat jar: a hard kill of Lifeboat and its child together (a real
 * SIGKILL of their process group) loses no more than the last rounds, and {@code lifeboat fetch} returns
 * a byte-identical prefix of every file; a normal stop after rounds leaves the layout of a run without
 * them.
 */
class ContinuousShippingIT {
    private static final String INTERVAL = "300ms";
    /** Three files and stdout, a line each every 10 ms; exits 42 on SIGTERM. */
    private static final String WRITER = "trap 'exit 42' TERM; i=0; while :; do i=$((i+1)); "
            + "for f in a b c; do echo \"$f line $i\" >> \"$0/$f.log\"; done; echo \"out $i\"; sleep 0.01; done";

    @TempDir
    Path dir;

    private Path logs() throws Exception {
        return Files.createDirectories(dir.resolve("logs"));
    }

    private Path run() {
        return dir.resolve("archive").resolve("run");
    }

    private List<String> args(Path logs) {
        return List.of("--destination", dir.resolve("archive").toUri().toString(), "--spool-dir",
                dir.resolve("spool").toString(), "--run-id", "run", "--ship-interval", INTERVAL, "--logs", logs + "/*.log",
                "--", "sh", "-c", WRITER, logs.toString());
    }

    private void awaitProgress() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(run().resolve("progress.json"))) {
            if (System.nanoTime() - until > 0) {
                throw new AssertionError("no progress.json after 60 s");
            }
            Thread.sleep(20);
        }
    }

    /** {@code lifeboat fetch RUN-URI DIR}, with its exit status and output. */
    private LifeboatProcess fetch(Path into) throws Exception {
        List<String> args = List.of("fetch", run().toUri().toString(), into.toString());
        return LifeboatProcess.start(dir, args);
    }

    @Test
    void aHardKillOfLifeboatAndItsChildLosesNoMoreThanTheLastRounds() throws Exception {
        Path logs = logs();
        // setsid: Lifeboat leads a process group of its own, with its child in it, as in a container
        List<String> command = new ArrayList<>(List.of("setsid"));
        command.addAll(LifeboatProcess.javaCommand(false));
        LifeboatProcess lb = LifeboatProcess.start(dir, command, args(logs));
        awaitProgress();
        Thread.sleep(1500);
        // everything written by now is at least five intervals older than the kill
        long[] before = new long[3];
        for (int i = 0; i < 3; i++) {
            before[i] = Files.size(logs.resolve("abc".charAt(i) + ".log"));
        }
        Thread.sleep(1500);
        LifeboatProcess.killGroup(lb.pid());
        assertEquals(137, lb.waitFor(60), "SIGKILLed");
        assertFalse(Files.exists(run().resolve("manifest.json")), "no manifest: Lifeboat was killed");

        Path out = dir.resolve("fetched");
        LifeboatProcess fetch = fetch(out);
        assertEquals(1, fetch.waitFor(120), "the run is not sealed: " + fetch.stdout() + fetch.stderr());
        assertTrue(fetch.stdout().startsWith("no manifest: the run did not finish"), fetch.stdout());
        for (int i = 0; i < 3; i++) {
            Path local = logs.resolve("abc".charAt(i) + ".log");
            byte[] fetched = Files.readAllBytes(out.resolve("files" + local));
            byte[] written = Files.readAllBytes(local);
            assertTrue(fetched.length >= before[i], local + ": " + fetched.length + " bytes fetched, "
                    + before[i] + " were written five intervals before the kill");
            assertArrayEquals(Arrays.copyOf(written, fetched.length), fetched, local + ": a byte-identical prefix");
        }
    }

    @Test
    void aStopAfterRoundsLeavesTheLayoutOfARunWithoutThem() throws Exception {
        Path logs = logs();
        LifeboatProcess lb = LifeboatProcess.start(dir, args(logs));
        awaitProgress();
        Thread.sleep(1000);
        lb.signal("TERM");
        assertEquals(42, lb.waitFor(60));

        for (String name : List.of("a", "b", "c")) {
            Path local = logs.resolve(name + ".log");
            assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(run().resolve("files" + local)),
                    local + " sealed whole");
        }
        assertEquals(lb.stdout(), Files.readString(run().resolve("stdout.log")), "the captured output, whole");
        assertFalse(Files.exists(run().resolve("pieces")), "no piece left");
        assertFalse(Files.exists(run().resolve("progress.json")), "no progress record left");
        JsonNode manifest = LifeboatProcess.json(run().resolve("manifest.json"));
        assertTrue(manifest.get("allShipped").asBoolean());
        assertTrue(manifest.get("allSealed").asBoolean());
        for (JsonNode f : manifest.get("files")) {
            if (f.get("key").asText().startsWith("files/")) {
                assertTrue(f.path("pieces").asInt() >= 2, "sealed from the rounds' pieces: " + f);
            }
        }

        Path out = dir.resolve("fetched");
        LifeboatProcess fetch = fetch(out);
        assertEquals(0, fetch.waitFor(120), fetch.stdout() + fetch.stderr());
        assertTrue(fetch.stdout().startsWith("ok: 5 file(s)"), fetch.stdout());
        Path a = logs.resolve("a.log");
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(out.resolve("files" + a)));
    }
}
