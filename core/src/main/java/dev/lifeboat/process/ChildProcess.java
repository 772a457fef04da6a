package dev.lifeboat.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.StringArray;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The supervised child, started with posix_spawnp(3): the command and arguments exactly as given (no
 * shell), the inherited environment, working directory and stdin, an empty signal mask and default
 * dispositions (the JVM's own masks and ignored signals are not passed on), optionally its own process
 * group. Its stdout and stderr are pipes that {@link OutputCapture} drains. When Lifeboat was started
 * with its stdin closed, descriptor 0 is free and the JVM opens one of its own files on it (its
 * {@code lib/modules}): the child then gets {@code /dev/null} as its stdin instead, never a file of the
 * JVM's ({@link #stdinIsTheJvms}).
 */
public final class ChildProcess {
    private final int pid;
    private final boolean ownProcessGroup;
    private final int stdoutFd;
    private final int stderrFd;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    private ChildProcess(int pid, boolean ownProcessGroup, int stdoutFd, int stderrFd) {
        this.pid = pid;
        this.ownProcessGroup = ownProcessGroup;
        this.stdoutFd = stdoutFd;
        this.stderrFd = stderrFd;
    }

    /**
     * Starts {@code command}. Only {@link Reaper#spawn} calls this, so that every child has its status
     * collected.
     *
     * @param ownProcessGroup put the child in a new process group so that signals can reach all of it
     * @throws IOException naming the command when it cannot be started (not found, not executable)
     */
    static ChildProcess spawn(List<String> command, Map<String, String> environment, boolean ownProcessGroup)
            throws IOException {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command");
        }
        markInheritedDescriptorsCloseOnExec();
        int[] out = new int[2];
        int[] err = new int[2];
        Posix.pipe2(out, Posix.O_CLOEXEC);
        Posix.pipe2(err, Posix.O_CLOEXEC);
        Memory actions = Posix.allocate(Posix.FILE_ACTIONS_SIZE);
        Memory attr = Posix.allocate(Posix.SPAWNATTR_SIZE);
        Memory empty = Posix.allocate(Posix.SIGSET_SIZE);
        Memory all = Posix.allocate(Posix.SIGSET_SIZE);
        check(Posix.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
        check(Posix.posix_spawnattr_init(attr), "posix_spawnattr_init");
        try {
            check(Posix.posix_spawn_file_actions_adddup2(actions, out[1], 1), "adddup2 stdout");
            check(Posix.posix_spawn_file_actions_adddup2(actions, err[1], 2), "adddup2 stderr");
            if (stdinIsTheJvms()) {
                check(Posix.posix_spawn_file_actions_addopen(actions, 0, "/dev/null", Posix.O_RDONLY, 0),
                        "addopen stdin");
            }
            Posix.sigemptyset(empty);
            Posix.sigfillset(all);
            addInternalSignals(all);
            short flags = (short) (Posix.POSIX_SPAWN_SETSIGMASK | Posix.POSIX_SPAWN_SETSIGDEF);
            if (ownProcessGroup) {
                flags |= Posix.POSIX_SPAWN_SETPGROUP;
                check(Posix.posix_spawnattr_setpgroup(attr, 0), "posix_spawnattr_setpgroup");
            }
            check(Posix.posix_spawnattr_setflags(attr, flags), "posix_spawnattr_setflags");
            check(Posix.posix_spawnattr_setsigmask(attr, empty), "posix_spawnattr_setsigmask");
            check(Posix.posix_spawnattr_setsigdefault(attr, all), "posix_spawnattr_setsigdefault");

            String[] argv = command.toArray(new String[0]);
            List<String> env = new ArrayList<>(environment.size());
            environment.forEach((k, v) -> env.add(k + "=" + v));
            IntByReference pid = new IntByReference();
            // arguments reach the child as the bytes the JVM decoded them from
            String encoding = System.getProperty("sun.jnu.encoding", "UTF-8");
            int rc = Posix.posix_spawnp(pid, argv[0], actions, attr, new StringArray(argv, encoding),
                    new StringArray(env.toArray(new String[0]), encoding));
            if (rc != 0) {
                closeQuietly(out[0]);
                closeQuietly(err[0]);
                throw new IOException("cannot run '" + argv[0] + "': " + describe(rc));
            }
            return new ChildProcess(pid.getValue(), ownProcessGroup, out[0], err[0]);
        } finally {
            closeQuietly(out[1]);
            closeQuietly(err[1]);
            Posix.posix_spawn_file_actions_destroy(actions);
            Posix.posix_spawnattr_destroy(attr);
        }
    }

    /**
     * The JVM opens files without close-on-exec (its jars, for one); posix_spawn would hand them to the
     * child. Mark every descriptor above stderr close-on-exec before spawning.
     */
    static void markInheritedDescriptorsCloseOnExec() {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : fds) {
                int fd = Integer.parseInt(p.getFileName().toString());
                if (fd > 2) {
                    try {
                        int flags = Posix.fcntl(fd, Posix.F_GETFD, 0);
                        if ((flags & Posix.FD_CLOEXEC) == 0) {
                            Posix.fcntl(fd, Posix.F_SETFD, flags | Posix.FD_CLOEXEC);
                        }
                    } catch (LastErrorException e) {
                        // the descriptor of the directory stream itself, already closed, or gone
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // without /proc the child may inherit some descriptors; nothing else is lost
        }
    }

    /**
     * Whether descriptor 0 is not a stdin Lifeboat was given: closed, or a file the JVM opened itself on
     * the free descriptor (one under {@code java.home}, or a jar of its class path). A stdin inherited from
     * Lifeboat's parent (a terminal, a pipe, {@code /dev/null}, a redirected file) is passed on as it is.
     */
    static boolean stdinIsTheJvms() {
        Path target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/0"));
        } catch (java.nio.file.NoSuchFileException e) {
            return true; // closed
        } catch (IOException | UnsupportedOperationException e) {
            return false; // no /proc: nothing to tell by
        }
        if (!target.isAbsolute()) {
            return false; // pipe:[...], socket:[...], anon_inode:...
        }
        Path javaHome = Path.of(System.getProperty("java.home")).toAbsolutePath().normalize();
        try {
            javaHome = javaHome.toRealPath();
        } catch (IOException e) {
            // compared as it is
        }
        if (target.normalize().startsWith(javaHome)) {
            return true;
        }
        for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty() && Path.of(entry).toAbsolutePath().normalize().equals(target.normalize())) {
                return true;
            }
        }
        return false;
    }

    /**
     * The C library's sigfillset leaves out the signals it keeps for itself (glibc 32 and 33, musl 32 to
     * 34), and its posix_spawn then sets those to SIG_IGN in the child unless they are in the
     * sigdefault set, so every process under Lifeboat would inherit them ignored. They are real-time
     * signals to the kernel: set their bits in the set directly (sigaddset refuses them), in the first
     * {@code unsigned long} of the set, where signal N is bit N-1.
     */
    private static void addInternalSignals(Memory set) {
        if (Native.LONG_SIZE == 8) {
            set.setLong(0, set.getLong(0) | (0b111L << 31));
        }
    }

    private static void check(int rc, String what) throws IOException {
        if (rc != 0) {
            throw new IOException(what + " failed: " + describe(rc));
        }
    }

    static String describe(int errno) {
        switch (errno) {
            case 2:
                return "no such file or directory";
            case 13:
                return "permission denied";
            case 8:
                return "exec format error";
            case 20:
                return "not a directory";
            case 12:
                return "out of memory";
            case 11:
                return "resource temporarily unavailable";
            default:
                return "errno " + errno;
        }
    }

    static void closeQuietly(int fd) {
        try {
            Posix.close(fd);
        } catch (LastErrorException e) {
            // already closed
        }
    }

    public int pid() {
        return pid;
    }

    public boolean ownProcessGroup() {
        return ownProcessGroup;
    }

    int stdoutFd() {
        return stdoutFd;
    }

    int stderrFd() {
        return stderrFd;
    }

    /** Completed with the raw wait status by the {@link Reaper}. */
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    void exited(int waitStatus) {
        exit.complete(waitStatus);
    }

    public boolean isAlive() {
        return !exit.isDone();
    }

    /** Waits up to {@code timeoutNanos} for the child to exit; returns the wait status, or null. */
    public Integer awaitExit(long timeoutNanos) throws InterruptedException {
        try {
            return exit.get(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Sends {@code signal} to the child, or to its whole process group when it has one and
     * {@code toGroup} is set. Returns false if the process is already gone.
     */
    public boolean signal(int signal, boolean toGroup) {
        if (!isAlive() && !(toGroup && ownProcessGroup)) {
            return false;
        }
        int target = toGroup && ownProcessGroup ? -pid : pid;
        try {
            Posix.kill(target, signal);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }
}
