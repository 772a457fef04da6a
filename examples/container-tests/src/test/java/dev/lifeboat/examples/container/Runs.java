package dev.lifeboat.examples.container;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reading what one Lifeboat run left in a bind-mounted {@code file://} archive, and the checks the tests share. */
final class Runs {
    /** The runtime's stop timeout in every test: Docker's default. */
    static final int STOP_TIMEOUT_SECONDS = 10;
    /** What podman prints (to the caller, or in the API service's log) when SIGTERM did not stop a container. */
    static final String SIGKILL_FALLBACK = "resorting to SIGKILL";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NUMBERED = Pattern.compile("line (\\d+)");

    private Runs() {}

    /** The one run folder under the archive holding a manifest (the run id may be the default {hostname}/{start}). */
    static Path onlyRunDir(Path archive) throws IOException {
        try (Stream<Path> files = Files.walk(archive)) {
            List<Path> manifests = files.filter(p -> p.getFileName().toString().equals("manifest.json")).toList();
            assertEquals(1, manifests.size(), "manifest.json files under " + archive + ": " + manifests);
            return manifests.get(0).getParent();
        }
    }

    static JsonNode manifest(Path runDir) throws IOException {
        Path manifest = runDir.resolve("manifest.json");
        assertTrue(Files.isRegularFile(manifest), "no manifest.json in " + runDir);
        return JSON.readTree(manifest.toFile());
    }

    /** The manifest's entry for a key, after checking that the archive's copy has the size and SHA-256 it names. */
    static JsonNode shipped(Path runDir, JsonNode manifest, String key) throws IOException {
        JsonNode entry = null;
        for (JsonNode file : manifest.get("files")) {
            if (file.get("key").asText().equals(key)) {
                entry = file;
            }
        }
        assertNotNull(entry, "manifest.json lists no file " + key + ": " + manifest.get("files"));
        byte[] archived = Files.readAllBytes(runDir.resolve(key));
        assertEquals(entry.get("size").asLong(), archived.length, "size of " + key);
        assertEquals(entry.get("sha256").asText(), sha256(archived), "SHA-256 of the archive's " + key);
        return entry;
    }

    /** The archive's copy of {@code key} holds exactly {@code expected}, and the manifest's SHA-256 is theirs. */
    static void assertShippedBytes(Path runDir, JsonNode manifest, String key, byte[] expected) throws IOException {
        JsonNode entry = shipped(runDir, manifest, key);
        assertArrayEquals(expected, Files.readAllBytes(runDir.resolve(key)), "the archive's " + key + " differs from the original");
        assertEquals(sha256(expected), entry.get("sha256").asText(), "manifest SHA-256 of " + key);
    }

    /**
     * A manifest written after a stop signal: reason SIGNAL/SIGTERM, every file shipped, nothing left out,
     * and the timestamps in order.
     */
    static void assertCompleteAfterSigterm(JsonNode manifest) {
        assertEquals("SIGNAL", manifest.at("/stop/reason").asText(), "stop.reason");
        assertEquals("SIGTERM", manifest.at("/stop/signal").asText(), "stop.signal");
        assertTrue(manifest.get("allShipped").asBoolean(), "allShipped: " + manifest);
        assertEquals(0, manifest.get("notShipped").size(), "notShipped: " + manifest.get("notShipped"));
        Instant started = instant(manifest, "startedAt");
        Instant stopRequested = instant(manifest, "stopRequestedAt");
        Instant childExited = instant(manifest, "childExitedAt");
        Instant finished = instant(manifest, "finishedAt");
        assertFalse(stopRequested.isBefore(started), "stopRequestedAt before startedAt");
        assertFalse(childExited.isBefore(stopRequested), "childExitedAt before stopRequestedAt");
        assertFalse(finished.isBefore(childExited), "finishedAt before childExitedAt");
    }

    static Instant instant(JsonNode manifest, String field) {
        JsonNode value = manifest.get(field);
        assertNotNull(value, "manifest.json has no " + field);
        return Instant.parse(value.asText());
    }

    /**
     * The log the example application ({@code examples/docker/run.sh}) wrote: "line 1" to "line N" with no gap,
     * then its TERM handler's "stopping after line N". Returns N.
     */
    static int assertNumberedThenStopped(String text, String lineWord) {
        List<String> lines = text.lines().toList();
        assertTrue(lines.size() >= 2, "too few lines: " + text);
        int n = lines.size() - 1;
        for (int i = 0; i < n; i++) {
            assertEquals(lineWord + " " + (i + 1), lines.get(i), "line " + (i + 1));
        }
        assertEquals("stopping after line " + n, lines.get(n), "the TERM handler's last line");
        return n;
    }

    /** Waits, bounded, until the child has written at least {@code lines} numbered lines to the file. */
    static void awaitLines(Path file, int lines, Duration max) throws IOException, InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(file) && highestLine(Files.readString(file)) >= lines) {
                return;
            }
            Thread.sleep(100);
        }
        fail(file + " did not reach " + lines + " lines within " + max.toSeconds() + " s"
                + (Files.exists(file) ? "; it holds: " + Files.readString(file) : "; it does not exist"));
    }

    private static int highestLine(String text) {
        int highest = 0;
        Matcher m = NUMBERED.matcher(text);
        while (m.find()) {
            highest = Math.max(highest, Integer.parseInt(m.group(1)));
        }
        return highest;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * After {@code podman stop} of the example application in container {@code name}, run id {@code r1}: no
     * SIGKILL, exit code 143 recorded, a complete manifest, and every byte of the log file (the host's copy, what
     * the child wrote up to its TERM handler's line) and of stdout (passed through to the container's log, and a
     * copy kept) in the archive with the manifest's SHA-256. Returns the manifest.
     */
    static JsonNode assertGracefulStop(Podman podman, String name, Podman.Result stop, Path archive, Path logs)
            throws IOException {
        assertFalse(stop.stderr().contains(SIGKILL_FALLBACK), "podman had to SIGKILL: " + stop.stderr());
        assertTrue(stop.took().compareTo(Duration.ofSeconds(STOP_TIMEOUT_SECONDS)) < 0, "podman stop took " + stop.took());
        assertEquals(143, podman.exitCode(name), "the runtime records the child's exit code");

        Path runDir = archive.resolve("r1");
        JsonNode manifest = manifest(runDir);
        assertCompleteAfterSigterm(manifest);
        assertEquals(143, manifest.at("/child/exitCode").asInt(), "child.exitCode");
        assertEquals(143, manifest.at("/child/status").asInt(), "child.status");
        assertFalse(manifest.at("/child/killedAfterTimeout").asBoolean(), "child.killedAfterTimeout");

        byte[] log = read(logs.resolve("app.log"));
        int lines = assertNumberedThenStopped(new String(log, java.nio.charset.StandardCharsets.UTF_8), "line");
        assertShippedBytes(runDir, manifest, "files/var/log/app/app.log", log);

        byte[] stdout = podman.podman("logs", name).ok().stdout();
        assertEquals(lines, assertNumberedThenStopped(new String(stdout, java.nio.charset.StandardCharsets.UTF_8), "out"),
                "stdout lines");
        assertShippedBytes(runDir, manifest, "stdout.log", stdout);
        return manifest;
    }

    /** Prints one measured stop for the test report and appends it to target/container-stop-times.txt. */
    static void record(String scenario, Duration stopCommand, JsonNode manifest) {
        String lifeboat = manifest == null ? "no manifest"
                : "Lifeboat from SIGTERM to manifest "
                        + Duration.between(instant(manifest, "stopRequestedAt"), instant(manifest, "finishedAt")).toMillis() + " ms";
        String line = String.format("%-40s stop command took %5d ms; %s", scenario, stopCommand.toMillis(), lifeboat);
        System.out.println("MEASURED: " + line);
        try {
            Path report = Path.of("target", "container-stop-times.txt");
            Files.createDirectories(report.getParent());
            Files.writeString(report, line + System.lineSeparator(), java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
