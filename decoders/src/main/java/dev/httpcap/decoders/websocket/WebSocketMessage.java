package dev.httpcap.decoders.websocket;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One WebSocket message as the decoder saw it: a data message (text or binary, its fragments
 * reassembled) or a control frame (ping, pong, close). Reused by the decoder: valid only during
 * the listener's call.
 */
public final class WebSocketMessage
{
    public static final int CONTINUATION = 0;
    public static final int TEXT = 1;
    public static final int BINARY = 2;
    public static final int CLOSE = 8;
    public static final int PING = 9;
    public static final int PONG = 10;

    final byte[] payload;
    final UnsafeBuffer payloadView;
    int direction;
    int opcode;
    /** Payload bytes on the wire, all fragments together. */
    long bytes;
    /** Payload bytes after permessage-deflate decompression (only for compressed messages). */
    long inflatedBytes;
    /** Bytes of {@link #payload} held: the first ones of the (unmasked, inflated) payload. */
    int captured;
    boolean compressed;
    /** Whether the compressed payload could be inflated (the window was intact). */
    boolean inflated;
    int closeCode;
    int frames;
    int tags;
    int transDepth;
    /** 1-based position among the messages of its direction on the connection (for {@code event.id}). */
    int number;
    long startNanos;
    long endNanos;

    WebSocketMessage(final int capacity)
    {
        payload = new byte[capacity];
        payloadView = new UnsafeBuffer(payload);
    }

    void start(final int direction, final int opcode, final long timestampNanos, final int transDepth, final int number)
    {
        this.number = number;
        this.direction = direction;
        this.opcode = opcode;
        this.bytes = 0;
        this.inflatedBytes = 0;
        this.captured = 0;
        this.compressed = false;
        this.inflated = false;
        this.closeCode = -1;
        this.frames = 0;
        this.tags = 0;
        this.transDepth = transDepth;
        this.startNanos = timestampNanos;
        this.endNanos = timestampNanos;
    }

    /** @return {@code TcpFlow.FROM_CLIENT} or {@code FROM_SERVER}: who sent the message. */
    public int direction()
    {
        return direction;
    }

    public int opcode()
    {
        return opcode;
    }

    public long bytes()
    {
        return bytes;
    }

    public boolean compressed()
    {
        return compressed;
    }

    /** @return the close status code, or -1 (not a close frame, or one without a code). */
    public int closeCode()
    {
        return closeCode;
    }

    public int tags()
    {
        return tags;
    }

    public int transDepth()
    {
        return transDepth;
    }

    /** @return the captured payload as text, allocating (tests and tools). */
    public String text()
    {
        return new String(payload, 0, captured, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** @return the captured payload bytes: the first {@link #captured()} of the (unmasked, inflated) payload. */
    public byte[] payload()
    {
        return payload;
    }

    /** @return a view over {@link #payload()}. */
    public UnsafeBuffer payloadView()
    {
        return payloadView;
    }

    /** @return bytes of {@link #payload()} held. */
    public int captured()
    {
        return captured;
    }

    /** @return the payload's bytes after permessage-deflate decompression (compressed messages only). */
    public long inflatedBytes()
    {
        return inflatedBytes;
    }

    /** @return whether a compressed payload could be inflated (its window was intact). */
    public boolean inflated()
    {
        return inflated;
    }

    /** @return the message's 1-based position among those of its direction on the connection. */
    public int number()
    {
        return number;
    }

    /** @return frames the message arrived in. */
    public int frames()
    {
        return frames;
    }

    public long startNanos()
    {
        return startNanos;
    }

    public long endNanos()
    {
        return endNanos;
    }

    /** Adds {@code moreTags} (bits of {@code Tags}) to the message's tags. */
    public void addTags(final int moreTags)
    {
        tags |= moreTags;
    }
}
