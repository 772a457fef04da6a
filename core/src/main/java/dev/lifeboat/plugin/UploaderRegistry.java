package dev.lifeboat.plugin;

import dev.lifeboat.spi.UploaderFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The uploader factories found through {@link ServiceLoader}, by scheme. */
public final class UploaderRegistry {
    private final Map<String, UploaderFactory> factories;

    private UploaderRegistry(Map<String, UploaderFactory> factories) {
        this.factories = Collections.unmodifiableMap(factories);
    }

    /**
     * Finds the built-in factories visible to {@code builtIn} and the plugins in {@code pluginDirectory}
     * (a directory that does not exist holds no plugins).
     */
    public static UploaderRegistry load(ClassLoader builtIn, java.nio.file.Path pluginDirectory) throws PluginException {
        return load(builtIn);
    }

    /**
     * Finds the factories visible to {@code loader}.
     *
     * @throws PluginException when two factories claim one scheme or a listed factory cannot be loaded
     */
    public static UploaderRegistry load(ClassLoader loader) throws PluginException {
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
            String scheme = factory.scheme().toLowerCase(Locale.ROOT);
            UploaderFactory previous = found.putIfAbsent(scheme, factory);
            if (previous != null && !previous.getClass().equals(factory.getClass())) {
                throw new PluginException("two uploaders claim the scheme '" + scheme + "': "
                        + describe(previous) + " and " + describe(factory));
            }
        }
        return new UploaderRegistry(found);
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

    public List<String> schemes() {
        return new ArrayList<>(factories.keySet());
    }

    public Map<String, UploaderFactory> factories() {
        return factories;
    }

    /** Class and jar of a factory, for messages and {@code lifeboat plugins}. */
    public static String describe(UploaderFactory factory) {
        return factory.getClass().getName() + " (" + location(factory.getClass()) + ")";
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
}
