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
    void aCommandThatCannotRunIs127AndLeavesAManifestSayingSo() throws Exception {
        Path logFile = Files.writeString(dir.resolve("app.log"), "before\n");
        Path archive = dir.resolve("archive");
        assertEquals(127, lifeboat(config(archive, List.of(logFile.toString())))
                .supervise(List.of("lifeboat-no-such-command")));
        Path run = Runs.runFolder(archive);
        JsonNode m = Runs.manifest(run);
        assertEquals("CHILD_START_FAILED", m.path("stop").path("reason").asText());
        assertTrue(m.path("stop").path("detail").asText().contains("lifeboat-no-such-command"), m.toPrettyString());
        assertEquals("before\n", Files.readString(run.resolve("files").resolve(logFile.toString().substring(1)), UTF_8));
        // and the local copy in the run's spool folder, without empty capture files beside it
        try (var spools = Files.list(dir.resolve("spool"))) {
            Path folder = spools.filter(Files::isDirectory).findFirst().orElseThrow();
            try (var files = Files.list(folder)) {
                List<String> names = files.map(p -> p.getFileName().toString()).toList();
                assertTrue(names.stream().anyMatch(n -> n.startsWith("manifest-")), names.toString());
                assertFalse(names.contains("stdout.spool") || names.contains("stderr.spool"), names.toString());
            }
        }
    }

    /**
     * Two containers with spools of their own and the same fixed id: the second finds the folder claimed at
     * the destination and ships under the next id, with its manifest and local copy saying so.
     */
    @Test
    void aRunWhoseFolderIsClaimedAtTheDestinationTakesTheNextId() throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive"));
        for (String container : List.of("a", "b")) {
            LifeboatConfig config = new LifeboatConfig(archive.toUri(), List.of(), Duration.ofSeconds(10),
                    Duration.ofSeconds(5), "fixed", java.util.Map.of(), 4, 2, 1 << 20, false, false,
                    dir.resolve("spool-" + container), Duration.ZERO);
            assertEquals(0, lifeboat(config).supervise(List.of("sh", "-c", "echo container " + container)));
        }
        assertEquals("container a\n", Files.readString(archive.resolve("fixed/stdout.log"), UTF_8));
        assertEquals("container b\n", Files.readString(archive.resolve("fixed-2/stdout.log"), UTF_8));
        assertEquals("fixed-2", Runs.manifest(archive.resolve("fixed-2")).path("runId").asText());
        try (var files = Files.list(dir.resolve("spool-b").resolve("fixed"))) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().equals("manifest-fixed-2.json")),
                    "the local copy is named for the id the run shipped under");
        }
    }

    /** The stop does not spend its budget on the claim: the run's folder is claimed while the child runs. */
    @Test
    void theRunsFolderIsClaimedWhileTheChildRuns() throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive"));
        Path claim = archive.resolve("early/claim.json");
        LifeboatConfig config = new LifeboatConfig(archive.toUri(), List.of(), Duration.ofSeconds(10), Duration.ofSeconds(5),
                "early", java.util.Map.of(), 4, 2, 1 << 20, false, false, dir.resolve("spool"), Duration.ZERO);
        // the child waits for the claim, and says whether it saw it (with --ship-interval 0: no round claims it)
        String script = "i=0; while [ $i -lt 300 ]; do [ -f '" + claim + "' ] && { echo claimed; exit 0; }; "
                + "sleep 0.1; i=$((i+1)); done; echo not claimed; exit 1";
        assertEquals(0, lifeboat(config).supervise(List.of("sh", "-c", script)));
        assertEquals("claimed\n", Files.readString(archive.resolve("early/stdout.log"), UTF_8));
    }

    /** The same fixed run id three times: three folders at the destination and in the spool, none replaced. */
    @Test
    void runsWithTheSameIdNeverOverwriteEachOther() throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive"));
        LifeboatConfig config = new LifeboatConfig(archive.toUri(), List.of(), Duration.ofSeconds(10), Duration.ofSeconds(5),
                "fixed", java.util.Map.of(), 4, 2, 1 << 20, false, false, dir.resolve("spool"), Duration.ZERO);
        for (int i = 1; i <= 3; i++) {
            assertEquals(0, lifeboat(config).supervise(List.of("sh", "-c", "echo run " + i)));
        }
        for (int i = 1; i <= 3; i++) {
            String id = i == 1 ? "fixed" : "fixed-" + i;
            Path run = archive.resolve(id);
            assertEquals("run " + i + "\n", Files.readString(run.resolve("stdout.log"), UTF_8), run.toString());
            assertEquals(id, Runs.manifest(run).path("runId").asText());
            assertTrue(Runs.manifest(run).path("location").asText().endsWith("/" + id), "the manifest says where it is");
            assertTrue(Files.readString(run.resolve("claim.json")).contains("\"" + id + "\""));
        }
        for (String folder : List.of("fixed", "fixed-2", "fixed-3")) {
            try (var files = Files.list(dir.resolve("spool").resolve(folder))) {
                assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("manifest-fixed")), folder);
            }
        }
    }

    @Test
    void anUnwritableLocalDestinationStopsTheRunBeforeTheChildStartsOnlyWhenStrict() throws Exception {
        Path archive = dir.resolve("archive");
        Files.createDirectories(archive);
        Path marker = dir.resolve("started");
        // a regular file where the archive's directory should be
        Path notADirectory = archive.resolve("file");
        Files.writeString(notADirectory, "x");
        LifeboatConfig c = Runs.config(notADirectory.resolve("sub"), dir.resolve("spool"), List.of(),
                Duration.ofSeconds(10), Duration.ofSeconds(5));
        LifeboatConfig strict = new LifeboatConfig(c.destination(), c.logs(), c.gracePeriod(), c.childTimeout(),
                c.runIdTemplate(), c.uploaderOptions(), c.concurrency(), c.retries(), c.outputLimit(), c.processGroup(),
                c.followSymlinks(), c.spoolDirectory(), c.shipInterval(), c.signals(), true, c.logFormat(), c.exitCodeOnLoss());
        assertEquals(Lifeboat.CONFIG_ERROR, lifeboat(strict).supervise(List.of("touch", marker.toString())));
        assertFalse(Files.exists(marker), "with --strict the child never starts");
        // without --strict an environment problem is a warning: the child starts
        assertEquals(0, lifeboat(c).supervise(List.of("touch", marker.toString())));
        assertTrue(Files.exists(marker), "the child started");
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
