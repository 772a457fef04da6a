package dev.lifeboat.ship;

import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.spi.InvalidKeyException;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ships files concurrently, each with bounded retries and backoff, all under one upload deadline. At
 * the deadline every upload in flight is cancelled and whatever is unfinished is reported with the
 * reason, so the caller can still write the manifest and exit on time.
 *
 * <p>For every file the pipeline first reads the bytes it will ship once, for SHA-256 (the manifest's)
 * and CRC32C; a checksum the backend reports that contradicts them fails the attempt.
 */
public final class ShippingPipeline {
    static final long BASE_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** Waits between attempts; tests replace it so that backoff costs no real time. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(long nanos) throws InterruptedException;

        Sleeper REAL = TimeUnit.NANOSECONDS::sleep;
    }

    private final int concurrency;
    private final int retries;
    private final Log log;
    private final Sleeper sleeper;

    @Inject
    public ShippingPipeline(LifeboatConfig config, Log log) {
        this(config.concurrency(), config.retries(), log, Sleeper.REAL);
    }

    public ShippingPipeline(int concurrency, int retries, Log log, Sleeper sleeper) {
        this.concurrency = concurrency;
        this.retries = retries;
        this.log = log;
        this.sleeper = sleeper;
    }

    /** What the pipeline shipped and what it did not. */
    public record Report(List<Manifest.Shipped> shipped, List<Skipped> notShipped) {}

    private sealed interface Outcome permits Done, Failed {}

    private record Done(Manifest.Shipped shipped) implements Outcome {}

    private record Failed(Skipped skipped) implements Outcome {}

    /**
     * Ships {@code items} under {@code prefix} (the run's folder) and returns when all are done or the
     * deadline has passed; never later than the deadline plus a short grace for cancelled uploads. The items
     * come in the order to ship them, the largest last: one thread takes them from the back (see
     * {@link Parallel}).
     *
     * @param droppedBytes bytes the capture dropped, by key (for stdout.log and stderr.log)
     */
    public Report ship(Uploader uploader, String prefix, List<ShipItem> items, Map<String, Long> droppedBytes,
            long deadlineNanos) throws InterruptedException {
        UploadControl all = UploadControl.withDeadline(deadlineNanos);
        try {
            return ship(uploader, prefix, items, droppedBytes, all);
        } finally {
            all.cancel();
        }
    }

    /**
     * As {@link #ship(Uploader, String, List, Map, long)}, under {@code all}: cancelling it cuts the shipping
     * short as its deadline does.
     */
    public Report ship(Uploader uploader, String prefix, List<ShipItem> items, Map<String, Long> droppedBytes,
            UploadControl all) throws InterruptedException {
        Map<ShipItem, UploadControl> inFlight = new ConcurrentHashMap<>();
        // one thread takes the largest files from the back of the list, the others go from its front
        Map<ShipItem, Outcome> outcomes = Parallel.run("lifeboat-ship", items, concurrency, 1, all, item -> {
            try {
                return shipOne(uploader, prefix, item, droppedBytes.get(item.key()), all, inFlight);
            } finally {
                inFlight.remove(item);
            }
        }, unfinished -> {
            log.warn((all.isExpired() ? "the deadline came before shipping finished" : "shipping was cut short")
                    + ": cancelling " + unfinished + " upload(s)");
            inFlight.forEach((item, control) -> log.info("cancelling " + item.origin() + " with "
                    + control.progress() + " of " + item.size() + " bytes sent"));
        });
        List<Manifest.Shipped> shipped = new ArrayList<>();
        List<Skipped> notShipped = new ArrayList<>();
        for (ShipItem item : items) {
            Outcome outcome = outcomes.get(item);
            if (outcome instanceof Done d) {
                shipped.add(d.shipped());
            } else if (outcome instanceof Failed f) {
                notShipped.add(f.skipped());
            } else {
                notShipped.add(new Skipped(item.origin(), item.key(), Skipped.Reason.DEADLINE,
                        "the deadline came before the upload finished"));
            }
        }
        return new Report(shipped, notShipped);
    }

    private Outcome shipOne(Uploader uploader, String prefix, ShipItem item, Long dropped, UploadControl all,
            Map<ShipItem, UploadControl> inFlight) {
        if (all.isCancelled()) {
            return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.DEADLINE,
                    "the deadline came before the upload started"));
        }
        SourceFile source = new SourceFile(item.source(), item.size());
        Hashes hashes;
        try {
            hashes = Hashes.of(source);
        } catch (NoSuchFileException e) {
            return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.VANISHED, "the file disappeared"));
        } catch (AccessDeniedException e) {
            return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.UNREADABLE, "permission denied"));
        } catch (IOException e) {
            if (cutByDeadline(e, all)) {
                return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.DEADLINE,
                        "the deadline came while the file was read for its checksums"));
            }
            return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.READ_FAILED, Log.describe(e)));
        }
        String key = prefix + "/" + item.key();
        String lastError = "no attempt";
        for (int attempt = 1; attempt <= retries + 1; attempt++) {
            UploadControl control = all.child(all.deadlineNanos());
            inFlight.put(item, control);
            long started = System.nanoTime();
            try {
                UploadResult result = uploader.upload(source, key, control);
                if (result.bytes() != item.size()) {
                    throw new IOException("the uploader reported " + result.bytes() + " bytes, expected " + item.size());
                }
                if (hashes.contradicts(result.checksumAlgorithm(), result.checksum())) {
                    throw new IOException(result.checksumAlgorithm() + " mismatch: the backend reports " + result.checksum());
                }
                log.debug("shipped " + item.origin() + " -> " + result.location() + " in "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms",
                        Map.of("file", item.origin(), "bytes", item.size()));
                Manifest.Checksum checksum = result.checksumAlgorithm() == null ? null
                        : new Manifest.Checksum(result.checksumAlgorithm(), result.checksum(), result.verified());
                return new Done(new Manifest.Shipped(item.key(), item.origin(), item.size(), hashes.sha256(),
                        hashes.crc32c(), checksum, attempt, result.location(), dropped, null, null));
            } catch (UploadCancelledException e) {
                return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.DEADLINE,
                        "cancelled at the deadline" + (attempt > 1 ? " (attempt " + attempt + ", before: " + lastError + ")" : "")));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.DEADLINE, "cancelled at the deadline"));
            } catch (NoSuchFileException e) {
                return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.VANISHED, "the file disappeared"));
            } catch (InvalidKeyException e) {
                // no attempt can succeed with this key
                return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.UPLOAD_FAILED, e.getMessage()));
            } catch (IOException | RuntimeException e) {
                if (cutByDeadline(e, all)) {
                    return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.DEADLINE,
                            "cancelled at the deadline" + (attempt > 1 ? " (attempt " + attempt + ", before: " + lastError + ")" : "")));
                }
                lastError = Log.describe(e);
                // one line per file, from the caller, once its attempts are over: a destination that went
                // away must not fill the log with a line per attempt
                log.debug("upload of " + item.origin() + " failed (attempt " + attempt + " of " + (retries + 1) + "): " + lastError,
                        Map.of("file", item.origin(), "attempt", attempt));
                if (attempt <= retries && !backoff(attempt, all, sleeper)) {
                    return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.DEADLINE,
                            "no time left to retry after: " + lastError));
                }
            }
        }
        return new Failed(new Skipped(item.origin(), item.key(), Skipped.Reason.UPLOAD_FAILED,
                (retries + 1) + " attempt(s) failed, the last: " + lastError));
    }

    /**
     * Whether a failure is the deadline's doing rather than the file's or the destination's: the shipping
     * was cancelled or its deadline passed, or the thread was interrupted (which closes a file channel
     * mid-read, {@link java.nio.channels.ClosedByInterruptException}).
     */
    static boolean cutByDeadline(Throwable e, UploadControl all) {
        if (all.isCancelled() || all.isExpired() || Thread.currentThread().isInterrupted()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.ClosedByInterruptException || t instanceof InterruptedException
                    || (t instanceof java.io.InterruptedIOException && !(t instanceof java.net.SocketTimeoutException))) {
                return true;
            }
        }
        return false;
    }

    /** The delay before attempt {@code attempt + 1}: 200 ms doubling per attempt (at most 64 times), plus up to half of it at random. */
    static long backoffNanos(int attempt) {
        long delay = BASE_BACKOFF_NANOS << Math.min(attempt - 1, 6);
        return delay + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
    }

    /** Sleeps before the next attempt; false if the deadline would pass first. */
    private static boolean backoff(int attempt, UploadControl all, Sleeper sleeper) {
        long delay = backoffNanos(attempt);
        if (all.remaining().toNanos() <= delay) {
            return false;
        }
        try {
            sleeper.sleep(delay);
            return !all.isCancelled();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
