package dev.lifeboat.examples.container;

import static dev.lifeboat.examples.container.Runs.SIGKILL_FALLBACK;
import static dev.lifeboat.examples.container.Runs.STOP_TIMEOUT_SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.examples.container.Podman.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real fat jar as the PID 1 of a real podman container, stopped by {@code podman stop -t 10}: podman sends
 * SIGTERM to PID 1 and SIGKILL after 10 s, as Docker does. The archive and the log directory are bind-mounted
 * from the host, so the test compares the archive's copies with what the child really wrote.
 */
@Tag("container")
@Timeout(180)
class PodmanStopTest {
    /** The example application: numbered lines to /var/log/app/app.log and stdout, a last line on SIGTERM, exit 143. */
    static final Path EXAMPLE_APP = Path.of(System.getProperty("lifeboat.examples.dir", "../docker"), "run.sh")
            .toAbsolutePath().normalize();
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
        archive = Files.createDirectories(tmp.resolve("archive"));
        logs = Files.createDirectories(tmp.resolve("logs"));
    }

    @AfterEach
    void removeContainers() {
        if (podman != null) {
            containers.forEach(podman::remove);
        }
    }

    @Test
    void podmanStopShipsEveryByteWrittenBeforeTheStop() throws Exception {
        stopGracefully("exec", List.of(), "java -jar /opt/lifeboat/lifeboat.jar", "podman stop -t 10, exec form");
    }

    @Test
    void initInFrontOfLifeboatForwardsTheStop() throws Exception {
        // podman's --init puts catatonit, mounted as /run/podman-init, in front of Lifeboat as PID 1.
        stopGracefully("init", List.of("--init"), "/run/podman-init -- java -jar /opt/lifeboat/lifeboat.jar",
                "podman stop -t 10, --init (catatonit)");
    }

    private void stopGracefully(String what, List<String> runOptions, String pid1Prefix, String scenario) throws Exception {
        String name = start(what, runOptions, lifeboat("/app/run.sh"));
        String pid1 = podman.pid1(name);
        assertTrue(pid1.startsWith(pid1Prefix), "PID 1: " + pid1);
        Runs.awaitLines(logs.resolve("app.log"), 20, STARTUP);

        Result stop = podman.podman("stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

        JsonNode manifest = assertGracefulStop(name, stop);
        Runs.record(scenario, stop.took(), manifest);
    }

    @Test
    void childIgnoringSigtermIsKilledByLifeboatBeforeTheRuntimeKillsLifeboat() throws Exception {
        String name = start("ignore-term", List.of(), lifeboat("sh", "-c",
                "trap '' TERM; i=0; while :; do i=$((i+1)); echo \"line $i\" >> /var/log/app/app.log; sleep 0.05; done"));
        Runs.awaitLines(logs.resolve("app.log"), 20, STARTUP);

        Result stop = podman.podman("stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

        assertFalse(stop.stderr().contains(SIGKILL_FALLBACK), "podman had to SIGKILL Lifeboat: " + stop.stderr());
        assertTrue(stop.took().compareTo(Duration.ofSeconds(STOP_TIMEOUT_SECONDS)) < 0, "podman stop took " + stop.took());
        assertTrue(stop.took().compareTo(Duration.ofSeconds(3)) >= 0,
                "the stop took " + stop.took() + ", shorter than the 3 s child timeout the child should have used up");
        assertEquals(137, podman.exitCode(name), "the runtime records the child's status: SIGKILL, 128+9");

        Path runDir = archive.resolve("r1");
        JsonNode manifest = Runs.manifest(runDir);
        Runs.assertCompleteAfterSigterm(manifest);
        assertEquals("SIGKILL", manifest.at("/child/signal").asText(), "child.signal");
        assertEquals(137, manifest.at("/child/status").asInt(), "child.status");
        assertTrue(manifest.at("/child/killedAfterTimeout").asBoolean(), "child.killedAfterTimeout");
        // Nothing writes after the SIGKILL, so the host's file is final and the archive must equal it.
        Runs.assertShippedBytes(runDir, manifest, "files/var/log/app/app.log", Runs.read(logs.resolve("app.log")));
        Runs.record("podman stop -t 10, child ignores SIGTERM", stop.took(), manifest);
    }

    @Test
    void shellFormLeavesShAsPid1AndTheRuntimeKillsEverythingAfterTheTimeout() throws Exception {
        // What `CMD java -jar ...` (shell form) gives: /bin/sh -c as PID 1, Lifeboat its child.
        String shellForm = String.join(" ", lifeboat("/app/run.sh")).replace("/var/log/app/*.log", "'/var/log/app/*.log'");
        String name = start("shell-form", List.of(), List.of("/bin/sh", "-c", shellForm));
        String pid1 = podman.pid1(name);
        assertTrue(pid1.startsWith("/bin/sh -c java -jar"), "PID 1: " + pid1);
        Runs.awaitLines(logs.resolve("app.log"), 20, STARTUP);

        Result stop = podman.podman("stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

        // sh as PID 1 has no SIGTERM handler, so the kernel drops the signal: nobody hears it, podman waits
        // out the whole timeout and SIGKILLs the container. Lifeboat never learns of the stop.
        assertTrue(stop.stderr().contains(SIGKILL_FALLBACK), "podman stop printed: " + stop.stderr());
        assertTrue(stop.took().compareTo(Duration.ofSeconds(STOP_TIMEOUT_SECONDS)) >= 0, "podman stop took only " + stop.took());
        assertEquals(137, podman.exitCode(name), "exit code");
        String lifeboatLog = podman.podman("logs", name).stderr();
        assertFalse(lifeboatLog.contains("received SIGTERM"), "Lifeboat saw the stop: " + lifeboatLog);
        // only the run's claim on its folder, made while the child ran: no log, no output, no manifest
        try (Stream<Path> shipped = Files.walk(archive)) {
            assertEquals(List.of(archive.resolve("r1/claim.json")), shipped.filter(Files::isRegularFile).toList(),
                    "nothing but the claim reaches the archive");
        }
        assertFalse(Files.readString(logs.resolve("app.log")).contains("stopping after line"), "the child heard SIGTERM");
        Runs.record("podman stop -t 10, shell form (broken)", stop.took(), null);
    }

    @Test
    void childCrashingOnItsOwnIsShippedAndItsStatusIsTheContainers() throws Exception {
        String name = start("crash", List.of(), lifeboat("sh", "-c",
                "echo boom; echo boom-err >&2; echo crashed >> /var/log/app/app.log; kill -SEGV $$"));

        Result wait = podman.podman("wait", name).ok();

        assertEquals("139", wait.out().strip(), "podman wait");
        assertEquals(139, podman.exitCode(name), "the runtime records the child's status: SIGSEGV, 128+11");
        Path runDir = archive.resolve("r1");
        JsonNode manifest = Runs.manifest(runDir);
        assertEquals("CHILD_CRASH", manifest.at("/stop/reason").asText(), "stop.reason");
        assertEquals("SIGSEGV", manifest.at("/stop/signal").asText(), "stop.signal");
        assertEquals("SIGSEGV", manifest.at("/child/signal").asText(), "child.signal");
        assertEquals(139, manifest.at("/child/status").asInt(), "child.status");
        assertFalse(manifest.at("/child/killedAfterTimeout").asBoolean(), "child.killedAfterTimeout");
        assertTrue(manifest.get("allShipped").asBoolean(), "allShipped");
        Runs.assertShippedBytes(runDir, manifest, "stdout.log", "boom\n".getBytes(StandardCharsets.UTF_8));
        Runs.assertShippedBytes(runDir, manifest, "stderr.log", "boom-err\n".getBytes(StandardCharsets.UTF_8));
        Runs.assertShippedBytes(runDir, manifest, "files/var/log/app/app.log", "crashed\n".getBytes(StandardCharsets.UTF_8));
    }

    /** After a stop of the example application: see {@link Runs#assertGracefulStop}; stderr shipped too. */
    private JsonNode assertGracefulStop(String name, Result stop) throws IOException {
        JsonNode manifest = Runs.assertGracefulStop(podman, name, stop, archive, logs);
        Runs.shipped(archive.resolve("r1"), manifest, "stderr.log");
        return manifest;
    }

    /** The Lifeboat command line every test runs, with {@code child} after "--". */
    private static List<String> lifeboat(String... child) {
        List<String> command = new ArrayList<>(List.of("java", "-jar", "/opt/lifeboat/lifeboat.jar",
                "--destination", "file:///archive", "--logs", "/var/log/app/*.log",
                "--grace-period", "8s", "--child-timeout", "3s", "--run-id", "r1", "--"));
        command.addAll(List.of(child));
        return command;
    }

    /** Starts a detached container on the machine's root (overlay) with the jar, app, archive and logs mounted. */
    private String start(String what, List<String> runOptions, List<String> command) {
        String name = Podman.uniqueName(what);
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name));
        args.addAll(runOptions);
        args.addAll(List.of(
                "-v", Podman.JAR + ":/opt/lifeboat/lifeboat.jar:ro",
                "-v", EXAMPLE_APP + ":/app/run.sh:ro",
                "-v", archive + ":/archive",
                "-v", logs + ":/var/log/app",
                "--rootfs", "/:O"));
        args.addAll(command);
        containers.add(name);
        podman.podman(args.toArray(String[]::new)).ok();
        return name;
    }
}
