package dev.lifeboat.lifecycle;

import dev.lifeboat.process.SignalForwarder;
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

    /** Installs the handlers; returns the router and the names of signals that could not be caught. */
    public static SignalRouter install(List<String> failed) {
        SignalRouter router = new SignalRouter();
        failed.addAll(SignalForwarder.install(router::deliver));
        return router;
    }

    private void deliver(int signal) {
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
