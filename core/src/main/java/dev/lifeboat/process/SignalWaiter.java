package dev.lifeboat.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.lifeboat.base.SignalNames;
import java.util.function.IntConsumer;

/**
 * Takes every signal Lifeboat can receive on one thread, in arrival order, with sigwaitinfo(2). This
 * works in a JVM started with {@code -Xrs} and those signals blocked in every thread, which
 * {@link Relaunch} sees to: the kernel then keeps each signal pending for this thread, no JVM handler
 * ever sees it (no thread dump on QUIT, no crash on USR2), and nothing is lost while Lifeboat starts.
 * SIGCHLD goes to the {@link Reaper}; every other signal to the listener.
 */
public final class SignalWaiter {
    private static volatile boolean running;

    private SignalWaiter() {}

    /** Whether signals reach Lifeboat through this waiter (rather than {@link SignalForwarder}). */
    public static boolean running() {
        return running;
    }

    /** Starts the waiting thread; libc is bound on it, so that the caller goes on at once. */
    static void start(IntConsumer listener) {
        running = true;
        Thread thread = new Thread(() -> run(listener), "lifeboat-signals");
        thread.setDaemon(true);
        thread.start();
    }

    private static void run(IntConsumer listener) {
        Memory set = mask(Relaunch.suspendResumeSignal());
        Memory info = Posix.allocate(Posix.SIGINFO_SIZE);
        while (true) {
            int signal;
            try {
                signal = Posix.sigwaitinfo(set, info);
            } catch (LastErrorException e) {
                continue; // EINTR: a signal with a JVM handler (HotSpot's own) arrived on this thread
            }
            if (signal == Signals.SIGCHLD) {
                Reaper.childSignalled();
            } else {
                listener.accept(signal);
            }
        }
    }

    /** Every signal Lifeboat can receive (see {@link SignalNames#unreceivable}), as a sigset_t. */
    static Memory mask(int suspendResume) {
        Memory set = Posix.allocate(Posix.SIGSET_SIZE);
        Posix.sigemptyset(set);
        for (int signal = 1; signal <= SignalNames.MAX; signal++) {
            if (SignalNames.unreceivable(signal, suspendResume) == null) {
                Posix.sigaddset(set, signal);
            }
        }
        return set;
    }

    /**
     * The mask a JVM fit for the waiter starts with: {@link #mask} and HotSpot's own signals (its
     * suspend/resume signal, SEGV, BUS, ILL, FPE), which HotSpot unblocks in each of its threads. Blocked
     * in the launcher's first thread, which never joins the JVM and would crash in HotSpot's handlers, one
     * sent from outside reaches a JVM thread instead. The JDK's I/O wake-up signal stays unblocked: it is
     * sent to one thread, which must not have it blocked.
     */
    static Memory launchMask(int suspendResume) {
        Memory set = mask(suspendResume);
        for (int signal : new int[] {suspendResume, 4, 7, 8, 11}) {
            Posix.sigaddset(set, signal);
        }
        return set;
    }

    /** The same set as bits, signal N as bit N-1, as /proc shows a thread's mask. */
    static long maskBits(int suspendResume) {
        long bits = 0;
        for (int signal = 1; signal <= SignalNames.MAX; signal++) {
            if (SignalNames.unreceivable(signal, suspendResume) == null) {
                bits |= 1L << (signal - 1);
            }
        }
        return bits;
    }
}
