package dev.lifeboat.lifecycle;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

/**
 * The last line of the deadline: a daemon thread that halts the JVM, with the child's status, half a
 * safety margin after the deadline, should anything (a backend that ignores cancellation, a shutdown
 * hook) hold Lifeboat past it. It follows the deadline as it tightens.
 */
final class Watchdog {
    private static final AtomicBoolean ARMED = new AtomicBoolean();

    private Watchdog() {}

    static void arm(Deadline deadline, Duration gracePeriod, IntSupplier status, Log log) {
        if (!ARMED.compareAndSet(false, true)) {
            return;
        }
        long slack = Deadline.safetyMargin(gracePeriod).toNanos() / 2;
        Thread thread = new Thread(() -> {
            try {
                while (true) {
                    long left = deadline.exitAtNanos() + slack - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    deadline.awaitChange(left);
                }
            } catch (InterruptedException e) {
                return;
            }
            int code = status.getAsInt();
            log.error("the deadline has passed: exiting now with status " + code);
            Runtime.getRuntime().halt(code);
        }, "lifeboat-watchdog");
        thread.setDaemon(true);
        thread.start();
    }
}
