package dev.httpcap.capture;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/**
 * View over a TCP header (RFC 9293) in a buffer; network byte order. Options (MSS, window scale,
 * SACK, timestamps) are not read: nothing downstream uses them.
 */
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
}
