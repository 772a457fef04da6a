package dev.lifeboat.plugin;

import dev.lifeboat.spi.ConcatenationLimits;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

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

    /** A call into the plugin. */
    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException, InterruptedException;
    }

    private <T> T inPlugin(Call<T> call) throws IOException, InterruptedException {
        ClassLoader previous = plugin.enter();
        try {
            return call.run();
        } catch (RuntimeException | LinkageError e) {
            throw plugin.failure(e);
        } finally {
            Plugin.exit(previous);
        }
    }

    /** A capability query: a plugin that fails to answer it does not have the capability. */
    private boolean asks(Call<Boolean> call) {
        return asks(call, false);
    }

    /** A question to the plugin that cannot fail: its answer, or {@code otherwise} if it throws. */
    private <T> T asks(Call<T> call, T otherwise) {
        try {
            return inPlugin(call);
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return otherwise;
        }
    }

    @Override
    public void check(UploadControl control) throws IOException, InterruptedException {
        inPlugin(() -> {
            delegate.check(control);
            return null;
        });
    }

    @Override
    public UploadResult upload(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException {
        return inPlugin(() -> delegate.upload(source, key, control));
    }

    @Override
    public boolean supportsConcatenation() {
        return asks(delegate::supportsConcatenation);
    }

    @Override
    public UploadResult concatenate(List<String> sourceKeys, String targetKey, UploadControl control)
            throws IOException, InterruptedException {
        return inPlugin(() -> delegate.concatenate(sourceKeys, targetKey, control));
    }

    @Override
    public ConcatenationLimits concatenationLimits() {
        return asks(delegate::concatenationLimits, ConcatenationLimits.NONE);
    }

    @Override
    public void delete(String key, UploadControl control) throws IOException, InterruptedException {
        inPlugin(() -> {
            delegate.delete(key, control);
            return null;
        });
    }

    @Override
    public boolean supportsRead() {
        return asks(delegate::supportsRead);
    }

    @Override
    public InputStream open(String key, UploadControl control) throws IOException, InterruptedException {
        return inPlugin(() -> delegate.open(key, control));
    }

    @Override
    public void close() throws IOException {
        try {
            inPlugin(() -> {
                delegate.close();
                return null;
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
