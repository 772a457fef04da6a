package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every signal, with the real fat jar under plain {@code java -jar} (no {@code _JAVA_SR_SIGNUM}, the
 * README's Dockerfile) and real signals: USR2 and QUIT reach the child, any catchable signal can stop the
 * run, signals can be rewritten, and bad signal names are configuration errors.
 */
class SignalsIT {
    @TempDir
    Path dir;

    private List<String> args(String... more) {
        List<String> args = new ArrayList<>(List.of("--destination", dir.resolve("archive").toUri().toString(),
                "--spool-dir", dir.resolve("spool").toString(), "--run-id", "run", "--ship-interval", "0"));
        args.addAll(Arrays.asList(more));
        return args;
    }

    private JsonNode manifest() throws Exception {
        return LifeboatProcess.json(dir.resolve("archive").resolve("run").resolve("manifest.json"));
    }

    /** A child that notes every signal in {@code seen} by name; {@code exits} lists the ones it exits 7 on. */
    private LifeboatProcess startNoting(Path seen, List<String> signals, List<String> exits, String... options)
            throws Exception {
        Files.createFile(seen);
        StringBuilder script = new StringBuilder();
        for (String sig : signals) {
            script.append("trap 'echo ").append(sig).append(" >> \"$0\"").append(exits.contains(sig) ? "; exit 7" : "")
                    .append("' ").append(sig).append("; ");
        }
        script.append("echo ready >> \"$0\"; echo child output; while :; do sleep 0.05; done");
        List<String> a = args(options);
        a.addAll(List.of("--", "sh", "-c", script.toString(), seen.toString()));
        LifeboatProcess lb = LifeboatProcess.start(dir, a);
        LifeboatProcess.awaitContent(seen, "ready", 60);
        return lb;
    }

    /** USR2 (HotSpot's suspend signal), QUIT (its thread dump), SYS (fatal by default), under plain java -jar. */
    @ParameterizedTest
    @ValueSource(strings = {"USR2", "QUIT", "SYS"})
    void aSignalTheJvmWouldTakeReachesTheChildAndTheRunStopsNormally(String signal) throws Exception {
        Path seen = dir.resolve("seen");
        LifeboatProcess lb = startNoting(seen, List.of(signal, "TERM"), List.of("TERM"));
        lb.signal(signal);
        LifeboatProcess.awaitContent(seen, signal, 30);
        assertTrue(lb.process.isAlive(), "Lifeboat survives " + signal + ":\n" + lb.stderr());
        lb.signal("TERM");
        assertEquals(7, lb.waitFor(60), lb.stderr());
        assertEquals("ready\n" + signal + "\nTERM\n", Files.readString(seen));
        assertEquals("child output\n", lb.stdout(), "Lifeboat's stdout is the child's, no thread dump");
        assertFalse(lb.stderr().contains("Full thread dump"), lb.stderr());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList(),
                    "no JVM crash report");
        }
        JsonNode manifest = manifest();
        assertEquals("SIGTERM", manifest.at("/stop/signal").asText());
        assertTrue(manifest.get("allShipped").asBoolean());
    }

    @ParameterizedTest
    @ValueSource(strings = {"QUIT", "USR1", "WINCH"})
    void aStopSignalOtherThanTermStopsTheRunAndShips(String signal) throws Exception {
        Path seen = dir.resolve("seen");
        LifeboatProcess lb = startNoting(seen, List.of(signal, "TERM"), List.of(signal), "--stop-signal", signal);
        lb.signal(signal);
        assertEquals(7, lb.waitFor(60), "the child exited 7 on " + signal + ":\n" + lb.stderr());
        assertEquals("ready\n" + signal + "\n", Files.readString(seen), "the child got the stop signal itself");
        assertTrue(lb.stderr().contains("received SIG" + signal + ": stopping the child"), lb.stderr());
        JsonNode manifest = manifest();
        assertEquals("SIGNAL", manifest.at("/stop/reason").asText());
        assertEquals("SIG" + signal, manifest.at("/stop/signal").asText());
        assertEquals(7, manifest.at("/child/exitCode").asInt());
        assertTrue(manifest.get("allShipped").asBoolean());
        assertEquals("child output\n", Files.readString(dir.resolve("archive/run/stdout.log")));
    }

    @Test
    void withAStopSignalConfiguredTermIsOnlyForwarded() throws Exception {
        Path seen = dir.resolve("seen");
        LifeboatProcess lb = startNoting(seen, List.of("QUIT", "TERM"), List.of("QUIT"), "--stop-signal", "QUIT");
        lb.signal("TERM");
        LifeboatProcess.awaitContent(seen, "TERM", 30);
        assertTrue(lb.process.isAlive(), "TERM did not stop the run:\n" + lb.stderr());
        lb.signal("QUIT");
        assertEquals(7, lb.waitFor(60), lb.stderr());
        assertEquals("SIGQUIT", manifest().at("/stop/signal").asText());
    }

    @Test
    void termRewrittenToQuitStopsTheRunAndTheChildGetsQuit() throws Exception {
        Path seen = dir.resolve("seen");
        LifeboatProcess lb = startNoting(seen, List.of("QUIT", "TERM"), List.of("QUIT", "TERM"),
                "--rewrite-signal", "TERM:QUIT");
        lb.signal("TERM");
        assertEquals(7, lb.waitFor(60), lb.stderr());
        assertEquals("ready\nQUIT\n", Files.readString(seen), "the child got QUIT, never TERM");
        JsonNode manifest = manifest();
        assertEquals("SIGTERM", manifest.at("/stop/signal").asText(), "the manifest names the signal Lifeboat received");
        assertTrue(manifest.get("allShipped").asBoolean());
    }

    /**
     * {@code bin/lifeboat} starts the JVM fit (no relaunch), plain {@code java -jar} relaunches once; either
     * way QUIT reaches the child and the child's environment has nothing of Lifeboat's signal set-up.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void eitherLaunchGivesTheChildQuitAndACleanEnvironment(boolean script) throws Exception {
        Path launcher = Path.of(System.getProperty("user.dir")).resolve("../bin/lifeboat").normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(!script || Files.isExecutable(launcher), "no " + launcher);
        Path seen = dir.resolve("seen");
        Path env = dir.resolve("child.env");
        Files.createFile(seen);
        List<String> a = args("--", "sh", "-c", "env > \"$1\"; trap 'echo QUIT >> \"$0\"' QUIT; trap 'exit 0' TERM;"
                + " echo ready >> \"$0\"; while :; do sleep 0.05; done", seen.toString(), env.toString());
        LifeboatProcess lb = script
                ? LifeboatProcess.start(dir, List.of(launcher.toString()), a, java.util.Map.of("LIFEBOAT_JAVA",
                        LifeboatProcess.JAVA, "LIFEBOAT_JAR", LifeboatProcess.JAR.toAbsolutePath().toString()))
                : LifeboatProcess.start(dir, a);
        LifeboatProcess.awaitContent(seen, "ready", 60);
        List<String> own = List.of(Files.readString(Path.of("/proc/" + lb.pid() + "/environ")).split("\0"));
        assertTrue(own.contains(script ? "_LIFEBOAT_SIGNALS=sr" : "_LIFEBOAT_SIGNALS=relaunched,sr;"),
                "relaunched only under plain java -jar: " + own.stream().filter(e -> e.startsWith("_")).toList());
        lb.signal("QUIT");
        LifeboatProcess.awaitContent(seen, "QUIT", 30);
        lb.signal("TERM");
        assertEquals(0, lb.waitFor(60), lb.stderr());
        String childEnv = Files.readString(env);
        assertFalse(childEnv.contains("_JAVA_SR_SIGNUM") || childEnv.contains("_LIFEBOAT_SIGNALS"), childEnv);
        assertEquals("", lb.stdout());
    }

    @Test
    void badSignalNamesAreConfigurationErrorsBeforeTheChildStarts() throws Exception {
        List<List<String>> cases = List.of(List.of("--stop-signal", "KILL"), List.of("--stop-signal", "FOO"),
                List.of("--rewrite-signal", "TERM"), List.of("--stop-signal", "SEGV"), List.of("--rewrite-signal", "TERM:NOPE"));
        List<String> expected = List.of("--stop-signal 'KILL': Lifeboat cannot receive SIGKILL",
                "--stop-signal", "--rewrite-signal 'TERM': expected FROM:TO", "SIGSEGV", "'NOPE'");
        LifeboatProcess.assertConfigurationErrors(dir, args(), cases, expected);
    }
}
