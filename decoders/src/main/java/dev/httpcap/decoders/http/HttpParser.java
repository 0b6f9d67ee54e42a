package dev.httpcap.decoders.http;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.decoders.tcp.Tags;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.websocket.WebSocketStream;

import static dev.httpcap.decoders.http.HttpStream.BODY_CLOSE;
import static dev.httpcap.decoders.http.HttpStream.BODY_LENGTH;
import static dev.httpcap.decoders.http.HttpStream.CHUNK_DATA;
import static dev.httpcap.decoders.http.HttpStream.CHUNK_END;
import static dev.httpcap.decoders.http.HttpStream.CHUNK_SIZE;
import static dev.httpcap.decoders.http.HttpStream.HEADERS;
import static dev.httpcap.decoders.http.HttpStream.OPAQUE;
import static dev.httpcap.decoders.http.HttpStream.START;
import static dev.httpcap.decoders.http.HttpStream.SYNC;
import static dev.httpcap.decoders.http.HttpStream.TRAILERS;
import static dev.httpcap.decoders.http.HttpStream.WAIT;
import static dev.httpcap.decoders.http.HttpStream.WEBSOCKET;

/**
 * The HTTP/1.x state machine of one direction of a connection: an explicit state per
 * {@link HttpStream} that stops when a segment runs out and resumes with the next. Lines are read
 * where they lie in the segment; a line that spans segments is gathered in a pooled buffer of
 * {@link HttpConfig#maxLineBytes()}. Start lines go to {@link StartLineParser}, header fields to
 * {@link HeaderFieldParser}, message ends to {@link HttpPairing}. Nothing throws on input: a
 * broken message is tagged, and the stream searches for the next plausible start line.
 */
final class HttpParser
{
    private static final UnsafeBuffer EMPTY = new UnsafeBuffer(new byte[0]);

    private final HttpConfig config;
    private final int maxLine;
    private final HttpCounters counters;
    private final HttpPools pools;
    private final HttpPairing pairing;
    private final HttpDetector detector;
    private final StartLineParser startLines;
    private final HeaderFieldParser fields;
    private final BodyCapture bodies;

    HttpParser(
        final HttpConfig config, final HttpCounters counters, final HttpPools pools, final HttpPairing pairing,
        final HttpDetector detector)
    {
        this.config = config;
        this.maxLine = config.maxLineBytes();
        this.counters = counters;
        this.pools = pools;
        this.pairing = pairing;
        this.detector = detector;
        this.startLines = new StartLineParser(counters, pairing);
        this.fields = new HeaderFieldParser(config, counters);
        this.bodies = new BodyCapture(config);
    }

    /** Takes effect from the next header line; on the decoder's thread. */
    void rules(final HeaderRules rules)
    {
        fields.rules(rules);
    }

    /** Decodes one segment of direction {@code s} of {@code c}, as far as the connection stays HTTP. */
    void parse(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int end,
        final long timestampNanos)
    {
        final TcpFlow flow = pairing.flow;
        s.lastDataNanos = Math.max(s.lastDataNanos, timestampNanos);
        int pos = offset;
        while (pos < end && flow.attachment() == c)
        {
            switch (s.state)
            {
                case HEADERS -> pos = s.partial
                    ? line(c, s, buffer, pos, end, timestampNanos) : headerLines(c, s, buffer, pos, end, timestampNanos);
                case START, SYNC, CHUNK_SIZE, CHUNK_END, TRAILERS ->
                    pos = line(c, s, buffer, pos, end, timestampNanos);
                case BODY_LENGTH ->
                {
                    final int n = (int)Math.min(s.remaining, end - pos);
                    bodies.take(s, buffer, pos, n);
                    pos += n;
                    s.remaining -= n;
                    if (s.remaining == 0)
                    {
                        pairing.messageComplete(c, s, timestampNanos);
                    }
                }
                case CHUNK_DATA ->
                {
                    final int n = (int)Math.min(s.remaining, end - pos);
                    bodies.take(s, buffer, pos, n);
                    pos += n;
                    s.remaining -= n;
                    if (s.remaining == 0)
                    {
                        s.state = CHUNK_END;
                    }
                }
                case BODY_CLOSE ->
                {
                    bodies.take(s, buffer, pos, end - pos);
                    s.tx.responseEndNanos = timestampNanos;
                    pos = end;
                }
                case WEBSOCKET -> pos = s.ws.consume(pairing, buffer, pos, end, timestampNanos);
                case WAIT ->
                {
                    // The client spoke before the server answered its CONNECT or Upgrade: another
                    // request means the upgrade was not waited for; anything else is the new protocol.
                    s.state = HttpDetector.looksLikeRequest(buffer, pos, end) ? START : OPAQUE;
                }
                default ->
                {
                    s.opaqueBytes += end - pos;
                    pos = end;
                }
            }
        }
    }

    /** {@code length} bytes of direction {@code s} of {@code c} were never captured. */
    void gap(final HttpConnection c, final HttpStream s, final long length, final long timestampNanos)
    {
        final HttpTransaction tx = s.tx;
        switch (s.state)
        {
            case BODY_LENGTH, CHUNK_DATA ->
            {
                if (length <= s.remaining)
                {
                    tx.tags |= Tags.GAP;
                    tx.cut(s.requests);
                    bodies.lose(s, length);
                    s.remaining -= length;
                    if (s.remaining == 0)
                    {
                        if (s.state == BODY_LENGTH)
                        {
                            pairing.messageComplete(c, s, timestampNanos);
                        }
                        else
                        {
                            s.state = CHUNK_END;
                        }
                    }
                    return;
                }
            }
            case BODY_CLOSE ->
            {
                tx.tags |= Tags.GAP;
                tx.responseCut = true;
                bodies.lose(s, length);
                return;
            }
            case OPAQUE, WAIT ->
            {
                s.opaqueBytes += length;
                return;
            }
            case WEBSOCKET ->
            {
                s.ws.onGap(pairing, length, timestampNanos);
                return;
            }
            default ->
            {
            }
        }
        // The gap swallowed message boundaries: give up on the message in progress and look for
        // the next start line.
        pools.dropLine(s);
        c.lost(s, timestampNanos);
        counters.increment(HttpCounters.Name.RESYNCS);
        if (tx != null)
        {
            tx.tags |= Tags.GAP;
            pairing.abandonMessage(c, s, timestampNanos);
        }
        s.state = SYNC;
    }

    // ---------------------------------------------------------------------------------------------
    // Lines

    private int line(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int pos, final int end,
        final long timestampNanos)
    {
        if (s.state == START && !s.partial)
        {
            if (!s.requests && s.tx == null && c.cursor < c.tail && c.at(c.cursor).http09)
            {
                // The answer to an HTTP/0.9 request: a bare body, up to the close.
                s.lineStartNanos = timestampNanos;
                pairing.pairResponse(c, s);
                bodies.begin(s, BODY_CLOSE, 0);
                return pos;
            }
            if (!c.confirmed && (c.probing || !s.requests) && !HttpDetector.startsPlausibly(buffer.getByte(pos), s.requests))
            {
                // Not a request or status line where one must begin: this connection is not HTTP. (On
                // an HTTP port a client's garbage is a bad request; its server's answer decides.)
                detector.notHttp(c);
                return end;
            }
        }
        final long scan = HttpChars.scanLine(buffer, pos, end);
        final int newline = HttpChars.newline(scan);
        if (newline < 0)
        {
            appendPartial(s, buffer, pos, end - pos, timestampNanos);
            if (s.state == START && s.lineOverflow && !s.lineLost)
            {
                overlongStartLine(c, s);
            }
            else if (s.state == SYNC && !c.confirmed && c.probing)
            {
                detector.probe(c, s, end - pos);
            }
            return end;
        }
        if (!s.partial)
        {
            s.lineStartNanos = timestampNanos;
            int lineEnd = newline;
            if (lineEnd > pos && HttpChars.byteAt(buffer, lineEnd - 1) == '\r')
            {
                lineEnd--;
            }
            final int lineLength = lineEnd - pos;
            final boolean overflow = lineLength > maxLine;
            onLine(c, s, buffer, pos, overflow ? maxLine : lineLength, overflow, newline + 1 - pos,
                HttpChars.colon(scan), timestampNanos);
        }
        else
        {
            appendPartial(s, buffer, pos, newline - pos, timestampNanos);
            if (s.lineLost)
            {
                final long wire = s.lineWireBytes + 1;
                pools.dropLine(s);
                lostLine(c, s, wire, timestampNanos);
                return newline + 1;
            }
            final UnsafeBuffer lineBuffer = s.line;
            int lineLength = s.lineLength;
            boolean overflow = s.lineOverflow;
            if (lineLength > 0 && lineBuffer != null && lineBuffer.getByte(lineLength - 1) == '\r')
            {
                lineLength--;
            }
            if (lineLength > maxLine)
            {
                overflow = true;
                lineLength = maxLine;
            }
            final long wire = s.lineWireBytes + 1;
            s.partial = false;
            s.line = null;
            s.lineLength = 0;
            s.lineOverflow = false;
            s.lineWireBytes = 0;
            onLine(c, s, lineBuffer != null ? lineBuffer : EMPTY, 0, lineBuffer != null ? lineLength : 0, overflow,
                wire, HeaderFieldParser.UNKNOWN_COLON, timestampNanos);
            if (lineBuffer != null)
            {
                pools.releaseLine(lineBuffer);
            }
        }
        if (s.state == SYNC && !c.confirmed && c.probing)
        {
            detector.probe(c, s, newline + 1 - pos);
        }
        return newline + 1;
    }

    /**
     * A line whose content could not be kept (every line buffer was in use) has ended, after
     * {@code wireBytes} bytes: what it must have been is reported, tagged {@code decoder_overload},
     * rather than the message lost. A line of at most one byte before its newline was empty.
     */
    private void lostLine(final HttpConnection c, final HttpStream s, final long wireBytes, final long timestampNanos)
    {
        if (wireBytes <= 2)
        {
            onLine(c, s, EMPTY, 0, 0, false, wireBytes, HeaderFieldParser.UNKNOWN_COLON, timestampNanos);
            return;
        }
        switch (s.state)
        {
            case START ->
            {
                // A request or status line: its message is decoded on from its headers.
                final HttpTransaction tx;
                if (s.requests)
                {
                    tx = pairing.newRequest(c, s);
                }
                else if (s.tx != null)
                {
                    // The final response after an interim one: same transaction.
                    tx = s.tx;
                    tx.resetResponseFields();
                    tx.finalResponseStartNanos = s.lineStartNanos;
                    s.startMessage();
                }
                else
                {
                    tx = pairing.pairResponse(c, s);
                }
                tx.tags |= Tags.DECODER_OVERLOAD;
                tx.statusLost = !s.requests;
                s.addWireBytes(wireBytes);
                s.state = HEADERS;
            }
            case HEADERS, TRAILERS ->
            {
                s.addWireBytes(wireBytes);
                s.headerBytes += (int)Math.min(wireBytes, Integer.MAX_VALUE);
                s.headerFields++;
                s.tx.tags |= Tags.DECODER_OVERLOAD;
            }
            case CHUNK_SIZE, CHUNK_END ->
            {
                s.addWireBytes(wireBytes);
                s.tx.tags |= Tags.DECODER_OVERLOAD;
                parseError(c, s, timestampNanos);
            }
            default ->
            {
                // Searching for a start line: a lost one cannot be told from any other line.
            }
        }
    }

    /**
     * A start line broke the length limit before its end was seen: it is decided now, with what
     * the limit kept of it, not at a newline that may never come; the rest of it is skipped.
     */
    private void overlongStartLine(final HttpConnection c, final HttpStream s)
    {
        final UnsafeBuffer lineBuffer = s.line;
        final long wire = s.lineWireBytes;
        s.line = null;
        s.lineLength = Math.min(s.lineLength, maxLine);
        s.lineWireBytes = 0;
        startLine(c, s, lineBuffer != null ? lineBuffer : EMPTY, 0, lineBuffer != null ? s.lineLength : 0, true, wire, false);
        if (lineBuffer != null)
        {
            pools.releaseLine(lineBuffer);
        }
        s.lineLength = 0;
    }

    /**
     * The header fields of a message that lie whole in this segment, one after another: what
     * {@link #line} and {@link #onLine} do for them, without going back through the state switch
     * for every field. The line that ends the header block, one over the length limit and one the
     * segment cuts go to {@link #line}.
     *
     * @return where the next line starts.
     */
    private int headerLines(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int from, final int end,
        final long timestampNanos)
    {
        s.lineStartNanos = timestampNanos;
        int pos = from;
        while (pos < end)
        {
            final long scan = HttpChars.scanLine(buffer, pos, end);
            final int newline = HttpChars.newline(scan);
            int lineEnd = newline;
            if (lineEnd > pos && HttpChars.byteAt(buffer, lineEnd - 1) == '\r')
            {
                lineEnd--;
            }
            if (newline < 0)
            {
                // The segment ends inside the line: what line() does with it, without scanning it again.
                s.addWireBytes(pos - from);
                appendPartial(s, buffer, pos, end - pos, timestampNanos);
                return end;
            }
            final int length = lineEnd - pos;
            if (length == 0)
            {
                // The end of the header block: what line() and onLine() do with it.
                s.addWireBytes(newline + 1 - from);
                headersComplete(c, s, timestampNanos);
                return newline + 1;
            }
            if (length > maxLine)
            {
                s.addWireBytes(pos - from);
                return line(c, s, buffer, pos, end, timestampNanos);
            }
            final int colon = HttpChars.colon(scan);
            if (colon <= pos || HttpChars.isSpace(HttpChars.byteAt(buffer, pos)) ||
                HttpChars.isSpace(HttpChars.byteAt(buffer, colon - 1)))
            {
                // Folded, without a name, or with whitespace before the colon.
                fields.header(s, buffer, pos, length, false, colon, end);
            }
            else
            {
                // What header() does for a plain "name: value" line, here so that it does not
                // depend on the compiler inlining header().
                s.headerBytes += length;
                s.headerFields++;
                final int nameLength = colon - pos;
                final long first = HeaderNames.firstWord(buffer, pos, nameLength, end);
                final long second = HeaderNames.secondWord(buffer, pos, nameLength, end);
                final int name = fields.names.lookup(first, second, buffer, pos, nameLength, end);
                final boolean overLimits =
                    s.headerFields > config.maxHeaders() || s.headerBytes > config.maxHeaderBytes();
                if (name == HeaderNames.SELECTED && !overLimits)
                {
                    // Kept, and neither read nor redacted (most fields when all are kept): field()'s
                    // path for it, here for the same reason.
                    final int valueStart = HeaderFieldParser.valueStart(buffer, colon + 1, lineEnd, end);
                    final int valueEnd = HeaderFieldParser.valueEnd(buffer, valueStart, lineEnd);
                    if (s.tx.keepField(s.requests ? 0 : 1, buffer, pos, nameLength, first, second, valueStart,
                        valueEnd - valueStart, end) < 0)
                    {
                        s.tx.tags |= Tags.HEADERS_TRUNCATED;
                    }
                }
                else if ((name & ~HeaderNames.SENSITIVE) != 0)
                {
                    fields.field(s, s.tx, buffer, pos, nameLength, first, second, colon + 1, lineEnd, end, name, overLimits);
                }
                else if (overLimits)
                {
                    s.tx.tags |= Tags.HEADERS_TRUNCATED;
                }
            }
            pos = newline + 1;
        }
        s.addWireBytes(pos - from);
        return pos;
    }

    private void appendPartial(
        final HttpStream s, final DirectBuffer buffer, final int offset, final int length, final long timestampNanos)
    {
        if (!s.partial)
        {
            pools.dropLine(s);
            s.partial = true;
            s.lineStartNanos = timestampNanos;
        }
        s.lineWireBytes += length;
        if (s.lineOverflow || length == 0)
        {
            return;
        }
        final int room = maxLine + 1 - s.lineLength;
        final int n = Math.min(room, length);
        if (s.line == null)
        {
            s.line = pools.borrowLine();
        }
        if (s.line == null || (s.lineLength + n > s.line.capacity() && !pools.growLine(s.line, s.lineLength, s.lineLength + n)))
        {
            // Every line buffer is in use: the line's bytes are counted, its content is lost.
            counters.increment(HttpCounters.Name.LINE_BUFFERS_EXHAUSTED);
            final long wire = s.lineWireBytes;
            pools.dropLine(s);
            s.lineWireBytes = wire;
            s.partial = true;
            s.lineOverflow = true;
            s.lineLost = true;
            return;
        }
        s.line.putBytes(s.lineLength, buffer, offset, n);
        s.lineLength += n;
        if (n < length)
        {
            s.lineOverflow = true;
        }
    }


    private void onLine(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int length,
        final boolean overflow, final long wireBytes, final int colon, final long timestampNanos)
    {
        switch (s.state)
        {
            case START -> startLine(c, s, buffer, offset, length, overflow, wireBytes, false);
            case SYNC -> startLine(c, s, buffer, offset, length, overflow, wireBytes, true);
            case HEADERS ->
            {
                s.addWireBytes(wireBytes);
                if (length == 0 && !overflow)
                {
                    headersComplete(c, s, timestampNanos);
                }
                else
                {
                    // A gathered line (colon not looked for yet) lies in a line buffer, all of which
                    // may be read: the word reads past the line then need no shorter path.
                    fields.header(s, buffer, offset, length, overflow, colon,
                        colon == HeaderFieldParser.UNKNOWN_COLON ? buffer.capacity() : offset + length);
                }
            }
            case CHUNK_SIZE ->
            {
                s.addWireBytes(wireBytes);
                chunkSize(c, s, buffer, offset, length, overflow, timestampNanos);
            }
            case CHUNK_END ->
            {
                s.addWireBytes(wireBytes);
                if (length == 0 && !overflow)
                {
                    s.state = CHUNK_SIZE;
                }
                else
                {
                    parseError(c, s, timestampNanos);
                }
            }
            case TRAILERS ->
            {
                s.addWireBytes(wireBytes);
                if (length == 0 && !overflow)
                {
                    pairing.messageComplete(c, s, timestampNanos);
                }
            }
            default ->
            {
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Start lines

    private void startLine(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int length,
        final boolean overflow, final long wireBytes, final boolean syncing)
    {
        if (length == 0 && !overflow && !syncing)
        {
            return; // empty lines before a message are allowed
        }
        final boolean valid = s.requests
            ? startLines.requestLine(c, s, buffer, offset, length, overflow, wireBytes, syncing)
            : startLines.statusLine(c, s, buffer, offset, length, overflow, wireBytes, syncing);
        if (valid)
        {
            c.confirmed = true;
            return;
        }
        if (syncing)
        {
            return;
        }
        if (s.requests && (c.confirmed || !c.probing))
        {
            // Garbage where a request must start is still a request: the server will answer it
            // (typically 400), and whether it does decides whether the connection is HTTP.
            startLines.badRequestLine(c, s, buffer, offset, length, overflow, wireBytes);
            return;
        }
        if (!c.confirmed)
        {
            detector.notHttp(c);
            return;
        }
        // Bytes a server sent beyond a response are not a response, and pairing them would shift
        // every later pair: look for the next status line.
        counters.increment(HttpCounters.Name.PARSE_ERRORS);
        counters.increment(HttpCounters.Name.RESYNCS);
        s.resynced = true;
        s.state = SYNC;
    }

    private void headersComplete(final HttpConnection c, final HttpStream s, final long timestampNanos)
    {
        final HttpTransaction tx = s.tx;
        if (s.requests)
        {
            tx.upgradeRequested = s.upgrade;
            tx.websocketRequested = s.upgrade && s.websocket;
            if (s.badLength || (s.otherCoding && !s.chunked))
            {
                parseError(c, s, timestampNanos);
            }
            else if (s.chunked)
            {
                bodies.begin(s, CHUNK_SIZE, 0);
            }
            else if (s.contentLength > 0)
            {
                bodies.begin(s, BODY_LENGTH, s.contentLength);
            }
            else
            {
                pairing.messageComplete(c, s, timestampNanos);
            }
            return;
        }

        final int status = tx.status;
        if (status < 200 && status != 101 && !tx.statusLost)
        {
            // Interim (100 Continue, 103 Early Hints): the final response follows, for the same request.
            tx.infoCode = status;
            tx.status = 0;
            s.state = START;
            return;
        }
        final HttpStream client = c.streams[0];
        final boolean tunnel = status == 101 || (tx.methodKind == HttpTransaction.METHOD_CONNECT && status < 300);
        if (tunnel)
        {
            pools.dropLine(client);
            final boolean websocket = status == 101 && tx.websocketRequested;
            if (websocket)
            {
                counters.increment(HttpCounters.Name.WEBSOCKET_UPGRADES);
                startWebSocket(client, s, tx.depth);
                startWebSocket(s, s, tx.depth);
            }
            else
            {
                client.state = OPAQUE;
            }
            pairing.messageComplete(c, s, timestampNanos);
            s.state = websocket ? WEBSOCKET : OPAQUE;
            return;
        }
        if (client.state == WAIT)
        {
            client.state = START; // the upgrade was refused: the client goes on with HTTP
        }
        else if (client.state == OPAQUE && client.tx == null)
        {
            client.state = SYNC;
        }
        if (tx.methodKind == HttpTransaction.METHOD_HEAD || status == 204 || status == 304)
        {
            pairing.messageComplete(c, s, timestampNanos);
        }
        else if (s.badLength)
        {
            tx.tags |= Tags.PARSE_ERROR;
            counters.increment(HttpCounters.Name.PARSE_ERRORS);
            bodies.begin(s, BODY_CLOSE, 0);
        }
        else if (s.chunked)
        {
            bodies.begin(s, CHUNK_SIZE, 0);
        }
        else if (s.otherCoding || s.contentLength < 0)
        {
            bodies.begin(s, BODY_CLOSE, 0);
        }
        else if (s.contentLength > 0)
        {
            bodies.begin(s, BODY_LENGTH, s.contentLength);
        }
        else
        {
            pairing.messageComplete(c, s, timestampNanos);
        }
    }

    private void chunkSize(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int length,
        final boolean overflow, final long timestampNanos)
    {
        long size = 0;
        int i = offset;
        final int end = offset + length;
        while (i < end)
        {
            final int digit = HttpChars.hexValue(HttpChars.byteAt(buffer, i));
            if (digit < 0)
            {
                break;
            }
            size = (size << 4) | digit;
            i++;
        }
        final int digits = i - offset;
        // After the size: optional whitespace and chunk extensions (";name=value"), ignored.
        while (i < end && HttpChars.isSpace(HttpChars.byteAt(buffer, i)))
        {
            i++;
        }
        if (overflow || digits == 0 || digits > 15 || (i < end && HttpChars.byteAt(buffer, i) != ';'))
        {
            parseError(c, s, timestampNanos);
            return;
        }
        if (size == 0)
        {
            s.state = TRAILERS;
        }
        else
        {
            s.remaining = size;
            s.state = CHUNK_DATA;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Bodies

    private void parseError(final HttpConnection c, final HttpStream s, final long timestampNanos)
    {
        s.tx.tags |= Tags.PARSE_ERROR;
        counters.increment(HttpCounters.Name.PARSE_ERRORS);
        counters.increment(HttpCounters.Name.RESYNCS);
        pairing.abandonMessage(c, s, timestampNanos);
        s.state = SYNC;
    }

    /**
     * A side of the connection is over. {@code endUnseen}: the side did not close with a FIN (a reset, or
     * the connection's record ends — timeout, eviction, port reuse, end of the capture — before its
     * close was seen), so a body delimited by the close may have been longer than what was seen.
     */
    void endStream(final HttpConnection c, final HttpStream s, final boolean endUnseen, final long timestampNanos)
    {
        if (s.state == WEBSOCKET)
        {
            s.ws.end(pairing, Tags.INCOMPLETE, timestampNanos);
        }
        final HttpTransaction tx = s.tx;
        if (tx != null)
        {
            if (s.state == BODY_CLOSE)
            {
                if (endUnseen)
                {
                    tx.tags |= Tags.INCOMPLETE;
                    tx.responseCut = true;
                }
                pairing.messageComplete(c, s, tx.responseEndNanos);
            }
            else
            {
                tx.tags |= Tags.INCOMPLETE;
                tx.cut(s.requests);
                if (!s.requests && tx.status == 0 && !tx.statusLost)
                {
                    pairing.noResponse(tx);
                }
                pairing.messageComplete(c, s, s.requests ? tx.requestEndNanos : tx.responseEndNanos);
            }
        }
        pools.dropLine(s);
        s.state = OPAQUE;
    }

    private void startWebSocket(final HttpStream stream, final HttpStream server, final int depth)
    {
        if (stream.ws == null)
        {
            stream.ws = new WebSocketStream(stream.requests ? TcpFlow.FROM_CLIENT : TcpFlow.FROM_SERVER);
        }
        final boolean noContextTakeover = stream.requests ? server.wsClientNoContextTakeover : server.wsServerNoContextTakeover;
        stream.ws.reset(config.wsPayloadBytes(), server.wsDeflate, noContextTakeover, depth);
        stream.state = WEBSOCKET;
    }
}
