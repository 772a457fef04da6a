package dev.lifeboat.process;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import sun.misc.Signal;

/**
 * Catches the signals a JVM may catch and hands each to a listener, in arrival order, on the JVM's
 * signal dispatcher thread. Installing these handlers also keeps the JVM from running its shutdown
 * sequence on TERM, INT and HUP: Lifeboat drives its own stop from one place.
 */
public final class SignalForwarder {
    /** Signals Lifeboat ignores; the child still starts with their default dispositions. */
    static final List<String> IGNORED = List.of("TTIN", "TTOU");

    private SignalForwarder() {}

    /**
     * Installs handlers for every signal in {@link Signals#FORWARDED}.
     *
     * @return the names of signals that could not be installed (none on a HotSpot JVM on Linux)
     */
    public static List<String> install(IntConsumer listener) {
        List<String> failed = ignoreJobControlSignals();
        for (String name : Signals.FORWARDED) {
            try {
                Signal signal = new Signal(name);
                int number = signal.getNumber();
                Signal.handle(signal, s -> listener.accept(number));
            } catch (IllegalArgumentException e) {
                failed.add(name);
            }
        }
        return failed;
    }

    /**
     * As tini: a PID 1 in a process group that is not orphaned (a shell with job control, a supervisor in
     * the same session) would be stopped by TTIN or TTOU, and a later TERM would do nothing.
     *
     * @return the names of those that could not be ignored
     */
    static List<String> ignoreJobControlSignals() {
        List<String> failed = new ArrayList<>();
        for (String name : IGNORED) {
            try {
                Signal.handle(new Signal(name), sun.misc.SignalHandler.SIG_IGN);
            } catch (IllegalArgumentException e) {
                failed.add(name);
            }
        }
        return failed;
    }
}
