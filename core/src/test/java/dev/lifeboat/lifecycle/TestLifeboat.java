package dev.lifeboat.lifecycle;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.base.Log;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.process.SignalRouter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** The run assembly for each command, shipping to a local archive with the file uploader. */
@EnabledOnOs(OS.LINUX)
class TestLifeboat {
    @TempDir
    Path dir;

    private final Log log = Log.stderr(false, false);

    /** The watchdog outlives each command: here it must not end the test's JVM. */
    private Lifeboat lifeboat(LifeboatConfig config) {
        return new Lifeboat(config, Runs.registry(), log, SignalRouter.detached(), code -> { });
    }

    private LifeboatConfig config(Path archive, List<String> logs) throws Exception {
        Files.createDirectories(archive);
        return Runs.config(archive, dir.resolve("spool"), logs, Duration.ofSeconds(10), Duration.ofSeconds(5));
    }

    @Test
    void uploadShipsTheLogsAndTheManifestAndExitsZero() throws Exception {
        Path logFile = dir.resolve("app.log");
        Files.writeString(logFile, "hello\n");
        Path archive = dir.resolve("archive");
        assertEquals(0, lifeboat(config(archive, List.of(logFile.toString()))).upload());
        Path run = Runs.runFolder(archive);
        JsonNode m = Runs.manifest(run);
        assertEquals("UPLOAD_COMMAND", m.path("stop").path("reason").asText());
        assertTrue(m.path("allShipped").asBoolean());
        assertTrue(m.path("child").isMissingNode(), "no child for upload");
        assertEquals("hello\n", Files.readString(run.resolve("files").resolve(logFile.toString().substring(1)), UTF_8));
    }

    @Test
    void uploadExitsOneWhenSomethingMatchedIsNotShipped() throws Exception {
        Path unreadable = dir.resolve("dir-not-file");
        Files.createDirectories(unreadable);
        Path archive = dir.resolve("archive");
        assertEquals(1, lifeboat(config(archive, List.of(unreadable.toString()))).upload());
        JsonNode m = Runs.manifest(Runs.runFolder(archive));
        assertFalse(m.path("allShipped").asBoolean());
        assertEquals("NOT_REGULAR_FILE", m.path("notShipped").get(0).path("reason").asText());
    }

    @Test
    void superviseRunsTheChildShipsItsOutputAndPassesItsStatusOn() throws Exception {
        Path archive = dir.resolve("archive");
        int status = lifeboat(config(archive, List.of())).supervise(List.of("sh", "-c", "echo hi; exit 4"));
        assertEquals(4, status);
        Path run = Runs.runFolder(archive);
        assertEquals("hi\n", Files.readString(run.resolve("stdout.log"), UTF_8));
        assertEquals(4, Runs.manifest(run).path("child").path("exitCode").asInt());
    }

    @Test
    void aCommandThatCannotRunIs127AndShipsNothing() throws Exception {
        Path archive = dir.resolve("archive");
        assertEquals(127, lifeboat(config(archive, List.of())).supervise(List.of("lifeboat-no-such-command")));
        try (var entries = Files.list(archive)) {
            assertEquals(0, entries.count());
        }
    }

    @Test
    void anUnwritableLocalDestinationStopsTheRunBeforeTheChildStarts() throws Exception {
        Path archive = dir.resolve("archive");
        Files.createDirectories(archive);
        Path marker = dir.resolve("started");
        // a regular file where the archive's directory should be
        Path notADirectory = archive.resolve("file");
        Files.writeString(notADirectory, "x");
        LifeboatConfig config = Runs.config(notADirectory.resolve("sub"), dir.resolve("spool"), List.of(),
                Duration.ofSeconds(10), Duration.ofSeconds(5));
        assertEquals(Lifeboat.CONFIG_ERROR,
                lifeboat(config).supervise(List.of("touch", marker.toString())));
        assertFalse(Files.exists(marker), "the child never started");
    }

    @Test
    void checkSaysTheDestinationIsWritable() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, lifeboat(config(dir.resolve("archive"), List.of())).check(new PrintStream(out, true, UTF_8)));
        assertTrue(out.toString(UTF_8).startsWith("ok: "), out.toString(UTF_8));
    }

    @Test
    void debugDoesNotLetHttpClientsLogTheWire() {
        Lifeboat.configureLibraryLogging(true);
        try {
            assertTrue(java.util.logging.Logger.getLogger("software.amazon.awssdk").isLoggable(java.util.logging.Level.FINE),
                    "--debug shows the libraries' debug lines");
            for (String wire : List.of("org.apache.hc.client5.http.wire", "org.apache.hc.client5.http.headers",
                    "org.apache.http.wire", "org.apache.http.headers")) {
                assertFalse(java.util.logging.Logger.getLogger(wire).isLoggable(java.util.logging.Level.FINE), wire);
            }
        } finally {
            Lifeboat.configureLibraryLogging(false);
        }
    }
}
