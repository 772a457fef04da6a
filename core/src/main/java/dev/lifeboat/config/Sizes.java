package dev.lifeboat.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes: {@code 1024}, {@code 64KiB}, {@code 8MiB}, {@code 1GiB}, {@code 10MB} (powers of ten). */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?");

    private Sizes() {}

    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (use e.g. 1048576, 512KiB, 64MiB, 1GiB)");
        }
        long value;
        try {
            value = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        long factor;
        switch (unit) {
            case "b":
                factor = 1;
                break;
            case "kb":
                factor = 1000;
                break;
            case "k":
            case "kib":
                factor = 1L << 10;
                break;
            case "mb":
                factor = 1000_000;
                break;
            case "m":
            case "mib":
                factor = 1L << 20;
                break;
            case "gb":
                factor = 1000_000_000;
                break;
            default:
                factor = 1L << 30;
        }
        try {
            return Math.multiplyExact(value, factor);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
    }
}
