package dev.httpcap.pipeline;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.httpcap.capture.CaptureFiles;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.sinks.EventFormat;
import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.FileSink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PipelineTest
{
    private static final int CONNECTIONS = 300;
    private static final int LARGE_PAYLOAD = 60_000;

    @TempDir
    Path dir;

    /** A classic pcap built by hand: Ethernet/IPv4/TCP connections, interleaved, plus noise. */
    static class Capture
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        long packets;
        long[] clientPackets = new long[CONNECTIONS];
        long[] serverPackets = new long[CONNECTIONS];
        long[] clientBytes = new long[CONNECTIONS];
        long[] serverBytes = new long[CONNECTIONS];

        Capture()
        {
            final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(0xa1b2c3d4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(262144).putInt(1);
            out.writeBytes(header.array());
        }

        void record(final byte[] frame, final long micros)
        {
            record(frame, frame.length, micros);
        }

        /** A record of which the capture kept only the first {@code captured} bytes (a snap length). */
        void record(final byte[] frame, final int captured, final long micros)
        {
            final ByteBuffer rec = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            rec.putInt((int)(micros / 1_000_000)).putInt((int)(micros % 1_000_000)).putInt(captured).putInt(frame.length);
            out.writeBytes(rec.array());
            out.write(frame, 0, captured);
            packets++;
        }

        void tcp(final int connection, final boolean fromClient, final int flags, final int payload, final long micros)
        {
            final int clientIp = 0x0A000000 | (connection + 1);
            final int serverIp = 0x0A0100FE;
            final int clientPort = 20_000 + connection;
            final byte[] frame = tcpFrame(
                fromClient ? clientIp : serverIp, fromClient ? serverIp : clientIp,
                fromClient ? clientPort : 80, fromClient ? 80 : clientPort, flags, payload);
            record(frame, micros);
            if (fromClient)
            {
                clientPackets[connection]++;
                clientBytes[connection] += frame.length;
            }
            else
            {
                serverPackets[connection]++;
                serverBytes[connection] += frame.length;
            }
        }

        static byte[] tcpFrame(final int src, final int dst, final int sport, final int dport, final int flags, final int payload)
        {
            final ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20 + payload);
            b.put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).putShort((short)0x0800);
            b.put((byte)0x45).put((byte)0).putShort((short)(40 + payload)).putShort((short)0).putShort((short)0x4000)
                .put((byte)64).put((byte)6).putShort((short)0).putInt(src).putInt(dst);
            b.putShort((short)sport).putShort((short)dport).putInt(1000).putInt(flags == 0x02 ? 0 : 2000)
                .put((byte)0x50).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
            for (int i = 0; i < payload; i++)
            {
                b.put((byte)('a' + i % 26));
            }
            return b.array();
        }
    }

    static Capture connections()
    {
        return connections(c -> true);
    }

    /** The connections whose number passes {@code include} (the ARP noise goes with connection 0's share). */
    static Capture connections(final java.util.function.IntPredicate include)
    {
        final Capture capture = new Capture()
        {
            @Override
            void tcp(final int connection, final boolean fromClient, final int flags, final int payload, final long micros)
            {
                if (include.test(connection))
                {
                    super.tcp(connection, fromClient, flags, payload, micros);
                }
            }

            @Override
            void record(final byte[] frame, final long micros)
            {
                if (frame.length != 42 || include.test(0))
                {
                    super.record(frame, micros);
                }
            }
        };
        long t = 1_700_000_000_000_000L;
        // Open every connection before closing any, so that flows stay live together and the
        // ring wraps many times; every 10th connection carries a frame bigger than many slots.
        for (int c = 0; c < CONNECTIONS; c++)
        {
            capture.tcp(c, true, 0x02, 0, t++);
            capture.tcp(c, false, 0x12, 0, t++);
            capture.tcp(c, true, 0x10, 0, t++);
        }
        for (int c = 0; c < CONNECTIONS; c++)
        {
            capture.tcp(c, true, 0x18, 100, t++);
            capture.tcp(c, false, 0x18, c % 10 == 0 ? LARGE_PAYLOAD : 1_000, t++);
            if (c % 7 == 0)
            {
                // ARP: counted, never published.
                final byte[] arp = new byte[42];
                arp[12] = 0x08;
                arp[13] = 0x06;
                capture.record(arp, t++);
            }
        }
        for (int c = 0; c < CONNECTIONS; c++)
        {
            capture.tcp(c, true, 0x11, 0, t++);
            capture.tcp(c, false, 0x11, 0, t++);
            capture.tcp(c, true, 0x10, 0, t++);
        }
        return capture;
    }

    private PipelineReport run(final Capture capture, final PipelineConfig config, final Path events) throws Exception
    {
        final Path pcap = dir.resolve("in.pcap");
        Files.write(pcap, capture.out.toByteArray());
        final EventSink sink = new FileSink(events, EventFormat.JSON, 0, 1);
        try (PacketSource source = CaptureFiles.open(pcap.toString()))
        {
            return new Pipeline(config, List.of(sink)).run(source);
        }
        finally
        {
            sink.close();
        }
    }

    /**
     * HTTP connections whose responses come in several segments, some larger than a ring slot:
     * connection {@code c} asks for {@code /c/<c>} and gets {@link #httpBodyBytes(int)} of body.
     */
    static Capture httpConnections(final int connections)
    {
        final Capture capture = new Capture();
        long t = 1_700_000_000_000_000L;
        for (int c = 0; c < connections; c++)
        {
            final int client = 0x0A000000 | (c + 1);
            final int server = 0x0A0100FE;
            final int port = 20_000 + c;
            final byte[] request = ("GET /c/" + c + " HTTP/1.1\r\nHost: example.test\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            final byte[] body = new byte[httpBodyBytes(c)];
            for (int i = 0; i < body.length; i++)
            {
                body[i] = (byte)('a' + (c + i) % 26);
            }
            final byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length +
                "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            final byte[] response = new byte[head.length + body.length];
            System.arraycopy(head, 0, response, 0, head.length);
            System.arraycopy(body, 0, response, head.length, body.length);

            capture.record(httpFrame(client, server, port, 80, 0x02, 1000, 0, new byte[0], 0, 0), t++);
            capture.record(httpFrame(server, client, 80, port, 0x12, 5000, 1001, new byte[0], 0, 0), t++);
            capture.record(httpFrame(client, server, port, 80, 0x10, 1001, 5001, new byte[0], 0, 0), t++);
            capture.record(httpFrame(client, server, port, 80, 0x18, 1001, 5001, request, 0, request.length), t++);
            // Segments of varying size, from a few bytes to more than a 2048-byte ring slot.
            final int segment = 7 + (c * 977) % 3000;
            long seq = 5001;
            for (int off = 0; off < response.length; off += segment)
            {
                final int n = Math.min(segment, response.length - off);
                capture.record(httpFrame(server, client, 80, port, 0x18, seq, 1001 + request.length, response, off, n), t++);
                seq += n;
            }
            capture.record(httpFrame(client, server, port, 80, 0x11, 1001 + request.length, seq, new byte[0], 0, 0), t++);
            capture.record(httpFrame(server, client, 80, port, 0x11, seq, 1002 + request.length, new byte[0], 0, 0), t++);
        }
        return capture;
    }

    static int httpBodyBytes(final int connection)
    {
        return (connection * 1_031) % 9_000;
    }

    static byte[] httpFrame(
        final int src, final int dst, final int sport, final int dport, final int flags, final long seq, final long ack,
        final byte[] data, final int offset, final int length)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20 + length);
        b.put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).putShort((short)0x0800);
        b.put((byte)0x45).put((byte)0).putShort((short)(40 + length)).putShort((short)0).putShort((short)0x4000)
            .put((byte)64).put((byte)6).putShort((short)0).putInt(src).putInt(dst);
        b.putShort((short)sport).putShort((short)dport).putInt((int)seq).putInt((int)ack)
            .put((byte)0x50).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
        b.put(data, offset, length);
        return b.array();
    }

    /**
     * A mapped file's payloads are read by the workers in place; a pipe's are copied into the ring
     * region first. Both must give the same events, also when the ring wraps many times over and
     * payloads span several slots.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void shouldDecodeTheSameEventsFromPayloadsReadInPlaceAndFromPayloadsCopiedIntoTheRing(final int workers)
        throws Exception
    {
        final int connections = 400;
        final Capture capture = httpConnections(connections);
        final Path pcap = dir.resolve("http.pcap");
        Files.write(pcap, capture.out.toByteArray());
        final PipelineConfig config = new PipelineConfig().workers(workers).ringSlots(512).slotBytes(2048);

        final Path mappedEvents = dir.resolve("mapped.ndjson");
        final PipelineReport mapped;
        final EventSink mappedSink = new FileSink(mappedEvents, EventFormat.JSON, 0, 1);
        try (PacketSource source = CaptureFiles.open(pcap.toString()))
        {
            assertTrue(source.framesStayReadable());
            mapped = new Pipeline(config, List.of(mappedSink)).run(source);
        }
        finally
        {
            mappedSink.close();
        }

        final Path copiedEvents = dir.resolve("copied.ndjson");
        final PipelineReport copied;
        final EventSink copiedSink = new FileSink(copiedEvents, EventFormat.JSON, 0, 1);
        try (PacketSource source = CaptureFiles.open(new java.io.ByteArrayInputStream(capture.out.toByteArray()), "pipe"))
        {
            assertFalse(source.framesStayReadable());
            copied = new Pipeline(config, List.of(copiedSink)).run(source);
        }
        finally
        {
            copiedSink.close();
        }

        for (final PipelineReport report : List.of(mapped, copied))
        {
            assertNull(report.failure());
            assertEquals(capture.packets, report.packetsRead());
            assertEquals(connections, report.eventsEmitted());
            assertEquals(0, report.eventsDropped());
        }
        final List<String> lines = new ArrayList<>(Files.readAllLines(mappedEvents));
        assertEquals(connections, lines.size());
        final Pattern event = Pattern.compile(
            "\"url\":\\{\"original\":\"/c/(\\d+)\".*\"status_code\":200,.*\"body\":\\{\"bytes\":(\\d+)}.*\"tags\":\\[]");
        final boolean[] seen = new boolean[connections];
        for (final String line : lines)
        {
            final Matcher m = event.matcher(line);
            assertTrue(m.find(), line);
            final int c = Integer.parseInt(m.group(1));
            assertEquals(httpBodyBytes(c), Integer.parseInt(m.group(2)), line);
            seen[c] = true;
        }
        for (int c = 0; c < connections; c++)
        {
            assertTrue(seen[c], "no event for connection " + c);
        }
        final List<String> copiedLines = new ArrayList<>(Files.readAllLines(copiedEvents));
        lines.sort(null);
        copiedLines.sort(null);
        assertEquals(lines, copiedLines);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void shouldAccountForEveryPacketAndWriteOneRecordPerConnection(final int workers) throws Exception
    {
        final Capture capture = connections();
        final Path events = dir.resolve("events.ndjson");
        final PipelineReport report = run(
            capture, new PipelineConfig().flowEvents(true).workers(workers).ringSlots(512).slotBytes(2048), events);

        assertNull(report.failure());
        assertEquals(capture.packets, report.packetsRead());
        assertEquals(report.packetsRead(), report.decoded() + report.dropped());
        assertEquals((long)Math.ceil(CONNECTIONS / 7.0), report.drops().get("non_ip"));
        assertEquals(CONNECTIONS, report.flows().get("fin"));
        assertEquals(CONNECTIONS, report.flowCount());
        assertEquals(CONNECTIONS, report.eventsEmitted());
        assertEquals(0, report.eventsDropped());
        assertEquals(CONNECTIONS, report.latency().events(), "one latency per written event");

        final List<String> lines = Files.readAllLines(events);
        assertEquals(CONNECTIONS, lines.size());
        final Pattern counts = Pattern.compile(
            "\"source\":\\{\"ip\":\"10\\.0\\.\\d+\\.\\d+\",\"port\":(\\d+),\"packets\":(\\d+),\"bytes\":(\\d+)}," +
            "\"destination\":\\{\"ip\":\"10\\.1\\.0\\.254\",\"port\":80,\"packets\":(\\d+),\"bytes\":(\\d+)}");
        final List<Integer> seen = new ArrayList<>();
        for (final String line : lines)
        {
            assertTrue(line.startsWith("{\"@timestamp\":\"2023-11-14T"), line);
            assertTrue(line.contains("\"reason\":\"fin\""), line);
            final Matcher m = counts.matcher(line);
            assertTrue(m.find(), line);
            final int c = Integer.parseInt(m.group(1)) - 20_000;
            seen.add(c);
            assertEquals(capture.clientPackets[c], Long.parseLong(m.group(2)), line);
            assertEquals(capture.clientBytes[c], Long.parseLong(m.group(3)), line);
            assertEquals(capture.serverPackets[c], Long.parseLong(m.group(4)), line);
            assertEquals(capture.serverBytes[c], Long.parseLong(m.group(5)), line);
        }
        assertEquals(CONNECTIONS, seen.stream().distinct().count());
    }

    /** A packet ring whose region an int cannot address: refused before anything is read, not failed on its first frame. */
    @Test
    void shouldRefuseAPacketRingOfTwoGibibytesOrMore() throws Exception
    {
        final PipelineConfig config = new PipelineConfig().ringSlots(1 << 20).slotBytes(2048);
        final IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> run(connections(), config, dir.resolve("events.ndjson")));
        assertEquals("a packet ring of 1048576 slots of 2048 bytes is over 2 GiB", refused.getMessage());
    }

    @Test
    void shouldRunOneLanePerSourceAndAddTheLanesUpWhenTheSourcesSplitTheTrafficByConnection() throws Exception
    {
        final Capture even = connections(c -> c % 2 == 0);
        final Capture odd = connections(c -> c % 2 == 1);
        final Path evenPcap = dir.resolve("even.pcap");
        final Path oddPcap = dir.resolve("odd.pcap");
        Files.write(evenPcap, even.out.toByteArray());
        Files.write(oddPcap, odd.out.toByteArray());
        final Path events = dir.resolve("events.ndjson");
        final List<String> captureThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger workerThreads = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger sinkThreads = new java.util.concurrent.atomic.AtomicInteger();
        final PipelineConfig config = new PipelineConfig().flowEvents(true).workers(2).ringSlots(512)
            .captureThreadFactory(r -> new Thread(() ->
            {
                captureThreads.add(Thread.currentThread().getName());
                r.run();
            }))
            .workerThreadFactory(r ->
            {
                workerThreads.incrementAndGet();
                return new Thread(r);
            })
            .sinkThreadFactory(r ->
            {
                sinkThreads.incrementAndGet();
                return new Thread(r);
            });
        final EventSink sink = new FileSink(events, EventFormat.JSON, 0, 1);
        final PipelineReport report;
        try (PacketSource a = CaptureFiles.open(evenPcap.toString());
            PacketSource b = CaptureFiles.open(oddPcap.toString()))
        {
            report = new Pipeline(config, List.of(sink)).run(List.of(a, b));
        }
        finally
        {
            sink.close();
        }

        assertNull(report.failure());
        assertEquals(List.of("httpcap-capture-0", "httpcap-capture-1"), captureThreads.stream().sorted().toList());
        assertEquals(4, workerThreads.get(), "two workers per lane");
        assertEquals(1, sinkThreads.get(), "one sink thread for both lanes");
        assertEquals(even.packets + odd.packets, report.packetsRead());
        assertEquals(report.packetsRead(), report.decoded() + report.dropped());
        assertEquals((long)Math.ceil(CONNECTIONS / 7.0), report.drops().get("non_ip"));
        assertEquals(CONNECTIONS, report.flows().get("fin"));
        assertEquals(CONNECTIONS, report.eventsEmitted());
        final List<String> lines = Files.readAllLines(events);
        assertEquals(CONNECTIONS, lines.size());
        assertEquals(CONNECTIONS, lines.stream().map(line -> line.replaceAll(".*\"port\":(2\\d{4}).*", "$1")).distinct().count());
    }

    @Test
    void shouldStopWithTheFailureInsteadOfWaitingForeverWhenAWorkerThreadDies() throws Exception
    {
        // A ring far smaller than the capture: the capture thread must wait for the workers, and one
        // of them dies at once (as a thread killed by an error outside the Disruptor's handling would).
        final Path pcap = dir.resolve("in.pcap");
        final Capture capture = connections();
        Files.write(pcap, capture.out.toByteArray());
        for (final int workers : new int[] {1, 2})
        {
            final java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
            final PipelineConfig config = new PipelineConfig().flowEvents(true).workers(workers).ringSlots(512)
                .workerThreadFactory(r -> new Thread(() ->
                {
                    if (started.getAndIncrement() == 0)
                    {
                        throw new OutOfMemoryError("simulated: the first worker dies");
                    }
                    r.run();
                }));
            final Path events = dir.resolve("events-" + workers + ".ndjson");
            final EventSink sink = new FileSink(events, EventFormat.JSON, 0, 1);
            final PipelineReport report = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(60), () ->
                {
                    try (PacketSource source = CaptureFiles.open(pcap.toString()))
                    {
                        return new Pipeline(config, List.of(sink)).run(source);
                    }
                    finally
                    {
                        sink.close();
                    }
                }, workers + " worker(s): the pipeline waited for a dead worker");
            assertTrue(report.failure() != null && report.failure().getMessage().contains("died"),
                workers + " worker(s): " + report.failure());
            assertTrue(report.packetsRead() < capture.packets, "reading stopped: " + report.packetsRead() + " of " + capture.packets);
        }
    }

    /**
     * An {@link EventTap} per worker sees every connection end once, on its own worker's thread, with
     * flow records written or not and with no sink at all (nothing encoded, nothing handed over).
     */
    @Test
    void shouldShowEachWorkersTapItsConnectionsOnItsThreadWithOrWithoutSinks() throws Exception
    {
        final Path pcap = dir.resolve("in.pcap");
        Files.write(pcap, connections().out.toByteArray());
        for (final boolean flowRecords : new boolean[] {false, true})
        {
            final List<java.util.Set<String>> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
            final java.util.concurrent.atomic.AtomicInteger ends = new java.util.concurrent.atomic.AtomicInteger();
            final PipelineConfig config = new PipelineConfig().flowEvents(flowRecords).workers(2).eventTaps(i ->
            {
                final java.util.Set<String> seenOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
                threads.add(seenOn);
                return new EventTap()
                {
                    @Override
                    public void onTransaction(final dev.httpcap.decoders.tcp.TcpFlow flow,
                        final dev.httpcap.decoders.http.HttpTransaction transaction)
                    {
                        seenOn.add(Thread.currentThread().getName());
                    }

                    @Override
                    public void onWebSocketMessage(final dev.httpcap.decoders.tcp.TcpFlow flow,
                        final dev.httpcap.decoders.websocket.WebSocketMessage message)
                    {
                        seenOn.add(Thread.currentThread().getName());
                    }

                    @Override
                    public void onFlowEnd(final dev.httpcap.decoders.tcp.TcpFlow flow)
                    {
                        seenOn.add(Thread.currentThread().getName());
                        ends.incrementAndGet();
                    }
                };
            });
            final PipelineReport report;
            try (PacketSource source = CaptureFiles.open(pcap.toString()))
            {
                report = new Pipeline(config, List.of()).run(source);
            }
            assertNull(report.failure());
            assertEquals(CONNECTIONS, ends.get(), "every connection's end, once (flow records " + flowRecords + ")");
            assertEquals(flowRecords ? CONNECTIONS : 0, report.eventsEmitted());
            assertEquals(0, report.eventsDropped(), "no sink, nothing handed over, nothing dropped");
            assertEquals(List.of(java.util.Set.of("httpcap-worker-0"), java.util.Set.of("httpcap-worker-1")), threads,
                "tap i is called on worker i's thread only");
        }
    }

    @Test
    void shouldCountEveryEventTheSinksCannotTakeUnderTheDropPolicy() throws Exception
    {
        final Path pcap = dir.resolve("in.pcap");
        final Capture capture = connections();
        Files.write(pcap, capture.out.toByteArray());
        final SlowSink sink = new SlowSink();
        final PipelineReport report;
        try (PacketSource source = CaptureFiles.open(pcap.toString()))
        {
            report = new Pipeline(new PipelineConfig().flowEvents(true).workers(2).eventRingBytes(64 * 1024)
                .maxEventBytes(PipelineConfig.MIN_MAX_EVENT_BYTES).eventBackPressure(BackPressure.DROP), List.of(sink))
                .run(source);
        }

        assertNull(report.failure());
        assertEquals(CONNECTIONS, report.eventsEmitted());
        assertTrue(report.eventsDropped() > 0, "a 64 KiB hand-off cannot hold 300 records for a slow sink");
        assertEquals(report.eventsEmitted(), sink.eventsWritten() + report.eventsDropped());
        assertEquals(sink.eventsWritten(), report.latency().events(), "dropped events are not measured");
        assertEquals(capture.packets, report.decoded() + report.dropped());
        assertEquals(java.util.Map.of("handoff_full", report.eventsDropped()), report.eventDrops());
        assertTrue(report.lines().contains("events: " + sink.eventsWritten() + " written, " + report.eventsDropped() +
            " dropped (handoff_full=" + report.eventsDropped() + ")"), String.join("\n", report.lines()));
    }

    /**
     * Under the block policy a slow sink holds the workers up at the hand-off, and the workers the
     * capture thread at its ring: nothing is lost, and both waits are counted and timed.
     */
    @Test
    void shouldCountAndTimeTheWaitsOfTheWorkersAndOfTheCaptureThreadBehindASlowSink() throws Exception
    {
        final Path pcap = dir.resolve("in.pcap");
        final Capture capture = connections();
        Files.write(pcap, capture.out.toByteArray());
        final SlowSink sink = new SlowSink();
        final Pipeline pipeline = new Pipeline(new PipelineConfig().flowEvents(true).workers(2).ringSlots(512)
            .eventRingBytes(64 * 1024).maxEventBytes(PipelineConfig.MIN_MAX_EVENT_BYTES), List.of(sink));
        final PipelineReport report;
        try (PacketSource source = CaptureFiles.open(pcap.toString()))
        {
            report = pipeline.run(source);
        }

        assertNull(report.failure());
        assertEquals(0, report.eventsDropped());
        assertEquals(report.eventsEmitted(), sink.eventsWritten());
        final Pipeline.Stalls stalls = pipeline.stalls();
        assertTrue(stalls.handoffStalls() > 0 && stalls.handoffStallNanos() > 0, stalls.describe());
        assertTrue(stalls.captureStalls() > 0 && stalls.captureStallNanos() > 0, stalls.describe());
        // ~300 events a millisecond each: most of the run is spent waiting for the sink.
        assertTrue(stalls.handoffStallNanos() > 100_000_000L, stalls.describe());
        long registered = 0;
        for (final CounterRegistry.Family family : pipeline.counters().families())
        {
            if (family.name().equals("capture_stalls"))
            {
                registered = family.total();
            }
        }
        assertEquals(stalls.captureStalls(), registered);
        assertTrue(stalls.describe().matches("gc pauses \\d+ \\(\\d+ ms, longest \\d+ ms\\), capture waits \\d+ " +
            "\\(\\d+\\.\\d ms\\), sink waits \\d+ \\(\\d+\\.\\d ms\\)"), stalls.describe());
    }

    /**
     * One response body of 180,000 control characters (text, escaped six bytes for one: 1.08 MB of
     * JSON) is over the 1000 KiB an event may take by default. Under the block policy nothing may be lost: the
     * event is cut to fit and tagged, in both formats, and the report says so.
     */
    @Test
    void shouldCutAnEventTooLargeForTheHandOffInsteadOfDroppingIt() throws Exception
    {
        final Capture capture = new Capture();
        final int client = 0x0A000001;
        final int server = 0x0A0100FE;
        final byte[] request = "GET /big HTTP/1.1\r\nHost: example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        final byte[] head = "HTTP/1.1 200 OK\r\nContent-Length: 180000\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        final byte[] response = new byte[head.length + 180_000];
        System.arraycopy(head, 0, response, 0, head.length);
        java.util.Arrays.fill(response, head.length, response.length, (byte)1);
        long t = 1_700_000_000_000_000L;
        capture.record(httpFrame(client, server, 20_000, 80, 0x02, 1000, 0, new byte[0], 0, 0), t++);
        capture.record(httpFrame(server, client, 80, 20_000, 0x12, 5000, 1001, new byte[0], 0, 0), t++);
        capture.record(httpFrame(client, server, 20_000, 80, 0x18, 1001, 5001, request, 0, request.length), t++);
        long seq = 5001;
        for (int off = 0; off < response.length; off += 1448)
        {
            final int n = Math.min(1448, response.length - off);
            capture.record(httpFrame(server, client, 80, 20_000, 0x18, seq, 1001 + request.length, response, off, n), t++);
            seq += n;
        }
        final Path pcap = dir.resolve("big.pcap");
        Files.write(pcap, capture.out.toByteArray());
        final Path json = dir.resolve("big.ndjson");
        final Path text = dir.resolve("big.txt");
        final EventSink jsonSink = new FileSink(json, EventFormat.JSON, 0, 1);
        final EventSink textSink = new FileSink(text, EventFormat.TEXT, 0, 1);
        final PipelineReport report;
        try (PacketSource source = CaptureFiles.open(pcap.toString()))
        {
            report = new Pipeline(new PipelineConfig().http(new dev.httpcap.decoders.http.HttpConfig().bodyBytes(200_000)),
                List.of(jsonSink, textSink)).run(source);
        }
        finally
        {
            jsonSink.close();
            textSink.close();
        }
        assertNull(report.failure());
        assertEquals(1, report.eventsEmitted());
        assertEquals(0, report.eventsDropped(), String.join("\n", report.lines()));
        assertEquals(1, report.eventsTruncated());
        assertTrue(report.lines().contains("events: 1 written, 0 dropped, 1 truncated to fit"), String.join("\n", report.lines()));
        final List<String> events = Files.readAllLines(json);
        assertEquals(1, events.size());
        final String event = events.getFirst();
        assertTrue(event.length() <= dev.httpcap.decoders.event.HttpEventEncoder.DEFAULT_MAX_EVENT_BYTES, "" + event.length());
        assertTrue(event.length() > dev.httpcap.decoders.event.HttpEventEncoder.DEFAULT_MAX_EVENT_BYTES - 64, "" + event.length());
        assertTrue(event.contains("\"body\":{\"bytes\":180000,\"content\":\"\\u0001\\u0001"), event.substring(0, 600));
        assertTrue(event.contains("\"tags\":[\"event_truncated\"]"), event.substring(event.length() - 200));
        assertTrue(Files.readString(text).contains("GET example.test/big 200"));
    }

    @Test
    void shouldSizeTheHandOffForTheLargestEventAndRefuseLargerOnesByName()
    {
        assertEquals(8 * 1024 * 1024, EventHandoff.capacityFor(8 * 1024 * 1024, 1024 * 1024 - EventHandoff.HEADER_LENGTH));
        assertEquals(16 * 1024 * 1024, EventHandoff.capacityFor(8 * 1024 * 1024, 1024 * 1024));
        assertEquals(new PipelineConfig().eventRingBytes(),
            EventHandoff.capacityFor(new PipelineConfig().eventRingBytes(), new PipelineConfig().maxEventBytes()),
            "the default limit needs no larger hand-off than the default");
        assertEquals(1 << 28, EventHandoff.capacityFor(64 * 1024, PipelineConfig.MAX_MAX_EVENT_BYTES));
        assertEquals(64 * 1024, EventHandoff.capacityFor(64 * 1024, PipelineConfig.MIN_MAX_EVENT_BYTES));
        final EventHandoff handoff = new EventHandoff(
            EventHandoff.capacityFor(64 * 1024, PipelineConfig.MIN_MAX_EVENT_BYTES), BackPressure.BLOCK);
        assertTrue(handoff.maxEventLength() >= PipelineConfig.MIN_MAX_EVENT_BYTES);
        final org.agrona.concurrent.UnsafeBuffer event = new org.agrona.concurrent.UnsafeBuffer(new byte[1 << 20]);
        assertEquals(EventHandoff.HANDED_OVER, handoff.offer(EventFormat.JSON, 0, event, 0, handoff.maxEventLength()));
        assertEquals(EventHandoff.TOO_LARGE, handoff.offer(EventFormat.JSON, 0, event, 0, handoff.maxEventLength() + 1));
        handoff.consumerGone();
        int result;
        while ((result = handoff.offer(EventFormat.JSON, 0, event, 0, 1000)) == EventHandoff.HANDED_OVER)
        {
            // fill the ring
        }
        assertEquals(EventHandoff.SINK_STOPPED, result);
        assertTrue(handoff.dropped() >= 2);
    }

    /** Takes a millisecond per event: far slower than the workers. */
    private static final class SlowSink extends TestSink
    {
        SlowSink()
        {
            super(EventFormat.JSON, "slow");
        }

        @Override
        public void onEvent(final org.agrona.DirectBuffer buffer, final int offset, final int length)
        {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            events++;
        }
    }

    @Test
    void shouldTimeOutIdleConnectionsOnAQuietLiveLinkThroughClockTicks() throws Exception
    {
        final SlowSink sink = new SlowSink();
        final java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        final EventSink counting = new ForwardingSink(sink, written);
        final byte[] syn = Capture.tcpFrame(0x0A000001, 0x0A000002, 40000, 80, 0x02, 0);
        // A live source: one SYN stamped now, then silence until the connection's record is out.
        final PacketSource quiet = new PacketSource()
        {
            private boolean sent;
            private final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);

            @Override
            public int poll(final dev.httpcap.capture.PacketHandler handler, final int limit)
            {
                if (!sent)
                {
                    sent = true;
                    handler.onPacket(new org.agrona.concurrent.UnsafeBuffer(syn), 0, syn.length, syn.length,
                        System.currentTimeMillis() * 1_000_000L, 1, 0);
                    return 1;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                return 0;
            }

            @Override
            public boolean isDone()
            {
                return written.get() > 0 || System.nanoTime() > deadline;
            }

            @Override
            public long bytesConsumed()
            {
                return 0;
            }

            @Override
            public long totalBytes()
            {
                return -1;
            }

            @Override
            public dev.httpcap.capture.CaptureFileCounters fileCounters()
            {
                return new dev.httpcap.capture.CaptureFileCounters();
            }

            @Override
            public void close()
            {
            }
        };

        final PipelineReport report = new Pipeline(new PipelineConfig().flowEvents(true).workers(2)
            .flowIdleTimeoutNanos(200_000_000L).clockTickNanos(50_000_000L), List.of(counting)).run(quiet);

        assertNull(report.failure());
        assertEquals(1, written.get(), "the idle connection's record was written while the capture was still running");
        assertEquals(1, report.flows().get("timeout"));
        assertEquals(0, report.flows().get("end_of_capture"));
        // The record was caused by the clock tick that timed the connection out, not by its SYN,
        // which was captured at least the 200 ms idle timeout before.
        assertEquals(1, report.latency().events());
        assertTrue(report.latency().maxNanos() < 200_000_000L, report.latency().reportLine());
    }

    @Test
    void shouldMeasureEveryWrittenEventFromItsCaptureToTheEndOfTheFlushThatWroteIt() throws Exception
    {
        final Path pcap = dir.resolve("in.pcap");
        final Capture capture = connections();
        Files.write(pcap, capture.out.toByteArray());
        final long flushNanos = 20_000_000L;
        final SlowFlushSink json = new SlowFlushSink(EventFormat.JSON, flushNanos);
        final SlowFlushSink text = new SlowFlushSink(EventFormat.TEXT, 0);
        final long before = System.nanoTime();
        final PipelineReport report;
        try (PacketSource source = CaptureFiles.open(pcap.toString()))
        {
            report = new Pipeline(new PipelineConfig().flowEvents(true).workers(2), List.of(json, text)).run(source);
        }
        final long runNanos = System.nanoTime() - before;

        assertNull(report.failure());
        assertEquals(CONNECTIONS, json.eventsWritten());
        assertEquals(CONNECTIONS, text.eventsWritten());
        final Latency latency = report.latency();
        assertEquals(CONNECTIONS, latency.events(), "each event once, though it went out in two formats");
        // An event counts as written only when the flush after it has returned, so every one
        // waited at least one slow flush; none can have taken longer than the whole run.
        assertTrue(latency.p50Nanos() >= flushNanos, latency.reportLine());
        assertTrue(latency.p50Nanos() <= latency.p99Nanos(), latency.reportLine());
        assertTrue(latency.p99Nanos() <= latency.p999Nanos(), latency.reportLine());
        assertTrue(latency.p999Nanos() <= latency.maxNanos(), latency.reportLine());
        assertTrue(latency.maxNanos() <= runNanos * 1.001, latency.reportLine() + " in a run of " + runNanos + " ns");
        assertTrue(Pattern.matches(
            "latency: capture to written p50=\\d+us p99=\\d+us p99\\.9=\\d+us max=\\d+us \\(300 events\\)",
            latency.reportLine()), latency.reportLine());
        assertTrue(report.lines().contains(latency.reportLine()), report.lines().toString());
    }

    /** Takes its time to flush, as a slow disk would. */
    private static final class SlowFlushSink extends TestSink
    {
        private final long flushNanos;

        SlowFlushSink(final EventFormat format, final long flushNanos)
        {
            super(format, format + " slow flush");
            this.flushNanos = flushNanos;
        }

        @Override
        public void flush()
        {
            final long end = System.nanoTime() + flushNanos;
            for (long now = System.nanoTime(); now < end; now = System.nanoTime())
            {
                java.util.concurrent.locks.LockSupport.parkNanos(end - now);
            }
        }
    }

    /** Counts what reaches the wrapped sink, visibly to other threads. */
    private record ForwardingSink(EventSink sink, java.util.concurrent.atomic.AtomicLong written) implements EventSink
    {
        @Override
        public EventFormat format()
        {
            return sink.format();
        }

        @Override
        public void onEvent(final org.agrona.DirectBuffer buffer, final int offset, final int length)
        {
            sink.onEvent(buffer, offset, length);
            written.incrementAndGet();
        }

        @Override
        public void flush()
        {
            sink.flush();
        }

        @Override
        public void close()
        {
            sink.close();
        }

        @Override
        public String name()
        {
            return sink.name();
        }

        @Override
        public long eventsWritten()
        {
            return sink.eventsWritten();
        }

        @Override
        public long bytesWritten()
        {
            return sink.bytesWritten();
        }

        @Override
        public long eventsFailed()
        {
            return sink.eventsFailed();
        }

        @Override
        public String lastError()
        {
            return sink.lastError();
        }
    }

    @Test
    void shouldCountFilteredPacketsApartFromDrops() throws Exception
    {
        final Capture capture = connections();
        final Path events = dir.resolve("filtered.ndjson");
        // Only connections whose client port is even.
        final StringBuilder filter = new StringBuilder("tcp and (");
        for (int c = 0; c < 10; c += 2)
        {
            filter.append(c == 0 ? "" : " or ").append("port ").append(20_000 + c);
        }
        filter.append(')');
        final PipelineReport report = run(capture, new PipelineConfig().flowEvents(true).workers(2).filter(filter.toString()), events);

        assertNull(report.failure());
        assertEquals(capture.packets, report.packetsRead());
        assertEquals(report.packetsRead(), report.decoded() + report.filtered() + report.dropped());
        assertEquals(5, report.flowCount());
        assertEquals(5 * 8, report.decoded());
        // Left out on purpose is not a loss: counted apart, and the run reports no drops.
        assertEquals(capture.packets - 5 * 8, report.filtered());
        assertEquals(0, report.dropped());
        assertNull(report.drops().get("filtered"));
        assertEquals("packets: " + capture.packets + " read, 40 decoded, " + (capture.packets - 40) + " filtered out, 0 dropped",
            report.lines().getFirst());
        assertEquals(5, Files.readAllLines(events).size());
    }

    /**
     * Connection 0 sends its request twice, the second copy with other bytes (an evasion, or a broken
     * middlebox): the first copy is decoded, the second is an overlap conflict, and the event and the
     * connection's record say so. Connection 1 sends its request twice, the same: nothing to say.
     * Connection 2's response was cut by a snap length: its event is tagged gap and snaplen, and the
     * report counts the cut frame.
     */
    @Test
    void shouldTagRetransmissionsWithOtherBytesAndSnapLengthCuts() throws Exception
    {
        final Capture capture = new Capture();
        long t = 1_700_000_000_000_000L;
        final int server = 0x0A0100FE;
        final int snaplen = 54 + 60;
        for (int c = 0; c < 3; c++)
        {
            final int client = 0x0A000000 | (c + 1);
            final int port = 20_000 + c;
            final byte[] request = ("GET /c/" + c + " HTTP/1.1\r\nHost: example.test\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            final byte[] response = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\n" +
                "0123456789".repeat(4)).getBytes(StandardCharsets.US_ASCII);
            capture.record(httpFrame(client, server, port, 80, 0x02, 1000, 0, new byte[0], 0, 0), t++);
            capture.record(httpFrame(server, client, 80, port, 0x12, 5000, 1001, new byte[0], 0, 0), t++);
            capture.record(httpFrame(client, server, port, 80, 0x10, 1001, 5001, new byte[0], 0, 0), t++);
            capture.record(httpFrame(client, server, port, 80, 0x18, 1001, 5001, request, 0, request.length), t++);
            final byte[] again = c == 0 ?
                ("GET /x/" + c + " HTTP/1.1\r\nHost: example.test\r\n\r\n").getBytes(StandardCharsets.US_ASCII) : request;
            if (c < 2)
            {
                capture.record(httpFrame(client, server, port, 80, 0x18, 1001, 5001, again, 0, again.length), t++);
            }
            final byte[] answer = httpFrame(server, client, 80, port, 0x18, 5001, 1001 + request.length, response, 0, response.length);
            capture.record(answer, c == 2 ? snaplen : answer.length, t++);
            final long end = 5001 + response.length;
            capture.record(httpFrame(client, server, port, 80, 0x11, 1001 + request.length, end, new byte[0], 0, 0), t++);
            capture.record(httpFrame(server, client, 80, port, 0x11, end, 1002 + request.length, new byte[0], 0, 0), t++);
        }
        final Path events = dir.resolve("tagged.ndjson");
        final PipelineReport report = run(capture, new PipelineConfig().flowEvents(true).workers(2), events);

        assertNull(report.failure());
        assertEquals(1, report.reassembly().get("overlap_conflicts"));
        assertEquals(1, report.snaplenCut());
        assertEquals(snaplen, report.snaplen());
        assertTrue(report.lines().contains("snaplen: 1 of " + capture.packets + " packets cut at " + snaplen +
            " bytes by the capture's snap length; the bytes they lost are gaps, their events tagged snaplen"), report.lines().toString());
        final List<String> lines = Files.readAllLines(events);
        assertEquals(6, lines.size(), lines.toString());
        final String[] httpTags = {"[\"overlap_conflict\"]", "[]", "[\"gap\",\"snaplen\"]"};
        final String[] flowTags = {"[\"overlap_conflict\"]", "[]", "[\"gap\",\"snaplen\"]"};
        for (int c = 0; c < 3; c++)
        {
            final String client = "\"source\":{\"ip\":\"10.0.0." + (c + 1) + "\"";
            final List<String> http = lines.stream().filter(l -> l.contains(client) && l.contains("\"dataset\":\"http\"")).toList();
            final List<String> flow = lines.stream().filter(l -> l.contains(client) && l.contains("\"dataset\":\"flow\"")).toList();
            assertEquals(1, http.size(), lines.toString());
            assertEquals(1, flow.size(), lines.toString());
            assertTrue(http.get(0).contains("\"url\":{\"original\":\"/c/" + c + "\""), "the first copy wins: " + http.get(0));
            assertTrue(http.get(0).contains("\"tags\":" + httpTags[c] + ","), http.get(0));
            assertTrue(flow.get(0).contains("\"tags\":" + flowTags[c] + ","), flow.get(0));
            // SYN, SYN-ACK and ACK a microsecond apart: the record carries the handshake's round trip.
            assertTrue(flow.get(0).endsWith(",\"timing\":{\"handshake\":2000}}}"), flow.get(0));
        }
    }

    /**
     * The connection's tags reach WebSocket messages as they reach HTTP transactions: the client's
     * frame is sent twice with other bytes the second time (the first copy is decoded and its message
     * emitted at once; the connection's next message is tagged overlap_conflict), and the server's
     * frame is cut by the snap length (its message is tagged gap and snaplen).
     */
    @Test
    void shouldTagWebSocketMessagesWithTheConnectionsOverlapConflictsAndSnapLengthCuts() throws Exception
    {
        final Capture capture = new Capture();
        long t = 1_700_000_000_000_000L;
        final int client = 0x0A000001;
        final int server = 0x0A0100FE;
        final int port = 20_100;
        final byte[] upgrade = ("GET /ws HTTP/1.1\r\nHost: example.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        final byte[] switching = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRrxK+xOo=\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        // Masked with a zero key, so the payload is readable as it is.
        final byte[] hello = {(byte) 0x81, (byte) 0x85, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
        final byte[] other = {(byte) 0x81, (byte) 0x85, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'x'};
        final byte[] answer = new byte[2 + 40];
        answer[0] = (byte) 0x81;
        answer[1] = 40;
        java.util.Arrays.fill(answer, 2, answer.length, (byte) 'a');
        final long c0 = 1001;
        final long s0 = 5001;
        capture.record(httpFrame(client, server, port, 80, 0x02, c0 - 1, 0, new byte[0], 0, 0), t++);
        capture.record(httpFrame(server, client, 80, port, 0x12, s0 - 1, c0, new byte[0], 0, 0), t++);
        capture.record(httpFrame(client, server, port, 80, 0x10, c0, s0, new byte[0], 0, 0), t++);
        capture.record(httpFrame(client, server, port, 80, 0x18, c0, s0, upgrade, 0, upgrade.length), t++);
        capture.record(httpFrame(server, client, 80, port, 0x18, s0, c0 + upgrade.length, switching, 0, switching.length), t++);
        final long c1 = c0 + upgrade.length;
        final long s1 = s0 + switching.length;
        capture.record(httpFrame(client, server, port, 80, 0x18, c1, s1, hello, 0, hello.length), t++);
        capture.record(httpFrame(client, server, port, 80, 0x18, c1, s1, other, 0, other.length), t++);
        final int snaplen = 54 + 12;
        final byte[] frame = httpFrame(server, client, 80, port, 0x18, s1, c1 + hello.length, answer, 0, answer.length);
        capture.record(frame, snaplen, t++);
        final long c2 = c1 + hello.length;
        final long s2 = s1 + answer.length;
        capture.record(httpFrame(client, server, port, 80, 0x11, c2, s2, new byte[0], 0, 0), t++);
        capture.record(httpFrame(server, client, 80, port, 0x11, s2, c2 + 1, new byte[0], 0, 0), t++);

        final Path events = dir.resolve("websocket-tagged.ndjson");
        final PipelineReport report = run(capture, new PipelineConfig().workers(1), events);

        assertNull(report.failure());
        assertEquals(1, report.reassembly().get("overlap_conflicts"));
        final List<String> lines = Files.readAllLines(events);
        final List<String> http = lines.stream().filter(l -> l.contains("\"dataset\":\"http\"")).toList();
        final List<String> ws = lines.stream().filter(l -> l.contains("\"dataset\":\"websocket\"")).toList();
        assertEquals(1, http.size(), lines.toString());
        assertTrue(http.get(0).contains("\"tags\":[],"), "the upgrade was emitted before the conflict: " + http.get(0));
        assertEquals(2, ws.size(), lines.toString());
        final String fromClient = ws.stream().filter(l -> l.contains("hello")).findFirst().orElseThrow(() -> new AssertionError(ws.toString()));
        final String fromServer = ws.stream().filter(l -> !l.contains("hello")).findFirst().orElseThrow();
        assertTrue(fromClient.contains("\"tags\":[],"), "the first copy decoded, emitted before the second arrived: " + fromClient);
        assertTrue(fromServer.contains("\"tags\":[\"gap\",\"overlap_conflict\",\"snaplen\"],"),
            "the next message of the connection carries the conflict: " + fromServer);
    }
}
