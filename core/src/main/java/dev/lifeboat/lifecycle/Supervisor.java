package dev.lifeboat.lifecycle;

import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.process.OutputCapture;
import dev.lifeboat.process.Posix;
import dev.lifeboat.process.Signals;
import dev.lifeboat.ship.Manifest;
import dev.lifeboat.ship.ShipItem;
import dev.lifeboat.ship.Shipper;
import dev.lifeboat.ship.UploaderService;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The run's one state machine: RUNNING, then STOPPING (a stop signal: forward it, wait up to the child
 * timeout, SIGKILL) or straight to SHIPPING (the child exited), then DONE. Every wait after the first
 * stop is bounded by the one {@link Deadline}; a watchdog halts the JVM with the child's status should
 * anything overrun it, so the runtime never has to SIGKILL Lifeboat.
 */
public final class Supervisor {
    enum State { RUNNING, STOPPING, SHIPPING, DONE }

    private final LifeboatConfig config;
    private final RunInfo run;
    private final Deadline deadline;
    private final SupervisedChild child;
    private final UploaderService uploaders;
    private final Shipper shipper;
    private final Log log;
    private final Object lock = new Object();
    private State state = State.RUNNING;
    private int stopSignal;
    private Instant stopRequestedAt;
    private long childKillAtNanos;

    @Inject
    public Supervisor(LifeboatConfig config, RunInfo run, Deadline deadline, SupervisedChild child,
            UploaderService uploaders, Shipper shipper, Log log) {
        this.config = config;
        this.run = run;
        this.deadline = deadline;
        this.child = child;
        this.uploaders = uploaders;
        this.shipper = shipper;
        this.log = log;
    }

    /**
     * Called for every caught signal: TERM and INT start the stop; every signal is forwarded.
     *
     * @param arrivedNanos when the signal arrived; the deadline counts from then
     */
    public void onSignal(int signal, long arrivedNanos) {
        if (signal == Signals.SIGTERM || signal == Signals.SIGINT) {
            requestStop(signal, arrivedNanos);
        }
        if (child.process().isAlive()) {
            child.process().signal(signal, config.processGroup());
            log.debug("forwarded " + Signals.name(signal) + " to the child");
        }
    }

    private void requestStop(int signal, long now) {
        synchronized (lock) {
            long exitAt = deadline.tighten(now + config.gracePeriod().toNanos()
                    - Deadline.safetyMargin(config.gracePeriod()).toNanos());
            if (stopRequestedAt != null) {
                log.info("received " + Signals.name(signal) + " again while " + state.name().toLowerCase()
                        + "; carrying on, " + TimeUnit.NANOSECONDS.toMillis(Math.max(0, exitAt - now)) + " ms left");
                return;
            }
            stopSignal = signal;
            stopRequestedAt = Instant.now().minusNanos(Math.max(0, System.nanoTime() - now));
            childKillAtNanos = now + config.childTimeout().toNanos();
            if (state == State.RUNNING) {
                state = State.STOPPING;
            }
            lock.notifyAll();
        }
        Watchdog.arm(deadline, config.gracePeriod(), this::exitStatusForWatchdog, log);
        log.info("received " + Signals.name(signal) + ": stopping the child, exit within "
                + TimeUnit.NANOSECONDS.toMillis(deadline.remainingNanos()) + " ms");
    }

    /** Runs until the child is gone and its logs are shipped; returns Lifeboat's exit status. */
    public int run() throws InterruptedException {
        uploaders.warmUp();
        shipper.prepare();
        child.process().exit().whenComplete((status, e) -> {
            synchronized (lock) {
                lock.notifyAll();
            }
        });
        synchronized (lock) {
            while (state == State.RUNNING && child.process().isAlive()) {
                lock.wait();
            }
        }
        boolean killed = false;
        if (stopRequestedAt != null) {
            long waitUntil = Math.min(childKillAtNanos, deadline.exitAtNanos());
            Integer status = child.process().awaitExit(waitUntil - System.nanoTime());
            if (status == null) {
                log.warn("the child did not exit within the child timeout (" + config.childTimeout().toMillis()
                        + " ms): sending SIGKILL");
                child.process().signal(Signals.SIGKILL, config.processGroup());
                killed = true;
                child.process().awaitExit(Math.min(TimeUnit.SECONDS.toNanos(2), deadline.remainingNanos() / 4));
            }
        } else {
            long now = System.nanoTime();
            deadline.tighten(now + config.gracePeriod().toNanos() - Deadline.safetyMargin(config.gracePeriod()).toNanos());
            Watchdog.arm(deadline, config.gracePeriod(), this::exitStatusForWatchdog, log);
        }
        synchronized (lock) {
            state = State.SHIPPING;
        }
        Integer waitStatus = child.process().exit().getNow(null);
        Instant childExitedAt = Instant.now();
        if (waitStatus != null) {
            log.info("the child exited: " + describeStatus(waitStatus));
        }
        if (config.processGroup()) {
            // whatever is left of the child's group would keep writing: end it before shipping
            child.process().signal(Signals.SIGKILL, true);
        }

        long drainBudget = Math.min(TimeUnit.MILLISECONDS.toNanos(500), deadline.remainingNanos() / 10);
        long drainUntil = System.nanoTime() + drainBudget;
        child.stdout().awaitDrained(drainUntil - System.nanoTime());
        child.stderr().awaitDrained(drainUntil - System.nanoTime());

        Map<String, Long> dropped = new LinkedHashMap<>();
        List<ShipItem> captured = new ArrayList<>();
        snapshot(child.stdout(), "stdout.log", captured, dropped);
        snapshot(child.stderr(), "stderr.log", captured, dropped);

        final boolean killedAfterTimeout = killed;
        final Integer finalStatus = waitStatus;
        Shipper.Outcome outcome = shipper.ship(captured, dropped, report -> new Manifest(
                Manifest.VERSION, Version.get(), run.runId(), shipper.location(), run.hostname(), run.command(),
                run.started().toString(), stopRequestedAt == null ? null : stopRequestedAt.toString(),
                finalStatus == null ? null : childExitedAt.toString(), Shipper.now(),
                stop(finalStatus), childOf(finalStatus, killedAfterTimeout), config.gracePeriod().toMillis(),
                report.notShipped().stream().allMatch(s -> s.reason() == dev.lifeboat.ship.Skipped.Reason.NO_MATCH),
                report.shipped(), report.notShipped()));
        synchronized (lock) {
            state = State.DONE;
        }
        removeShippedCaptures(outcome.manifest(), captured);
        uploaders.close();
        return exitStatus(finalStatus);
    }

    private void snapshot(OutputCapture capture, String key, List<ShipItem> captured, Map<String, Long> dropped) {
        try {
            Path target = capture.spool().path().resolveSibling(key);
            long size = capture.spool().snapshot(target);
            captured.add(new ShipItem(target, key, capture.name(), size));
            if (capture.spool().dropped() > 0) {
                dropped.put(key, capture.spool().dropped());
                log.warn(capture.name() + " exceeded --output-limit: the oldest " + capture.spool().dropped()
                        + " bytes were dropped, the newest " + size + " are shipped");
            }
        } catch (IOException e) {
            log.error("cannot snapshot the captured " + capture.name() + ": " + Log.describe(e), e);
        }
    }

    /**
     * Captured output that reached the destination is not kept in the spool as well; what was not
     * shipped stays there beside the local manifest.
     */
    private void removeShippedCaptures(Manifest manifest, List<ShipItem> captured) {
        for (ShipItem item : captured) {
            boolean shipped = manifest.files().stream().anyMatch(f -> f.key().equals(item.key()));
            if (shipped) {
                OutputCapture capture = item.key().equals("stdout.log") ? child.stdout() : child.stderr();
                try {
                    java.nio.file.Files.deleteIfExists(item.source());
                    capture.spool().delete();
                } catch (IOException e) {
                    log.debug("cannot remove " + item.source() + ": " + Log.describe(e));
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

    private static int exitStatus(Integer waitStatus) {
        return waitStatus == null ? 128 + Signals.SIGKILL : Posix.exitStatus(waitStatus);
    }

    private int exitStatusForWatchdog() {
        return exitStatus(child.process().exit().getNow(null));
    }
}
