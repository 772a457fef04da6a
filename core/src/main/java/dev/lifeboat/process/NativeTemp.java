package dev.lifeboat.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where JNA extracts its native library before Lifeboat binds libc. JNA's own choice is the user's cache
 * ({@code $XDG_CACHE_HOME} or {@code ~/.cache}), then {@code java.io.tmpdir}; on a read-only root
 * filesystem none of them can be written, libc cannot be bound and no child could be started. Then, and
 * only then, {@code jna.tmpdir} is set to the first writable of {@code $LIFEBOAT_SPOOL_DIR} (a volume given
 * for the spool) and {@code /dev/shm}. A memory filesystem mounted {@code noexec} cannot hold a library
 * that is loaded: give the spool a volume then (see the README's read-only root).
 */
public final class NativeTemp {
    private NativeTemp() {}

    /** Sets {@code jna.tmpdir} when JNA's own choices cannot be written; returns the folder chosen, or null. */
    public static Path choose(Map<String, String> env) {
        if (System.getProperty("jna.tmpdir") != null) {
            return null;
        }
        String xdg = env.get("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home", "/"), ".cache");
        if (writable(cache) || writable(Path.of(System.getProperty("java.io.tmpdir", "/tmp")))) {
            return null;
        }
        List<Path> candidates = new ArrayList<>();
        String spool = env.get("LIFEBOAT_SPOOL_DIR");
        if (spool != null && !spool.isBlank()) {
            candidates.add(Path.of(spool));
        }
        candidates.add(Path.of("/dev/shm"));
        for (Path candidate : candidates) {
            Path folder = candidate.resolve(".lifeboat-jna");
            try {
                Files.createDirectories(folder);
                if (Files.isWritable(folder)) {
                    System.setProperty("jna.tmpdir", folder.toString());
                    return folder;
                }
            } catch (java.io.IOException | RuntimeException e) {
                // the next one
            }
        }
        return null;
    }

    /** A folder that exists and can be written, or that can be created under its nearest existing parent. */
    private static boolean writable(Path folder) {
        Path p = folder.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p != null && Files.isDirectory(p) && Files.isWritable(p);
    }
}
