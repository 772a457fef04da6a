package dev.lifeboat.process;

import dev.lifeboat.base.SignalNames;
import java.util.List;

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

    /**
     * The signals Lifeboat catches through the JVM's handlers ({@link SignalForwarder}), only when the JVM
     * could not be relaunched fit for {@link SignalWaiter} (see {@link Relaunch}). Left out: KILL and STOP
     * (cannot be caught), QUIT, SEGV, ILL, FPE (the JVM's own), BUS, TRAP, ABRT (faults), PIPE and XFSZ
     * (the JVM relies on ignoring them), CHLD (used for reaping), TTIN and TTOU (ignored, as tini), and USR2
     * unless the JVM was told to suspend and resume its threads with another signal ({@code _JAVA_SR_SIGNUM}):
     * on Linux HotSpot uses USR2 for that itself.
     */
    public static final List<String> FORWARDED = forwarded(System.getenv("_JAVA_SR_SIGNUM"));

    static List<String> forwarded(String srSignal) {
        List<String> names = new java.util.ArrayList<>(List.of("HUP", "INT", "TERM", "USR1", "WINCH", "ALRM", "CONT",
                "TSTP", "URG", "XCPU", "VTALRM", "PROF", "IO", "PWR", "STKFLT", "SYS"));
        if (srSignal != null && !srSignal.isBlank() && !srSignal.trim().equals(Integer.toString(SIGUSR2))) {
            names.add("USR2");
        }
        return List.copyOf(names);
    }

    private Signals() {}

    public static int number(String name) {
        return SignalNames.number(name);
    }

    public static String name(int number) {
        return SignalNames.name(number);
    }
}
