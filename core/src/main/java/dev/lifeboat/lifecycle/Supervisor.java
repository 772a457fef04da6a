package dev.lifeboat.lifecycle;

import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import dev.lifeboat.config.StopSignals;
import dev.lifeboat.process.OutputCapture;
import dev.lifeboat.process.Posix;
import dev.lifeboat.process.Signals;
import dev.lifeboat.process.SupervisedChild;
import dev.lifeboat.ship.Manifest;
import dev.lifeboat.ship.Shipper;
import dev.lifeboat.ship.Tracker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The run's one state machine: RUNNING, then STOPPING (a stop signal: forward it, wait up to the child
 * timeout, SIGKILL) or straight to SHIPPING (the child exited), then DONE. The stop starts the
 * {@link Budget}, and every wait after it is one of the budget's moments.
 */
public final class Supervisor {
    enum State { RUNNING, STOPPING, SHIPPING, DONE }

    private final Budget budget;
    private final SupervisedChild child;
    private final boolean processGroup;
    private final StopSignals signals;
    private final Log log;
    private final Object lock = new Object();
    private State state = State.RUNNING;
    private int stopSignal;
    private Instant stopRequestedAt;

    Supervisor(Budget budget, SupervisedChild child, boolean processGroup, Log log) {
        this(budget, child, processGroup, StopSignals.DEFAULT, log);
    }

    Supervisor(Budget budget, SupervisedChild child, boolean processGroup, StopSignals signals, Log log) {
        this.budget = budget;
        this.child = child;
        this.processGroup = processGroup;
        this.signals = signals;
        this.log = log;
    }

    State state() {
        synchronized (lock) {
            return state;
        }
    }

    /**
     * Called for every caught signal: a stop signal (TERM and INT unless configured) starts the stop;
     * every signal is forwarded, rewritten as configured.
     *
     * @param arrivedNanos when the signal arrived; the budget counts from then
     */
    public void onSignal(int signal, long arrivedNanos) {
        if (signals.isStop(signal)) {
            requestStop(signal, arrivedNanos);
        }
        int forward = signals.forwardAs(signal);
        if (forward != 0 && child.process().isAlive()) {
            child.process().signal(forward, processGroup);
            log.debug("forwarded " + Signals.name(signal) + (forward == signal ? "" : " as " + Signals.name(forward))
                    + " to the child");
        }
    }

    private void requestStop(int signal, long arrivedNanos) {
        synchronized (lock) {
            budget.start(arrivedNanos);
            if (stopRequestedAt != null) {
                log.info("received " + Signals.name(signal) + " again while " + state.name().toLowerCase()
                        + "; carrying on, " + TimeUnit.NANOSECONDS.toMillis(budget.remainingNanos()) + " ms left");
                return;
            }
            stopSignal = signal;
            stopRequestedAt = Instant.now().minusNanos(Math.max(0, budget.now() - arrivedNanos));
            if (state == State.RUNNING) {
                state = State.STOPPING;
            }
            lock.notifyAll();
        }
        log.info("received " + Signals.name(signal) + ": stopping the child, exit within "
                + TimeUnit.NANOSECONDS.toMillis(budget.remainingNanos()) + " ms");
    }

    /** Whether the run shipped everything matched and its manifest; false until it has. */
    boolean allShipped() {
        return allShipped;
    }

    private volatile boolean allShipped;

    /**
     * Runs until the child is gone and its logs are shipped; returns Lifeboat's exit status.
     *
     * @param shutdown builds the shipping side once the child runs; it may fail (a broken installation),
     *     and the run then goes on without it: the child is still supervised and its status passed on
     */
    public int run(Supplier<Shutdown> shutdown) throws InterruptedException {
        child.process().exit().whenComplete((status, e) -> {
            synchronized (lock) {
                lock.notifyAll();
            }
        });
        Shutdown shipping = null;
        try {
            shipping = shutdown.get();
            shipping.prepare(List.of(new Tracker.Capture("stdout.log", child.stdout().name(), child.stdout().spool()),
                    new Tracker.Capture("stderr.log", child.stderr().name(), child.stderr().spool())));
        } catch (RuntimeException | LinkageError e) {
            shipping = null;
            log.error("internal error, logs will not be shipped for this run: " + Log.describe(e), e);
        }
        synchronized (lock) {
            while (state == State.RUNNING && child.process().isAlive()) {
                lock.wait();
            }
        }
        boolean killed = false;
        if (stopRequestedAt != null) {
            Integer status = child.process().awaitExit(budget.childKillAtNanos() - budget.now());
            if (status == null) {
                log.warn("the child did not exit within the child timeout (" + budget.childTimeout().toMillis()
                        + " ms): sending SIGKILL");
                child.process().signal(Signals.SIGKILL, processGroup);
                killed = true;
                long now = budget.now();
                child.process().awaitExit(budget.killWaitUntil(now) - now);
            }
        } else {
            budget.start(budget.now());
        }
        synchronized (lock) {
            state = State.SHIPPING;
        }
        Integer waitStatus = child.process().exit().getNow(null);
        Instant childExitedAt = waitStatus == null ? null : Instant.now();
        if (waitStatus != null) {
            log.info("the child exited: " + describeStatus(waitStatus));
        }
        if (processGroup) {
            // whatever is left of the child's group would keep writing: end it before shipping
            child.process().signal(Signals.SIGKILL, true);
        }

        long drainUntil = budget.drainUntil(budget.now());
        child.stdout().awaitDrained(drainUntil - budget.now());
        child.stderr().awaitDrained(drainUntil - budget.now());

        Manifest.Ending ending = new Manifest.Ending(stop(waitStatus), childOf(waitStatus, killed), stopRequestedAt,
                childExitedAt);
        if (shipping != null) {
            Shipper.Outcome outcome = shipping.ship(ending);
            allShipped = outcome.manifestShipped() && outcome.manifest().allShipped();
            removeShippedCaptures(outcome.manifest());
        }
        synchronized (lock) {
            state = State.DONE;
        }
        return exitStatus(waitStatus);
    }

    /**
     * Captured output that reached the destination is not kept in the spool as well; what was not
     * shipped stays there beside the local manifest.
     */
    private void removeShippedCaptures(Manifest manifest) {
        for (OutputCapture capture : List.of(child.stdout(), child.stderr())) {
            String key = capture == child.stdout() ? "stdout.log" : "stderr.log";
            boolean shipped = manifest.files().stream().anyMatch(f -> f.key().equals(key));
            if (shipped) {
                Path snapshot = capture.spool().path().resolveSibling(key);
                try {
                    Files.deleteIfExists(snapshot);
                    capture.spool().delete();
                } catch (IOException e) {
                    log.debug("cannot remove " + snapshot + ": " + Log.describe(e));
                }
            }
        }
    }

    private Manifest.Stop stop(Integer waitStatus) {
        if (stopRequestedAt != null) {
            return new Manifest.Stop("SIGNAL", Signals.name(stopSignal));
        }
        if (waitStatus != null && Posix.terminatingSignal(waitStatus) != 0) {
            return new Manifest.Stop("CHILD_CRASH", Signals.name(Posix.terminatingSignal(waitStatus)));
        }
        return new Manifest.Stop("CHILD_EXIT", null);
    }

    private Manifest.Child childOf(Integer waitStatus, boolean killed) {
        if (waitStatus == null) {
            return new Manifest.Child(child.process().pid(), null, null, null, killed);
        }
        int sig = Posix.terminatingSignal(waitStatus);
        return new Manifest.Child(child.process().pid(), sig == 0 ? Posix.exitStatus(waitStatus) : null,
                sig == 0 ? null : Signals.name(sig), Posix.exitStatus(waitStatus), killed);
    }

    static String describeStatus(int waitStatus) {
        int sig = Posix.terminatingSignal(waitStatus);
        return sig == 0 ? "exit code " + Posix.exitStatus(waitStatus)
                : "killed by " + Signals.name(sig) + " (status " + Posix.exitStatus(waitStatus) + ")";
    }

    /** The child's status as Lifeboat passes it on; 137 (SIGKILL) if it is still not known. */
    private static int exitStatus(Integer waitStatus) {
        return waitStatus == null ? 128 + Signals.SIGKILL : Posix.exitStatus(waitStatus);
    }

    /** The status to exit with now, should the watchdog have to end the run. */
    int exitStatusNow() {
        return exitStatus(child.process().exit().getNow(null));
    }
}
