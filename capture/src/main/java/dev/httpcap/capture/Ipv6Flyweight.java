package dev.httpcap.capture;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/** View over an IPv6 fixed header (RFC 8200) in a buffer; network byte order. */
final class Ipv6Flyweight
{
    static final int HEADER_LENGTH = 40;
    private static final int PAYLOAD_LENGTH_OFFSET = 4;
    private static final int NEXT_HEADER_OFFSET = 6;
    private static final int SOURCE_OFFSET = 8;
    private static final int DESTINATION_OFFSET = 24;

    private DirectBuffer buffer;
    private int offset;

    Ipv6Flyweight wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    int version()
    {
        return (buffer.getByte(offset) & 0xF0) >>> 4;
    }

    int payloadLength()
    {
        return buffer.getShort(offset + PAYLOAD_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    int nextHeader()
    {
        return buffer.getByte(offset + NEXT_HEADER_OFFSET) & 0xFF;
    }

    long sourceHi()
    {
        return buffer.getLong(offset + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    long sourceLo()
    {
        return buffer.getLong(offset + SOURCE_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }

    long destinationHi()
    {
        return buffer.getLong(offset + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    long destinationLo()
    {
        return buffer.getLong(offset + DESTINATION_OFFSET + 8, ByteOrder.BIG_ENDIAN);
    }
}
