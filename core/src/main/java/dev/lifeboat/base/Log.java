package dev.lifeboat.base;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Lifeboat's own messages, one line each on stderr, beside the child's output: {@code lifeboat: ...}.
 * Stack traces only with {@code --debug}. No credential in a URI is printed ({@link Redact}).
 */
public final class Log {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private final PrintStream out;
    private final boolean debug;
    private final boolean quiet;

    public Log(PrintStream out, boolean debug, boolean quiet) {
        this.out = out;
        this.debug = debug;
        this.quiet = quiet;
    }

    public static Log stderr(boolean debug, boolean quiet) {
        return new Log(System.err, debug, quiet);
    }

    public boolean isDebug() {
        return debug;
    }

    public void info(String message) {
        if (!quiet) {
            line("", message);
        }
    }

    public void warn(String message) {
        line("warning: ", message);
    }

    public void error(String message) {
        line("error: ", message);
    }

    public void error(String message, Throwable t) {
        line("error: ", message);
        if (debug && t != null) {
            java.io.StringWriter trace = new java.io.StringWriter();
            t.printStackTrace(new java.io.PrintWriter(trace));
            synchronized (out) {
                out.print(Redact.text(trace.toString()));
                out.flush();
            }
        }
    }

    public void debug(String message) {
        if (debug) {
            line("debug: ", message);
        }
    }

    private void line(String level, String message) {
        String text = "lifeboat " + TIME.format(Instant.now()) + " " + level + Redact.text(message) + System.lineSeparator();
        synchronized (out) {
            out.print(text);
            out.flush();
        }
    }

    /** The message of a throwable without its class name where it has one, for one-line errors. */
    public static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            return t.getClass().getSimpleName();
        }
        String first = m.lines().findFirst().orElse(m);
        if (t instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + first;
        }
        if (t instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + first;
        }
        return first;
    }
}
