package dev.lifeboat.spi;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

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

    // ---- optional capabilities, for continuous shipping ----------------------------------------
    //
    // While the child runs Lifeboat ships what is new in each file as pieces. An uploader that can
    // join objects on the server seals them into one object at the end; one that can read objects back
    // lets `lifeboat fetch` download a run. An uploader without them still ships pieces, which then stay.

    /** Whether {@link #concatenate} and {@link #delete} are offered. */
    default boolean supportsConcatenation() {
        return false;
    }

    /**
     * Joins the objects at {@code sourceKeys}, in order, into one object at {@code targetKey}, on the
     * backend's side where it can (no bytes through Lifeboat). As with {@link #upload}, the target appears
     * only complete, replacing anything there. The sources may be consumed (HDFS's concat moves their
     * blocks into the target) or left as they are; Lifeboat removes what is left with {@link #delete}.
     * Must return or throw promptly once {@code control} is cancelled or its deadline passes; a failed or
     * cancelled call leaves the sources as they were.
     *
     * @param sourceKeys at least one key, each of an object this uploader shipped
     * @return the target: its location, its size (the sum of the sources') and its checksum if the
     *     backend reports one
     * @throws UnsupportedOperationException unless {@link #supportsConcatenation()}
     */
    default UploadResult concatenate(List<String> sourceKeys, String targetKey, UploadControl control)
            throws IOException, InterruptedException {
        throw new UnsupportedOperationException(getClass().getName() + " cannot concatenate");
    }

    /**
     * What {@link #concatenate} joins on the backend's side in one call. Lifeboat folds a file's pieces
     * within these limits while the child runs (small pieces into one of at least
     * {@code minimumSourceBytes}, and {@code maximumSources} pieces into one), so that the seal at the stop
     * joins few, large pieces. Only asked when {@link #supportsConcatenation()}.
     */
    default ConcatenationLimits concatenationLimits() {
        return ConcatenationLimits.NONE;
    }

    /**
     * Removes the object at {@code key}; one that is not there is no error.
     *
     * @throws UnsupportedOperationException unless {@link #supportsConcatenation()}
     */
    default void delete(String key, UploadControl control) throws IOException, InterruptedException {
        throw new UnsupportedOperationException(getClass().getName() + " cannot delete");
    }

    // ---- optional capability: claiming a run's folder ------------------------------------------
    //
    // A run claims its folder at the destination before it ships anything, so that no run ever writes
    // into another's. With uploadIfAbsent the claim is one conditional create on the backend; without it,
    // an uploader that can read (supportsRead) is asked whether the claim is there first (a check, which two
    // runs starting at the same instant could both pass); with neither, nothing is checked.

    /** Whether {@link #uploadIfAbsent} is offered. */
    default boolean supportsUploadIfAbsent() {
        return false;
    }

    /**
     * As {@link #upload}, but only if nothing is at {@code key}, decided atomically on the backend's side
     * (a create that fails when the object exists: {@code O_EXCL}, HDFS's create without overwrite, a
     * precondition on the object's generation, a conditional PUT): of two calls at once, one returns true.
     *
     * @return true if this call created the object, false if something was there (left as it was)
     * @throws UnsupportedOperationException unless {@link #supportsUploadIfAbsent()}
     */
    default boolean uploadIfAbsent(SourceFile source, String key, UploadControl control)
            throws IOException, InterruptedException {
        throw new UnsupportedOperationException(getClass().getName() + " cannot create conditionally");
    }

    /** Whether {@link #open} is offered. */
    default boolean supportsRead() {
        return false;
    }

    /**
     * Opens the object at {@code key} for reading. The stream's reads are bounded by the control's
     * deadline where the backend allows it.
     *
     * @throws java.nio.file.NoSuchFileException when there is no object at {@code key}
     * @throws UnsupportedOperationException unless {@link #supportsRead()}
     */
    default InputStream open(String key, UploadControl control) throws IOException, InterruptedException {
        throw new UnsupportedOperationException(getClass().getName() + " cannot read");
    }
}
