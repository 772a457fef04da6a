package dev.lifeboat.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.lifeboat.base.SignalNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes the JVM fit to receive every signal. A JVM started as plain {@code java -jar} has HotSpot's
 * handlers on TERM, INT, HUP and QUIT (QUIT prints a thread dump to stdout) and suspends its threads with
 * USR2 (an outside USR2 crashes it); nothing inside the JVM can change that once it runs. So the run's
 * JVM, unless it is already fit, replaces itself before anything else happens: execve(2) of
 * {@code /proc/self/exe} with the same arguments plus {@code -Xrs} and
 * {@code -XX:+DisplayVMOutputToStderr}, {@code _JAVA_SR_SIGNUM=39} in the environment, and every signal
 * Lifeboat can receive blocked (the mask survives execve and every JVM thread inherits it), so that
 * {@link SignalWaiter} takes them all. It costs one more JVM start; {@code bin/lifeboat} starts the JVM fit
 * and does not pay it.
 *
 * <p>Signals caught before the relaunch travel in {@link #VARIABLE} with the moment they arrived
 * ({@link System#nanoTime()} is the system's monotonic clock, the same in both JVMs) and are replayed.
 */
public final class Relaunch {
    /**
     * Set for the relaunched JVM and never passed to the child: {@code FLAGS;SIGNAL@NANOS,...}, flags
     * {@code relaunched} (never relaunch again) and {@code sr} ({@code _JAVA_SR_SIGNUM} was set by Lifeboat,
     * not the user: the child does not get it either).
     */
    public static final String VARIABLE = "_LIFEBOAT_SIGNALS";
    private static final String RELAUNCHED = "relaunched";
    private static final String SR_ADDED = "sr";
    private static final int SIGUSR2 = 12;

    private static Boolean prepared;

    private Relaunch() {}

    /** HotSpot's suspend/resume signal in the run (the relaunch moves it off USR2). */
    static int suspendResumeSignal() {
        int sr = SignalNames.suspendResume(System.getenv(SignalNames.SUSPEND_RESUME_VARIABLE));
        return sr == SIGUSR2 ? SignalNames.DEFAULT_SUSPEND_RESUME : sr;
    }

    /**
     * Whether this JVM is fit: started with {@code -Xrs}, HotSpot's suspend/resume signal moved off USR2,
     * and exactly the signals Lifeboat receives blocked in this thread (the JDK's own I/O wake-up signal
     * must stay unblocked).
     */
    public static synchronized boolean prepared() {
        if (prepared == null) {
            prepared = checkPrepared();
        }
        return prepared;
    }

    private static boolean checkPrepared() {
        String sr = System.getenv(SignalNames.SUSPEND_RESUME_VARIABLE);
        if (sr == null || SignalNames.suspendResume(sr) == SIGUSR2) {
            return false;
        }
        long blocked = blockedSignals();
        long wanted = SignalWaiter.maskBits(suspendResumeSignal());
        if ((blocked & wanted) != wanted || (blocked & (1L << (SignalNames.JDK_INTERRUPT - 1))) != 0) {
            return false;
        }
        try {
            // the JVM refuses TERM to Java code exactly when it runs with -Xrs
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sun.misc.SignalHandler.SIG_DFL);
            return false;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    /** This thread's blocked signals as /proc shows them, 0 when it cannot be read. */
    private static long blockedSignals() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("SigBlk:")) {
                    return Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc: not fit, and the relaunch will not work either
        }
        return 0;
    }

    /**
     * Relaunches the JVM fit unless it already is or was relaunched once; returns only when it did not
     * (with a warning on stderr when it tried and could not: the run goes on, with the signals the JVM
     * lets Java code catch).
     *
     * @param router whose queued signals the relaunched JVM replays
     */
    public static void ifNeeded(SignalRouter router) {
        String carried = System.getenv(VARIABLE);
        if (prepared() || (carried != null && flags(carried).contains(RELAUNCHED)) || NativeTemp.problem() != null) {
            return; // without JNA (NativeTemp's problem) the run itself says why, once
        }
        // the arguments and the environment as the bytes the JVM got, whatever their encoding
        List<byte[]> argv = nulSeparated(Path.of("/proc/self/cmdline"));
        List<byte[]> envp = nulSeparated(Path.of("/proc/self/environ"));
        if (argv.isEmpty()) {
            warn("cannot read /proc/self/cmdline");
            return;
        }
        argv.add(1, bytes("-Xrs"));
        argv.add(2, bytes("-XX:+DisplayVMOutputToStderr"));
        String flags = RELAUNCHED;
        String sr = System.getenv(SignalNames.SUSPEND_RESUME_VARIABLE);
        if (sr == null || SignalNames.suspendResume(sr) == SIGUSR2) {
            envp.removeIf(e -> startsWith(e, SignalNames.SUSPEND_RESUME_VARIABLE + "="));
            envp.add(bytes(SignalNames.SUSPEND_RESUME_VARIABLE + "=" + SignalNames.DEFAULT_SUSPEND_RESUME));
            flags += "," + SR_ADDED;
        } else if (carried != null && flags(carried).contains(SR_ADDED)) {
            flags += "," + SR_ADDED;
        }
        envp.removeIf(e -> startsWith(e, VARIABLE + "="));
        try {
            ChildProcess.markInheritedDescriptorsCloseOnExec();
            Memory mask = SignalWaiter.launchMask(suspendResumeSignal());
            Memory old = Posix.allocate(Posix.SIGSET_SIZE);
            Posix.pthread_sigmask(Posix.SIG_SETMASK, mask, old);
            envp.add(bytes(VARIABLE + "=" + flags + ";" + router.queued()));
            List<Memory> keep = new ArrayList<>();
            try {
                // the JVM's own path rather than /proc/self/exe, which would name the process "exe"
                Posix.execve(Path.of("/proc/self/exe").toRealPath().toString(), pointers(argv, keep), pointers(envp, keep));
            } catch (LastErrorException e) {
                Posix.pthread_sigmask(Posix.SIG_SETMASK, old, null);
                warn("execve: errno " + e.getErrorCode());
            }
        } catch (IOException | LinkageError | RuntimeException e) {
            warn(e.toString());
        }
    }

    private static void warn(String why) {
        System.err.println("lifeboat: warning: cannot relaunch the JVM with every signal to Lifeboat (" + why
                + "); QUIT and USR2 are left to the JVM: start Lifeboat with bin/lifeboat");
    }

    /** A /proc file of NUL-terminated strings, each as its bytes; empty when it cannot be read. */
    private static List<byte[]> nulSeparated(Path file) {
        List<byte[]> items = new ArrayList<>();
        try {
            byte[] bytes = Files.readAllBytes(file);
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == 0) {
                    items.add(Arrays.copyOfRange(bytes, start, i));
                    start = i + 1;
                }
            }
        } catch (IOException | RuntimeException e) {
            items.clear();
        }
        return items;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean startsWith(byte[] item, String prefix) {
        byte[] p = bytes(prefix);
        return item.length >= p.length && Arrays.equals(item, 0, p.length, p, 0, p.length);
    }

    /** A NULL-terminated array of C strings; {@code keep} holds the memory until the call. */
    private static Memory pointers(List<byte[]> items, List<Memory> keep) {
        Memory array = new Memory((long) (items.size() + 1) * Native.POINTER_SIZE);
        for (int i = 0; i < items.size(); i++) {
            byte[] item = items.get(i);
            Memory text = new Memory(item.length + 1);
            text.write(0, item, 0, item.length);
            text.setByte(item.length, (byte) 0);
            keep.add(text);
            array.setPointer((long) i * Native.POINTER_SIZE, text);
        }
        array.setPointer((long) items.size() * Native.POINTER_SIZE, null);
        keep.add(array);
        return array;
    }

    private static List<String> flags(String carried) {
        int semicolon = carried.indexOf(';');
        return List.of((semicolon < 0 ? carried : carried.substring(0, semicolon)).split(","));
    }

    /** The signals the JVM caught before it relaunched, {@code SIGNAL@NANOS,...}; empty if none. */
    static String carriedSignals() {
        String carried = System.getenv(VARIABLE);
        int semicolon = carried == null ? -1 : carried.indexOf(';');
        return semicolon < 0 ? "" : carried.substring(semicolon + 1);
    }

    /**
     * The environment the child gets: Lifeboat's own, without {@link #VARIABLE} and without
     * {@code _JAVA_SR_SIGNUM} when Lifeboat set it.
     */
    static Map<String, String> childEnvironment(Map<String, String> environment) {
        String carried = environment.get(VARIABLE);
        if (carried == null) {
            return environment;
        }
        Map<String, String> env = new HashMap<>(environment);
        env.remove(VARIABLE);
        if (flags(carried).contains(SR_ADDED)) {
            env.remove(SignalNames.SUSPEND_RESUME_VARIABLE);
        }
        return env;
    }
}
