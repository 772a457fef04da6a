package dev.lifeboat.spi;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A local file to ship, with the length Lifeboat measured and hashed. A log file may still grow while it
 * is shipped; an uploader ships the first {@link #size()} bytes, so what arrives matches the manifest.
 */
public final class SourceFile {
    private final Path path;
    private final long size;

    public SourceFile(Path path, long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size < 0: " + size);
        }
        this.path = Objects.requireNonNull(path, "path");
        this.size = size;
    }

    public Path path() {
        return path;
    }

    public long size() {
        return size;
    }

    /** Opens the file, reading at most {@link #size()} bytes from {@code offset}. */
    public InputStream openStream(long offset) throws IOException {
        if (offset < 0 || offset > size) {
            throw new IllegalArgumentException("offset " + offset + " outside [0, " + size + "]");
        }
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        channel.position(offset);
        return new BoundedInputStream(Channels.newInputStream(channel), size - offset);
    }

    public InputStream openStream() throws IOException {
        return openStream(0);
    }

    @Override
    public String toString() {
        return path + " (" + size + " bytes)";
    }

    private static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInputStream(InputStream in, long left) {
            this.in = in;
            this.left = left;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            } else if (n < 0 && left > 0) {
                throw new IOException("file shrank while it was read: " + left + " bytes missing");
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(Math.min(n, left));
            left -= skipped;
            return skipped;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(in.available(), left);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
