package dev.lifeboat.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real fat jar as a separate process, on the JVM under test ({@code lifeboat.java}), with its
 * output in files, and sends it real signals.
 */
final class LifeboatProcess {
    static final Path JAR = Path.of(System.getProperty("lifeboat.jar", "target/lifeboat.jar"));
    static final Path TEST_CLASSES = Path.of(System.getProperty("lifeboat.testClasses", "target/test-classes"));
    static final String JAVA = System.getProperty("lifeboat.java",
            Path.of(System.getProperty("java.home"), "bin", "java").toString());

    final Process process;
    final Path stdout;
    final Path stderr;
    private final long startedNanos = System.nanoTime();

    private LifeboatProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Skips (visibly) when the JVM under test is absent, e.g. no JDK 25 on this machine. */
    static void assumeJava() {
        assumeTrue(Files.isExecutable(Path.of(JAVA)), "the JVM under test is not installed here, skipped: " + JAVA);
        assumeTrue(Files.isRegularFile(JAR), "the fat jar has not been built: " + JAR);
    }

    static List<String> javaCommand(boolean withTestUploaders) {
        List<String> cmd = new ArrayList<>();
        cmd.add(JAVA);
        if (withTestUploaders) {
            cmd.add("-cp");
            cmd.add(JAR + ":" + TEST_CLASSES);
            cmd.add("dev.lifeboat.launcher.Main");
        } else {
            cmd.add("-jar");
            cmd.add(JAR.toString());
        }
        return cmd;
    }

    static LifeboatProcess start(Path workDir, List<String> args) throws IOException {
        return start(workDir, javaCommand(false), args);
    }

    static LifeboatProcess startWithTestUploaders(Path workDir, List<String> args) throws IOException {
        return start(workDir, javaCommand(true), args);
    }

    static LifeboatProcess start(Path workDir, List<String> prefix, List<String> args) throws IOException {
        return start(workDir, prefix, args, java.util.Map.of());
    }

    static LifeboatProcess start(Path workDir, List<String> prefix, List<String> args, java.util.Map<String, String> env)
            throws IOException {
        assumeJava();
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(args);
        Path out = Files.createTempFile(workDir, "lifeboat-", ".out");
        Path err = Files.createTempFile(workDir, "lifeboat-", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().remove("LIFEBOAT_CONFIG");
        // a plain launch: the JVM's suspend/resume signal where HotSpot puts it unless told otherwise
        pb.environment().remove("_JAVA_SR_SIGNUM");
        pb.environment().remove("_LIFEBOAT_SIGNALS");
        pb.environment().putAll(env);
        return new LifeboatProcess(pb.start(), out, err);
    }

    long pid() {
        return process.pid();
    }

    void signal(String name) throws IOException, InterruptedException {
        if (name.equals("TERM")) {
            process.destroy(); // SIGTERM, sent from this JVM without starting kill(1)
            return;
        }
        signal(process.pid(), name);
    }

    static void signal(long pid, String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + pid + " failed");
        }
    }

    /** SIGKILLs the process group {@code leader} leads: Lifeboat and its child together, as the kernel's OOM killer does. */
    static void killGroup(long leader) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-KILL", "--", "-" + leader).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -KILL -- -" + leader + " failed");
        }
    }

    /** Waits for the exit; fails the test if Lifeboat is still running after {@code seconds}. */
    int waitFor(long seconds) throws InterruptedException, IOException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("lifeboat still running after " + seconds + " s\nstderr:\n" + stderr());
        }
        return process.exitValue();
    }

    long elapsedMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** Lifeboat's own error lines. */
    List<String> errorLines() throws IOException {
        List<String> lines = new ArrayList<>();
        for (String line : stderr().split("\n")) {
            if (line.startsWith("lifeboat ") && line.contains(" error: ")) {
                lines.add(line);
            }
        }
        return lines;
    }

    /**
     * Runs Lifeboat with {@code common} and each case's options, and a child that would leave a marker:
     * each must exit 2 with one error line naming {@code expected[i]}, no stack trace, the child never started.
     */
    static void assertConfigurationErrors(Path dir, List<String> common, List<List<String>> cases, List<String> expected)
            throws Exception {
        for (int i = 0; i < cases.size(); i++) {
            Path marker = dir.resolve("child-ran-" + i);
            List<String> a = new ArrayList<>(common);
            a.addAll(cases.get(i));
            a.addAll(List.of("--", "touch", marker.toString()));
            LifeboatProcess lb = start(dir, a);
            assertEquals(2, lb.waitFor(60), "exit status for " + cases.get(i) + "\n" + lb.stderr());
            List<String> errors = lb.errorLines();
            assertEquals(1, errors.size(), "one error line for " + cases.get(i) + ":\n" + lb.stderr());
            assertTrue(errors.get(0).contains(expected.get(i)), "'" + expected.get(i) + "' named in: " + errors.get(0));
            assertFalse(lb.stderr().contains("\tat "), "no stack trace:\n" + lb.stderr());
            assertFalse(Files.exists(marker), "the child was not started for " + cases.get(i));
        }
    }

    /** Waits until {@code file} contains {@code text}. */
    static void awaitContent(Path file, String text, long seconds) throws IOException, InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < until) {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.UTF_8).contains(text)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(file + " does not contain '" + text + "' after " + seconds + " s");
    }

    static JsonNode json(Path file) throws IOException {
        return new ObjectMapper().readTree(file.toFile());
    }

    static String sha256(Path file) throws Exception {
        return sha256(Files.readAllBytes(file));
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
