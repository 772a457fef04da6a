package dev.lifeboat.uploader.file;

import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import java.net.URI;
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
        root(destination);
        fsync(options);
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
