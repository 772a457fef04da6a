package dev.lifeboat.uploader.file;

import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.InvalidKeyException;
import dev.lifeboat.spi.Keys;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes each file under the destination directory through a temporary name in the target directory,
 * fsyncs it, renames it atomically into place and fsyncs the directory. The bytes are hashed (SHA-256)
 * as they are written, and the hash is returned for the manifest. Concatenation copies the sources,
 * in order, into a new file the same way; reading opens the file.
 */
final class FileUploader implements Uploader {
    private static final int CHUNK = 1 << 20;
    private final Path root;
    private final boolean fsync;
    private volatile boolean closed;

    FileUploader(Path root, boolean fsync) {
        this.root = root;
        this.fsync = fsync;
    }

    @Override
    public void check(UploadControl control) throws IOException {
        ensureOpen();
        try {
            Files.createDirectories(root);
        } catch (AccessDeniedException e) {
            throw new IOException("cannot create " + root + ": permission denied");
        } catch (IOException e) {
            throw new IOException("cannot create " + root + ": " + e.getMessage());
        }
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " is not a directory");
        }
        Path probe = root.resolve(".lifeboat-check-" + UUID.randomUUID());
        try {
            Files.write(probe, new byte[0], StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException(root + " is not writable: " + describe(e));
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    @Override
    public UploadResult upload(SourceFile source, String key, UploadControl control) throws IOException {
        Keys.check(key);
        ensureOpen();
        control.checkCancelled();
        return write(resolve(key), List.of(source::openStream), source.size(), "from " + source.path(), control);
    }

    @Override
    public boolean supportsUploadIfAbsent() {
        return true;
    }

    /** Written to a temporary name as {@link #upload} is, then hard-linked to the key: link(2) fails if it exists. */
    @Override
    public boolean uploadIfAbsent(SourceFile source, String key, UploadControl control) throws IOException {
        Keys.check(key);
        ensureOpen();
        control.checkCancelled();
        Path target = resolve(key);
        Path temp = target.resolveSibling("." + target.getFileName() + ".lifeboat-" + UUID.randomUUID() + ".new");
        write(temp, List.of(source::openStream), source.size(), "from " + source.path(), control);
        try {
            Files.createLink(target, temp);
            if (fsync) {
                syncDirectory(target.getParent());
            }
            return true;
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public boolean supportsConcatenation() {
        return true;
    }

    @Override
    public UploadResult concatenate(List<String> sourceKeys, String targetKey, UploadControl control)
            throws IOException {
        Keys.check(targetKey);
        ensureOpen();
        control.checkCancelled();
        if (sourceKeys.isEmpty()) {
            throw new IllegalArgumentException("nothing to concatenate into " + targetKey);
        }
        List<Source> sources = new ArrayList<>();
        for (String key : sourceKeys) {
            Path source = resolve(Keys.check(key));
            if (!Files.isRegularFile(source)) {
                throw new NoSuchFileException(source.toString());
            }
            sources.add(() -> Files.newInputStream(source));
        }
        return write(resolve(targetKey), sources, -1, "", control);
    }

    /** Bytes to write, opened when their turn comes. */
    @FunctionalInterface
    private interface Source {
        InputStream open() throws IOException;
    }

    /**
     * Writes {@code sources}, in order, to a temporary name beside {@code target}, hashing them, then
     * fsyncs and renames it into place.
     *
     * @param expected the bytes the sources must hold, or -1
     */
    private UploadResult write(Path target, List<Source> sources, long expected, String what, UploadControl control)
            throws IOException {
        Files.createDirectories(target.getParent());
        // a link put in place while the folders were being created is refused too
        refuseLinks(root.relativize(target).toString(), target);
        Path temp = target.resolveSibling("." + target.getFileName() + ".lifeboat-" + UUID.randomUUID() + ".tmp");
        MessageDigest sha256 = sha256();
        boolean done = false;
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] buffer = new byte[(int) (expected < 0 ? CHUNK : Math.min(CHUNK, Math.max(1, expected)))];
            long written = 0;
            for (Source source : sources) {
                try (InputStream in = source.open()) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        control.checkCancelled();
                        sha256.update(buffer, 0, n);
                        ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                        while (bb.hasRemaining()) {
                            out.write(bb);
                        }
                        written += n;
                        control.addProgress(n);
                    }
                }
            }
            if (expected >= 0 && written != expected) {
                throw new IOException("read " + written + " of " + expected + " bytes " + what);
            }
            if (fsync) {
                out.force(true);
            }
            control.checkCancelled();
            out.close();
            move(temp, target);
            if (fsync) {
                syncDirectory(target.getParent());
            }
            done = true;
            return new UploadResult(target.toUri().toString(), written, UploadResult.SHA_256,
                    Checksums.base64(sha256.digest()), true);
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
    }

    @Override
    public void delete(String key, UploadControl control) throws IOException {
        ensureOpen();
        Path target = resolve(Keys.check(key));
        Files.deleteIfExists(target);
        // pieces live in folders of their own: remove the folders they leave empty, up to the root
        for (Path dir = target.getParent(); dir != null && dir.startsWith(root) && !dir.equals(root);
                dir = dir.getParent()) {
            try {
                Files.delete(dir);
            } catch (IOException e) {
                break;
            }
        }
    }

    @Override
    public boolean supportsRead() {
        return true;
    }

    @Override
    public InputStream open(String key, UploadControl control) throws IOException {
        ensureOpen();
        return Files.newInputStream(resolve(Keys.check(key)));
    }

    /**
     * Resolves {@code key}, already checked by {@link Keys#check}, under the root, and refuses it when a
     * folder on its way, or the file itself, is a symbolic link: a link inside the destination could lead
     * anywhere, and the uploader never writes (or reads) outside the destination. The root itself may be a
     * link; that is the destination as configured.
     */
    Path resolve(String key) throws IOException {
        Path target = root.resolve(key).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            throw new IOException("key '" + key + "' leads outside " + root);
        }
        refuseLinks(key, target);
        return target;
    }

    private void refuseLinks(String key, Path target) throws InvalidKeyException {
        Path at = root;
        for (Path name : root.relativize(target)) {
            at = at.resolve(name);
            if (Files.isSymbolicLink(at)) {
                String to;
                try {
                    to = " (to " + Files.readSymbolicLink(at) + ")";
                } catch (IOException e) {
                    to = "";
                }
                throw new InvalidKeyException(key, at + " is a symbolic link" + to
                        + " inside the destination; the file uploader does not write through links");
            }
            if (!Files.exists(at, LinkOption.NOFOLLOW_LINKS)) {
                return; // what is not there yet is created as a folder or a file, never as a link
            }
        }
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + target + " cannot rename atomically", e);
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // some file systems cannot fsync a directory; the file itself is synced
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("uploader is closed");
        }
    }

    private static String describe(IOException e) {
        return e instanceof AccessDeniedException ? "permission denied" : String.valueOf(e.getMessage());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "file uploader at " + root;
    }
}
