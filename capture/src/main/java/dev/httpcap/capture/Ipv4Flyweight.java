package dev.httpcap.capture;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/** View over an IPv4 header (RFC 791) in a buffer; network byte order. */
final class Ipv4Flyweight
{
    static final int MIN_HEADER_LENGTH = 20;
    private static final int VERSION_IHL_OFFSET = 0;
    private static final int TOTAL_LENGTH_OFFSET = 2;
    private static final int FLAGS_FRAGMENT_OFFSET = 6;
    private static final int PROTOCOL_OFFSET = 9;
    private static final int SOURCE_OFFSET = 12;
    private static final int DESTINATION_OFFSET = 16;
    private static final int MORE_FRAGMENTS = 0x2000;
    private static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    private DirectBuffer buffer;
    private int offset;

    Ipv4Flyweight wrap(final DirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    int version()
    {
        return (buffer.getByte(offset + VERSION_IHL_OFFSET) & 0xF0) >>> 4;
    }

    int headerLength()
    {
        return (buffer.getByte(offset + VERSION_IHL_OFFSET) & 0x0F) * 4;
    }

    int totalLength()
    {
        return buffer.getShort(offset + TOTAL_LENGTH_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    boolean isFragment()
    {
        final int flags = buffer.getShort(offset + FLAGS_FRAGMENT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        return (flags & (MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) != 0;
    }

    int protocol()
    {
        return buffer.getByte(offset + PROTOCOL_OFFSET) & 0xFF;
    }

    int source()
    {
        return buffer.getInt(offset + SOURCE_OFFSET, ByteOrder.BIG_ENDIAN);
    }

    int destination()
    {
        return buffer.getInt(offset + DESTINATION_OFFSET, ByteOrder.BIG_ENDIAN);
    }
}
