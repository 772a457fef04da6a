package dev.lifeboat.plugin;

import dev.lifeboat.spi.UploaderFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

/**
 * The uploader factories by scheme: the built-in ones found through {@link ServiceLoader} on Lifeboat's
 * class path, and those of the plugins in the plugin directory (see {@link PluginLoader}).
 */
public final class UploaderRegistry {
    /** The origin of a factory on Lifeboat's own class path. */
    public static final String BUILT_IN = "built-in";

    private final Map<String, UploaderFactory> factories;

    private UploaderRegistry(Map<String, UploaderFactory> factories) {
        this.factories = Collections.unmodifiableMap(factories);
    }

    /**
     * Finds the built-in factories visible to {@code builtIn} and the plugins in {@code pluginDirectory}
     * (a directory that does not exist holds no plugins).
     *
     * @throws PluginException when the path is not a directory, a plugin cannot be loaded or has no
     *     factory, or two factories claim one scheme
     */
    public static UploaderRegistry load(ClassLoader builtIn, Path pluginDirectory) throws PluginException {
        Map<String, UploaderFactory> found = builtIns(builtIn);
        List<PluginUploaderFactory> plugins = new PluginLoader(builtIn).load(pluginDirectory);
        try {
            for (PluginUploaderFactory factory : plugins) {
                add(found, factory.scheme(), factory);
            }
        } catch (PluginException e) {
            plugins.forEach(factory -> factory.plugin().close());
            throw e;
        }
        return new UploaderRegistry(found);
    }

    /**
     * Finds the factories visible to {@code loader}.
     *
     * @throws PluginException when two factories claim one scheme or a listed factory cannot be loaded
     */
    public static UploaderRegistry load(ClassLoader loader) throws PluginException {
        return new UploaderRegistry(builtIns(loader));
    }

    private static Map<String, UploaderFactory> builtIns(ClassLoader loader) throws PluginException {
        Map<String, UploaderFactory> found = new TreeMap<>();
        ServiceLoader<UploaderFactory> services = ServiceLoader.load(UploaderFactory.class, loader);
        var iterator = services.iterator();
        while (true) {
            UploaderFactory factory;
            try {
                if (!iterator.hasNext()) {
                    break;
                }
                factory = iterator.next();
            } catch (ServiceConfigurationError e) {
                throw new PluginException("cannot load an uploader: " + e.getMessage(), e);
            }
            add(found, factory.scheme().toLowerCase(Locale.ROOT), factory);
        }
        return found;
    }

    private static void add(Map<String, UploaderFactory> found, String scheme, UploaderFactory factory)
            throws PluginException {
        UploaderFactory previous = found.putIfAbsent(scheme, factory);
        if (previous != null && !implementation(previous).equals(implementation(factory))) {
            throw new PluginException("two uploaders claim the scheme '" + scheme + "': "
                    + describe(previous) + " and " + describe(factory));
        }
    }

    public static UploaderRegistry of(List<UploaderFactory> factories) {
        Map<String, UploaderFactory> map = new TreeMap<>();
        for (UploaderFactory f : factories) {
            map.put(f.scheme().toLowerCase(Locale.ROOT), f);
        }
        return new UploaderRegistry(map);
    }

    /** The factory for {@code scheme}, or null. */
    public UploaderFactory find(String scheme) {
        return factories.get(scheme.toLowerCase(Locale.ROOT));
    }

    /** The option prefixes of the uploaders found ({@code <prefix>.<key>}), sorted, without repeats. */
    public List<String> optionPrefixes() {
        java.util.TreeSet<String> prefixes = new java.util.TreeSet<>();
        factories.values().forEach(f -> prefixes.add(f.optionPrefix()));
        return new ArrayList<>(prefixes);
    }

    public List<String> schemes() {
        return new ArrayList<>(factories.keySet());
    }

    /** The factories by scheme; a plugin's factory is wrapped so that every call runs in the plugin's class loader. */
    public Map<String, UploaderFactory> factories() {
        return factories;
    }

    /**
     * One uploader for {@code lifeboat plugins}.
     *
     * @param scheme the URI scheme it serves
     * @param className the factory's implementing class
     * @param jar the jar (or directory) holding that class: its file name for a built-in factory, its path for a plugin
     * @param version the jar manifest's {@code Implementation-Version}, or {@code "unknown"}
     * @param origin {@link #BUILT_IN} or the plugin's path (a jar or a folder of jars) in the plugin directory
     */
    public record Entry(String scheme, String className, String jar, String version, String origin) {}

    /** Every uploader found, by scheme. */
    public List<Entry> entries() {
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, UploaderFactory> e : factories.entrySet()) {
            Class<?> type = implementation(e.getValue());
            if (e.getValue() instanceof PluginUploaderFactory) {
                PluginUploaderFactory plugin = (PluginUploaderFactory) e.getValue();
                Path jar = jarOf(type);
                entries.add(new Entry(e.getKey(), type.getName(), jar == null ? plugin.plugin().path().toString()
                        : jar.toString(), manifestVersion(jar), plugin.plugin().path().toString()));
            } else {
                entries.add(new Entry(e.getKey(), type.getName(), location(type), version(type), BUILT_IN));
            }
        }
        return entries;
    }

    /** Class and jar of a factory, for messages: {@code com.example.Factory (plugin /opt/lifeboat/plugins/x.jar)}. */
    public static String describe(UploaderFactory factory) {
        if (factory instanceof PluginUploaderFactory) {
            return factory.toString();
        }
        return factory.getClass().getName() + " (" + location(factory.getClass()) + ")";
    }

    /** The class that implements {@code factory}: a plugin's own class rather than its wrapper. */
    public static Class<?> implementation(UploaderFactory factory) {
        return factory instanceof PluginUploaderFactory
                ? ((PluginUploaderFactory) factory).delegate().getClass() : factory.getClass();
    }

    public static String location(Class<?> type) {
        var source = type.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return "unknown location";
        }
        String path = source.getLocation().getPath();
        int slash = path.lastIndexOf('/', path.length() - 2);
        return slash >= 0 ? path.substring(slash + 1) : path;
    }

    public static String version(Class<?> type) {
        Package p = type.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    private static Path jarOf(Class<?> type) {
        var source = type.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return null;
        }
        try {
            return Path.of(source.getLocation().toURI());
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The main section's {@code Implementation-Version} of {@code jar}'s manifest, or "unknown". */
    static String manifestVersion(Path jar) {
        if (jar == null) {
            return "unknown";
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            var manifest = file.getManifest();
            String v = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
            return v == null || v.isBlank() ? "unknown" : v.trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
