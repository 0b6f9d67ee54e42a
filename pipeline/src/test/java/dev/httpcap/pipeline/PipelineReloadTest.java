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
import dev.httpcap.sinks.EventSink;

/** {@link Pipeline#reload}: new header rules reach a running worker, from the next batch of packets on. */
class PipelineReloadTest
{
    @TempDir
    Path dir;

    /** Keeps every event as text; any thread reads {@link #count()}. */
    private static final class ListSink implements EventSink
    {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());

        @Override
        public EventFormat format()
        {
            return EventFormat.JSON;
        }

        @Override
        public void onEvent(final DirectBuffer buffer, final int offset, final int length)
        {
            events.add(buffer.getStringWithoutLengthAscii(offset, length));
        }

        int count()
        {
            return events.size();
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }

        @Override
        public String name()
        {
            return "list";
        }

        @Override
        public long eventsWritten()
        {
            return events.size();
        }

        @Override
        public long bytesWritten()
        {
            return 0;
        }

        @Override
        public long eventsFailed()
        {
            return 0;
        }

        @Override
        public String lastError()
        {
            return null;
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
        assertEquals(3, sink.events.size(), sink.events::toString);
        assertTrue(sink.events.get(0).contains("\"/c/0\""), sink.events.get(0));
        assertTrue(sink.events.get(0).contains("\"headers\":{\"host\":\"example.test\"}"), "before the reload: " + sink.events.get(0));
        for (final String event : sink.events.subList(1, 3))
        {
            assertTrue(!event.contains("\"headers\""), "after the reload, no header fields: " + event);
            assertTrue(event.contains("\"domain\":\"example.test\""), "host still read for url.domain: " + event);
        }
    }
}
