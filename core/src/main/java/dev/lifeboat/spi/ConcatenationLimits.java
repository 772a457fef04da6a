package dev.lifeboat.spi;

/**
 * What {@link Uploader#concatenate} can join on the backend's side in one call, so that Lifeboat can fold a
 * file's pieces into fewer, larger ones while the child runs and leave the seal at the stop little to do.
 *
 * @param minimumSourceBytes the smallest source joined without passing through Lifeboat when it is not the
 *     last one (S3: every part of a multipart upload but the last is at least 5 MiB; a smaller piece is read
 *     back and uploaded again); 0 when any size is joined on the server
 * @param maximumSources the most sources one call joins on the server (GCS compose: 32); more are joined
 *     in several steps
 */
public record ConcatenationLimits(long minimumSourceBytes, int maximumSources) {
    /** Any source of any size, any number of them, in one step: a file system's concat or copy. */
    public static final ConcatenationLimits NONE = new ConcatenationLimits(0, Integer.MAX_VALUE);

    public ConcatenationLimits {
        if (minimumSourceBytes < 0) {
            throw new IllegalArgumentException("minimumSourceBytes < 0: " + minimumSourceBytes);
        }
        if (maximumSources < 2) {
            throw new IllegalArgumentException("maximumSources < 2: " + maximumSources);
        }
    }
}
