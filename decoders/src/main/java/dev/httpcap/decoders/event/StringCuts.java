package dev.httpcap.decoders.event;

import java.util.Arrays;

/**
 * How long each class of untrusted string may be in a document cut to fit a size limit (see
 * {@link JsonWriter#planCuts}): the output lengths measured per class, and the caps shared out from
 * them. Grows its arrays while warming up, then allocates nothing.
 */
final class StringCuts
{
    private static final int CLASSES = 3;

    /** Per class: the longest output one string may have. */
    private final int[] caps = new int[CLASSES];
    /** Per class: the output length of each string measured. */
    private final int[][] measured = {new int[16], new int[16], new int[16]};
    private final int[] measuredCount = new int[CLASSES];

    int cap(final int stringClass)
    {
        return caps[stringClass];
    }

    void capAll(final int cap)
    {
        Arrays.fill(caps, cap);
    }

    void clearMeasured()
    {
        Arrays.fill(measuredCount, 0);
    }

    void record(final int stringClass, final int length)
    {
        int[] lengths = measured[stringClass];
        final int n = measuredCount[stringClass];
        if (n == lengths.length)
        {
            lengths = Arrays.copyOf(lengths, 2 * n);
            measured[stringClass] = lengths;
        }
        lengths[n] = length;
        measuredCount[stringClass] = n + 1;
    }

    /** Share {@code room} bytes among the measured strings: class 0 first, then 1, then 2; one cap per class. */
    void plan(final int room)
    {
        int left = Math.max(0, room);
        for (int c = 0; c < CLASSES; c++)
        {
            final int[] lengths = measured[c];
            final int count = measuredCount[c];
            long total = 0;
            int longest = 0;
            for (int i = 0; i < count; i++)
            {
                total += lengths[i];
                longest = Math.max(longest, lengths[i]);
            }
            if (total <= left)
            {
                caps[c] = Integer.MAX_VALUE;
                left -= (int)total;
                continue;
            }
            // The largest cap whose sum fits: sum(min(length, cap)) grows with cap.
            int lo = 0;
            int hi = longest;
            while (lo < hi)
            {
                final int mid = (int)(((long)lo + hi + 1) >>> 1);
                if (cappedTotal(lengths, count, mid) <= left)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }
            caps[c] = lo;
            left = 0;
        }
    }

    private static long cappedTotal(final int[] lengths, final int count, final int cap)
    {
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            total += Math.min(lengths[i], cap);
        }
        return total;
    }
}
