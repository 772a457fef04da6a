package dev.lifeboat.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.process.Signals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state machine with a real, scripted child (a shell script) and the file uploader shipping to a
 * local archive. Signals are handed to the supervisor as the signal router would.
 */
@EnabledOnOs(OS.LINUX)
class TestSupervisor {
    @TempDir
    Path dir;

    /** A script that says it is ready (its traps are set) by creating {@code marker}. */
    static String ready(Path marker) {
        return "touch '" + marker + "'";
    }

    /** Hands {@code signals} to the supervisor, as the router would, once the script is ready. */
    static Thread signalWhenReady(Rig rig, Path marker, int... signals) {
        Thread signaller = new Thread(() -> {
            try {
                awaitFile(marker);
                for (int signal : signals) {
                    rig.supervisor.onSignal(signal, System.nanoTime());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        signaller.start();
        return signaller;
    }

    static void awaitFile(Path file) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(file)) {
            if (System.nanoTime() - until > 0) {
                throw new AssertionError(file + " did not appear");
            }
            Thread.sleep(10);
        }
    }

    @Test
    void aChildThatExitsOnItsOwnStartsTheBudgetAndItsOutputIsShipped() throws Exception {
        Rig rig = new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5), "echo out; echo err >&2; exit 3");
        assertEquals(3, rig.run());
        assertEquals(Supervisor.State.DONE, rig.supervisor.state());
        assertTrue(rig.budget.isStarted(), "the child's exit started the budget");
        JsonNode m = rig.manifest();
        assertEquals("CHILD_EXIT", m.path("stop").path("reason").asText());
        assertEquals(3, m.path("child").path("exitCode").asInt());
        assertFalse(m.path("child").path("killedAfterTimeout").asBoolean());
        assertTrue(m.path("allShipped").asBoolean());
        assertEquals("out\n", rig.shipped("stdout.log"));
        assertEquals("err\n", rig.shipped("stderr.log"));
    }

    @Test
    void aStopSignalIsForwardedAndTheChildsStatusPassedOn() throws Exception {
        Path marker = dir.resolve("ready");
        Rig rig = new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5),
                "trap 'echo got TERM; exit 0' TERM; " + ready(marker) + "; while :; do sleep 0.05; done");
        Thread signaller = signalWhenReady(rig, marker, Signals.SIGTERM);
        assertEquals(0, rig.run());
        signaller.join();
        JsonNode m = rig.manifest();
        assertEquals("SIGNAL", m.path("stop").path("reason").asText());
        assertEquals("SIGTERM", m.path("stop").path("signal").asText());
        assertTrue(m.hasNonNull("stopRequestedAt"));
        assertFalse(m.path("child").path("killedAfterTimeout").asBoolean());
        assertEquals("got TERM\n", rig.shipped("stdout.log"));
    }

    @Test
    void aChildThatIgnoresTheStopIsKilledAtTheChildTimeoutAndTheRunEndsWithinTheBudget() throws Exception {
        Path marker = dir.resolve("ready");
        Rig rig = new Rig(dir, Duration.ofSeconds(3), Duration.ofMillis(500),
                "trap '' TERM; " + ready(marker) + "; while :; do sleep 0.05; done");
        // a second stop changes nothing
        Thread signaller = signalWhenReady(rig, marker, Signals.SIGTERM, Signals.SIGTERM);
        int status = rig.run();
        long finished = System.nanoTime();
        signaller.join();
        assertEquals(128 + Signals.SIGKILL, status);
        assertTrue(finished - rig.budget.exitAtNanos() < 0, "done before the budget's exit");
        assertTrue(finished - rig.budget.childKillAtNanos() >= 0, "not killed before the child timeout");
        JsonNode m = rig.manifest();
        assertEquals("SIGTERM", m.path("stop").path("signal").asText(), "the first stop is the one recorded");
        assertTrue(m.path("child").path("killedAfterTimeout").asBoolean());
        assertEquals("SIGKILL", m.path("child").path("signal").asText());
    }

    @Test
    void otherSignalsAreForwardedWithoutStartingTheBudget() throws Exception {
        Path marker = dir.resolve("ready");
        Rig rig = new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5),
                "trap 'echo got HUP; exit 5' HUP; " + ready(marker) + "; while :; do sleep 0.05; done");
        Thread signaller = signalWhenReady(rig, marker, Signals.SIGHUP);
        assertEquals(5, rig.run());
        signaller.join();
        JsonNode m = rig.manifest();
        assertEquals("CHILD_EXIT", m.path("stop").path("reason").asText());
        assertEquals("got HUP\n", rig.shipped("stdout.log"));
    }

    @Test
    void aChildKilledByASignalIsACrash() throws Exception {
        Rig rig = new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5), "kill -SEGV $$");
        assertEquals(128 + 11, rig.run());
        JsonNode m = rig.manifest();
        assertEquals("CHILD_CRASH", m.path("stop").path("reason").asText());
        assertEquals("SIGSEGV", m.path("stop").path("signal").asText());
    }

    @Test
    void withoutAShippingSideTheChildIsStillSupervisedAndItsStatusPassedOn() throws Exception {
        Rig rig = new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5), "exit 9");
        Supplier<Shutdown> broken = () -> {
            throw new NoClassDefFoundError("com/google/inject/Guice");
        };
        assertEquals(9, rig.supervisor.run(broken));
        assertEquals(Supervisor.State.DONE, rig.supervisor.state());
        assertFalse(Files.exists(rig.archive.resolve("run-1")), "nothing shipped");
    }
}
