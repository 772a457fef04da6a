package dev.lifeboat.ship;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Expands the {@code --logs} globs at shipping time. Each glob is split into a base directory (the part
 * before the first segment with a wildcard) and a pattern matched against whole paths; {@code **}
 * crosses directories. Only regular files are collected; symbolic links are followed only when they
 * stay inside the base directory, unless {@code followSymlinks} is set.
 */
public final class Collector {
    private final boolean followSymlinks;
    private final Path workingDirectory;

    public Collector(boolean followSymlinks, Path workingDirectory) {
        this.followSymlinks = followSymlinks;
        this.workingDirectory = workingDirectory;
    }

    /** The files matched and what was skipped. */
    public record Result(List<ShipItem> items, List<Skipped> skipped) {}

    public Result collect(List<String> globs) {
        Map<Path, ShipItem> items = new LinkedHashMap<>();
        List<Skipped> skipped = new ArrayList<>();
        for (String glob : globs) {
            int before = items.size() + skipped.size();
            collect(glob, items, skipped);
            if (items.size() + skipped.size() == before) {
                skipped.add(new Skipped(glob, null, Skipped.Reason.NO_MATCH, "the glob matched no file"));
            }
        }
        return new Result(new ArrayList<>(items.values()), skipped);
    }

    private void collect(String glob, Map<Path, ShipItem> items, List<Skipped> skipped) {
        Path absolute = workingDirectory.resolve(glob).normalize();
        String pattern = absolute.toString();
        Path base = baseOf(absolute);
        boolean recursive = pattern.contains("**");
        int depth = recursive ? Integer.MAX_VALUE : absolute.getNameCount() - base.getNameCount();
        if (depth == 0) {
            // no wildcard: one file
            consider(absolute, base, items, skipped, true);
            return;
        }
        if (!Files.isDirectory(base)) {
            return;
        }
        PathMatcher matcher = matcher(pattern);
        Set<FileVisitOption> options = followSymlinks ? EnumSet.of(FileVisitOption.FOLLOW_LINKS) : EnumSet.noneOf(FileVisitOption.class);
        try {
            Files.walkFileTree(base, options, depth, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (matcher.matches(file)) {
                        consider(file, base, items, skipped, false);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    if (e instanceof FileSystemLoopException) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (matcher.matches(file) || Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
                        skipped.add(new Skipped(file.toString(), null,
                                e instanceof NoSuchFileException ? Skipped.Reason.VANISHED : Skipped.Reason.UNREADABLE,
                                describe(e)));
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            skipped.add(new Skipped(base.toString(), null, Skipped.Reason.UNREADABLE, describe(e)));
        }
    }

    private void consider(Path file, Path base, Map<Path, ShipItem> items, List<Skipped> skipped, boolean single) {
        if (items.containsKey(file)) {
            return;
        }
        String key = keyFor(file);
        try {
            if (Files.isSymbolicLink(file) && !followSymlinks) {
                Path target = file.toRealPath();
                Path realBase = base.toRealPath();
                if (!target.startsWith(realBase)) {
                    skipped.add(new Skipped(file.toString(), key, Skipped.Reason.SYMLINK_OUTSIDE_BASE,
                            "links to " + target + ", outside " + base + " (set --follow-symlinks to ship it)"));
                    return;
                }
            }
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attrs.isRegularFile()) {
                if (!attrs.isDirectory() || single) {
                    skipped.add(new Skipped(file.toString(), key, Skipped.Reason.NOT_REGULAR_FILE,
                            attrs.isDirectory() ? "a directory" : "not a regular file"));
                }
                return;
            }
            if (!Files.isReadable(file)) {
                skipped.add(new Skipped(file.toString(), key, Skipped.Reason.UNREADABLE, "permission denied"));
                return;
            }
            items.put(file, new ShipItem(file, key, file.toString(), attrs.size()));
        } catch (NoSuchFileException e) {
            if (!single) {
                skipped.add(new Skipped(file.toString(), key, Skipped.Reason.VANISHED, "the file disappeared"));
            }
        } catch (IOException e) {
            skipped.add(new Skipped(file.toString(), key, Skipped.Reason.UNREADABLE, describe(e)));
        }
    }

    /** {@code files/<absolute path without the leading slash>}. */
    public static String keyFor(Path absolute) {
        String p = absolute.toAbsolutePath().normalize().toString();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        return "files/" + p;
    }

    static Path baseOf(Path absolute) {
        Path base = absolute.getRoot();
        for (Path segment : absolute) {
            if (hasWildcard(segment.toString())) {
                break;
            }
            base = base.resolve(segment);
        }
        return base;
    }

    private static boolean hasWildcard(String s) {
        for (char c : s.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == '{') {
                return true;
            }
        }
        return false;
    }

    /** A glob matcher where {@code /**}{@code /} also matches no directory at all, as in most shells. */
    static PathMatcher matcher(String pattern) {
        PathMatcher exact = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        if (!pattern.contains("/**/")) {
            return exact;
        }
        PathMatcher collapsed = FileSystems.getDefault().getPathMatcher("glob:" + pattern.replace("/**/", "/"));
        return path -> exact.matches(path) || collapsed.matches(path);
    }

    private static String describe(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "the file disappeared";
        }
        return String.valueOf(e.getMessage());
    }
}
