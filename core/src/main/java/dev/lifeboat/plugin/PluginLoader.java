package dev.lifeboat.plugin;

import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.jar.JarFile;

/**
 * Loads the plugins of a plugin directory. Each jar directly in the directory, and each sub-folder (with
 * the jars directly in it), is one plugin with its own {@link URLClassLoader}, whose parent exposes only
 * the JDK and the SPI package {@code dev.lifeboat.spi}. The plugin's factories are found with
 * {@link ServiceLoader} ({@code META-INF/services/dev.lifeboat.spi.UploaderFactory}). Entries whose name
 * starts with '.' and files that are not jars are ignored.
 */
final class PluginLoader {
    private final ClassLoader lifeboat;

    PluginLoader(ClassLoader lifeboat) {
        this.lifeboat = lifeboat;
    }

    /**
     * The factories of every plugin in {@code directory}, in the order of the plugins' names; none if the
     * directory does not exist.
     *
     * @throws PluginException when the path is not a directory, or a plugin cannot be loaded or has no factory
     */
    List<PluginUploaderFactory> load(Path directory) throws PluginException {
        List<Path> entries = list(directory);
        List<Plugin> opened = new ArrayList<>();
        List<PluginUploaderFactory> factories = new ArrayList<>();
        SpiOnlyClassLoader parent = new SpiOnlyClassLoader(lifeboat);
        boolean ok = false;
        try {
            for (Path entry : entries) {
                Plugin plugin = open(entry, parent);
                opened.add(plugin);
                factories.addAll(factories(plugin));
            }
            ok = true;
            return factories;
        } finally {
            if (!ok) {
                opened.forEach(Plugin::close);
            }
        }
    }

    private static List<Path> list(Path directory) throws PluginException {
        if (!Files.exists(directory)) {
            return List.of();
        }
        if (!Files.isDirectory(directory)) {
            throw new PluginException("plugin directory " + directory + " is not a directory");
        }
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path entry : stream) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".")) {
                    continue;
                }
                if (Files.isDirectory(entry) || isJar(entry)) {
                    entries.add(entry);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (NotDirectoryException e) {
            throw new PluginException("plugin directory " + directory + " is not a directory");
        } catch (IOException e) {
            throw new PluginException("cannot read the plugin directory " + directory + ": " + Plugin.describe(e), e);
        }
        entries.sort(null);
        return entries;
    }

    private static boolean isJar(Path file) {
        return Files.isRegularFile(file) && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jar");
    }

    private static Plugin open(Path entry, ClassLoader parent) throws PluginException {
        List<Path> jars = new ArrayList<>();
        if (Files.isDirectory(entry)) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(entry)) {
                for (Path file : stream) {
                    if (!file.getFileName().toString().startsWith(".") && isJar(file)) {
                        jars.add(file);
                    }
                }
            } catch (IOException e) {
                throw new PluginException("cannot read plugin " + entry + ": " + Plugin.describe(e), e);
            }
            jars.sort(null);
        } else {
            jars.add(entry);
        }
        List<URL> urls = new ArrayList<>();
        for (Path jar : jars) {
            // a URLClassLoader silently skips a jar it cannot open: open each one first to say why
            try (JarFile file = new JarFile(jar.toFile())) {
                file.getManifest();
            } catch (IOException | SecurityException e) {
                throw new PluginException("plugin " + jar + " cannot be loaded: not a readable jar: "
                        + Plugin.describe(e), e);
            }
            try {
                urls.add(jar.toUri().toURL());
            } catch (MalformedURLException e) {
                throw new PluginException("plugin " + jar + " cannot be loaded: " + Plugin.describe(e), e);
            }
        }
        URLClassLoader loader = new URLClassLoader("lifeboat-plugin:" + entry.getFileName(),
                urls.toArray(new URL[0]), parent);
        return new Plugin(entry, loader);
    }

    private static List<PluginUploaderFactory> factories(Plugin plugin) throws PluginException {
        List<PluginUploaderFactory> found = new ArrayList<>();
        ClassLoader previous = plugin.enter();
        try {
            Iterator<UploaderFactory> iterator = ServiceLoader.load(UploaderFactory.class, plugin.loader()).iterator();
            while (iterator.hasNext()) {
                UploaderFactory factory = iterator.next();
                if (factory.getClass().getClassLoader() != plugin.loader()) {
                    continue; // not the plugin's own (cannot happen with the SPI-only parent; kept as a guard)
                }
                found.add(new PluginUploaderFactory(factory, plugin, scheme(factory, plugin)));
            }
        } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
            throw new PluginException("plugin " + plugin.path() + " cannot be loaded: " + Plugin.describe(e), e);
        } finally {
            Plugin.exit(previous);
        }
        if (found.isEmpty()) {
            throw new PluginException("plugin " + plugin.path() + " has no " + UploaderFactory.class.getName()
                    + " in META-INF/services");
        }
        return found;
    }

    private static String scheme(UploaderFactory factory, Plugin plugin) throws PluginException {
        String scheme = factory.scheme();
        if (scheme == null || !scheme.matches("[a-z][a-z0-9+.-]*")) {
            throw new PluginException("plugin " + plugin.path() + ": " + factory.getClass().getName()
                    + " claims the scheme '" + scheme + "': a URI scheme in lower case is expected, e.g. 'webdav'");
        }
        return scheme;
    }
}
