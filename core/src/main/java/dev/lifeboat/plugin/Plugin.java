package dev.lifeboat.plugin;

import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * One plugin: a jar, or a folder of jars, in the plugin directory, with its own class loader. Every call
 * into the plugin runs with that loader as the thread context class loader ({@link #enter()}).
 */
final class Plugin {
    private final Path path;
    private final URLClassLoader loader;

    Plugin(Path path, URLClassLoader loader) {
        this.path = path;
        this.loader = loader;
    }

    /** The plugin's jar or folder, as it appears in messages. */
    Path path() {
        return path;
    }

    ClassLoader loader() {
        return loader;
    }

    /** Makes the plugin's loader the thread context class loader; returns the previous one for {@link #exit}. */
    ClassLoader enter() {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        return previous;
    }

    static void exit(ClassLoader previous) {
        Thread.currentThread().setContextClassLoader(previous);
    }

    /** A plugin's unchecked failure as a one-line {@link IOException} naming the plugin. */
    IOException failure(Throwable t) {
        return new IOException("plugin " + path + ": " + describe(t), t);
    }

    /** One line: the message, with the class name where the message alone would not say what happened. */
    static String describe(Throwable t) {
        String message = t.getMessage();
        String first = message == null || message.isBlank() ? null : message.lines().findFirst().orElse(message);
        if (first == null) {
            return t.getClass().getName();
        }
        return t instanceof Error ? t.getClass().getSimpleName() + ": " + first : first;
    }

    void close() {
        try {
            loader.close();
        } catch (IOException e) {
            // the loader only reads jars; nothing to recover
        }
    }

    @Override
    public String toString() {
        return "plugin " + path;
    }
}
