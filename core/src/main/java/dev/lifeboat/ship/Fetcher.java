package dev.lifeboat.ship;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifeboat.base.Log;
import dev.lifeboat.spi.InvalidKeyException;
import dev.lifeboat.spi.Keys;
import dev.lifeboat.spi.UploadControl;
import dev.lifeboat.spi.Uploader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Downloads one run, sealed or not, into a directory with the layout of a sealed run: every file whole
 * under its key, its pieces reassembled in order from the manifest (a finished run) or from
 * {@code progress.json} (a run whose Lifeboat was killed), every SHA-256 verified.
 */
public final class Fetcher {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    /** No grace period runs here: each object gets this long. */
    private static final Duration PER_OBJECT = Duration.ofMinutes(10);

    private final Uploader uploader;
    private final Log log;

    /** @param uploader an uploader whose destination is the run's folder */
    public Fetcher(Uploader uploader, Log log) {
        this.uploader = uploader;
        this.log = log;
    }

    /** What came down, and one line for each problem. */
    public record Result(List<String> fetched, List<String> problems) {}

    /** One file to fetch: whole under its key, or in pieces. */
    private record Wanted(String key, long size, String sha256, List<Tracker.Piece> pieces) {}

    public Result fetch(Path dir) throws IOException, InterruptedException {
        if (!uploader.supportsRead()) {
            throw new IOException("the uploader cannot read objects back");
        }
        List<Wanted> wanted = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Manifest manifest = read("manifest.json", Manifest.class);
        if (manifest != null) {
            for (Manifest.Shipped f : manifest.files()) {
                wanted.add(new Wanted(f.key(), f.size(), f.sha256(), null));
            }
            if (manifest.unsealed() != null) {
                for (Manifest.Unsealed u : manifest.unsealed()) {
                    wanted.add(new Wanted(u.key(), u.size(), u.sha256(), u.pieces()));
                    problems.add("unsealed: " + u.key() + " is in " + u.pieces().size() + " pieces (" + u.reason()
                            + "); reassembled");
                }
            }
        } else {
            Progress progress = read("progress.json", Progress.class);
            if (progress == null) {
                throw new NoSuchFileException("neither manifest.json nor progress.json is there");
            }
            problems.add("no manifest: the run did not finish; what its round " + progress.round() + " at "
                    + progress.roundAt() + " shipped is reassembled");
            for (Progress.Entry e : progress.files()) {
                wanted.add(new Wanted(e.key(), e.size(), e.sha256(), e.pieces()));
            }
        }
        List<String> fetched = new ArrayList<>();
        for (Wanted w : wanted) {
            try {
                Path target = targetIn(dir, w.key());
                String problem = w.pieces() == null ? fetchWhole(w, target) : reassemble(w, target);
                if (problem == null) {
                    fetched.add(w.key());
                } else {
                    problems.add(problem);
                }
            } catch (InvalidKeyException e) {
                problems.add("refused: " + e.getMessage());
            }
        }
        return new Result(fetched, problems);
    }

    private <T> T read(String key, Class<T> type) throws IOException, InterruptedException {
        try (InputStream in = uploader.open(key, UploadControl.withTimeout(PER_OBJECT))) {
            return JSON.readValue(in, type);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The file for {@code key} under {@code dir}: a key that is not a plain relative path is refused. */
    private static Path targetIn(Path dir, String key) throws InvalidKeyException {
        Keys.check(key);
        Path target;
        try {
            target = FileKeys.pathIn(dir, key).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new InvalidKeyException(key, e.getReason());
        }
        if (!target.startsWith(dir.toAbsolutePath().normalize())) {
            throw new InvalidKeyException(key, "leads outside " + dir);
        }
        return target;
    }

    private String fetchWhole(Wanted w, Path target) throws IOException, InterruptedException {
        Path part = partFile(target);
        MessageDigest sha = Tracker.newSha256();
        long size;
        try (InputStream in = uploader.open(w.key(), UploadControl.withTimeout(PER_OBJECT));
             OutputStream out = Files.newOutputStream(part)) {
            size = new DigestInputStream(in, sha).transferTo(out);
        } catch (NoSuchFileException e) {
            Files.deleteIfExists(part);
            return "missing: " + w.key() + " is listed but not there";
        }
        return finish(w, part, target, size, sha);
    }

    private String reassemble(Wanted w, Path target) throws IOException, InterruptedException {
        Path part = partFile(target);
        MessageDigest whole = Tracker.newSha256();
        long at = 0;
        try (OutputStream out = Files.newOutputStream(part)) {
            for (Tracker.Piece p : w.pieces()) {
                if (p.offset() != at) {
                    out.close();
                    Files.deleteIfExists(part);
                    return "missing: bytes " + at + " to " + p.offset() + " of " + w.key() + " are in no piece";
                }
                String problem;
                try (InputStream in = uploader.open(p.key(), UploadControl.withTimeout(PER_OBJECT))) {
                    problem = copyPiece(w, p, new DigestInputStream(in, whole), out);
                } catch (NoSuchFileException e) {
                    out.close();
                    Files.deleteIfExists(part);
                    // a seal that finished after Lifeboat gave up on it consumed the pieces: the whole file is there
                    if (fetchWhole(w, target) == null) {
                        return null;
                    }
                    return "missing piece: " + p.key() + " (bytes " + p.offset() + " to " + (p.offset() + p.size())
                            + " of " + w.key() + ")";
                }
                if (problem != null) {
                    out.close();
                    Files.deleteIfExists(part);
                    return problem;
                }
                at += p.size();
            }
        }
        return finish(w, part, target, at, whole);
    }

    /**
     * Copies one piece to {@code out}, checking the SHA-256 of each piece a round shipped: the piece itself,
     * or each of those it was folded from, in turn.
     *
     * @return the problem, or null if every byte is as listed
     */
    private static String copyPiece(Wanted w, Tracker.Piece piece, InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[1 << 16];
        for (Tracker.Piece shipped : piece.shippedPieces()) {
            MessageDigest sha = Tracker.newSha256();
            long n = 0;
            while (n < shipped.size()) {
                int r = in.read(buffer, 0, (int) Math.min(buffer.length, shipped.size() - n));
                if (r < 0) {
                    break;
                }
                sha.update(buffer, 0, r);
                out.write(buffer, 0, r);
                n += r;
            }
            String actual = HexFormat.of().formatHex(sha.digest());
            if (n != shipped.size() || !actual.equals(shipped.sha256())) {
                String what = shipped == piece ? "piece " + piece.key()
                        : "bytes " + shipped.offset() + " to " + (shipped.offset() + shipped.size()) + " of piece " + piece.key();
                return "checksum mismatch: " + what + " of " + w.key() + (shipped == piece ? " holds " : " hold ") + n
                        + " bytes with SHA-256 " + actual
                        + ", listed " + shipped.size() + " bytes with " + shipped.sha256();
            }
        }
        if (in.read() >= 0) {
            return "checksum mismatch: piece " + piece.key() + " of " + w.key() + " holds more than the " + piece.size()
                    + " bytes listed";
        }
        return null;
    }

    private String finish(Wanted w, Path part, Path target, long size, MessageDigest sha) throws IOException {
        String actual = HexFormat.of().formatHex(sha.digest());
        if (size != w.size() || !actual.equals(w.sha256())) {
            Files.deleteIfExists(part);
            return "checksum mismatch: " + w.key() + " holds " + size + " bytes with SHA-256 " + actual + ", listed "
                    + w.size() + " bytes with " + w.sha256();
        }
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        log.debug("fetched " + w.key() + " (" + size + " bytes, SHA-256 verified)");
        return null;
    }

    private static Path partFile(Path target) throws IOException {
        Files.createDirectories(target.getParent());
        return target.resolveSibling("." + target.getFileName() + ".lifeboat-fetch");
    }
}
