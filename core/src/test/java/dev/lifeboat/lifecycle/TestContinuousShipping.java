package dev.lifeboat.lifecycle;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lifeboat.base.Log;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.process.Signals;
import dev.lifeboat.ship.Fetcher;
import dev.lifeboat.spi.ConcatenationLimits;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.uploader.file.FileUploaderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rounds while a real child writes, and the stop: pieces during the run, the sealed layout of a run
 * without rounds after it, files followed through rotation and truncation, a destination that is down,
 * an uploader that cannot join pieces, a seal cut short, and fetching what a run left.
 */
@EnabledOnOs(OS.LINUX)
class TestContinuousShipping {
    private static final Duration INTERVAL = Duration.ofMillis(200);

    @TempDir
    Path dir;

    private final Log log = Log.stderr(false, false);

    private Path logs() throws Exception {
        return Files.createDirectories(dir.resolve("logs"));
    }

    private static Path shippedFile(Rig rig, Path local, String suffix) {
        return rig.runFolder().resolve("files" + local + suffix);
    }

    private static JsonNode entry(JsonNode manifest, String list, String key) {
        for (JsonNode f : manifest.path(list)) {
            if (f.path("key").asText().equals(key)) {
                return f;
            }
        }
        throw new AssertionError("no " + key + " in " + list + ": " + manifest.toPrettyString());
    }

    private static void awaitPieces(Rig rig, int atLeast) throws Exception {
        Path progress = rig.runFolder().resolve("progress.json");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() - until < 0) {
            if (Files.exists(progress)) {
                int pieces = 0;
                for (JsonNode f : Runs.manifest(progress.getParent(), "progress.json").path("files")) {
                    pieces += f.path("pieces").size();
                }
                if (pieces >= atLeast) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + atLeast + " pieces in " + progress);
    }

    private static List<Path> pieces(Rig rig) throws Exception {
        Path root = rig.runFolder().resolve("pieces");
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(root)) {
            return all.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /**
     * A child that writes 30 lines to each of {@code files} over about 1.5 s (several rounds) and exits,
     * shipping through the file uploader behind {@code concatenation}.
     */
    private Rig writer(Duration grace, WrappedFileUploaderFactory.Concatenation concatenation, Path... files)
            throws Exception {
        return writer(grace, new WrappedFileUploaderFactory(concatenation), files);
    }

    private Rig writer(Duration grace, WrappedFileUploaderFactory uploaders, Path... files) throws Exception {
        StringBuilder script = new StringBuilder("for i in $(seq 1 30); do ");
        List<String> logs = new java.util.ArrayList<>();
        for (Path f : files) {
            script.append("echo \"").append(f.getFileName()).append(" line $i\" >> '").append(f).append("'; ");
            logs.add(f.toString());
        }
        script.append("sleep 0.05; done; exit 0");
        return new Rig(dir, grace, grace.dividedBy(2), INTERVAL, logs,
                UploaderRegistry.of(List.of(uploaders)), script.toString());
    }

    /** Starts the run on a thread of its own; the test stops it. */
    private static Thread running(Rig rig, int[] status) {
        Thread thread = new Thread(() -> {
            try {
                status[0] = rig.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        thread.start();
        return thread;
    }

    @Test
    void piecesReachTheDestinationWhileTheChildRunsAndTheStopSealsThem() throws Exception {
        Path app = logs().resolve("app.log");
        Path expectedOut = dir.resolve("expected-stdout");
        String script = "trap 'exit 0' TERM; i=0; while :; do i=$((i+1)); echo \"line $i\" >> '" + app + "'; "
                // one pipeline writes both, so the TERM trap (run between commands) cannot come between them
                + "echo \"out $i\" | tee -a '" + expectedOut + "'; sleep 0.02; done";
        Rig rig = new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5), INTERVAL, List.of(app.toString()),
                Runs.registry(), script);
        int[] status = new int[1];
        Thread run = running(rig, status);
        awaitPieces(rig, 3);
        assertFalse(Files.exists(rig.runFolder().resolve("manifest.json")), "no manifest while the child runs");
        assertFalse(pieces(rig).isEmpty(), "pieces at the destination while the child runs");
        rig.supervisor.onSignal(Signals.SIGTERM, System.nanoTime());
        run.join(TimeUnit.SECONDS.toMillis(60));
        assertEquals(0, status[0]);

        assertArrayEquals(Files.readAllBytes(app), Files.readAllBytes(shippedFile(rig, app, "")), "sealed whole");
        assertEquals(Files.readString(expectedOut), rig.shipped("stdout.log"), "the captured output, sealed whole");
        assertEquals(List.of(), pieces(rig), "no piece left after sealing");
        assertFalse(Files.exists(rig.runFolder().resolve("progress.json")), "progress.json goes once the run is sealed");
        JsonNode m = rig.manifest();
        assertTrue(m.path("allShipped").asBoolean());
        assertTrue(m.path("allSealed").asBoolean());
        JsonNode file = entry(m, "files", "files" + app);
        assertTrue(file.path("pieces").asInt() >= 2, "sealed from the rounds' pieces: " + file);
        assertEquals(Runs.sha256(app), file.path("sha256").asText());
        assertEquals(Runs.crc32c(app), file.path("crc32c").asText(), "the CRC32C combined from the pieces'");
    }

    @Test
    void aLogThatStaysEmptyIsShippedAtTheStopAsWithoutRounds() throws Exception {
        Path logs = logs();
        Path app = logs.resolve("app.log");
        Path empty = Files.createFile(logs.resolve("empty.log"));
        String script = "for i in $(seq 1 30); do echo \"line $i\" >> '" + app + "'; sleep 0.03; done; exit 0";
        Rig rig = new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5), INTERVAL, List.of(logs + "/*.log"),
                Runs.registry(), script);
        assertEquals(0, rig.run());

        assertArrayEquals(Files.readAllBytes(app), Files.readAllBytes(shippedFile(rig, app, "")), "sealed whole");
        assertEquals(0, Files.size(shippedFile(rig, empty, "")), "the empty log is at its key, empty");
        JsonNode m = rig.manifest();
        assertTrue(m.path("allShipped").asBoolean(), m.toPrettyString());
        JsonNode shipped = entry(m, "files", "files" + empty);
        assertEquals(0, shipped.path("size").asLong(), shipped.toString());
        assertEquals(Runs.sha256(empty), shipped.path("sha256").asText());
    }

    @Test
    void rotationTruncationAndFilesCreatedOrDeletedDuringTheRun() throws Exception {
        Path logs = logs();
        String l = "'" + logs + "'";
        String script = String.join("\n",
                "for i in $(seq 1 50); do echo \"a1 $i\" >> " + l + "/app.log; done; sleep 1",
                // rotation by rename: the app goes on writing to the file it has open, a new app.log starts
                "mv " + l + "/app.log " + l + "/app.log.1",
                "for i in $(seq 1 20); do echo \"a1 late $i\" >> " + l + "/app.log.1; done",
                "for i in $(seq 1 30); do echo \"a2 $i\" >> " + l + "/app.log; done; sleep 1",
                // copytruncate: the same file, emptied and written again
                "for i in $(seq 1 40); do echo \"c1 $i\" >> " + l + "/c.log; done; sleep 1",
                "cp " + l + "/c.log " + l + "/c.log.copy; : > " + l + "/c.log",
                "for i in $(seq 1 10); do echo \"c2 $i\" >> " + l + "/c.log; done; sleep 1",
                // deleted after a round shipped it
                "echo 'short-lived' > " + l + "/d.log; sleep 1; rm " + l + "/d.log; sleep 1",
                // created late
                "echo 'late file' > " + l + "/n.log",
                "exit 0");
        Rig rig = new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5), INTERVAL, List.of(logs + "/*.log"),
                Runs.registry(), script);
        assertEquals(0, rig.run());

        assertArrayEquals(Files.readAllBytes(logs.resolve("app.log.1")),
                Files.readAllBytes(shippedFile(rig, logs.resolve("app.log"), "")),
                "the renamed file keeps its key, with what it got after the rename");
        assertArrayEquals(Files.readAllBytes(logs.resolve("app.log")),
                Files.readAllBytes(shippedFile(rig, logs.resolve("app.log"), "@2")), "the new file at the path: @2");
        assertArrayEquals(Files.readAllBytes(logs.resolve("c.log.copy")),
                Files.readAllBytes(shippedFile(rig, logs.resolve("c.log"), "")), "before the truncation");
        assertArrayEquals(Files.readAllBytes(logs.resolve("c.log")),
                Files.readAllBytes(shippedFile(rig, logs.resolve("c.log"), "@2")), "after it, a new generation");
        assertEquals("short-lived\n", Files.readString(shippedFile(rig, logs.resolve("d.log"), "")));
        assertEquals("late file\n", Files.readString(shippedFile(rig, logs.resolve("n.log"), "")));
        assertFalse(Files.exists(shippedFile(rig, logs.resolve("app.log.1"), "")), "no byte twice: app.log.1 is app.log");

        JsonNode m = rig.manifest();
        assertTrue(m.path("allShipped").asBoolean(), m.toPrettyString());
        assertTrue(entry(m, "files", "files" + logs.resolve("app.log")).path("notes").toString().contains("moved away"));
        assertTrue(entry(m, "files", "files" + logs.resolve("c.log")).path("notes").toString().contains("truncated"));
        assertTrue(entry(m, "files", "files" + logs.resolve("d.log")).path("notes").toString().contains("moved away"));
    }

    @Test
    void aDestinationThatIsDownForRoundsLosesNothing() throws Exception {
        Path app = logs().resolve("app.log");
        Path marker = dir.resolve("ready");
        String script = "trap 'exit 0' TERM; touch '" + marker + "'; i=0; while :; do i=$((i+1)); "
                + "echo \"line $i\" >> '" + app + "'; sleep 0.02; done";
        WrappedFileUploaderFactory flaky = new WrappedFileUploaderFactory(WrappedFileUploaderFactory.Concatenation.SUPPORTED);
        Rig rig = new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5), INTERVAL, List.of(app.toString()),
                UploaderRegistry.of(List.of(flaky)), script);
        int[] status = new int[1];
        Thread run = running(rig, status);
        awaitPieces(rig, 1);
        flaky.down.set(true);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (flaky.refused.get() < 2 && System.nanoTime() - until < 0) {
            Thread.sleep(20);
        }
        assertTrue(flaky.refused.get() >= 2, "rounds met the destination down");
        flaky.down.set(false);
        awaitPieces(rig, 2);
        rig.supervisor.onSignal(Signals.SIGTERM, System.nanoTime());
        run.join(TimeUnit.SECONDS.toMillis(60));

        assertArrayEquals(Files.readAllBytes(app), Files.readAllBytes(shippedFile(rig, app, "")), "nothing lost");
        assertTrue(rig.manifest().path("allShipped").asBoolean());
    }

    @Test
    void anUploaderThatCannotJoinPiecesLeavesThemListedAndFetchReassemblesThem() throws Exception {
        Path app = logs().resolve("app.log");
        Rig rig = writer(Duration.ofSeconds(10), WrappedFileUploaderFactory.Concatenation.UNSUPPORTED, app);
        assertEquals(0, rig.run());

        JsonNode m = rig.manifest();
        assertTrue(m.path("allShipped").asBoolean(), "every byte is at the destination");
        assertFalse(m.path("allSealed").asBoolean());
        JsonNode unsealed = entry(m, "unsealed", "files" + app);
        assertTrue(unsealed.path("pieces").size() >= 2, unsealed.toString());
        assertEquals("the uploader cannot join pieces", unsealed.path("reason").asText());
        assertFalse(Files.exists(shippedFile(rig, app, "")), "no whole file without concatenation");

        Path out = dir.resolve("fetched");
        Fetcher.Result result = fetch(rig, out);
        assertEquals(1, result.problems().size(), "one line: the unsealed file: " + result.problems());
        assertTrue(result.problems().get(0).startsWith("unsealed: files" + app), result.problems().toString());
        assertArrayEquals(Files.readAllBytes(app), Files.readAllBytes(out.resolve("files" + app)), "reassembled");
    }

    @Test
    void aSealCutShortByTheDeadlineKeepsThePiecesListed() throws Exception {
        Path app = logs().resolve("app.log");
        Rig rig = writer(Duration.ofSeconds(3), WrappedFileUploaderFactory.Concatenation.UNTIL_CANCELLED, app);
        assertEquals(0, rig.run());
        long finished = System.nanoTime();
        assertTrue(finished - rig.budget.exitAtNanos() < 0, "done within the budget");

        JsonNode m = rig.manifest();
        assertFalse(m.path("allSealed").asBoolean());
        assertEquals("the deadline came before its pieces were joined",
                entry(m, "unsealed", "files" + app).path("reason").asText());
        Path out = dir.resolve("fetched");
        fetch(rig, out);
        assertArrayEquals(Files.readAllBytes(app), Files.readAllBytes(out.resolve("files" + app)), "reassembled");
    }

    @Test
    void aSealThatFailsKeepsThePiecesListedWithTheFailure() throws Exception {
        Path app = logs().resolve("app.log");
        Rig rig = writer(Duration.ofSeconds(10), WrappedFileUploaderFactory.Concatenation.FAILS, app);
        assertEquals(0, rig.run());
        JsonNode unsealed = entry(rig.manifest(), "unsealed", "files" + app);
        assertEquals("joining its pieces failed: the backend refuses to join run-1/files" + app,
                unsealed.path("reason").asText());
        assertTrue(unsealed.path("pieces").size() >= 2, unsealed.toString());
    }

    @Test
    void fetchNamesACorruptedAndAMissingPiece() throws Exception {
        Path app = logs().resolve("app.log");
        Path other = logs().resolve("other.log");
        Rig rig = writer(Duration.ofSeconds(10), WrappedFileUploaderFactory.Concatenation.UNSUPPORTED, app, other);
        assertEquals(0, rig.run());
        JsonNode m = rig.manifest();
        Path corrupted = rig.runFolder().resolve(entry(m, "unsealed", "files" + app).path("pieces").get(0).path("key").asText());
        byte[] bytes = Files.readAllBytes(corrupted);
        bytes[0] ^= 1;
        Files.write(corrupted, bytes);
        Path missing = rig.runFolder().resolve(entry(m, "unsealed", "files" + other).path("pieces").get(1).path("key").asText());
        Files.delete(missing);

        Fetcher.Result result = fetch(rig, dir.resolve("fetched"));
        String problems = String.join("\n", result.problems());
        assertTrue(problems.contains("checksum mismatch: piece"), problems);
        assertTrue(problems.contains("missing piece: " + rig.runFolder().relativize(missing)), problems);
        assertFalse(result.fetched().contains("files" + app));
        assertFalse(result.fetched().contains("files" + other));
        assertTrue(result.fetched().contains("stdout.log"));
    }

    /** Limits like an object store's, at the scale of a test: pieces below 100 bytes and at most 4 a call. */
    private static final ConcatenationLimits SMALL_LIMITS = new ConcatenationLimits(100, 4);

    @Test
    void piecesAreFoldedWithinTheUploadersLimitsWhileTheChildRunsSoThatTheSealJoinsFew() throws Exception {
        Path app = logs().resolve("app.log");
        WrappedFileUploaderFactory uploaders = new WrappedFileUploaderFactory(
                WrappedFileUploaderFactory.Concatenation.SUPPORTED, SMALL_LIMITS);
        Rig rig = writer(Duration.ofSeconds(10), uploaders, app);
        assertEquals(0, rig.run());

        List<WrappedFileUploaderFactory.Join> folds = uploaders.joins.stream()
                .filter(j -> j.target().startsWith("run-1/pieces/files" + app + "/")).toList();
        assertFalse(folds.isEmpty(), "pieces folded while the child ran: " + uploaders.joins);
        for (WrappedFileUploaderFactory.Join fold : folds) {
            assertTrue(fold.sources().size() >= 2 && fold.sources().size() <= 4, "within the limits: " + fold);
        }
        WrappedFileUploaderFactory.Join seal = seal(uploaders, app);
        // at most 3 pieces before the last round's, and the tail
        assertTrue(seal.sources().size() <= 4, "the seal joins few pieces: " + seal);
        assertArrayEquals(Files.readAllBytes(app), Files.readAllBytes(shippedFile(rig, app, "")), "sealed whole");
        assertEquals(List.of(), pieces(rig), "no piece left: neither folded sources nor the folds' pieces");
        JsonNode file = entry(rig.manifest(), "files", "files" + app);
        assertTrue(file.path("pieces").asInt() > seal.sources().size(),
                "the pieces rounds shipped, counting those folded: " + file);
        assertEquals(Runs.sha256(app), file.path("sha256").asText());
    }

    /** A child that appends a line to {@code app} every 20 ms until SIGTERM, and a run of it behind {@code uploaders}. */
    private Rig appender(Path app, WrappedFileUploaderFactory uploaders) throws Exception {
        String script = "trap 'exit 0' TERM; i=0; while :; do i=$((i+1)); echo \"line $i\" >> '" + app + "'; sleep 0.02; done";
        return new Rig(dir, Duration.ofSeconds(10), Duration.ofSeconds(5), INTERVAL, List.of(app.toString()),
                UploaderRegistry.of(List.of(uploaders)), script);
    }

    /** Limits no round's piece reaches: every piece is below the smallest source joined on the server. */
    private static final ConcatenationLimits PIECES_NEVER_LARGE_ENOUGH = new ConcatenationLimits(1 << 20, 1000);

    /** SIGTERM to a run started by {@link #running}; waits for it and checks the child's status. */
    private static void stop(Rig rig, Thread run, int[] status) throws Exception {
        rig.supervisor.onSignal(Signals.SIGTERM, System.nanoTime());
        run.join(TimeUnit.SECONDS.toMillis(60));
        assertEquals(0, status[0]);
    }

    private WrappedFileUploaderFactory.Join seal(WrappedFileUploaderFactory uploaders, Path app) {
        return uploaders.joins.stream().filter(j -> j.target().equals("run-1/files" + app)).findFirst()
                .orElseThrow(() -> new AssertionError("no seal in " + uploaders.joins));
    }

    @Test
    void atTheStopSmallPiecesAreReadAgainFromTheFileSoThatTheSealJoinsNothingSmall() throws Exception {
        Path app = logs().resolve("app.log");
        // no round's piece reaches the smallest source joined on the server
        WrappedFileUploaderFactory uploaders = new WrappedFileUploaderFactory(
                WrappedFileUploaderFactory.Concatenation.SUPPORTED, PIECES_NEVER_LARGE_ENOUGH);
        Rig rig = appender(app, uploaders);
        int[] status = new int[1];
        Thread run = running(rig, status);
        awaitPieces(rig, 3);
        stop(rig, run, status);

        WrappedFileUploaderFactory.Join seal = seal(uploaders, app);
        assertEquals(List.of("run-1/pieces/files" + app + "/00000000000000000000-" + String.format("%020d", Files.size(app))),
                seal.sources(), "one piece: the pieces of the rounds read again from the file, with the tail");
        assertArrayEquals(Files.readAllBytes(app), Files.readAllBytes(shippedFile(rig, app, "")), "sealed whole");
        assertEquals(List.of(), pieces(rig), "the pieces it replaced are removed too");
        JsonNode file = entry(rig.manifest(), "files", "files" + app);
        assertEquals(Runs.sha256(app), file.path("sha256").asText());
        assertEquals(Runs.crc32c(app), file.path("crc32c").asText(), "the CRC32C extended by the new bytes alone");
    }

    @Test
    void aFileChangedWhereItWasShippedIsNotReadAgainAtTheStop() throws Exception {
        Path app = logs().resolve("app.log");
        WrappedFileUploaderFactory uploaders = new WrappedFileUploaderFactory(
                WrappedFileUploaderFactory.Concatenation.SUPPORTED, PIECES_NEVER_LARGE_ENOUGH);
        Rig rig = appender(app, uploaders);
        int[] status = new int[1];
        Thread run = running(rig, status);
        awaitPieces(rig, 2);
        byte[] shipped = Files.readAllBytes(app);
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(app.toFile(), "rw")) {
            raf.write('X'); // over the first byte, in place: the same file, shipped bytes that differ
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.size(app) <= shipped.length && System.nanoTime() < deadline) {
            Thread.sleep(10); // a tail after the shipped bytes, for the last round
        }
        stop(rig, run, status);

        assertTrue(seal(uploaders, app).sources().size() >= 3, "the pieces as shipped, then the tail: " + seal(uploaders, app));
        byte[] sealed = Files.readAllBytes(shippedFile(rig, app, ""));
        assertEquals(shipped[0], sealed[0], "what was shipped stays as it was shipped");
        assertEquals(Files.size(app), sealed.length);
    }

    @Test
    void fetchReassemblesFoldedPiecesAndChecksEveryRoundsBytesInThem() throws Exception {
        Path app = logs().resolve("app.log");
        WrappedFileUploaderFactory uploaders = new WrappedFileUploaderFactory(
                WrappedFileUploaderFactory.Concatenation.FOLDS_ONLY, SMALL_LIMITS);
        Rig rig = writer(Duration.ofSeconds(10), uploaders, app);
        assertEquals(0, rig.run());
        JsonNode pieces = entry(rig.manifest(), "unsealed", "files" + app).path("pieces");
        JsonNode folded = null;
        for (JsonNode p : pieces) {
            if (p.has("joined")) {
                folded = p;
            }
        }
        assertNotNull(folded, "a folded piece listed with the pieces it holds: " + pieces);
        assertFalse(folded.has("sha256"), folded.toString());
        assertTrue(folded.path("joined").size() >= 2, folded.toString());
        Path out = dir.resolve("fetched");
        fetch(rig, out);
        assertArrayEquals(Files.readAllBytes(app), Files.readAllBytes(out.resolve("files" + app)), "reassembled");

        // one byte changed in the second round's bytes within the folded piece
        JsonNode second = folded.path("joined").get(1);
        Path stored = rig.runFolder().resolve(folded.path("key").asText());
        byte[] bytes = Files.readAllBytes(stored);
        bytes[(int) (second.path("offset").asLong() - folded.path("offset").asLong())] ^= 1;
        Files.write(stored, bytes);
        Fetcher.Result result = fetch(rig, dir.resolve("fetched-again"));
        String problems = String.join("\n", result.problems());
        long from = second.path("offset").asLong();
        assertTrue(problems.contains("checksum mismatch: bytes " + from + " to " + (from + second.path("size").asLong())
                + " of piece " + folded.path("key").asText()), problems);
        assertFalse(result.fetched().contains("files" + app));
    }

    @Test
    void fetchOfARunWithoutAManifestReassemblesItsProgress() throws Exception {
        Path app = logs().resolve("app.log");
        Rig rig = writer(Duration.ofSeconds(10), WrappedFileUploaderFactory.Concatenation.UNSUPPORTED, app);
        assertEquals(0, rig.run());
        // as a hard kill would leave it: pieces and progress.json, no manifest
        Files.delete(rig.runFolder().resolve("manifest.json"));
        JsonNode progress = Runs.manifest(rig.runFolder(), "progress.json");
        long listed = entry(progress, "files", "files" + app).path("size").asLong();

        Path out = dir.resolve("fetched");
        Fetcher.Result result = fetch(rig, out);
        assertTrue(result.problems().get(0).startsWith("no manifest: the run did not finish"), result.problems().toString());
        byte[] fetched = Files.readAllBytes(out.resolve("files" + app));
        assertEquals(listed, fetched.length);
        byte[] local = Files.readAllBytes(app);
        assertArrayEquals(java.util.Arrays.copyOf(local, fetched.length), fetched, "a byte-identical prefix");
    }

    private Fetcher.Result fetch(Rig rig, Path out) throws Exception {
        try (Uploader uploader = new FileUploaderFactory().create(rig.runFolder().toUri(), Map.of(),
                new dev.lifeboat.spi.UploaderContext(dir, Map.of(), System.getLogger("test")))) {
            Files.createDirectories(out);
            Fetcher.Result result = new Fetcher(uploader, log).fetch(out);
            assertNotNull(result);
            return result;
        }
    }
}
