package dev.lifeboat.uploader.s3;

import dev.lifeboat.spi.BoundedCall;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadControl;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import software.amazon.awssdk.http.ContentStreamProvider;

/**
 * The bytes {@code [offset, offset + length)} of a source file, or {@code length} bytes of any stream that
 * can be opened again (the objects a concatenation reads back), as a request body. Every stream the SDK opens
 * (one per attempt) reads the bytes afresh, computes the local checksum as it goes and stops with an
 * {@link IOException} once the upload is cancelled or stopped, so that a cancelled request never delivers a
 * complete body. Sent through {@link #committing}, a body commits its call when a stream reaches its end: from
 * then on the request may already be committed by the server and is waited for rather than abandoned, and
 * a call given up before that point gets no last bytes.
 */
final class RangeBody implements ContentStreamProvider {
    /** Opens the bytes from their start, once per attempt. */
    @FunctionalInterface
    interface Opener {
        InputStream open() throws IOException;
    }

    private final Opener opener;
    /** The message for bytes that end early, from the number missing. */
    private final LongFunction<String> endedEarly;
    private final long length;
    private final UploadControl control;
    private final BooleanSupplier stopped;
    private final S3Config.Checksum algorithm;
    private volatile byte[] checksum;
    private volatile BoundedCall<?> call;

    RangeBody(SourceFile source, long offset, long length, UploadControl control, BooleanSupplier stopped,
              S3Config.Checksum algorithm) {
        this(() -> source.openStream(offset), missing -> "file shrank while it was read: " + source.path() + " has "
                + missing + " bytes fewer than the " + source.size() + " measured", length, control, stopped,
                algorithm);
    }

    RangeBody(Opener opener, LongFunction<String> endedEarly, long length, UploadControl control,
              BooleanSupplier stopped, S3Config.Checksum algorithm) {
        this.opener = opener;
        this.endedEarly = endedEarly;
        this.length = length;
        this.control = control;
        this.stopped = stopped;
        this.algorithm = algorithm;
    }

    long length() {
        return length;
    }

    /** The raw checksum of the bytes read by the last stream that reached its end, or null. */
    byte[] checksum() {
        return checksum;
    }

    /** This body, committing {@code call} once a stream is read to its end. */
    RangeBody committing(BoundedCall<?> call) {
        this.call = call;
        return this;
    }

    @Override
    public InputStream newStream() {
        try {
            return new Reading(opener.open());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "lifeboat-file-range";
    }

    private final class Reading extends InputStream {
        private final InputStream in;
        private final PartChecksums.Running running = PartChecksums.start(algorithm);
        private long left = length;
        private boolean finished;

        Reading(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (control.isCancelled() || stopped.getAsBoolean()) {
                throw new IOException("upload stopped");
            }
            if (len == 0) {
                return 0;
            }
            if (left <= 0) {
                finish();
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new IOException(endedEarly.apply(left));
            }
            running.update(b, off, n);
            left -= n;
            control.addProgress(n);
            if (left == 0) {
                finish();
            }
            return n;
        }

        private void finish() throws IOException {
            BoundedCall<?> committing = call;
            if (committing != null && !committing.commit(S3Uploader.COMMIT_GRACE)) {
                throw new IOException("upload stopped");
            }
            if (!finished) {
                finished = true;
                checksum = running.value();
            }
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
