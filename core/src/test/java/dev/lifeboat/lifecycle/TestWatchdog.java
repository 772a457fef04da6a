package dev.lifeboat.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The watchdog with its halt replaced by a recording one. */
class TestWatchdog {
    private final Log log = Log.stderr(false, true);

    @Test
    void haltsWithTheStatusHalfAMarginAfterThePlannedExit() throws Exception {
        Budget budget = Budget.of(Duration.ofSeconds(1), Duration.ofMillis(500));
        CompletableFuture<Long> haltedAt = new CompletableFuture<>();
        int[] code = new int[1];
        Watchdog.guard(budget, () -> 7, log, c -> {
            code[0] = c;
            haltedAt.complete(System.nanoTime());
        });
        budget.start(System.nanoTime());
        long at = haltedAt.get(30, TimeUnit.SECONDS);
        assertEquals(7, code[0]);
        assertTrue(at - budget.watchdogAtNanos() >= 0, "not before the watchdog's moment");
        assertEquals(budget.exitAtNanos() + TimeUnit.MILLISECONDS.toNanos(250), budget.watchdogAtNanos());
    }

    @Test
    void staysUnarmedUntilTheBudgetStarts() throws Exception {
        Budget budget = Budget.of(Duration.ofSeconds(1), Duration.ofMillis(500));
        CompletableFuture<Integer> halted = new CompletableFuture<>();
        Watchdog.guard(budget, () -> 3, log, halted::complete);
        try {
            halted.get(1500, TimeUnit.MILLISECONDS);
            throw new AssertionError("halted before the budget started");
        } catch (TimeoutException expected) {
            assertFalse(budget.isStarted());
        }
    }

    @Test
    void followsTheBudgetWhenItMovesEarlier() throws Exception {
        Budget budget = Budget.of(Duration.ofSeconds(20), Duration.ofSeconds(10));
        CompletableFuture<Integer> halted = new CompletableFuture<>();
        Watchdog.guard(budget, () -> 143, log, halted::complete);
        long now = System.nanoTime();
        budget.start(now);
        // a signal queued during start-up, replayed late: the budget began 19 s ago
        budget.start(now - TimeUnit.SECONDS.toNanos(19));
        assertEquals(143, halted.get(30, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - budget.watchdogAtNanos() >= 0);
    }
}
