package dev.httpcap.decoders.event;

/**
 * Allocation-free text forms shared by every event: RFC 3339 timestamps from packet time, and
 * IPv4/IPv6 addresses in their canonical text (RFC 5952 for IPv6).
 */
public final class EventText
{
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long SECONDS_PER_DAY = 86_400L;
    private static final long IPV4_MAPPED_PREFIX = 0x0000_FFFF_0000_0000L;

    private EventText()
    {
    }

    /** Append {@code epochNanos} as {@code 2026-11-24T15:11:27.123456789Z} inside an open string. */
    public static void appendTimestamp(final JsonWriter out, final long epochNanos)
    {
        final long seconds = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        final long nanos = Math.floorMod(epochNanos, NANOS_PER_SECOND);
        final long days = Math.floorDiv(seconds, SECONDS_PER_DAY);
        final long secondOfDay = Math.floorMod(seconds, SECONDS_PER_DAY);

        // Howard Hinnant's civil_from_days: proleptic Gregorian date from days since 1970-01-01.
        final long z = days + 719_468;
        final long era = Math.floorDiv(z, 146_097);
        final long doe = z - era * 146_097;
        final long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        final long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        final long mp = (5 * doy + 2) / 153;
        final long day = doy - (153 * mp + 2) / 5 + 1;
        final long month = mp < 10 ? mp + 3 : mp - 9;
        final long year = yoe + era * 400 + (month <= 2 ? 1 : 0);

        out.appendPadded(year, 4).appendAscii('-').appendPadded(month, 2).appendAscii('-').appendPadded(day, 2)
            .appendAscii('T')
            .appendPadded(secondOfDay / 3600, 2).appendAscii(':')
            .appendPadded((secondOfDay / 60) % 60, 2).appendAscii(':')
            .appendPadded(secondOfDay % 60, 2).appendAscii('.')
            .appendPadded(nanos, 9).appendAscii('Z');
    }

    /** Write {@code epochNanos} as a JSON string value. */
    public static void timestampValue(final JsonWriter out, final long epochNanos)
    {
        out.startString();
        appendTimestamp(out, epochNanos);
        out.endString();
    }

    /** @return the IPv4-mapped form of an IPv4 address, as the low half of a 128-bit address. */
    public static long ipv4MappedLo(final int ipv4)
    {
        return IPV4_MAPPED_PREFIX | (ipv4 & 0xFFFF_FFFFL);
    }

    /** Append an address held as 128 bits (IPv4 as IPv4-mapped) inside an open string. */
    public static void appendIp(final JsonWriter out, final int ipVersion, final long hi, final long lo)
    {
        if (ipVersion == 4)
        {
            out.appendSmallDecimal((int)(lo >>> 24) & 0xFF).appendAscii('.')
                .appendSmallDecimal((int)(lo >>> 16) & 0xFF).appendAscii('.')
                .appendSmallDecimal((int)(lo >>> 8) & 0xFF).appendAscii('.')
                .appendSmallDecimal((int)lo & 0xFF);
            return;
        }

        // RFC 5952: compress the longest run (leftmost on a tie) of two or more zero groups.
        int bestStart = -1;
        int bestLength = 1;
        int runStart = -1;
        for (int g = 0; g < 8; g++)
        {
            if (group(hi, lo, g) == 0)
            {
                if (runStart < 0)
                {
                    runStart = g;
                }
                final int runLength = g - runStart + 1;
                if (runLength > bestLength)
                {
                    bestLength = runLength;
                    bestStart = runStart;
                }
            }
            else
            {
                runStart = -1;
            }
        }

        for (int g = 0; g < 8; g++)
        {
            if (g == bestStart)
            {
                out.appendAscii(':');
                if (g == 0)
                {
                    out.appendAscii(':');
                }
                g += bestLength - 1;
                continue;
            }
            out.appendHex(group(hi, lo, g));
            if (g < 7)
            {
                out.appendAscii(':');
            }
        }
    }

    /** Write an address as a JSON string value. */
    public static void ipValue(final JsonWriter out, final int ipVersion, final long hi, final long lo)
    {
        out.startString();
        appendIp(out, ipVersion, hi, lo);
        out.endString();
    }

    private static int group(final long hi, final long lo, final int g)
    {
        final long half = g < 4 ? hi : lo;
        return (int)((half >>> ((3 - (g & 3)) * 16)) & 0xFFFF);
    }

    /** Append {@code ip:port} ({@code [v6]:port}) inside an open string or line. */
    public static void appendEndpoint(final JsonWriter out, final int ipVersion, final long hi, final long lo, final int port)
    {
        if (ipVersion == 6)
        {
            out.appendAscii('[');
            appendIp(out, ipVersion, hi, lo);
            out.appendAscii(']');
        }
        else
        {
            appendIp(out, ipVersion, hi, lo);
        }
        out.appendAscii(':').appendDecimal(port);
    }
}
