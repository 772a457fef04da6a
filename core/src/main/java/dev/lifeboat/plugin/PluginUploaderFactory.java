package dev.lifeboat.plugin;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * A plugin's factory as Lifeboat sees it: every call runs with the plugin's class loader as the thread
 * context class loader, and unchecked failures of {@link #create} come back as one line naming the plugin.
 */
final class PluginUploaderFactory implements UploaderFactory {
    private final UploaderFactory delegate;
    private final Plugin plugin;
    private final String scheme;

    PluginUploaderFactory(UploaderFactory delegate, Plugin plugin, String scheme) {
        this.delegate = delegate;
        this.plugin = plugin;
        this.scheme = scheme;
    }

    UploaderFactory delegate() {
        return delegate;
    }

    Plugin plugin() {
        return plugin;
    }

    @Override
    public String scheme() {
        return scheme;
    }

    @Override
    public String description() {
        ClassLoader previous = plugin.enter();
        try {
            return delegate.description();
        } finally {
            Plugin.exit(previous);
        }
    }

    @Override
    public String optionPrefix() {
        ClassLoader previous = plugin.enter();
        try {
            return delegate.optionPrefix();
        } finally {
            Plugin.exit(previous);
        }
    }

    @Override
    public Set<String> optionKeys() {
        ClassLoader previous = plugin.enter();
        try {
            return delegate.optionKeys();
        } finally {
            Plugin.exit(previous);
        }
    }

    @Override
    public void validate(URI destination, Map<String, String> options) throws InvalidOptionException {
        ClassLoader previous = plugin.enter();
        try {
            delegate.validate(destination, options);
        } finally {
            Plugin.exit(previous);
        }
    }

    @Override
    public boolean checkBeforeChild() {
        ClassLoader previous = plugin.enter();
        try {
            return delegate.checkBeforeChild();
        } finally {
            Plugin.exit(previous);
        }
    }

    @Override
    public Uploader create(URI destination, Map<String, String> options, UploaderContext context)
            throws IOException, InvalidOptionException {
        ClassLoader previous = plugin.enter();
        try {
            Uploader uploader = delegate.create(destination, options, context);
            if (uploader == null) {
                throw new IOException("plugin " + plugin.path() + ": " + delegate.getClass().getName()
                        + ".create() returned no uploader");
            }
            return new PluginUploader(uploader, plugin);
        } catch (RuntimeException | LinkageError e) {
            throw plugin.failure(e);
        } finally {
            Plugin.exit(previous);
        }
    }

    @Override
    public String toString() {
        return delegate.getClass().getName() + " (plugin " + plugin.path() + ")";
    }
}
