package dev.lifeboat.examples.container;

import static dev.lifeboat.examples.container.Runs.STOP_TIMEOUT_SECONDS;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.examples.container.Podman.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker stop -t 10} with the docker CLI, through podman's Docker-compatible API, against an image that
 * runs the fat jar with plain {@code java -jar}, as an image that already has a JRE may
 * ({@code src/test/resources/jre-image/Containerfile}, built with the example's {@code run.sh}). No registry is
 * reachable, so the build starts from a local image holding only the top-level directories, and the container
 * gets the host's {@code /usr} (Java included) and {@code /etc} bind-mounted read-only. The distribution's image
 * under {@code docker stop} is {@link DistributionImageTest}'s.
 */
@Tag("container")
@Timeout(180)
class DockerStopTest {
    private static final Duration STARTUP = Duration.ofSeconds(60);

    private static Podman podman;
    private static DockerApi api;
    private static String image;

    @TempDir
    Path tmp;

    /** Set up once, in the first test, so that a missing runtime shows as each test skipped. */
    @BeforeEach
    void startApiAndBuildTheImage() throws Exception {
        podman = Podman.require();
        startOnce();
    }

    private static synchronized void startOnce() throws Exception {
        if (api != null) {
            return;
        }
        podman.ensureSkeletonImage();
        Path context = Files.createDirectories(podman.dir().resolve("jre-build"));
        Files.copy(Path.of(DockerStopTest.class.getResource("/jre-image/Containerfile").toURI()), context.resolve("Containerfile"));
        Files.copy(PodmanStopTest.EXAMPLE_APP, context.resolve("run.sh"));
        Files.copy(Podman.JAR, context.resolve("lifeboat.jar"));
        String tag = "localhost/lifeboat-jre-test:" + UUID.randomUUID().toString().substring(0, 8);
        podman.podman("build", "-q", "--layers=false", "--from", Podman.SKELETON_IMAGE, "-t", tag, context.toString()).ok();
        image = tag;
        Podman.deleteTree(context);
        api = DockerApi.start(podman);
    }

    @AfterAll
    static void stopApi() throws Exception {
        if (api != null) {
            api.close();
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
            api.docker("run", "-d", "--name", name,
                    "-v", "/usr:/usr:ro", "-v", "/etc:/etc:ro",
                    "-v", archive + ":/archive", "-v", logs + ":/var/log/app", image).ok();
            String pid1 = api.docker("exec", name, "cat", "/proc/1/cmdline").ok().out().replace('\0', ' ');
            assertTrue(pid1.startsWith("java -jar /opt/lifeboat/lifeboat.jar --destination file:///archive"), "PID 1: " + pid1);
            Runs.awaitLines(logs.resolve("app.log"), 20, STARTUP);

            Result stop = api.docker("stop", "-t", String.valueOf(STOP_TIMEOUT_SECONDS), name).ok();

            JsonNode manifest = api.assertGracefulStop(name, stop, archive, logs);
            Runs.record("docker stop -t 10, java -jar", stop.took(), manifest);
        } finally {
            api.docker("rm", "-f", name);
        }
    }
}
