package dev.lifeboat.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 1m30s}. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    private Durations() {}

    public static Duration parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        Matcher m = PART.matcher(s);
        int end = 0;
        double nanos = 0;
        while (m.find() && m.start() == end) {
            double value = Double.parseDouble(m.group(1));
            switch (m.group(2)) {
                case "ms":
                    nanos += value * 1e6;
                    break;
                case "s":
                    nanos += value * 1e9;
                    break;
                case "m":
                    nanos += value * 60e9;
                    break;
                default:
                    nanos += value * 3600e9;
            }
            end = m.end();
        }
        if (end != s.length()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 500ms, 10s, 2m)");
        }
        return Duration.ofNanos((long) nanos);
    }

    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s % 60 != 0 || s == 0) {
            return s + "s";
        }
        return (s / 60) + "m";
    }
}
