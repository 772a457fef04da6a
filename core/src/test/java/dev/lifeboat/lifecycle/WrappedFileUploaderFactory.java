package dev.lifeboat.lifecycle;

import dev.lifeboat.spi.ConcatenationLimits;
import dev.lifeboat.spi.InvalidOptionException;
import dev.lifeboat.spi.SourceFile;
import dev.lifeboat.spi.UploadCancelledException;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.UploadResult;
import dev.lifeboat.spi.Uploader;
import dev.lifeboat.spi.UploaderContext;
import dev.lifeboat.spi.UploaderFactory;
import dev.lifeboat.uploader.file.FileUploaderFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real file uploader behind switches a test turns: a destination that is down, an uploader that
 * cannot concatenate (as a plugin may), one whose concatenation takes until it is cancelled, one whose
 * concatenation fails, one that folds pieces but cannot seal them; limits of concatenation like those of
 * an object store; and a record of every concatenation asked for.
 */
final class WrappedFileUploaderFactory implements UploaderFactory {
    enum Concatenation { SUPPORTED, UNSUPPORTED, UNTIL_CANCELLED, FAILS, FOLDS_ONLY }

    /** One concatenation asked for. */
    record Join(List<String> sources, String target) {}

    final AtomicBoolean down = new AtomicBoolean();
    final AtomicInteger refused = new AtomicInteger();
    final List<Join> joins = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Concatenation concatenation;
    private final ConcatenationLimits limits;
    private final FileUploaderFactory files = new FileUploaderFactory();

    WrappedFileUploaderFactory(Concatenation concatenation) {
        this(concatenation, ConcatenationLimits.NONE);
    }

    WrappedFileUploaderFactory(Concatenation concatenation, ConcatenationLimits limits) {
        this.concatenation = concatenation;
        this.limits = limits;
    }

    @Override
    public String scheme() {
        return "file";
    }

    @Override
    public Set<String> optionKeys() {
        return files.optionKeys();
    }

    @Override
    public Uploader create(URI destination, Map<String, String> options, UploaderContext context)
            throws IOException, InvalidOptionException {
        Uploader file = files.create(destination, options, context);
        return new Uploader() {
            @Override
            public void check(UploadControl control) throws IOException, InterruptedException {
                file.check(control);
            }

            @Override
            public UploadResult upload(SourceFile source, String key, UploadControl control)
                    throws IOException, InterruptedException {
                if (down.get()) {
                    refused.incrementAndGet();
                    throw new IOException("the destination is down");
                }
                return file.upload(source, key, control);
            }

            @Override
            public boolean supportsConcatenation() {
                return concatenation != Concatenation.UNSUPPORTED;
            }

            @Override
            public ConcatenationLimits concatenationLimits() {
                return limits;
            }

            @Override
            public UploadResult concatenate(List<String> sourceKeys, String targetKey, UploadControl control)
                    throws IOException, InterruptedException {
                joins.add(new Join(List.copyOf(sourceKeys), targetKey));
                boolean fold = targetKey.contains("/pieces/");
                if (concatenation == Concatenation.FAILS || (concatenation == Concatenation.FOLDS_ONLY && !fold)) {
                    throw new IOException("the backend refuses to join " + targetKey);
                }
                if (concatenation == Concatenation.UNTIL_CANCELLED) {
                    CountDownLatch cancelled = new CountDownLatch(1);
                    control.onCancel(cancelled::countDown);
                    cancelled.await(control.remaining().toNanos(), TimeUnit.NANOSECONDS);
                    throw new UploadCancelledException("cancelled while joining " + targetKey);
                }
                return file.concatenate(sourceKeys, targetKey, control);
            }

            @Override
            public void delete(String key, UploadControl control) throws IOException, InterruptedException {
                file.delete(key, control);
            }

            @Override
            public boolean supportsRead() {
                return true;
            }

            @Override
            public InputStream open(String key, UploadControl control) throws IOException, InterruptedException {
                return file.open(key, control);
            }

            @Override
            public void close() throws IOException {
                file.close();
            }
        };
    }
}
