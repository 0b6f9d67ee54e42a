package dev.httpcap.app.cli;

import java.util.Locale;

/**
 * "Did you mean ...?": the one known name closest to what was typed, by edit distance (insertions,
 * deletions, substitutions and swaps of neighbours, in any case), when it is close enough to be a
 * typing slip — at most one edit for a word of up to four letters, two up to eight, three beyond.
 */
public final class Suggest
{
    private Suggest()
    {
    }

    /** @return the closest of {@code known}, or null when none is close enough or two are equally close. */
    public static String closest(final String typed, final Iterable<String> known)
    {
        final String word = typed.toLowerCase(Locale.ROOT);
        int dashes = 0;
        while (dashes < word.length() && word.charAt(dashes) == '-')
        {
            dashes++;
        }
        final int letters = word.length() - dashes;
        final int allowed = letters <= 4 ? 1 : letters <= 8 ? 2 : 3;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        boolean tie = false;
        for (final String candidate : known)
        {
            final int distance = distance(word, candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
                tie = false;
            }
            else if (distance == bestDistance && !candidate.equals(best))
            {
                tie = true;
            }
        }
        return best != null && bestDistance <= allowed && !tie ? best : null;
    }

    /** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring). */
    static int distance(final String a, final String b)
    {
        final int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++)
        {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++)
        {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            for (int j = 1; j <= b.length(); j++)
            {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int best = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                {
                    best = Math.min(best, d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        return d[a.length()][b.length()];
    }
}
