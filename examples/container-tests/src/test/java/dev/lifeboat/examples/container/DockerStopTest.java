package dev.lifeboat.examples.container;

import static dev.lifeboat.examples.container.Runs.SIGKILL_FALLBACK;
import static dev.lifeboat.examples.container.Runs.STOP_TIMEOUT_SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.examples.container.Podman.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker stop -t 10} with the docker CLI, through podman's Docker-compatible API, against the image built
 * from {@code examples/docker/Dockerfile} unchanged but for its base image: no registry is reachable, so the
 * build starts from a local image holding only the top-level directories, and the container gets the host's
 * {@code /usr} (Java included) and {@code /etc} bind-mounted read-only. The ENTRYPOINT, CMD and STOPSIGNAL are
 * the example's.
 */
@Tag("container")
@Timeout(180)
class DockerStopTest {
    private static final Duration STARTUP = Duration.ofSeconds(60);

    private static Podman podman;
    private static Process service;
    private static Path serviceLog;
    private static String dockerHost;
    private static String image;

    @TempDir
    Path tmp;

    /** Set up once, in the first test, so that a missing runtime shows as each test skipped. */
    @BeforeEach
    void startApiAndBuildTheExampleImage() throws Exception {
        podman = Podman.require();
        startOnce();
    }

    private static synchronized void startOnce() throws Exception {
        if (service != null) {
            return;
        }
        if (Podman.onPath("docker") == null) {
            String why = "the docker CLI is not installed: the docker stop test needs it (podman's API stands in for the engine)";
            System.out.println("SKIPPED: " + why);
            Assumptions.abort(why);
        }
        podman.ensureSkeletonImage();
        image = "localhost/lifeboat-example-test:" + UUID.randomUUID().toString().substring(0, 8);
        Path context = Files.createDirectories(podman.dir().resolve("example-build"));
        Path examples = PodmanStopTest.EXAMPLE_APP.getParent();
        Files.copy(examples.resolve("Dockerfile"), context.resolve("Dockerfile"));
        Files.copy(examples.resolve("run.sh"), context.resolve("run.sh"));
        Files.copy(Podman.JAR, context.resolve("lifeboat.jar"));
        podman.podman("build", "-q", "--from", Podman.SKELETON_IMAGE, "-t", image, context.toString()).ok();
        Podman.deleteTree(context);

        Path socket = podman.dir().resolve("podman.sock");
        serviceLog = podman.dir().resolve("podman-service.log");
        ProcessBuilder builder = new ProcessBuilder("podman", "--runtime", "runc", "system", "service", "--time=0",
                "unix://" + socket).redirectErrorStream(true).redirectOutput(serviceLog.toFile());
        podman.environment(builder.environment());
        service = builder.start();
        dockerHost = "unix://" + socket;
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Result version;
        do {
            Thread.sleep(200);
            version = podman.docker(dockerHost, "version", "--format", "{{.Server.Version}}");
        } while (version.exit() != 0 && service.isAlive() && System.nanoTime() < end);
        if (version.exit() != 0) {
            fail("podman's Docker API did not answer on " + socket + ": " + version.stderr() + Files.readString(serviceLog));
        }
    }

    @AfterAll
    static void stopApi() throws Exception {
        if (service != null) {
            service.destroy();
            if (!service.waitFor(15, TimeUnit.SECONDS)) {
                service.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (image != null) {
            podman.podman("rmi", "-f", image);
        }
    }

    @Test
    void dockerStopShipsEveryByteWrittenBeforeTheStop() throws Exception {
        Path archive = Files.createDirectories(tmp.resolve("archive"));
        Path logs = Files.createDirectories(tmp.resolve("logs"));
        String name = Podman.uniqueName("docker");
        try {
            podman.docker(dockerHost, "run", "-d", "--name", name,
                    "-v", "/usr:/usr:ro", "-v", "/etc:/etc:ro",
                    "-v", archive + ":/archive", "-v", logs + ":/var/log/app", image).ok();
            String pid1 = podman.docker(dockerHost, "exec", name, "cat", "/proc/1/cmdline").ok().out().replace('\0', ' ');
            assertTrue(pid1.startsWith("java -jar /opt/lifeboat/lifeboat.jar --destination file:///archive"), "PID 1: " + pid1);
            Runs.awaitLines(logs.resolve("app.log"), 20, STARTUP);

            Result stop = podman.docker(dockerHost, "stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

            List<String> fallbacks = Files.readAllLines(serviceLog).stream()
                    .filter(l -> l.contains(SIGKILL_FALLBACK) && l.contains(name)).toList();
            assertEquals(List.of(), fallbacks, "the runtime had to SIGKILL");
            assertTrue(stop.took().compareTo(Duration.ofSeconds(STOP_TIMEOUT_SECONDS)) < 0, "docker stop took " + stop.took());
            assertEquals("143", podman.docker(dockerHost, "inspect", "--format", "{{.State.ExitCode}}", name).ok().out().strip(),
                    "the exit code docker reports is the child's");

            Path runDir = Runs.onlyRunDir(archive);
            JsonNode manifest = Runs.manifest(runDir);
            Runs.assertCompleteAfterSigterm(manifest);
            assertEquals(143, manifest.at("/child/exitCode").asInt(), "child.exitCode");
            assertFalse(manifest.at("/child/killedAfterTimeout").asBoolean(), "child.killedAfterTimeout");
            assertEquals("[\"/app/run.sh\"]", manifest.get("command").toString(), "the image's CMD ran as the child");

            byte[] log = Runs.read(logs.resolve("app.log"));
            int lines = Runs.assertNumberedThenStopped(new String(log, StandardCharsets.UTF_8), "line");
            Runs.assertShippedBytes(runDir, manifest, "files/var/log/app/app.log", log);
            byte[] stdout = podman.docker(dockerHost, "logs", name).ok().stdout();
            assertEquals(lines, Runs.assertNumberedThenStopped(new String(stdout, StandardCharsets.UTF_8), "out"), "stdout lines");
            Runs.assertShippedBytes(runDir, manifest, "stdout.log", stdout);
            Runs.shipped(runDir, manifest, "stderr.log");
            Runs.record("docker stop -t 10, example Dockerfile", stop.took(), manifest);
        } finally {
            podman.docker(dockerHost, "rm", "-f", name);
        }
    }
}
