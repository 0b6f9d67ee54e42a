package dev.httpcap.app.analysis;

import java.nio.charset.StandardCharsets;

/**
 * Reads one httpcap event (one NDJSON line) into an {@link EventRecord}: a small pull parser over
 * the bytes that keeps only the fields the analyses use and skips the rest without building
 * anything. Strings are made only for the kept fields. Any JSON is accepted; an event that is not
 * well-formed JSON is refused as a whole ({@link #read} returns false) and the caller counts it.
 */
public final class EventJsonReader
{
    private static final int ROOT = 0;
    private static final int EVENT = 1;
    private static final int SOURCE = 2;
    private static final int DESTINATION = 3;
    private static final int NETWORK = 4;
    private static final int URL = 5;
    private static final int HTTP = 6;
    private static final int REQUEST = 7;
    private static final int REQUEST_HEADERS = 8;
    private static final int RESPONSE = 9;
    private static final int HTTPCAP = 10;
    private static final int SKIP = 11;
    private static final int MAX_DEPTH = 64;

    private byte[] buf;
    private int pos;
    private int end;
    private EventRecord record;
    private final StringBuilder text = new StringBuilder(256);

    /** @return true when {@code bytes[offset, offset + length)} was one JSON object, now in {@code into}. */
    public boolean read(final byte[] bytes, final int offset, final int length, final EventRecord into)
    {
        buf = bytes;
        pos = offset;
        end = offset + length;
        record = into;
        into.reset();
        try
        {
            skipWs();
            if (pos >= end || buf[pos] != '{')
            {
                return false;
            }
            object(ROOT, 0);
            skipWs();
            return pos == end;
        }
        catch (final MalformedException | ArrayIndexOutOfBoundsException ex)
        {
            return false;
        }
        finally
        {
            buf = null;
            record = null;
        }
    }

    private void object(final int context, final int depth)
    {
        if (depth > MAX_DEPTH)
        {
            throw MalformedException.INSTANCE;
        }
        expect('{');
        skipWs();
        if (peek() == '}')
        {
            pos++;
            return;
        }
        while (true)
        {
            skipWs();
            expect('"');
            final int keyStart = pos;
            skipStringBody();
            final int keyEnd = pos - 1;
            skipWs();
            expect(':');
            skipWs();
            value(context, keyStart, keyEnd, depth);
            skipWs();
            final byte b = next();
            if (b == '}')
            {
                return;
            }
            if (b != ',')
            {
                throw MalformedException.INSTANCE;
            }
        }
    }

    private void value(final int context, final int keyStart, final int keyEnd, final int depth)
    {
        final byte b = peek();
        if (b == '{')
        {
            object(child(context, keyStart, keyEnd), depth + 1);
        }
        else if (b == '[')
        {
            if (context == ROOT && is(keyStart, keyEnd, "tags"))
            {
                tags();
            }
            else
            {
                skipArray(depth + 1);
            }
        }
        else if (b == '"')
        {
            pos++;
            stringField(context, keyStart, keyEnd);
        }
        else
        {
            final int start = pos;
            while (pos < end && !isDelimiter(buf[pos]))
            {
                pos++;
            }
            if (start == pos)
            {
                throw MalformedException.INSTANCE;
            }
            literalField(context, keyStart, keyEnd, start, pos);
        }
    }

    private int child(final int context, final int k0, final int k1)
    {
        return switch (context)
        {
            case ROOT -> is(k0, k1, "event") ? EVENT : is(k0, k1, "source") ? SOURCE :
                is(k0, k1, "destination") ? DESTINATION : is(k0, k1, "network") ? NETWORK : is(k0, k1, "url") ? URL :
                is(k0, k1, "http") ? HTTP : is(k0, k1, "httpcap") ? HTTPCAP : SKIP;
            case HTTP -> is(k0, k1, "request") ? REQUEST : is(k0, k1, "response") ? RESPONSE : SKIP;
            case REQUEST -> is(k0, k1, "headers") ? REQUEST_HEADERS : SKIP;
            default -> SKIP;
        };
    }

    private void stringField(final int context, final int k0, final int k1)
    {
        final EventRecord r = record;
        switch (context)
        {
            case ROOT ->
            {
                if (is(k0, k1, "@timestamp"))
                {
                    r.timestampNanos = timestamp();
                    return;
                }
            }
            case EVENT ->
            {
                if (is(k0, k1, "dataset"))
                {
                    r.dataset = dataset();
                    return;
                }
                if (is(k0, k1, "start"))
                {
                    r.startNanos = timestamp();
                    return;
                }
                if (is(k0, k1, "end"))
                {
                    r.endNanos = timestamp();
                    return;
                }
                if (is(k0, k1, "reason"))
                {
                    r.reason = string();
                    return;
                }
            }
            case SOURCE ->
            {
                if (is(k0, k1, "ip"))
                {
                    r.sourceIp = string();
                    return;
                }
            }
            case DESTINATION ->
            {
                if (is(k0, k1, "ip"))
                {
                    r.destinationIp = string();
                    return;
                }
            }
            case NETWORK ->
            {
                if (is(k0, k1, "community_id"))
                {
                    r.communityId = string();
                    return;
                }
            }
            case URL ->
            {
                if (is(k0, k1, "original"))
                {
                    r.urlOriginal = string();
                    return;
                }
                if (is(k0, k1, "path"))
                {
                    r.urlPath = string();
                    return;
                }
                if (is(k0, k1, "domain"))
                {
                    r.urlDomain = string();
                    return;
                }
            }
            case REQUEST ->
            {
                if (is(k0, k1, "method"))
                {
                    r.method = string();
                    return;
                }
            }
            case REQUEST_HEADERS ->
            {
                if (is(k0, k1, "host"))
                {
                    r.hostHeader = string();
                    return;
                }
            }
            default ->
            {
            }
        }
        skipStringBody();
    }

    private void literalField(final int context, final int k0, final int k1, final int start, final int stop)
    {
        final EventRecord r = record;
        switch (context)
        {
            case EVENT ->
            {
                if (is(k0, k1, "duration"))
                {
                    r.durationNanos = number(start, stop);
                }
            }
            case SOURCE ->
            {
                if (is(k0, k1, "port"))
                {
                    r.sourcePort = (int)number(start, stop);
                }
                else if (is(k0, k1, "bytes"))
                {
                    r.sourceBytes = number(start, stop);
                }
                else if (is(k0, k1, "packets"))
                {
                    r.sourcePackets = number(start, stop);
                }
            }
            case DESTINATION ->
            {
                if (is(k0, k1, "port"))
                {
                    r.destinationPort = (int)number(start, stop);
                }
                else if (is(k0, k1, "bytes"))
                {
                    r.destinationBytes = number(start, stop);
                }
                else if (is(k0, k1, "packets"))
                {
                    r.destinationPackets = number(start, stop);
                }
            }
            case RESPONSE ->
            {
                if (is(k0, k1, "status_code"))
                {
                    r.statusCode = (int)number(start, stop);
                }
            }
            case HTTPCAP ->
            {
                if (is(k0, k1, "info_code"))
                {
                    r.infoCode = (int)number(start, stop);
                }
            }
            default ->
            {
            }
        }
    }

    private void tags()
    {
        expect('[');
        skipWs();
        if (peek() == ']')
        {
            pos++;
            return;
        }
        while (true)
        {
            skipWs();
            if (peek() == '"')
            {
                pos++;
                final String tag = string();
                if (record.tagCount < EventRecord.MAX_TAGS)
                {
                    record.tags[record.tagCount++] = tag;
                }
            }
            else
            {
                skipValue(1);
            }
            skipWs();
            final byte b = next();
            if (b == ']')
            {
                return;
            }
            if (b != ',')
            {
                throw MalformedException.INSTANCE;
            }
        }
    }

    private void skipValue(final int depth)
    {
        final byte b = peek();
        if (b == '{')
        {
            object(SKIP, depth);
        }
        else if (b == '[')
        {
            skipArray(depth);
        }
        else if (b == '"')
        {
            pos++;
            skipStringBody();
        }
        else
        {
            final int start = pos;
            while (pos < end && !isDelimiter(buf[pos]))
            {
                pos++;
            }
            if (start == pos)
            {
                throw MalformedException.INSTANCE;
            }
        }
    }

    private void skipArray(final int depth)
    {
        if (depth > MAX_DEPTH)
        {
            throw MalformedException.INSTANCE;
        }
        expect('[');
        skipWs();
        if (peek() == ']')
        {
            pos++;
            return;
        }
        while (true)
        {
            skipWs();
            skipValue(depth + 1);
            skipWs();
            final byte b = next();
            if (b == ']')
            {
                return;
            }
            if (b != ',')
            {
                throw MalformedException.INSTANCE;
            }
        }
    }

    /** After the opening quote: moves past the closing quote. */
    private void skipStringBody()
    {
        while (true)
        {
            final byte b = next();
            if (b == '"')
            {
                return;
            }
            if (b == '\\')
            {
                final byte e = next();
                if (e == 'u')
                {
                    for (int i = 0; i < 4; i++)
                    {
                        if (Character.digit(next(), 16) < 0)
                        {
                            throw MalformedException.INSTANCE;
                        }
                    }
                }
                else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
                {
                    throw MalformedException.INSTANCE;
                }
            }
        }
    }

    /** After the opening quote: the string's value, escapes decoded; moves past the closing quote. */
    private String string()
    {
        final int start = pos;
        while (true)
        {
            final byte b = buf[pos];
            if (b == '"')
            {
                final String s = new String(buf, start, pos - start, StandardCharsets.UTF_8);
                pos++;
                return s;
            }
            if (b == '\\')
            {
                break;
            }
            pos++;
            if (pos >= end)
            {
                throw MalformedException.INSTANCE;
            }
        }
        // Escapes: decode the plain runs as UTF-8 and the escapes by hand.
        final StringBuilder out = text;
        out.setLength(0);
        out.append(new String(buf, start, pos - start, StandardCharsets.UTF_8));
        int run = pos;
        while (true)
        {
            final byte b = next();
            if (b == '"')
            {
                out.append(new String(buf, run, pos - 1 - run, StandardCharsets.UTF_8));
                return out.toString();
            }
            if (b != '\\')
            {
                continue;
            }
            out.append(new String(buf, run, pos - 1 - run, StandardCharsets.UTF_8));
            final byte e = next();
            switch (e)
            {
                case '"', '\\', '/' -> out.append((char)e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' ->
                {
                    if (pos + 4 > end)
                    {
                        throw MalformedException.INSTANCE;
                    }
                    int c = 0;
                    for (int i = 0; i < 4; i++)
                    {
                        final int d = Character.digit(buf[pos++], 16);
                        if (d < 0)
                        {
                            throw MalformedException.INSTANCE;
                        }
                        c = c << 4 | d;
                    }
                    out.append((char)c);
                }
                default -> throw MalformedException.INSTANCE;
            }
            run = pos;
        }
    }

    private EventRecord.Dataset dataset()
    {
        final int start = pos;
        skipStringBody();
        final int stop = pos - 1;
        return is(start, stop, "http") ? EventRecord.Dataset.HTTP : is(start, stop, "flow") ? EventRecord.Dataset.FLOW :
            is(start, stop, "websocket") ? EventRecord.Dataset.WEBSOCKET : EventRecord.Dataset.OTHER;
    }

    /** After the opening quote: an RFC 3339 UTC time (as httpcap writes it) in epoch nanoseconds. */
    private long timestamp()
    {
        final int start = pos;
        skipStringBody();
        return parseTimestamp(buf, start, pos - 1);
    }

    /**
     * @return {@code YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)} in nanoseconds since the epoch, or
     * {@link Long#MIN_VALUE} when it is not such a time.
     */
    static long parseTimestamp(final byte[] b, final int start, final int stop)
    {
        if (stop - start < 20 || b[start + 4] != '-' || b[start + 7] != '-' || (b[start + 10] != 'T' && b[start + 10] != ' ') ||
            b[start + 13] != ':' || b[start + 16] != ':')
        {
            return Long.MIN_VALUE;
        }
        final int year = digits(b, start, 4);
        final int month = digits(b, start + 5, 2);
        final int day = digits(b, start + 8, 2);
        final int hour = digits(b, start + 11, 2);
        final int minute = digits(b, start + 14, 2);
        final int second = digits(b, start + 17, 2);
        if ((year | month | day | hour | minute | second) < 0 || month < 1 || month > 12 || day < 1 || day > 31)
        {
            return Long.MIN_VALUE;
        }
        int i = start + 19;
        long nanos = 0;
        if (i < stop && b[i] == '.')
        {
            i++;
            int scale = 100_000_000;
            while (i < stop && b[i] >= '0' && b[i] <= '9')
            {
                nanos += (b[i] - '0') * (long)scale;
                scale /= 10;
                i++;
            }
        }
        long offsetSeconds = 0;
        if (i < stop && (b[i] == '+' || b[i] == '-') && stop - i == 6)
        {
            final int h = digits(b, i + 1, 2);
            final int m = digits(b, i + 4, 2);
            if ((h | m) < 0)
            {
                return Long.MIN_VALUE;
            }
            offsetSeconds = (b[i] == '+' ? 1 : -1) * (h * 3600L + m * 60L);
        }
        else if (!(i == stop - 1 && (b[i] == 'Z' || b[i] == 'z')))
        {
            return Long.MIN_VALUE;
        }
        final long days = java.time.LocalDate.of(year, month, Math.min(day, 28)).toEpochDay() + Math.max(0, day - 28);
        final long seconds = days * 86_400L + hour * 3600L + minute * 60L + second - offsetSeconds;
        return seconds * 1_000_000_000L + nanos;
    }

    private static int digits(final byte[] b, final int at, final int count)
    {
        int v = 0;
        for (int i = at; i < at + count; i++)
        {
            final int d = b[i] - '0';
            if (d < 0 || d > 9)
            {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    private long number(final int start, final int stop)
    {
        if (is(start, stop, "null"))
        {
            return -1;
        }
        long v = 0;
        int i = start;
        final boolean negative = buf[i] == '-';
        if (negative)
        {
            i++;
        }
        for (; i < stop; i++)
        {
            final int d = buf[i] - '0';
            if (d < 0 || d > 9)
            {
                // A fraction or exponent: httpcap writes none in the fields read here.
                break;
            }
            v = v * 10 + d;
        }
        return negative ? -v : v;
    }

    private boolean is(final int start, final int stop, final String ascii)
    {
        final int length = ascii.length();
        if (stop - start != length)
        {
            return false;
        }
        for (int i = 0; i < length; i++)
        {
            if (buf[start + i] != ascii.charAt(i))
            {
                return false;
            }
        }
        return true;
    }

    private static boolean isDelimiter(final byte b)
    {
        return b == ',' || b == '}' || b == ']' || b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    private void skipWs()
    {
        while (pos < end)
        {
            final byte b = buf[pos];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r')
            {
                return;
            }
            pos++;
        }
    }

    private byte peek()
    {
        if (pos >= end)
        {
            throw MalformedException.INSTANCE;
        }
        return buf[pos];
    }

    private byte next()
    {
        if (pos >= end)
        {
            throw MalformedException.INSTANCE;
        }
        return buf[pos++];
    }

    private void expect(final char c)
    {
        if (next() != c)
        {
            throw MalformedException.INSTANCE;
        }
    }

    /** Not well-formed: thrown without a stack trace, caught in {@link #read}. */
    private static final class MalformedException extends RuntimeException
    {
        static final MalformedException INSTANCE = new MalformedException();

        private MalformedException()
        {
            super("malformed JSON", null, false, false);
        }
    }
}
