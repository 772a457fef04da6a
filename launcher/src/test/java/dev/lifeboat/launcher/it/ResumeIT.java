package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hard kill, then a restart on the same spool (a Kubernetes container restart with the spool on an
 * emptyDir): the new Lifeboat finishes the killed run while its own child runs.
 */
class ResumeIT {
    /** Two files and stdout, a line each every 10 ms. */
    private static final String WRITER = "i=0; while :; do i=$((i+1)); "
            + "for f in a b; do echo \"$f line $i\" >> \"$0/$f.log\"; done; echo \"out $i\"; sleep 0.01; done";

    @TempDir
    Path dir;

    private List<String> args(String runId, String... command) {
        List<String> args = new ArrayList<>(List.of("--destination", dir.resolve("archive").toUri().toString(),
                "--spool-dir", dir.resolve("spool").toString(), "--run-id", runId, "--ship-interval", "300ms",
                "--logs", dir.resolve("logs") + "/*.log", "--"));
        args.addAll(List.of(command));
        return args;
    }

    private static void await(Path file) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(file)) {
            if (System.nanoTime() - until > 0) {
                throw new AssertionError(file + " did not appear within 60 s");
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aRunLeftByAKilledLifeboatIsFinishedByTheNextOne() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path killedRun = dir.resolve("archive").resolve("killed");
        List<String> command = new ArrayList<>(List.of("setsid"));
        command.addAll(LifeboatProcess.javaCommand(false));
        LifeboatProcess first = LifeboatProcess.start(dir, command, args("killed", "sh", "-c", WRITER, logs.toString()));
        await(killedRun.resolve("progress.json"));
        Thread.sleep(1000);
        LifeboatProcess.killGroup(first.pid());
        assertEquals(137, first.waitFor(60));
        assertFalse(Files.exists(killedRun.resolve("manifest.json")));
        // the files as the killed child left them: the rounds did not get all of it
        byte[] a = Files.readAllBytes(logs.resolve("a.log"));
        byte[] b = Files.readAllBytes(logs.resolve("b.log"));

        Path started = dir.resolve("second-started");
        LifeboatProcess second = LifeboatProcess.start(dir, args("second", "sh", "-c",
                "touch \"$0\"; while :; do sleep 0.1; done", started.toString()));
        await(killedRun.resolve("manifest.json"));
        // the manifest is written before the pieces are removed: wait for the end of finishing the run
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (second.stderr().lines().noneMatch(l -> l.contains(" shipped ") && l.contains("/killed in "))) {
            if (System.nanoTime() - until > 0) {
                throw new AssertionError("finishing the killed run did not end within 60 s:\n" + second.stderr());
            }
            Thread.sleep(20);
        }
        second.signal("TERM");
        assertEquals(143, second.waitFor(60));

        JsonNode manifest = LifeboatProcess.json(killedRun.resolve("manifest.json"));
        assertEquals("LIFEBOAT_KILLED", manifest.at("/stop/reason").asText(), manifest.toPrettyString());
        assertTrue(manifest.at("/stop/lastRoundAt").isTextual(), "when the killed Lifeboat's last round was");
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        assertTrue(manifest.get("allSealed").asBoolean(), manifest.toPrettyString());
        assertArrayEquals(a, Files.readAllBytes(killedRun.resolve("files" + logs.resolve("a.log"))),
                "the killed run's file, whole: the unshipped bytes of a file that still exists are shipped");
        assertArrayEquals(b, Files.readAllBytes(killedRun.resolve("files" + logs.resolve("b.log"))));
        assertTrue(Files.readString(killedRun.resolve("stdout.log")).startsWith("out 1\nout 2\n"),
                "the killed run's captured output");
        assertFalse(Files.exists(killedRun.resolve("pieces")), "sealed");
        assertTrue(second.stderr().contains("finishing the run killed that a killed Lifeboat left"), second.stderr());
        // the second run is a run of its own
        assertTrue(Files.exists(dir.resolve("archive").resolve("second").resolve("manifest.json")));
    }
}
