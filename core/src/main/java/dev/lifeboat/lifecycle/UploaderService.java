package dev.lifeboat.lifecycle;

import dev.lifeboat.base.Log;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.ship.UploaderSource;
import dev.lifeboat.spi.InvalidOptionException;
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
 * shutdown path pays no client start-up, and hands it to the pipeline. A failed warm-up is reported at
 * once and tried again at shipping time.
 */
@Singleton
public final class UploaderService implements UploaderSource, AutoCloseable {
    /** Budget for creating the uploader and checking the destination while the child runs. */
    static final Duration WARM_BUDGET = Duration.ofSeconds(60);

    private final LifeboatConfig config;
    private final UploaderRegistry registry;
    private final Log log;
    private volatile CompletableFuture<Uploader> warm;

    @Inject
    public UploaderService(LifeboatConfig config, UploaderRegistry registry, Log log, PrecheckedUploader prechecked) {
        this.config = config;
        this.registry = registry;
        this.log = log;
        if (prechecked.uploader() != null) {
            warm = CompletableFuture.completedFuture(prechecked.uploader());
        }
    }

    public UploaderFactory factory() {
        return registry.find(config.scheme());
    }

    /** Starts creating and checking the uploader on a background thread. */
    public synchronized void warmUp() {
        if (warm != null) {
            return;
        }
        CompletableFuture<Uploader> future = new CompletableFuture<>();
        warm = future;
        Thread thread = new Thread(() -> {
            long start = System.nanoTime();
            try {
                Uploader uploader = createAndCheck(UploadControl.withTimeout(WARM_BUDGET));
                log.info("destination " + config.destination() + " is ready (" + factory().scheme() + " uploader, "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms)");
                future.complete(uploader);
            } catch (Exception | LinkageError e) {
                // a LinkageError too (a plugin missing a class): the future must complete, or shipping
                // would wait for it until the deadline instead of trying again
                log.error("destination " + config.destination() + " is not usable yet: " + Log.describe(e)
                        + " (trying again at shipping time)", e);
                future.completeExceptionally(e);
            }
        }, "lifeboat-warm-up");
        thread.setDaemon(true);
        thread.start();
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
     * The warm uploader, or a new one if warming failed or never ran; waits no later than
     * {@code deadlineNanos}.
     */
    @Override
    public Uploader await(long deadlineNanos) throws IOException, InterruptedException {
        CompletableFuture<Uploader> future;
        synchronized (this) {
            future = warm;
        }
        if (future != null) {
            try {
                return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new IOException("the destination was still being checked at the deadline");
            } catch (ExecutionException e) {
                log.info("trying the destination again");
            }
        }
        Uploader uploader = createAndCheck(UploadControl.withDeadline(deadlineNanos));
        synchronized (this) {
            warm = CompletableFuture.completedFuture(uploader);
        }
        return uploader;
    }

    public static UploaderContext context(LifeboatConfig config) {
        return new UploaderContext(config.spoolDirectory(), System.getenv(), System.getLogger("lifeboat." + config.scheme()));
    }

    @Override
    public synchronized void close() {
        if (warm != null && warm.isDone() && !warm.isCompletedExceptionally()) {
            closeQuietly(warm.join());
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
