package dev.httpcap.decoders.http;

import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.agrona.DirectBuffer;

/**
 * RFC 6455 frame parser for one direction of an upgraded connection: resumable at any byte
 * (the header is gathered across segments, the payload is counted, unmasked while its first bytes
 * are copied, never buffered whole). Fragments are reassembled into one message; control frames
 * may come between them. With permessage-deflate (RFC 7692) compressed messages are inflated
 * through a per-direction {@link Inflater} that keeps the sliding window between messages.
 */
final class WebSocketStream
{
    /** Parser states. */
    static final int HEADER = 0;
    static final int PAYLOAD = 1;
    /** Stopped after a protocol error or a loss: the rest of the stream is not decoded. */
    static final int STOPPED = 2;

    private static final int CONTROL_CAPACITY = 125;
    private static final byte[] DEFLATE_TAIL = {0, 0, (byte)0xFF, (byte)0xFF};

    final int direction;
    int state;
    private final byte[] header = new byte[14];
    private int headerLength;
    private boolean fin;
    private int opcode;
    private boolean rsv1;
    private boolean masked;
    private final byte[] mask = new byte[4];
    private long payloadPosition;
    private long remaining;
    private boolean control;

    private WebSocketMessage message;
    private final WebSocketMessage controlFrame = new WebSocketMessage(CONTROL_CAPACITY);
    private boolean inMessage;
    boolean deflate;
    boolean noContextTakeover;
    Inflater inflater;
    private boolean inflaterBroken;
    int transDepth;
    private int messages;

    WebSocketStream(final int direction)
    {
        this.direction = direction;
    }

    void reset(final int capacity, final boolean deflate, final boolean noContextTakeover, final int transDepth)
    {
        if (message == null || message.payload.length != capacity)
        {
            message = new WebSocketMessage(capacity);
        }
        state = HEADER;
        headerLength = 0;
        remaining = 0;
        inMessage = false;
        this.deflate = deflate;
        this.noContextTakeover = noContextTakeover;
        this.inflaterBroken = false;
        this.transDepth = transDepth;
        this.messages = 0;
    }

    /** The stream ends (or can no longer be followed): a message in progress is emitted tagged {@code tags}. */
    void end(final HttpDecoder decoder, final int tags, final long timestampNanos)
    {
        if (state != STOPPED)
        {
            if (state == PAYLOAD && control)
            {
                controlFrame.tags |= tags;
                controlFrame.endNanos = timestampNanos;
                decoder.emitWebSocket(controlFrame);
            }
            else if (inMessage)
            {
                message.tags |= tags;
                message.endNanos = timestampNanos;
                decoder.emitWebSocket(message);
            }
        }
        state = STOPPED;
        inMessage = false;
    }

    /**
     * Lost bytes: skipped inside a data frame's payload (frame boundaries stay known; a compressed
     * message is no longer inflated, its window is broken); anything else ends the decoding of
     * this direction.
     */
    void onGap(final HttpDecoder decoder, final long length, final long timestampNanos)
    {
        if (state == PAYLOAD && !control && length <= remaining)
        {
            if (message.compressed)
            {
                inflaterBroken = true;
            }
            remaining -= length;
            payloadPosition += length;
            message.bytes += length;
            message.tags |= HttpTransaction.TAG_GAP;
            if (remaining == 0)
            {
                frameComplete(decoder, timestampNanos);
            }
            return;
        }
        decoder.webSocketGap();
        end(decoder, HttpTransaction.TAG_GAP, timestampNanos);
    }

    int consume(final HttpDecoder decoder, final DirectBuffer buffer, final int offset, final int end, final long timestampNanos)
    {
        int pos = offset;
        while (pos < end && state != STOPPED)
        {
            if (state == HEADER)
            {
                pos = header(decoder, buffer, pos, end, timestampNanos);
            }
            else
            {
                final int n = (int)Math.min(remaining, end - pos);
                payload(decoder, buffer, pos, n);
                pos += n;
                remaining -= n;
                if (remaining == 0)
                {
                    frameComplete(decoder, timestampNanos);
                }
            }
        }
        return state == STOPPED ? end : pos;
    }

    private int header(final HttpDecoder decoder, final DirectBuffer buffer, final int offset, final int end, final long timestampNanos)
    {
        int pos = offset;
        if (headerLength < 2)
        {
            while (headerLength < 2 && pos < end)
            {
                header[headerLength++] = buffer.getByte(pos++);
            }
            if (headerLength < 2)
            {
                return pos;
            }
        }
        final int b1 = header[1] & 0xFF;
        final int length7 = b1 & 0x7F;
        final int needed = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
        while (headerLength < needed && pos < end)
        {
            header[headerLength++] = buffer.getByte(pos++);
        }
        if (headerLength < needed)
        {
            return pos;
        }
        headerLength = 0;
        frameHeader(decoder, needed, timestampNanos);
        return pos;
    }

    private void frameHeader(final HttpDecoder decoder, final int headerSize, final long timestampNanos)
    {
        final int b0 = header[0] & 0xFF;
        final int b1 = header[1] & 0xFF;
        fin = (b0 & 0x80) != 0;
        rsv1 = (b0 & 0x40) != 0;
        opcode = b0 & 0x0F;
        masked = (b1 & 0x80) != 0;
        final int length7 = b1 & 0x7F;
        long length = length7;
        int i = 2;
        if (length7 == 126)
        {
            length = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
            i = 4;
        }
        else if (length7 == 127)
        {
            length = 0;
            for (int k = 0; k < 8; k++)
            {
                length = (length << 8) | (header[2 + k] & 0xFF);
            }
            i = 10;
        }
        if (masked)
        {
            System.arraycopy(header, i, mask, 0, 4);
        }
        control = opcode >= 8;

        final boolean fromClient = direction == 0;
        final boolean bad =
            (b0 & 0x30) != 0 ||                                        // RSV2, RSV3: no extension defines them here
            (opcode > 2 && opcode < 8) || opcode > 10 ||               // reserved opcodes
            masked != fromClient ||                                    // clients mask, servers do not
            length < 0 ||                                              // 64-bit length with the top bit set
            (control && (!fin || length > CONTROL_CAPACITY || rsv1)) ||
            (opcode == WebSocketMessage.CONTINUATION && (!inMessage || rsv1)) ||
            ((opcode == WebSocketMessage.TEXT || opcode == WebSocketMessage.BINARY) && inMessage) ||
            (rsv1 && !deflate);
        if (bad)
        {
            decoder.webSocketParseError();
            if (inMessage)
            {
                message.tags |= HttpTransaction.TAG_PARSE_ERROR;
                message.endNanos = timestampNanos;
                decoder.emitWebSocket(message);
                inMessage = false;
            }
            else
            {
                final WebSocketMessage m = control ? controlFrame : message;
                m.start(direction, opcode, timestampNanos, transDepth, ++messages);
                m.bytes = length;
                m.tags |= HttpTransaction.TAG_PARSE_ERROR;
                decoder.emitWebSocket(m);
            }
            state = STOPPED;
            return;
        }

        payloadPosition = 0;
        remaining = length;
        if (control)
        {
            controlFrame.start(direction, opcode, timestampNanos, transDepth, ++messages);
            controlFrame.frames = 1;
        }
        else
        {
            if (opcode != WebSocketMessage.CONTINUATION)
            {
                message.start(direction, opcode, timestampNanos, transDepth, ++messages);
                message.compressed = rsv1;
                inMessage = true;
                if (rsv1 && !inflaterBroken)
                {
                    inflater = decoder.borrowInflater(inflater);
                    message.inflated = inflater != null;
                    if (inflater != null && noContextTakeover)
                    {
                        inflater.reset();
                    }
                }
            }
            message.frames++;
        }
        state = PAYLOAD;
        if (length == 0)
        {
            frameComplete(decoder, timestampNanos);
        }
    }

    private void payload(final HttpDecoder decoder, final DirectBuffer buffer, final int offset, final int length)
    {
        if (control)
        {
            copyUnmasked(controlFrame, buffer, offset, length);
            controlFrame.bytes += length;
            return;
        }
        final WebSocketMessage m = message;
        m.bytes += length;
        if (m.compressed)
        {
            if (m.inflated && !inflaterBroken)
            {
                final byte[] scratch = decoder.inflaterInput();
                int done = 0;
                while (done < length)
                {
                    final int n = Math.min(scratch.length, length - done);
                    for (int k = 0; k < n; k++)
                    {
                        scratch[k] = unmask(buffer.getByte(offset + done + k), payloadPosition + done + k);
                    }
                    inflate(decoder, m, scratch, n);
                    done += n;
                }
            }
            payloadPosition += length;
            return;
        }
        copyUnmasked(m, buffer, offset, length);
    }

    private void copyUnmasked(final WebSocketMessage m, final DirectBuffer buffer, final int offset, final int length)
    {
        final int n = Math.min(length, m.payload.length - m.captured);
        for (int k = 0; k < n; k++)
        {
            m.payload[m.captured + k] = unmask(buffer.getByte(offset + k), payloadPosition + k);
        }
        m.captured += n;
        payloadPosition += length;
    }

    private byte unmask(final byte b, final long position)
    {
        return masked ? (byte)(b ^ mask[(int)position & 3]) : b;
    }

    private void inflate(final HttpDecoder decoder, final WebSocketMessage m, final byte[] input, final int length)
    {
        final Inflater z = inflater;
        z.setInput(input, 0, length);
        final byte[] discard = decoder.inflaterOutput();
        try
        {
            while (!z.needsInput() && !z.finished())
            {
                final int n;
                if (m.captured < m.payload.length)
                {
                    n = z.inflate(m.payload, m.captured, m.payload.length - m.captured);
                    m.captured += n;
                }
                else
                {
                    n = z.inflate(discard, 0, discard.length);
                }
                m.inflatedBytes += n;
                if (n == 0 && (z.needsDictionary() || !z.needsInput()))
                {
                    break;
                }
            }
        }
        catch (final DataFormatException ex)
        {
            inflaterBroken = true;
            m.inflated = false;
            m.tags |= HttpTransaction.TAG_PARSE_ERROR;
            decoder.webSocketParseError();
        }
    }

    private void frameComplete(final HttpDecoder decoder, final long timestampNanos)
    {
        state = HEADER;
        if (control)
        {
            final WebSocketMessage c = controlFrame;
            if (c.opcode == WebSocketMessage.CLOSE && c.captured >= 2)
            {
                c.closeCode = ((c.payload[0] & 0xFF) << 8) | (c.payload[1] & 0xFF);
            }
            c.endNanos = timestampNanos;
            decoder.emitWebSocket(c);
            return;
        }
        if (!fin)
        {
            return;
        }
        final WebSocketMessage m = message;
        if (m.compressed && m.inflated && !inflaterBroken)
        {
            // RFC 7692 7.2.2: the sender removed the final empty block's tail; put it back.
            final byte[] scratch = decoder.inflaterInput();
            System.arraycopy(DEFLATE_TAIL, 0, scratch, 0, DEFLATE_TAIL.length);
            inflate(decoder, m, scratch, DEFLATE_TAIL.length);
        }
        m.endNanos = timestampNanos;
        inMessage = false;
        decoder.emitWebSocket(m);
    }
}
