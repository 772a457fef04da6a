package dev.lifeboat.spi;

import java.io.InterruptedIOException;

/** Thrown by an uploader that stopped because its {@link UploadControl} was cancelled or expired. */
public class UploadCancelledException extends InterruptedIOException {
    private static final long serialVersionUID = 1L;

    public UploadCancelledException(String message) {
        super(message);
    }

    public UploadCancelledException(String message, Throwable cause) {
        super(message);
        initCause(cause);
    }
}
