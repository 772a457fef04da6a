package dev.lifeboat.process;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Real processes through posix_spawn, each started through this JVM's one {@link Reaper}, which collects
 * its status; the tests may run in any order.
 */
@EnabledOnOs(OS.LINUX)
class TestChildProcess {
    private static final long LONG_NANOS = TimeUnit.SECONDS.toNanos(60);

    @TempDir
    Path dir;

    /** A child with its output captured. */
    private record Run(ChildProcess child, OutputCapture out, OutputCapture err) {
        String stdout(Path dir) throws Exception {
            return captured(out, dir);
        }

        String stderr(Path dir) throws Exception {
            return captured(err, dir);
        }

        private static String captured(OutputCapture capture, Path dir) throws Exception {
            assertTrue(capture.awaitDrained(LONG_NANOS), capture.name() + " drained");
            Path snapshot = dir.resolve(capture.name() + "-snapshot");
            capture.spool().snapshot(snapshot);
            return Files.readString(snapshot, UTF_8);
        }
    }

    private Run start(boolean ownProcessGroup, Map<String, String> env, long capacity, String... command)
            throws IOException {
        ChildProcess child = Reaper.get().spawn(List.of(command), env, ownProcessGroup);
        SpoolFile out = new SpoolFile(dir.resolve("stdout-" + child.pid()), capacity);
        SpoolFile err = new SpoolFile(dir.resolve("stderr-" + child.pid()), capacity);
        return new Run(child, OutputCapture.stdout(child, out), OutputCapture.stderr(child, err));
    }

    private Run start(boolean ownProcessGroup, String... command) throws IOException {
        return start(ownProcessGroup, System.getenv(), 1 << 20, command);
    }

    private Run start(String... command) throws IOException {
        return start(false, command);
    }

    /** Waits for the child's status from the reaper; returns Lifeboat's status. */
    private static int exitStatus(ChildProcess child) throws InterruptedException {
        Integer status = child.awaitExit(LONG_NANOS);
        assertNotNull(status, "the child " + child.pid() + " exited");
        return Posix.exitStatus(status);
    }

    private static String statusField(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        throw new AssertionError(field + " not in /proc/" + pid + "/status");
    }

    /** Fields of /proc/PID/stat after the command name: [0] state, [1] ppid, [2] pgrp, ... */
    private static String[] stat(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    /** Gone, or a zombie nobody has reaped yet: either way no longer running. */
    private static boolean isDead(long pid) {
        try {
            return stat(pid)[0].equals("Z");
        } catch (IOException e) {
            return true;
        }
    }

    private static void awaitDead(long pid) throws InterruptedException {
        long until = System.nanoTime() + LONG_NANOS;
        while (!isDead(pid) && System.nanoTime() - until < 0) {
            Thread.sleep(20);
        }
        assertTrue(isDead(pid), pid + " still runs");
    }

    private static long readPid(Path file) throws Exception {
        long until = System.nanoTime() + LONG_NANOS;
        while (System.nanoTime() - until < 0) {
            if (Files.exists(file)) {
                String s = Files.readString(file);
                if (s.endsWith("\n")) {
                    return Long.parseLong(s.trim());
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no pid in " + file);
    }

    @Test
    void exitCode() throws Exception {
        Run run = start("sh", "-c", "exit 3");
        assertEquals(3, exitStatus(run.child()));
        assertFalse(run.child().isAlive());
        assertEquals(3 << 8, run.child().exit().get());
    }

    @Test
    void deathBySignalIs128PlusN() throws Exception {
        Run run = start("sh", "-c", "kill -TERM $$");
        int status = exitStatus(run.child());
        assertEquals(128 + Signals.SIGTERM, status);
        assertEquals(Signals.SIGTERM, Posix.terminatingSignal(run.child().exit().get()));
    }

    @Test
    void waitStatusDecoding() {
        assertEquals(0, Posix.exitStatus(0));
        assertEquals(3, Posix.exitStatus(3 << 8));
        assertEquals(255, Posix.exitStatus(255 << 8));
        assertEquals(143, Posix.exitStatus(15));
        assertEquals(137, Posix.exitStatus(9));
        assertEquals(139, Posix.exitStatus(11 | 0x80), "a core dump does not change the status");
        assertEquals(0, Posix.terminatingSignal(3 << 8));
        assertEquals(9, Posix.terminatingSignal(9));
    }

    @Test
    void stdoutAndStderrAreCaptured() throws Exception {
        Run run = start("sh", "-c", "echo out-line; echo err-line >&2; printf partial");
        assertEquals(0, exitStatus(run.child()));
        assertEquals("out-line\npartial", run.stdout(dir));
        assertEquals("err-line\n", run.stderr(dir));
        assertEquals(null, run.out().spoolError());
    }

    @Test
    void outputBeyondTheLimitKeepsTheNewestBytes() throws Exception {
        Run run = start(false, System.getenv(), 1024, "sh", "-c",
                "i=0; while [ $i -lt 500 ]; do printf 'line %04d\\n' $i; i=$((i+1)); done");
        assertEquals(0, exitStatus(run.child()));
        String kept = run.stdout(dir);
        assertEquals(1024, kept.length());
        assertTrue(kept.endsWith("line 0498\nline 0499\n"), kept);
        assertEquals(500 * 10 - 1024, run.out().spool().dropped());
    }

    @Test
    void argumentsReachTheChildExactly() throws Exception {
        List<String> args = List.of("zero", "a b", "  spaced  ", "it's", "\"double\"", "back\\slash", "$HOME", "*", "",
                "new\nline", "tab\there", "-n", "--", ";|&<>");
        List<String> command = new ArrayList<>(List.of("sh", "-c", "printf '%s\\0' \"$0\" \"$@\""));
        command.addAll(args);
        Run run = start(command.toArray(new String[0]));
        assertEquals(0, exitStatus(run.child()));
        String out = run.stdout(dir);
        assertEquals(args, List.of(out.substring(0, out.length() - 1).split("\0", -1)));
    }

    @Test
    void unicodeArgumentsReachTheChildExactly() throws Exception {
        assumeTrue("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding")),
                "the JVM decodes arguments as " + System.getProperty("sun.jnu.encoding") + ", not UTF-8");
        List<String> args = List.of("zero", "r\u00e9sum\u00e9", "\u65e5\u672c\u8a9e", "\u2713 done", "\ud83d\ude80");
        List<String> command = new ArrayList<>(List.of("sh", "-c", "printf '%s\\n' \"$0\" \"$@\""));
        command.addAll(args);
        Run run = start(command.toArray(new String[0]));
        assertEquals(0, exitStatus(run.child()));
        assertEquals(String.join("\n", args) + "\n", run.stdout(dir));
    }

    @Test
    void theEnvironmentIsPassedAsGiven() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("LIFEBOAT_TEST", "a b=c");
        Run run = start(false, env, 4096, "sh", "-c", "printf '%s|%s' \"$LIFEBOAT_TEST\" \"${HOME-unset}\"");
        assertEquals(0, exitStatus(run.child()));
        assertEquals("a b=c|unset", run.stdout(dir));
    }

    @Test
    void aCommandThatDoesNotExistIsNamed() throws Exception {
        IOException e = assertThrows(IOException.class,
                () -> Reaper.get().spawn(List.of("lifeboat-no-such-command", "x"), System.getenv(), false));
        assertTrue(e.getMessage().contains("'lifeboat-no-such-command'"), e.getMessage());
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());

        Path notExecutable = Files.writeString(dir.resolve("script.sh"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(notExecutable, PosixFilePermissions.fromString("rw-r--r--"));
        e = assertThrows(IOException.class,
                () -> Reaper.get().spawn(List.of(notExecutable.toString()), System.getenv(), false));
        assertTrue(e.getMessage().contains(notExecutable.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("permission denied"), e.getMessage());
    }

    @Test
    void theChildHasAnEmptySignalMaskAndDefaultDispositions() throws Exception {
        // ignore a signal in this JVM for the moment, so that there is something not to pass on
        Signal ttou = new Signal("TTOU");
        SignalHandler previous = Signal.handle(ttou, SignalHandler.SIG_IGN);
        Run run;
        try {
            assertTrue(Long.parseLong(statusField(ProcessHandle.current().pid(), "SigIgn"), 16) != 0,
                    "this JVM ignores a signal");
            run = start("sleep", "30");
        } finally {
            Signal.handle(ttou, previous);
        }
        long pid = run.child().pid();
        assertEquals("0000000000000000", statusField(pid, "SigBlk"));
        assertEquals("0000000000000000", statusField(pid, "SigIgn"));
        assertTrue(run.child().signal(Signals.SIGTERM, false));
        assertEquals(128 + Signals.SIGTERM, exitStatus(run.child()));
        assertFalse(run.child().signal(Signals.SIGTERM, false), "no signal to a child that is gone");
    }

    @Test
    void withoutItsOwnGroupTheChildSharesOurs() throws Exception {
        Run run = start("sleep", "30");
        assertEquals(stat(ProcessHandle.current().pid())[2], stat(run.child().pid())[2]);
        assertFalse(run.child().ownProcessGroup());
        run.child().signal(Signals.SIGKILL, true); // no group of its own: the child alone
        assertEquals(128 + Signals.SIGKILL, exitStatus(run.child()));
    }

    @Test
    void aProcessGroupOfItsOwnAndSignalsToTheGroup() throws Exception {
        Path pidFile = dir.resolve("grandchild.pid");
        Run run = start(true, "sh", "-c", "sleep 60 & echo $! > '" + pidFile + "'; wait");
        long pid = run.child().pid();
        assertEquals(Long.toString(pid), stat(pid)[2], "pgid == pid");
        long grandchild = readPid(pidFile);
        assertEquals(Long.toString(pid), stat(grandchild)[2], "the grandchild is in the child's group");

        // to the child alone: the grandchild lives on
        assertTrue(run.child().signal(Signals.SIGTERM, false));
        assertEquals(128 + Signals.SIGTERM, exitStatus(run.child()));
        assertFalse(isDead(grandchild), "the grandchild survives a signal to the child alone");

        // to the group: it reaches what is left of it even after the child is gone
        assertTrue(run.child().signal(Signals.SIGTERM, true));
        awaitDead(grandchild);
        assertTrue(run.out().awaitDrained(LONG_NANOS), "the grandchild held the pipe until it died");
    }

    @Test
    void aSignalToTheGroupEndsTheWholeTree() throws Exception {
        Path pidFile = dir.resolve("grandchild.pid");
        Run run = start(true, "sh", "-c", "sleep 60 & echo $! > '" + pidFile + "'; wait");
        long grandchild = readPid(pidFile);
        assertTrue(run.child().signal(Signals.SIGTERM, true));
        assertEquals(128 + Signals.SIGTERM, exitStatus(run.child()));
        awaitDead(grandchild);
    }

    @Test
    void noDescriptorOfTheJvmLeaksIntoTheChild() throws Exception {
        // this JVM holds descriptors without close-on-exec (its jars among them); none may reach the child
        Run run = start("ls", "/proc/self/fd");
        assertEquals(0, exitStatus(run.child()));
        Set<Integer> fds = new TreeSet<>();
        for (String line : run.stdout(dir).split("\n")) {
            fds.add(Integer.parseInt(line.trim()));
        }
        assertTrue(fds.containsAll(Set.of(0, 1, 2)), fds.toString());
        assertEquals(4, fds.size(), "0, 1, 2 and the listing's own descriptor: " + fds);
    }

    @Test
    void theReaperCollectsTheChildAndReapsOrphans() throws Exception {
        assertTrue(Reaper.becomeSubreaper(), "prctl(PR_SET_CHILD_SUBREAPER)");
        Path pidFile = dir.resolve("orphan.pid");
        // the child exits at once and leaves a process behind, which comes to this JVM as an orphan
        Run run = start("sh", "-c", "sleep 1 & echo $! > '" + pidFile + "'; exit 3");
        Reaper reaper = Reaper.get();
        long before = reaper.orphansReaped();
        Integer status = run.child().awaitExit(LONG_NANOS);
        assertNotNull(status, "the reaper collected the child");
        assertEquals(3, Posix.exitStatus(status));
        long orphan = readPid(pidFile);
        long until = System.nanoTime() + LONG_NANOS;
        while (reaper.orphansReaped() == before && System.nanoTime() - until < 0) {
            Thread.sleep(20);
        }
        assertTrue(reaper.orphansReaped() > before, "the orphan was reaped");
        assertFalse(Files.exists(Path.of("/proc/" + orphan)), "no zombie left");
    }
}
