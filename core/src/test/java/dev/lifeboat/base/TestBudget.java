package dev.lifeboat.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The budget's arithmetic, on a clock the test moves. */
class TestBudget {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long S = TimeUnit.SECONDS.toNanos(1);

    private final AtomicLong clock = new AtomicLong(1_000 * S);

    private Budget budget(Duration grace, Duration childTimeout) {
        return Budget.withClock(grace, childTimeout, clock::get);
    }

    @Test
    void safetyMarginIsTenPercentBetween500msAnd2s() {
        assertEquals(Duration.ofMillis(500), Budget.safetyMargin(Duration.ofSeconds(1)));
        assertEquals(Duration.ofMillis(500), Budget.safetyMargin(Duration.ofSeconds(5)));
        assertEquals(Duration.ofMillis(600), Budget.safetyMargin(Duration.ofSeconds(6)));
        assertEquals(Duration.ofMillis(1000), Budget.safetyMargin(Duration.ofSeconds(10)));
        assertEquals(Duration.ofMillis(2000), Budget.safetyMargin(Duration.ofSeconds(20)));
        assertEquals(Duration.ofMillis(2000), Budget.safetyMargin(Duration.ofMinutes(10)));
    }

    @Test
    void nothingIsDueBeforeTheStart() {
        Budget b = budget(Duration.ofSeconds(10), Duration.ofSeconds(5));
        assertFalse(b.isStarted());
        assertEquals(Long.MAX_VALUE, b.exitAtNanos());
        assertEquals(Long.MAX_VALUE, b.watchdogAtNanos());
        assertEquals(Long.MAX_VALUE, b.childKillAtNanos());
        assertEquals(Long.MAX_VALUE, b.remainingNanos());
    }

    @Test
    void dockersDefaultTenSecondsAfterASignal() {
        Budget b = budget(Duration.ofSeconds(10), Duration.ofSeconds(5));
        long t0 = clock.get();
        assertTrue(b.start(t0));
        assertEquals(t0 + 9 * S, b.exitAtNanos(), "grace period less a 1 s margin");
        assertEquals(t0 + 9_500 * MS, b.watchdogAtNanos(), "half a margin after the exit");
        assertEquals(t0 + 5 * S, b.childKillAtNanos(), "the child timeout");
        // the child took its 5 s and was killed: a quarter of the 4 s left, at most 2 s
        clock.set(t0 + 5 * S);
        assertEquals(t0 + 6 * S, b.killWaitUntil(clock.get()));
        // gone at 5.2 s: a tenth of the 3.8 s left, at most 500 ms, to drain
        clock.set(t0 + 5_200 * MS);
        assertEquals(t0 + 5_580 * MS, b.drainUntil(clock.get()));
        // shipping from 5.6 s: a seventh of the 3.4 s left for the manifest
        clock.set(t0 + 5_600 * MS);
        long reserve = 3_400 * MS / 7;
        assertEquals(reserve, b.manifestReserve(clock.get()));
        assertEquals(t0 + 9 * S - reserve, b.uploadDeadline(clock.get()));
    }

    @Test
    void theSmallestGracePeriodStillLeavesEveryStepItsShare() {
        Budget b = budget(Duration.ofSeconds(1), Duration.ofMillis(500));
        long t0 = clock.get();
        b.start(t0);
        assertEquals(t0 + 500 * MS, b.exitAtNanos(), "the 500 ms minimum margin");
        assertEquals(t0 + 750 * MS, b.watchdogAtNanos());
        assertEquals(t0 + 500 * MS, b.childKillAtNanos(), "never past the exit");
        assertEquals(200 * MS, b.manifestReserve(t0), "the 200 ms minimum reserve");
        assertEquals(t0 + 300 * MS, b.uploadDeadline(t0));
    }

    @Test
    void aHugeGracePeriodIsCappedInEveryStep() {
        Budget b = budget(Duration.ofHours(1), Duration.ofMinutes(30));
        long t0 = clock.get();
        b.start(t0);
        assertEquals(t0 + 3600 * S - 2 * S, b.exitAtNanos(), "the 2 s maximum margin");
        assertEquals(t0 + 3600 * S - S, b.watchdogAtNanos());
        assertEquals(t0 + 1800 * S, b.childKillAtNanos());
        assertEquals(t0 + 2 * S, b.killWaitUntil(t0), "at most 2 s after SIGKILL");
        assertEquals(t0 + 500 * MS, b.drainUntil(t0), "at most 500 ms to drain");
        assertEquals(2 * S, b.manifestReserve(t0), "at most 2 s for the manifest");
    }

    @Test
    void aChildThatExitsOnItsOwnStartsTheBudgetAtItsExit() {
        Budget b = budget(Duration.ofSeconds(10), Duration.ofSeconds(5));
        long exited = clock.get() + 42 * S;
        clock.set(exited);
        b.start(exited);
        assertEquals(exited + 9 * S, b.exitAtNanos());
        assertEquals(9 * S, b.remainingNanos());
    }

    @Test
    void aSecondRequestKeepsTheBudgetAndAnEarlierOneMovesIt() {
        Budget b = budget(Duration.ofSeconds(10), Duration.ofSeconds(5));
        long t0 = clock.get();
        assertTrue(b.start(t0));
        assertFalse(b.start(t0 + 3 * S), "a second signal");
        assertEquals(t0 + 9 * S, b.exitAtNanos(), "kept: a later request never moves the exit");
        assertFalse(b.start(t0 - S), "a signal queued during start-up, replayed late");
        assertEquals(t0 + 8 * S, b.exitAtNanos(), "moved earlier");
    }

    @Test
    void remainingIsNeverNegativeAndComparesAcrossTheClocksSign() {
        clock.set(Long.MAX_VALUE - 2 * S);
        Budget b = budget(Duration.ofSeconds(10), Duration.ofSeconds(5));
        b.start(clock.get());
        assertEquals(9 * S, b.remainingNanos(), "the exit lies past the wrap of the nanoTime clock");
        clock.addAndGet(20 * S);
        assertEquals(0, b.remainingNanos());
        assertEquals(clock.get(), b.drainUntil(clock.get()), "nothing left to drain for");
    }

    @Test
    void startActionsRunOnceWhenTheBudgetStarts() {
        Budget b = budget(Duration.ofSeconds(10), Duration.ofSeconds(5));
        AtomicInteger runs = new AtomicInteger();
        b.onStart(runs::incrementAndGet);
        assertEquals(0, runs.get());
        b.start(clock.get());
        b.start(clock.get());
        assertEquals(1, runs.get());
        b.onStart(runs::incrementAndGet);
        assertEquals(2, runs.get(), "registered after the start: runs at once");
    }

    @Test
    void awaitMomentWakesWhenTheBudgetStartsAndTheMomentComes() throws Exception {
        Budget b = Budget.of(Duration.ofSeconds(1), Duration.ofMillis(500));
        CountDownLatch woke = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            try {
                b.awaitMoment(Budget::exitAtNanos);
                woke.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        assertFalse(woke.await(200, TimeUnit.MILLISECONDS), "nothing is due before the start");
        long started = System.nanoTime();
        b.start(started);
        assertTrue(woke.await(10, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() >= b.exitAtNanos(), "not before the moment");
        waiter.join();
    }
}
