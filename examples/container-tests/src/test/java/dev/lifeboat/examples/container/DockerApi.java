package dev.lifeboat.examples.container;

import static dev.lifeboat.examples.container.Runs.SIGKILL_FALLBACK;
import static dev.lifeboat.examples.container.Runs.STOP_TIMEOUT_SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.examples.container.Podman.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The docker CLI against podman's Docker-compatible API: {@code podman system service} on a socket of its own,
 * started by {@link #start(Podman)} and stopped by {@link #close()}. Its log is where podman says when a stop
 * had to fall back to SIGKILL.
 */
final class DockerApi implements AutoCloseable {
    private final Podman podman;
    private final Process service;
    private final Path serviceLog;
    private final String dockerHost;

    private DockerApi(Podman podman, Process service, Path serviceLog, String dockerHost) {
        this.podman = podman;
        this.service = service;
        this.serviceLog = serviceLog;
        this.dockerHost = dockerHost;
    }

    /** The API service, answering; an aborted test when there is no docker CLI. */
    static DockerApi start(Podman podman) throws IOException, InterruptedException {
        if (Podman.onPath("docker") == null) {
            String why = "the docker CLI is not installed: the docker stop tests need it (podman's API stands in for the engine)";
            System.out.println("SKIPPED: " + why);
            Assumptions.abort(why);
        }
        String id = Podman.uniqueName("api");
        Path socket = podman.dir().resolve(id + ".sock");
        Path serviceLog = podman.dir().resolve(id + ".log");
        ProcessBuilder builder = new ProcessBuilder("podman", "--runtime", "runc", "system", "service", "--time=0",
                "unix://" + socket).redirectErrorStream(true).redirectOutput(serviceLog.toFile());
        podman.environment(builder.environment());
        DockerApi api = new DockerApi(podman, builder.start(), serviceLog, "unix://" + socket);
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Result version;
        do {
            Thread.sleep(200);
            version = api.docker("version", "--format", "{{.Server.Version}}");
        } while (version.exit() != 0 && api.service.isAlive() && System.nanoTime() < end);
        if (version.exit() != 0) {
            api.close();
            fail("podman's Docker API did not answer on " + socket + ": " + version.stderr() + Files.readString(serviceLog));
        }
        return api;
    }

    /** {@code docker ARGS} against this service, bounded in time. */
    Result docker(String... args) {
        return podman.docker(dockerHost, args);
    }

    /**
     * After {@code docker stop} of the example application ({@code examples/docker/run.sh}) in container
     * {@code name}: no SIGKILL in the service's log, the stop under the timeout, exit code 143 as docker reports
     * it, a complete manifest whose command is the image's CMD, and every byte of the log file and of stdout (as
     * {@code docker logs} gives it) in the archive with the manifest's SHA-256. Returns the manifest.
     */
    JsonNode assertGracefulStop(String name, Result stop, Path archive, Path logs) throws IOException {
        List<String> fallbacks = Files.readAllLines(serviceLog).stream()
                .filter(l -> l.contains(SIGKILL_FALLBACK) && l.contains(name)).toList();
        assertEquals(List.of(), fallbacks, "the runtime had to SIGKILL");
        assertTrue(stop.took().compareTo(Duration.ofSeconds(STOP_TIMEOUT_SECONDS)) < 0, "docker stop took " + stop.took());
        assertEquals("143", docker("inspect", "--format", "{{.State.ExitCode}}", name).ok().out().strip(),
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
        byte[] stdout = docker("logs", name).ok().stdout();
        assertEquals(lines, Runs.assertNumberedThenStopped(new String(stdout, StandardCharsets.UTF_8), "out"), "stdout lines");
        Runs.assertShippedBytes(runDir, manifest, "stdout.log", stdout);
        Runs.shipped(runDir, manifest, "stderr.log");
        return manifest;
    }

    @Override
    public void close() throws InterruptedException {
        service.destroy();
        if (!service.waitFor(15, TimeUnit.SECONDS)) {
            service.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
