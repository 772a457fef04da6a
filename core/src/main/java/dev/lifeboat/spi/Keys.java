package dev.lifeboat.spi;

import java.nio.charset.StandardCharsets;

/**
 * The one rule set for the keys Lifeboat hands to {@link Uploader#upload}. A key is a path relative to
 * the destination: segments separated by {@code '/'}, e.g. {@code run-1/files/var/log/app.log}.
 *
 * <p>Refused:
 * <ul>
 *   <li>null or empty;</li>
 *   <li>a leading {@code '/'} or a trailing {@code '/'};</li>
 *   <li>an empty segment ({@code a//b});</li>
 *   <li>a {@code .} or {@code ..} segment;</li>
 *   <li>a control character, U+0000 to U+001F and U+007F;</li>
 *   <li>an unpaired surrogate (the key would have no UTF-8 form);</li>
 *   <li>more than {@value #MAX_BYTES} bytes in UTF-8.</li>
 * </ul>
 * Everything else is allowed: spaces, punctuation (including {@code \ : * ? " < > |}), and any other
 * Unicode character. A backend that cannot store some of these adds its own rule after {@link #check}
 * and documents it (HDFS, for instance, refuses {@code ':'}), throwing {@link InvalidKeyException} too.
 *
 * <p>Every uploader calls {@link #check} first in {@link Uploader#upload}, so that a bad key fails the
 * same way, with the same message, on every backend.
 */
public final class Keys {
    /** The longest key, in bytes of UTF-8; S3's and GCS's limit for an object name. */
    public static final int MAX_BYTES = 1024;
    private static final int SHOWN = 200;

    private Keys() {}

    /**
     * Returns {@code key} when it follows the rules above.
     *
     * @throws InvalidKeyException naming the key and the first rule it breaks
     */
    public static String check(String key) throws InvalidKeyException {
        if (key == null) {
            throw new InvalidKeyException(null, "no key");
        }
        if (key.isEmpty()) {
            throw new InvalidKeyException(key, "empty");
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidKeyException(key, String.format("control character U+%04X", (int) c));
            }
            if (Character.isHighSurrogate(c) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidKeyException(key, "unpaired surrogate U+" + String.format("%04X", (int) c));
            }
        }
        if (key.startsWith("/")) {
            throw new InvalidKeyException(key, "leading '/'");
        }
        if (key.endsWith("/")) {
            throw new InvalidKeyException(key, "trailing '/'");
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty()) {
                throw new InvalidKeyException(key, "empty segment");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw new InvalidKeyException(key, "'" + segment + "' segment");
            }
        }
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw new InvalidKeyException(key, bytes + " bytes in UTF-8, more than " + MAX_BYTES);
        }
        return key;
    }

    /**
     * The key for a message: control characters and unpaired surrogates as {@code \}{@code uXXXX}, so that
     * the message stays on one line, and cut after {@value #SHOWN} characters.
     */
    static String printable(String key) {
        if (key == null) {
            return "null";
        }
        int shown = Math.min(key.length(), SHOWN);
        StringBuilder out = new StringBuilder(shown + 32);
        for (int i = 0; i < shown; i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !isPaired(key, i)) {
                out.append(String.format("\\u%04X", (int) c));
            } else {
                out.append(c);
            }
        }
        if (shown < key.length()) {
            out.append("... (").append(key.length()).append(" characters)");
        }
        return out.toString();
    }

    private static boolean isPaired(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
