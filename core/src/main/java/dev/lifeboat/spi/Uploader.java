package dev.lifeboat.spi;

import java.io.IOException;

/**
 * Ships local files to one destination. Implementations are thread-safe: Lifeboat calls
 * {@link #upload} from several threads at once.
 */
public interface Uploader extends AutoCloseable {

    /**
     * Proves the destination is reachable and writable within the control's deadline, e.g. by checking
     * that the bucket exists and that the credentials may write to it. Throws with a one-line message
     * that names what is wrong.
     */
    void check(UploadControl control) throws IOException, InterruptedException;

    /**
     * Ships exactly {@code source.size()} bytes of {@code source} to {@code key}, a '/'-separated path
     * relative to the destination.
     *
     * <p>The key follows the rules of {@link Keys}: no leading or trailing '/', no empty, {@code .} or
     * {@code ..} segment, no control character (U+0000 to U+001F, U+007F), at most {@value Keys#MAX_BYTES}
     * bytes of UTF-8; spaces, punctuation and any other Unicode are allowed. An implementation calls
     * {@link Keys#check} first and may add rules of its backend's own, documented, throwing
     * {@link InvalidKeyException} for them too.
     *
     * <p>The object must appear under its final key only when complete: a
     * failed or cancelled upload leaves nothing under that key (an existing object may be replaced only
     * by a complete one).
     *
     * <p>Must return or throw promptly once {@code control} is cancelled or its deadline passes:
     * throw {@link UploadCancelledException} then.
     *
     * @return what was shipped and how it was verified
     * @throws InvalidKeyException when the key breaks the rules above; retrying cannot help
     */
    UploadResult upload(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException;

    /** Releases clients and threads. Idempotent. */
    @Override
    void close() throws IOException;
}
