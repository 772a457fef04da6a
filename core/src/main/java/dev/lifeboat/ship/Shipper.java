package dev.lifeboat.ship;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import dev.lifeboat.base.Redact;
import dev.lifeboat.base.RunInfo;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.spi.BoundedCall;
import dev.lifeboat.spi.ConcatenationLimits;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.Uploader;
import jakarta.inject.Inject;
import dev.lifeboat.spi.UploadResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Collects, ships and writes the manifest, within the budget: the rounds while the child runs, the last
 * stretch of a run, and all of {@code lifeboat upload}. It works against the uploader it is given.
 *
 * <p>A round asks the {@link Tracker} what is new in every file and in the captured output, ships it as
 * pieces through the pipeline, and records what is durable in {@code progress.json}. The stop is one
 * last round, in which a file with no piece yet is shipped whole as before, then the seal: the pieces of
 * each file are joined into one object where the uploader can concatenate, and removed. The manifest is
 * written to the spool first, then shipped last.
 */
public final class Shipper {
    private final LifeboatConfig config;
    /** Replaced once, should the run's folder be taken at the destination ({@link RunClaim}). */
    private volatile RunInfo run;
    /** Whether this run holds its folder at the destination; a failed claim is tried again each round. */
    private boolean claimed;
    /** This run's mark in its claim, so that a claim cut short after it landed is found again as its own. */
    private final String claimToken = java.util.UUID.randomUUID().toString();
    private final Budget budget;
    private final ShippingPipeline pipeline;
    private final Log log;
    private final Tracker tracker;
    private final Object roundLock = new Object();
    private volatile UploadControl roundInFlight;
    /** How long the stop lets a claim made while the child ran go on before it cuts it. */
    static final Duration CLAIM_GRACE = Duration.ofSeconds(1);
    /** The claim made while the child runs, while it is in flight: the stop gives it {@link #CLAIM_GRACE} to land. */
    private volatile UploadControl claimInFlight;
    private long rounds;
    private boolean progressShipped;
    /** Held while the JVM lives; see {@link #recordRun}. */
    @SuppressWarnings("unused")
    private java.nio.channels.FileLock runLock;

    @Inject
    public Shipper(LifeboatConfig config, RunInfo run, Budget budget, ShippingPipeline pipeline, Log log) {
        this.config = config;
        this.run = run;
        this.budget = budget;
        this.pipeline = pipeline;
        this.log = log;
        this.tracker = new Tracker(config.spoolDirectory().resolve("staging"));
        // a round in flight when the stop comes is cut short: what it completed is kept, the rest goes in
        // the last round
        budget.onStart(this::cutRound);
    }

    /** The outcome: the manifest as written, and where its local copy is. */
    public record Outcome(Manifest manifest, Path localManifest, boolean manifestShipped) {}

    /**
     * Writes {@link RunRecord#FILE} to this run's spool folder, and holds its {@link RunRecord#LOCK} for as
     * long as the JVM lives, so that a Lifeboat started after a hard kill knows the run is unfinished and
     * one started beside this one knows it is not.
     */
    public void recordRun() {
        Path folder = config.spoolDirectory();
        try {
            runLock = FileChannel.open(folder.resolve(RunRecord.LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE)
                    .tryLock();
            writeRecord();
        } catch (IOException e) {
            log.warn("cannot record the run in " + folder + " (a hard kill could not be recovered from): "
                    + Log.describe(e));
        }
    }

    private void writeRecord() throws IOException {
        writeDurably(config.spoolDirectory().resolve(RunRecord.FILE), JSON.writeValueAsBytes(new RunRecord(run.runId(),
                config.destination().toString(), run.started().toString(), run.hostname(), run.command(),
                config.outputLimit())));
    }

    /**
     * Claims the run's folder at the destination before anything is shipped there (see {@link RunClaim});
     * when it is taken the run goes on under the next free id, said once. A claim that fails (the destination
     * is down) is tried again by the next round; what ships meanwhile ships under the id as it is.
     */
    /**
     * Claims the run's folder while the child runs, so that the stop does not spend its budget on it. The
     * stop waits for a claim still in flight, for {@link #CLAIM_GRACE} at most, then cuts it and claims again
     * itself (a claim that landed all the same is found again as the run's own, by its token).
     */
    public void claimAhead(Uploader uploader, long deadlineNanos) throws InterruptedException {
        synchronized (roundLock) {
            if (budget.isStarted()) {
                return;
            }
            UploadControl control = UploadControl.withDeadline(deadlineNanos);
            claimInFlight = control;
            try {
                if (!budget.isStarted()) {
                    claim(uploader, control);
                }
            } finally {
                claimInFlight = null;
                control.cancel();
            }
        }
    }

    private void claim(Uploader uploader, UploadControl control) throws InterruptedException {
        if (claimed) {
            return;
        }
        try {
            RunClaim.AtDestination result = RunClaim.atDestination(uploader, run, config.spoolDirectory(), claimToken, control);
            claimed = true;
            if (!result.run().runId().equals(run.runId())) {
                log.warn("the run folder " + location() + " is taken by an earlier run; this run ships to "
                        + location(result.run()) + " instead");
                run = result.run();
                try {
                    writeRecord();
                } catch (IOException e) {
                    log.warn("cannot record the run's new id in " + config.spoolDirectory() + ": " + Log.describe(e));
                }
            }
            log.debug("claimed " + location() + " (" + result.how() + ")");
        } catch (IOException | RuntimeException e) {
            log.debug("cannot claim " + location() + " yet: " + Log.describe(e));
        }
    }

    /**
     * Takes up a run whose Lifeboat was killed, from what its spool folder holds: the files of its progress
     * record with their pieces, and its captured output. Its next {@link #ship} is its last round.
     *
     * @param progress the killed run's progress record, or null if no round had shipped anything
     * @param outputLimit the capacity of its captured output's spool files
     */
    public void restore(Progress progress, long outputLimit) throws IOException {
        List<String> restored = new ArrayList<>();
        if (progress != null) {
            for (Progress.Entry e : progress.files()) {
                boolean capture = e.key().equals("stdout.log") || e.key().equals("stderr.log");
                // a capture's spool wraps once full: then the order of what it holds past the last round is lost
                boolean readable = !capture || (e.droppedBytes() == null && spoolUnwrapped(e.path(), outputLimit));
                tracker.restore(capture && !readable ? withoutPath(e) : e, capture);
                restored.add(e.key());
            }
        }
        for (String key : List.of("stdout.log", "stderr.log")) {
            Path spool = config.spoolDirectory().resolve(key.replace(".log", ".spool"));
            if (!restored.contains(key) && spoolUnwrapped(spool.toString(), outputLimit)) {
                tracker.restoreUnshipped(key, key.replace(".log", ""), spool);
            }
        }
        rounds = progress == null ? 0 : progress.round();
        progressShipped = progress != null;
        // the killed run claimed its folder, or never got as far: either way the folder is its own
        claimed = true;
    }

    private static boolean spoolUnwrapped(String path, long capacity) {
        try {
            return path != null && Files.size(Path.of(path)) < capacity;
        } catch (IOException e) {
            return false;
        }
    }

    private static Progress.Entry withoutPath(Progress.Entry e) {
        List<String> notes = new ArrayList<>(e.notes() == null ? List.of() : e.notes());
        notes.add("what was captured after the last round is lost: the spool had wrapped");
        return new Progress.Entry(e.key(), e.origin(), e.size(), e.sha256(), e.crc32c(), e.pieces(), e.droppedBytes(),
                notes, null, null);
    }

    /** Follows the child's captured output, to be shipped with the files. */
    public void follow(List<Tracker.Capture> captures) {
        captures.forEach(tracker::follow);
    }

    /** What one round did. */
    private record Round(ShippingPipeline.Report report, List<Skipped> collected, Map<String, Tracker.Pending> pending) {}

    /**
     * One round while the child runs: ships what is new, as pieces, and replaces {@code progress.json}.
     * Rounds never overlap; what a round could not ship, the next one ships.
     *
     * @return the bytes shipped
     */
    public long round(Uploader uploader, long deadlineNanos) throws InterruptedException {
        synchronized (roundLock) {
            if (budget.isStarted()) {
                return 0;
            }
            UploadControl control = UploadControl.withDeadline(deadlineNanos);
            roundInFlight = control;
            try {
                if (budget.isStarted()) {
                    return 0;
                }
                Round round = runRound(uploader, control, false);
                return round.report().shipped().stream().mapToLong(Manifest.Shipped::size).sum();
            } finally {
                roundInFlight = null;
                control.cancel();
            }
        }
    }

    private void cutRound() {
        UploadControl control = roundInFlight;
        if (control != null) {
            control.cancel();
        }
        // a claim cut half-way could leave a claim that is no one's (HDFS: a file still being written): it
        // gets a moment to land before it is cut, and the stop waits for it
        UploadControl claim = claimInFlight;
        if (claim != null) {
            CompletableFuture.delayedExecutor(CLAIM_GRACE.toNanos(), TimeUnit.NANOSECONDS).execute(claim::cancel);
        }
    }

    private Round runRound(Uploader uploader, UploadControl control, boolean last) throws InterruptedException {
        long started = budget.now();
        claim(uploader, control);
        Collector.Result collected = new Collector(config.followSymlinks(), Path.of("").toAbsolutePath())
                .collect(config.logs());
        List<Tracker.Pending> staged;
        try {
            // at the stop, pieces the seal could not join on the server are read again from the file, not from there
            staged = tracker.scan(collected.items(), last,
                    last && uploader.supportsConcatenation() ? uploader.concatenationLimits().minimumSourceBytes() : 0);
        } catch (IOException e) {
            log.error("cannot stage what is new in " + tracker.stagingDirectory() + ": " + Log.describe(e), e);
            staged = List.of();
        }
        Map<String, Tracker.Pending> pending = new LinkedHashMap<>();
        Map<String, Long> dropped = new LinkedHashMap<>();
        List<ShipItem> items = new ArrayList<>();
        List<Tracker.Pending> files = new ArrayList<>();
        for (Tracker.Pending p : staged) {
            pending.put(p.item().key(), p);
            if (p.direct() && p.followed().dropped() > 0) {
                dropped.put(p.item().key(), p.followed().dropped());
                log.warn(p.followed().origin() + " exceeded --output-limit: the oldest " + p.followed().dropped()
                        + " bytes were dropped, the newest " + p.item().size() + " are shipped");
            }
            if (p.followed().isCapture()) {
                items.add(p.item());
            } else {
                files.add(p);
            }
        }
        // captured output first, then the files smallest first; the pipeline ships the largest from the start
        // too, from the back of the list
        files.sort(Comparator.comparingLong(p -> p.item().size()));
        files.forEach(p -> items.add(p.item()));
        if (last) {
            long bytes = items.stream().mapToLong(ShipItem::size).sum();
            log.info("shipping " + items.size() + " file(s), " + humanBytes(bytes) + ", to " + location() + " ("
                    + TimeUnit.NANOSECONDS.toMillis(Math.max(0, control.deadlineNanos() - budget.now()))
                    + " ms left for uploads)", Map.of("files", items.size(), "bytes", bytes));
        }
        ShippingPipeline.Report report = items.isEmpty() ? new ShippingPipeline.Report(List.of(), List.of())
                : pipeline.ship(uploader, run.runId(), items, dropped, control);
        boolean pieces = false;
        for (Manifest.Shipped shipped : report.shipped()) {
            Tracker.Pending p = pending.get(shipped.key());
            tracker.shipped(p, shipped.sha256(), shipped.crc32c());
            pieces |= !p.direct();
        }
        tracker.discardStaged(staged);
        rounds++;
        List<String> folded = last ? List.of() : fold(uploader, control);
        if ((pieces || !folded.isEmpty()) && writeProgress(uploader, control)) {
            // the pieces folded into others, once the progress record at the destination lists them no more
            removePieces(uploader, folded, control, "folding it");
        } else {
            folded.forEach(tracker::leftOver);
        }
        if (!last && !items.isEmpty()) {
            long bytes = report.shipped().stream().mapToLong(Manifest.Shipped::size).sum();
            String failed = report.notShipped().isEmpty() ? "" : ", " + report.notShipped().size() + " left for the next round";
            String line = "round " + rounds + ": shipped " + report.shipped().size() + " piece(s), " + humanBytes(bytes)
                    + failed + " in " + TimeUnit.NANOSECONDS.toMillis(budget.now() - started) + " ms";
            if (report.notShipped().isEmpty()) {
                log.debug(line);
            } else {
                // one line a round, whatever the number of pieces and attempts that failed
                log.warn(line + "; the first: " + report.notShipped().get(0).path() + ": " + report.notShipped().get(0).detail(),
                        Map.of("round", rounds, "failed", report.notShipped().size()));
            }
        }
        return new Round(report, collected.skipped(), pending);
    }

    /**
     * The stop: the last round and the seal, within the started budget (uploads and seals until
     * {@link Budget#uploadDeadline}, the manifest until {@link Budget#exitAtNanos}), then the manifest.
     *
     * @param uploaders where the uploader comes from
     * @param ending what started the shipping and how the child ended, for the manifest
     */
    public Outcome ship(UploaderSource uploaders, Manifest.Ending ending) throws InterruptedException {
        long start = budget.now();
        long exitAt = budget.exitAtNanos();
        long uploadDeadline = budget.uploadDeadline(start);
        synchronized (roundLock) {
            Uploader uploader = null;
            ShippingPipeline.Report report;
            List<Skipped> notShipped = new ArrayList<>();
            Map<Tracker.Followed, Sealing> sealed = Map.of();
            try {
                uploader = uploaders.await(uploadDeadline);
                UploadControl control = UploadControl.withDeadline(uploadDeadline);
                try {
                    long roundStart = budget.now();
                    Round last = runRound(uploader, control, true);
                    report = last.report();
                    notShipped.addAll(last.collected());
                    for (Skipped s : report.notShipped()) {
                        notShipped.add(asFileSkip(s, last.pending().get(s.key())));
                    }
                    long sealStart = budget.now();
                    sealed = seal(uploader, control);
                    if (!sealed.isEmpty()) {
                        log.debug("the stop: last round " + TimeUnit.NANOSECONDS.toMillis(sealStart - roundStart)
                                + " ms, seal of " + sealed.size() + " file(s) "
                                + TimeUnit.NANOSECONDS.toMillis(budget.now() - sealStart) + " ms");
                    }
                } finally {
                    control.cancel();
                }
            } catch (IOException e) {
                log.error("cannot ship to " + config.destination() + ": " + Log.describe(e), e);
                report = new ShippingPipeline.Report(List.of(), List.of());
                for (Tracker.Followed f : tracker.followed()) {
                    if (!f.sealed()) {
                        notShipped.add(new Skipped(f.origin(), f.key(), Skipped.Reason.UPLOADER_UNAVAILABLE,
                                Log.describe(e)));
                    }
                }
            }
            List<Manifest.Shipped> files = new ArrayList<>();
            List<Manifest.Unsealed> unsealed = new ArrayList<>();
            Map<String, Manifest.Shipped> direct = new LinkedHashMap<>();
            report.shipped().forEach(s -> direct.put(s.key(), s));
            for (Tracker.Followed f : tracker.followed()) {
                Manifest.Shipped whole = direct.get(f.key());
                if (whole != null) {
                    files.add(whole);
                } else if (sealed.containsKey(f) && sealed.get(f).result() != null) {
                    files.add(sealedEntry(f, sealed.get(f).result()));
                } else if (!f.pieces().isEmpty()) {
                    String reason = uploader == null || !uploader.supportsConcatenation() ? "the uploader cannot join pieces"
                            : sealed.containsKey(f) && sealed.get(f).failure() != null
                                    ? "joining its pieces failed: " + sealed.get(f).failure()
                            : "the deadline came before its pieces were joined";
                    unsealed.add(new Manifest.Unsealed(f.key(), f.origin(), f.shipped(), f.sha256(), reason, f.pieces(),
                            f.dropped() > 0 ? f.dropped() : null, notes(f)));
                }
            }
            Manifest manifest = Manifest.of(run, location(), ending, config.gracePeriod(),
                    new ShippingPipeline.Report(files, notShipped), unsealed, Instant.now());
            Path local = writeLocal(manifest);
            boolean manifestShipped = uploader != null && local != null && shipManifest(uploader, local, exitAt);
            if (manifestShipped && unsealed.isEmpty() && progressShipped) {
                removeQuietly(uploader, run.runId() + "/progress.json", exitAt);
            }
            if (manifestShipped) {
                // pieces a fold or a seal could not remove, and folded pieces of folds cut short
                for (String key : tracker.leftOvers()) {
                    removeQuietly(uploader, run.runId() + "/" + key, exitAt);
                }
            }
            for (Skipped s : notShipped) {
                if (s.reason() == Skipped.Reason.NO_MATCH) {
                    log.info("not shipped: " + s.path() + ": " + s.detail(), Map.of("file", s.path(), "reason", s.reason()));
                } else {
                    log.warn("not shipped: " + s.path() + " (" + s.reason() + "): " + s.detail(),
                            Map.of("file", s.path(), "reason", s.reason()));
                }
            }
            for (Manifest.Unsealed u : unsealed) {
                log.warn("in pieces: " + u.origin() + " (" + u.pieces().size() + " pieces under " + location() + "/pieces/"
                        + u.key() + "): " + u.reason());
            }
            long shippedBytes = files.stream().mapToLong(Manifest.Shipped::size).sum()
                    + unsealed.stream().mapToLong(Manifest.Unsealed::size).sum();
            log.info("shipped " + (files.size() + unsealed.size()) + " of " + tracker.followed().size() + " file(s), "
                    + humanBytes(shippedBytes) + (manifestShipped ? ", and manifest.json," : ", manifest.json NOT shipped,")
                    + " to " + location() + " in " + TimeUnit.NANOSECONDS.toMillis(budget.now() - start) + " ms",
                    Map.of("files", files.size() + unsealed.size(), "notShipped", notShipped.size(), "bytes", shippedBytes,
                            "manifestShipped", manifestShipped));
            return new Outcome(manifest, local, manifestShipped);
        }
    }

    /** A piece that was not shipped, as the file it belongs to and the bytes it held. */
    private static Skipped asFileSkip(Skipped s, Tracker.Pending p) {
        if (p == null || p.direct()) {
            return s;
        }
        // a piece that also held earlier pieces again lost only its new bytes: the earlier ones stay listed
        long from = p.followed().shipped();
        long end = p.offset() + p.item().size();
        return new Skipped(s.path(), p.followed().key(), s.reason(), s.detail() + " (bytes " + from + " to " + end
                + "; " + (from == 0 ? "nothing before" : "the bytes before are in its pieces") + ")");
    }

    private static List<String> notes(Tracker.Followed f) {
        return f.notes().isEmpty() ? null : f.notes();
    }

    private static Manifest.Shipped sealedEntry(Tracker.Followed f, UploadResult result) {
        Manifest.Checksum checksum = result.checksumAlgorithm() == null ? null
                : new Manifest.Checksum(result.checksumAlgorithm(), result.checksum(), result.verified());
        return new Manifest.Shipped(f.key(), f.origin(), f.shipped(), f.sha256(), f.crc32c(), checksum, 1,
                result.location(), f.dropped() > 0 ? f.dropped() : null, f.shippedPieces(), notes(f));
    }

    /**
     * Joins each file's pieces into one object at its key and removes the pieces, {@code --concurrency} at a
     * time, under {@code control}. A file whose seal fails or is cut short keeps its pieces.
     */
    /** How joining one file's pieces ended: the joined object, or why not (null: the deadline came first). */
    private record Sealing(UploadResult result, String failure) {}

    private Map<Tracker.Followed, Sealing> seal(Uploader uploader, UploadControl control) throws InterruptedException {
        List<Tracker.Followed> toSeal = new ArrayList<>();
        for (Tracker.Followed f : tracker.followed()) {
            if (!f.sealed() && !f.pieces().isEmpty()) {
                toSeal.add(f);
            }
        }
        if (toSeal.isEmpty() || !uploader.supportsConcatenation()) {
            return Map.of();
        }
        String prefix = run.runId() + "/";
        return Parallel.run("lifeboat-seal", toSeal, config.concurrency(), control, f -> {
            List<String> sources = f.pieces().stream().map(p -> prefix + p.key()).toList();
            try {
                UploadResult result = uploader.concatenate(sources, prefix + f.key(), control.child(control.deadlineNanos()));
                if (result.bytes() != f.shipped()) {
                    throw new IOException("the joined object holds " + result.bytes() + " bytes, expected " + f.shipped());
                }
                if (new Hashes(f.sha256(), f.crc32c()).contradicts(result.checksumAlgorithm(), result.checksum())) {
                    throw new IOException(result.checksumAlgorithm() + " mismatch: the backend reports " + result.checksum());
                }
                tracker.sealed(f);
                removePieces(uploader, f.pieces().stream().map(Tracker.Piece::key).toList(), control, "joining it");
                return new Sealing(result, null);
            } catch (UploadCancelledException e) {
                // the deadline: no failure of its own
                return new Sealing(null, null);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot join the pieces of " + f.origin() + ": " + Log.describe(e));
                return new Sealing(null, Log.describe(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Sealing(null, null);
            }
        }, unfinished -> log.warn("the deadline came before sealing finished: " + unfinished + " file(s) stay in pieces"));
    }

    /**
     * Folds pieces on the backend, within its {@link Uploader#concatenationLimits}, so that the seal at the
     * stop has few, large pieces to join (see {@link Folding}); {@code --concurrency} files at a time, under
     * the round's control. A fold that fails or is cut short leaves the file's pieces as they were.
     *
     * @return the keys of the pieces folded into others, to remove once the progress record no longer lists them
     */
    private List<String> fold(Uploader uploader, UploadControl control) throws InterruptedException {
        if (!uploader.supportsConcatenation()) {
            return List.of();
        }
        ConcatenationLimits limits = uploader.concatenationLimits();
        Map<Tracker.Followed, List<Tracker.Piece>> toFold = new LinkedHashMap<>();
        for (Tracker.Followed f : tracker.followed()) {
            List<Tracker.Piece> pieces = f.pieces();
            Folding.Range range = f.sealed() ? null : Folding.next(pieces, limits);
            if (range != null) {
                toFold.put(f, pieces.subList(range.from(), range.to()));
            }
        }
        String prefix = run.runId() + "/";
        Map<Tracker.Followed, List<String>> done = Parallel.run("lifeboat-fold", new ArrayList<>(toFold.keySet()),
                config.concurrency(), control, f -> {
                    List<Tracker.Piece> sources = toFold.get(f);
                    Tracker.Piece first = sources.get(0);
                    Tracker.Piece lastPiece = sources.get(sources.size() - 1);
                    String key = Tracker.foldedKey(f.key(), first.offset(), lastPiece.offset() + lastPiece.size());
                    List<String> keys = sources.stream().map(Tracker.Piece::key).toList();
                    try {
                        UploadResult result = uploader.concatenate(keys.stream().map(k -> prefix + k).toList(),
                                prefix + key, control.child(control.deadlineNanos()));
                        long expected = lastPiece.offset() + lastPiece.size() - first.offset();
                        if (result.bytes() != expected) {
                            throw new IOException("the folded piece holds " + result.bytes() + " bytes, expected " + expected);
                        }
                        if (tracker.folded(f, sources, key)) {
                            return keys;
                        }
                    } catch (UploadCancelledException e) {
                        // the stop: the pieces stay as they are
                    } catch (IOException | RuntimeException e) {
                        log.debug("cannot fold " + sources.size() + " pieces of " + f.origin() + " (they stay as they are): "
                                + Log.describe(e));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    // a fold cut short may still have been done on the backend: its piece goes with the leftovers
                    tracker.leftOver(key);
                    return List.of();
                }, unfinished -> log.debug("the round was cut while folding the pieces of " + unfinished + " file(s)"));
        List<String> folded = new ArrayList<>();
        done.values().forEach(folded::addAll);
        return folded;
    }

    /**
     * Removes pieces that a seal or a fold joined (those it did not consume); one left behind is not worth
     * failing for, and goes with the leftovers removed after the manifest.
     */
    private void removePieces(Uploader uploader, List<String> pieces, UploadControl control, String after)
            throws InterruptedException {
        for (String piece : pieces) {
            try {
                uploader.delete(run.runId() + "/" + piece, control);
            } catch (IOException | RuntimeException e) {
                log.debug("cannot remove the piece " + piece + " after " + after + ": " + Log.describe(e));
                tracker.leftOver(piece);
            }
        }
    }

    /** Records what is durable: in the spool (fsynced), then at the destination ({@code progress.json}). */
    private boolean writeProgress(Uploader uploader, UploadControl control) {
        Progress progress = Progress.of(run.runId(), rounds, Instant.now().toString(), tracker.followed());
        Path local = config.spoolDirectory().resolve("progress.json");
        try {
            writeDurably(local, JSON.writeValueAsBytes(progress));
        } catch (IOException e) {
            log.error("cannot write " + local + ": " + Log.describe(e), e);
            return false;
        }
        try {
            uploader.upload(new SourceFile(local, Files.size(local)), run.runId() + "/progress.json",
                    control.child(control.deadlineNanos()));
            progressShipped = true;
            return true;
        } catch (IOException | RuntimeException e) {
            log.warn("progress.json not shipped (the next round tries again): " + Log.describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private void removeQuietly(Uploader uploader, String key, long deadlineNanos) {
        if (!uploader.supportsConcatenation()) {
            return;
        }
        try {
            uploader.delete(key, UploadControl.withDeadline(deadlineNanos));
        } catch (IOException | RuntimeException e) {
            log.debug("cannot remove " + key + ": " + Log.describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void writeDurably(Path target, byte[] bytes) throws IOException {
        Files.createDirectories(target.getParent());
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            out.force(true);
        }
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Ships the manifest on a thread of its own, so that an uploader stuck past the deadline cannot hold
     * Lifeboat: at the deadline it is abandoned (and cancelled) and the local copy is what remains.
     */
    private boolean shipManifest(Uploader uploader, Path local, long exitAt) throws InterruptedException {
        UploadControl control = UploadControl.withDeadline(exitAt);
        try {
            BoundedCall.run(control, Shipper::daemon, call -> uploader.upload(new SourceFile(local, Files.size(local)),
                    run.runId() + "/manifest.json", control));
            return true;
        } catch (UploadCancelledException e) {
            log.error("manifest.json not shipped: the deadline came first; a copy is in " + local);
        } catch (IOException | RuntimeException e) {
            log.error("manifest.json not shipped: " + Log.describe(e) + "; a copy is in " + local, e);
        } finally {
            control.cancel();
        }
        return false;
    }

    private static void daemon(Runnable work) {
        Thread thread = new Thread(work, "lifeboat-manifest");
        thread.setDaemon(true);
        thread.start();
    }

    /** The run's folder at the destination. */
    public String location() {
        return location(run);
    }

    private String location(RunInfo of) {
        String d = Redact.uri(config.destination());
        return (d.endsWith("/") ? d : d + "/") + of.runId();
    }

    private Path writeLocal(Manifest manifest) {
        try {
            Files.createDirectories(config.spoolDirectory());
            Path local = config.spoolDirectory().resolve("manifest-" + run.runId().replace('/', '_') + ".json");
            Path temp = local.resolveSibling(local.getFileName() + ".tmp");
            // every location in it as it may be shown: a backend may put the user-info of its URI in one
            Files.write(temp, Redact.text(JSON.writeValueAsString(manifest)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Files.move(temp, local, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return local;
        } catch (IOException e) {
            log.error("cannot write the local manifest in " + config.spoolDirectory() + ": " + Log.describe(e), e);
            return null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Loads and exercises everything the shutdown path needs that costs time on first use (the JSON
     * writer, the collector), so that the deadline is not spent on class loading. Called while the child
     * runs.
     */
    public void prepare() {
        try {
            Manifest.Ending ending = new Manifest.Ending(new Manifest.Stop("", null),
                    new Manifest.Child(0, 0, null, 0, false), Instant.now(), Instant.now());
            List<Tracker.Piece> pieces = List.of(new Tracker.Piece("", 0, 0, ""));
            JSON.writeValueAsBytes(Manifest.of(run, location(), ending, config.gracePeriod(), new ShippingPipeline.Report(
                    List.of(new Manifest.Shipped("", "", 0, "", "", new Manifest.Checksum("", "", true), 1, "", null, 1,
                            List.of(""))),
                    List.of(new Skipped("", null, Skipped.Reason.DEADLINE, ""))),
                    List.of(new Manifest.Unsealed("", "", 0, "", "", pieces, 0L, List.of(""))), Instant.now()));
            JSON.writeValueAsBytes(Progress.of(run.runId(), 0, "", List.of()));
            new Collector(config.followSymlinks(), Path.of("").toAbsolutePath()).collect(List.of());
        } catch (IOException e) {
            log.debug("could not prepare the manifest writer: " + Log.describe(e));
        }
    }

    static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        return String.format("%.1f MiB", bytes / (1024.0 * 1024));
    }
}
