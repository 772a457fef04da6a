package dev.lifeboat.examples.container;

import static dev.lifeboat.examples.container.Runs.SIGKILL_FALLBACK;
import static dev.lifeboat.examples.container.Runs.STOP_TIMEOUT_SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.examples.container.Podman.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hardened container of {@code examples/docker/pod.yaml} under a real runtime: Lifeboat as PID 1 of a podman
 * container whose root filesystem is read-only ({@code --read-only}, and {@code --read-only-tmpfs=false} so that
 * podman puts no writable tmpfs on {@code /tmp}, {@code /run} and {@code /var/tmp}: the default spool
 * {@code /tmp/lifeboat} cannot be written), that runs as a non-root user ({@code --user 65534:65534}) with no
 * capabilities ({@code --cap-drop=ALL}) and no privilege escalation ({@code no-new-privileges}). Only bind-mounted
 * volumes are writable: the {@code file:///archive} destination, the application's log folder and, in some cases,
 * the spool. {@code /dev/shm} is left as podman mounts it: a 64 MB tmpfs, {@code nosuid,nodev,noexec}, as Docker
 * and Kubernetes mount it too. Each test first checks, inside the running container, that the hardening took
 * effect, then stops the container with {@code podman stop -t 10}.
 *
 * <p>Proven, as the README's "A read-only root filesystem" says:
 * <ul>
 *   <li>With the distribution's {@code bin/lifeboat} (JNA's library loaded where it lies) and no spool volume, the
 *       application still starts; Lifeboat warns once that {@code /tmp/lifeboat} cannot be written, keeps the
 *       captured output in a folder of {@code /dev/shm} while the child runs, and at the stop ships every byte of
 *       stdout and of the log file, with a manifest whose {@code environment} names the problem; the exit code the
 *       runtime records is the application's.</li>
 *   <li>With plain {@code java -jar} and no spool volume, JNA's library has nowhere to be unpacked and loaded from
 *       (a read-only root, a {@code noexec} {@code /dev/shm}): one error line says so and how to fix it, exit 2,
 *       and the application is not started (Lifeboat could not supervise it).</li>
 *   <li>With a writable volume as the spool, given through {@code LIFEBOAT_SPOOL_DIR} as in pod.yaml or through
 *       {@code --spool-dir}, plain {@code java -jar} warns of nothing, keeps its local manifest copy on that
 *       volume, ships the same and writes no {@code environment} into the manifest.</li>
 * </ul>
 */
@Tag("container")
@Timeout(180)
class ReadOnlyRootTest {
    /** nobody:nogroup: not root, and the owner of nothing in the image (the machine's root). */
    private static final String USER = "65534:65534";
    /** The spool volume's mount point, as in pod.yaml. */
    private static final String SPOOL = "/var/lib/lifeboat";
    private static final String SPOOL_WARNING = "--spool-dir: cannot write to /tmp/lifeboat: ";
    private static final Pattern MEMORY_FOLDER = Pattern.compile("kept in memory instead \\((/dev/shm/[^,]+), ");
    private static final Duration STARTUP = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private Podman podman;
    private Path archive;
    private Path logs;
    private final List<String> containers = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        podman = Podman.require();
        archive = writableByAnyone(tmp.resolve("archive"));
        logs = writableByAnyone(tmp.resolve("logs"));
    }

    @AfterEach
    void removeContainers() {
        if (podman != null) {
            containers.forEach(podman::remove);
        }
    }

    @Test
    void withoutASpoolVolumeTheChildStartsAndItsOutputIsKeptInMemoryAndShippedAtTheStop() throws Exception {
        Path distribution = distribution();
        List<String> command = new ArrayList<>(lifeboat());
        command.subList(0, 3).clear();
        command.add(0, "/opt/lifeboat/bin/lifeboat");
        String name = start("read-only-memory", List.of("-v", distribution + ":/opt/lifeboat:ro"), command);
        awaitChild(name);
        assertHardened(name);

        String lifeboatLog = podman.podman("logs", name).ok().stderr();
        List<String> warnings = lifeboatLog.lines().filter(l -> l.contains("warning:")).toList();
        assertEquals(1, warnings.size(), "Lifeboat warns once, of the spool: " + lifeboatLog);
        assertTrue(warnings.get(0).contains("warning: " + SPOOL_WARNING), "the warning: " + warnings.get(0));
        Matcher memory = MEMORY_FOLDER.matcher(warnings.get(0));
        assertTrue(memory.find(), "the warning names a folder of /dev/shm: " + warnings.get(0));
        // While the child runs its stdout is captured into that folder, on the memory filesystem.
        Result inMemory = podman.podman("exec", name, "sh", "-c", "stat -f -c %T \"$1\" && test -s \"$1/stdout.spool\"",
                "sh", memory.group(1));
        assertEquals(0, inMemory.exit(), memory.group(1) + " holds no captured stdout: " + inMemory.out() + inMemory.stderr());
        assertEquals("tmpfs", inMemory.out().strip(), "the file system of " + memory.group(1));

        Result stop = podman.podman("stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

        JsonNode manifest = assertEverythingShipped(name, stop);
        JsonNode environment = manifest.get("environment");
        assertTrue(environment != null && environment.isArray() && environment.size() == 1,
                "manifest environment lists the one problem: " + environment);
        String problem = environment.get(0).asText();
        assertTrue(problem.startsWith(SPOOL_WARNING), "environment[0]: " + problem);
        assertTrue(problem.contains("Read-only file system"), "environment[0] says why: " + problem);
        assertTrue(problem.contains("(" + memory.group(1) + ", "), "environment[0] names the memory folder: " + problem);
        assertTrue(problem.contains("given up: "), "environment[0] says what was given up: " + problem);
        assertTrue(warnings.get(0).endsWith("warning: " + problem), "the manifest's problem is the warning's text: " + warnings.get(0));
        Runs.record("podman stop -t 10, read-only root, spool in memory", stop.took(), manifest);
    }

    @Test
    void plainJavaJarWithoutASpoolVolumeSaysWhyInOneLineAndStartsNothing() throws Exception {
        String name = start("read-only-no-native", List.of(), lifeboat());
        long end = System.nanoTime() + STARTUP.toNanos();
        while (podman.podman("inspect", "--format", "{{.State.Running}}", name).ok().out().strip().equals("true")) {
            assertTrue(System.nanoTime() < end, "Lifeboat still runs after " + STARTUP.toSeconds() + " s");
            Thread.sleep(200);
        }
        assertEquals(2, podman.exitCode(name), "exit 2: " + podman.podman("logs", name).stderr());
        assertFalse(Files.exists(logs.resolve("app.log")), "the application never started");
        String log = podman.podman("logs", name).ok().stderr();
        List<String> errors = log.lines().filter(l -> l.contains(" error: ")).toList();
        assertEquals(1, errors.size(), "one error line: " + log);
        assertTrue(errors.get(0).contains("noexec") && errors.get(0).contains("LIFEBOAT_SPOOL_DIR")
                && errors.get(0).contains("bin/lifeboat"), "it says why and what to do: " + errors.get(0));
        assertFalse(log.contains("\tat "), "no stack trace: " + log);
    }

    /**
     * pod.yaml's way: an emptyDir (here a bind-mounted folder) as the spool, given through the environment as there,
     * or through {@code --spool-dir}, which the README's table of options gives as its equal.
     */
    @ParameterizedTest(name = "spool volume given by {0}")
    @ValueSource(strings = {"LIFEBOAT_SPOOL_DIR", "--spool-dir"})
    void withASpoolVolumeNothingIsWorkedAroundAndEverythingIsShipped(String givenBy) throws Exception {
        Path spool = writableByAnyone(tmp.resolve("spool"));
        List<String> options = new ArrayList<>(List.of("-v", spool + ":" + SPOOL));
        List<String> command;
        if (givenBy.equals("LIFEBOAT_SPOOL_DIR")) {
            options.addAll(List.of("-e", "LIFEBOAT_SPOOL_DIR=" + SPOOL));
            command = lifeboat();
        } else {
            command = lifeboat("--spool-dir", SPOOL);
        }
        String name = start("read-only-spool", options, command);
        awaitChild(name);
        assertHardened(name);

        Result stop = podman.podman("stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

        String lifeboatLog = podman.podman("logs", name).ok().stderr();
        assertFalse(lifeboatLog.contains("warning"), "Lifeboat warned: " + lifeboatLog);
        JsonNode manifest = assertEverythingShipped(name, stop);
        JsonNode environment = manifest.get("environment");
        assertTrue(environment == null || environment.isNull() || environment.isEmpty(), "manifest environment: " + environment);
        // The spool really was the volume: the local copy of the manifest is there, the same bytes as the archive's.
        byte[] shippedManifest = Runs.read(Runs.onlyRunDir(archive).resolve("manifest.json"));
        try (Stream<Path> files = Files.walk(spool)) {
            List<Path> copies = files.filter(Files::isRegularFile)
                    .filter(p -> Arrays.equals(shippedManifest, Runs.read(p))).toList();
            assertEquals(1, copies.size(), "copies of manifest.json in the spool volume: " + copies);
        }
        Runs.record("podman stop -t 10, read-only root, " + givenBy, stop.took(), manifest);
    }

    /**
     * Waits until the child has written 20 lines to its log file, failing at once, with what Lifeboat wrote, when
     * the container ends before the child's first line.
     */
    private void awaitChild(String name) throws IOException, InterruptedException {
        Path log = logs.resolve("app.log");
        long end = System.nanoTime() + STARTUP.toNanos();
        while (!Files.exists(log) && System.nanoTime() < end) {
            String running = podman.podman("inspect", "--format", "{{.State.Running}}", name).ok().out().strip();
            if (!running.equals("true") && !Files.exists(log)) {
                fail("the container ended, exit code " + podman.exitCode(name) + ", before the child wrote a line;"
                        + " Lifeboat wrote:\n" + podman.podman("logs", name).stderr().strip());
            }
            Thread.sleep(300);
        }
        Runs.awaitLines(log, 20, STARTUP);
    }

    /** Inside the running container: PID 1 is the non-root user, without capabilities, and / and /tmp are read-only. */
    private void assertHardened(String name) {
        List<String> status = podman.podman("exec", name, "cat", "/proc/1/status").ok().out().lines().toList();
        assertTrue(status.contains("Uid:\t65534\t65534\t65534\t65534"), "PID 1's user: " + status);
        assertTrue(status.contains("Gid:\t65534\t65534\t65534\t65534"), "PID 1's group: " + status);
        assertTrue(status.contains("CapEff:\t0000000000000000"), "PID 1's effective capabilities: " + status);
        assertTrue(status.contains("CapBnd:\t0000000000000000"), "PID 1's capability bounding set: " + status);
        assertTrue(status.contains("NoNewPrivs:\t1"), "PID 1's no_new_privs: " + status);
        for (String folder : List.of("/tmp", "/")) {
            Result probe = podman.podman("exec", name, "touch", folder + "/lifeboat-probe");
            assertNotEquals(0, probe.exit(), folder + " can be written");
            assertTrue(probe.stderr().contains("Read-only file system"), "writing to " + folder + ": " + probe.stderr());
        }
    }

    /** After the stop of the example application: see {@link Runs#assertGracefulStop}; nothing on stderr. */
    private JsonNode assertEverythingShipped(String name, Result stop) throws IOException {
        JsonNode manifest = Runs.assertGracefulStop(podman, name, stop, archive, logs);
        Runs.assertShippedBytes(archive.resolve("r1"), manifest, "stderr.log", new byte[0]);
        return manifest;
    }

    /** The Lifeboat command line of every test, with {@code options} before "--" and the example application after. */
    private static List<String> lifeboat(String... options) {
        List<String> command = new ArrayList<>(List.of("java", "-jar", "/opt/lifeboat/lifeboat.jar",
                "--destination", "file:///archive", "--logs", "/var/log/app/*.log",
                "--grace-period", "8s", "--child-timeout", "3s", "--run-id", "r1"));
        command.addAll(List.of(options));
        command.addAll(List.of("--", "/app/run.sh"));
        return command;
    }

    /**
     * Starts a detached, hardened container on the machine's root (overlay, read-only) with the jar and the
     * application mounted read-only and the archive and log folder as writable volumes.
     */
    private String start(String what, List<String> runOptions, List<String> command) {
        String name = Podman.uniqueName(what);
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name,
                "--read-only", "--read-only-tmpfs=false",
                "--user", USER, "--cap-drop=ALL", "--security-opt", "no-new-privileges"));
        args.addAll(runOptions);
        args.addAll(List.of(
                "-v", Podman.JAR + ":/opt/lifeboat/lifeboat.jar:ro",
                "-v", PodmanStopTest.EXAMPLE_APP + ":/app/run.sh:ro",
                "-v", archive + ":/archive",
                "-v", logs + ":/var/log/app",
                "--rootfs", "/:O"));
        args.addAll(command);
        containers.add(name);
        podman.podman(args.toArray(String[]::new)).ok();
        return name;
    }

    /** The unpacked distribution beside the fat jar (launcher/target/lifeboat-VERSION), made by mvn package. */
    private static Path distribution() throws IOException {
        try (Stream<Path> files = Files.list(Podman.JAR.toAbsolutePath().getParent())) {
            return files.filter(p -> p.getFileName().toString().startsWith("lifeboat-")
                    && Files.isExecutable(p.resolve("bin/lifeboat"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no distribution beside " + Podman.JAR + ": mvn package makes it"));
        }
    }

    /** A host folder the container's user (not the test's) can write: what an emptyDir with fsGroup gives in Kubernetes. */
    private static Path writableByAnyone(Path folder) throws IOException {
        Files.createDirectories(folder);
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxrwxrwx"));
        return folder;
    }
}
