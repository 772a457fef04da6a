package dev.lifeboat.base;

import java.util.regex.Pattern;

/**
 * The one rule that keeps credentials in URIs out of every output: the user-info of any URI in a text
 * ({@code scheme://user:password@host/...}) is written {@code ***}. Lifeboat's log lines and stack
 * traces, the backends' and plugins' log records, the manifest and what {@code check} and {@code fetch}
 * print all pass through it.
 */
public final class Redact {
    /** A scheme, "://", then the user-info up to the last '@' before the host: no '/', '?', '#' or space in it. */
    private static final Pattern USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\\s\"'<>]*@");

    private Redact() {}

    /** {@code text} with the user-info of every URI in it written {@code ***}. */
    public static String text(String text) {
        if (text == null || text.indexOf('@') < 0) {
            return text;
        }
        return USER_INFO.matcher(text).replaceAll("$1***@");
    }

    /** A URI as it may be shown. */
    public static String uri(Object uri) {
        return text(String.valueOf(uri));
    }
}
