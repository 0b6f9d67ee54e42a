package dev.httpcap.capture;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/** View over a TCP header (RFC 9293) in a buffer; network byte order. */
final class TcpFlyweight
{
    static final int MIN_HEADER_LENGTH = 20;
    private static final int SOURCE_PORT_OFFSET = 0;
    private static final int DESTINATION_PORT_OFFSET = 2;
    private static final int SEQUENCE_OFFSET = 4;
    private static final int ACKNOWLEDGEMENT_OFFSET = 8;
    private static final int DATA_OFFSET_OFFSET = 12;
    private static final int FLAGS_OFFSET = 13;
    private static final int WINDOW_OFFSET = 14;

    static final int OPTION_EOL = 0;
    static final int OPTION_NOP = 1;
    static final int OPTION_MSS = 2;
    static final int OPTION_WINDOW_SCALE = 3;
    static final int OPTION_SACK_PERMITTED = 4;
    static final int OPTION_TIMESTAMPS = 8;

    private DirectBuffer buffer;
    private int offset;

    TcpFlyweight wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    int sourcePort()
    {
        return buffer.getShort(offset + SOURCE_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    int destinationPort()
    {
        return buffer.getShort(offset + DESTINATION_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    long sequence()
    {
        return buffer.getInt(offset + SEQUENCE_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    long acknowledgement()
    {
        return buffer.getInt(offset + ACKNOWLEDGEMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
    }

    int headerLength()
    {
        return ((buffer.getByte(offset + DATA_OFFSET_OFFSET) & 0xF0) >>> 4) * 4;
    }

    int flags()
    {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    int window()
    {
        return buffer.getShort(offset + WINDOW_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /**
     * Read the options into {@code out} (MSS, window scale, SACK-permitted, timestamps). A malformed
     * option list ends the walk; the header is still good.
     */
    void readOptions(final int headerLength, final PacketInfo out)
    {
        int i = offset + MIN_HEADER_LENGTH;
        final int end = offset + headerLength;
        while (i < end)
        {
            final int kind = buffer.getByte(i) & 0xFF;
            if (kind == OPTION_EOL)
            {
                return;
            }
            if (kind == OPTION_NOP)
            {
                i++;
                continue;
            }
            if (i + 1 >= end)
            {
                return;
            }
            final int length = buffer.getByte(i + 1) & 0xFF;
            if (length < 2 || i + length > end)
            {
                return;
            }
            switch (kind)
            {
                case OPTION_MSS ->
                {
                    if (length == 4)
                    {
                        out.mss = buffer.getShort(i + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                    }
                }
                case OPTION_WINDOW_SCALE ->
                {
                    if (length == 3)
                    {
                        out.windowScale = Math.min(14, buffer.getByte(i + 2) & 0xFF);
                    }
                }
                case OPTION_SACK_PERMITTED -> out.sackPermitted = true;
                case OPTION_TIMESTAMPS ->
                {
                    if (length == 10)
                    {
                        out.hasTimestamps = true;
                        out.tsVal = buffer.getInt(i + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
                        out.tsEcr = buffer.getInt(i + 6, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
                    }
                }
                default ->
                {
                    // SACK blocks, MD5, fast open...: not needed by the flow layer.
                }
            }
            i += length;
        }
    }
}
