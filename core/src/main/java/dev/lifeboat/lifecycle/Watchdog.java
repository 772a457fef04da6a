package dev.lifeboat.lifecycle;

import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;

/**
 * The last line of the budget: once the budget starts, a daemon thread halts the JVM with the child's
 * status at {@link Budget#watchdogAtNanos()}, should anything (a backend that ignores cancellation, a
 * shutdown hook) hold Lifeboat past its planned exit. It follows the budget if it moves earlier.
 */
final class Watchdog {
    private final Budget budget;
    private final IntSupplier status;
    private final Log log;
    private final IntConsumer halt;

    private Watchdog(Budget budget, IntSupplier status, Log log, IntConsumer halt) {
        this.budget = budget;
        this.status = status;
        this.log = log;
        this.halt = halt;
    }

    /** Guards {@code budget}: arms when it starts, and ends the run through {@code halt} (ProcessExit.halt). */
    static void guard(Budget budget, IntSupplier status, Log log, IntConsumer halt) {
        Watchdog watchdog = new Watchdog(budget, status, log, halt);
        budget.onStart(watchdog::arm);
    }

    private void arm() {
        Thread thread = new Thread(this::watch, "lifeboat-watchdog");
        thread.setDaemon(true);
        thread.start();
    }

    private void watch() {
        try {
            budget.awaitMoment(Budget::watchdogAtNanos);
        } catch (InterruptedException e) {
            return;
        }
        int code = status.getAsInt();
        log.error("the deadline has passed: exiting now with status " + code);
        halt.accept(code);
    }
}
