package dev.lifeboat.config;

/**
 * A configuration error, found before the child starts. The message names the key or value and where it
 * came from, e.g. {@code "--grace-period: '10x' is not a duration (use e.g. 500ms, 10s, 2m)"}; it is
 * printed as it is, in one line, and Lifeboat exits with status 2.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
