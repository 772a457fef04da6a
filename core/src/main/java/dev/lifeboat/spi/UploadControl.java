package dev.lifeboat.spi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Carries the deadline and cancellation into every call of an {@link Uploader}. The deadline is on the
 * {@link System#nanoTime()} clock: the time left before the container runtime's SIGKILL, less what
 * Lifeboat keeps for the manifest and its own exit.
 *
 * <p>Uploaders should bound every network call by {@link #remaining()}, register a cancel action that
 * unblocks them (abort a request, close a stream), and call {@link #checkCancelled()} between chunks.
 */
public final class UploadControl {
    private final long deadlineNanos;
    private final List<Runnable> onCancel = new ArrayList<>();
    private final AtomicLong progress = new AtomicLong();
    private volatile boolean cancelled;

    private UploadControl(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /** A control whose deadline is {@code deadlineNanos} on the {@link System#nanoTime()} clock. */
    public static UploadControl withDeadline(long deadlineNanos) {
        return new UploadControl(deadlineNanos);
    }

    /** A control whose deadline is {@code budget} from now. */
    public static UploadControl withTimeout(Duration budget) {
        return new UploadControl(System.nanoTime() + saturatedNanos(budget));
    }

    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** Time left before the deadline, never negative. */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    /** Time left in milliseconds, at least 1 so that it can be passed as a timeout. */
    public long remainingMillis() {
        return Math.max(1, remaining().toMillis());
    }

    public boolean isExpired() {
        return deadlineNanos - System.nanoTime() <= 0;
    }

    /** True once {@link #cancel()} was called or the deadline passed. */
    public boolean isCancelled() {
        return cancelled || isExpired();
    }

    /** Throws {@link UploadCancelledException} once cancelled or past the deadline. */
    public void checkCancelled() throws UploadCancelledException {
        if (cancelled) {
            throw new UploadCancelledException("upload cancelled");
        }
        if (isExpired()) {
            throw new UploadCancelledException("deadline reached");
        }
    }

    /**
     * Runs {@code action} when the control is cancelled (at once if it already is). Actions run on the
     * cancelling thread and must not block.
     */
    public void onCancel(Runnable action) {
        boolean runNow;
        synchronized (onCancel) {
            runNow = cancelled;
            if (!runNow) {
                onCancel.add(action);
            }
        }
        if (runNow) {
            action.run();
        }
    }

    /** Cancels: runs the registered actions once. Idempotent. */
    public void cancel() {
        List<Runnable> actions;
        synchronized (onCancel) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            actions = new ArrayList<>(onCancel);
            onCancel.clear();
        }
        for (Runnable action : actions) {
            try {
                action.run();
            } catch (RuntimeException e) {
                // a failing cancel action must not stop the others
            }
        }
    }

    /** Uploaders may report bytes sent; Lifeboat logs it for a slow upload. */
    public void addProgress(long bytes) {
        progress.addAndGet(bytes);
    }

    public long progress() {
        return progress.get();
    }

    /** A child control with an earlier or equal deadline, cancelled when this one is. */
    public UploadControl child(long deadlineNanos) {
        UploadControl child = new UploadControl(
                deadlineNanos - this.deadlineNanos < 0 ? deadlineNanos : this.deadlineNanos);
        onCancel(child::cancel);
        return child;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return d.isNegative() ? Long.MIN_VALUE / 2 : Long.MAX_VALUE / 2;
        }
    }
}
