package dev.lifeboat.process;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Linux signal numbers and names (x86_64 and aarch64 share them). */
public final class Signals {
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGSEGV = 11;
    public static final int SIGUSR2 = 12;
    public static final int SIGTERM = 15;
    public static final int SIGCHLD = 17;

    private static final Map<String, Integer> BY_NAME = new TreeMap<>();

    static {
        String[] names = {null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
            "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU",
            "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"};
        for (int i = 1; i < names.length; i++) {
            BY_NAME.put(names[i], i);
        }
    }

    /**
     * Signals Lifeboat catches and passes on to the child unchanged. TERM and INT also start the stop
     * sequence. Left out: KILL and STOP (cannot be caught), QUIT, SEGV, ILL, FPE (the JVM's own), BUS,
     * TRAP, ABRT, SYS (synchronous faults), PIPE and XFSZ (the JVM relies on ignoring them), CHLD (used
     * for reaping), TTIN and TTOU (ignored, as tini: see {@link SignalForwarder}), and USR2 unless the JVM was told to suspend and resume its
     * threads with another signal ({@code _JAVA_SR_SIGNUM}, which {@code bin/lifeboat} sets): on Linux
     * HotSpot uses USR2 for that itself (JFR's sampler among others), and taking it over would break them.
     */
    public static final List<String> FORWARDED = forwarded(System.getenv("_JAVA_SR_SIGNUM"));

    static List<String> forwarded(String srSignal) {
        List<String> names = new java.util.ArrayList<>(List.of("HUP", "INT", "TERM", "USR1", "WINCH", "ALRM", "CONT",
                "TSTP", "URG", "XCPU", "VTALRM", "PROF", "IO", "PWR", "STKFLT"));
        if (srSignal != null && !srSignal.isBlank() && !srSignal.trim().equals(Integer.toString(SIGUSR2))) {
            names.add("USR2");
        }
        return List.copyOf(names);
    }

    private Signals() {}

    public static int number(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (n.startsWith("SIG")) {
            n = n.substring(3);
        }
        Integer number = BY_NAME.get(n);
        if (number == null) {
            throw new IllegalArgumentException("unknown signal '" + name + "'");
        }
        return number;
    }

    public static String name(int number) {
        for (Map.Entry<String, Integer> e : BY_NAME.entrySet()) {
            if (e.getValue() == number) {
                return "SIG" + e.getKey();
            }
        }
        return "signal " + number;
    }
}
