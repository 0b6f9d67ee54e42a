package dev.httpcap.capture;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaptureFilesTest
{
    private static final long T0 = 1_700_000_000L;

    @TempDir
    Path dir;

    record Packet(byte[] bytes, int wireLength, long timestampNanos, int linkType, int interfaceId)
    {
    }

    static List<Packet> readAll(final PacketSource source)
    {
        final List<Packet> packets = new ArrayList<>();
        while (!source.isDone())
        {
            source.poll((frame, offset, captured, wire, ts, linkType, ifId) ->
            {
                final byte[] bytes = new byte[captured];
                frame.getBytes(offset, bytes);
                packets.add(new Packet(bytes, wire, ts, linkType, ifId));
            }, 3);
        }
        return packets;
    }

    static byte[] pcap(final ByteOrder order, final boolean nanos, final int linkType, final byte[]... frames)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(24).order(order).putInt(nanos ? 0xA1B23C4D : 0xA1B2C3D4)
            .putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65535).putInt(linkType).array());
        for (int i = 0; i < frames.length; i++)
        {
            out.writeBytes(ByteBuffer.allocate(16).order(order).putInt((int)(T0 + i)).putInt(nanos ? 123_456_789 : 123_456)
                .putInt(frames[i].length).putInt(frames[i].length + 10).array());
            out.writeBytes(frames[i]);
        }
        return out.toByteArray();
    }

    /** pcapng blocks for tests. */
    static final class PcapNg
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;

        PcapNg section(final ByteOrder order)
        {
            this.order = order;
            return block(0x0A0D0D0A, ByteBuffer.allocate(16).order(order).putInt(0x1A2B3C4D).putShort((short)1)
                .putShort((short)0).putLong(-1).array());
        }

        PcapNg iface(final int linkType, final int tsresol)
        {
            final ByteBuffer b = ByteBuffer.allocate(8 + (tsresol >= 0 ? 8 : 0) + 4).order(order);
            b.putShort((short)linkType).putShort((short)0).putInt(0);
            if (tsresol >= 0)
            {
                b.putShort((short)9).putShort((short)1).put((byte)tsresol).put(new byte[3]);
            }
            b.putShort((short)0).putShort((short)0);
            return block(1, b.array());
        }

        PcapNg epb(final int interfaceId, final long units, final byte[] frame)
        {
            final int padded = (frame.length + 3) & ~3;
            final ByteBuffer b = ByteBuffer.allocate(20 + padded).order(order);
            b.putInt(interfaceId).putInt((int)(units >>> 32)).putInt((int)units).putInt(frame.length).putInt(frame.length);
            b.put(frame);
            return block(6, b.array());
        }

        PcapNg pb(final int interfaceId, final long units, final byte[] frame)
        {
            final int padded = (frame.length + 3) & ~3;
            final ByteBuffer b = ByteBuffer.allocate(20 + padded).order(order);
            b.putShort((short)interfaceId).putShort((short)0).putInt((int)(units >>> 32)).putInt((int)units)
                .putInt(frame.length).putInt(frame.length);
            b.put(frame);
            return block(2, b.array());
        }

        PcapNg spb(final byte[] frame)
        {
            final int padded = (frame.length + 3) & ~3;
            final ByteBuffer b = ByteBuffer.allocate(4 + padded).order(order);
            b.putInt(frame.length).put(frame);
            return block(3, b.array());
        }

        PcapNg block(final int type, final byte[] body)
        {
            final ByteBuffer b = ByteBuffer.allocate(12 + body.length).order(order);
            b.putInt(type).putInt(12 + body.length).put(body).putInt(12 + body.length);
            out.writeBytes(b.array());
            return this;
        }

        byte[] bytes()
        {
            return out.toByteArray();
        }
    }

    private PacketSource open(final byte[] file) throws Exception
    {
        final Path path = dir.resolve("capture-" + System.nanoTime());
        Files.write(path, file);
        return CaptureFiles.open(path.toString());
    }

    @Test
    void shouldReadPcapInBothByteOrdersAndBothResolutions() throws Exception
    {
        final byte[] a = FrameBuilder.tcp().payload("first").build();
        final byte[] b = FrameBuilder.tcp().payload("second!").build();
        for (final ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN})
        {
            for (final boolean nanos : new boolean[] {false, true})
            {
                try (PacketSource source = open(pcap(order, nanos, LinkTypes.ETHERNET, a, b)))
                {
                    final List<Packet> packets = readAll(source);
                    assertEquals(2, packets.size());
                    assertArrayEquals(a, packets.get(0).bytes());
                    assertArrayEquals(b, packets.get(1).bytes());
                    assertEquals(a.length + 10, packets.get(0).wireLength());
                    assertEquals((T0 + 1) * 1_000_000_000L + (nanos ? 123_456_789 : 123_456_000), packets.get(1).timestampNanos());
                    assertEquals(LinkTypes.ETHERNET, packets.get(0).linkType());
                    assertEquals(source.totalBytes(), source.bytesConsumed());
                    assertEquals(0, source.fileCounters().truncatedRecords());
                }
            }
        }
    }

    @Test
    void shouldReadPcapngWithSeveralInterfacesAndSections() throws Exception
    {
        final byte[] eth = FrameBuilder.tcp().payload("eth").build();
        final byte[] raw = FrameBuilder.tcp().linkType(LinkTypes.RAW).payload("raw").build();
        final byte[] file = new PcapNg()
            .section(ByteOrder.LITTLE_ENDIAN)
            .iface(LinkTypes.ETHERNET, -1)
            .iface(LinkTypes.RAW, 9)
            .epb(0, T0 * 1_000_000L + 5, eth)
            .block(5, new byte[8])
            .epb(1, T0 * 1_000_000_000L + 7, raw)
            .spb(eth)
            .section(ByteOrder.BIG_ENDIAN)
            .iface(LinkTypes.RAW, 0x80 | 20)
            .epb(0, (T0 << 20) + (1 << 19), raw)
            .bytes();
        try (PacketSource source = open(file))
        {
            final List<Packet> packets = readAll(source);
            assertEquals(4, packets.size());
            assertEquals(new Packet(eth, eth.length, T0 * 1_000_000_000L + 5_000, LinkTypes.ETHERNET, 0).toString().length() > 0, true);
            assertArrayEquals(eth, packets.get(0).bytes());
            assertEquals(T0 * 1_000_000_000L + 5_000, packets.get(0).timestampNanos());
            assertEquals(0, packets.get(0).interfaceId());
            assertArrayEquals(raw, packets.get(1).bytes());
            assertEquals(LinkTypes.RAW, packets.get(1).linkType());
            assertEquals(1, packets.get(1).interfaceId());
            assertEquals(T0 * 1_000_000_000L + 7, packets.get(1).timestampNanos());
            assertArrayEquals(eth, packets.get(2).bytes());
            assertEquals(LinkTypes.ETHERNET, packets.get(2).linkType());
            assertArrayEquals(raw, packets.get(3).bytes());
            assertEquals(LinkTypes.RAW, packets.get(3).linkType());
            assertEquals(T0 * 1_000_000_000L + 500_000_000L, packets.get(3).timestampNanos());
            assertEquals(1, source.fileCounters().skippedBlocks());
            assertEquals(0, source.fileCounters().corruptBlocks());
        }
    }

    @Test
    void shouldReadTheObsoletePacketBlock() throws Exception
    {
        final byte[] raw = FrameBuilder.tcp().linkType(LinkTypes.RAW).payload("old").build();
        final byte[] file = new PcapNg().section(ByteOrder.BIG_ENDIAN).iface(LinkTypes.ETHERNET, -1)
            .iface(LinkTypes.RAW, 6).pb(1, T0 * 1_000_000L + 42, raw).bytes();
        try (PacketSource source = open(file))
        {
            final List<Packet> packets = readAll(source);
            assertEquals(1, packets.size());
            assertArrayEquals(raw, packets.get(0).bytes());
            assertEquals(1, packets.get(0).interfaceId());
            assertEquals(LinkTypes.RAW, packets.get(0).linkType());
            assertEquals(T0 * 1_000_000_000L + 42_000, packets.get(0).timestampNanos());
        }
    }

    @Test
    void shouldCountAPacketForAnUnknownInterfaceAndGoOn() throws Exception
    {
        final byte[] eth = FrameBuilder.tcp().build();
        final byte[] file = new PcapNg().section(ByteOrder.LITTLE_ENDIAN).iface(LinkTypes.ETHERNET, -1)
            .epb(3, 0, eth).epb(0, 0, eth).bytes();
        try (PacketSource source = open(file))
        {
            assertEquals(1, readAll(source).size());
            assertEquals(1, source.fileCounters().corruptBlocks());
        }
    }

    @Test
    void shouldStopCleanlyAndCountATruncatedLastRecord() throws Exception
    {
        final byte[] frame = FrameBuilder.tcp().payload("x".repeat(100)).build();
        final byte[] file = pcap(ByteOrder.LITTLE_ENDIAN, false, LinkTypes.ETHERNET, frame, frame, frame);
        for (int cut = 1; cut < frame.length + 16; cut += 7)
        {
            try (PacketSource source = open(Arrays.copyOf(file, file.length - cut)))
            {
                assertEquals(2, readAll(source).size());
                assertEquals(1, source.fileCounters().truncatedRecords());
                final String damage = source.fileCounters().damage();
                assertTrue(damage != null && damage.endsWith(" (truncated dump file)") &&
                    damage.contains(" is cut short: it ends " + (frame.length + 16 - cut) + " bytes into the record at byte " +
                        (24 + 2 * (16 + frame.length))), damage);
            }
        }
    }

    @Test
    void shouldSkipOversizedFramesOfSoundPcapngBlocksAndStopAtGarbage() throws Exception
    {
        final byte[] big = new byte[300_000];
        final byte[] frame = FrameBuilder.tcp().build();
        try (PacketSource source = open(new PcapNg().section(ByteOrder.LITTLE_ENDIAN).iface(LinkTypes.ETHERNET, -1)
            .epb(0, 1, frame).epb(0, 2, big).epb(0, 3, frame).bytes()))
        {
            assertEquals(2, readAll(source).size());
            assertEquals(1, source.fileCounters().oversizedFrames());
            assertNull(source.fileCounters().damage());
        }
        final byte[] garbage = pcap(ByteOrder.LITTLE_ENDIAN, false, LinkTypes.ETHERNET, frame);
        final byte[] withGarbage = Arrays.copyOf(garbage, garbage.length + 32);
        Arrays.fill(withGarbage, garbage.length, withGarbage.length, (byte)0xFF);
        try (PacketSource source = open(withGarbage))
        {
            assertEquals(1, readAll(source).size());
            assertEquals(1, source.fileCounters().corruptBlocks());
            assertTrue(source.fileCounters().damage().endsWith(" is damaged at byte " + garbage.length +
                ": a record claims 4294967295 captured bytes, more than the 262144 a frame may have; reading stopped there"),
                source.fileCounters().damage());
        }
    }

    /** As libpcap ("invalid packet capture length N, bigger than maximum of 262144"): damage, not a frame to skip. */
    @Test
    void shouldStopAtAPcapRecordLargerThanAnyFrame() throws Exception
    {
        final byte[] frame = FrameBuilder.tcp().build();
        try (PacketSource source = open(pcap(ByteOrder.BIG_ENDIAN, false, LinkTypes.ETHERNET, frame, new byte[300_000], frame)))
        {
            assertEquals(1, readAll(source).size());
            assertEquals(1, source.fileCounters().corruptBlocks());
            assertEquals(0, source.fileCounters().oversizedFrames());
            assertTrue(source.fileCounters().damage().contains(" is damaged at byte " + (24 + 16 + frame.length) +
                ": a record claims 300000 captured bytes"), source.fileCounters().damage());
        }
    }

    @Test
    void shouldCallAFileWithOnlyGarbageAfterItsHeaderDamaged() throws Exception
    {
        final byte[] header = pcap(ByteOrder.LITTLE_ENDIAN, false, LinkTypes.ETHERNET);
        final byte[] file = Arrays.copyOf(header, header.length + 4096);
        new java.util.Random(15).nextBytes(file);
        System.arraycopy(header, 0, file, 0, header.length);
        try (PacketSource source = open(file))
        {
            readAll(source);
            final String damage = source.fileCounters().damage();
            assertTrue(damage != null && damage.startsWith("'" + dir), damage);
        }
        final byte[] ng = new PcapNg().section(ByteOrder.LITTLE_ENDIAN).iface(LinkTypes.ETHERNET, -1).bytes();
        final byte[] ngGarbage = Arrays.copyOf(ng, ng.length + 64);
        Arrays.fill(ngGarbage, ng.length, ngGarbage.length, (byte)0x41);
        try (PacketSource source = open(ngGarbage))
        {
            assertEquals(0, readAll(source).size());
            assertTrue(source.fileCounters().damage().contains(" is damaged at byte " + ng.length +
                ": a block (type 1094795585) claims 1094795585 bytes"), source.fileCounters().damage());
        }
    }

    /**
     * A pipe whose first record claims 256 MB: the claim is damage, known from the record's header, so
     * nothing of it is buffered (it took the window, and the process's resident set, to 256 MB).
     */
    @Test
    void shouldNotBufferAHugeBogusRecordFromAPipe() throws Exception
    {
        final byte[] frame = FrameBuilder.tcp().payload("before").build();
        final byte[] good = pcap(ByteOrder.LITTLE_ENDIAN, false, LinkTypes.ETHERNET, frame);
        final byte[] bogusHeader = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(0)
            .putInt(256 * 1024 * 1024).putInt(256 * 1024 * 1024).array();
        final byte[] ngGood = new PcapNg().section(ByteOrder.LITTLE_ENDIAN).iface(LinkTypes.ETHERNET, -1).epb(0, 1, frame).bytes();
        final byte[] ngBogus = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(6)
            .putInt(256 * 1024 * 1024).putInt(0).array();
        for (final byte[][] input : new byte[][][] {{good, bogusHeader}, {ngGood, ngBogus}})
        {
            final long[] pulled = new long[1];
            final long claimed = 256L * 1024 * 1024 + 64;
            final byte[] prefix = concat(input[0], input[1]);
            final InputStream endless = new InputStream()
            {
                @Override
                public int read()
                {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(final byte[] b, final int off, final int len)
                {
                    if (pulled[0] >= prefix.length + claimed)
                    {
                        return -1;
                    }
                    final int n = (int)Math.min(len, prefix.length + claimed - pulled[0]);
                    for (int i = 0; i < n; i++)
                    {
                        final long at = pulled[0] + i;
                        b[off + i] = at < prefix.length ? prefix[(int)at] : 0;
                    }
                    pulled[0] += n;
                    return n;
                }
            };
            try (PacketSource source = CaptureFiles.open(endless, "standard input"))
            {
                assertEquals(1, readAll(source).size());
                assertEquals(1, source.fileCounters().corruptBlocks());
                assertTrue(pulled[0] <= 2L * 1024 * 1024, pulled[0] + " bytes were read from the pipe");
                assertTrue(source.fileCounters().damage().startsWith("standard input is damaged at byte " + input[0].length +
                    ": a "), source.fileCounters().damage());
            }
        }
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Test
    void shouldExplainFilesThatCannotBeRead() throws Exception
    {
        assertEquals("cannot read '" + dir.resolve("nope.pcap") + "': no such file",
            assertThrows(CaptureFileException.class, () -> CaptureFiles.open(dir.resolve("nope.pcap").toString())).getMessage());
        assertTrue(assertThrows(CaptureFileException.class, () -> CaptureFiles.open(dir.toString()))
            .getMessage().endsWith("is a directory, not a capture file"));
        final Path empty = Files.createFile(dir.resolve("empty.pcap"));
        assertTrue(assertThrows(CaptureFileException.class, () -> CaptureFiles.open(empty.toString()))
            .getMessage().endsWith("is empty"));
        final Path text = Files.writeString(dir.resolve("notes.txt"), "these are not the packets you are looking for");
        assertEquals("'" + text + "' is not a pcap or pcapng file (it starts with 0x74686573)",
            assertThrows(CaptureFileException.class, () -> CaptureFiles.open(text.toString())).getMessage());
        final Path tiny = Files.write(dir.resolve("tiny.pcap"), new byte[] {(byte)0xD4, (byte)0xC3, (byte)0xB2, (byte)0xA1});
        assertTrue(assertThrows(CaptureFileException.class, () -> CaptureFiles.open(tiny.toString()))
            .getMessage().contains("too short"));
    }

    /** A named pipe given as FILE (as bash's {@code <(...)} gives one) is streamed: it has no size to map. */
    @Test
    void shouldStreamANamedPipeGivenAsAPath() throws Exception
    {
        final byte[] frame = FrameBuilder.tcp().payload("hello").build();
        final byte[] file = pcap(ByteOrder.LITTLE_ENDIAN, false, LinkTypes.ETHERNET, frame, frame, frame);
        final Path fifo = dir.resolve("capture.fifo");
        final Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        final Thread writer = Thread.ofPlatform().start(() ->
        {
            try
            {
                Files.write(fifo, file);
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        try (PacketSource source = CaptureFiles.open(fifo.toString()))
        {
            final List<Packet> packets = readAll(source);
            assertEquals(3, packets.size());
            assertArrayEquals(frame, packets.get(2).bytes());
            assertEquals(file.length, source.bytesConsumed());
            assertNull(source.fileCounters().damage());
        }
        writer.join();
    }

    @Test
    void shouldStreamFromAPipeThatDeliversBytesInSmallPieces() throws Exception
    {
        final byte[] small = FrameBuilder.tcp().payload("hello").build();
        final byte[] large = FrameBuilder.tcp().payload(new byte[200_000]).build();
        final byte[][] frames = new byte[50][];
        for (int i = 0; i < frames.length; i++)
        {
            frames[i] = i % 10 == 9 ? large : small;
        }
        for (final byte[] file : new byte[][] {
            pcap(ByteOrder.BIG_ENDIAN, true, LinkTypes.ETHERNET, frames),
            new PcapNg().section(ByteOrder.LITTLE_ENDIAN).iface(LinkTypes.ETHERNET, 9).epb(0, 1, small).epb(0, 2, large).bytes()})
        {
            final InputStream trickle = new ByteArrayInputStream(file)
            {
                @Override
                public synchronized int read(final byte[] b, final int off, final int len)
                {
                    return super.read(b, off, Math.min(len, 4093));
                }
            };
            try (PacketSource source = CaptureFiles.open(trickle, "standard input"))
            {
                final List<Packet> packets = readAll(source);
                assertTrue(packets.size() == frames.length || packets.size() == 2);
                assertArrayEquals(large, packets.get(packets.size() == 2 ? 1 : 9).bytes());
                assertEquals(-1, source.totalBytes());
                assertEquals(file.length, source.bytesConsumed());
                assertEquals(0, source.fileCounters().truncatedRecords());
                assertNull(source.fileCounters().damage());
            }
        }
        assertTrue(assertThrows(CaptureFileException.class,
            () -> CaptureFiles.open(new ByteArrayInputStream(new byte[0]), "standard input")).getMessage().contains("empty"));
    }

    @Test
    void shouldKeepReadingCorrectlyAfterReleasingPagesBehindTheReadPosition() throws Exception
    {
        final Path path = dir.resolve("large.pcap");
        final int frames = (int)((CaptureFiles.MappedSource.RELEASE_LAG + CaptureFiles.MappedSource.RELEASE_STEP) * 5 / 4 / 1500);
        final byte[] payload = new byte[1400];
        try (PcapFileWriter writer = new PcapFileWriter(path, LinkTypes.ETHERNET, 65535, false))
        {
            for (int i = 0; i < frames; i++)
            {
                java.util.Arrays.fill(payload, (byte)i);
                final byte[] frame = FrameBuilder.tcp().seq(i, 0).payload(payload).build();
                writer.writePacket(new org.agrona.concurrent.UnsafeBuffer(frame), 0, frame.length, frame.length, i * 1000L);
            }
        }
        final long[] count = new long[1];
        final long[] payloadAddresses = new long[frames];
        final PacketDecoder decoder = new PacketDecoder();
        final PacketInfo info = new PacketInfo();
        try (PacketSource source = CaptureFiles.open(path.toString()))
        {
            assertTrue(source.framesStayReadable());
            while (!source.isDone())
            {
                source.poll((frame, offset, captured, wire, ts, linkType, ifId) ->
                {
                    assertEquals(DecodeStatus.TCP, decoder.decode(frame, offset, captured, linkType, info));
                    assertEquals(count[0], info.segment().seq);
                    assertEquals((byte)count[0], frame.getByte(offset + info.payloadOffset + 1399));
                    assertNull(frame.byteArray());
                    payloadAddresses[(int)count[0]] = frame.addressOffset() + offset + info.payloadOffset;
                    count[0]++;
                }, 1000);
            }
            assertEquals(frames, count[0]);
            assertEquals(source.totalBytes(), source.bytesConsumed());

            // Every frame is still readable in place after the reading is over, also those whose
            // pages were released behind the read position (what the pipeline's workers rely on).
            final org.agrona.concurrent.UnsafeBuffer view = new org.agrona.concurrent.UnsafeBuffer(0, 0);
            for (int i = 0; i < frames; i++)
            {
                view.wrap(payloadAddresses[i], payload.length);
                assertEquals((byte)i, view.getByte(0));
                assertEquals((byte)i, view.getByte(payload.length - 1));
            }
        }
    }

    @Test
    void shouldRotateRecordingsAndKeepEveryFrameReadable() throws Exception
    {
        final Path path = dir.resolve("rec.pcap");
        final byte[] frame = FrameBuilder.tcp().payload(new byte[500]).build();
        try (RotatingPcapWriter writer = new RotatingPcapWriter(path, LinkTypes.ETHERNET, 65535, 10_000))
        {
            for (int i = 0; i < 100; i++)
            {
                writer.write(new org.agrona.concurrent.UnsafeBuffer(frame), 0, frame.length, frame.length, i);
            }
            assertEquals(100, writer.packets());
            assertTrue(writer.files() > 1);
        }
        long total = 0;
        int files = 0;
        for (Path file = path; Files.exists(file); file = dir.resolve("rec.pcap." + (++files)))
        {
            assertTrue(Files.size(file) <= 10_000, file + " is " + Files.size(file) + " bytes");
            try (PacketSource source = CaptureFiles.open(file.toString()))
            {
                total += readAll(source).size();
            }
        }
        assertEquals(100, total);
    }

    @Test
    void shouldDeleteTheOldestRecordingsBeyondKeep() throws Exception
    {
        final Path path = dir.resolve("kept.pcap");
        final byte[] frame = FrameBuilder.tcp().payload(new byte[500]).build();
        final int files;
        try (RotatingPcapWriter writer = new RotatingPcapWriter(path, LinkTypes.ETHERNET, 65535, 2_000, 2, false))
        {
            for (int i = 0; i < 40; i++)
            {
                writer.write(new org.agrona.concurrent.UnsafeBuffer(frame), 0, frame.length, frame.length, i);
            }
            files = writer.files();
        }
        assertTrue(files > 5, "files: " + files);
        // The one being written and the two before it; every older one is gone.
        for (int i = 0; i < files; i++)
        {
            final Path file = i == 0 ? path : dir.resolve("kept.pcap." + i);
            assertEquals(i >= files - 3, Files.exists(file), file.toString());
        }
    }

    @Test
    void shouldReadBackWhatPcapFileWriterWrote() throws Exception
    {
        final Path path = dir.resolve("written.pcap");
        final byte[] frame = FrameBuilder.tcp().payload("written").build();
        try (PcapFileWriter writer = new PcapFileWriter(path, LinkTypes.ETHERNET, 65535, true))
        {
            writer.writePacket(new org.agrona.concurrent.UnsafeBuffer(frame), 0, frame.length, frame.length + 4, 1_234_567_890_123L);
        }
        try (PacketSource source = CaptureFiles.open(path.toString()))
        {
            final List<Packet> packets = readAll(source);
            assertEquals(1, packets.size());
            assertArrayEquals(frame, packets.get(0).bytes());
            assertEquals(frame.length + 4, packets.get(0).wireLength());
            assertEquals(1_234_567_890_123L, packets.get(0).timestampNanos());
        }
    }
}
