package dev.lifeboat.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * The few POSIX calls the JDK does not offer: spawning with a fresh signal mask and process group,
 * kill(2) with any signal, waitid(2)/waitpid(2) for reaping, and pipes. Bound through JNA's direct
 * mapping, so each call costs about as much as JNI.
 */
public final class Posix {
    public static final int WNOHANG = 1;
    public static final int WEXITED = 4;
    public static final int WNOWAIT = 0x01000000;
    public static final int P_ALL = 0;
    public static final int P_PID = 1;
    public static final int ECHILD = 10;
    public static final int EINTR = 4;
    public static final int ESRCH = 3;
    public static final int O_CLOEXEC = 0x80000;
    public static final int O_RDONLY = 0;
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int FD_CLOEXEC = 1;
    public static final int PR_SET_CHILD_SUBREAPER = 36;
    public static final short POSIX_SPAWN_SETPGROUP = 0x02;
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;

    /** Generous sizes for glibc's and musl's opaque types (glibc x86_64: 336, 80, 128 bytes). */
    static final int SPAWNATTR_SIZE = 1024;
    static final int FILE_ACTIONS_SIZE = 1024;
    static final int SIGSET_SIZE = 256;
    static final int SIGINFO_SIZE = 128;
    /** Offset of si_pid in siginfo_t on 64-bit Linux. */
    static final int SIGINFO_PID_OFFSET = 16;

    static {
        if (!Platform.isLinux()) {
            throw new UnsupportedOperationException("Lifeboat supervises processes on Linux only");
        }
        Native.register(Posix.class, libc());
    }

    private Posix() {}

    /**
     * glibc by its soname, opened directly: looking up the generic name "c" makes JNA run ldconfig in a
     * child process, which costs tens of milliseconds before the child can start. Elsewhere (musl) the
     * generic name.
     */
    private static com.sun.jna.NativeLibrary libc() {
        if (System.getProperty("jna.platform.library.path") == null) {
            // otherwise JNA runs "ldconfig -p" to learn the system's library directories
            System.setProperty("jna.platform.library.path", "/lib:/usr/lib:/lib64:/usr/lib64");
        }
        try {
            return com.sun.jna.NativeLibrary.getInstance("libc.so.6");
        } catch (UnsatisfiedLinkError e) {
            return com.sun.jna.NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
        }
    }

    public static native int getpid() throws LastErrorException;

    /** Ends the process at once: no atexit handlers, no stdio flush, no JVM shutdown. */
    public static native void _exit(int status);

    public static native int kill(int pid, int sig) throws LastErrorException;

    public static native int waitpid(int pid, int[] status, int options) throws LastErrorException;

    public static native int waitid(int idtype, int id, Pointer siginfo, int options) throws LastErrorException;

    public static native int pipe2(int[] fds, int flags) throws LastErrorException;

    public static native int close(int fd) throws LastErrorException;

    public static native long read(int fd, byte[] buffer, long count) throws LastErrorException;

    public static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    public static native int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

    public static native int posix_spawnp(IntByReference pid, String file, Pointer fileActions, Pointer attr,
            Pointer argv, Pointer envp);

    public static native int posix_spawn_file_actions_init(Pointer fileActions);

    public static native int posix_spawn_file_actions_destroy(Pointer fileActions);

    public static native int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    public static native int posix_spawn_file_actions_addopen(Pointer fileActions, int fd, String path, int oflag,
            int mode);

    public static native int posix_spawnattr_init(Pointer attr);

    public static native int posix_spawnattr_destroy(Pointer attr);

    public static native int posix_spawnattr_setflags(Pointer attr, short flags);

    public static native int posix_spawnattr_setpgroup(Pointer attr, int pgroup);

    public static native int posix_spawnattr_setsigmask(Pointer attr, Pointer sigset);

    public static native int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigset);

    public static native int sigemptyset(Pointer set);

    public static native int sigfillset(Pointer set);

    public static native int sigdelset(Pointer set, int signo);

    public static native int sigaddset(Pointer set, int signo);

    public static final int SIG_BLOCK = 0;
    public static final int SIG_SETMASK = 2;

    public static native int pthread_sigmask(int how, Pointer set, Pointer oldSet);

    public static native int sigwaitinfo(Pointer set, Pointer siginfo) throws LastErrorException;

    public static native int execve(String path, Pointer argv, Pointer envp) throws LastErrorException;

    static Memory allocate(int size) {
        Memory m = new Memory(size);
        m.clear();
        return m;
    }

    /** Decodes a wait status: the exit code, or 128+N for death by signal N. */
    public static int exitStatus(int status) {
        int termsig = status & 0x7f;
        if (termsig == 0) {
            return (status >> 8) & 0xff;
        }
        return 128 + termsig;
    }

    /** The signal that killed the process, or 0 if it exited. */
    public static int terminatingSignal(int status) {
        int termsig = status & 0x7f;
        return termsig == 0x7f ? 0 : termsig;
    }
}
