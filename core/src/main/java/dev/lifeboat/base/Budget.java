package dev.lifeboat.base;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How a grace period is spent: the one place where every wait of a stop is derived. The budget starts
 * when the stop is requested (the first stop signal's arrival, the child's exit, or {@code lifeboat
 * upload} starting) and every moment below counts from there, on the {@link System#nanoTime()} clock.
 *
 * <pre>
 *   start                                                            start + grace period
 *   |-- child timeout --|- kill wait -|- drain -|-- uploads --|- manifest -|- margin -|
 *                                                                          ^ exitAt   ^ the runtime's SIGKILL
 *                                                                              ^ watchdog (half the margin)
 * </pre>
 *
 * <ul>
 *   <li><b>Safety margin</b> ({@link #safetyMargin}): 10% of the grace period, between 500 ms and 2 s,
 *       kept after Lifeboat's planned exit for the JVM's own exit and scheduling delays.</li>
 *   <li><b>Exit</b> ({@link #exitAtNanos}): start + grace period - safety margin. Nothing Lifeboat does
 *       is planned past it.</li>
 *   <li><b>Watchdog</b> ({@link #watchdogAtNanos}): half a margin after the exit; if Lifeboat is still
 *       running then, it halts with the child's status, so the runtime never has to SIGKILL it.</li>
 *   <li><b>Child</b> ({@link #childKillAtNanos}): after a stop signal the child has the child timeout
 *       to exit (never past the exit) before it is SIGKILLed; a child that exited on its own starts the
 *       budget with its exit and takes nothing.</li>
 *   <li><b>Kill wait</b> ({@link #killWaitUntil}): after SIGKILL, up to a quarter of what is left, at
 *       most 2 s, for the kernel to report the child gone.</li>
 *   <li><b>Drain</b> ({@link #drainUntil}): up to a tenth of what is left, at most 500 ms, for the
 *       child's last output to reach the capture.</li>
 *   <li><b>Uploads</b> ({@link #uploadDeadline}): the last round and the seal, until the exit less the
 *       manifest's reserve; at that moment uploads in flight are cancelled and get {@link #CANCEL_GRACE}
 *       to return. A round in flight when the budget starts is cut short at once: what it completed is
 *       kept, the rest goes in the last round.</li>
 *   <li><b>Manifest</b> ({@link #manifestReserve}): a seventh of what is left when shipping begins,
 *       between 200 ms and 2 s, for writing and shipping {@code manifest.json} last.</li>
 * </ul>
 *
 * <p>Starting is idempotent: a later request keeps the budget already running, and an earlier one (a
 * queued signal replayed late) moves it earlier; it never moves later.
 */
public final class Budget {
    static final Duration MIN_MARGIN = Duration.ofMillis(500);
    static final Duration MAX_MARGIN = Duration.ofSeconds(2);
    static final long MAX_KILL_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);
    static final long MAX_DRAIN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    static final long MIN_MANIFEST_RESERVE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    static final long MAX_MANIFEST_RESERVE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** How long uploads cancelled at the upload deadline get to return before they are abandoned. */
    public static final Duration CANCEL_GRACE = Duration.ofMillis(250);

    private final Duration gracePeriod;
    private final Duration childTimeout;
    private final LongSupplier clock;
    private final Object lock = new Object();
    private final List<Runnable> onStart = new ArrayList<>();
    private boolean started;
    private long startedAt;

    private Budget(Duration gracePeriod, Duration childTimeout, LongSupplier clock) {
        this.gracePeriod = gracePeriod;
        this.childTimeout = childTimeout;
        this.clock = clock;
    }

    /** A budget on the {@link System#nanoTime()} clock. */
    public static Budget of(Duration gracePeriod, Duration childTimeout) {
        return new Budget(gracePeriod, childTimeout, System::nanoTime);
    }

    /** A budget on another nanosecond clock, for tests. */
    public static Budget withClock(Duration gracePeriod, Duration childTimeout, LongSupplier clock) {
        return new Budget(gracePeriod, childTimeout, clock);
    }

    /** The safety margin for a grace period: 10%, between 500 ms and 2 s. */
    public static Duration safetyMargin(Duration gracePeriod) {
        Duration tenth = gracePeriod.dividedBy(10);
        return tenth.compareTo(MIN_MARGIN) < 0 ? MIN_MARGIN : tenth.compareTo(MAX_MARGIN) > 0 ? MAX_MARGIN : tenth;
    }

    /**
     * Starts the budget at {@code requestedAtNanos}, the moment the stop was requested. The first call
     * starts it and runs what {@link #onStart} registered; a later call moves it only earlier.
     *
     * @return true if this call started the budget
     */
    public boolean start(long requestedAtNanos) {
        List<Runnable> actions;
        synchronized (lock) {
            if (started) {
                if (requestedAtNanos - startedAt < 0) {
                    startedAt = requestedAtNanos;
                    lock.notifyAll();
                }
                return false;
            }
            started = true;
            startedAt = requestedAtNanos;
            lock.notifyAll();
            actions = new ArrayList<>(onStart);
            onStart.clear();
        }
        actions.forEach(Runnable::run);
        return true;
    }

    /** Runs {@code action} when the budget starts (at once if it has). Actions must not block. */
    public void onStart(Runnable action) {
        synchronized (lock) {
            if (!started) {
                onStart.add(action);
                return;
            }
        }
        action.run();
    }

    public boolean isStarted() {
        synchronized (lock) {
            return started;
        }
    }

    public Duration gracePeriod() {
        return gracePeriod;
    }

    public Duration childTimeout() {
        return childTimeout;
    }

    public Duration safetyMargin() {
        return safetyMargin(gracePeriod);
    }

    /** The clock's reading now. */
    public long now() {
        return clock.getAsLong();
    }

    /** When the stop was requested; {@code Long.MAX_VALUE} before the budget starts. */
    public long startedAtNanos() {
        synchronized (lock) {
            return started ? startedAt : Long.MAX_VALUE;
        }
    }

    /** Lifeboat's planned exit: start + grace period - safety margin; {@code Long.MAX_VALUE} before the start. */
    public long exitAtNanos() {
        synchronized (lock) {
            return started ? startedAt + gracePeriod.toNanos() - safetyMargin().toNanos() : Long.MAX_VALUE;
        }
    }

    /** When the watchdog halts the JVM: half a safety margin after the exit. */
    public long watchdogAtNanos() {
        long exitAt = exitAtNanos();
        return exitAt == Long.MAX_VALUE ? exitAt : exitAt + safetyMargin().toNanos() / 2;
    }

    /** When a child that has not exited after the forwarded stop signal is SIGKILLed. */
    public long childKillAtNanos() {
        long exitAt = exitAtNanos();
        if (exitAt == Long.MAX_VALUE) {
            return exitAt;
        }
        long killAt = startedAtNanos() + childTimeout.toNanos();
        return killAt - exitAt < 0 ? killAt : exitAt;
    }

    /** After SIGKILL at {@code now}: how long to wait for the child to be gone. */
    public long killWaitUntil(long now) {
        return now + Math.min(MAX_KILL_WAIT_NANOS, remainingNanos(now) / 4);
    }

    /** After the child is gone at {@code now}: how long to wait for its last output. */
    public long drainUntil(long now) {
        return now + Math.min(MAX_DRAIN_NANOS, remainingNanos(now) / 10);
    }

    /** The manifest's reserve when shipping begins at {@code now}. */
    public long manifestReserve(long now) {
        long left = remainingNanos(now);
        return Math.max(MIN_MANIFEST_RESERVE_NANOS, Math.min(MAX_MANIFEST_RESERVE_NANOS, left / 7));
    }

    /** When shipping that begins at {@code now} must stop uploading: the exit less the manifest's reserve. */
    public long uploadDeadline(long now) {
        return exitAtNanos() - manifestReserve(now);
    }

    /** Nanoseconds left before the exit at {@code now}, never negative; {@code Long.MAX_VALUE} before the start. */
    public long remainingNanos(long now) {
        long exitAt = exitAtNanos();
        return exitAt == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, exitAt - now);
    }

    public long remainingNanos() {
        return remainingNanos(now());
    }

    /**
     * Blocks until the budget has started and {@code moment} (computed afresh from the budget each time it
     * changes) has come, or the thread is interrupted. Used by the watchdog.
     */
    public void awaitMoment(java.util.function.ToLongFunction<Budget> moment) throws InterruptedException {
        synchronized (lock) {
            while (true) {
                long at = started ? moment.applyAsLong(this) : Long.MAX_VALUE;
                long left = at == Long.MAX_VALUE ? Long.MAX_VALUE : at - clock.getAsLong();
                if (left <= 0) {
                    return;
                }
                lock.wait(left == Long.MAX_VALUE ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }
}
