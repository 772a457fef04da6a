package dev.lifeboat.process;

import com.sun.jna.LastErrorException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Drains one of the child's output pipes: every chunk is written at once, unbuffered, to Lifeboat's own
 * stdout or stderr (so the runtime's log still shows it, in order) and to a {@link SpoolFile}. The
 * thread ends when every writer of the pipe is gone (the child and any process it left holding it).
 */
public final class OutputCapture {
    private final String name;
    private final int fd;
    private final OutputStream passThrough;
    private final SpoolFile spool;
    private final CountDownLatch drained = new CountDownLatch(1);
    private volatile boolean passThroughBroken;
    private volatile IOException spoolError;

    private OutputCapture(String name, int fd, OutputStream passThrough, SpoolFile spool) {
        this.name = name;
        this.fd = fd;
        this.passThrough = passThrough;
        this.spool = spool;
    }

    public static OutputCapture stdout(ChildProcess child, SpoolFile spool) {
        return start("stdout", child.stdoutFd(), new FileOutputStream(FileDescriptor.out), spool);
    }

    public static OutputCapture stderr(ChildProcess child, SpoolFile spool) {
        return start("stderr", child.stderrFd(), new FileOutputStream(FileDescriptor.err), spool);
    }

    private static OutputCapture start(String name, int fd, OutputStream passThrough, SpoolFile spool) {
        OutputCapture capture = new OutputCapture(name, fd, passThrough, spool);
        Thread thread = new Thread(capture::pump, "lifeboat-" + name);
        thread.setDaemon(true);
        thread.start();
        return capture;
    }

    private void pump() {
        byte[] buffer = new byte[64 * 1024];
        try {
            while (true) {
                long n;
                try {
                    n = Posix.read(fd, buffer, buffer.length);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == Posix.EINTR) {
                        continue;
                    }
                    break;
                }
                if (n <= 0) {
                    break;
                }
                int len = (int) n;
                if (!passThroughBroken) {
                    try {
                        passThrough.write(buffer, 0, len);
                    } catch (IOException e) {
                        // our own stdout/stderr is gone (closed pipe): keep recording
                        passThroughBroken = true;
                    }
                }
                if (spoolError == null) {
                    try {
                        spool.write(buffer, 0, len);
                    } catch (IOException e) {
                        spoolError = e;
                    }
                }
            }
        } finally {
            ChildProcess.closeQuietly(fd);
            drained.countDown();
        }
    }

    /** Waits until the pipe is drained (end of file) or the time is up; true if drained. */
    public boolean awaitDrained(long timeoutNanos) throws InterruptedException {
        return drained.await(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
    }

    public String name() {
        return name;
    }

    public SpoolFile spool() {
        return spool;
    }

    /** The error that stopped recording, if any. */
    public IOException spoolError() {
        return spoolError;
    }
}
