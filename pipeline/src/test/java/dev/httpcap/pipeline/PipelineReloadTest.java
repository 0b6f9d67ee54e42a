package dev.httpcap.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.ForwardingPacketSource;
import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.decoders.http.HeaderRules;
import dev.httpcap.decoders.http.HeaderSelection;
import dev.httpcap.sinks.EventFormat;

/** {@link Pipeline#reload}: new header rules reach a running worker, from the next batch of packets on. */
class PipelineReloadTest
{
    @TempDir
    Path dir;

    /** Keeps every event as text; any thread reads {@link #count()}. */
    private static final class ListSink extends TestSink
    {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());

        ListSink()
        {
            super(EventFormat.JSON, "list");
        }

        @Override
        public void onEvent(final DirectBuffer buffer, final int offset, final int length)
        {
            super.onEvent(buffer, offset, length);
            lines.add(buffer.getStringWithoutLengthAscii(offset, length));
        }

        int count()
        {
            return lines.size();
        }
    }

    /** One packet per poll; after {@code before} packets, waits for the first event, then runs {@code between}. */
    private static final class PausingSource extends ForwardingPacketSource
    {
        private final long before;
        private final ListSink sink;
        private final Runnable between;
        private long packets;

        PausingSource(final PacketSource source, final long before, final ListSink sink, final Runnable between)
        {
            super(source);
            this.before = before;
            this.sink = sink;
            this.between = between;
        }

        @Override
        public int poll(final PacketHandler handler, final int limit)
        {
            if (packets == before)
            {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (sink.count() == 0 && System.nanoTime() < deadline)
                {
                    Thread.onSpinWait();
                }
                between.run();
            }
            final int read = source.poll(handler, 1);
            packets += read;
            return read;
        }
    }

    @Test
    void shouldApplyReloadedHeaderRulesToTheConnectionsThatFollow() throws Exception
    {
        final long firstConnection = PipelineTest.httpConnections(1).packets;
        final PipelineTest.Capture capture = PipelineTest.httpConnections(3);
        final Path pcap = dir.resolve("http.pcap");
        Files.write(pcap, capture.out.toByteArray());
        final ListSink sink = new ListSink();
        final Pipeline pipeline = new Pipeline(new PipelineConfig().workers(1), List.of(sink));
        final PipelineReport report;
        try (PacketSource source = new PausingSource(CaptureFiles.open(pcap.toString()), firstConnection, sink,
            () -> pipeline.reload(HeaderRules.of(HeaderSelection.NONE, true, List.of()))))
        {
            report = pipeline.run(source);
        }
        assertNull(report.failure());
        assertEquals(3, sink.lines.size(), sink.lines::toString);
        assertTrue(sink.lines.get(0).contains("\"/c/0\""), sink.lines.get(0));
        assertTrue(sink.lines.get(0).contains("\"headers\":{\"host\":\"example.test\"}"), "before the reload: " + sink.lines.get(0));
        for (final String event : sink.lines.subList(1, 3))
        {
            assertTrue(!event.contains("\"headers\""), "after the reload, no header fields: " + event);
            assertTrue(event.contains("\"domain\":\"example.test\""), "host still read for url.domain: " + event);
        }
    }
}
