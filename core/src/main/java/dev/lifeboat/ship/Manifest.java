package dev.lifeboat.ship;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * {@code manifest.json}: written last, so that a reader who sees it knows the run's shipping is over.
 * It names the run, what stopped it, the child's exit, every shipped file with its size and SHA-256 of
 * the original bytes, and everything that was not shipped, with the reason.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"manifestVersion", "lifeboatVersion", "runId", "location", "hostname", "command", "startedAt",
    "stopRequestedAt", "childExitedAt", "finishedAt", "stop", "child", "gracePeriodMs", "allShipped", "files",
    "notShipped"})
public record Manifest(
        int manifestVersion,
        String lifeboatVersion,
        String runId,
        String location,
        String hostname,
        List<String> command,
        String startedAt,
        String stopRequestedAt,
        String childExitedAt,
        String finishedAt,
        Stop stop,
        Child child,
        long gracePeriodMs,
        boolean allShipped,
        List<Shipped> files,
        List<Skipped> notShipped) {

    public static final int VERSION = 1;

    /** What started the shipping: {@code SIGNAL}, {@code CHILD_EXIT}, {@code CHILD_CRASH} or {@code UPLOAD_COMMAND}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Stop(String reason, String signal) {}

    /**
     * The child's end. {@code exitCode} when it exited, {@code signal} when a signal killed it;
     * {@code status} is Lifeboat's own exit status (the exit code, or 128+N).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Child(long pid, Integer exitCode, String signal, Integer status, boolean killedAfterTimeout) {}

    /** One shipped file. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"key", "origin", "size", "sha256", "crc32c", "checksum", "attempts", "location", "droppedBytes"})
    public record Shipped(String key, String origin, long size, String sha256, String crc32c, Checksum checksum,
            int attempts, String location, Long droppedBytes) {}

    /** The checksum the backend reported, and whether it verified the bytes with it. */
    public record Checksum(String algorithm, String value, boolean verified) {}
}
