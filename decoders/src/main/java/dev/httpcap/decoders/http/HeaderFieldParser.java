package dev.httpcap.decoders.http;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.tcp.Tags;

/**
 * Header fields: a name looked up once in {@link HeaderNames}, then, only for names the decoder
 * reads or the selection keeps, the value trimmed, read (framing, upgrade, WebSocket options),
 * redacted or kept in the transaction's store, within the configured limits.
 */
final class HeaderFieldParser
{
    private static final byte[] UPGRADE = HttpChars.ascii("upgrade");
    private static final byte[] CHUNKED = HttpChars.ascii("chunked");
    private static final byte[] WEBSOCKET_TOKEN = HttpChars.ascii("websocket");
    private static final byte[] PERMESSAGE_DEFLATE = HttpChars.ascii("permessage-deflate");
    private static final byte[] CLIENT_NO_CONTEXT_TAKEOVER = HttpChars.ascii("client_no_context_takeover");
    private static final byte[] SERVER_NO_CONTEXT_TAKEOVER = HttpChars.ascii("server_no_context_takeover");
    private static final byte[] BASIC = HttpChars.ascii("basic ");
    /** Base64 (RFC 4648, standard alphabet) values by byte; -1 for every other byte. */
    private static final byte[] BASE64 = new byte[256];

    static
    {
        java.util.Arrays.fill(BASE64, (byte)-1);
        final String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++)
        {
            BASE64[alphabet.charAt(i)] = (byte)i;
        }
    }
    /** A {@code knownColon} that means the line's colon was not looked for yet. */
    static final int UNKNOWN_COLON = -2;

    private final HttpConfig config;
    private final HttpCounters counters;
    /** From the current {@link HeaderRules}; replaced only on the decoder's thread, between segments. */
    HeaderNames names;
    private boolean redact;

    HeaderFieldParser(final HttpConfig config, final HttpCounters counters)
    {
        this.config = config;
        this.counters = counters;
        rules(HeaderRules.of(config));
    }

    void rules(final HeaderRules rules)
    {
        this.names = rules.names;
        this.redact = rules.redact;
    }

    /**
     * @param limit the end of the bytes that may be read (the segment's, or the line's when it
     * was gathered), at or after the line's end.
     */
    void header(
        final HttpStream s, final DirectBuffer buffer, final int offset, final int length, final boolean overflow,
        final int knownColon, final int limit)
    {
        final HttpTransaction tx = s.tx;
        s.headerBytes += length;
        s.headerFields++;
        if (overflow)
        {
            tx.tags |= Tags.HEADERS_TRUNCATED;
            return;
        }
        final byte lead = HttpChars.byteAt(buffer, offset);
        if (lead == ' ' || lead == '\t')
        {
            return; // obsolete line folding: the continuation is not kept
        }
        final int end = offset + length;
        // A line holds no newline: scanLine's colon is the line's first.
        final int colon =
            knownColon != UNKNOWN_COLON ? knownColon : HttpChars.colon(HttpChars.scanLine(buffer, offset, end));
        int nameEnd = colon;
        while (nameEnd > offset && HttpChars.isSpace(HttpChars.byteAt(buffer, nameEnd - 1)))
        {
            nameEnd--;
        }
        if (colon < 0 || nameEnd == offset)
        {
            tx.tags |= Tags.PARSE_ERROR;
            counters.increment(HttpCounters.Name.PARSE_ERRORS);
            return;
        }
        final int nameLength = nameEnd - offset;
        final long first = HeaderNames.firstWord(buffer, offset, nameLength, limit);
        final long second = HeaderNames.secondWord(buffer, offset, nameLength, limit);
        final int name = names.lookup(first, second, buffer, offset, nameLength, limit);
        final boolean overLimits = s.headerFields > config.maxHeaders() || s.headerBytes > config.maxHeaderBytes();
        if ((name & ~HeaderNames.SENSITIVE) == 0)
        {
            // Neither kept nor read (most fields with the default selection): the value is not looked at.
            if (overLimits)
            {
                tx.tags |= Tags.HEADERS_TRUNCATED;
            }
            return;
        }
        field(s, tx, buffer, offset, nameLength, first, second, colon + 1, end, limit, name, overLimits);
    }

    /**
     * A field whose name the decoder reads or the selection keeps: its value trimmed, read, kept.
     * {@code first} and {@code second}: the name's first two words, lowercase (see {@link HeaderNames#firstWord}).
     */
    void field(
        final HttpStream s, final HttpTransaction tx, final DirectBuffer buffer, final int offset, final int nameLength,
        final long first, final long second, final int afterColon, final int end, final int limit, final int name,
        final boolean overLimits)
    {
        final int valueStart = valueStart(buffer, afterColon, end, limit);
        final int valueEnd = valueEnd(buffer, valueStart, end);
        final int valueLength = valueEnd - valueStart;
        final int kind = HeaderNames.kind(name);
        int special = kind == HeaderNames.OTHER ? -1 : known(s, kind, buffer, valueStart, valueEnd);
        if (special == HttpTransaction.USER_NAME)
        {
            basicUser(tx, buffer, valueStart, valueEnd);
            special = -1;
        }

        if (overLimits)
        {
            tx.tags |= Tags.HEADERS_TRUNCATED;
            if (special >= 0)
            {
                fill(tx, special, -1, buffer, valueStart, valueLength);
            }
            return;
        }
        int storedValue = -1;
        if ((name & HeaderNames.SELECTED) != 0)
        {
            // Only a selected name is copied (and lowercased in the copy): with the default
            // selection most fields of a request are not, and cost no more than the look-up.
            final int side = s.requests ? 0 : 1;
            if ((name & HeaderNames.SENSITIVE) != 0 && redact)
            {
                redacted(tx, side, buffer, offset, nameLength, end);
            }
            else
            {
                storedValue =
                    tx.keepField(side, buffer, offset, nameLength, first, second, valueStart, valueLength, limit);
                if (storedValue < 0)
                {
                    tx.tags |= Tags.HEADERS_TRUNCATED;
                }
            }
        }
        if (special >= 0)
        {
            fill(tx, special, storedValue, buffer, valueStart, valueLength);
        }
    }

    private static void redacted(
        final HttpTransaction tx, final int side, final DirectBuffer buffer, final int offset, final int nameLength,
        final int end)
    {
        final int nameAt = tx.appendLowercase(buffer, offset, nameLength, end);
        if (nameAt < 0 || !tx.addHeader(side, nameAt, nameLength, 0, HttpTransaction.REDACTED))
        {
            tx.tags |= Tags.HEADERS_TRUNCATED;
        }
    }

    /** The first of a message's fields with this name fills transaction field {@code special}: the stored value, or a copy. */
    private static void fill(
        final HttpTransaction tx, final int special, final int storedValue, final DirectBuffer buffer, final int valueStart,
        final int valueLength)
    {
        if (!tx.hasField(special))
        {
            final int at = storedValue >= 0 ? storedValue : tx.appendValue(buffer, valueStart, valueLength);
            if (at >= 0)
            {
                tx.setField(special, at, valueLength);
            }
        }
    }

    /**
     * The user name of {@code Authorization: Basic base64(user:password)}, decoded into the store up
     * to the colon: the password is never decoded, so it is nowhere in the transaction.
     */
    private static void basicUser(final HttpTransaction tx, final DirectBuffer buffer, final int valueStart, final int valueEnd)
    {
        if (tx.hasField(HttpTransaction.USER_NAME) || valueEnd - valueStart < BASIC.length + 4 ||
            !HttpChars.startsWithIgnoreCase(buffer, valueStart, valueEnd, BASIC))
        {
            return;
        }
        int in = valueStart + BASIC.length;
        while (in < valueEnd && HttpChars.isSpace(HttpChars.byteAt(buffer, in)))
        {
            in++;
        }
        final int at = tx.reserve(((valueEnd - in + 3) >>> 2) * 3);
        if (at < 0)
        {
            return;
        }
        int out = at;
        int bits = 0;
        int pending = 0;
        for (; in < valueEnd; in++)
        {
            final int sextet = BASE64[HttpChars.byteAt(buffer, in) & 0xFF];
            if (sextet < 0)
            {
                return; // '=' padding or not base64 before any colon: no user name
            }
            bits = (bits << 6 | sextet) & 0xFFFFFF;
            pending += 6;
            if (pending >= 8)
            {
                pending -= 8;
                final byte b = (byte)(bits >>> pending);
                if (b == ':')
                {
                    tx.setField(HttpTransaction.USER_NAME, at, out - at);
                    return;
                }
                tx.store.putByte(out++, b);
            }
        }
    }

    /** Where the value of a field whose colon is at {@code afterColon - 1} starts: after its leading whitespace. */
    static int valueStart(final DirectBuffer buffer, final int afterColon, final int end, final int limit)
    {
        final int spaces = afterColon + 8 <= limit ? HttpChars.leadingSpaces(HttpChars.wordAt(buffer, afterColon)) : 8;
        if (spaces < 8)
        {
            // The bytes after the line (CR, LF) are not spaces: the run stops at the line's end.
            return Math.min(afterColon + spaces, end);
        }
        int valueStart = afterColon;
        while (valueStart < end && HttpChars.isSpace(HttpChars.byteAt(buffer, valueStart)))
        {
            valueStart++;
        }
        return valueStart;
    }

    /** Where a value starting at {@code valueStart} ends: before the line's trailing whitespace. */
    static int valueEnd(final DirectBuffer buffer, final int valueStart, final int end)
    {
        int valueEnd = end;
        while (valueEnd > valueStart && HttpChars.isSpace(HttpChars.byteAt(buffer, valueEnd - 1)))
        {
            valueEnd--;
        }
        return valueEnd;
    }

    /**
     * What a field the decoder knows ({@code kind}, not {@link HeaderNames#OTHER}) says about the
     * message: framing, upgrade, WebSocket options.
     *
     * @return the transaction field its value fills, or -1.
     */
    private static int known(
        final HttpStream s, final int kind, final DirectBuffer buffer, final int valueStart, final int valueEnd)
    {
        final boolean request = s.requests;
        int special = -1;
        switch (kind)
        {
            case HeaderNames.HOST ->
            {
                if (request)
                {
                    special = HttpTransaction.HOST;
                }
            }
            case HeaderNames.UPGRADE ->
            {
                s.upgrade = true;
                s.websocket |= HttpChars.listContains(buffer, valueStart, valueEnd, WEBSOCKET_TOKEN);
            }
            case HeaderNames.CONNECTION ->
                s.connectionUpgrade |= HttpChars.listContains(buffer, valueStart, valueEnd, UPGRADE);
            case HeaderNames.USER_AGENT ->
            {
                if (request)
                {
                    special = HttpTransaction.USER_AGENT;
                }
            }
            case HeaderNames.CONTENT_TYPE ->
                special = request ? HttpTransaction.REQUEST_CONTENT_TYPE : HttpTransaction.RESPONSE_CONTENT_TYPE;
            case HeaderNames.REFERER -> special = request ? HttpTransaction.REFERRER : -1;
            case HeaderNames.X_REQUEST_ID -> special = request ? HttpTransaction.REQUEST_ID : -1;
            case HeaderNames.AUTHORIZATION -> special = request ? HttpTransaction.USER_NAME : -1;
            case HeaderNames.CONTENT_LENGTH ->
            {
                final long value = HttpChars.parseDecimal(buffer, valueStart, valueEnd - valueStart);
                if (value < 0 || (s.contentLength >= 0 && s.contentLength != value))
                {
                    s.badLength = true;
                }
                s.contentLength = value;
            }
            case HeaderNames.CONTENT_ENCODING ->
                special = request ? HttpTransaction.REQUEST_CONTENT_ENCODING : HttpTransaction.RESPONSE_CONTENT_ENCODING;
            case HeaderNames.TRANSFER_ENCODING ->
            {
                // Only a final "chunked" frames the body; any other coding leaves it to the close.
                s.chunked = HttpChars.listEndsWith(buffer, valueStart, valueEnd, CHUNKED);
                s.otherCoding = !s.chunked;
            }
            case HeaderNames.SEC_WEBSOCKET_EXTENSIONS ->
            {
                if (!request && HttpChars.containsIgnoreCase(buffer, valueStart, valueEnd, PERMESSAGE_DEFLATE))
                {
                    s.wsDeflate = true;
                    s.wsClientNoContextTakeover |=
                        HttpChars.containsIgnoreCase(buffer, valueStart, valueEnd, CLIENT_NO_CONTEXT_TAKEOVER);
                    s.wsServerNoContextTakeover |=
                        HttpChars.containsIgnoreCase(buffer, valueStart, valueEnd, SERVER_NO_CONTEXT_TAKEOVER);
                }
            }
            default ->
            {
            }
        }
        return special;
    }
}
