package dev.httpcap.decoders.http;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.tcp.Tags;

import static dev.httpcap.decoders.http.HttpStream.HEADERS;
import static dev.httpcap.decoders.http.HttpStream.SYNC;

/**
 * Request lines ({@code METHOD target HTTP/1.x}) and status lines ({@code HTTP/1.x 200 reason}):
 * each opens its side of a transaction (through {@link HttpPairing}) and keeps what the event
 * needs of the line.
 */
final class StartLineParser
{
    private static final byte[] GET = {'G', 'E', 'T'};
    private static final byte[] HEAD = {'H', 'E', 'A', 'D'};
    private static final byte[] POST = {'P', 'O', 'S', 'T'};
    private static final byte[] CONNECT = {'C', 'O', 'N', 'N', 'E', 'C', 'T'};
    /** "HTTP/1." as a little-endian word (seven bytes). */
    private static final long HTTP_1_DOT = 0x2E312F50545448L;
    /** Set in a {@link #version} whose letters were not upper case. */
    private static final int LENIENT = 0x100;
    private static final int MINOR = 0xFF;
    /** Junk bytes looked past for a request line behind them. */
    private static final int MAX_JUNK = 64;
    /** Bytes of a line that is not a request line kept in its event. */
    static final int RAW_LINE_LIMIT = 1024;

    private final HttpCounters counters;
    private final HttpPairing pairing;

    StartLineParser(final HttpCounters counters, final HttpPairing pairing)
    {
        this.counters = counters;
        this.pairing = pairing;
    }

    /**
     * A request line where one must begin. {@code strict} (searching for the next message after
     * a loss or an error): only an upper-case method and a line within the limit count.
     *
     * @return whether it was a request line: its transaction is open (or, over the limit, already
     * tagged and finished).
     */
    boolean requestLine(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int length,
        final boolean overflow, final long wireBytes, final boolean strict)
    {
        final int end = offset + length;
        final int methodLength = methodLength(buffer, offset, end, strict);
        if (methodLength == 0 || offset + methodLength >= end || HttpChars.byteAt(buffer, offset + methodLength) != ' ')
        {
            return false;
        }
        final int targetStart = offset + methodLength + 1;
        int targetEnd;
        int version;
        if (overflow)
        {
            // The line broke the limit: keep the method and what fits of the target, tag it.
            targetEnd = end;
            version = 0;
        }
        else
        {
            version = length < methodLength + 10 || HttpChars.byteAt(buffer, end - 9) != ' ' ? -1 : version(buffer, end - 8);
            if (version < 0)
            {
                return false;
            }
            targetEnd = end - 9;
            while (targetEnd > targetStart && HttpChars.byteAt(buffer, targetEnd - 1) == ' ')
            {
                targetEnd--;
            }
            if (targetEnd <= targetStart)
            {
                return false;
            }
        }
        if (strict && (overflow || (version & LENIENT) != 0))
        {
            return false;
        }
        final HttpTransaction tx = openRequest(c, s, buffer, offset, methodLength, targetStart, targetEnd - targetStart);
        tx.requestMinor = version & MINOR;
        if ((version & LENIENT) != 0)
        {
            tx.tags |= Tags.PROTOCOL_DEVIATION;
        }
        s.addWireBytes(wireBytes);
        if (overflow)
        {
            tx.requestMinor = -1;
            tx.tags |= Tags.PARSE_ERROR;
            counters.increment(HttpCounters.Name.PARSE_ERRORS);
            counters.increment(HttpCounters.Name.RESYNCS);
            pairing.abandonMessage(c, s, s.lineStartNanos);
            return true;
        }
        s.state = HEADERS;
        return true;
    }

    /**
     * A line that is not a request line where a request must begin: still a request, whose server
     * will answer it (typically 400). In order: a valid request line behind a few bytes of junk
     * (tagged {@code parse_error}); an HTTP/0.9 simple request ({@code GET /path}, answered by a
     * bare body up to the close); or a request tagged {@code parse_error} that keeps what could be
     * read of its method and target, and the raw line up to {@link #RAW_LINE_LIMIT}.
     */
    void badRequestLine(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int length,
        final boolean overflow, final long wireBytes)
    {
        final int end = offset + length;
        if (!overflow)
        {
            final int searchEnd = Math.min(end, offset + MAX_JUNK);
            for (int i = offset + 1; i < searchEnd; i++)
            {
                final byte b = HttpChars.byteAt(buffer, i);
                if (b >= 'A' && b <= 'Z' && !HttpChars.isTokenChar(HttpChars.byteAt(buffer, i - 1)) &&
                    requestLine(c, s, buffer, i, end - i, false, wireBytes, true))
                {
                    s.tx.tags |= Tags.PARSE_ERROR;
                    counters.increment(HttpCounters.Name.PARSE_ERRORS);
                    return;
                }
            }
            if (isSimpleRequest(buffer, offset, end))
            {
                final HttpTransaction tx = openRequest(c, s, buffer, offset, GET.length, offset + 4, length - 4);
                tx.http09 = true;
                c.confirmed = true;
                s.addWireBytes(wireBytes);
                pairing.messageComplete(c, s, s.lineStartNanos);
                return;
            }
        }
        counters.increment(HttpCounters.Name.PARSE_ERRORS);
        counters.increment(HttpCounters.Name.RESYNCS);
        final int methodLength = methodLength(buffer, offset, end, false);
        final HttpTransaction tx;
        if (methodLength > 0 && offset + methodLength < end && HttpChars.byteAt(buffer, offset + methodLength) == ' ')
        {
            final int targetStart = offset + methodLength + 1;
            int targetEnd = targetStart;
            while (targetEnd < end && HttpChars.byteAt(buffer, targetEnd) != ' ')
            {
                targetEnd++;
            }
            if (targetEnd - targetStart >= 8 && targetEnd == end && version(buffer, targetStart) >= 0)
            {
                targetEnd = targetStart; // "METHOD HTTP/1.1": a version where the target should be
            }
            tx = openRequest(c, s, buffer, offset, methodLength, targetStart, targetEnd - targetStart);
        }
        else
        {
            tx = pairing.newRequest(c, s); // nothing before a space reads as a method
        }
        tx.tags |= Tags.PARSE_ERROR;
        final int rawLength = Math.min(length, RAW_LINE_LIMIT);
        final int rawAt = tx.append(buffer, offset, rawLength);
        if (rawAt >= 0)
        {
            tx.setField(HttpTransaction.REQUEST_LINE, rawAt, rawLength);
        }
        s.addWireBytes(wireBytes);
        pairing.abandonMessage(c, s, s.lineStartNanos);
    }

    private HttpTransaction openRequest(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int methodOffset,
        final int methodLength, final int targetOffset, final int targetLength)
    {
        final HttpTransaction tx = pairing.newRequest(c, s);
        tx.methodKind = methodKind(buffer, methodOffset, methodLength);
        final int methodAt = tx.append(buffer, methodOffset, methodLength);
        if (methodAt >= 0)
        {
            tx.setField(HttpTransaction.METHOD, methodAt, methodLength);
        }
        if (targetLength > 0)
        {
            final int targetAt = tx.append(buffer, targetOffset, targetLength);
            if (targetAt >= 0)
            {
                tx.setField(HttpTransaction.TARGET, targetAt, targetLength);
            }
        }
        return tx;
    }

    /** @return the length of the method at {@code offset}: token bytes ({@code strict}: upper case, '-', '_'), 0 if too long. */
    private static int methodLength(final DirectBuffer buffer, final int offset, final int end, final boolean strict)
    {
        int i = offset;
        while (i < end && i - offset <= HttpDetector.MAX_METHOD)
        {
            final byte b = HttpChars.byteAt(buffer, i);
            if (!HttpChars.isTokenChar(b) || (strict && (b < 'A' || b > 'Z') && b != '-' && b != '_'))
            {
                break;
            }
            i++;
        }
        final int length = i - offset;
        return length > HttpDetector.MAX_METHOD ? 0 : length;
    }

    /** @return whether the line is an HTTP/0.9 simple request: {@code GET /path}, no version. */
    private static boolean isSimpleRequest(final DirectBuffer buffer, final int offset, final int end)
    {
        if (end - offset < 5 || !equals(buffer, offset, GET) || HttpChars.byteAt(buffer, offset + 3) != ' ' ||
            HttpChars.byteAt(buffer, offset + 4) != '/')
        {
            return false;
        }
        for (int i = offset + 5; i < end; i++)
        {
            if (HttpChars.isSpace(HttpChars.byteAt(buffer, i)))
            {
                return false;
            }
        }
        return true;
    }

    boolean statusLine(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int length,
        final boolean overflow, final long wireBytes, final boolean strict)
    {
        // HTTP/1.1 200[ reason]
        final int version = length < 12 || HttpChars.byteAt(buffer, offset + 8) != ' ' ? -1 : version(buffer, offset);
        if (version < 0 || (strict && (version & LENIENT) != 0))
        {
            return false;
        }
        final int d0 = HttpChars.byteAt(buffer, offset + 9) - '0';
        final int d1 = HttpChars.byteAt(buffer, offset + 10) - '0';
        final int d2 = HttpChars.byteAt(buffer, offset + 11) - '0';
        if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || (length > 12 && HttpChars.byteAt(buffer, offset + 12) != ' '))
        {
            return false;
        }
        if (strict && overflow)
        {
            return false;
        }
        final int status = d0 * 100 + d1 * 10 + d2;
        HttpTransaction tx = s.tx;
        if (tx == null)
        {
            tx = pairing.pairResponse(c, s);
        }
        else
        {
            // The final response after an interim one: same transaction.
            tx.resetResponseFields();
            tx.finalResponseStartNanos = s.lineStartNanos;
            s.startMessage();
        }
        tx.status = status;
        tx.responseMinor = version & MINOR;
        if ((version & LENIENT) != 0)
        {
            tx.tags |= Tags.PROTOCOL_DEVIATION;
        }
        if (length > 13)
        {
            final int phraseAt = tx.append(buffer, offset + 13, length - 13);
            if (phraseAt >= 0)
            {
                tx.setField(HttpTransaction.PHRASE, phraseAt, length - 13);
            }
        }
        else
        {
            tx.setField(HttpTransaction.PHRASE, 0, 0);
        }
        s.addWireBytes(wireBytes);
        if (overflow)
        {
            tx.tags |= Tags.PARSE_ERROR;
            counters.increment(HttpCounters.Name.PARSE_ERRORS);
            counters.increment(HttpCounters.Name.RESYNCS);
            pairing.abandonMessage(c, s, s.lineStartNanos);
            s.state = SYNC;
            return true;
        }
        s.state = HEADERS;
        return true;
    }

    /**
     * @return the minor version of the {@code HTTP/1.x} at {@code offset} (eight bytes, which must
     * be readable), with {@link #LENIENT} set when its letters are not all upper case; -1 when it is
     * not one.
     */
    static int version(final DirectBuffer buffer, final int offset)
    {
        final long word = HttpChars.wordAt(buffer, offset);
        final int minor = (int)(word >>> 56) - '0';
        if (minor < 0 || minor > 9)
        {
            return -1;
        }
        final long head = word & 0x00FF_FFFF_FFFF_FFFFL;
        if (head == HTTP_1_DOT)
        {
            return minor;
        }
        // Case-insensitively: the four letters folded to lower case.
        return (head | 0x2020_2020L) == (HTTP_1_DOT | 0x2020_2020L) ? minor | LENIENT : -1;
    }

    private static int methodKind(final DirectBuffer buffer, final int offset, final int length)
    {
        return switch (length)
        {
            case 3 -> equals(buffer, offset, GET) ? HttpTransaction.METHOD_GET : HttpTransaction.METHOD_OTHER;
            case 4 -> equals(buffer, offset, HEAD) ? HttpTransaction.METHOD_HEAD :
                equals(buffer, offset, POST) ? HttpTransaction.METHOD_POST : HttpTransaction.METHOD_OTHER;
            case 7 -> equals(buffer, offset, CONNECT) ? HttpTransaction.METHOD_CONNECT : HttpTransaction.METHOD_OTHER;
            default -> HttpTransaction.METHOD_OTHER;
        };
    }

    private static boolean equals(final DirectBuffer buffer, final int offset, final byte[] expected)
    {
        for (int i = 0; i < expected.length; i++)
        {
            if (HttpChars.byteAt(buffer, offset + i) != expected[i])
            {
                return false;
            }
        }
        return true;
    }
}
