package dev.lifeboat.launcher.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Continuous shipping to {@code file://}: the archive is a local directory, read with java.nio. */
class ContinuousShippingIT extends AbstractContinuousShippingIT {
    /** The archive's root. */
    private Path root() {
        return dir.resolve("archive");
    }

    @Override
    protected String destination(String name) throws IOException {
        return Files.createDirectories(root().resolve(name)).toUri().toString().replaceAll("/$", "");
    }

    @Override
    protected Set<String> keys() throws IOException {
        return walk(root().resolve(runFolder()));
    }

    /** Regular files, and empty directories as {@code <key>/}, relative to {@code root}. */
    private static Set<String> walk(Path root) throws IOException {
        Set<String> keys = new TreeSet<>();
        if (!Files.isDirectory(root)) {
            return keys;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isRegularFile(p)) {
                    keys.add(root.relativize(p).toString());
                } else if (!p.equals(root) && isEmptyDirectory(p)) {
                    keys.add(root.relativize(p) + "/");
                }
            }
        }
        return keys;
    }

    private static boolean isEmptyDirectory(Path p) throws IOException {
        try (Stream<Path> entries = Files.list(p)) {
            return entries.findAny().isEmpty();
        }
    }

    @Override
    protected byte[] read(String key) throws IOException {
        try {
            return Files.readAllBytes(root().resolve(runFolder()).resolve(key));
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
