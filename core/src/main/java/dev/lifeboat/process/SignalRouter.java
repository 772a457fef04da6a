package dev.lifeboat.process;

import java.util.ArrayList;
import java.util.List;

/**
 * Catches signals from the moment Lifeboat starts and hands them to whoever is attached; signals that
 * arrive before then are kept, with the time they arrived, and replayed in order, so a stop that comes
 * during start-up is not lost and its deadline counts from its arrival.
 */
public final class SignalRouter {
    /** Receives a signal and the {@link System#nanoTime()} it arrived at. */
    @FunctionalInterface
    public interface Handler {
        void onSignal(int signal, long arrivedNanos);
    }

    private record Pending(int signal, long arrivedNanos) {}

    private final List<Pending> pending = new ArrayList<>();
    private Handler target;

    private SignalRouter() {}

    /** A router that catches nothing itself: signals reach it only through {@link #deliver} (tests). */
    public static SignalRouter detached() {
        return new SignalRouter();
    }

    /**
     * Starts catching and returns the router: through {@link SignalWaiter} in a JVM fit for it (see
     * {@link Relaunch}), replaying first what a JVM before the relaunch caught; else through the JVM's
     * handlers ({@link SignalForwarder}).
     */
    public static SignalRouter install() {
        SignalRouter router = new SignalRouter();
        if (Relaunch.prepared()) {
            router.replay(Relaunch.carriedSignals());
            // blocked as well, so the waiter still takes them (and drops them unless they stop the run)
            SignalForwarder.ignoreJobControlSignals();
            SignalWaiter.start(router::deliver);
        } else {
            SignalForwarder.install(router::deliver);
        }
        return router;
    }

    /** What is queued, as {@code SIGNAL@NANOS,...} (see {@link #replay}). */
    synchronized String queued() {
        StringBuilder text = new StringBuilder();
        for (Pending p : pending) {
            text.append(text.length() == 0 ? "" : ",").append(p.signal()).append('@').append(p.arrivedNanos());
        }
        return text.toString();
    }

    /** Queues the signals {@link #queued} described, with the moments they arrived. */
    synchronized void replay(String queued) {
        for (String item : queued.split(",")) {
            int at = item.indexOf('@');
            if (at > 0) {
                try {
                    pending.add(new Pending(Integer.parseInt(item.substring(0, at)), Long.parseLong(item.substring(at + 1))));
                } catch (NumberFormatException e) {
                    // not written by Lifeboat: nothing to replay
                }
            }
        }
    }

    /** Hands {@code signal}, arriving now, to the handler or keeps it for the handler to come. */
    public void deliver(int signal) {
        long now = System.nanoTime();
        Handler t;
        synchronized (this) {
            t = target;
            if (t == null) {
                pending.add(new Pending(signal, now));
                return;
            }
        }
        t.onSignal(signal, now);
    }

    /** Attaches the handler and replays, in order, what arrived before. */
    public void attach(Handler handler) {
        synchronized (this) {
            for (Pending p : pending) {
                handler.onSignal(p.signal(), p.arrivedNanos());
            }
            pending.clear();
            target = handler;
        }
    }
}
