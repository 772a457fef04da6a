package dev.lifeboat.spi;

import java.io.IOException;

/**
 * A key that breaks the rules of {@link Keys}, or a backend's own rule on top of them. Retrying cannot
 * help: the same key is refused again. The message is one line, {@code invalid key 'KEY': WHY}, with
 * control characters of the key written as {@code \}{@code uXXXX}.
 */
public class InvalidKeyException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final String reason;

    /**
     * @param key the key as given, possibly null
     * @param reason why it is refused, e.g. {@code "'..' segment"}
     */
    public InvalidKeyException(String key, String reason) {
        super("invalid key '" + Keys.printable(key) + "': " + reason);
        this.key = key;
        this.reason = reason;
    }

    /** The key as given, possibly null. */
    public String key() {
        return key;
    }

    /** Why the key is refused, without the key. */
    public String reason() {
        return reason;
    }
}
