package dev.lifeboat.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Ends Lifeboat's process once a run is over, without the JVM's own exit.
 *
 * <p>HotSpot's exit waits for the threads blocked in native calls, up to 300 ms when none of them returns
 * (VM_Exit's wait for threads in native, 30 waits of 10 ms), and a run always leaves some there: the
 * signal thread in sigwaitinfo(2), the reaper in waitid(2) while an orphan lives, a reader of a pipe an
 * orphan still holds. Those 300 ms came out of every grace period. Like tini, Lifeboat ends with _exit(2)
 * instead, once its own output is flushed: it has nothing left for the JVM's shutdown to do (no shutdown
 * hook; the uploader is closed and the manifest written before the run returns).
 *
 * <p>A JVM asked to do work of its own at its exit (write a class data sharing archive or a flight
 * recording, run an agent's shutdown) exits the JVM's way: see {@link #jvmWorkAtExit}.
 */
public final class ProcessExit {
    /** JVM options whose work happens in the JVM's exit. */
    private static final List<String> EXIT_WORK = List.of("ArchiveClassesAtExit", "AutoCreateSharedArchive",
            "StartFlightRecording", "DumpPerfMapAtExit", "-javaagent", "-agentlib", "-agentpath", "-Xrunjdwp");
    /** Where the java launcher and the JVM read options besides the command line. */
    private static final List<String> OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

    private ProcessExit() {}

    /**
     * Flushes stdout and stderr and ends the process with {@code status} at once; returns (for the caller to
     * exit the JVM's way) only when {@link #jvmWorkAtExit} says so.
     */
    public static void now(int status) {
        System.out.flush();
        System.err.flush();
        if (jvmWorkAtExit(commandLine(), System.getenv())) {
            return;
        }
        Posix._exit(status);
    }

    /**
     * Ends the process with {@code status} at once, whatever the JVM was asked to do at its exit: the
     * watchdog's way out, when the deadline before the runtime's SIGKILL has come. Runtime.halt where
     * libc cannot be bound.
     */
    public static void halt(int status) {
        System.out.flush();
        System.err.flush();
        try {
            Posix._exit(status);
        } catch (LinkageError | UnsupportedOperationException e) {
            Runtime.getRuntime().halt(status);
        }
    }

    /** Whether the JVM's command line or option variables ask it for work at its exit. */
    static boolean jvmWorkAtExit(String commandLine, Map<String, String> env) {
        StringBuilder options = new StringBuilder(commandLine);
        for (String name : OPTION_VARIABLES) {
            options.append(' ').append(env.getOrDefault(name, ""));
        }
        String all = options.toString();
        return EXIT_WORK.stream().anyMatch(all::contains);
    }

    /** This process's command line, its arguments joined by spaces; empty when it cannot be read. */
    private static String commandLine() {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/self/cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }
}
