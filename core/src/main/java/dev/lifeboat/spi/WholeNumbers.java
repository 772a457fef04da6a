package dev.lifeboat.spi;

import java.math.BigInteger;
import java.util.regex.Pattern;

/**
 * The one whole-number syntax of Lifeboat's options and of every uploader's: decimal digits with an
 * optional sign, checked against a range. A number of any length is read, so that one beyond the range
 * is reported as too large (or too small), never as "not a number".
 */
public final class WholeNumbers {
    private static final Pattern WHOLE = Pattern.compile("[+-]?\\d+");

    private WholeNumbers() {}

    /**
     * Parses {@code text} as a whole number from {@code min} to {@code max}.
     *
     * @throws IllegalArgumentException with a one-line message that quotes {@code text}: not a whole number,
     *     too large (with the maximum) or too small (with the minimum)
     */
    public static long parse(String text, long min, long max) {
        String t = text == null ? "" : text.trim();
        if (!WHOLE.matcher(t).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number");
        }
        BigInteger n = new BigInteger(t);
        if (n.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new IllegalArgumentException("'" + t + "' is too large: at most " + max);
        }
        if (n.compareTo(BigInteger.valueOf(min)) < 0) {
            throw new IllegalArgumentException("'" + t + "' is too small: at least " + min);
        }
        return n.longValue();
    }

    /**
     * Parses the option {@code key}; returns {@code fallback} when {@code value} is null or blank.
     *
     * @throws InvalidOptionException naming {@code key}, with {@link #parse}'s message
     */
    public static int parseOption(String key, String value, int fallback, int min, int max)
            throws InvalidOptionException {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return (int) parse(value, min, max);
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionException(key, e.getMessage());
        }
    }
}
