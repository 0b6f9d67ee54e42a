package dev.httpcap.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import dev.httpcap.sinks.EventFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SinkRunnerTest
{
    @Test
    void shouldMeasureEveryEventOnceFlushedAndFlushEarlyRatherThanLetEventsWaitUnmeasured() throws Exception
    {
        final int events = 6 * SinkRunner.MAX_UNFLUSHED + 100;
        final EventHandoff handoff = new EventHandoff(4 * 1024 * 1024, BackPressure.BLOCK);
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[64]);
        final long ageNanos = 5_000_000L;
        for (int i = 0; i < events; i++)
        {
            final int length = scratch.putStringWithoutLengthAscii(0, "event-" + i);
            // Measured: every other message; the others stand for the first format of a two-format event.
            final long captureNanos = i % 2 == 0 ? System.nanoTime() - ageNanos : EventHandoff.NOT_MEASURED;
            assertEquals(EventHandoff.HANDED_OVER, handoff.offer(EventFormat.JSON, captureNanos, scratch, 0, length));
        }
        final RecordingSink sink = new RecordingSink();
        final CaptureLatency latency = new CaptureLatency();
        final SinkRunner runner = new SinkRunner(handoff, List.of(sink), latency);

        // Everything is waiting before the sink thread starts, so the hand-off never runs dry and
        // only the limit on unmeasured events can make it flush before the end.
        final Thread thread = new Thread(PipelineAgent.runnable(runner, SinkRunner.idleStrategy(BackPressure.BLOCK)));
        thread.start();
        runner.producersDone();
        thread.join();

        assertNull(runner.failure());
        assertEquals(events, sink.lines.size());
        for (int i = 0; i < events; i++)
        {
            assertEquals("event-" + i, sink.lines.get(i), "the sink sees the event without the capture time before it");
        }
        assertEquals(2 * SinkRunner.MAX_UNFLUSHED, sink.mostEventsBetweenFlushes,
            "a flush forced after MAX_UNFLUSHED measured events (every other message)");
        final Latency total = latency.total();
        assertEquals((events + 1) / 2, total.events());
        assertTrue(total.p50Nanos() >= ageNanos, total.reportLine());
        assertTrue(total.maxNanos() < 60_000_000_000L, total.reportLine());
    }

    @Test
    void shouldGiveEachIntervalItsOwnEventsAndTheTotalAllOfThem()
    {
        final CaptureLatency latency = new CaptureLatency();
        assertEquals(Latency.NONE, latency.sinceLastCall());
        latency.record(1_000_000L);
        latency.record(3_000_000L);
        final Latency first = latency.sinceLastCall();
        assertEquals(2, first.events());
        assertEquals(3_000_000L, first.maxNanos(), 3_000L);
        latency.record(-5);
        latency.record(Long.MAX_VALUE);
        final Latency second = latency.sinceLastCall();
        assertEquals(2, second.events(), "out-of-range values are clamped, not lost or thrown");
        assertEquals(CaptureLatency.HIGHEST_NANOS, second.maxNanos(), CaptureLatency.HIGHEST_NANOS / 1000.0);
        final Latency total = latency.total();
        assertEquals(4, total.events());
        assertEquals(Latency.NONE, latency.sinceLastCall());
        assertEquals(4, latency.total().events());
    }

    @Test
    void shouldPrintTheLatencyLineInWholeMicroseconds()
    {
        assertEquals("latency: no events", Latency.NONE.reportLine());
        assertEquals("none", Latency.NONE.percentiles());
        assertEquals("latency: capture to written p50=123us p99=457us p99.9=789us max=1234us (5 events)",
            new Latency(5, 123_400, 456_600, 789_000, 1_234_499).reportLine());
    }

    private static final class RecordingSink extends TestSink
    {
        final List<String> lines = new ArrayList<>();
        int sinceFlush;
        int mostEventsBetweenFlushes;

        RecordingSink()
        {
            super(EventFormat.JSON, "recording");
        }

        @Override
        public void onEvent(final DirectBuffer buffer, final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            lines.add(new String(bytes, StandardCharsets.US_ASCII));
            events++;
            sinceFlush++;
        }

        @Override
        public void flush()
        {
            mostEventsBetweenFlushes = Math.max(mostEventsBetweenFlushes, sinceFlush);
            sinceFlush = 0;
        }
    }
}
