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

    /** Installs the handlers (see {@link SignalForwarder}) and returns the router. */
    public static SignalRouter install() {
        SignalRouter router = new SignalRouter();
        SignalForwarder.install(router::deliver);
        return router;
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
