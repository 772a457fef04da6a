package dev.lifeboat.ship;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code progress.json}: what is durable at the destination after a round while the child runs, replaced
 * after every round that shipped something. For every file, its pieces in order with offsets, sizes and
 * SHA-256; {@code lifeboat fetch} reassembles a run from it when the run has no manifest (Lifeboat was
 * killed). A copy is kept in the spool.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"progressVersion", "runId", "round", "roundAt", "files"})
public record Progress(int progressVersion, String runId, long round, String roundAt, List<Entry> files) {
    public static final int VERSION = 1;

    /**
     * One file as far as it is shipped.
     *
     * @param size the bytes shipped, the sum of the pieces'
     * @param sha256 of those bytes
     * @param crc32c of those bytes
     * @param path where the file was last seen (a capture: its spool file)
     * @param identity the file's device and inode as the JDK names them, to find it again after a hard kill
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"key", "origin", "size", "sha256", "crc32c", "pieces", "droppedBytes", "notes", "path", "identity"})
    public record Entry(String key, String origin, long size, String sha256, String crc32c, List<Tracker.Piece> pieces,
            Long droppedBytes, List<String> notes, String path, String identity) {}

    static Progress of(String runId, long round, String roundAt, List<Tracker.Followed> followed) {
        List<Entry> entries = new ArrayList<>();
        for (Tracker.Followed f : followed) {
            if (!f.pieces().isEmpty()) {
                entries.add(new Entry(f.key(), f.origin(), f.shipped(), f.sha256(), f.crc32c(), f.pieces(),
                        f.dropped() > 0 ? f.dropped() : null, f.notes().isEmpty() ? null : f.notes(), f.pathText(),
                        f.identityText()));
            }
        }
        return new Progress(VERSION, runId, round, roundAt, entries);
    }
}
