package dev.lifeboat.ship;

/**
 * Something that was not shipped, and why: named in the manifest and the log.
 *
 * @param path the local path or glob
 * @param key the key it would have had, or null
 * @param reason a stable code
 * @param detail a human-readable explanation
 */
public record Skipped(String path, String key, Reason reason, String detail) {
    public enum Reason {
        /** A glob matched nothing. */
        NO_MATCH,
        /** The file disappeared between collection and shipping. */
        VANISHED,
        /** The file or a directory on its way cannot be read. */
        UNREADABLE,
        /** A directory, socket, device or pipe. */
        NOT_REGULAR_FILE,
        /** A symbolic link that leads outside the glob's base directory. */
        SYMLINK_OUTSIDE_BASE,
        /** The file changed while it was read (it shrank). */
        READ_FAILED,
        /** Every attempt failed. */
        UPLOAD_FAILED,
        /** The deadline came first (not started, or cancelled while in flight). */
        DEADLINE,
        /** No uploader could be created. */
        UPLOADER_UNAVAILABLE
    }
}
