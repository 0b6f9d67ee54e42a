package dev.httpcap.capture;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import dev.httpcap.common.WriteBehind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code live --write}'s recording leaves the page cache behind its end ({@code --write-cache drop},
 * the default) or stays in it ({@code keep}), and every frame is in the file either way. Residency
 * is read with util-linux's {@code fincore}.
 */
class PcapFileWriterCacheTest
{
    /** Several chunks past the window. */
    private static final long FILE_BYTES = WriteBehind.WINDOW + 16 * WriteBehind.CHUNK;
    private static final int PAYLOAD = 1400;

    private Path file;

    @AfterEach
    void deleteFile() throws IOException
    {
        if (null != file)
        {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void shouldDropARecordingFromThePageCacheBehindItsEndWithoutLosingAFrame() throws Exception
    {
        file = Files.createTempFile(diskDirectory(), "httpcap-write-cache", ".pcap");
        final long frames = record(file, true);
        final long resident = residentBytes(file);
        assertTrue(resident <= WriteBehind.WINDOW + 3 * WriteBehind.CHUNK,
            "at most the window and a few chunks of the " + Files.size(file) + " bytes cached, but " + resident + " are");
        assertFramesIntact(file, frames);
    }

    @Test
    void shouldKeepARecordingInThePageCacheWhenAskedTo() throws Exception
    {
        file = Files.createTempFile(diskDirectory(), "httpcap-write-cache", ".pcap");
        final long frames = record(file, false);
        assertFramesIntact(file, frames);
        // What the kernel keeps is up to it (memory pressure, a cgroup's limit): the drop tests above
        // are only telling where it does keep what was written.
        final long resident = residentBytes(file);
        Assumptions.assumeTrue(resident > WriteBehind.WINDOW + 3 * WriteBehind.CHUNK,
            "the kernel kept no more than the window of a recording left to it (" + resident + " bytes)");
    }

    @Test
    void shouldDropEachRotatedRecordingFromThePageCache() throws Exception
    {
        final Path dir = Files.createTempDirectory(diskDirectory(), "httpcap-write-cache");
        file = dir.resolve("rec.pcap");
        final byte[] frame = FrameBuilder.tcp().payload(new byte[PAYLOAD]).build();
        final long rotateBytes = WriteBehind.WINDOW + 8 * WriteBehind.CHUNK;
        try (RotatingPcapWriter writer = new RotatingPcapWriter(file, LinkTypes.ETHERNET, 65535, rotateBytes, 5, true))
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(frame);
            for (long written = 0; written < 2 * rotateBytes + WriteBehind.WINDOW; written += 16 + frame.length)
            {
                writer.write(buffer, 0, frame.length, frame.length, written);
            }
            assertEquals(3, writer.files());
            assertNull(writer.cacheFailure());
        }
        try
        {
            for (final Path each : new Path[] {file, dir.resolve("rec.pcap.1"), dir.resolve("rec.pcap.2")})
            {
                final long resident = residentBytes(each);
                assertTrue(resident <= WriteBehind.WINDOW + 3 * WriteBehind.CHUNK, each + ": " + resident + " bytes cached");
            }
        }
        finally
        {
            for (final Path each : new Path[] {dir.resolve("rec.pcap.1"), dir.resolve("rec.pcap.2")})
            {
                Files.deleteIfExists(each);
            }
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** Frames numbered in their sequence number and payload, until the file is {@link #FILE_BYTES} long. */
    private static long record(final Path path, final boolean dropCache) throws IOException
    {
        final byte[] payload = new byte[PAYLOAD];
        long frames = 0;
        try (PcapFileWriter writer = new PcapFileWriter(path, LinkTypes.ETHERNET, 65535, true, dropCache))
        {
            for (long written = 24; written < FILE_BYTES; frames++)
            {
                final byte[] number = String.format("%012d", frames).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(number, 0, payload, 0, number.length);
                final byte[] frame = FrameBuilder.tcp().seq((int)frames, 0).payload(payload).build();
                writer.writePacket(new UnsafeBuffer(frame), 0, frame.length, frame.length, frames * 1000L);
                written += 16 + frame.length;
            }
            assertNull(writer.cacheFailure());
        }
        return frames;
    }

    private static void assertFramesIntact(final Path path, final long frames) throws Exception
    {
        final long[] count = new long[1];
        final PacketDecoder decoder = new PacketDecoder();
        final PacketInfo info = new PacketInfo();
        final byte[] number = new byte[12];
        try (PacketSource source = CaptureFiles.open(path.toString()))
        {
            while (!source.isDone())
            {
                source.poll((frame, offset, captured, wire, ts, linkType, ifId) ->
                {
                    assertEquals(DecodeStatus.TCP, decoder.decode(frame, offset, captured, linkType, info));
                    assertEquals((int)count[0], (int)info.segment().seq);
                    assertEquals(PAYLOAD, info.segment().payloadLength);
                    frame.getBytes(offset + info.payloadOffset, number);
                    assertEquals(String.format("%012d", count[0]), new String(number, StandardCharsets.US_ASCII));
                    count[0]++;
                }, 1000);
            }
        }
        assertEquals(frames, count[0]);
    }

    /** Bytes of the file in the page cache, by {@code fincore}. */
    private static long residentBytes(final Path path) throws Exception
    {
        final Process fincore;
        try
        {
            fincore = new ProcessBuilder("fincore", "--bytes", "--noheadings", "--raw", "--output", "RES", path.toString())
                .redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            return Assumptions.abort("fincore (util-linux) is not installed: " + ex.getMessage());
        }
        final String out = new String(fincore.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertTrue(fincore.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, fincore.exitValue(), out);
        return Long.parseLong(out);
    }

    /**
     * A directory on a local disk file system whose page cache the calls reach (not tmpfs, whose pages
     * are the file, nor overlayfs, where dropping them is best effort, nor a network or FUSE file
     * system): the temp dir, or /var/tmp; only where the calls are made (Linux x86-64 and aarch64).
     */
    private static Path diskDirectory() throws IOException
    {
        Assumptions.assumeTrue("Linux".equals(System.getProperty("os.name")) &&
            ("amd64".equals(System.getProperty("os.arch")) || "aarch64".equals(System.getProperty("os.arch"))),
            "write-behind is made on Linux x86-64 and aarch64 only");
        for (final Path dir : new Path[] {Path.of(System.getProperty("java.io.tmpdir")), Path.of("/var/tmp")})
        {
            final String type = Files.isDirectory(dir) ? Files.getFileStore(dir).type() : "none";
            if ("ext4".equals(type) || "xfs".equals(type) || "btrfs".equals(type))
            {
                return dir;
            }
        }
        return Assumptions.abort("no directory on ext4, xfs or btrfs to write to");
    }
}
