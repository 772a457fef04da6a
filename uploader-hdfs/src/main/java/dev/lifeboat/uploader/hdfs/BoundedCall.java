package dev.lifeboat.uploader.hdfs;

import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a body of blocking Hadoop calls on a worker thread while the caller waits no longer than its
 * {@link UploadControl} allows. Hadoop's client may block in places that ignore interrupts (name
 * resolution, a datanode pipeline being torn down); the caller returns at the deadline regardless, and the
 * worker, interrupted, cleans up on its own.
 *
 * <p>A body that must not be interrupted half-way through its last step (the rename into the final name)
 * calls {@link #commit()} first: from then on cancellation waits for the body, within the deadline.
 */
final class BoundedCall<T> implements Runnable {
    /** The blocking work; gets its own call to check for cancellation and to commit. */
    interface Body<T> {
        T run(BoundedCall<T> call) throws IOException, InterruptedException;
    }

    /** Runs the body on the worker thread, e.g. as a Hadoop user. */
    interface Runner {
        <T> T run(Body<T> body, BoundedCall<T> call) throws IOException, InterruptedException;
    }

    private static final int RUNNING = 0;
    private static final int COMMITTING = 1;
    private static final int CANCELLED = 2;

    private final Body<T> body;
    private final Runner runner;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private final Object threadLock = new Object();
    private Thread worker;
    private boolean detached;

    private BoundedCall(Body<T> body, Runner runner) {
        this.body = body;
        this.runner = runner;
    }

    /** Runs {@code body} on {@code executor} and waits for it within {@code control}'s deadline. */
    static <T> T call(Executor executor, Runner runner, UploadControl control, Body<T> body)
            throws IOException, InterruptedException {
        control.checkCancelled();
        BoundedCall<T> call = new BoundedCall<>(body, runner);
        try {
            executor.execute(call);
        } catch (RejectedExecutionException e) {
            throw new IOException("the uploader is closed");
        }
        control.onCancel(() -> call.cancel("upload cancelled"));
        return call.await(control);
    }

    @Override
    public void run() {
        synchronized (threadLock) {
            if (state.get() == CANCELLED) {
                return;
            }
            worker = Thread.currentThread();
        }
        try {
            result.complete(runner.run(body, this));
        } catch (Throwable t) {
            result.completeExceptionally(t);
        } finally {
            detach();
        }
    }

    /** True once the call was cancelled; the body then stops and cleans up. */
    boolean cancelled() {
        return state.get() == CANCELLED;
    }

    /** Throws once the call was cancelled. */
    void checkpoint() throws UploadCancelledException {
        if (cancelled()) {
            throw new UploadCancelledException("upload cancelled");
        }
    }

    /**
     * Enters the last step, which cancellation no longer interrupts. Returns false when the call was
     * cancelled first: the body must then clean up instead.
     */
    boolean commit() {
        return state.compareAndSet(RUNNING, COMMITTING);
    }

    /**
     * Stops interrupts from reaching the current thread and clears a pending one, so that the body's
     * cleanup (deleting a temporary file) can make its own calls. Idempotent.
     */
    void detach() {
        synchronized (threadLock) {
            if (worker == Thread.currentThread()) {
                detached = true;
            }
        }
        Thread.interrupted();
    }

    private void cancel(String reason) {
        if (state.compareAndSet(RUNNING, CANCELLED)) {
            synchronized (threadLock) {
                if (worker != null && !detached) {
                    worker.interrupt();
                }
            }
            result.completeExceptionally(new UploadCancelledException(reason));
        }
    }

    private T await(UploadControl control) throws IOException, InterruptedException {
        while (true) {
            long left = control.deadlineNanos() - System.nanoTime();
            if (left <= 0 || control.isCancelled()) {
                cancel(left <= 0 ? "deadline reached" : "upload cancelled");
                if (result.isDone()) {
                    return get();
                }
                if (left <= 0) {
                    // still renaming into the final name: the file appears complete, or not at all
                    throw new UploadCancelledException("deadline reached while renaming into the final name");
                }
            }
            try {
                return result.get(Math.max(left, 1), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // loop: the deadline decides
            } catch (ExecutionException e) {
                throw rethrow(e.getCause());
            } catch (InterruptedException e) {
                cancel("upload interrupted");
                throw e;
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
