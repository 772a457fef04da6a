package dev.lifeboat.base;

import java.io.PrintStream;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Lifeboat's own messages, one line each on stderr, beside the child's output. {@link Format#PLAIN}:
 * {@code lifeboat 2026-12-02T10:02:03.117Z warning: ...}; {@link Format#JSON}: one JSON object a line,
 * {@code {"timestamp":"2026-12-02T10:02:03.117Z","level":"warning","message":"...","run":"...","file":"...","bytes":123}},
 * for log pipelines. Stack traces only with {@code --debug} (in JSON, as the {@code stackTrace} field).
 * No credential in a URI is printed, in a message, a field or a stack trace ({@link Redact}).
 */
public final class Log {
    /** How lines are written. */
    public enum Format {
        PLAIN,
        JSON;

        /** {@code plain} or {@code json}, in any case. */
        public static Format parse(String text) {
            for (Format f : values()) {
                if (f.name().equalsIgnoreCase(text.trim())) {
                    return f;
                }
            }
            throw new IllegalArgumentException("'" + text + "' is not a log format: write plain or json");
        }
    }

    /** ISO-8601 in UTC, always with milliseconds, so that every line's timestamp has one width. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(java.time.ZoneOffset.UTC);
    private final PrintStream out;
    private final boolean debug;
    private final boolean quiet;
    private final Format format;
    /** Fields every line carries from now on, such as {@code run}. */
    private final Map<String, Object> context = new LinkedHashMap<>();

    public Log(PrintStream out, boolean debug, boolean quiet) {
        this(out, debug, quiet, Format.PLAIN);
    }

    public Log(PrintStream out, boolean debug, boolean quiet, Format format) {
        this.out = out;
        this.debug = debug;
        this.quiet = quiet;
        this.format = format;
    }

    public static Log stderr(boolean debug, boolean quiet) {
        return new Log(System.err, debug, quiet);
    }

    /** The same output, debug and quiet settings in another format (and the same context). */
    public Log withFormat(Format other) {
        if (other == format) {
            return this;
        }
        Log log = new Log(out, debug, quiet, other);
        synchronized (context) {
            log.context.putAll(context);
        }
        return log;
    }

    public Format format() {
        return format;
    }

    public boolean isDebug() {
        return debug;
    }

    /** Adds a field that every following line carries in the JSON format, e.g. {@code run}. */
    public void context(String name, Object value) {
        synchronized (context) {
            context.put(name, value);
        }
    }

    public void info(String message) {
        info(message, Map.of());
    }

    /** A message with fields ({@code file}, {@code bytes}, …) that the JSON format carries beside it. */
    public void info(String message, Map<String, ?> fields) {
        if (!quiet) {
            line("info", message, fields, null);
        }
    }

    public void warn(String message) {
        warn(message, Map.of());
    }

    public void warn(String message, Map<String, ?> fields) {
        line("warning", message, fields, null);
    }

    public void error(String message) {
        line("error", message, Map.of(), null);
    }

    public void error(String message, Throwable t) {
        line("error", message, Map.of(), debug ? t : null);
    }

    public void debug(String message) {
        debug(message, Map.of());
    }

    public void debug(String message, Map<String, ?> fields) {
        if (debug) {
            line("debug", message, fields, null);
        }
    }

    private void line(String level, String rawMessage, Map<String, ?> fields, Throwable t) {
        String message = Redact.text(rawMessage);
        String trace = null;
        if (t != null) {
            java.io.StringWriter w = new java.io.StringWriter();
            t.printStackTrace(new java.io.PrintWriter(w));
            trace = Redact.text(w.toString());
        }
        String time = TIME.format(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        String text;
        if (format == Format.JSON) {
            StringBuilder b = new StringBuilder(96 + message.length()).append('{');
            field(b, "timestamp", time);
            field(b.append(','), "level", level);
            field(b.append(','), "message", message);
            synchronized (context) {
                context.forEach((k, v) -> field(b.append(','), k, v));
            }
            fields.forEach((k, v) -> field(b.append(','), k, v));
            if (trace != null) {
                field(b.append(','), "stackTrace", trace);
            }
            text = b.append('}').append(System.lineSeparator()).toString();
        } else {
            text = "lifeboat " + time + " " + (level.equals("info") ? "" : level + ": ") + message + System.lineSeparator();
        }
        synchronized (out) {
            out.print(text);
            if (format == Format.PLAIN && trace != null) {
                out.print(trace);
            }
            out.flush();
        }
    }

    /** {@code "name":value}: numbers and booleans as they are, anything else as a JSON string. */
    private static void field(StringBuilder b, String name, Object value) {
        quote(b, name).append(':');
        if (value instanceof Number || value instanceof Boolean) {
            b.append(value);
        } else {
            quote(b, Redact.text(String.valueOf(value)));
        }
    }

    private static StringBuilder quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"');
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
