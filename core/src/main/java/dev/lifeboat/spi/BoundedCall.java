package dev.lifeboat.spi;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A blocking call run on a worker thread while the caller waits no longer than an {@link UploadControl}
 * allows: for client libraries that block in places a deadline cannot reach (name resolution, a read
 * without a timeout, a pipeline being torn down).
 *
 * <p>{@link #run} hands {@code body} to the executor and waits until the body is done, the control is
 * cancelled, or its deadline passes. On cancellation or at the deadline it <em>gives the call up</em>:
 * it runs the give-up action (abort a request, close a connection), interrupts the worker, and throws
 * {@link UploadCancelledException} at once, without waiting for the worker to notice; the worker stops
 * and cleans up on its own. What the body throws reaches the caller unwrapped: {@link IOException},
 * {@link InterruptedException}, {@link RuntimeException} and {@link Error} as they are.
 *
 * <p>The body gets its call, to look for a give-up between steps ({@link #checkpoint()}), to stop
 * interrupts before its clean-up ({@link #detach()}), and to enter a last step that must not be cut
 * half-way, such as a rename into the final name or the request that completes an object
 * ({@link #commit()}): from then on a cancellation no longer gives the call up, only the deadline does
 * (or, with {@link #commit(Duration)}, the end of a grace after the cancellation), and the worker is no
 * longer interrupted.
 *
 * <p>To run the body as someone else, wrap it, e.g. {@code call -> ugi.doAs(action(call))}.
 *
 * @param <T> what the body returns
 */
public final class BoundedCall<T> {
    /** The blocking work. */
    @FunctionalInterface
    public interface Body<T> {
        T run(BoundedCall<T> call) throws IOException, InterruptedException;
    }

    private static final int RUNNING = 0;
    private static final int COMMITTING = 1;
    private static final int GIVEN_UP = 2;

    private final Runnable onGiveUp;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    /** Completed on cancellation, to wake the caller even when the call is committing. */
    private final CompletableFuture<Void> cancelled = new CompletableFuture<>();
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private volatile long commitGraceNanos = Long.MAX_VALUE;
    private final Object threadLock = new Object();
    private Thread worker;
    private boolean detached;

    private BoundedCall(Runnable onGiveUp) {
        this.onGiveUp = onGiveUp;
    }

    /** Runs {@code body} on {@code executor} and waits for it within {@code control}'s deadline. */
    public static <T> T run(UploadControl control, Executor executor, Body<T> body)
            throws IOException, InterruptedException {
        return run(control, executor, null, body);
    }

    /**
     * Runs {@code body} on {@code executor} and waits for it within {@code control}'s deadline; when the
     * call is given up, runs {@code onGiveUp} (which must not block) before interrupting the worker.
     *
     * @param onGiveUp e.g. aborts the body's request; null for none
     * @throws UploadCancelledException when the control was cancelled or its deadline passed first
     * @throws IOException what the body threw, or "the uploader is closed" when the executor refuses work
     */
    public static <T> T run(UploadControl control, Executor executor, Runnable onGiveUp, Body<T> body)
            throws IOException, InterruptedException {
        control.checkCancelled();
        BoundedCall<T> call = new BoundedCall<>(onGiveUp);
        try {
            executor.execute(() -> call.work(body));
        } catch (RejectedExecutionException e) {
            throw new IOException("the uploader is closed");
        }
        control.onCancel(() -> {
            call.giveUp("upload cancelled");
            call.cancelled.complete(null);
        });
        return call.await(control);
    }

    /** True once the call was given up: the body should stop and clean up. */
    public boolean isGivenUp() {
        return state.get() == GIVEN_UP;
    }

    /** Throws {@link UploadCancelledException} once the call was given up. */
    public void checkpoint() throws UploadCancelledException {
        if (isGivenUp()) {
            throw new UploadCancelledException("upload cancelled");
        }
    }

    /**
     * Enters the last step: a cancellation no longer gives the call up or interrupts the worker; the
     * caller still gives up at the deadline. Returns false when the call was given up first: the body must
     * then clean up instead. Calling it again returns true.
     */
    public boolean commit() {
        return commit(null);
    }

    /**
     * Like {@link #commit()}, but a cancellation still gives the call up once {@code grace} has passed
     * after it, e.g. for a request whose answer may never come; null waits until the deadline.
     */
    public boolean commit(Duration grace) {
        if (state.get() == RUNNING && grace != null) {
            commitGraceNanos = grace.toNanos();
        }
        return state.compareAndSet(RUNNING, COMMITTING) || state.get() == COMMITTING;
    }

    /**
     * Stops interrupts from reaching the current (worker) thread and clears a pending one, so that the
     * body's clean-up, e.g. deleting a temporary file, can make calls of its own. Idempotent.
     */
    public void detach() {
        synchronized (threadLock) {
            if (worker == Thread.currentThread()) {
                detached = true;
            }
        }
        Thread.interrupted();
    }

    private void work(Body<T> body) {
        synchronized (threadLock) {
            if (isGivenUp()) {
                return;
            }
            worker = Thread.currentThread();
        }
        try {
            result.complete(body.run(this));
        } catch (Throwable t) {
            result.completeExceptionally(t);
        } finally {
            detach(); // a pooled thread must not keep an interrupt meant for this call
            synchronized (threadLock) {
                worker = null;
            }
        }
    }

    private void giveUp(String reason) {
        if (!state.compareAndSet(RUNNING, GIVEN_UP)) {
            return;
        }
        // first, so that the caller sees the give-up, not what the abort and the interrupt make the body throw
        result.completeExceptionally(new UploadCancelledException(reason));
        try {
            if (onGiveUp != null) {
                onGiveUp.run();
            }
        } finally {
            synchronized (threadLock) {
                if (worker != null && !detached) {
                    worker.interrupt();
                }
            }
        }
    }

    private T await(UploadControl control) throws IOException, InterruptedException {
        boolean sawCancel = false;
        long cancelledAt = 0;
        while (true) {
            long now = System.nanoTime();
            long left = control.deadlineNanos() - now;
            long wait = left;
            if (left <= 0 || control.isCancelled()) {
                giveUp(left <= 0 ? "deadline reached" : "upload cancelled");
                if (result.isDone()) {
                    return get();
                }
                // committing: the step completes or not on its own; the caller goes at the deadline or after the grace
                if (left <= 0) {
                    throw new UploadCancelledException("deadline reached during the last step of the upload");
                }
                if (!sawCancel) {
                    sawCancel = true;
                    cancelledAt = now;
                }
                long graceLeft = commitGraceNanos - (now - cancelledAt);
                if (graceLeft <= 0) {
                    throw new UploadCancelledException("upload cancelled during the last step of the upload");
                }
                wait = Math.min(left, graceLeft);
            }
            try {
                (cancelled.isDone() ? result : CompletableFuture.anyOf(result, cancelled))
                        .get(Math.max(wait, 1), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // looked at below
            } catch (InterruptedException e) {
                giveUp("upload interrupted");
                throw e;
            }
            if (result.isDone()) {
                return get();
            }
        }
    }

    private T get() throws IOException, InterruptedException {
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    private static IOException rethrow(Throwable cause) throws InterruptedException {
        if (cause instanceof IOException io) {
            return io;
        }
        if (cause instanceof InterruptedException ie) {
            throw ie;
        }
        if (cause instanceof RuntimeException re) {
            throw re;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IOException(String.valueOf(cause), cause);
    }
}
