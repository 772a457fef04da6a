package dev.lifeboat.plugin;

/** An uploader plugin that cannot be used; a configuration error. */
public final class PluginException extends Exception {
    private static final long serialVersionUID = 1L;

    public PluginException(String message) {
        super(message);
    }

    public PluginException(String message, Throwable cause) {
        super(message, cause);
    }
}
