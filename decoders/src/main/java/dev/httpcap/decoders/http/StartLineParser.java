package dev.httpcap.decoders.http;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.event.Tags;

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

    private final HttpCounters counters;
    private final HttpPairing pairing;

    StartLineParser(final HttpCounters counters, final HttpPairing pairing)
    {
        this.counters = counters;
        this.pairing = pairing;
    }

    boolean requestLine(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int length,
        final boolean overflow, final long wireBytes, final boolean strict)
    {
        final int end = offset + length;
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
        final int methodLength = i - offset;
        if (methodLength == 0 || methodLength > HttpDetector.MAX_METHOD || i >= end || HttpChars.byteAt(buffer, i) != ' ')
        {
            return false;
        }
        final int targetStart = i + 1;
        int targetEnd;
        int minor;
        if (overflow)
        {
            // The line broke the limit: keep the method and what fits of the target, tag it.
            targetEnd = end;
            minor = -1;
        }
        else
        {
            if (length < methodLength + 10 || !isHttp1(buffer, end - 8) || HttpChars.byteAt(buffer, end - 9) != ' ')
            {
                return false;
            }
            minor = HttpChars.byteAt(buffer, end - 1) - '0';
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
        if (strict && overflow)
        {
            return false;
        }
        final HttpTransaction tx = pairing.newRequest(c, s);
        tx.requestMinor = minor;
        tx.methodKind = methodKind(buffer, offset, methodLength);
        final int methodAt = tx.append(buffer, offset, methodLength);
        if (methodAt >= 0)
        {
            tx.setField(HttpTransaction.METHOD, methodAt, methodLength);
        }
        final int targetAt = tx.append(buffer, targetStart, targetEnd - targetStart);
        if (targetAt >= 0)
        {
            tx.setField(HttpTransaction.TARGET, targetAt, targetEnd - targetStart);
        }
        s.addWireBytes(wireBytes);
        if (overflow)
        {
            tx.tags |= Tags.PARSE_ERROR;
            counters.parseErrors++;
            counters.resyncs++;
            tx.requestEndNanos = s.lineStartNanos;
            pairing.abandonMessage(c, s, s.lineStartNanos);
            s.state = SYNC;
            return true;
        }
        s.state = HEADERS;
        return true;
    }

    boolean statusLine(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int length,
        final boolean overflow, final long wireBytes, final boolean strict)
    {
        // HTTP/1.1 200[ reason]
        if (length < 12 || !isHttp1(buffer, offset) || HttpChars.byteAt(buffer, offset + 8) != ' ')
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
            s.startMessage();
        }
        tx.status = status;
        tx.responseMinor = HttpChars.byteAt(buffer, offset + 7) - '0';
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
            counters.parseErrors++;
            counters.resyncs++;
            pairing.abandonMessage(c, s, s.lineStartNanos);
            s.state = SYNC;
            return true;
        }
        s.state = HEADERS;
        return true;
    }

    static boolean isHttp1(final DirectBuffer buffer, final int offset)
    {
        final long word = HttpChars.wordAt(buffer, offset);
        final int minor = (int)(word >>> 56) - '0';
        return (word & 0x00FF_FFFF_FFFF_FFFFL) == HTTP_1_DOT && minor >= 0 && minor <= 9;
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
