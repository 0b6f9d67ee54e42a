package dev.httpcap.decoders.http;

import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.decoders.websocket.WebSocketStream;

/** Parser state of one direction of one connection: where in a message it is, and the partial line it holds. */
final class HttpStream
{
    /** Expecting a start line (empty lines before it are skipped). */
    static final int START = 0;
    /** Lost: skipping lines until one is a plausible start line. */
    static final int SYNC = 1;
    static final int HEADERS = 2;
    static final int BODY_LENGTH = 3;
    static final int CHUNK_SIZE = 4;
    static final int CHUNK_DATA = 5;
    static final int CHUNK_END = 6;
    static final int TRAILERS = 7;
    /** A response body that ends with the connection. */
    static final int BODY_CLOSE = 8;
    /** After CONNECT or an upgrade: the bytes are not HTTP. */
    static final int OPAQUE = 9;
    /** The client sent CONNECT or Upgrade and waits for the server's answer. */
    static final int WAIT = 10;
    /** After a 101 answering a WebSocket upgrade: frames, parsed by {@link #ws}. */
    static final int WEBSOCKET = 11;

    final boolean requests;
    int state;

    /** A line that spans segments: its bytes so far (null when no buffer was free), and whether it broke the limit. */
    boolean partial;
    UnsafeBuffer line;
    int lineLength;
    boolean lineOverflow;
    /** The partial line could not be kept: every line buffer was in use (its bytes are counted, not held). */
    boolean lineLost;
    long lineWireBytes;
    long lineStartNanos;

    /** The transaction the message in progress belongs to, or null between messages. */
    HttpTransaction tx;
    long remaining;
    int headerBytes;
    int headerFields;
    long contentLength;
    boolean badLength;
    boolean chunked;
    boolean otherCoding;
    boolean connectionUpgrade;
    boolean upgrade;
    boolean websocket;
    boolean bodyCapture;
    int bodyCaptured;
    int bodyCaptureLimit;

    /** Lost bytes since the last message: the next response may not answer the oldest request. */
    boolean resynced;
    /** The resync in {@link #resynced} followed lost bytes (not only a message that would not parse). */
    boolean lostSinceResync;
    /** Capture time of this direction's latest segment decoded ({@code Long.MIN_VALUE} before the first). */
    long lastDataNanos;
    /**
     * The latest loss that broke a message: between the last segment before it and the one after
     * (both 0 when none).
     */
    long lostFromNanos;
    long lostToNanos;
    long probed;
    long opaqueBytes;
    /** permessage-deflate was negotiated by the 101 (read from the server's headers), per direction. */
    boolean wsDeflate;
    boolean wsClientNoContextTakeover;
    boolean wsServerNoContextTakeover;
    /** The frame parser once upgraded; kept with the pooled connection. */
    WebSocketStream ws;

    HttpStream(final boolean requests)
    {
        this.requests = requests;
    }

    void reset(final int initialState)
    {
        state = initialState;
        partial = false;
        line = null;
        lineLength = 0;
        lineOverflow = false;
        lineLost = false;
        lineWireBytes = 0;
        lineStartNanos = 0;
        tx = null;
        remaining = 0;
        resynced = false;
        lostSinceResync = false;
        lastDataNanos = Long.MIN_VALUE;
        lostFromNanos = lostToNanos = 0;
        probed = 0;
        opaqueBytes = 0;
        wsDeflate = wsClientNoContextTakeover = wsServerNoContextTakeover = false;
        startMessage();
    }

    /** Counts {@code bytes} of the stream to the message in progress, if there is one. */
    void addWireBytes(final long bytes)
    {
        if (tx != null)
        {
            if (requests)
            {
                tx.requestBytes += bytes;
            }
            else
            {
                tx.responseBytes += bytes;
            }
        }
    }

    void startMessage()
    {
        headerBytes = 0;
        headerFields = 0;
        contentLength = -1;
        badLength = false;
        chunked = false;
        otherCoding = false;
        connectionUpgrade = false;
        upgrade = false;
        websocket = false;
        bodyCapture = false;
        bodyCaptured = 0;
        bodyCaptureLimit = 0;
    }
}
