package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end with the real fat jar, real child processes and real signals. Bounds are generous and
 * tied to the deadline under test, never to how fast this machine happens to be.
 */
class LifeboatIT {
    /** A child that writes numbered lines to a log file, stdout and stderr, and exits 42 on SIGTERM. */
    static final String WRITER = ""
            + "trap 'echo \"received TERM\" >> \"$0\"; echo \"stdout got TERM\"; exit 42' TERM\n"
            + "i=0; while :; do i=$((i+1)); echo \"log line $i\" >> \"$0\"; echo \"out $i\"; echo \"err $i\" >&2; sleep 0.05; done";

    @TempDir
    Path dir;

    private List<String> args(String... more) {
        List<String> args = new ArrayList<>(List.of("--destination", dir.resolve("archive").toUri().toString(),
                "--spool-dir", dir.resolve("spool").toString(), "--run-id", "run"));
        args.addAll(Arrays.asList(more));
        return args;
    }

    private Path archive() {
        return dir.resolve("archive").resolve("run");
    }

    private JsonNode manifest() throws Exception {
        return LifeboatProcess.json(archive().resolve("manifest.json"));
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
    void sigtermWhileTheChildWritesShipsEveryByte() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path log = logs.resolve("app.log");
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--logs", logs + "/*.log", "--", "sh", "-c", WRITER, log.toString()));
        LifeboatProcess.awaitContent(log, "log line 20", 60);
        lb.signal("TERM");
        assertEquals(42, lb.waitFor(60), "the child's exit status is passed on");

        String local = Files.readString(log);
        assertTrue(local.endsWith("received TERM\n"), "the child received SIGTERM:\n" + local);
        Path shipped = archive().resolve("files").resolve(log.toString().substring(1));
        assertArrayEquals(Files.readAllBytes(log), Files.readAllBytes(shipped), "every byte of the log is shipped");
        JsonNode manifest = manifest();
        assertEquals(LifeboatProcess.sha256(log), file(manifest, "files" + log).get("sha256").asText());
        assertEquals("SIGNAL", manifest.at("/stop/reason").asText());
        assertEquals("SIGTERM", manifest.at("/stop/signal").asText());
        assertEquals(42, manifest.at("/child/exitCode").asInt());
        assertTrue(manifest.get("allShipped").asBoolean());

        // the captured output is the pass-through, byte for byte
        assertEquals(lb.stdout(), Files.readString(archive().resolve("stdout.log")));
        assertTrue(lb.stdout().endsWith("stdout got TERM\n"));
        String stderrShipped = Files.readString(archive().resolve("stderr.log"));
        assertTrue(stderrShipped.startsWith("err 1\nerr 2\n"), stderrShipped);
        assertFalse(stderrShipped.contains("lifeboat "), "Lifeboat's own messages are not part of the child's stderr");
        assertEquals(LifeboatProcess.sha256(archive().resolve("stdout.log")), file(manifest, "stdout.log").get("sha256").asText());
    }

    @Test
    void aChildThatIgnoresSigtermIsKilledAtTheChildTimeoutAndLogsAreStillShipped() throws Exception {
        Path ready = dir.resolve("ready");
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--grace-period", "6s", "--child-timeout", "2s", "--",
                "sh", "-c", "trap '' TERM; echo ready > \"$0\"; while :; do echo tick; sleep 0.1; done", ready.toString()));
        LifeboatProcess.awaitContent(ready, "ready", 60);
        long sent = System.nanoTime();
        lb.signal("TERM");
        assertEquals(137, lb.waitFor(60), "killed by SIGKILL: 128+9");
        long tookMs = (System.nanoTime() - sent) / 1_000_000;
        assertTrue(tookMs < 6000, "Lifeboat exits within its grace period (6 s), took " + tookMs + " ms");
        assertTrue(tookMs >= 2000, "the child had its 2 s to exit first, took " + tookMs + " ms");
        JsonNode manifest = manifest();
        assertTrue(manifest.at("/child/killedAfterTimeout").asBoolean());
        assertEquals("SIGKILL", manifest.at("/child/signal").asText());
        assertTrue(Files.readString(archive().resolve("stdout.log")).contains("tick"));
        assertTrue(lb.stderr().contains("sending SIGKILL"), lb.stderr());
    }

    @Test
    void aChildThatExitsOnItsOwnPassesItsStatusOn() throws Exception {
        Path log = dir.resolve("app.log");
        Files.writeString(log, "written before the run\n");
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--logs", log.toString(), "--",
                "sh", "-c", "echo done; echo oops >&2; exit 3"));
        assertEquals(3, lb.waitFor(60));
        JsonNode manifest = manifest();
        assertEquals("CHILD_EXIT", manifest.at("/stop/reason").asText());
        assertEquals(3, manifest.at("/child/exitCode").asInt());
        assertEquals("done\n", Files.readString(archive().resolve("stdout.log")));
        assertEquals("oops\n", Files.readString(archive().resolve("stderr.log")));
        assertEquals(LifeboatProcess.sha256(log), file(manifest, "files" + log).get("sha256").asText());
    }

    @Test
    void aChildKilledBySignalGives128PlusN() throws Exception {
        LifeboatProcess segv = LifeboatProcess.start(dir, args("--", "sh", "-c", "echo crashing; kill -SEGV $$"));
        assertEquals(128 + 11, segv.waitFor(60));
        JsonNode manifest = manifest();
        assertEquals("CHILD_CRASH", manifest.at("/stop/reason").asText());
        assertEquals("SIGSEGV", manifest.at("/child/signal").asText());
        assertEquals("crashing\n", Files.readString(archive().resolve("stdout.log")));

        LifeboatProcess kill = LifeboatProcess.start(dir, List.of("--destination", dir.resolve("archive2").toUri().toString(),
                "--spool-dir", dir.resolve("spool").toString(), "--run-id", "run", "--", "sh", "-c", "kill -KILL $$"));
        assertEquals(128 + 9, kill.waitFor(60));
        assertTrue(Files.exists(dir.resolve("archive2/run/manifest.json")));
    }

    @Test
    void signalsAreForwardedToTheChild() throws Exception {
        Path seen = dir.resolve("seen");
        Files.createFile(seen);
        String script = "trap 'echo HUP >> \"$0\"' HUP; trap 'echo USR1 >> \"$0\"' USR1; trap 'echo USR2 >> \"$0\"' USR2;"
                + " trap 'echo WINCH >> \"$0\"' WINCH; trap 'echo TERM >> \"$0\"; exit 0' TERM;"
                + " echo ready >> \"$0\"; while :; do sleep 0.05; done";
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--", "sh", "-c", script, seen.toString()));
        LifeboatProcess.awaitContent(seen, "ready", 60);
        for (String sig : List.of("HUP", "USR1", "WINCH")) {
            lb.signal(sig);
            LifeboatProcess.awaitContent(seen, sig, 30);
        }
        lb.signal("TERM");
        assertEquals(0, lb.waitFor(60));
        assertEquals("ready\nHUP\nUSR1\nWINCH\nTERM\n", Files.readString(seen));
    }

    @Test
    void theLaunchScriptForwardsUsr2Too() throws Exception {
        Path script = Path.of(System.getProperty("user.dir")).resolve("../bin/lifeboat").normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(script), "bin/lifeboat not found: " + script);
        Path seen = dir.resolve("seen");
        Files.createFile(seen);
        LifeboatProcess lb = LifeboatProcess.start(dir, List.of(script.toString()), args("--", "sh", "-c",
                "trap 'echo USR2 >> \"$0\"' USR2; trap 'exit 0' TERM; echo ready >> \"$0\"; while :; do sleep 0.05; done",
                seen.toString()), java.util.Map.of("LIFEBOAT_JAVA", LifeboatProcess.JAVA,
                "LIFEBOAT_JAR", LifeboatProcess.JAR.toAbsolutePath().toString()));
        LifeboatProcess.awaitContent(seen, "ready", 60);
        lb.signal("USR2");
        LifeboatProcess.awaitContent(seen, "USR2", 30);
        lb.signal("TERM");
        assertEquals(0, lb.waitFor(60));
        assertEquals("ready\nUSR2\n", Files.readString(seen));
    }

    @Test
    void aHangingDestinationDoesNotHoldLifeboatPastTheDeadline() throws Exception {
        Path ready = dir.resolve("ready");
        Path log = dir.resolve("app.log");
        Files.writeString(log, "something to ship\n");
        List<String> a = new ArrayList<>(List.of("--destination", "hang://nowhere/logs", "--spool-dir", dir.resolve("spool").toString(),
                "--run-id", "run", "--grace-period", "5s", "--logs", log.toString(), "--",
                "sh", "-c", "echo ready > \"$0\"; while :; do sleep 0.1; done", ready.toString()));
        LifeboatProcess lb = LifeboatProcess.startWithTestUploaders(dir, a);
        LifeboatProcess.awaitContent(ready, "ready", 60);
        long sent = System.nanoTime();
        lb.signal("TERM");
        int status = lb.waitFor(60);
        long tookMs = (System.nanoTime() - sent) / 1_000_000;
        assertEquals(143, status, "the child's status (killed by SIGTERM), even though shipping failed");
        assertTrue(tookMs < 5000, "Lifeboat exits within the 5 s grace period, took " + tookMs + " ms\n" + lb.stderr());

        Path local = dir.resolve("spool/run/manifest-run.json");
        JsonNode manifest = LifeboatProcess.json(local);
        Set<String> notShipped = new HashSet<>();
        for (JsonNode n : manifest.get("notShipped")) {
            assertEquals("DEADLINE", n.get("reason").asText(), n.toString());
            notShipped.add(n.get("key").asText());
        }
        assertEquals(Set.of("stdout.log", "stderr.log", "files" + log), notShipped);
        assertFalse(manifest.get("allShipped").asBoolean());
        assertTrue(lb.stderr().contains("not shipped: " + log), lb.stderr());
    }

    @Test
    void aSecondSigtermDuringShippingDoesNotAbortIt() throws Exception {
        Path ready = dir.resolve("ready");
        Path log = dir.resolve("app.log");
        Files.writeString(log, "ship me\n");
        Path slow = dir.resolve("slow-archive");
        LifeboatProcess lb = LifeboatProcess.startWithTestUploaders(dir, List.of("--destination", "slow://" + slow,
                "--set", "slow.delay-ms=1500", "--concurrency", "1", "--grace-period", "30s", "--spool-dir",
                dir.resolve("spool").toString(), "--run-id", "run", "--logs", log.toString(), "--",
                "sh", "-c", "echo ready > \"$0\"; while :; do sleep 0.1; done", ready.toString()));
        LifeboatProcess.awaitContent(ready, "ready", 60);
        lb.signal("TERM");
        LifeboatProcess.awaitContent(lb.stderr, "shipping 3 file(s)", 60);
        lb.signal("TERM");
        lb.signal("INT");
        assertEquals(143, lb.waitFor(60));
        JsonNode manifest = LifeboatProcess.json(slow.resolve("run/manifest.json"));
        assertTrue(manifest.get("allShipped").asBoolean(), manifest.toPrettyString());
        assertEquals(3, manifest.get("files").size());
        assertTrue(lb.stderr().contains("again while shipping"), lb.stderr());
    }

    /** The signals a process ignores, from {@code SigIgn} in {@code /proc/<pid>/status}: bit N-1 is signal N. */
    private static long ignoredSignals(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("SigIgn:")) {
                return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        }
        throw new AssertionError("no SigIgn for " + pid);
    }

    private static String state(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    }

    @Test
    void ttinAndTtouDoNotStopLifeboatAndTheChildKeepsTheirDefaults() throws Exception {
        Path childPid = dir.resolve("child.pid");
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--", "sh", "-c",
                "echo $$ > \"$0\"; while :; do sleep 0.1; done", childPid.toString()));
        LifeboatProcess.awaitContent(childPid, "\n", 60);
        long ttin = 1L << (21 - 1);
        long ttou = 1L << (22 - 1);
        assertEquals(ttin | ttou, ignoredSignals(lb.pid()) & (ttin | ttou), "Lifeboat ignores TTIN and TTOU, as tini");
        long child = Long.parseLong(Files.readString(childPid).trim());
        assertEquals(0, ignoredSignals(child) & (ttin | ttou), "the child starts with their default dispositions");
        lb.signal("TTIN");
        lb.signal("TTOU");
        Thread.sleep(200);
        assertFalse(state(lb.pid()).equals("T"), "not stopped");
        lb.signal("TERM");
        assertEquals(143, lb.waitFor(60), "a TERM after them still stops the run");
    }

    @Test
    void theOutputLimitKeepsTheNewestBytes() throws Exception {
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--output-limit", "1KiB", "--",
                "sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo \"line $i\"; i=$((i+1)); done"));
        assertEquals(0, lb.waitFor(60));
        byte[] all = Files.readAllBytes(lb.stdout);
        byte[] shipped = Files.readAllBytes(archive().resolve("stdout.log"));
        assertEquals(1024, shipped.length);
        assertArrayEquals(Arrays.copyOfRange(all, all.length - 1024, all.length), shipped);
        assertEquals(all.length - 1024, file(manifest(), "stdout.log").get("droppedBytes").asLong());
    }

    @Test
    void globsAreExpandedAtShippingTimeAndSkippedFilesAreNamed() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs/nested/deeper"));
        Path outside = dir.resolve("outside.log");
        Files.writeString(outside, "outside\n");
        Files.createSymbolicLink(dir.resolve("logs/link.log"), outside);
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--logs", dir + "/logs/**/*.log", "--logs", dir + "/none/*.log", "--",
                "sh", "-c", "echo a > \"$0/a.log\"; echo b > \"$0/nested/deeper/b.log\"", dir.resolve("logs").toString()));
        assertEquals(0, lb.waitFor(60));
        JsonNode manifest = manifest();
        file(manifest, "files" + dir + "/logs/a.log");
        file(manifest, "files" + dir + "/logs/nested/deeper/b.log");
        Set<String> reasons = new HashSet<>();
        for (JsonNode n : manifest.get("notShipped")) {
            reasons.add(n.get("reason").asText() + " " + n.get("path").asText());
        }
        assertTrue(reasons.contains("SYMLINK_OUTSIDE_BASE " + dir + "/logs/link.log"), reasons.toString());
        assertTrue(reasons.contains("NO_MATCH " + dir + "/none/*.log"), reasons.toString());
    }

    @Test
    void uploadShipsNowAndCheckProvesTheDestination() throws Exception {
        Path log = dir.resolve("app.log");
        Files.writeString(log, "hello\n");
        LifeboatProcess upload = LifeboatProcess.start(dir, List.of("upload", "--destination",
                dir.resolve("archive").toUri().toString(), "--run-id", "run", "--logs", log.toString()));
        assertEquals(0, upload.waitFor(60), upload.stderr());
        JsonNode manifest = manifest();
        assertEquals("UPLOAD_COMMAND", manifest.at("/stop/reason").asText());
        assertArrayEquals(Files.readAllBytes(log), Files.readAllBytes(archive().resolve("files" + log)));

        LifeboatProcess check = LifeboatProcess.start(dir, List.of("check", "--destination", dir.resolve("archive").toUri().toString()));
        assertEquals(0, check.waitFor(60), check.stderr());
        assertTrue(check.stdout().startsWith("ok: "), check.stdout());
    }

    @Test
    void badConfigurationExitsWith2BeforeTheChildStarts() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "destination: file:///tmp/x\ngrase-period: 5s\n");
        Path notADir = dir.resolve("plain-file");
        Files.writeString(notADir, "x");
        Path syntax = dir.resolve("syntax.yaml");
        Files.writeString(syntax, "destination: [unclosed\n");
        String dest = dir.resolve("archive").toUri().toString();
        List<List<String>> cases = List.of(
                List.of("--config", config.toString()),
                List.of("--config", syntax.toString()),
                List.of("--destination", dest, "--grace-period", "10x"),
                List.of("--destination", dest, "--grace-period", "5s", "--child-timeout", "6s"),
                List.of("--destination", "ftp://example/logs"),
                // the file system's state is the environment: a refusal before the child only with --strict
                List.of("--strict", "--destination", notADir.toUri() + "/sub"),
                List.of("--destination", dest, "--set", "file.fsink=true"),
                List.of("--destination", dest, "--run-id", "{nope}"),
                List.of("--logs", "/var/log/*.log"));
        List<String> expected = List.of("grase-period", "not valid YAML", "10x", "--child-timeout", "ftp", "cannot be written",
                "file.fsink", "{nope}", "no destination");
        LifeboatProcess.assertConfigurationErrors(dir, List.of(), cases, expected);
    }

    @Test
    void aCommandThatCannotRunIsReportedLikeAShellWould() throws Exception {
        LifeboatProcess lb = LifeboatProcess.start(dir, args("--", "/no/such/program", "arg"));
        assertEquals(127, lb.waitFor(60));
        assertTrue(lb.stderr().contains("cannot run '/no/such/program'"), lb.stderr());
    }

    @Test
    void argumentsReachTheChildExactly() throws Exception {
        List<String> odd = List.of("two words", "quote'\"", "$HOME", "ünïcødé", "", "*");
        List<String> a = new ArrayList<>(args("--", "sh", "-c", "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done", "sh"));
        a.addAll(odd);
        LifeboatProcess lb = LifeboatProcess.start(dir, a);
        assertEquals(0, lb.waitFor(60));
        StringBuilder expected = new StringBuilder();
        odd.forEach(s -> expected.append('[').append(s).append("]\n"));
        assertEquals(expected.toString(), new String(Files.readAllBytes(lb.stdout), StandardCharsets.UTF_8));
    }
}
