package dev.lifeboat.uploader.s3;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * How the sources of a concatenation become the parts of one multipart upload within S3's rules: every part
 * but the last at least 5 MiB, no part above 5 GiB, at most 10,000 parts.
 *
 * <p>Every part is at least the <em>target</em> {@link #partMinimum} but the last: 5 MiB, or more for a target
 * above about 48 GiB so that 10,000 parts suffice. A source at least that large becomes one part copied on
 * the server ({@code UploadPartCopy}; one above 5 GiB becomes several ranged copies). Smaller sources are
 * gathered, in order, into one part that is read back and uploaded ({@code UploadPart}) once it reaches the
 * minimum; a large source that follows a gathering still below the minimum gives it just the bytes it lacks
 * (a ranged read) and the rest of it is copied, unless that rest would itself be too small, when the whole
 * source is read back with the gathering. So every part read back is below twice the minimum, and the bytes
 * through Lifeboat are those of the small sources and at most one minimum per large one. A small source
 * alone at the end, after other parts, is the last part and is copied as it is.
 */
final class SealPlan {
    /** The bytes {@code [offset, offset + length)} of source number {@code source}. */
    record Segment(int source, long offset, long length) {}

    /**
     * One part: a server-side copy of one segment, or segments read back and uploaded together.
     *
     * @param copy true for a copy; it then has exactly one segment
     */
    record Part(boolean copy, List<Segment> segments, long length) {}

    /** S3's largest object. */
    static final long MAX_OBJECT_SIZE = 5L * 1024 * 1024 * 1024 * 1024;

    private final long minimum;
    private final long maximum;
    private final List<Part> parts = new ArrayList<>();
    private final List<Segment> gathered = new ArrayList<>();
    private long gatheredLength;

    private SealPlan(long minimum, long maximum) {
        this.minimum = minimum;
        this.maximum = maximum;
    }

    /** The smallest part but the last for a target of {@code total} bytes. */
    static long partMinimum(long total) {
        long spread = (total + S3Config.MAX_PARTS - 2) / (S3Config.MAX_PARTS - 1);
        long rounded = (spread + S3Config.MIB - 1) / S3Config.MIB * S3Config.MIB;
        return Math.max(S3Config.MIN_PART_SIZE, rounded);
    }

    /**
     * The parts for sources of these sizes, in order; sources of no bytes take no part. No parts at all when
     * every source is empty.
     *
     * @throws IOException when the sum exceeds S3's largest object
     */
    static List<Part> plan(long[] sizes) throws IOException {
        long total = 0;
        for (long size : sizes) {
            total += size;
        }
        if (total > MAX_OBJECT_SIZE) {
            throw new IOException("the pieces hold " + total + " bytes, more than S3's largest object ("
                    + MAX_OBJECT_SIZE + " bytes)");
        }
        SealPlan plan = new SealPlan(partMinimum(total), S3Config.MAX_PART_SIZE);
        for (int i = 0; i < sizes.length; i++) {
            plan.add(i, sizes[i]);
        }
        plan.finish(sizes);
        return plan.parts;
    }

    /**
     * The last part may be of any size, so a lone whole source left at the end (the tail that the last round
     * shipped, typically) is copied on the server too rather than read back; several are read back as one.
     */
    private void finish(long[] sizes) {
        if (gathered.size() == 1 && !parts.isEmpty()) {
            Segment last = gathered.get(0);
            if (last.offset() == 0 && last.length() == sizes[last.source()]) {
                gathered.clear();
                gatheredLength = 0;
                parts.add(new Part(true, List.of(last), last.length()));
                return;
            }
        }
        emitGathered();
    }

    private void add(int source, long size) {
        if (size == 0) {
            return;
        }
        if (size < minimum) {
            gather(new Segment(source, 0, size));
            if (gatheredLength >= minimum) {
                emitGathered();
            }
            return;
        }
        long offset = 0;
        if (gatheredLength > 0) {
            long lacking = minimum - gatheredLength;
            if (size - lacking < minimum) {
                gather(new Segment(source, 0, size));
                emitGathered();
                return;
            }
            gather(new Segment(source, 0, lacking));
            emitGathered();
            offset = lacking;
        }
        copy(source, offset, size - offset);
    }

    /** One copy, or near-equal ranged copies of at most the largest part (each above half of it). */
    private void copy(int source, long offset, long length) {
        long count = (length + maximum - 1) / maximum;
        long base = length / count;
        long extra = length % count;
        for (long i = 0; i < count; i++) {
            long part = base + (i < extra ? 1 : 0);
            parts.add(new Part(true, List.of(new Segment(source, offset, part)), part));
            offset += part;
        }
    }

    private void gather(Segment segment) {
        gathered.add(segment);
        gatheredLength += segment.length();
    }

    private void emitGathered() {
        if (!gathered.isEmpty()) {
            parts.add(new Part(false, List.copyOf(gathered), gatheredLength));
            gathered.clear();
            gatheredLength = 0;
        }
    }
}
