package dev.lifeboat.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import sun.misc.Signal;

/**
 * Collects the exit status of the main child and reaps every other child that ends up with Lifeboat:
 * orphans re-parented to it as PID 1 (or as a child subreaper, which Lifeboat makes itself), as tini
 * does.
 *
 * <p>One daemon thread blocks in waitid(P_ALL, WEXITED|WNOWAIT) to learn which child ended without
 * reaping it. The main child is reaped here and its status kept, so it is never lost. For any other
 * pid the thread first lets the JDK's own process reaper (which waits for the processes that the JVM
 * started, e.g. a backend library's helper commands) take it, then reaps whatever zombies remain.
 * SIGCHLD wakes the thread when Lifeboat had no children and gets new ones by re-parenting.
 *
 * <p>A process has one reaper: {@link #get()} starts it on first use. Children are started through it
 * ({@link #spawn}), under the same lock it takes before reaping a pid it does not know, so a child that
 * exits the moment it is started is never taken for an orphan.
 */
public final class Reaper {
    private static final long JDK_REAPER_HEADSTART_MS = 20;
    private static volatile Reaper instance;
    private final Map<Integer, ChildProcess> children = new ConcurrentHashMap<>();
    private final Object spawnLock = new Object();
    private final Semaphore childSignal = new Semaphore(0);
    private final AtomicLong orphansReaped = new AtomicLong();
    private final Memory siginfo = Posix.allocate(Posix.SIGINFO_SIZE);
    private final int[] status = new int[1];

    private Reaper() {}

    /** Makes this process a child subreaper, so orphans come to it even when it is not PID 1. */
    public static boolean becomeSubreaper() {
        try {
            return Posix.prctl(Posix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
        } catch (LastErrorException e) {
            return false;
        }
    }

    /** This process's reaper, started on first use. */
    public static synchronized Reaper get() {
        if (instance == null) {
            Reaper reaper = new Reaper();
            if (!SignalWaiter.running()) {
                Signal.handle(new Signal("CHLD"), s -> reaper.childSignal.release());
            }
            Thread thread = new Thread(reaper::run, "lifeboat-reaper");
            thread.setDaemon(true);
            thread.start();
            instance = reaper;
        }
        return instance;
    }

    /** Starts a child (see {@link ChildProcess#spawn}) whose exit status this reaper collects. */
    public ChildProcess spawn(List<String> command, Map<String, String> environment, boolean ownProcessGroup)
            throws IOException {
        synchronized (spawnLock) {
            ChildProcess child = ChildProcess.spawn(command, Relaunch.childEnvironment(environment), ownProcessGroup);
            children.put(child.pid(), child);
            // a reaper that found no child to wait for is waiting for SIGCHLD: wake it, so that it waits in
            // the kernel for this one and learns of its exit at once
            childSignal.release();
            return child;
        }
    }

    /** SIGCHLD arrived (through {@link SignalWaiter}): wakes the reaper if it waits for one. */
    static void childSignalled() {
        Reaper reaper = instance;
        if (reaper != null) {
            reaper.childSignal.release();
        }
    }

    public long orphansReaped() {
        return orphansReaped.get();
    }

    private void run() {
        while (true) {
            int pid;
            try {
                siginfo.clear();
                Posix.waitid(Posix.P_ALL, 0, siginfo, Posix.WEXITED | Posix.WNOWAIT);
                pid = siginfo.getInt(Posix.SIGINFO_PID_OFFSET);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Posix.ECHILD) {
                    awaitChildSignal();
                }
                continue;
            }
            ChildProcess child = children.get(pid);
            if (child != null) {
                reap(child);
            } else if (pid > 0) {
                sleep(JDK_REAPER_HEADSTART_MS);
                synchronized (spawnLock) {
                    reapOthers();
                }
            }
        }
    }

    private void reap(ChildProcess child) {
        try {
            int r = Posix.waitpid(child.pid(), status, 0);
            if (r == child.pid()) {
                exited(child, status[0]);
            }
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Posix.ECHILD) {
                // cannot happen while only this thread reaps the children it started; keep the run going
                exited(child, 255 << 8);
            }
        }
    }

    private void exited(ChildProcess child, int waitStatus) {
        children.remove(child.pid());
        child.exited(waitStatus);
    }

    /** Reaps every zombie left; a child started through {@link #spawn} keeps its status if it is among them. */
    private void reapOthers() {
        while (true) {
            int r;
            try {
                r = Posix.waitpid(-1, status, Posix.WNOHANG);
            } catch (LastErrorException e) {
                return;
            }
            if (r <= 0) {
                return;
            }
            ChildProcess child = children.get(r);
            if (child != null) {
                exited(child, status[0]);
            } else {
                orphansReaped.incrementAndGet();
            }
        }
    }

    private void awaitChildSignal() {
        try {
            childSignal.tryAcquire(1, TimeUnit.SECONDS);
            childSignal.drainPermits();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
