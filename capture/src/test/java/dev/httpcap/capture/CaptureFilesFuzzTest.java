package dev.httpcap.capture;

import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Arbitrary bytes after a sound pcap or pcapng start, read as a mapped file and as a pipe: reading
 * always ends; both readings give the same packets and the same damage (at the same byte); a
 * file without damage was read to its last byte; and a pipe never holds more than one legal record
 * (it never reads more than {@code MAX_BLOCK_LENGTH} + its first window beyond what it parsed).
 * <p>
 * {@code mvn test} runs the random-driven variant (valid captures, cut, with bytes overwritten and
 * garbage appended); {@code JAZZER_FUZZ=1 mvn -pl capture test -Dtest=CaptureFilesFuzzTest} fuzzes.
 */
class CaptureFilesFuzzTest
{
    private static final long MAX_PULLED_AHEAD = CaptureFileParser.MAX_BLOCK_LENGTH + 64 + (1 << 20);

    /** What one reading saw: packets, a checksum of their bytes and lengths, the damage (without the input's name). */
    record Reading(long packets, long checksum, String damage, long consumed)
    {
    }

    static void check(final byte[] file) throws Exception
    {
        final Path path = Files.createTempFile("capture-fuzz", ".pcap");
        try
        {
            Files.write(path, file);
            final Reading mapped;
            try (PacketSource source = CaptureFiles.open(path.toString()))
            {
                mapped = read(source, "'" + path + "'");
            }
            catch (final CaptureFileException ex)
            {
                assertFalse(opensAsPipe(file), "a pipe opened what a file did not: " + ex.getMessage());
                return;
            }
            final long[] pulled = new long[1];
            final InputStream pipe = new InputStream()
            {
                @Override
                public int read()
                {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int read(final byte[] b, final int off, final int len)
                {
                    if (pulled[0] >= file.length)
                    {
                        return -1;
                    }
                    // A pipe delivers what it has: a few KiB at a time.
                    final int n = (int)Math.min(Math.min(len, 5_000), file.length - pulled[0]);
                    System.arraycopy(file, (int)pulled[0], b, off, n);
                    pulled[0] += n;
                    return n;
                }
            };
            final Reading streamed;
            try (PacketSource source = CaptureFiles.open(pipe, "standard input"))
            {
                streamed = read(source, "standard input");
            }
            assertEquals(mapped.packets(), streamed.packets(), "packets");
            assertEquals(mapped.checksum(), streamed.checksum(), "packet bytes");
            assertEquals(mapped.damage(), streamed.damage(), "damage");
            assertEquals(mapped.consumed(), streamed.consumed(), "bytes consumed");
            if (mapped.damage() == null)
            {
                assertEquals(file.length, mapped.consumed(), "a sound file is read to its end");
            }
            assertTrue(pulled[0] - streamed.consumed() <= MAX_PULLED_AHEAD,
                "the pipe's window held " + (pulled[0] - streamed.consumed()) + " bytes beyond what was parsed");
        }
        finally
        {
            Files.deleteIfExists(path);
        }
    }

    private static boolean opensAsPipe(final byte[] file)
    {
        try (PacketSource ignored = CaptureFiles.open(new java.io.ByteArrayInputStream(file), "standard input"))
        {
            return true;
        }
        catch (final CaptureFileException ex)
        {
            return false;
        }
    }

    private static Reading read(final PacketSource source, final String name)
    {
        final long[] packets = new long[1];
        final CRC32 crc = new CRC32();
        int polls = 0;
        while (!source.isDone())
        {
            source.poll((frame, offset, captured, wire, ts, linkType, ifId) ->
            {
                packets[0]++;
                for (int i = 0; i < captured; i++)
                {
                    crc.update(frame.getByte(offset + i));
                }
                crc.update(captured);
                crc.update(wire);
            }, 64);
            assertTrue(++polls < 1_000_000, "reading does not end");
        }
        final String damage = source.fileCounters().damage();
        assertEquals(damage != null, source.fileCounters().corruptBlocks() + source.fileCounters().truncatedRecords() > 0,
            "damage is described exactly when it is counted: " + damage);
        if (damage != null)
        {
            assertTrue(damage.startsWith(name + " is "), damage);
        }
        return new Reading(packets[0], crc.getValue(), damage == null ? null : damage.substring(name.length()),
            source.bytesConsumed());
    }

    /** A valid capture of a few frames, pcap or pcapng, to mutate. */
    static byte[] seed(final Random random)
    {
        final byte[][] frames = new byte[1 + random.nextInt(6)][];
        for (int i = 0; i < frames.length; i++)
        {
            frames[i] = FrameBuilder.tcp().payload(new byte[random.nextInt(1_500)]).build();
        }
        if (random.nextBoolean())
        {
            return CaptureFilesTest.pcap(random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN,
                random.nextBoolean(), LinkTypes.ETHERNET, frames);
        }
        final CaptureFilesTest.PcapNg ng = new CaptureFilesTest.PcapNg()
            .section(random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN).iface(LinkTypes.ETHERNET, 9);
        for (int i = 0; i < frames.length; i++)
        {
            ng.epb(0, i, frames[i]);
        }
        return ng.bytes();
    }

    @FuzzTest(maxDuration = "30s")
    void fuzz(final FuzzedDataProvider data) throws Exception
    {
        final byte[] start = seed(new Random(data.consumeInt()));
        final int keep = data.consumeInt(0, start.length);
        final byte[] tail = data.consumeRemainingAsBytes();
        final byte[] file = Arrays.copyOf(start, keep + tail.length);
        System.arraycopy(tail, 0, file, keep, tail.length);
        check(file);
    }

    @Test
    void shouldReadDamagedCapturesAlikeFromFilesAndPipes() throws Exception
    {
        for (long s = 0; s < 600; s++)
        {
            final Random random = new Random(s);
            byte[] file = seed(random);
            final int header = file.length > 0 && file[0] == 0x0A ? 28 : 24;
            switch (random.nextInt(4))
            {
                case 0 -> file = Arrays.copyOf(file, header + random.nextInt(file.length - header + 1));
                case 1 ->
                {
                    for (int i = 0, n = 1 + random.nextInt(8); i < n; i++)
                    {
                        file[header + random.nextInt(file.length - header)] = (byte)random.nextInt();
                    }
                }
                case 2 ->
                {
                    final int garbage = random.nextInt(5_000);
                    final int at = file.length;
                    file = Arrays.copyOf(file, at + garbage);
                    for (int i = at; i < file.length; i++)
                    {
                        file[i] = (byte)random.nextInt();
                    }
                }
                default ->
                {
                }
            }
            check(file);
        }
    }
}
