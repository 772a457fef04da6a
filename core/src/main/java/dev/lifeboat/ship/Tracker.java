package dev.lifeboat.ship;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lifeboat.process.SpoolFile;
import dev.lifeboat.spi.Checksums;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What has been shipped of every file and of the captured output, round after round. Files are followed
 * by identity (device and inode), not by name, as a log shipper's registry does:
 * <ul>
 *   <li>a file renamed away (rotation: {@code app.log} becomes {@code app.log.1}) keeps its key and its
 *       remainder is shipped under it, even once no glob matches it any more (the tracker keeps it open);
 *       the new file at the old path is a new file and gets a key of its own;</li>
 *   <li>a file that shrank (truncated in place, {@code copytruncate}) keeps what was shipped under its key,
 *       and its new content starts a new generation under a key of its own;</li>
 *   <li>the second and later files at one path get the path's key with {@code @2}, {@code @3}, ...</li>
 * </ul>
 * Each round's new bytes of a file are copied, through a bounded buffer, into a piece file in the spool
 * and hashed on the way; the pipeline ships the piece, and only a shipped piece advances the file.
 */
public final class Tracker {
    private static final int BUFFER = 1 << 20;
    private static final String PIECES = "pieces/";
    /** Rounds a file no glob matches any more is kept open without growing before it is let go. */
    static final int QUIET_ROUNDS_BEFORE_CLOSE = 5;

    /**
     * A piece of a file that reached the destination: the bytes {@code [offset, offset + size)} of it.
     *
     * @param sha256 of its bytes; null for a folded piece, whose {@code joined} pieces have theirs
     * @param joined for a piece folded on the backend from earlier pieces while the child ran: those
     *     pieces (which are gone), in order, each with its SHA-256; null otherwise
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Piece(String key, long offset, long size, String sha256, List<Piece> joined) {
        public Piece(String key, long offset, long size, String sha256) {
            this(key, offset, size, sha256, null);
        }

        /** The pieces shipped by rounds that this one holds: itself, or those it was folded from. */
        public List<Piece> shippedPieces() {
            return joined == null ? List.of(this) : joined;
        }

        /** A piece folded from {@code pieces}, consecutive bytes of one file, stored at {@code key}. */
        static Piece folded(String key, List<Piece> pieces) {
            List<Piece> joined = new ArrayList<>();
            long size = 0;
            for (Piece p : pieces) {
                joined.addAll(p.shippedPieces());
                size += p.size();
            }
            return new Piece(key, pieces.get(0).offset(), size, null, List.copyOf(joined));
        }
    }

    /** Captured output: the run's {@code stdout.log} or {@code stderr.log}. */
    public record Capture(String key, String origin, SpoolFile spool) {}

    /** One followed file (one generation of it), or one captured stream: one key at the destination. */
    public static final class Followed {
        final String key;
        final String origin;
        final Object identity;
        final Capture capture;
        FileChannel channel;
        Path path;
        long shipped;
        long dropped;
        final List<Piece> pieces = new ArrayList<>();
        int piecesShipped;
        MessageDigest sha256 = newSha256();
        long crc32c;
        final List<String> notes = new ArrayList<>();
        boolean ended;
        boolean sealed;
        boolean movedAway;
        int quietRounds;
        /** The SHA-256 of a file taken up after a hard kill that nothing more can be added to. */
        String knownSha256;

        Followed(String key, String origin, Object identity, Capture capture, FileChannel channel, Path path) {
            this.key = key;
            this.origin = origin;
            this.identity = identity;
            this.capture = capture;
            this.channel = channel;
            this.path = path;
        }

        public String key() {
            return key;
        }

        public String origin() {
            return origin;
        }

        public long shipped() {
            return shipped;
        }

        public List<Piece> pieces() {
            return List.copyOf(pieces);
        }

        /** How many pieces rounds shipped of it, the stop's included, whatever was folded or read again since. */
        public int shippedPieces() {
            return piecesShipped;
        }

        public List<String> notes() {
            return List.copyOf(notes);
        }

        /** Where the file was last seen; a capture's spool file. */
        String pathText() {
            Path p = capture != null ? capture.spool().path() : path;
            return p == null ? null : p.toString();
        }

        /** The file's identity as the JDK names it, e.g. {@code (dev=803,ino=1234)}; null for a capture. */
        String identityText() {
            return identity == null || identity instanceof Path ? null : identity.toString();
        }

        public boolean sealed() {
            return sealed;
        }

        /** SHA-256 (hex) of the bytes shipped so far. */
        public String sha256() {
            return knownSha256 != null ? knownSha256 : HexFormat.of().formatHex(copyOf(sha256).digest());
        }

        /** CRC32C (base64, big-endian) of the bytes shipped so far. */
        public String crc32c() {
            return Checksums.crc(crc32c);
        }

        /** Bytes of a capture dropped before they could be shipped (the output limit). */
        public long dropped() {
            return dropped;
        }

        boolean isCapture() {
            return capture != null;
        }

        void close() {
            ended = true;
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // reading is over
                }
                channel = null;
            }
        }
    }

    /**
     * New bytes of one followed file, staged in the spool.
     *
     * @param followed what they belong to
     * @param item what the pipeline ships: the staged piece, or the file itself for a direct upload
     * @param offset where the bytes start in the followed file
     * @param direct true when the bytes are the whole file and go straight to its key, as no piece was
     *     shipped before (the last round of a file seen for the first time)
     * @param sha256After the file's running SHA-256 once these bytes are added (its CRC32C is combined
     *     from the one the pipeline computes of the piece)
     */
    public record Pending(Followed followed, ShipItem item, long offset, boolean direct, MessageDigest sha256After,
            Restaged restaged) {
        Pending(Followed followed, ShipItem item, long offset, boolean direct, MessageDigest sha256After) {
            this(followed, item, offset, direct, sha256After, null);
        }
    }

    /**
     * What a piece of the stop's round holds besides the new bytes: the file's last pieces, read again from
     * the file (and checked against their SHA-256), so that the seal can join the file without reading them
     * back from the destination.
     *
     * @param pieces the pieces it replaces once shipped
     * @param newBytesCrc32c the CRC32C of the bytes that are new, to extend the file's
     */
    public record Restaged(List<Piece> pieces, long newBytesCrc32c) {}

    private final Path staging;
    private final Map<String, Followed> byKey = new LinkedHashMap<>();
    private final Map<Object, Followed> byIdentity = new HashMap<>();
    private final Map<String, Integer> generations = new HashMap<>();
    private final Set<String> leftOvers = new java.util.LinkedHashSet<>();
    private long staged;

    /** @param staging a spool folder for piece files */
    public Tracker(Path staging) {
        this.staging = staging;
    }

    public synchronized void follow(Capture capture) {
        byKey.put(capture.key(), new Followed(capture.key(), capture.origin(), null, capture, null, null));
    }

    /** Everything followed, in the order first seen (captures first). */
    public synchronized List<Followed> followed() {
        return new ArrayList<>(byKey.values());
    }

    /**
     * Looks at what the collector matched and at every file still followed, and stages what is new.
     *
     * @param last the stop's round: a file with no piece shipped yet goes straight to its key, whole
     */
    public synchronized List<Pending> scan(List<ShipItem> matched, boolean last) throws IOException {
        return scan(matched, last, 0);
    }

    /**
     * As {@link #scan(List, boolean)}; in the stop's round, a file whose last pieces are each below
     * {@code restageBelow} bytes (the uploader's smallest source joined on the server) has them read again
     * from the file into the piece with its new bytes, as one piece the seal can join as its last.
     */
    public synchronized List<Pending> scan(List<ShipItem> matched, boolean last, long restageBelow) throws IOException {
        Files.createDirectories(staging);
        Set<Followed> seen = new HashSet<>();
        List<Pending> pending = new ArrayList<>();
        for (ShipItem item : matched) {
            Followed f = match(item.source());
            if (f != null) {
                seen.add(f);
            }
        }
        for (Followed f : new ArrayList<>(byKey.values())) {
            if (f.ended) {
                continue;
            }
            Pending p = f.isCapture() ? stageCapture(f, last) : stageFile(f, last, seen.contains(f), restageBelow);
            if (p != null) {
                pending.add(p);
            }
        }
        return pending;
    }

    /** The followed file at {@code path} (opening it if it is new to the tracker), or null if it cannot be read. */
    private Followed match(Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
        Object identity = attrs.fileKey() != null ? attrs.fileKey() : path;
        Followed f = byIdentity.get(identity);
        if (f != null && !f.ended) {
            if (!path.equals(f.path)) {
                f.notes.add("renamed from " + f.path + " to " + path);
                f.path = path;
            }
            if (attrs.size() < f.shipped) {
                f.notes.add("truncated in place at " + f.shipped + " bytes shipped; its new content is a new generation");
                f.close();
                byIdentity.remove(identity);
                return open(path, identity);
            }
            return f;
        }
        if (f != null) {
            // ended (truncated before and fully shipped): a later generation is looked up afresh
            byIdentity.remove(identity);
        }
        return open(path, identity);
    }

    private Followed open(Path path, Object identity) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            return null;
        }
        String base = Collector.keyFor(path);
        int generation = generations.merge(base, 1, Integer::sum);
        String key = generation == 1 ? base : base + "@" + generation;
        Followed f = new Followed(key, path.toString(), identity, null, channel, path);
        if (generation > 1) {
            f.notes.add("the " + ordinal(generation) + " file seen at " + path);
        }
        byKey.put(key, f);
        byIdentity.put(identity, f);
        return f;
    }

    private Pending stageFile(Followed f, boolean last, boolean matched, long restageBelow) throws IOException {
        long size;
        try {
            size = f.channel.size();
        } catch (IOException e) {
            f.notes.add("could no longer be read: " + e.getMessage());
            f.close();
            return null;
        }
        if (!matched && !f.movedAway && !isStill(f)) {
            f.movedAway = true;
            f.notes.add("moved away from " + f.path + " (renamed or deleted) after " + f.shipped
                    + " bytes were shipped; what it held then is shipped under this key");
        }
        boolean direct = last && f.pieces.isEmpty() && f.shipped == 0 && !f.sealed && matched && isStill(f);
        if (direct) {
            // as without continuous shipping: the file itself, up to the size measured now (empty ones too)
            return new Pending(f, new ShipItem(f.path, f.key, f.origin, size), 0, true, null);
        }
        if (size <= f.shipped && last && restageBelow > 0 && trailingBelow(f, restageBelow) >= 2) {
            // nothing new, but small pieces at the end that the seal would have to read back
            Pending restaged = restage(f, f.shipped, restageBelow, nextStagingFile());
            if (restaged != null) {
                return restaged;
            }
        }
        if (size <= f.shipped) {
            // renamed out of every glob or deleted, and shipped to its end: once it has stayed so for a
            // few rounds (an application writes on to a renamed file until it reopens its log) it is let go
            if (!matched && ++f.quietRounds >= QUIET_ROUNDS_BEFORE_CLOSE) {
                f.close();
            }
            return null;
        }
        f.quietRounds = 0;
        Path piece = nextStagingFile();
        if (last && restageBelow > 0) {
            Pending restaged = restage(f, size, restageBelow, piece);
            if (restaged != null) {
                return restaged;
            }
        }
        MessageDigest sha = copyOf(f.sha256);
        long copied = copy(f.channel, f.shipped, size - f.shipped, piece, sha);
        return new Pending(f, new ShipItem(piece, pieceKey(f.key, f.shipped), f.origin, copied), f.shipped, false, sha);
    }

    /** How many of the file's last pieces, as rounds shipped them (not folded), are each below {@code below} bytes. */
    private static int trailingBelow(Followed f, long below) {
        int n = 0;
        for (int i = f.pieces.size() - 1; i >= 0 && f.pieces.get(i).sha256() != null && f.pieces.get(i).size() < below; i--) {
            n++;
        }
        return n;
    }

    /**
     * Stages the file's trailing pieces below {@code below} bytes again, read from the file, with its new
     * bytes: null when there are none, or when the file no longer holds what they hold.
     */
    private Pending restage(Followed f, long size, long below, Path piece) throws IOException {
        int from = f.pieces.size() - trailingBelow(f, below);
        if (from == f.pieces.size()) {
            return null;
        }
        List<Piece> replaced = List.copyOf(f.pieces.subList(from, f.pieces.size()));
        long start = replaced.get(0).offset();
        try (FileChannel out = FileChannel.open(piece, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            for (Piece p : replaced) {
                MessageDigest again = newSha256();
                if (copy(f.channel, p.offset(), p.size(), out, again, null) != p.size()
                        || !HexFormat.of().formatHex(again.digest()).equals(p.sha256())) {
                    return null;
                }
            }
            MessageDigest sha = copyOf(f.sha256);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            long copied = copy(f.channel, f.shipped, size - f.shipped, out, sha, crc);
            long end = f.shipped + copied;
            return new Pending(f, new ShipItem(piece, foldedKey(f.key, start, end), f.origin, end - start), start, false,
                    sha, new Restaged(replaced, crc.getValue()));
        }
    }

    private Pending stageCapture(Followed f, boolean last) throws IOException {
        SpoolFile spool = f.capture.spool();
        long total = spool.total();
        if (last && f.pieces.isEmpty() && f.shipped == 0) {
            Path snapshot = spool.path().resolveSibling(f.key);
            long size = spool.snapshot(snapshot);
            f.dropped = spool.dropped();
            return new Pending(f, new ShipItem(snapshot, f.key, f.origin, size), 0, true, null);
        }
        if (total <= f.shipped + f.dropped) {
            return null;
        }
        Path piece = nextStagingFile();
        long start = spool.copyFrom(f.shipped + f.dropped, piece);
        long lost = start - (f.shipped + f.dropped);
        if (lost > 0) {
            f.dropped += lost;
            f.notes.add(lost + " bytes exceeded --output-limit before they could be shipped");
        }
        MessageDigest sha = copyOf(f.sha256);
        long size = Files.size(piece);
        try (FileChannel in = FileChannel.open(piece, StandardOpenOption.READ)) {
            copy(in, 0, size, null, sha);
        }
        return new Pending(f, new ShipItem(piece, pieceKey(f.key, f.shipped), f.origin, size), f.shipped, false, sha);
    }

    /**
     * Takes up a file of a run whose Lifeboat was killed, from its progress record: its pieces stay its
     * own. If the file is still where it was (the same identity, and the bytes shipped of it hash as
     * recorded), what it got since is shipped in the next round; otherwise it ends with what was shipped.
     *
     * @param identityMayDiffer for a capture's spool file, whose identity is not recorded
     */
    public synchronized void restore(Progress.Entry e, boolean identityMayDiffer) throws IOException {
        Path path = e.path() == null ? null : Path.of(e.path());
        Object identity = null;
        FileChannel channel = null;
        if (path != null) {
            try {
                BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
                boolean same = identityMayDiffer
                        || (attrs.fileKey() != null && attrs.fileKey().toString().equals(e.identity()));
                if (same && attrs.size() >= e.size()) {
                    identity = attrs.fileKey() != null ? attrs.fileKey() : path;
                    channel = FileChannel.open(path, StandardOpenOption.READ);
                }
            } catch (IOException gone) {
                // ends with what was shipped
            }
        }
        Followed f = new Followed(e.key(), e.origin(), identity, null, channel, path);
        f.pieces.addAll(e.pieces());
        f.piecesShipped = e.pieces().stream().mapToInt(p -> p.shippedPieces().size()).sum();
        f.shipped = e.size();
        f.crc32c = Checksums.crcValue(e.crc32c());
        if (e.notes() != null) {
            f.notes.addAll(e.notes());
        }
        if (channel != null) {
            MessageDigest sha = newSha256();
            copy(channel, 0, e.size(), null, sha);
            if (HexFormat.of().formatHex(copyOf(sha).digest()).equals(e.sha256())) {
                f.sha256 = sha;
            } else {
                f.notes.add("changed in its shipped part after the hard kill: only what was shipped before is kept");
                f.close();
                f.ended = true;
            }
        } else {
            f.ended = true;
        }
        if (f.ended) {
            f.knownSha256 = e.sha256();
        }
        byKey.put(f.key, f);
        if (identity != null && !f.ended) {
            byIdentity.put(identity, f);
        }
        generations.merge(e.key().replaceFirst("@[0-9]+$", ""), 1, Integer::sum);
    }

    /** Takes up a file none of whose bytes were shipped (a killed run's captured output): all of it is new. */
    public synchronized void restoreUnshipped(String key, String origin, Path path) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            return;
        }
        Followed f = new Followed(key, origin, path, null, channel, path);
        byKey.put(key, f);
    }

    /**
     * Records that {@code p} reached the destination with {@code sha256} (hex) and {@code crc32c} (base64):
     * the pipeline's hashes of what it sent.
     */
    public synchronized void shipped(Pending p, String sha256, String crc32c) {
        Followed f = p.followed();
        if (p.direct()) {
            f.shipped = p.item().size();
            f.sealed = true;
            f.close();
            return;
        }
        long newBytes = p.offset() + p.item().size() - f.shipped;
        long newCrc = Checksums.crcValue(crc32c);
        if (p.restaged() != null) {
            f.pieces.removeAll(p.restaged().pieces());
            p.restaged().pieces().forEach(r -> leftOvers.add(r.key()));
            newCrc = p.restaged().newBytesCrc32c();
        }
        f.pieces.add(new Piece(p.item().key(), p.offset(), p.item().size(), sha256));
        f.piecesShipped++;
        f.shipped = p.offset() + p.item().size();
        f.sha256 = p.sha256After();
        f.crc32c = Crc32c.combine(f.crc32c, newCrc, newBytes);
    }

    /**
     * Records that {@code f}'s pieces {@code [from, to)} were folded on the backend into one piece at
     * {@code key}; they are then listed as that piece. Unless they are still the same pieces (a seal or a
     * stop came between), nothing changes and false is returned.
     */
    public synchronized boolean folded(Followed f, List<Piece> sources, String key) {
        int from = f.pieces.indexOf(sources.get(0));
        if (f.sealed || from < 0 || from + sources.size() > f.pieces.size()
                || !f.pieces.subList(from, from + sources.size()).equals(sources)) {
            return false;
        }
        f.pieces.subList(from, from + sources.size()).clear();
        f.pieces.add(from, Piece.folded(key, sources));
        return true;
    }

    /** Marks {@code f} as joined into one object at its key: nothing more is shipped for it. */
    public synchronized void sealed(Followed f) {
        f.sealed = true;
        f.close();
    }

    /**
     * Notes an object at the destination that nothing lists and that is to be removed at the end: a piece a
     * fold or a seal could not remove, or the piece of a fold cut short (which may or may not exist).
     */
    public synchronized void leftOver(String key) {
        leftOvers.add(key);
    }

    /** What {@link #leftOver} noted, less anything listed again since. */
    public synchronized List<String> leftOvers() {
        List<String> listed = new ArrayList<>();
        for (Followed f : byKey.values()) {
            if (!f.sealed) {
                f.pieces.forEach(p -> listed.add(p.key()));
            }
        }
        return leftOvers.stream().filter(k -> !listed.contains(k)).toList();
    }

    /** Removes the staged piece files of a round. */
    public void discardStaged(List<Pending> pending) {
        for (Pending p : pending) {
            if (!p.direct()) {
                try {
                    Files.deleteIfExists(p.item().source());
                } catch (IOException e) {
                    // the staging folder is the run's; it goes with the spool
                }
            }
        }
    }

    public Path stagingDirectory() {
        return staging;
    }

    /** Whether the file is still at its path (the same identity): a direct upload reads it by path. */
    private static boolean isStill(Followed f) {
        try {
            Object now = Files.readAttributes(f.path, BasicFileAttributes.class).fileKey();
            return now != null && now.equals(f.identity);
        } catch (IOException e) {
            return false;
        }
    }

    private Path nextStagingFile() {
        return staging.resolve("piece-" + (++staged));
    }

    /** {@code pieces/<key>/<offset, 20 digits>}: a file's pieces sort by offset. */
    static String pieceKey(String key, long offset) {
        return PIECES + key + "/" + String.format("%020d", offset);
    }

    /** {@code pieces/<key>/<offset>-<end>}, 20 digits each: a piece folded from the pieces of those bytes. */
    static String foldedKey(String key, long offset, long end) {
        return pieceKey(key, offset) + "-" + String.format("%020d", end);
    }

    /** Copies {@code count} bytes from {@code from} to {@code target} (none: only hashes them), hashing them. */
    private static long copy(FileChannel in, long from, long count, Path target, MessageDigest sha)
            throws IOException {
        try (FileChannel out = target == null ? null : FileChannel.open(target, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            return copy(in, from, count, out, sha, null);
        }
    }

    /** Appends {@code count} bytes from {@code from} to {@code out} (null: only hashes them), hashing them. */
    private static long copy(FileChannel in, long from, long count, FileChannel out, MessageDigest sha,
            java.util.zip.Checksum crc) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(BUFFER, Math.max(1, count)));
        long done = 0;
        while (done < count) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
            int n = in.read(buffer, from + done);
            if (n <= 0) {
                break;
            }
            buffer.flip();
            sha.update(buffer.duplicate());
            if (crc != null) {
                crc.update(buffer.duplicate());
            }
            while (out != null && buffer.hasRemaining()) {
                out.write(buffer);
            }
            done += n;
        }
        return done;
    }

    private static String ordinal(int n) {
        return n + (n % 10 == 2 && n % 100 != 12 ? "nd" : n % 10 == 3 && n % 100 != 13 ? "rd" : "th");
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static MessageDigest copyOf(MessageDigest digest) {
        try {
            return (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 cannot be cloned", e);
        }
    }
}
