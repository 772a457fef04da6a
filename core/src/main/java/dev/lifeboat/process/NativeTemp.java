package dev.lifeboat.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where JNA unpacks its native library before Lifeboat binds libc. The distribution's {@code bin/lifeboat}
 * loads the library where it lies ({@code jna.boot.library.path}) and needs none of this. Under plain
 * {@code java -jar} JNA unpacks it to the user's cache ({@code $XDG_CACHE_HOME} or {@code ~/.cache}), then
 * to {@code java.io.tmpdir}; a library can only be loaded from a folder that can be written and is not
 * mounted {@code noexec}. On a read-only root filesystem neither of JNA's choices can be written, and the
 * memory filesystems a container gets ({@code /dev/shm}) are mounted {@code noexec} by Docker, Podman and
 * Kubernetes. Then, and only then, {@code jna.tmpdir} is set to the first fit of the spool directory
 * ({@code --spool-dir} on the command line, else {@code $LIFEBOAT_SPOOL_DIR}: a volume given for the
 * spool) and {@code /dev/shm}. When none fits, {@link #problem} says so, for one clear error.
 */
public final class NativeTemp {
    private static volatile String problem;

    private NativeTemp() {}

    /**
     * Sets {@code jna.tmpdir} when JNA's own choices do not fit; returns the folder chosen, or null.
     *
     * @param args the command line, for {@code --spool-dir}
     */
    public static Path choose(Map<String, String> env, String[] args) {
        if (System.getProperty("jna.tmpdir") != null || bootLibrary()) {
            return null;
        }
        Mounts mounts = Mounts.read();
        String xdg = env.get("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home", "/"), ".cache");
        Path tmp = Path.of(System.getProperty("java.io.tmpdir", "/tmp"));
        if (fits(cache, mounts) || fits(tmp, mounts)) {
            return null;
        }
        List<Path> candidates = new ArrayList<>();
        String spool = spoolDir(args, env);
        if (spool != null) {
            candidates.add(Path.of(spool));
        }
        candidates.add(Path.of("/dev/shm"));
        for (Path candidate : candidates) {
            if (!fits(candidate, mounts)) {
                continue;
            }
            Path folder = candidate.resolve(".lifeboat-jna");
            try {
                Files.createDirectories(folder);
                if (Files.isWritable(folder)) {
                    System.setProperty("jna.tmpdir", folder.toString());
                    return folder;
                }
            } catch (IOException | RuntimeException e) {
                // the next one
            }
        }
        problem = "no folder to unpack its native library to that can be written and is not mounted noexec ("
                + cache + ", " + tmp + (spool == null ? "" : ", " + spool) + ", /dev/shm); give the spool a volume"
                + " (--spool-dir or LIFEBOAT_SPOOL_DIR), or start Lifeboat with the distribution's bin/lifeboat,"
                + " which needs none";
        return null;
    }

    /** Why JNA's library could not be placed, or null. */
    public static String problem() {
        return problem;
    }

    /** The distribution's library, loaded where it lies. */
    private static boolean bootLibrary() {
        String boot = System.getProperty("jna.boot.library.path");
        return boot != null && Files.isRegularFile(Path.of(boot, "libjnidispatch.so"));
    }

    /** {@code --spool-dir DIR} or {@code --spool-dir=DIR} before {@code --}, else the environment's. */
    static String spoolDir(String[] args, Map<String, String> env) {
        for (int i = 0; i < args.length && !args[i].equals("--"); i++) {
            if (args[i].equals("--spool-dir") && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith("--spool-dir=")) {
                return args[i].substring("--spool-dir=".length());
            }
        }
        String spool = env.get("LIFEBOAT_SPOOL_DIR");
        return spool == null || spool.isBlank() ? null : spool;
    }

    /**
     * A folder that exists and can be written, or that can be created under its nearest existing parent,
     * on a file system not mounted {@code noexec}.
     */
    private static boolean fits(Path folder, Mounts mounts) {
        Path p = folder.toAbsolutePath().normalize();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return p != null && Files.isDirectory(p) && Files.isWritable(p) && !mounts.noexec(p);
    }

    /** The mount points and whether each is {@code noexec}, from {@code /proc/self/mountinfo}. */
    record Mounts(List<String> points, List<Boolean> noexec) {
        static Mounts read() {
            List<String> points = new ArrayList<>();
            List<Boolean> noexec = new ArrayList<>();
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                    String[] f = line.split(" ");
                    if (f.length > 5) {
                        points.add(f[4].replace("\\040", " "));
                        noexec.add(List.of(f[5].split(",")).contains("noexec"));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no /proc: nothing is known to be noexec
            }
            return new Mounts(points, noexec);
        }

        /** Whether {@code path}'s file system (the longest mount point above it, the last mounted) is noexec. */
        boolean noexec(Path path) {
            String p = path.toString();
            int best = -1;
            int bestLength = -1;
            for (int i = 0; i < points.size(); i++) {
                String m = points.get(i);
                boolean above = p.equals(m) || m.equals("/") || p.startsWith(m + "/");
                if (above && m.length() >= bestLength) {
                    best = i;
                    bestLength = m.length();
                }
            }
            return best >= 0 && noexec.get(best);
        }
    }
}
