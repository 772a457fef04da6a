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

    /** The shortest password that is hidden wherever it appears, not only inside a URI. */
    private static final int MIN_SECRET = 6;
    /** The user-info of the configured destination, and its password: hidden wherever a message quotes them. */
    private static final java.util.Set<String> SECRETS = new java.util.concurrent.CopyOnWriteArraySet<>();

    private Redact() {}

    /**
     * Hides {@code uri}'s user-info (raw and decoded) and password from now on wherever they appear, even
     * quoted on their own (a backend's message that names the authority, {@code 'user:secret@bucket'}).
     */
    public static void remember(java.net.URI uri) {
        for (String info : new String[] {uri.getRawUserInfo(), uri.getUserInfo()}) {
            if (info != null && !info.isEmpty()) {
                SECRETS.add(info);
                int colon = info.indexOf(':');
                if (colon >= 0 && info.length() - colon - 1 >= MIN_SECRET) {
                    SECRETS.add(info.substring(colon + 1));
                }
            }
        }
    }

    /** {@code text} with the user-info of every URI in it written {@code ***}. */
    public static String text(String text) {
        if (text == null) {
            return null;
        }
        String out = text.indexOf('@') < 0 ? text : USER_INFO.matcher(text).replaceAll("$1***@");
        for (String secret : SECRETS) {
            out = out.replace(secret, "***");
        }
        return out;
    }

    /** A URI as it may be shown. */
    public static String uri(Object uri) {
        return text(String.valueOf(uri));
    }
}
