package dev.lifeboat.ship;

import dev.lifeboat.spi.Uploader;
import java.io.IOException;

/** Where the shipper gets its uploader: the one made ready while the child ran, or a new one. */
@FunctionalInterface
public interface UploaderSource {
    /**
     * The uploader, waiting no later than {@code deadlineNanos}.
     *
     * @throws IOException with one line naming why the destination cannot be used
     */
    Uploader await(long deadlineNanos) throws IOException, InterruptedException;
}
