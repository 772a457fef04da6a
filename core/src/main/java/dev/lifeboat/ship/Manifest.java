package dev.lifeboat.ship;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.lifeboat.base.RunInfo;
import dev.lifeboat.base.Version;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * {@code manifest.json}: written last, so that a reader who sees it knows the run's shipping is over.
 * It names the run, what stopped it, the child's exit, every shipped file with its size and SHA-256 of
 * the original bytes, and everything that was not shipped, with the reason. Built in one place,
 * {@link #of}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"manifestVersion", "lifeboatVersion", "runId", "location", "hostname", "command", "startedAt",
    "stopRequestedAt", "childExitedAt", "finishedAt", "stop", "child", "gracePeriodMs", "environment", "allShipped", "allSealed",
    "files", "unsealed", "notShipped"})
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
        List<String> environment,
        boolean allShipped,
        boolean allSealed,
        List<Shipped> files,
        List<Unsealed> unsealed,
        List<Skipped> notShipped) {

    public static final int VERSION = 1;

    /**
     * The manifest of a run.
     *
     * @param location the run's folder at the destination
     * @param ending what started the shipping and how the child ended
     * @param report what was shipped and what was not
     * @param unsealed files shipped in pieces that were not joined into one object
     */
    public static Manifest of(RunInfo run, String location, Ending ending, Duration gracePeriod,
            ShippingPipeline.Report report, List<Unsealed> unsealed, Instant finishedAt) {
        boolean allShipped = report.notShipped().stream().allMatch(s -> s.reason() == Skipped.Reason.NO_MATCH);
        return new Manifest(VERSION, Version.get(), run.runId(), location, run.hostname(), run.command(),
                run.started().toString(), text(ending.stopRequestedAt()), text(ending.childExitedAt()),
                finishedAt.toString(), ending.stop(), ending.child(), gracePeriod.toMillis(),
                run.environment().isEmpty() ? null : run.environment(), allShipped,
                unsealed.isEmpty(), report.shipped(), unsealed.isEmpty() ? null : List.copyOf(unsealed),
                report.notShipped());
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    /**
     * How the run ended, as the manifest records it.
     *
     * @param stop what started the shipping
     * @param child the child's end; null for {@code lifeboat upload}
     * @param stopRequestedAt when the stop signal arrived, or null
     * @param childExitedAt when the child was seen gone, or null
     */
    public record Ending(Stop stop, Child child, Instant stopRequestedAt, Instant childExitedAt) {
        /** {@code lifeboat upload}: no child, no signal. */
        public static Ending uploadCommand() {
            return new Ending(new Stop("UPLOAD_COMMAND", null), null, null, null);
        }
    }

    /**
     * What started the shipping: {@code SIGNAL}, {@code CHILD_EXIT}, {@code CHILD_CRASH}, {@code UPLOAD_COMMAND},
     * {@code CHILD_START_FAILED} when the command could not be started (not found: Lifeboat exits 127; not
     * executable: 126), or {@code LIFEBOAT_KILLED} for a run that a later Lifeboat finished after a hard kill.
     *
     * @param signal the stop signal, or the signal that killed the child
     * @param lastRoundAt for {@code LIFEBOAT_KILLED}: when the killed Lifeboat's last round was
     * @param detail for {@code CHILD_START_FAILED} (the command could not be started): why
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Stop(String reason, String signal, String lastRoundAt, String detail) {
        public Stop(String reason, String signal) {
            this(reason, signal, null, null);
        }

        public Stop(String reason, String signal, String lastRoundAt) {
            this(reason, signal, lastRoundAt, null);
        }
    }

    /**
     * The child's end. {@code exitCode} when it exited, {@code signal} when a signal killed it;
     * {@code status} is Lifeboat's own exit status (the exit code, or 128+N).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Child(long pid, Integer exitCode, String signal, Integer status, boolean killedAfterTimeout) {}

    /**
     * One shipped file, whole under its key.
     *
     * @param pieces how many pieces, shipped while the child ran, were sealed into it; null if it was
     *     shipped in one go
     * @param notes what happened to the file while it was followed (renamed, truncated, ...), or null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"key", "origin", "size", "sha256", "crc32c", "checksum", "attempts", "location", "droppedBytes",
        "pieces", "notes"})
    public record Shipped(String key, String origin, long size, String sha256, String crc32c, Checksum checksum,
            int attempts, String location, Long droppedBytes, Integer pieces, List<String> notes) {}

    /**
     * A file whose bytes are at the destination in pieces, not joined into one object: the backend cannot
     * concatenate, or the budget ran out first. {@code lifeboat fetch} reassembles it.
     *
     * @param size the bytes shipped, the sum of the pieces'
     * @param sha256 of those bytes, in order
     * @param reason why it was not sealed
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"key", "origin", "size", "sha256", "reason", "pieces", "droppedBytes", "notes"})
    public record Unsealed(String key, String origin, long size, String sha256, String reason, List<Tracker.Piece> pieces,
            Long droppedBytes, List<String> notes) {}

    /** The checksum the backend reported, and whether it verified the bytes with it. */
    public record Checksum(String algorithm, String value, boolean verified) {}
}
