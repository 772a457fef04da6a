package dev.lifeboat.ship;

import dev.lifeboat.spi.ConcatenationLimits;
import java.util.List;

/**
 * Which of a file's pieces to fold into one while the child runs, so that the seal at the stop has few,
 * large pieces to join and joins them on the backend's side:
 * <ul>
 *   <li>pieces below the backend's smallest server-side source ({@code minimumSourceBytes}; S3: 5 MiB)
 *       at the end of the list, once together they reach it: the seal then copies them on the server as
 *       one part instead of reading them all back;</li>
 *   <li>the first {@code maximumSources} pieces (GCS: 32), once there are that many: the seal then takes
 *       one call.</li>
 * </ul>
 * Each byte is thus folded a bounded number of times: once on S3 (small pieces into one of at least 5 MiB,
 * which is not folded again), and on GCS once per 31 pieces that follow it.
 */
final class Folding {
    private Folding() {}

    /** Which pieces: {@code [from, to)} of the list. */
    record Range(int from, int to) {}

    /** The pieces to fold now, or null when the list is fine as it is. */
    static Range next(List<Tracker.Piece> pieces, ConcatenationLimits limits) {
        int n = pieces.size();
        if (n < 2) {
            return null;
        }
        long minimum = limits.minimumSourceBytes();
        if (minimum > 0) {
            int from = n;
            long small = 0;
            while (from > 0 && pieces.get(from - 1).size() < minimum) {
                small += pieces.get(--from).size();
            }
            if (n - from >= 2 && small >= minimum) {
                return new Range(from, n);
            }
        }
        if (n >= limits.maximumSources()) {
            return new Range(0, limits.maximumSources());
        }
        return null;
    }
}
