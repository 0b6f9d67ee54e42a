package dev.httpcap.decoders.websocket;

import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.tcp.Tags;

/**
 * RFC 6455 frame parser for one direction of an upgraded connection: resumable at any byte
 * (the header is gathered across segments, the payload is counted, unmasked while its first bytes
 * are copied, never buffered whole). Fragments are reassembled into one message; control frames
 * may come between them. With permessage-deflate (RFC 7692) compressed messages are inflated
 * through a per-direction {@link Inflater} that keeps the sliding window between messages.
 */
public final class WebSocketStream
{
    /** Parser states. */
    static final int HEADER = 0;
    static final int PAYLOAD = 1;
    /** Stopped after a protocol error or a loss: the rest of the stream is not decoded. */
    static final int STOPPED = 2;

    private static final int CONTROL_CAPACITY = 125;
    private static final byte[] DEFLATE_TAIL = {0, 0, (byte)0xFF, (byte)0xFF};

    private final int direction;
    private int state;
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
    private boolean deflate;
    private boolean noContextTakeover;
    private Inflater inflater;
    private boolean inflaterBroken;
    private int transDepth;
    /** Messages of this direction so far: each message's number on the connection (for {@code event.id}). */
    private int messages;

    public WebSocketStream(final int direction)
    {
        this.direction = direction;
    }

    public void reset(final int capacity, final boolean deflate, final boolean noContextTakeover, final int transDepth)
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
    public void end(final WebSocketHandler handler, final int tags, final long timestampNanos)
    {
        if (state != STOPPED)
        {
            if (state == PAYLOAD && control)
            {
                controlFrame.tags |= tags;
                controlFrame.endNanos = timestampNanos;
                handler.onMessage(controlFrame);
            }
            else if (inMessage)
            {
                message.tags |= tags;
                message.endNanos = timestampNanos;
                handler.onMessage(message);
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
    public void onGap(final WebSocketHandler handler, final long length, final long timestampNanos)
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
            message.tags |= Tags.GAP;
            if (remaining == 0)
            {
                frameComplete(handler, timestampNanos);
            }
            return;
        }
        handler.onGap();
        end(handler, Tags.GAP, timestampNanos);
    }

    public int consume(final WebSocketHandler handler, final DirectBuffer buffer, final int offset, final int end, final long timestampNanos)
    {
        int pos = offset;
        while (pos < end && state != STOPPED)
        {
            if (state == HEADER)
            {
                pos = header(handler, buffer, pos, end, timestampNanos);
            }
            else
            {
                final int n = (int)Math.min(remaining, end - pos);
                payload(handler, buffer, pos, n);
                pos += n;
                remaining -= n;
                if (remaining == 0)
                {
                    frameComplete(handler, timestampNanos);
                }
            }
        }
        return state == STOPPED ? end : pos;
    }

    private int header(final WebSocketHandler handler, final DirectBuffer buffer, final int offset, final int end, final long timestampNanos)
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
        frameHeader(handler, needed, timestampNanos);
        return pos;
    }

    private void frameHeader(final WebSocketHandler handler, final int headerSize, final long timestampNanos)
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
            length < 0 ||                                              // 64-bit length with the top bit set
            (control && (!fin || length > CONTROL_CAPACITY || rsv1)) ||
            (opcode == WebSocketMessage.CONTINUATION && (!inMessage || rsv1)) ||
            ((opcode == WebSocketMessage.TEXT || opcode == WebSocketMessage.BINARY) && inMessage) ||
            (rsv1 && !deflate);
        if (bad)
        {
            handler.onParseError();
            if (inMessage)
            {
                message.tags |= Tags.PARSE_ERROR;
                message.endNanos = timestampNanos;
                handler.onMessage(message);
                inMessage = false;
            }
            else
            {
                final WebSocketMessage m = control ? controlFrame : message;
                m.start(direction, opcode, timestampNanos, transDepth, ++messages);
                m.bytes = Math.max(0, length); // a length with the top bit set says nothing
                m.frames = 1;
                m.tags |= Tags.PARSE_ERROR;
                handler.onMessage(m);
            }
            state = STOPPED;
            return;
        }

        // Clients mask, servers do not (RFC 6455 5.1); peers that break it are still understood by
        // the other side, so the frame is decoded and its message tagged.
        final int deviation = masked != fromClient ? Tags.PROTOCOL_DEVIATION : 0;
        payloadPosition = 0;
        remaining = length;
        if (control)
        {
            controlFrame.start(direction, opcode, timestampNanos, transDepth, ++messages);
            controlFrame.frames = 1;
            controlFrame.tags |= deviation;
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
                    inflater = handler.borrowInflater(inflater);
                    message.inflated = inflater != null;
                    if (inflater != null && noContextTakeover)
                    {
                        inflater.reset();
                    }
                }
            }
            message.frames++;
            message.tags |= deviation;
        }
        state = PAYLOAD;
        if (length == 0)
        {
            frameComplete(handler, timestampNanos);
        }
    }

    private void payload(final WebSocketHandler handler, final DirectBuffer buffer, final int offset, final int length)
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
                final byte[] scratch = handler.inflaterInput();
                int done = 0;
                while (done < length)
                {
                    final int n = Math.min(scratch.length, length - done);
                    for (int k = 0; k < n; k++)
                    {
                        scratch[k] = unmask(buffer.getByte(offset + done + k), payloadPosition + done + k);
                    }
                    inflate(handler, m, scratch, n);
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

    private void inflate(final WebSocketHandler handler, final WebSocketMessage m, final byte[] input, final int length)
    {
        final Inflater z = inflater;
        z.setInput(input, 0, length);
        final byte[] discard = handler.inflaterOutput();
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
            m.tags |= Tags.PARSE_ERROR;
            handler.onParseError();
        }
    }

    private void frameComplete(final WebSocketHandler handler, final long timestampNanos)
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
            handler.onMessage(c);
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
            final byte[] scratch = handler.inflaterInput();
            System.arraycopy(DEFLATE_TAIL, 0, scratch, 0, DEFLATE_TAIL.length);
            inflate(handler, m, scratch, DEFLATE_TAIL.length);
        }
        m.endNanos = timestampNanos;
        inMessage = false;
        handler.onMessage(m);
    }

    /** @return the decompressor this stream holds (to go back to its pool), or null; the stream no longer holds it. */
    public Inflater takeInflater()
    {
        final Inflater taken = inflater;
        inflater = null;
        return taken;
    }
}
