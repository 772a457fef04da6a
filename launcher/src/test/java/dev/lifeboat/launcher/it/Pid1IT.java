package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fat jar as PID 1 of a new PID namespace ({@code unshare --pid --fork --mount-proc}), as in a
 * container: orphans are re-parented to it and must be reaped, and signals from outside must work.
 */
class Pid1IT {
    @TempDir
    Path dir;

    @BeforeAll
    static void unshareWorks() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc", "true").redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            assumeTrue(false, "unshare is not installed, PID 1 tests skipped: " + e.getMessage());
            return;
        }
        boolean done = p.waitFor(30, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes());
        assumeTrue(done && p.exitValue() == 0, "cannot create a PID namespace here (needs root), PID 1 tests skipped: " + out);
    }

    private LifeboatProcess startAsPid1(List<String> args) throws Exception {
        List<String> prefix = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc"));
        prefix.addAll(LifeboatProcess.javaCommand(false));
        return LifeboatProcess.start(dir, prefix, args);
    }

    @Test
    void orphansAreReapedAndTheChildsStatusIsKept() throws Exception {
        // 100 orphans: each subshell starts a sleep in the background and exits, so the sleep is
        // re-parented to PID 1; when it ends, only PID 1 can reap it.
        String script = "echo \"pid1=$(cat /proc/1/comm)\"; "
                + "i=0; while [ $i -lt 100 ]; do (sleep 0.2 &); i=$((i+1)); done; "
                + "sleep 3; "
                + "z=0; for s in /proc/[0-9]*/stat; do case \"$(cut -d' ' -f3 \"$s\" 2>/dev/null)\" in Z) z=$((z+1));; esac; done; "
                + "echo \"zombies=$z\"; exit 7";
        LifeboatProcess lb = startAsPid1(List.of("--destination", dir.resolve("archive").toUri().toString(), "--run-id", "run",
                "--spool-dir", dir.resolve("spool").toString(), "--", "sh", "-c", script));
        assertEquals(7, lb.waitFor(120), "the main child's status survives the reaping\n" + lb.stderr());
        String out = lb.stdout();
        assertTrue(out.contains("pid1=java"), "Lifeboat is PID 1: " + out);
        assertTrue(out.contains("zombies=0"), "no zombies remain: " + out);
        JsonNode manifest = LifeboatProcess.json(dir.resolve("archive/run/manifest.json"));
        assertEquals(7, manifest.at("/child/exitCode").asInt());
    }

    @Test
    void signalsFromOutsideTheNamespaceStopTheRun() throws Exception {
        Path ready = dir.resolve("ready");
        LifeboatProcess lb = startAsPid1(List.of("--destination", dir.resolve("archive").toUri().toString(), "--run-id", "run",
                "--spool-dir", dir.resolve("spool").toString(), "--grace-period", "10s", "--",
                "sh", "-c", "trap 'echo got HUP' HUP; trap 'echo got TERM; exit 5' TERM; echo ready > \"$0\"; while :; do sleep 0.05; done",
                ready.toString()));
        LifeboatProcess.awaitContent(ready, "ready", 60);
        // unshare forks: the JVM, PID 1 inside, is unshare's child outside
        long javaPid = lb.process.toHandle().children().findFirst().orElseThrow().pid();
        LifeboatProcess.signal(javaPid, "HUP");
        LifeboatProcess.awaitContent(lb.stdout, "got HUP", 30);
        LifeboatProcess.signal(javaPid, "TERM");
        assertEquals(5, lb.waitFor(60), lb.stderr());
        assertEquals("got HUP\ngot TERM\n", Files.readString(dir.resolve("archive/run/stdout.log")));
    }
}
