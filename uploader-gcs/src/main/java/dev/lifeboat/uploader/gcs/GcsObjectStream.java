package dev.lifeboat.uploader.gcs;

import com.google.cloud.ReadChannel;
import com.google.cloud.storage.StorageException;
import dev.lifeboat.spi.Checksums;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * One generation of an object, read through the client's read channel on the caller's thread. Its
 * connections belong to a scope of their own, closed when the control is cancelled or the uploader
 * closes; a read after the deadline throws {@link UploadCancelledException}. At the end the bytes read are
 * checked against the size and CRC32C that GCS reported for the object.
 */
final class GcsObjectStream extends InputStream {
    private final ReadChannel channel;
    private final AbortableConnections connections;
    private final AbortableConnections.Scope scope;
    private final UploadControl control;
    private final String location;
    private final Long size;
    private final String crc32c;
    private final Runnable onClose;
    private final CRC32C crc = new CRC32C();
    private long read;
    private boolean ended;
    private boolean closed;

    GcsObjectStream(ReadChannel channel, AbortableConnections connections, AbortableConnections.Scope scope,
            UploadControl control, String location, Long size, String crc32c, Runnable onClose) {
        this.channel = channel;
        this.connections = connections;
        this.scope = scope;
        this.control = control;
        this.location = location;
        this.size = size;
        this.crc32c = crc32c;
        this.onClose = onClose;
        control.onCancel(() -> scope.abort("read cancelled"));
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("stream of " + location + " is closed");
        }
        if (len == 0) {
            return 0;
        }
        if (ended) {
            return -1;
        }
        int n;
        do {
            n = readSome(ByteBuffer.wrap(b, off, len));
        } while (n == 0);
        if (n < 0) {
            ended = true;
            verify();
            return -1;
        }
        crc.update(b, off, n);
        read += n;
        return n;
    }

    private int readSome(ByteBuffer into) throws IOException {
        control.checkCancelled();
        AbortableConnections.Scope previous = connections.current();
        connections.enter(scope);
        try {
            return channel.read(into);
        } catch (IOException | RuntimeException e) {
            if (scope.isAborted() || control.isCancelled()) {
                throw new UploadCancelledException("read of " + location + " cancelled", e);
            }
            StorageException se = storageException(e);
            if (se != null && se.getCode() == 404) {
                throw new NoSuchFileException(location, null, "replaced or deleted while it was read");
            }
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("read of " + location + " failed: " + e.getMessage(), e);
        } finally {
            connections.enter(previous);
        }
    }

    private static StorageException storageException(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StorageException se) {
                return se;
            }
        }
        return null;
    }

    private void verify() throws IOException {
        if (size != null && read != size) {
            throw new IOException(location + " has " + size + " bytes, " + read + " were read");
        }
        if (crc32c != null && !Checksums.crc(crc).equals(crc32c)) {
            throw new IOException("CRC32C of the bytes read from " + location + " is " + Checksums.crc(crc)
                    + ", GCS reports " + crc32c);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close();
        } finally {
            scope.abort("stream closed");
            onClose.run();
        }
    }
}
