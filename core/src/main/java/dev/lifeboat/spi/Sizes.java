package dev.lifeboat.spi;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one size syntax of Lifeboat's options and of every uploader's: a whole number of bytes, optionally
 * followed (with or without a space) by a unit, in any case:
 * <ul>
 *   <li>{@code B}: bytes, e.g. {@code 1024} or {@code 1024B};</li>
 *   <li>SI units, powers of ten: {@code KB} = 10^3, {@code MB} = 10^6, {@code GB} = 10^9, {@code TB} = 10^12;</li>
 *   <li>IEC units, powers of two: {@code KiB} = 2^10, {@code MiB} = 2^20, {@code GiB} = 2^30, {@code TiB} = 2^40.</li>
 * </ul>
 * So {@code 10MB} is 10,000,000 bytes and {@code 10MiB} is 10,485,760. A bare {@code K}, {@code M},
 * {@code G} or {@code T} is refused as ambiguous, since tools disagree on what it means; so are fractions,
 * negative numbers and sizes above {@link Long#MAX_VALUE}.
 */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([a-z]*)");
    /** Each unit, in lower case, and its number of bytes. */
    private static final Map<String, Long> UNITS = Map.ofEntries(
            Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("kb", 1_000L), Map.entry("mb", 1_000_000L), Map.entry("gb", 1_000_000_000L),
            Map.entry("tb", 1_000_000_000_000L),
            Map.entry("kib", 1L << 10), Map.entry("mib", 1L << 20), Map.entry("gib", 1L << 30),
            Map.entry("tib", 1L << 40));
    private static final String EXAMPLES = "write a number of bytes (1048576), SI units (10MB = 10^7 bytes) "
            + "or IEC units (10MiB = 10 * 2^20 bytes)";

    private Sizes() {}

    /**
     * Parses a size in the syntax above.
     *
     * @throws IllegalArgumentException with a one-line message that quotes {@code text} and says what to write
     */
    public static long parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no size given: " + EXAMPLES);
        }
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size: " + EXAMPLES);
        }
        String number = m.group(1);
        String unit = m.group(2);
        Long factor = UNITS.get(unit);
        if (factor == null) {
            throw unit.length() == 1 && "kmgt".contains(unit) ? ambiguous(text, number, unit)
                    : new IllegalArgumentException("'" + text + "' is not a size: " + EXAMPLES);
        }
        try {
            return Math.multiplyExact(Long.parseLong(number), factor);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large: at most " + Long.MAX_VALUE + " bytes");
        }
    }

    /**
     * Parses the size option {@code key}; returns {@code fallback} when {@code value} is null or blank.
     *
     * @throws InvalidOptionException naming {@code key}, with {@link #parse}'s message
     */
    public static long parseOption(String key, String value, long fallback) throws InvalidOptionException {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionException(key, e.getMessage());
        }
    }

    /**
     * A size for a message, in the largest IEC unit that divides it exactly: {@code 5MiB}, {@code 1GiB},
     * {@code 1000 bytes}.
     */
    public static String format(long bytes) {
        String[] units = {"TiB", "GiB", "MiB", "KiB"};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << (10 * (units.length - i));
            if (bytes != 0 && bytes % unit == 0) {
                return bytes / unit + units[i];
            }
        }
        return bytes + (bytes == 1 ? " byte" : " bytes");
    }

    private static IllegalArgumentException ambiguous(String text, String number, String unit) {
        String u = unit.toUpperCase(Locale.ROOT);
        int power = "kmgt".indexOf(unit) + 1;
        return new IllegalArgumentException("'" + text.trim() + "' is ambiguous: write " + number + u + "iB (2^"
                + (10 * power) + " bytes each) or " + number + u + "B (10^" + (3 * power) + " bytes each)");
    }
}
