package dev.lifeboat.lifecycle;

import dev.lifeboat.base.Log;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.ship.UploaderSource;
import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Owns the uploader: creates it and checks the destination ahead of need ("warm"), so that the
 * shutdown path pays no client start-up, and hands it to the pipeline.
 *
 * <p>While the child runs, each check may take {@link #CHECK_TIMEOUT}; a check that fails or gets no
 * answer in that time is tried again, each time with a new uploader (so a new client and new
 * connections), after a pause that doubles from {@link #FIRST_BACKOFF} up to {@link #MAX_BACKOFF}, until
 * one succeeds or the stop begins. Each distinct reason is logged once. At the stop a check still in
 * flight is abandoned and shipping checks again on a fresh uploader within the deadline.
 */
@Singleton
public final class UploaderService implements UploaderSource, AutoCloseable {
    /** How long one check of the destination may take while the child runs before it is tried again. */
    public static final Duration CHECK_TIMEOUT = Duration.ofSeconds(10);
    /** The pause after the first failed check while the child runs; it doubles after each further one. */
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    /** The longest pause between two checks while the child runs. */
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final LifeboatConfig config;
    private final UploaderRegistry registry;
    private final Log log;
    /** Completed with the checked uploader once a check succeeded. */
    private final CompletableFuture<Uploader> ready = new CompletableFuture<>();
    private Thread warmUp;
    /** The warm-up's check in flight and its control, or null. */
    private CompletableFuture<Uploader> attempt;
    private UploadControl attemptControl;
    private long attemptStarted;
    private boolean stopped;

    @Inject
    public UploaderService(LifeboatConfig config, UploaderRegistry registry, Log log, PrecheckedUploader prechecked) {
        this.config = config;
        this.registry = registry;
        this.log = log;
        if (prechecked.uploader() != null) {
            ready.complete(prechecked.uploader());
        }
    }

    public UploaderFactory factory() {
        return registry.find(config.scheme());
    }

    /** Starts creating and checking the uploader on a background thread, again and again until it works. */
    public synchronized void warmUp() {
        if (warmUp != null || ready.isDone() || stopped) {
            return;
        }
        warmUp = new Thread(this::warmUpLoop, "lifeboat-warm-up");
        warmUp.setDaemon(true);
        warmUp.start();
    }

    private void warmUpLoop() {
        long start = System.nanoTime();
        long backoff = FIRST_BACKOFF.toNanos();
        String lastReason = null;
        int failures = 0;
        while (true) {
            UploadControl control = UploadControl.withTimeout(CHECK_TIMEOUT);
            CompletableFuture<Uploader> current = new CompletableFuture<>();
            synchronized (this) {
                if (stopped || ready.isDone()) {
                    return;
                }
                attempt = current;
                attemptControl = control;
                attemptStarted = System.nanoTime();
            }
            try {
                Uploader uploader = createAndCheck(control);
                publish(uploader);
                current.complete(uploader);
                log.info("destination " + config.destination() + " is ready (" + factory().scheme() + " uploader, "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms"
                        + (failures == 0 ? "" : ", after " + failures + " failed check(s)") + ")");
                return;
            } catch (Exception | LinkageError e) {
                // a LinkageError too (a plugin missing a class): the attempt must complete, or a round
                // would wait for it instead of trying again
                IOException failure = timedOut(control, e);
                current.completeExceptionally(failure);
                synchronized (this) {
                    if (stopped) {
                        return;
                    }
                }
                failures++;
                String reason = Log.describe(failure);
                if (reason.equals(lastReason)) {
                    log.debug("destination " + config.destination() + " is still not usable: " + reason);
                } else {
                    log.error("destination " + config.destination() + " is not usable yet: " + reason
                            + " (checking again while the child runs, and at shutdown)", e);
                    lastReason = reason;
                }
            } finally {
                synchronized (this) {
                    attempt = null;
                    attemptControl = null;
                }
            }
            try {
                TimeUnit.NANOSECONDS.sleep(backoff);
            } catch (InterruptedException e) {
                return; // the stop or close
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF.toNanos());
        }
    }

    /** A check that ran out of its own time, said as such; other failures as they are. */
    private static IOException timedOut(UploadControl control, Throwable e) {
        if (e instanceof UploadCancelledException && control.isExpired()) {
            return new IOException("no answer within " + CHECK_TIMEOUT.toSeconds() + " s (the check's timeout)", e);
        }
        return e instanceof IOException io ? io : new IOException(Log.describe(e), e);
    }

    /** Makes {@code uploader} the one shipping gets, unless another got there first; returns the one that did. */
    private Uploader publish(Uploader uploader) {
        if (!ready.complete(uploader)) {
            closeQuietly(uploader);
        }
        return ready.join();
    }

    /**
     * The stop began: no more checks in the background, and a check still in flight is abandoned (its
     * connection may be the one that hangs), so that shipping checks again on a fresh uploader.
     */
    public void stopWarmUp() {
        UploadControl abandoned;
        long since;
        Thread thread;
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
            abandoned = attemptControl;
            since = attemptStarted;
            thread = warmUp;
        }
        if (thread != null) {
            thread.interrupt();
        }
        if (abandoned != null) {
            log.info("the destination check in flight for " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since)
                    + " ms is abandoned; shipping checks again on a fresh connection");
            abandoned.cancel();
        }
    }

    /**
     * Creates the uploader and checks the destination within the control's deadline.
     *
     * @throws IOException with one line naming what is wrong
     */
    public Uploader createAndCheck(UploadControl control) throws IOException, InterruptedException {
        return createAndCheck(factory(), config, control);
    }

    /** Creates an uploader for {@code config} and checks its destination; one-line errors. */
    public static Uploader createAndCheck(UploaderFactory factory, LifeboatConfig config, UploadControl control)
            throws IOException, InterruptedException {
        Uploader uploader = create(factory, config);
        try {
            uploader.check(control);
            return uploader;
        } catch (IOException | InterruptedException | RuntimeException e) {
            closeQuietly(uploader);
            if (e instanceof RuntimeException) {
                throw new IOException(Log.describe(e), e);
            }
            throw e;
        }
    }

    /** Creates an uploader for {@code config}'s destination, without checking it; one-line errors. */
    public static Uploader create(UploaderFactory factory, LifeboatConfig config) throws IOException {
        try {
            return factory.create(config.destination(), config.uploaderOptions(), context(config));
        } catch (InvalidOptionException e) {
            throw new IOException((e.key() == null ? "" : factory.optionPrefix() + "." + e.key() + ": ") + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IOException("the " + factory.scheme() + " uploader failed to start: " + Log.describe(e), e);
        }
    }

    /**
     * The checked uploader, once the warm-up (or the check before the child) has one; null if none has by
     * {@code deadlineNanos}. Unlike {@link #await}, never checks on its own.
     */
    public Uploader awaitReady(long deadlineNanos) throws InterruptedException {
        try {
            return ready.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the uploader is only ever completed with one", e);
        }
    }

    /**
     * The checked uploader. While the child runs, waits for the check in flight, if any, no later than
     * {@code deadlineNanos}; when it fails, or no check is running (between two checks, or at the stop,
     * where the check in flight was abandoned), checks again on a new uploader, no later than
     * {@code deadlineNanos}.
     */
    @Override
    public Uploader await(long deadlineNanos) throws IOException, InterruptedException {
        CompletableFuture<Uploader> inFlight;
        synchronized (this) {
            inFlight = stopped ? null : attempt;
        }
        if (ready.isDone()) {
            return ready.join();
        }
        if (inFlight != null) {
            try {
                return inFlight.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new IOException("the destination was still being checked at the deadline");
            } catch (ExecutionException e) {
                // failed: checked again below, on a new uploader
            }
        }
        synchronized (this) {
            if (warmUp != null) {
                log.info("trying the destination again");
            }
        }
        return publish(createAndCheck(UploadControl.withDeadline(deadlineNanos)));
    }

    public static UploaderContext context(LifeboatConfig config) {
        return new UploaderContext(config.spoolDirectory(), System.getenv(), System.getLogger("lifeboat." + config.scheme()));
    }

    @Override
    public void close() {
        synchronized (this) {
            stopped = true;
            if (attemptControl != null) {
                attemptControl.cancel();
            }
            if (warmUp != null) {
                warmUp.interrupt();
            }
        }
        if (ready.isDone()) {
            closeQuietly(ready.join());
        }
    }

    private static void closeQuietly(Uploader uploader) {
        try {
            uploader.close();
        } catch (Exception e) {
            // closing is best effort on the way out
        }
    }
}
