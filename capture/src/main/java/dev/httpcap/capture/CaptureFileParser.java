package dev.httpcap.capture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.common.Frames;

/**
 * Walks the records of a pcap or pcapng file over a window of memory, one record per call, and
 * hands each packet to a {@link PacketHandler} as a view straight into that memory. The same
 * parser serves memory-mapped files (the window is the whole file) and streams (the window is a
 * buffer refilled between calls), so all offsets are longs: files over 2 GiB work.
 */
final class CaptureFileParser
{
    /** The window ends inside the next record: give more bytes or, at end of input, count it truncated. */
    static final long NEED_MORE = 0;
    /** The next record cannot be a record: reading must stop. */
    static final long CORRUPT = -1;

    /**
     * Larger pcapng blocks are taken as garbage rather than data, as libpcap does (its initial
     * {@code max_blocksize}, 16 MiB). A pcap record is bounded by {@link Frames#Frames.MAX_FRAME_LENGTH} itself.
     * These bounds are also what a pipe's window may grow to.
     */
    static final long MAX_BLOCK_LENGTH = 16L * 1024 * 1024;

    private static final int PCAP_MAGIC_MICROS = 0xA1B2C3D4;
    private static final int PCAP_MAGIC_NANOS = 0xA1B23C4D;
    private static final int PCAPNG_SHB = 0x0A0D0D0A;
    private static final int PCAPNG_BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    private static final int PCAP_HEADER_LENGTH = 24;
    private static final int PCAP_RECORD_HEADER_LENGTH = 16;

    private static final int BLOCK_IDB = 1;
    private static final int BLOCK_PB = 2;
    private static final int BLOCK_SPB = 3;
    private static final int BLOCK_EPB = 6;
    private static final int OPTION_END = 0;
    private static final int OPTION_IF_TSRESOL = 9;
    private static final int OPTION_IF_TSOFFSET = 14;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final CaptureFileCounters counters;
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);

    private boolean pcapng;
    private boolean bigEndian;
    private boolean pcapNanos;
    private int pcapLinkType;

    private int interfaceCount;
    private int[] interfaceLinkType = new int[4];
    private int[] interfaceSnaplen = new int[4];
    private long[] interfaceUnitsPerSecond = new long[4];
    private long[] interfaceOffsetNanos = new long[4];

    private boolean delivered;
    /** Window offset of the record or block being parsed, for {@link #problemAt}. */
    private long recordAt;
    private String problem;
    private long problemAt;

    CaptureFileParser(final CaptureFileCounters counters)
    {
        this.counters = counters;
    }

    /** Bytes needed to recognise the format. */
    static int headerLength()
    {
        return PCAP_HEADER_LENGTH;
    }

    /**
     * Recognise the file from its first {@link #headerLength()} bytes.
     *
     * @return bytes of file header consumed (24 for pcap; 0 for pcapng, whose header is a block).
     */
    long readHeader(final MemorySegment window, final long position, final String name) throws CaptureFileException
    {
        final int magicBe = window.get(INT_BE, position);
        final int magicLe = window.get(INT_LE, position);
        if (magicBe == PCAPNG_SHB)
        {
            pcapng = true;
            return 0;
        }
        if (magicLe == PCAP_MAGIC_MICROS || magicLe == PCAP_MAGIC_NANOS)
        {
            bigEndian = false;
            pcapNanos = magicLe == PCAP_MAGIC_NANOS;
        }
        else if (magicBe == PCAP_MAGIC_MICROS || magicBe == PCAP_MAGIC_NANOS)
        {
            bigEndian = true;
            pcapNanos = magicBe == PCAP_MAGIC_NANOS;
        }
        else
        {
            throw new CaptureFileException(String.format(
                "'%s' is not a pcap or pcapng file (it starts with 0x%08x)", name, magicBe));
        }
        final int major = u16(window, position + 4);
        if (major != 2)
        {
            throw new CaptureFileException(String.format(
                "'%s' is pcap version %d.%d; only 2.x is supported", name, major, u16(window, position + 6)));
        }
        pcapLinkType = i32(window, position + 20) & 0x03FF_FFFF;
        return PCAP_HEADER_LENGTH;
    }

    /**
     * @return what was wrong with the first damaged record or block (why {@link #CORRUPT} was returned, or
     *         why a block was counted corrupt and skipped), or null.
     */
    String problem()
    {
        return problem;
    }

    /** @return the window offset of the record or block {@link #problem()} is about. */
    long problemAt()
    {
        return problemAt;
    }

    private long corrupt(final String what)
    {
        if (problem == null)
        {
            problem = what;
            problemAt = recordAt;
        }
        return CORRUPT;
    }

    private void skipCorrupt(final String what)
    {
        counters.corruptBlocks++;
        corrupt(what + "; the block was skipped");
    }

    /** @return true when the last successful {@link #next} delivered a packet. */
    boolean delivered()
    {
        return delivered;
    }

    /**
     * Parse the record at {@code position}, delivering its packet, if any, to {@code handler}.
     *
     * @return bytes consumed (> 0), {@link #NEED_MORE} or {@link #CORRUPT}.
     */
    long next(final MemorySegment window, final long position, final long limit, final PacketHandler handler)
    {
        delivered = false;
        recordAt = position;
        return pcapng ? nextBlock(window, position, limit, handler) : nextRecord(window, position, limit, handler);
    }

    private long nextRecord(final MemorySegment window, final long position, final long limit, final PacketHandler handler)
    {
        if (limit - position < PCAP_RECORD_HEADER_LENGTH)
        {
            return NEED_MORE;
        }
        final long seconds = i32(window, position) & 0xFFFF_FFFFL;
        final long fraction = i32(window, position + 4) & 0xFFFF_FFFFL;
        final long capturedLength = i32(window, position + 8) & 0xFFFF_FFFFL;
        final long wireLength = i32(window, position + 12) & 0xFFFF_FFFFL;
        if (capturedLength > Frames.MAX_FRAME_LENGTH)
        {
            // As libpcap: no link type has frames this large, so this is not a record but damage.
            return corrupt("a record claims " + capturedLength + " captured bytes, more than the " +
                Frames.MAX_FRAME_LENGTH + " a frame may have; reading stopped there");
        }
        final long recordLength = PCAP_RECORD_HEADER_LENGTH + capturedLength;
        if (limit - position < recordLength)
        {
            return NEED_MORE;
        }
        final long timestamp = seconds * NANOS_PER_SECOND + (pcapNanos ? fraction : fraction * 1000);
        deliver(window, position + PCAP_RECORD_HEADER_LENGTH, capturedLength, Math.max(wireLength, capturedLength),
            timestamp, pcapLinkType, 0, handler);
        return recordLength;
    }

    private long nextBlock(final MemorySegment window, final long position, final long limit, final PacketHandler handler)
    {
        if (limit - position < 12)
        {
            return NEED_MORE;
        }
        final int type = i32(window, position);
        if (type == PCAPNG_SHB)
        {
            final int magic = window.get(INT_LE, position + 8);
            if (magic == PCAPNG_BYTE_ORDER_MAGIC)
            {
                bigEndian = false;
            }
            else if (Integer.reverseBytes(magic) == PCAPNG_BYTE_ORDER_MAGIC)
            {
                bigEndian = true;
            }
            else
            {
                return corrupt(String.format(
                    "a section header block has no byte-order magic (0x%08x); reading stopped there", magic));
            }
        }
        final long length = i32(window, position + 4) & 0xFFFF_FFFFL;
        if (length < 12 || (length & 3) != 0 || length > MAX_BLOCK_LENGTH)
        {
            return corrupt("a block (type " + (type & 0xFFFF_FFFFL) + ") claims " + length + " bytes" +
                (length > MAX_BLOCK_LENGTH ? ", more than the " + MAX_BLOCK_LENGTH + " a block may have" : "") +
                "; reading stopped there");
        }
        if (limit - position < length)
        {
            return NEED_MORE;
        }
        final long trailer = i32(window, position + length - 4) & 0xFFFF_FFFFL;
        if (trailer != length)
        {
            return corrupt("a block's closing length (" + trailer + ") is not its opening length (" + length +
                "); reading stopped there");
        }

        final long body = position + 8;
        final long bodyEnd = position + length - 4;
        switch (type)
        {
            case PCAPNG_SHB -> interfaceCount = 0;
            case BLOCK_IDB -> addInterface(window, body, bodyEnd);
            case BLOCK_EPB -> packetBlock(window, body, bodyEnd, false, handler);
            case BLOCK_PB -> packetBlock(window, body, bodyEnd, true, handler);
            case BLOCK_SPB -> simplePacket(window, body, bodyEnd, handler);
            default -> counters.skippedBlocks++;
        }
        return length;
    }

    private void addInterface(final MemorySegment window, final long body, final long bodyEnd)
    {
        if (bodyEnd - body < 8)
        {
            skipCorrupt("an interface description block is too short");
            return;
        }
        if (interfaceCount == interfaceLinkType.length)
        {
            final int capacity = interfaceCount * 2;
            interfaceLinkType = Arrays.copyOf(interfaceLinkType, capacity);
            interfaceSnaplen = Arrays.copyOf(interfaceSnaplen, capacity);
            interfaceUnitsPerSecond = Arrays.copyOf(interfaceUnitsPerSecond, capacity);
            interfaceOffsetNanos = Arrays.copyOf(interfaceOffsetNanos, capacity);
        }
        final int id = interfaceCount++;
        interfaceLinkType[id] = u16(window, body);
        interfaceSnaplen[id] = i32(window, body + 4);
        interfaceUnitsPerSecond[id] = 1_000_000L;
        interfaceOffsetNanos[id] = 0;

        long option = body + 8;
        while (bodyEnd - option >= 4)
        {
            final int code = u16(window, option);
            final int optionLength = u16(window, option + 2);
            final long value = option + 4;
            if (code == OPTION_END || value + optionLength > bodyEnd)
            {
                break;
            }
            if (code == OPTION_IF_TSRESOL && optionLength >= 1)
            {
                final int resolution = window.get(ValueLayout.JAVA_BYTE, value) & 0xFF;
                final int exponent = resolution & 0x7F;
                if ((resolution & 0x80) != 0)
                {
                    interfaceUnitsPerSecond[id] = exponent < 63 ? 1L << exponent : 1L << 62;
                }
                else
                {
                    long units = 1;
                    for (int i = 0; i < Math.min(exponent, 18); i++)
                    {
                        units *= 10;
                    }
                    interfaceUnitsPerSecond[id] = units;
                }
            }
            else if (code == OPTION_IF_TSOFFSET && optionLength >= 8)
            {
                interfaceOffsetNanos[id] = window.get(bigEndian ? LONG_BE : LONG_LE, value) * NANOS_PER_SECOND;
            }
            option = value + ((optionLength + 3) & ~3);
        }
    }

    /**
     * Enhanced (EPB) and obsolete (PB) packet blocks share a layout: interface, timestamp high and
     * low words, captured and original lengths, data; the PB's interface id is 16 bits.
     */
    private void packetBlock(
        final MemorySegment window, final long body, final long bodyEnd, final boolean obsolete,
        final PacketHandler handler)
    {
        if (bodyEnd - body < 20)
        {
            skipCorrupt("a packet block is too short");
            return;
        }
        final int interfaceId = obsolete ? u16(window, body) : i32(window, body);
        final long high = i32(window, body + 4) & 0xFFFF_FFFFL;
        final long low = i32(window, body + 8) & 0xFFFF_FFFFL;
        final long capturedLength = i32(window, body + 12) & 0xFFFF_FFFFL;
        final long wireLength = i32(window, body + 16) & 0xFFFF_FFFFL;
        packet(window, body + 20, bodyEnd, interfaceId, (high << 32) | low, capturedLength, wireLength, handler);
    }

    private void simplePacket(final MemorySegment window, final long body, final long bodyEnd, final PacketHandler handler)
    {
        if (bodyEnd - body < 4 || interfaceCount == 0)
        {
            skipCorrupt(interfaceCount == 0 ? "a simple packet block comes before any interface" :
                "a simple packet block is too short");
            return;
        }
        final long wireLength = i32(window, body) & 0xFFFF_FFFFL;
        long capturedLength = Math.min(wireLength, bodyEnd - body - 4);
        if (interfaceSnaplen[0] > 0)
        {
            capturedLength = Math.min(capturedLength, interfaceSnaplen[0] & 0xFFFF_FFFFL);
        }
        // A simple packet block has no timestamp.
        deliver(window, body + 4, capturedLength, wireLength, 0, interfaceLinkType[0], 0, handler);
    }

    private void packet(
        final MemorySegment window, final long data, final long bodyEnd, final int interfaceId, final long units,
        final long capturedLength, final long wireLength, final PacketHandler handler)
    {
        if (interfaceId < 0 || interfaceId >= interfaceCount || data + capturedLength > bodyEnd)
        {
            skipCorrupt(data + capturedLength > bodyEnd ?
                "a packet block claims " + capturedLength + " captured bytes, more than it holds" :
                "a packet block names interface " + (interfaceId & 0xFFFF_FFFFL) + " of " + interfaceCount);
            return;
        }
        deliver(window, data, capturedLength, Math.max(wireLength, capturedLength),
            toNanos(units, interfaceUnitsPerSecond[interfaceId]) + interfaceOffsetNanos[interfaceId],
            interfaceLinkType[interfaceId], interfaceId, handler);
    }

    private void deliver(
        final MemorySegment window, final long data, final long capturedLength, final long wireLength,
        final long timestampNanos, final int linkType, final int interfaceId, final PacketHandler handler)
    {
        if (capturedLength > Frames.MAX_FRAME_LENGTH)
        {
            counters.oversizedFrames++;
            return;
        }
        frame.wrap(window.address() + data, (int)capturedLength);
        handler.onPacket(frame, 0, (int)capturedLength, (int)Math.min(wireLength, Integer.MAX_VALUE), timestampNanos,
            linkType, interfaceId);
        delivered = true;
    }

    private static long toNanos(final long units, final long unitsPerSecond)
    {
        if (unitsPerSecond == NANOS_PER_SECOND)
        {
            return units;
        }
        final long seconds = Long.divideUnsigned(units, unitsPerSecond);
        final long remainder = Long.remainderUnsigned(units, unitsPerSecond);
        final long fraction = unitsPerSecond <= NANOS_PER_SECOND ?
            remainder * NANOS_PER_SECOND / unitsPerSecond :
            (long)(remainder * (NANOS_PER_SECOND / (double)unitsPerSecond));
        return seconds * NANOS_PER_SECOND + fraction;
    }

    private int i32(final MemorySegment window, final long offset)
    {
        return window.get(bigEndian ? INT_BE : INT_LE, offset);
    }

    private int u16(final MemorySegment window, final long offset)
    {
        return window.get(bigEndian ? SHORT_BE : SHORT_LE, offset) & 0xFFFF;
    }
}
