package dev.lifeboat.config;

import java.util.Collection;

/** The known name closest to a mistyped one, for "did you mean" in configuration errors. */
final class Suggestions {
    private Suggestions() {}

    /** The name in {@code known} with the fewest edits from {@code name} (ignoring case), or null if none. */
    static String closest(String name, Collection<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(name, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best;
    }

    /**
     * Whether {@code name} is a likely typo of {@code known}: the same once case, '_', '-' and '.' are
     * ignored, or at most two edits apart (one for names of four characters or fewer).
     */
    static boolean isTypo(String name, String known) {
        if (known == null) {
            return false;
        }
        if (squash(name).equals(squash(known))) {
            return true;
        }
        return distance(name, known) <= (Math.min(name.length(), known.length()) <= 4 ? 1 : 2);
    }

    private static String squash(String s) {
        return s.replaceAll("[-_.]", "").toLowerCase(java.util.Locale.ROOT);
    }

    /** Levenshtein distance, ignoring case. */
    static int distance(String a, String b) {
        String x = a.toLowerCase(java.util.Locale.ROOT);
        String y = b.toLowerCase(java.util.Locale.ROOT);
        int[] prev = new int[y.length() + 1];
        int[] cur = new int[y.length() + 1];
        for (int j = 0; j <= y.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= x.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= y.length(); j++) {
                int cost = x.charAt(i - 1) == y.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[y.length()];
    }
}
