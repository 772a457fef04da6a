package dev.lifeboat.uploader.file;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The built-in {@code file://} uploader: a directory on a local or mounted file system (a volume, NFS,
 * a bind mount). Options: {@code file.fsync} (default true).
 */
public final class FileUploaderFactory implements UploaderFactory {
    static final String FSYNC = "fsync";

    @Override
    public String scheme() {
        return "file";
    }

    @Override
    public String description() {
        return "a local or mounted directory";
    }

    @Override
    public Set<String> optionKeys() {
        return Set.of(FSYNC);
    }

    @Override
    public void validate(URI destination, Map<String, String> options) throws InvalidOptionException {
        notUnderAFile(root(destination));
        fsync(options);
    }

    /**
     * A destination that is, or lies under, something other than a directory cannot be right however the
     * run goes: a configuration error. A missing directory is not: it is created at the first upload.
     */
    static void notUnderAFile(Path root) throws InvalidOptionException {
        for (Path p = root; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new InvalidOptionException(null, p + (Files.isRegularFile(p) ? " is a regular file" : " is not a directory")
                            + (p.equals(root) ? "" : " (in the destination's path " + root + ")")
                            + ": a file destination names a directory, e.g. file:///archive");
                }
                return;
            }
        }
    }

    @Override
    public boolean checkBeforeChild() {
        return true;
    }

    @Override
    public Uploader create(URI destination, Map<String, String> options, UploaderContext context)
            throws InvalidOptionException {
        return new FileUploader(root(destination), fsync(options));
    }

    static Path root(URI destination) throws InvalidOptionException {
        if (destination.getAuthority() != null && !destination.getAuthority().isEmpty()
                && !"localhost".equals(destination.getAuthority())) {
            throw new InvalidOptionException(null, "a file destination names no host: use file:///path, not "
                    + destination);
        }
        String path = destination.getPath();
        if (path == null || path.isEmpty() || !path.startsWith("/")) {
            throw new InvalidOptionException(null, "a file destination needs an absolute path, e.g. file:///archive");
        }
        return Path.of(path).normalize();
    }

    private static boolean fsync(Map<String, String> options) throws InvalidOptionException {
        String value = options.getOrDefault(FSYNC, "true").trim().toLowerCase(java.util.Locale.ROOT);
        switch (value) {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new InvalidOptionException(FSYNC, "expected true or false, got '" + value + "'");
        }
    }
}
