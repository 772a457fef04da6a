package dev.lifeboat.plugin;

import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import java.io.IOException;

/**
 * A plugin's uploader as Lifeboat sees it: every call runs with the plugin's class loader as the thread
 * context class loader; unchecked failures come back as {@link IOException}s naming the plugin.
 */
final class PluginUploader implements Uploader {
    private final Uploader delegate;
    private final Plugin plugin;

    PluginUploader(Uploader delegate, Plugin plugin) {
        this.delegate = delegate;
        this.plugin = plugin;
    }

    @Override
    public void check(UploadControl control) throws IOException, InterruptedException {
        ClassLoader previous = plugin.enter();
        try {
            delegate.check(control);
        } catch (RuntimeException | LinkageError e) {
            throw plugin.failure(e);
        } finally {
            Plugin.exit(previous);
        }
    }

    @Override
    public UploadResult upload(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException {
        ClassLoader previous = plugin.enter();
        try {
            return delegate.upload(source, key, control);
        } catch (RuntimeException | LinkageError e) {
            throw plugin.failure(e);
        } finally {
            Plugin.exit(previous);
        }
    }

    @Override
    public void close() throws IOException {
        ClassLoader previous = plugin.enter();
        try {
            delegate.close();
        } catch (RuntimeException | LinkageError e) {
            throw plugin.failure(e);
        } finally {
            Plugin.exit(previous);
        }
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
