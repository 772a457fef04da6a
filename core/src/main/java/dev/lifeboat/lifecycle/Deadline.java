package dev.lifeboat.lifecycle;

import java.time.Duration;

/**
 * The one deadline: the moment (on the {@link System#nanoTime()} clock) by which Lifeboat must have
 * exited. It starts unset and only ever moves earlier; everything after a stop waits against it.
 */
public final class Deadline {
    private static final long UNSET = Long.MAX_VALUE;
    private final Object lock = new Object();
    private long exitAt = UNSET;

    /** Sets the deadline to {@code nanos} unless it is already earlier. Returns the deadline in force. */
    public long tighten(long nanos) {
        synchronized (lock) {
            if (exitAt == UNSET || nanos - exitAt < 0) {
                exitAt = nanos;
                lock.notifyAll();
            }
            return exitAt;
        }
    }

    public boolean isSet() {
        synchronized (lock) {
            return exitAt != UNSET;
        }
    }

    /** The deadline, or {@code Long.MAX_VALUE} if unset. */
    public long exitAtNanos() {
        synchronized (lock) {
            return exitAt;
        }
    }

    /** Nanoseconds left, never negative; {@code Long.MAX_VALUE} if unset. */
    public long remainingNanos() {
        long at = exitAtNanos();
        return at == UNSET ? Long.MAX_VALUE : Math.max(0, at - System.nanoTime());
    }

    public Duration remaining() {
        return Duration.ofNanos(remainingNanos());
    }

    /** Blocks until the deadline changes or {@code timeoutNanos} pass. */
    void awaitChange(long timeoutNanos) throws InterruptedException {
        synchronized (lock) {
            long ms = Math.max(1, timeoutNanos / 1_000_000);
            lock.wait(ms);
        }
    }

    /**
     * The safety margin kept between Lifeboat's planned exit and the end of the grace period: time for
     * the JVM to exit and for scheduling delays on a busy machine. 10% of the grace period, between
     * 500 ms and 2 s.
     */
    public static Duration safetyMargin(Duration gracePeriod) {
        long ms = gracePeriod.toMillis() / 10;
        return Duration.ofMillis(Math.max(500, Math.min(2000, ms)));
    }
}
