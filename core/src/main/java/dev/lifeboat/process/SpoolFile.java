package dev.lifeboat.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Records a stream to a file that keeps at most {@code capacity} bytes, the newest ones: once full it
 * wraps around and overwrites the oldest bytes. {@link #snapshot} writes the kept bytes, in order, to a
 * file of their own for shipping.
 */
public final class SpoolFile implements AutoCloseable {
    private final Path path;
    private final long capacity;
    private final FileChannel channel;
    private long total;

    public SpoolFile(Path path, long capacity) throws IOException {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.path = path;
        this.capacity = capacity;
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
        if (length >= capacity) {
            offset += (int) (length - capacity);
            total += length - capacity;
            length = (int) capacity;
        }
        while (length > 0) {
            long position = total % capacity;
            int n = (int) Math.min(length, capacity - position);
            ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, n);
            while (buffer.hasRemaining()) {
                channel.write(buffer, position + (n - buffer.remaining()));
            }
            offset += n;
            length -= n;
            total += n;
        }
    }

    /** Bytes written in all. */
    public synchronized long total() {
        return total;
    }

    /** Bytes dropped because the capacity was exceeded. */
    public synchronized long dropped() {
        return Math.max(0, total - capacity);
    }

    /**
     * Writes the kept bytes, oldest first, to {@code target}.
     *
     * @return the number of bytes written
     */
    public synchronized long snapshot(Path target) throws IOException {
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            if (total <= capacity) {
                transfer(0, total, out);
                return total;
            }
            long head = total % capacity;
            transfer(head, capacity - head, out);
            transfer(0, head, out);
            return capacity;
        }
    }

    /**
     * Writes the kept bytes from stream position {@code from} on (positions count every byte ever
     * written) to {@code target}; bytes before the oldest kept one are gone and skipped.
     *
     * @return the stream position the written bytes start at: {@code from}, or later if bytes were dropped
     */
    public synchronized long copyFrom(long from, Path target) throws IOException {
        long start = Math.max(from, Math.max(0, total - capacity));
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            long position = start;
            while (position < total) {
                long at = position % capacity;
                long n = Math.min(total - position, capacity - at);
                transfer(at, n, out);
                position += n;
            }
        }
        return start;
    }

    private void transfer(long position, long count, FileChannel out) throws IOException {
        long done = 0;
        while (done < count) {
            long n = channel.transferTo(position + done, count - done, out);
            if (n <= 0) {
                throw new IOException("short read from " + path);
            }
            done += n;
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    /** Deletes the spool file. */
    public void delete() throws IOException {
        close();
        Files.deleteIfExists(path);
    }
}
