package dev.lifeboat.lifecycle;

import dev.lifeboat.spi.Uploader;

/**
 * An uploader created and checked before the child started (for uploaders whose check is local and
 * cheap), or none.
 */
public record PrecheckedUploader(Uploader uploader) {
    public static PrecheckedUploader none() {
        return new PrecheckedUploader(null);
    }
}
