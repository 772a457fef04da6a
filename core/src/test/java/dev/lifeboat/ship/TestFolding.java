package dev.lifeboat.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.lifeboat.spi.ConcatenationLimits;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which pieces are folded while the child runs, under an S3-like, a GCS-like and a file system's limits. */
class TestFolding {
    private static final long MIB = 1L << 20;
    private static final ConcatenationLimits S3 = new ConcatenationLimits(5 * MIB, 10_000);
    private static final ConcatenationLimits GCS = new ConcatenationLimits(0, 32);

    private static List<Tracker.Piece> pieces(long... sizes) {
        List<Tracker.Piece> pieces = new ArrayList<>();
        long offset = 0;
        for (long size : sizes) {
            pieces.add(new Tracker.Piece("pieces/a.log/" + offset, offset, size, "x"));
            offset += size;
        }
        return pieces;
    }

    @Test
    void smallPiecesAtTheEndAreFoldedOnceTheyReachTheMinimum() {
        assertNull(Folding.next(pieces(2 * MIB, 2 * MIB), S3), "4 MiB: not yet");
        assertEquals(new Folding.Range(0, 3), Folding.next(pieces(2 * MIB, 2 * MIB, 1 * MIB), S3));
        assertEquals(new Folding.Range(1, 3), Folding.next(pieces(6 * MIB, 3 * MIB, 3 * MIB), S3),
                "a large piece stays as it is");
        assertNull(Folding.next(pieces(6 * MIB, 3 * MIB, 7 * MIB), S3), "small pieces between large ones stay");
        assertNull(Folding.next(pieces(6 * MIB, 5 * MIB), S3), "nothing small");
        assertNull(Folding.next(pieces(9 * MIB), S3), "one piece");
    }

    @Test
    void asManyPiecesAsOneCallJoinsAreFoldedIntoOne() {
        long[] sizes = new long[31];
        java.util.Arrays.fill(sizes, 100);
        assertNull(Folding.next(pieces(sizes), GCS), "31 pieces: the seal joins them and a tail in one call");
        sizes = java.util.Arrays.copyOf(sizes, 32);
        sizes[31] = 100;
        assertEquals(new Folding.Range(0, 32), Folding.next(pieces(sizes), GCS));
        sizes = java.util.Arrays.copyOf(sizes, 40);
        java.util.Arrays.fill(sizes, 32, 40, 100);
        assertEquals(new Folding.Range(0, 32), Folding.next(pieces(sizes), GCS), "more than one call joins: the first");
    }

    @Test
    void aFileSystemsConcatenationNeedsNoFolding() {
        long[] sizes = new long[1000];
        java.util.Arrays.fill(sizes, 10);
        assertNull(Folding.next(pieces(sizes), ConcatenationLimits.NONE));
    }

    @Test
    void aFoldedPieceListsThePiecesRoundsShippedInOrder() {
        List<Tracker.Piece> first = pieces(10, 20, 30);
        Tracker.Piece folded = Tracker.Piece.folded("pieces/a.log/0-60", first.subList(0, 2));
        assertEquals(0, folded.offset());
        assertEquals(30, folded.size());
        assertNull(folded.sha256());
        Tracker.Piece again = Tracker.Piece.folded("pieces/a.log/0-60x", List.of(folded, first.get(2)));
        assertEquals(60, again.size());
        assertEquals(first, again.shippedPieces(), "flat: the pieces rounds shipped, not the folds between");
    }
}
