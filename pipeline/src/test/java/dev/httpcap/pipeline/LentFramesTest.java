package dev.httpcap.pipeline;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.httpcap.capture.CaptureFileCounters;
import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.ConsumerProgress;
import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.FileSink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A source that lends its frames in blocks, as an AF_PACKET ring does ({@link PacketSource#holdFrames}):
 * the workers read payloads in place, and a block the pipeline gives back is at once scribbled over
 * and filled again, so a block given back before every worker had passed it would show as corrupt events.
 */
class LentFramesTest
{
    private static final int CONNECTIONS = 300;
    private static final int FRAMES_PER_BLOCK = 8;
    private static final int FRAME_ROOM = 4096;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} blocks, {1} ring slots, {2} worker(s)")
    @CsvSource({"4, 64, 1", "4, 64, 2", "32, 64, 2", "2, 512, 3"})
    void shouldDecodeFromLentBlocksExactlyWhatCopiesGiveAndGiveEveryBlockBackOnlyOncePassed(
        final int blocks, final int ringSlots, final int workers) throws Exception
    {
        final PipelineTest.Capture capture = PipelineTest.httpConnections(CONNECTIONS);
        final PipelineConfig config = new PipelineConfig().workers(workers).ringSlots(ringSlots).slotBytes(8192);

        final Path copiedEvents = dir.resolve("copied.ndjson");
        try (PacketSource source = CaptureFiles.open(new java.io.ByteArrayInputStream(capture.out.toByteArray()), "pipe"))
        {
            final PipelineReport copied = run(config, source, copiedEvents);
            assertEquals(CONNECTIONS, copied.eventsEmitted());
        }

        final Path lentEvents = dir.resolve("lent.ndjson");
        final PipelineReport lent;
        final LendingSource source;
        try (LendingSource lending = new LendingSource(
            CaptureFiles.open(new java.io.ByteArrayInputStream(capture.out.toByteArray()), "pipe"), blocks))
        {
            source = lending;
            lent = run(config, source, lentEvents);
        }
        assertNull(lent.failure());
        assertEquals(capture.packets, lent.packetsRead());
        assertEquals(CONNECTIONS, lent.eventsEmitted());
        assertEquals(null, lent.drops().get("ring_full"));
        assertEquals(capture.packets, lent.decoded() + lent.dropped());

        final List<String> expected = new ArrayList<>(Files.readAllLines(copiedEvents));
        final List<String> actual = new ArrayList<>(Files.readAllLines(lentEvents));
        expected.sort(null);
        actual.sort(null);
        assertEquals(CONNECTIONS, actual.size());
        assertEquals(expected, actual);

        assertTrue(source.lent, "the pipeline asked for frames in place");
        if (blocks * FRAMES_PER_BLOCK < ringSlots)
        {
            // Fewer frames than the ring holds: the blocks, not the ring, run out while the workers read.
            assertTrue(source.allBlocksHeld > 0, "every block was lent at once at least once");
        }
        assertTrue(source.blocksFilled > 10L * blocks, "blocks were given back and filled again: " + source.blocksFilled);
    }

    private static PipelineReport run(final PipelineConfig config, final PacketSource source, final Path events)
        throws Exception
    {
        final EventSink sink = new FileSink(events, EventFormat.JSON, 0, 1);
        try
        {
            return new Pipeline(config, List.of(sink)).run(source);
        }
        finally
        {
            sink.close();
        }
    }

    /**
     * Frames from a pipe, copied into {@code blocks} native blocks of {@link #FRAMES_PER_BLOCK} and
     * delivered from there; a block is filled again only after it was given back, and given back is
     * scribbled over first. Like the kernel, it never overwrites a block still lent.
     */
    private static final class LendingSource implements PacketSource, PacketHandler
    {
        private final PacketSource frames;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment memory;
        private final int blockCount;
        private final long[] blockPosition;
        private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        private ConsumerProgress progress;
        private PacketHandler downstream;
        private int current;
        private int held;
        private long frameOffset;
        boolean lent;
        long allBlocksHeld;
        long blocksFilled;

        LendingSource(final PacketSource frames, final int blocks)
        {
            this.frames = frames;
            this.blockCount = blocks;
            this.blockPosition = new long[blocks];
            this.memory = arena.allocate((long)blocks * FRAMES_PER_BLOCK * FRAME_ROOM, 64);
        }

        @Override
        public boolean holdFrames(final ConsumerProgress progress)
        {
            this.progress = progress;
            lent = true;
            return true;
        }

        @Override
        public void releaseConsumedFrames()
        {
            final long consumed = progress.consumedPosition();
            while (held > 0)
            {
                final int oldest = current >= held ? current - held : current - held + blockCount;
                if (blockPosition[oldest] > consumed)
                {
                    return;
                }
                block(oldest).fill((byte)0xA5);
                held--;
            }
        }

        private MemorySegment block(final int index)
        {
            return memory.asSlice((long)index * FRAMES_PER_BLOCK * FRAME_ROOM, (long)FRAMES_PER_BLOCK * FRAME_ROOM);
        }

        @Override
        public int poll(final PacketHandler handler, final int limit)
        {
            releaseConsumedFrames();
            if (held == blockCount)
            {
                allBlocksHeld++;
                return 0;
            }
            downstream = handler;
            frameOffset = (long)current * FRAMES_PER_BLOCK * FRAME_ROOM;
            final int read = frames.poll(this, FRAMES_PER_BLOCK);
            if (read > 0)
            {
                blockPosition[current] = progress.publishedPosition();
                held++;
                blocksFilled++;
                current = (current + 1) % blockCount;
            }
            return read;
        }

        @Override
        public void onPacket(
            final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength,
            final long timestampNanos, final int linkType, final int interfaceId)
        {
            if (capturedLength > FRAME_ROOM)
            {
                throw new IllegalStateException("a frame of " + capturedLength + " bytes does not fit a block's frame");
            }
            view.wrap(memory.address() + frameOffset, capturedLength);
            view.putBytes(0, frame, offset, capturedLength);
            frameOffset += FRAME_ROOM;
            downstream.onPacket(view, 0, capturedLength, wireLength, timestampNanos, linkType, interfaceId);
        }

        @Override
        public boolean isDone()
        {
            return frames.isDone();
        }

        @Override
        public long bytesConsumed()
        {
            return frames.bytesConsumed();
        }

        @Override
        public long totalBytes()
        {
            return -1;
        }

        @Override
        public CaptureFileCounters fileCounters()
        {
            return frames.fileCounters();
        }

        @Override
        public void close()
        {
            frames.close();
            arena.close();
        }
    }
}
