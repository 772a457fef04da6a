package dev.lifeboat.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them: {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 1m30s}; a bare
 * {@code 0} is zero (a unit means nothing there, as in {@code --ship-interval 0}).
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

    private Durations() {}

    public static Duration parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty duration");
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(s);
        int end = 0;
        // exact decimal arithmetic: 4.1s is 4100ms, not the 4099.999999ms of a double
        BigDecimal nanos = BigDecimal.ZERO;
        while (m.find() && m.start() == end) {
            BigDecimal value = new BigDecimal(m.group(1));
            switch (m.group(2)) {
                case "ms":
                    nanos = nanos.add(value.movePointRight(6));
                    break;
                case "s":
                    nanos = nanos.add(value.movePointRight(9));
                    break;
                case "m":
                    nanos = nanos.add(value.multiply(BigDecimal.valueOf(60_000_000_000L)));
                    break;
                default:
                    nanos = nanos.add(value.multiply(BigDecimal.valueOf(3_600_000_000_000L)));
            }
            end = m.end();
        }
        if (end != s.length()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use e.g. 500ms, 10s, 2m)");
        }
        if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too long");
        }
        return Duration.ofNanos(nanos.longValue());
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
