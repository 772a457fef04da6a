package dev.lifeboat.spi;

/**
 * A bad uploader option or destination. The message is shown to the user as it is, after the key, so it
 * should say what is wrong and what is expected, e.g. {@code "not a number: 'x'"}.
 */
public class InvalidOptionException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String key;

    /** @param key the option key without the scheme prefix, or null when the destination itself is wrong */
    public InvalidOptionException(String key, String message) {
        super(message);
        this.key = key;
    }

    public InvalidOptionException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** The option key without the scheme prefix, or null when the destination URI is at fault. */
    public String key() {
        return key;
    }
}
