package dev.httpcap.decoders.tcp;

import java.util.Random;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.httpcap.common.TcpSegment;

/**
 * Drives the reassembler with arbitrary segment sequences — slices of one known stream, in any
 * order, repeated, overlapping, with arbitrary acknowledgements, FINs and resets — and checks
 * its invariants: every delivered byte is the stream's byte at that position (delivery is in
 * order), data plus gaps never run past what was sent, the window pool is never exceeded and is
 * all returned when the flow ends.
 * <p>
 * {@code mvn test} replays the saved inputs and runs the random-driven variant below;
 * {@code JAZZER_FUZZ=1 mvn -pl decoders test -Dtest=TcpReassemblerFuzzTest} fuzzes, guided by coverage.
 */
class TcpReassemblerFuzzTest
{
    private static final int STREAM_LENGTH = 6_000;
    private static final int WINDOW_BYTES = 1024;
    private static final int WINDOWS = 2;

    private static final class Checker implements StreamListener
    {
        final byte[] stream;
        final long[] position = new long[2];
        final boolean[] ended = new boolean[2];

        Checker(final byte[] stream)
        {
            this.stream = stream;
        }

        @Override
        public void onData(final TcpFlow flow, final int direction, final DirectBuffer buffer, final int offset,
            final int length, final long timestampNanos)
        {
            assertTrue(length > 0, "empty delivery");
            assertTrue(!ended[direction], "data after the end");
            for (int i = 0; i < length; i++)
            {
                final long at = position[direction] + i;
                assertTrue(at < STREAM_LENGTH, "delivered past what was sent: " + at);
                assertEquals(stream[(int)at], buffer.getByte(offset + i), "byte " + at + " out of order or wrong");
            }
            position[direction] += length;
        }

        @Override
        public void onGap(final TcpFlow flow, final int direction, final long length, final long timestampNanos)
        {
            assertTrue(length > 0, "empty gap");
            assertTrue(!ended[direction], "gap after the end");
            position[direction] += length;
            assertTrue(position[direction] <= STREAM_LENGTH, "gap past what was sent: " + position[direction]);
        }

        @Override
        public void onEnd(final TcpFlow flow, final int direction, final boolean reset, final long timestampNanos)
        {
            assertTrue(!ended[direction], "ended twice");
            ended[direction] = true;
        }
    }

    /** One run: {@code choices} supplies every decision, from Jazzer or from a seeded Random. */
    interface Choices
    {
        int pick(int min, int max);

        boolean flip();
    }

    static void run(final Choices choices)
    {
        final byte[] stream = new byte[STREAM_LENGTH];
        for (int i = 0; i < STREAM_LENGTH; i++)
        {
            stream[i] = (byte)(i * 31 + (i >>> 8));
        }
        final Checker checker = new Checker(stream);
        final TcpReassembler reassembler = new TcpReassembler(checker, WINDOW_BYTES, WINDOWS);
        try
        {
            final TcpFlow flow = new TcpFlow(0);
            flow.reset();
            final TcpFlow other = new TcpFlow(1);
            other.reset();
            final int isn = choices.flip() ? -choices.pick(1, 3_000) : choices.pick(0, Integer.MAX_VALUE);
            final TcpSegment segment = new TcpSegment();
            // Half the runs read the payload where it lies in memory that stays readable, as from a
            // mapped file, so that retransmissions are compared with the segments delivered (every
            // copy is a slice of the one stream: a conflict would be a false one).
            final boolean mapped = (isn & 1) == 0;
            final UnsafeBuffer payload;
            if (mapped)
            {
                final java.nio.ByteBuffer memory = java.nio.ByteBuffer.allocateDirect(STREAM_LENGTH);
                memory.put(stream);
                payload = new UnsafeBuffer(memory);
            }
            else
            {
                payload = new UnsafeBuffer(stream);
            }
            segment.payload = payload;
            segment.payloadStaysReadable = mapped;

            int maxEnd = 0;
            boolean finSent = false;
            final int count = choices.pick(0, 60);
            final boolean handshake = choices.flip();
            if (handshake)
            {
                segment.flags = TcpSegment.SYN;
                segment.seq = isn & 0xFFFF_FFFFL;
                segment.payloadLength = 0;
                segment.wirePayloadLength = 0;
                reassembler.onSegment(flow, TcpFlow.FROM_CLIENT, segment);
                reassembler.onSegment(other, TcpFlow.FROM_CLIENT, segment);
            }
            for (int i = 0; i < count; i++)
            {
                final int start = choices.pick(0, STREAM_LENGTH - 1);
                final int length = Math.min(choices.pick(0, 2_000), STREAM_LENGTH - start);
                final int captured = choices.flip() ? length : choices.pick(0, length);
                final int kind = choices.pick(0, 9);
                segment.timestampNanos = i;
                segment.flags = TcpSegment.ACK | (kind == 8 ? TcpSegment.FIN : 0) | (kind == 9 ? TcpSegment.RST : 0);
                segment.seq = (isn + 1 + start) & 0xFFFF_FFFFL;
                // Acknowledge as the receiver would, somewhere at or below the highest byte sent.
                segment.ack = 0;
                segment.payloadOffset = start;
                segment.payloadLength = captured;
                segment.wirePayloadLength = length;
                if (!handshake && i == 0)
                {
                    // A midstream start: the stream begins where the first segment says; keep the
                    // checker aligned by starting at the first byte.
                    segment.seq = (isn + 1) & 0xFFFF_FFFFL;
                    segment.payloadOffset = 0;
                }
                final int segmentStart = (int)(segment.seq - (isn + 1));
                if (length > 0 || (kind == 8 && !finSent))
                {
                    // An empty segment sends no byte, whatever its sequence number says; the
                    // (first) FIN does say that every byte before it was sent.
                    maxEnd = Math.max(maxEnd, segmentStart + length);
                }
                finSent |= kind == 8;
                reassembler.onSegment(flow, TcpFlow.FROM_CLIENT, segment);
                assertTrue(reassembler.windowsInUse() <= WINDOWS);

                if (choices.flip() && maxEnd > 0)
                {
                    segment.flags = TcpSegment.ACK;
                    segment.seq = 0;
                    segment.ack = (isn + 1 + choices.pick(0, maxEnd)) & 0xFFFF_FFFFL;
                    segment.payloadLength = 0;
                    segment.wirePayloadLength = 0;
                    reassembler.onSegment(flow, TcpFlow.FROM_SERVER, segment);
                }
                assertTrue(checker.position[0] <= maxEnd, "delivered beyond the highest byte sent");
            }
            reassembler.onFlowEnd(flow, count);
            reassembler.onFlowEnd(other, count);
            assertEquals(0, reassembler.windowsInUse(), "windows not returned");
            assertEquals(0, reassembler.overlapConflicts(), "every copy carried the stream's own bytes");
            assertTrue(checker.position[0] <= maxEnd);
            if (!flow.sides[0].streamEnded)
            {
                assertEquals(maxEnd, checker.position[0], "a flow's end delivers everything up to the last byte sent");
            }
        }
        finally
        {
            reassembler.close();
        }
    }

    @FuzzTest(maxDuration = "30s")
    void fuzz(final FuzzedDataProvider data)
    {
        run(new Choices()
        {
            @Override
            public int pick(final int min, final int max)
            {
                return data.consumeInt(min, max);
            }

            @Override
            public boolean flip()
            {
                return data.consumeBoolean();
            }
        });
    }

    @Test
    void shouldHoldItsInvariantsForRandomSegmentSequences()
    {
        for (long seed = 0; seed < 3_000; seed++)
        {
            final Random random = new Random(seed);
            run(new Choices()
            {
                @Override
                public int pick(final int min, final int max)
                {
                    return min + (int)(random.nextDouble() * ((long)max - min + 1));
                }

                @Override
                public boolean flip()
                {
                    return random.nextBoolean();
                }
            });
        }
    }
}
