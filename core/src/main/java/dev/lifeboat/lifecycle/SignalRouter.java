package dev.lifeboat.lifecycle;

import dev.lifeboat.process.SignalForwarder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Catches signals from the moment Lifeboat starts and hands them to whoever is attached; signals that
 * arrive before then are kept and replayed in order, so a stop that comes during start-up is not lost.
 */
public final class SignalRouter {
    private final List<Integer> pending = new ArrayList<>();
    private IntConsumer target;

    private SignalRouter() {}

    /** Installs the handlers; returns the router and the names of signals that could not be caught. */
    public static SignalRouter install(List<String> failed) {
        SignalRouter router = new SignalRouter();
        failed.addAll(SignalForwarder.install(router::deliver));
        return router;
    }

    private void deliver(int signal) {
        IntConsumer t;
        synchronized (this) {
            t = target;
            if (t == null) {
                pending.add(signal);
                return;
            }
        }
        t.accept(signal);
    }

    /** Attaches the handler and replays what arrived before. */
    public void attach(IntConsumer handler) {
        List<Integer> replay;
        synchronized (this) {
            target = handler;
            replay = new ArrayList<>(pending);
            pending.clear();
        }
        replay.forEach(handler::accept);
    }

    /** True if a stop signal (TERM or INT) arrived before anything was attached. */
    public synchronized boolean stopPending() {
        return pending.contains(15) || pending.contains(2);
    }
}
