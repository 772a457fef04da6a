package dev.lifeboat.plugin;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;

/**
 * The parent of every plugin's class loader: the JDK (through the platform class loader) and the
 * uploader SPI package {@code dev.lifeboat.spi} (through Lifeboat's own loader), nothing else. A plugin
 * therefore cannot see Lifeboat's internals or libraries (Guice, Jackson, the configuration...), and may
 * carry its own versions of any library.
 */
final class SpiOnlyClassLoader extends ClassLoader {
    static final String SPI_PACKAGE = "dev.lifeboat.spi.";
    private static final String SPI_RESOURCES = SPI_PACKAGE.replace('.', '/');

    static {
        registerAsParallelCapable();
    }

    private final ClassLoader lifeboat;

    SpiOnlyClassLoader(ClassLoader lifeboat) {
        super("lifeboat-spi", ClassLoader.getPlatformClassLoader());
        this.lifeboat = lifeboat;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (isSpi(name)) {
            return lifeboat.loadClass(name);
        }
        return super.loadClass(name, resolve);
    }

    @Override
    public URL getResource(String name) {
        if (name.startsWith(SPI_RESOURCES) && name.indexOf('/', SPI_RESOURCES.length()) < 0) {
            return lifeboat.getResource(name);
        }
        return getParent().getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        if (name.startsWith(SPI_RESOURCES) && name.indexOf('/', SPI_RESOURCES.length()) < 0) {
            return lifeboat.getResources(name);
        }
        // never Lifeboat's META-INF/services: a plugin's ServiceLoader finds the plugin's factories only
        return getParent() == null ? Collections.emptyEnumeration() : getParent().getResources(name);
    }

    /** A class of the SPI package itself, not of a package below it. */
    static boolean isSpi(String className) {
        return className.startsWith(SPI_PACKAGE) && className.indexOf('.', SPI_PACKAGE.length()) < 0;
    }
}
