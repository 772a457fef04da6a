package dev.lifeboat.ship;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

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
            if (!collect(glob, items, skipped)) {
                skipped.add(new Skipped(glob, null, Skipped.Reason.NO_MATCH, "the glob matched no file"));
            }
        }
        return new Result(new ArrayList<>(items.values()), skipped);
    }

    /** Collects what {@code glob} matches; false if it matched nothing at all (not even a file already collected). */
    private boolean collect(String glob, Map<Path, ShipItem> items, List<Skipped> skipped) {
        Path absolute;
        try {
            absolute = workingDirectory.resolve(glob).normalize();
        } catch (InvalidPathException e) {
            return invalid(glob, e.getMessage(), skipped);
        }
        String pattern = absolute.toString();
        Path base = baseOf(absolute);
        boolean recursive = pattern.contains("**");
        int depth = recursive ? Integer.MAX_VALUE : absolute.getNameCount() - base.getNameCount();
        if (depth == 0) {
            // no wildcard: one file
            return consider(absolute, base, items, skipped, true);
        }
        PathMatcher matcher;
        try {
            matcher = matcher(pattern);
        } catch (PatternSyntaxException e) {
            return invalid(glob, e.getDescription(), skipped);
        }
        if (!Files.isDirectory(base)) {
            return false;
        }
        boolean[] matched = {false};
        Set<FileVisitOption> options = followSymlinks ? EnumSet.of(FileVisitOption.FOLLOW_LINKS) : EnumSet.noneOf(FileVisitOption.class);
        try {
            Files.walkFileTree(base, options, depth, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (matcher.matches(file) && consider(file, base, items, skipped, false)) {
                        matched[0] = true;
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
                        matched[0] = true;
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            skipped.add(new Skipped(base.toString(), null, Skipped.Reason.UNREADABLE, describe(e)));
            return true;
        }
        return matched[0];
    }

    /** A glob that cannot be used is reported (the configuration checks globs before the child starts). */
    private static boolean invalid(String glob, String problem, List<Skipped> skipped) {
        skipped.add(new Skipped(glob, null, Skipped.Reason.NO_MATCH, "not a valid glob: " + problem));
        return true;
    }

    /**
     * Collects {@code file} or records why not; false only when there is nothing to report (a literal path
     * that does not exist, a directory met by a wildcard).
     */
    private boolean consider(Path file, Path base, Map<Path, ShipItem> items, List<Skipped> skipped, boolean single) {
        if (items.containsKey(file)) {
            return true;
        }
        String key = keyFor(file);
        try {
            if (Files.isSymbolicLink(file) && !followSymlinks) {
                Path target = file.toRealPath();
                Path realBase = base.toRealPath();
                if (!target.startsWith(realBase)) {
                    skipped.add(new Skipped(file.toString(), key, Skipped.Reason.SYMLINK_OUTSIDE_BASE,
                            "links to " + target + ", outside " + base + " (set --follow-symlinks to ship it)"));
                    return true;
                }
            }
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attrs.isRegularFile()) {
                if (!attrs.isDirectory() || single) {
                    skipped.add(new Skipped(file.toString(), key, Skipped.Reason.NOT_REGULAR_FILE,
                            attrs.isDirectory() ? "a directory" : "not a regular file"));
                    return true;
                }
                return false;
            }
            if (!Files.isReadable(file)) {
                skipped.add(new Skipped(file.toString(), key, Skipped.Reason.UNREADABLE, "permission denied"));
                return true;
            }
            items.put(file, new ShipItem(file, key, file.toString(), attrs.size()));
            return true;
        } catch (NoSuchFileException e) {
            if (!single) {
                skipped.add(new Skipped(file.toString(), key, Skipped.Reason.VANISHED, "the file disappeared"));
            }
            return !single;
        } catch (IOException e) {
            skipped.add(new Skipped(file.toString(), key, Skipped.Reason.UNREADABLE, describe(e)));
            return true;
        }
    }

    /** {@code files/<absolute path without the leading slash>}, by the rule of {@link FileKeys}. */
    public static String keyFor(Path absolute) {
        return FileKeys.keyFor(absolute);
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

    /**
     * A glob matcher where each {@code /**}{@code /} also matches no directory at all, as in most shells:
     * the pattern with every combination of them kept or collapsed to {@code /}.
     */
    static PathMatcher matcher(String pattern) {
        Set<String> variants = new LinkedHashSet<>();
        variants(pattern, 0, variants);
        List<PathMatcher> matchers = new ArrayList<>();
        for (String variant : variants) {
            matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + variant));
        }
        return path -> {
            for (PathMatcher m : matchers) {
                if (m.matches(path)) {
                    return true;
                }
            }
            return false;
        };
    }

    private static void variants(String pattern, int from, Set<String> out) {
        int i = pattern.indexOf("/**/", from);
        if (i < 0) {
            out.add(pattern);
            return;
        }
        variants(pattern, i + 3, out);
        variants(pattern.substring(0, i) + pattern.substring(i + 3), i, out);
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
