package dev.httpcap.decoders.http;

import java.util.zip.Inflater;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.decoders.tcp.StreamListener;
import dev.httpcap.decoders.tcp.TcpFlow;

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
import static dev.httpcap.decoders.http.HttpTransaction.TAG_BODY_TRUNCATED;
import static dev.httpcap.decoders.http.HttpTransaction.TAG_GAP;
import static dev.httpcap.decoders.http.HttpTransaction.TAG_HEADERS_TRUNCATED;
import static dev.httpcap.decoders.http.HttpTransaction.TAG_INCOMPLETE;
import static dev.httpcap.decoders.http.HttpTransaction.TAG_MIDSTREAM;
import static dev.httpcap.decoders.http.HttpTransaction.TAG_NO_REQUEST;
import static dev.httpcap.decoders.http.HttpTransaction.TAG_NO_RESPONSE;
import static dev.httpcap.decoders.http.HttpTransaction.TAG_PARSE_ERROR;

/**
 * HTTP/1.x over the reassembled streams of one worker's connections: a resumable parser per
 * direction (an explicit state machine that stops when a segment runs out and resumes with the
 * next), and the pairing of requests with responses, in order, into {@link HttpTransaction}s.
 * <p>
 * Zero-copy where a line lies inside one segment; a line that spans segments is gathered in a
 * pooled buffer of {@link HttpConfig#maxLineBytes()}. Everything an event needs is copied into the
 * transaction's bounded store. Nothing throws on input: a broken message is tagged, and the
 * parser finds the next plausible start line. All pools grow while the worker warms up, then
 * recycle; their sizes are bounded by the configuration.
 * <p>
 * Single-threaded: one instance per worker.
 */
public final class HttpDecoder implements StreamListener
{
    private static final Object NOT_HTTP = new Object();
    private static final UnsafeBuffer EMPTY = new UnsafeBuffer(new byte[0]);
    private static final byte[] GET = {'G', 'E', 'T'};
    private static final byte[] HEAD = {'H', 'E', 'A', 'D'};
    private static final byte[] POST = {'P', 'O', 'S', 'T'};
    private static final byte[] CONNECT = {'C', 'O', 'N', 'N', 'E', 'C', 'T'};
    private static final byte[] UPGRADE = ascii("upgrade");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] WEBSOCKET_TOKEN = ascii("websocket");
    private static final byte[] PERMESSAGE_DEFLATE = ascii("permessage-deflate");
    private static final byte[] CLIENT_NO_CONTEXT_TAKEOVER = ascii("client_no_context_takeover");
    private static final byte[] SERVER_NO_CONTEXT_TAKEOVER = ascii("server_no_context_takeover");
    private static final int INFLATER_SCRATCH = 16 * 1024;
    private static final int MAX_METHOD = 32;
    /** "HTTP/1." as a little-endian word (seven bytes). */
    private static final long HTTP_1_DOT = 0x2E312F50545448L;
    private static final int UNKNOWN_COLON = -2;

    private final HttpConfig config;
    private final HttpEventListener listener;
    private final int maxLine;
    private final HeaderNames names;

    private HttpConnection[] freeConnections = new HttpConnection[64];
    private int freeConnectionCount;
    private HttpTransaction[] freeTransactions = new HttpTransaction[64];
    private int freeTransactionCount;
    private int transactionsAllocated;
    private UnsafeBuffer[] freeLines = new UnsafeBuffer[64];
    private int freeLineCount;
    private int linesAllocated;
    /** Stands in for a transaction when the pool is exhausted: parsed for framing, never emitted. */
    private final HttpTransaction untracked;

    private TcpFlow flow;

    private Inflater[] freeInflaters = new Inflater[16];
    private int freeInflaterCount;
    private int inflatersAllocated;
    private final byte[] inflaterInput = new byte[INFLATER_SCRATCH];
    private final byte[] inflaterOutput = new byte[INFLATER_SCRATCH];
    private long webSocketUpgrades;
    private long webSocketMessages;
    private long webSocketParseErrors;
    private long webSocketGaps;
    private long webSocketInflatersExhausted;

    private long connections;
    private long notHttp;
    private long requests;
    private long responses;
    private long emitted;
    private long orphanResponses;
    private long noResponse;
    private long parseErrors;
    private long resyncs;
    private long lineBuffersExhausted;
    private long transactionsExhausted;
    private long pipelineOverflows;

    public HttpDecoder(final HttpConfig config, final HttpEventListener listener)
    {
        this.config = config;
        this.listener = listener;
        this.maxLine = config.maxLineBytes();
        this.names = new HeaderNames(config.headers());
        this.untracked = new HttpTransaction(config.transactionStoreBytes(), config.maxHeaders());
    }

    @Override
    public void onData(
        final TcpFlow flow, final int direction, final DirectBuffer buffer, final int offset, final int length,
        final long timestampNanos)
    {
        // Checked once here: the line and header code below reads without per-access checks, and
        // only inside [offset, offset + length).
        if (offset < 0 || length < 0 || (long)offset + length > buffer.capacity())
        {
            throw new IndexOutOfBoundsException(
                "segment [" + offset + ", " + offset + " + " + length + ") outside buffer of " + buffer.capacity());
        }
        final HttpConnection c = connection(flow, buffer, offset, length, direction);
        if (c == null)
        {
            return;
        }
        this.flow = flow;
        final HttpStream s = c.streams[direction];
        int pos = offset;
        final int end = offset + length;
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
                    body(s, buffer, pos, n);
                    pos += n;
                    s.remaining -= n;
                    if (s.remaining == 0)
                    {
                        messageComplete(c, s, timestampNanos);
                    }
                }
                case CHUNK_DATA ->
                {
                    final int n = (int)Math.min(s.remaining, end - pos);
                    body(s, buffer, pos, n);
                    pos += n;
                    s.remaining -= n;
                    if (s.remaining == 0)
                    {
                        s.state = CHUNK_END;
                    }
                }
                case BODY_CLOSE ->
                {
                    body(s, buffer, pos, end - pos);
                    s.tx.responseEndNanos = timestampNanos;
                    pos = end;
                }
                case WEBSOCKET -> pos = s.ws.consume(this, buffer, pos, end, timestampNanos);
                case WAIT ->
                {
                    // The client spoke before the server answered its CONNECT or Upgrade: another
                    // request means the upgrade was not waited for; anything else is the new protocol.
                    s.state = looksLikeRequest(buffer, pos, end) ? START : OPAQUE;
                }
                default ->
                {
                    s.opaqueBytes += end - pos;
                    pos = end;
                }
            }
        }
    }

    @Override
    public void onGap(final TcpFlow flow, final int direction, final long length, final long timestampNanos)
    {
        final Object attachment = flow.attachment();
        if (!(attachment instanceof HttpConnection c))
        {
            if (attachment == null && config.isHttpPort(flow.serverPort()))
            {
                // Lost before the first byte: decode from the next plausible start line.
                final HttpConnection fresh = acquireConnection(flow, flow.isMidstream(), false);
                fresh.streams[direction].state = SYNC;
                fresh.streams[direction].resynced = true;
                if (direction == TcpFlow.FROM_CLIENT)
                {
                    fresh.clientLost = true;
                }
            }
            return;
        }
        this.flow = flow;
        final HttpStream s = c.streams[direction];
        final HttpTransaction tx = s.tx;
        switch (s.state)
        {
            case BODY_LENGTH, CHUNK_DATA ->
            {
                if (length <= s.remaining)
                {
                    tx.tags |= TAG_GAP;
                    bodyLost(s, length);
                    s.remaining -= length;
                    if (s.remaining == 0)
                    {
                        if (s.state == BODY_LENGTH)
                        {
                            messageComplete(c, s, timestampNanos);
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
                tx.tags |= TAG_GAP;
                bodyLost(s, length);
                return;
            }
            case OPAQUE, WAIT ->
            {
                s.opaqueBytes += length;
                return;
            }
            case WEBSOCKET ->
            {
                s.ws.onGap(this, length, timestampNanos);
                return;
            }
            default ->
            {
            }
        }
        // The gap swallowed message boundaries: give up on the message in progress and look for
        // the next start line.
        dropLine(s);
        if (direction == TcpFlow.FROM_CLIENT)
        {
            c.clientLost = true;
        }
        resyncs++;
        s.resynced = true;
        if (tx != null)
        {
            tx.tags |= TAG_GAP;
            abandonMessage(c, s, timestampNanos);
        }
        s.state = SYNC;
    }

    @Override
    public void onEnd(final TcpFlow flow, final int direction, final boolean reset, final long timestampNanos)
    {
        if (flow.attachment() instanceof HttpConnection c)
        {
            this.flow = flow;
            endStream(c, c.streams[direction], reset, timestampNanos);
        }
    }

    /**
     * The connection is over (its record is about to be written): emit every transaction it still
     * holds, in order, and release its state. Call after the reassembler's {@code onFlowEnd}.
     */
    public void onFlowEnd(final TcpFlow flow)
    {
        final Object attachment = flow.attachment();
        if (!(attachment instanceof HttpConnection c))
        {
            flow.attachment(null);
            return;
        }
        this.flow = flow;
        endStream(c, c.streams[0], false, flow.lastNanos());
        endStream(c, c.streams[1], false, flow.lastNanos());
        while (c.head < c.tail)
        {
            final HttpTransaction tx = c.pop();
            if (!tx.requestDone)
            {
                tx.tags |= TAG_INCOMPLETE;
                tx.requestDone = true;
            }
            if (!tx.responseDone || tx.status == 0)
            {
                noResponse(tx);
            }
            emit(tx);
        }
        releaseConnection(c);
        flow.attachment(null);
    }

    // ---------------------------------------------------------------------------------------------
    // Lines

    private int line(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int pos, final int end,
        final long timestampNanos)
    {
        if (!c.confirmed && !s.partial && (s.state == START) && !startsPlausibly(buffer.getByte(pos), s.requests))
        {
            // Not a request or status line where one must begin: this connection is not HTTP.
            notHttp(c);
            return end;
        }
        final long scan = HttpChars.scanLine(buffer, pos, end);
        final int newline = HttpChars.newline(scan);
        if (newline < 0)
        {
            appendPartial(s, buffer, pos, end - pos, timestampNanos);
            if (s.state == SYNC && !c.confirmed && c.probing)
            {
                probe(c, s, end - pos);
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
                wire, UNKNOWN_COLON, timestampNanos);
            if (lineBuffer != null)
            {
                releaseLine(lineBuffer);
            }
        }
        if (s.state == SYNC && !c.confirmed && c.probing)
        {
            probe(c, s, newline + 1 - pos);
        }
        return newline + 1;
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
                addWireBytes(s, pos - from);
                appendPartial(s, buffer, pos, end - pos, timestampNanos);
                return end;
            }
            final int length = lineEnd - pos;
            if (length == 0)
            {
                // The end of the header block: what line() and onLine() do with it.
                addWireBytes(s, newline + 1 - from);
                headersComplete(c, s, timestampNanos);
                return newline + 1;
            }
            if (length > maxLine)
            {
                addWireBytes(s, pos - from);
                return line(c, s, buffer, pos, end, timestampNanos);
            }
            final int colon = HttpChars.colon(scan);
            if (colon <= pos || HttpChars.isSpace(HttpChars.byteAt(buffer, pos)) ||
                HttpChars.isSpace(HttpChars.byteAt(buffer, colon - 1)))
            {
                // Folded, without a name, or with whitespace before the colon.
                header(s, buffer, pos, length, false, colon, end);
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
                final int name = names.lookup(first, second, buffer, pos, nameLength, end);
                final boolean overLimits =
                    s.headerFields > config.maxHeaders() || s.headerBytes > config.maxHeaderBytes();
                if (name == HeaderNames.SELECTED && !overLimits)
                {
                    // Kept, and neither read nor redacted (most fields when all are kept): field()'s
                    // path for it, here for the same reason.
                    final int valueStart = valueStart(buffer, colon + 1, lineEnd, end);
                    final int valueEnd = valueEnd(buffer, valueStart, lineEnd);
                    if (s.tx.keepField(s.requests ? 0 : 1, buffer, pos, nameLength, first, second, valueStart,
                        valueEnd - valueStart, end) < 0)
                    {
                        s.tx.tags |= TAG_HEADERS_TRUNCATED;
                    }
                }
                else if ((name & ~HeaderNames.SENSITIVE) != 0)
                {
                    field(s, s.tx, buffer, pos, nameLength, first, second, colon + 1, lineEnd, end, name, overLimits);
                }
                else if (overLimits)
                {
                    s.tx.tags |= TAG_HEADERS_TRUNCATED;
                }
            }
            pos = newline + 1;
        }
        addWireBytes(s, pos - from);
        return pos;
    }

    private void appendPartial(
        final HttpStream s, final DirectBuffer buffer, final int offset, final int length, final long timestampNanos)
    {
        if (!s.partial)
        {
            s.partial = true;
            s.lineStartNanos = timestampNanos;
            s.lineLength = 0;
            s.lineOverflow = false;
            s.lineWireBytes = 0;
            s.line = null;
        }
        s.lineWireBytes += length;
        if (s.lineOverflow || length == 0)
        {
            return;
        }
        if (s.line == null)
        {
            s.line = borrowLine();
            if (s.line == null)
            {
                lineBuffersExhausted++;
                s.lineOverflow = true;
                return;
            }
        }
        final int room = maxLine + 1 - s.lineLength;
        final int n = Math.min(room, length);
        s.line.putBytes(s.lineLength, buffer, offset, n);
        s.lineLength += n;
        if (n < length)
        {
            s.lineOverflow = true;
        }
    }

    private void dropLine(final HttpStream s)
    {
        if (s.line != null)
        {
            releaseLine(s.line);
        }
        s.partial = false;
        s.line = null;
        s.lineLength = 0;
        s.lineOverflow = false;
        s.lineWireBytes = 0;
    }

    /** @param colon where the line's first ':' is, -1 if it has none, {@link #UNKNOWN_COLON} if not looked for. */
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
                addWireBytes(s, wireBytes);
                if (length == 0 && !overflow)
                {
                    headersComplete(c, s, timestampNanos);
                }
                else
                {
                    // A gathered line (colon not looked for yet) lies in a line buffer, all of which
                    // may be read: the word reads past the line then need no shorter path.
                    header(s, buffer, offset, length, overflow, colon,
                        colon == UNKNOWN_COLON ? buffer.capacity() : offset + length);
                }
            }
            case CHUNK_SIZE ->
            {
                addWireBytes(s, wireBytes);
                chunkSize(c, s, buffer, offset, length, overflow, timestampNanos);
            }
            case CHUNK_END ->
            {
                addWireBytes(s, wireBytes);
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
                addWireBytes(s, wireBytes);
                if (length == 0 && !overflow)
                {
                    messageComplete(c, s, timestampNanos);
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
            ? requestLine(c, s, buffer, offset, length, overflow, wireBytes, syncing)
            : statusLine(c, s, buffer, offset, length, overflow, wireBytes, syncing);
        if (valid)
        {
            c.confirmed = true;
            return;
        }
        if (syncing)
        {
            return;
        }
        if (!c.confirmed)
        {
            notHttp(c);
            return;
        }
        // Garbage where a message must start: look for the next start line. A bad request is
        // reported (the server will answer it, typically 400); bytes a server sent beyond a
        // response are not a response, and pairing them would shift every later pair.
        parseErrors++;
        resyncs++;
        if (s.requests)
        {
            final HttpTransaction tx = newRequest(c, s);
            tx.tags |= TAG_PARSE_ERROR;
            addWireBytes(s, wireBytes);
            abandonMessage(c, s, s.lineStartNanos);
        }
        else
        {
            s.resynced = true;
        }
        s.state = SYNC;
    }

    private boolean requestLine(
        final HttpConnection c, final HttpStream s, final DirectBuffer buffer, final int offset, final int length,
        final boolean overflow, final long wireBytes, final boolean strict)
    {
        final int end = offset + length;
        int i = offset;
        while (i < end && i - offset <= MAX_METHOD)
        {
            final byte b = HttpChars.byteAt(buffer, i);
            if (!HttpChars.isTokenChar(b) || (strict && (b < 'A' || b > 'Z') && b != '-' && b != '_'))
            {
                break;
            }
            i++;
        }
        final int methodLength = i - offset;
        if (methodLength == 0 || methodLength > MAX_METHOD || i >= end || HttpChars.byteAt(buffer, i) != ' ')
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
        final HttpTransaction tx = newRequest(c, s);
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
        addWireBytes(s, wireBytes);
        if (overflow)
        {
            tx.tags |= TAG_PARSE_ERROR;
            parseErrors++;
            resyncs++;
            tx.requestEndNanos = s.lineStartNanos;
            abandonMessage(c, s, s.lineStartNanos);
            s.state = SYNC;
            return true;
        }
        s.state = HEADERS;
        return true;
    }

    private HttpTransaction newRequest(final HttpConnection c, final HttpStream s)
    {
        requests++;
        if (c.full())
        {
            final HttpTransaction oldest = c.at(c.head);
            if (c.streams[1].tx == oldest)
            {
                pipelineOverflows++;
                return startMessage(s, untracked(), true);
            }
            pipelineOverflows++;
            c.pop();
            oldest.requestDone = true;
            noResponse(oldest);
            emit(oldest);
        }
        final HttpTransaction tx = acquireTransaction();
        if (tx != untracked)
        {
            if (c.cursor < c.tail && !c.streams[1].resynced)
            {
                // Sent before the previous answer began; after a loss on the server's side the
                // missing answer may simply not have been seen, so that is not evidence.
                c.pipelined = true;
            }
            c.push(tx);
            tx.queued = true;
        }
        tx.depth = ++c.depth;
        return startMessage(s, tx, true);
    }

    private HttpTransaction startMessage(final HttpStream s, final HttpTransaction tx, final boolean request)
    {
        s.tx = tx;
        s.startMessage();
        if (request)
        {
            tx.hasRequest = true;
            tx.requestStartNanos = s.lineStartNanos;
            tx.requestEndNanos = s.lineStartNanos;
        }
        else
        {
            tx.hasResponse = true;
            tx.responseStartNanos = s.lineStartNanos;
            tx.responseEndNanos = s.lineStartNanos;
        }
        return tx;
    }

    private HttpTransaction untracked()
    {
        untracked.reset();
        return untracked;
    }

    private boolean statusLine(
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
            responses++;
            tx = pairResponse(c, s);
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
        addWireBytes(s, wireBytes);
        if (overflow)
        {
            tx.tags |= TAG_PARSE_ERROR;
            parseErrors++;
            resyncs++;
            abandonMessage(c, s, s.lineStartNanos);
            s.state = SYNC;
            return true;
        }
        s.state = HEADERS;
        return true;
    }

    /** @return the transaction a response starting now answers: the oldest waiting request, or a new one without a request. */
    private HttpTransaction pairResponse(final HttpConnection c, final HttpStream s)
    {
        final long start = s.lineStartNanos;
        if (c.cursor < c.tail && c.at(c.cursor).requestStartNanos <= start)
        {
            HttpTransaction tx = c.at(c.cursor);
            if (s.resynced)
            {
                if (!c.pipelined)
                {
                    // One request at a time: the answers to older requests were lost with the gap.
                    while (c.cursor + 1 < c.tail && c.at(c.cursor + 1).requestStartNanos <= start)
                    {
                        tx.tags |= TAG_GAP;
                        noResponse(tx);
                        c.cursor++;
                        tx = c.at(c.cursor);
                    }
                    tryEmit(c);
                }
                else
                {
                    tx.tags |= TAG_GAP; // pipelined: the pairing after a loss is a guess
                }
                s.resynced = false;
            }
            return startMessage(s, tx, false);
        }
        // No request was seen for this response: before the capture, lost, or unparseable.
        orphanResponses++;
        final HttpTransaction tx = acquireTransaction();
        tx.depth = ++c.depth;
        tx.requestDone = true;
        tx.tags |= c.midstream && !c.clientLost ? TAG_MIDSTREAM : (c.clientLost || s.resynced) ? TAG_GAP : TAG_NO_REQUEST;
        s.resynced = false;
        return startMessage(s, tx, false);
    }

    // ---------------------------------------------------------------------------------------------
    // Headers

    /**
     * @param limit the end of the bytes that may be read (the segment's, or the line's when it
     * was gathered), at or after the line's end.
     */
    private void header(
        final HttpStream s, final DirectBuffer buffer, final int offset, final int length, final boolean overflow,
        final int knownColon, final int limit)
    {
        final HttpTransaction tx = s.tx;
        s.headerBytes += length;
        s.headerFields++;
        if (overflow)
        {
            tx.tags |= TAG_HEADERS_TRUNCATED;
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
            tx.tags |= TAG_PARSE_ERROR;
            parseErrors++;
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
                tx.tags |= TAG_HEADERS_TRUNCATED;
            }
            return;
        }
        field(s, tx, buffer, offset, nameLength, first, second, colon + 1, end, limit, name, overLimits);
    }

    /**
     * A field whose name the decoder reads or the selection keeps: its value trimmed, read, kept.
     * {@code first} and {@code second}: the name's first two words, lowercase (see {@link HeaderNames#firstWord}).
     */
    private void field(
        final HttpStream s, final HttpTransaction tx, final DirectBuffer buffer, final int offset, final int nameLength,
        final long first, final long second, final int afterColon, final int end, final int limit, final int name,
        final boolean overLimits)
    {
        final int valueStart = valueStart(buffer, afterColon, end, limit);
        final int valueEnd = valueEnd(buffer, valueStart, end);
        final int valueLength = valueEnd - valueStart;
        final int kind = HeaderNames.kind(name);
        final int special = kind == HeaderNames.OTHER ? -1 : known(s, kind, buffer, valueStart, valueEnd);

        if (overLimits)
        {
            tx.tags |= TAG_HEADERS_TRUNCATED;
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
            if ((name & HeaderNames.SENSITIVE) != 0 && config.redact())
            {
                redacted(tx, side, buffer, offset, nameLength, end);
            }
            else
            {
                storedValue =
                    tx.keepField(side, buffer, offset, nameLength, first, second, valueStart, valueLength, limit);
                if (storedValue < 0)
                {
                    tx.tags |= TAG_HEADERS_TRUNCATED;
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
            tx.tags |= TAG_HEADERS_TRUNCATED;
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

    /** Where the value of a field whose colon is at {@code afterColon - 1} starts: after its leading whitespace. */
    private static int valueStart(final DirectBuffer buffer, final int afterColon, final int end, final int limit)
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
    private static int valueEnd(final DirectBuffer buffer, final int valueStart, final int end)
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
                beginBody(s, CHUNK_SIZE, 0);
            }
            else if (s.contentLength > 0)
            {
                beginBody(s, BODY_LENGTH, s.contentLength);
            }
            else
            {
                messageComplete(c, s, timestampNanos);
            }
            return;
        }

        final int status = tx.status;
        if (status < 200 && status != 101)
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
            dropLine(client);
            final boolean websocket = status == 101 && tx.websocketRequested;
            if (websocket)
            {
                webSocketUpgrades++;
                startWebSocket(client, s, tx.depth);
                startWebSocket(s, s, tx.depth);
            }
            else
            {
                client.state = OPAQUE;
            }
            messageComplete(c, s, timestampNanos);
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
            messageComplete(c, s, timestampNanos);
        }
        else if (s.badLength)
        {
            tx.tags |= TAG_PARSE_ERROR;
            parseErrors++;
            beginBody(s, BODY_CLOSE, 0);
        }
        else if (s.chunked)
        {
            beginBody(s, CHUNK_SIZE, 0);
        }
        else if (s.otherCoding || s.contentLength < 0)
        {
            beginBody(s, BODY_CLOSE, 0);
        }
        else if (s.contentLength > 0)
        {
            beginBody(s, BODY_LENGTH, s.contentLength);
        }
        else
        {
            messageComplete(c, s, timestampNanos);
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

    private void beginBody(final HttpStream s, final int state, final long length)
    {
        s.state = state;
        s.remaining = length;
        final int capture = config.bodyCaptureBytes(s.tx.hasField(
            s.requests ? HttpTransaction.REQUEST_CONTENT_ENCODING : HttpTransaction.RESPONSE_CONTENT_ENCODING));
        if (capture > 0)
        {
            final int size = state == BODY_LENGTH ? (int)Math.min(capture, length) : capture;
            final HttpTransaction tx = s.tx;
            final int at = tx.reserve(size);
            if (at >= 0)
            {
                tx.setField(s.requests ? HttpTransaction.REQUEST_BODY : HttpTransaction.RESPONSE_BODY, at, 0);
                s.bodyCapture = true;
                s.bodyCaptured = 0;
                s.bodyCaptureLimit = size;
            }
        }
    }

    private void body(final HttpStream s, final DirectBuffer buffer, final int offset, final int length)
    {
        final HttpTransaction tx = s.tx;
        if (s.requests)
        {
            tx.requestBodyBytes += length;
            tx.requestBytes += length;
        }
        else
        {
            tx.responseBodyBytes += length;
            tx.responseBytes += length;
        }
        if (s.bodyCapture)
        {
            final int field = s.requests ? HttpTransaction.REQUEST_BODY : HttpTransaction.RESPONSE_BODY;
            final int n = Math.min(length, s.bodyCaptureLimit - s.bodyCaptured);
            if (n > 0)
            {
                tx.store.putBytes(tx.fieldOffset(field) + s.bodyCaptured, buffer, offset, n);
                s.bodyCaptured += n;
                tx.setField(field, tx.fieldOffset(field), s.bodyCaptured);
            }
            if (n < length)
            {
                tx.tags |= TAG_BODY_TRUNCATED;
            }
        }
    }

    private void bodyLost(final HttpStream s, final long length)
    {
        final HttpTransaction tx = s.tx;
        if (s.requests)
        {
            tx.requestBodyBytes += length;
            tx.requestBytes += length;
        }
        else
        {
            tx.responseBodyBytes += length;
            tx.responseBytes += length;
        }
        // What was captured of the body stops at the hole.
        s.bodyCaptureLimit = s.bodyCaptured;
    }

    // ---------------------------------------------------------------------------------------------
    // Message and transaction lifecycle

    private void addWireBytes(final HttpStream s, final long bytes)
    {
        final HttpTransaction tx = s.tx;
        if (tx != null)
        {
            if (s.requests)
            {
                tx.requestBytes += bytes;
            }
            else
            {
                tx.responseBytes += bytes;
            }
        }
    }

    private void parseError(final HttpConnection c, final HttpStream s, final long timestampNanos)
    {
        s.tx.tags |= TAG_PARSE_ERROR;
        parseErrors++;
        resyncs++;
        abandonMessage(c, s, timestampNanos);
        s.state = SYNC;
    }

    /** The message in progress cannot be followed to its end: finish it as it is (the caller tags why). */
    private void abandonMessage(final HttpConnection c, final HttpStream s, final long timestampNanos)
    {
        messageComplete(c, s, timestampNanos);
        s.state = SYNC;
    }

    private void messageComplete(final HttpConnection c, final HttpStream s, final long timestampNanos)
    {
        final HttpTransaction tx = s.tx;
        s.tx = null;
        s.bodyCapture = false;
        s.state = START;
        if (tx == untracked)
        {
            return;
        }
        if (s.requests)
        {
            tx.requestDone = true;
            tx.requestEndNanos = timestampNanos;
            if (tx.upgradeRequested || tx.methodKind == HttpTransaction.METHOD_CONNECT)
            {
                s.state = WAIT;
            }
            tryEmit(c);
        }
        else
        {
            tx.responseDone = true;
            tx.responseEndNanos = timestampNanos;
            if (tx.queued)
            {
                c.cursor++;
                tryEmit(c);
            }
            else
            {
                emit(tx);
            }
        }
    }

    private void endStream(final HttpConnection c, final HttpStream s, final boolean reset, final long timestampNanos)
    {
        if (s.state == WEBSOCKET)
        {
            s.ws.end(this, HttpTransaction.TAG_INCOMPLETE, timestampNanos);
        }
        final HttpTransaction tx = s.tx;
        if (tx != null)
        {
            if (s.state == BODY_CLOSE)
            {
                if (reset)
                {
                    tx.tags |= TAG_INCOMPLETE;
                }
                messageComplete(c, s, tx.responseEndNanos);
            }
            else
            {
                tx.tags |= TAG_INCOMPLETE;
                if (!s.requests && tx.status == 0)
                {
                    noResponse(tx);
                }
                messageComplete(c, s, s.requests ? tx.requestEndNanos : tx.responseEndNanos);
            }
        }
        dropLine(s);
        s.state = OPAQUE;
    }

    private void noResponse(final HttpTransaction tx)
    {
        if (!tx.hasTag(TAG_NO_RESPONSE))
        {
            noResponse++;
        }
        tx.tags |= TAG_NO_RESPONSE;
        tx.responseDone = true;
    }

    private void tryEmit(final HttpConnection c)
    {
        while (c.head < c.cursor)
        {
            final HttpTransaction tx = c.at(c.head);
            if (!tx.requestDone || !tx.responseDone)
            {
                return;
            }
            c.pop();
            emit(tx);
        }
    }

    private void emit(final HttpTransaction tx)
    {
        if (flow.attachment() instanceof HttpConnection c && c.midstream)
        {
            tx.tags |= TAG_MIDSTREAM;
        }
        if ((tx.tags & TAG_GAP) != 0)
        {
            gapTransactions++;
        }
        emitted++;
        try
        {
            listener.onTransaction(flow, tx);
        }
        finally
        {
            releaseTransaction(tx);
        }
    }

    private long gapTransactions;

    // ---------------------------------------------------------------------------------------------
    // Connections and detection

    private HttpConnection connection(
        final TcpFlow flow, final DirectBuffer buffer, final int offset, final int length, final int direction)
    {
        final Object attachment = flow.attachment();
        if (attachment instanceof HttpConnection c)
        {
            return c;
        }
        if (attachment != null)
        {
            return null;
        }
        final boolean port = config.isHttpPort(flow.serverPort());
        if (!port && !config.detectOnAnyPort())
        {
            flow.attachment(NOT_HTTP);
            notHttp++;
            return null;
        }
        if (!port && !flow.isMidstream() && length > 0 &&
            !startsPlausibly(buffer.getByte(offset), direction == TcpFlow.FROM_CLIENT))
        {
            flow.attachment(NOT_HTTP);
            notHttp++;
            return null;
        }
        return acquireConnection(flow, flow.isMidstream(), !port);
    }

    private HttpConnection acquireConnection(final TcpFlow flow, final boolean midstream, final boolean probing)
    {
        connections++;
        final HttpConnection c = freeConnectionCount > 0
            ? freeConnections[--freeConnectionCount]
            : new HttpConnection(config.maxPipelined());
        c.reset(midstream, probing);
        flow.attachment(c);
        return c;
    }

    private void probe(final HttpConnection c, final HttpStream s, final long bytes)
    {
        s.probed += bytes;
        if (s.probed > config.probeBytes())
        {
            notHttp(c);
        }
    }

    private void notHttp(final HttpConnection c)
    {
        notHttp++;
        connections--;
        for (final HttpStream s : c.streams)
        {
            if (s.tx != null && s.tx != untracked && !s.tx.queued)
            {
                releaseTransaction(s.tx);
            }
            s.tx = null;
        }
        while (c.head < c.tail)
        {
            releaseTransaction(c.pop());
        }
        releaseConnection(c);
        flow.attachment(NOT_HTTP);
    }

    private void releaseConnection(final HttpConnection c)
    {
        for (final HttpStream s : c.streams)
        {
            dropLine(s);
            s.tx = null;
            if (s.ws != null && s.ws.inflater != null)
            {
                releaseInflater(s.ws.inflater);
                s.ws.inflater = null;
            }
        }
        if (freeConnectionCount == freeConnections.length)
        {
            freeConnections = java.util.Arrays.copyOf(freeConnections, freeConnections.length * 2);
        }
        freeConnections[freeConnectionCount++] = c;
    }

    private static boolean startsPlausibly(final byte b, final boolean request)
    {
        return request ? (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || b == '\r' || b == '\n' : b == 'H';
    }

    private static boolean looksLikeRequest(final DirectBuffer buffer, final int offset, final int end)
    {
        int i = offset;
        while (i < end && i - offset <= MAX_METHOD)
        {
            final byte b = buffer.getByte(i);
            if (b == ' ')
            {
                return i > offset;
            }
            if (b < 'A' || b > 'Z')
            {
                return false;
            }
            i++;
        }
        return false;
    }

    private static boolean isHttp1(final DirectBuffer buffer, final int offset)
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

    // ---------------------------------------------------------------------------------------------
    // Pools

    private HttpTransaction acquireTransaction()
    {
        final HttpTransaction tx;
        if (freeTransactionCount > 0)
        {
            tx = freeTransactions[--freeTransactionCount];
        }
        else if (transactionsAllocated < config.maxTransactions())
        {
            transactionsAllocated++;
            tx = new HttpTransaction(config.transactionStoreBytes(), config.maxHeaders());
        }
        else
        {
            transactionsExhausted++;
            return untracked();
        }
        tx.reset();
        return tx;
    }

    private void releaseTransaction(final HttpTransaction tx)
    {
        if (tx == untracked)
        {
            return;
        }
        if (freeTransactionCount == freeTransactions.length)
        {
            freeTransactions = java.util.Arrays.copyOf(freeTransactions, freeTransactions.length * 2);
        }
        freeTransactions[freeTransactionCount++] = tx;
    }

    private UnsafeBuffer borrowLine()
    {
        if (freeLineCount > 0)
        {
            return freeLines[--freeLineCount];
        }
        if (linesAllocated < config.lineBuffers())
        {
            linesAllocated++;
            return new UnsafeBuffer(new byte[maxLine + 1]);
        }
        return null;
    }

    private void releaseLine(final UnsafeBuffer line)
    {
        if (freeLineCount == freeLines.length)
        {
            freeLines = java.util.Arrays.copyOf(freeLines, freeLines.length * 2);
        }
        freeLines[freeLineCount++] = line;
    }

    // ---------------------------------------------------------------------------------------------
    // WebSocket

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

    void emitWebSocket(final WebSocketMessage message)
    {
        if (flow.attachment() instanceof HttpConnection c && c.midstream)
        {
            message.tags |= TAG_MIDSTREAM;
        }
        webSocketMessages++;
        listener.onWebSocketMessage(flow, message);
    }

    void webSocketParseError()
    {
        webSocketParseErrors++;
    }

    void webSocketGap()
    {
        webSocketGaps++;
    }

    /** @return {@code existing}, or a decompressor from the pool, or null when the pool is used up. */
    Inflater borrowInflater(final Inflater existing)
    {
        if (existing != null)
        {
            return existing;
        }
        if (freeInflaterCount > 0)
        {
            return freeInflaters[--freeInflaterCount];
        }
        if (inflatersAllocated < config.wsInflaters())
        {
            inflatersAllocated++;
            return new Inflater(true);
        }
        webSocketInflatersExhausted++;
        return null;
    }

    private void releaseInflater(final Inflater inflater)
    {
        inflater.reset();
        if (freeInflaterCount == freeInflaters.length)
        {
            freeInflaters = java.util.Arrays.copyOf(freeInflaters, freeInflaters.length * 2);
        }
        freeInflaters[freeInflaterCount++] = inflater;
    }

    byte[] inflaterInput()
    {
        return inflaterInput;
    }

    byte[] inflaterOutput()
    {
        return inflaterOutput;
    }

    /** Release native memory held by pooled decompressors (at worker shutdown). */
    public void close()
    {
        for (int i = 0; i < freeInflaterCount; i++)
        {
            freeInflaters[i].end();
        }
        freeInflaterCount = 0;
    }

    public long webSocketUpgrades()
    {
        return webSocketUpgrades;
    }

    public long webSocketMessages()
    {
        return webSocketMessages;
    }

    public long webSocketParseErrors()
    {
        return webSocketParseErrors;
    }

    /** @return WebSocket streams given up because bytes were lost outside a payload. */
    public long webSocketGaps()
    {
        return webSocketGaps;
    }

    public long webSocketInflatersExhausted()
    {
        return webSocketInflatersExhausted;
    }

    // ---------------------------------------------------------------------------------------------
    // Counters (read after the worker has stopped, or for tests)

    /** @return connections decoded as HTTP. */
    public long connections()
    {
        return connections;
    }

    /** @return connections looked at and found not to be HTTP. */
    public long notHttp()
    {
        return notHttp;
    }

    public long requests()
    {
        return requests;
    }

    public long responses()
    {
        return responses;
    }

    /** @return transactions handed to the listener. */
    public long transactions()
    {
        return emitted;
    }

    /** @return responses with no request to pair with. */
    public long orphanResponses()
    {
        return orphanResponses;
    }

    public long noResponse()
    {
        return noResponse;
    }

    public long parseErrors()
    {
        return parseErrors;
    }

    /** @return times a direction lost its place (a gap or a grammar error) and searched for the next start line. */
    public long resyncs()
    {
        return resyncs;
    }

    /** @return transactions tagged {@code gap}. */
    public long gapTransactions()
    {
        return gapTransactions;
    }

    /** @return partial lines that could not be kept because every line buffer was in use. */
    public long lineBuffersExhausted()
    {
        return lineBuffersExhausted;
    }

    /** @return messages not tracked because every transaction was in use. */
    public long transactionsExhausted()
    {
        return transactionsExhausted;
    }

    /** @return requests reported early (no_response) because too many were outstanding on their connection. */
    public long pipelineOverflows()
    {
        return pipelineOverflows;
    }

    /** @return transactions currently held (for leak checks). */
    public int transactionsInUse()
    {
        return transactionsAllocated - freeTransactionCount;
    }

    /** @return permessage-deflate decompressors currently lent out (for leak checks). */
    public int inflatersInUse()
    {
        return inflatersAllocated - freeInflaterCount;
    }

    /** @return line buffers currently lent out (for leak checks). */
    public int lineBuffersInUse()
    {
        return linesAllocated - freeLineCount;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
