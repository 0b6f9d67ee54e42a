package dev.httpcap.app.analysis;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a stream of httpcap events, one JSON object per line, into a {@link StatsCollector}, and
 * accounts for every line: read as an event, blank, or not an event (counted, never silently
 * skipped).
 */
public final class NdjsonInput
{
    private final EventJsonReader reader = new EventJsonReader();
    private final EventRecord record = new EventRecord();
    private long lines;
    private long blank;
    private long events;
    private long unreadable;
    private long bytes;

    /** Read {@code in} to its end. */
    public void read(final InputStream in, final StatsCollector collector) throws IOException
    {
        byte[] buf = new byte[1 << 16];
        int filled = 0;
        while (true)
        {
            if (filled == buf.length)
            {
                buf = java.util.Arrays.copyOf(buf, buf.length * 2);
            }
            final int n = in.read(buf, filled, buf.length - filled);
            if (n < 0)
            {
                if (filled > 0)
                {
                    line(buf, 0, filled, collector);
                }
                return;
            }
            bytes += n;
            final int scanFrom = filled;
            filled += n;
            int start = 0;
            for (int i = scanFrom; i < filled; i++)
            {
                if (buf[i] == '\n')
                {
                    line(buf, start, i - start, collector);
                    start = i + 1;
                }
            }
            if (start > 0)
            {
                System.arraycopy(buf, start, buf, 0, filled - start);
                filled -= start;
            }
        }
    }

    private void line(final byte[] buf, final int offset, final int length, final StatsCollector collector)
    {
        lines++;
        int stop = offset + length;
        while (stop > offset && (buf[stop - 1] == '\r' || buf[stop - 1] == ' ' || buf[stop - 1] == '\t'))
        {
            stop--;
        }
        if (stop == offset)
        {
            blank++;
            return;
        }
        if (reader.read(buf, offset, stop - offset, record))
        {
            events++;
            collector.accept(record);
        }
        else
        {
            unreadable++;
        }
    }

    /** @return the lines read as events. */
    public long events()
    {
        return events;
    }

    /** @return the non-blank lines that were not events. */
    public long notJson()
    {
        return unreadable;
    }

    /** @return the ledger section of the input: every line counted once. */
    public Map<String, Long> ledger()
    {
        final Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("bytes", bytes);
        counts.put("lines", lines);
        counts.put("events", events);
        counts.put("blank", blank);
        counts.put("not_json", unreadable);
        return counts;
    }
}
