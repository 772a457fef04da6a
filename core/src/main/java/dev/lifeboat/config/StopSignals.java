package dev.lifeboat.config;

import dev.lifeboat.base.SignalNames;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which signals start the stop sequence ({@code --stop-signal}) and what the child gets for each signal
 * Lifeboat receives ({@code --rewrite-signal FROM:TO}, as dumb-init's {@code --rewrite}; TO 0 passes
 * nothing on). Every other signal reaches the child unchanged, but TTIN and TTOU, which Lifeboat
 * ignores as tini does unless they are rewritten or chosen as stop signals.
 *
 * @param stop signal numbers that start the stop
 * @param rewrites received signal number to the number the child gets, 0 for none
 */
public record StopSignals(Set<Integer> stop, Map<Integer, Integer> rewrites) {
    static final int SIGINT = 2;
    static final int SIGTERM = 15;
    static final int SIGCHLD = 17;
    static final int SIGTTIN = 21;
    static final int SIGTTOU = 22;

    public static final StopSignals DEFAULT = new StopSignals(Set.of(SIGTERM, SIGINT), Map.of());

    public StopSignals {
        stop = Set.copyOf(stop);
        rewrites = Map.copyOf(rewrites);
    }

    public boolean isStop(int signal) {
        return stop.contains(signal);
    }

    /** The signal the child gets when Lifeboat receives {@code signal}; 0 for none. */
    public int forwardAs(int signal) {
        Integer to = rewrites.get(signal);
        if (to != null) {
            return to;
        }
        if ((signal == SIGTTIN || signal == SIGTTOU) && !isStop(signal)) {
            return 0;
        }
        return signal;
    }

    /**
     * Parses {@code --stop-signal} values: signal names or numbers; none for the default, TERM and INT.
     *
     * @param suspendResume HotSpot's suspend/resume signal in the run, which Lifeboat cannot receive
     * @throws IllegalArgumentException naming the value that is wrong and why
     */
    public static Set<Integer> parseStop(List<String> names, int suspendResume) {
        Set<Integer> stop = new LinkedHashSet<>();
        for (String name : names) {
            stop.add(receivable(name, suspendResume));
        }
        return stop.isEmpty() ? DEFAULT.stop() : stop;
    }

    /**
     * Parses {@code --rewrite-signal} values, {@code FROM:TO} pairs.
     *
     * @throws IllegalArgumentException naming the value that is wrong and why
     */
    public static Map<Integer, Integer> parseRewrites(List<String> specs, int suspendResume) {
        Map<Integer, Integer> rewrites = new LinkedHashMap<>();
        for (String spec : specs) {
            int colon = spec.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + spec + "': expected FROM:TO, e.g. TERM:QUIT (TO 0 passes nothing on)");
            }
            int from = receivable(spec.substring(0, colon), suspendResume);
            String toName = spec.substring(colon + 1).trim();
            int to = toName.equals("0") ? 0 : SignalNames.number(toName);
            if (rewrites.put(from, to) != null) {
                throw new IllegalArgumentException("'" + spec + "': " + SignalNames.name(from) + " is rewritten twice");
            }
        }
        return rewrites;
    }

    private static int receivable(String name, int suspendResume) {
        int signal = SignalNames.number(name);
        String why = signal == SIGCHLD ? "Lifeboat reaps its children with it" : SignalNames.unreceivable(signal, suspendResume);
        if (why != null) {
            throw new IllegalArgumentException("'" + name + "': Lifeboat cannot receive " + SignalNames.name(signal) + ": " + why);
        }
        return signal;
    }
}
