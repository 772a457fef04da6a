package dev.lifeboat.base;

import java.util.Locale;

/**
 * Linux signal names and numbers (x86_64 and aarch64 share them), and the one rule of which signals
 * Lifeboat can receive at all: everything else can be caught, passed on to the child and chosen as a
 * stop signal.
 */
public final class SignalNames {
    /** The highest signal number on Linux (SIGRTMAX). */
    public static final int MAX = 64;
    /** The JDK wakes threads blocked in I/O with SIGRTMAX-2 (its {@code INTERRUPT_SIGNAL}). */
    public static final int JDK_INTERRUPT = MAX - 2;
    /** What Lifeboat moves HotSpot's suspend/resume signal to when nothing else is set. */
    public static final int DEFAULT_SUSPEND_RESUME = 39;
    public static final String SUSPEND_RESUME_VARIABLE = "_JAVA_SR_SIGNUM";

    private static final String[] NAMES = {null, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL",
        "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
        "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"};

    private SignalNames() {}

    /**
     * The number of a signal given as {@code TERM}, {@code SIGTERM}, {@code sigterm} or {@code 15}.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static int number(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.startsWith("SIG")) {
            n = n.substring(3);
        }
        for (int i = 1; i < NAMES.length; i++) {
            if (NAMES[i].equals(n)) {
                return i;
            }
        }
        if (!n.isEmpty() && n.length() <= 2 && n.chars().allMatch(Character::isDigit)) {
            int number = Integer.parseInt(n);
            if (number >= 1 && number <= MAX) {
                return number;
            }
        }
        throw new IllegalArgumentException("'" + name + "': unknown signal; give a name such as TERM, QUIT or USR1, or a number from 1 to "
                + MAX);
    }

    /** {@code SIGTERM} for 15; {@code signal 40} for a real-time signal. */
    public static String name(int number) {
        return number > 0 && number < NAMES.length ? "SIG" + NAMES[number] : "signal " + number;
    }

    /** The signal HotSpot suspends and resumes threads with in the run: {@code _JAVA_SR_SIGNUM}, else 39. */
    public static int suspendResume(String variable) {
        if (variable != null) {
            try {
                return Integer.parseInt(variable.trim());
            } catch (NumberFormatException e) {
                // the JVM refuses to start with such a value; nothing to receive then
            }
        }
        return DEFAULT_SUSPEND_RESUME;
    }

    /**
     * Why Lifeboat cannot receive {@code signal}, or null when it can. The run's JVM has TERM, INT,
     * HUP and QUIT to itself ({@code -Xrs}) and every other signal blocked, but for these.
     *
     * @param suspendResume HotSpot's suspend/resume signal in the run (see {@link #suspendResume})
     */
    public static String unreceivable(int signal, int suspendResume) {
        switch (signal) {
            case 9:
            case 19:
                return "it cannot be caught by any process";
            case 4:
            case 7:
            case 8:
            case 11:
                return "the JVM handles its own faults with it";
            case 32:
            case 33:
                return "the C library keeps it for itself";
            default:
                break;
        }
        if (signal == suspendResume) {
            return "the JVM suspends and resumes its threads with it (" + SUSPEND_RESUME_VARIABLE + ")";
        }
        if (signal == JDK_INTERRUPT) {
            return "the JDK wakes threads blocked in I/O with it";
        }
        return signal < 1 || signal > MAX ? "there is no such signal" : null;
    }
}
