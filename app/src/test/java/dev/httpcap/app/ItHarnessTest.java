package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unit tests of the end-to-end tests' own parsing and comparison, so a harness bug is not blamed on the app. */
class ItHarnessTest
{
    private static final String REPORT = """
        packets: 193 read, 190 decoded, 3 dropped
        drops: non_ip=2 ip_fragment=1
        flows: 2 (fin=1 rst=1 timeout=0 evicted=0 port_reuse=0 end_of_capture=0), 0 midstream
        events: 2 written, 0 dropped
        sink file:/tmp/x: 2 events, 1404 bytes written
        latency: capture to written p50=123us p99=456us p99.9=789us max=1234us (2 events)
        time: 0.081 s, 2383 packets/s
        """;

    // frame.number tcp.stream ip.src ipv6.src tcp.srcport ip.dst ipv6.dst tcp.dstport frame.len syn ack
    private static final String TSHARK = String.join("\n",
        "1\t0\t10.0.0.1\t\t40000\t10.0.0.2\t\t80\t74\t1\t0",
        "2\t0\t10.0.0.2\t\t80\t10.0.0.1\t\t40000\t74\t1\t1",
        "3\t0\t10.0.0.1\t\t40000\t10.0.0.2\t\t80\t100\t0\t1",
        "4\t\t\t\t\t\t\t\t60\t\t", // ARP: no TCP
        // stream 1 starts mid-connection with a server packet: the first sender counts as client
        "5\t1\t10.0.0.2\t\t443\t10.0.0.1\t\t50000\t1500\t0\t1",
        // stream 2: same 4-tuple as stream 0 (port reuse), SYN seen in the second frame
        "6\t2\t10.0.0.2\t\t80\t10.0.0.1\t\t40000\t66\t0\t1",
        "7\t2\t10.0.0.1\t\t40000\t10.0.0.2\t\t80\t74\t1\t0",
        "8\t3\t\t::1\t5000\t\t0:0:0:0:0:0:0:1\t8080\t86\tTrue\tFalse",
        "");

    @Test
    void parsesTheFinalReport()
    {
        final FinalReport report = FinalReport.parse("some warning\n" + REPORT);
        assertEquals(193L, report.read());
        assertEquals(190L, report.decoded());
        assertEquals(3L, report.dropped());
        assertEquals(Map.of("non_ip", 2L, "ip_fragment", 1L), report.drops());
        assertEquals(2L, report.flows());
        assertEquals(1L, report.flowReasons().get("rst"));
        assertEquals(2L, report.eventsWritten());
        assertEquals(0L, report.eventsDropped());
        assertEquals(2L, report.latencyEvents());
        assertEquals(List.of(123L, 456L, 789L, 1234L), report.latency());
        assertEquals(0L, FinalReport.parse("latency: no events\n").latencyEvents());
        assertNull(FinalReport.parse("httpcap: no such file").read());
    }

    @Test
    void checksTheReportAgainstFramesAndEvents(@TempDir final Path dir) throws IOException
    {
        final Path ndjson = dir.resolve("e.ndjson");
        Files.writeString(ndjson, flow("10.0.0.1", 1, "10.0.0.2", 2, "fin") + "\n" + flow("10.0.0.1", 3, "10.0.0.2", 2, "rst") + "\n");
        final FlowEvents.Events events = FlowEvents.read(ndjson);
        assertEquals(List.of(), events.problems());
        assertEquals(List.of(), FinalReport.parse(REPORT).check(193, events));
        final List<String> problems = FinalReport.parse(REPORT.replace("190 decoded", "189 decoded")).check(194, events);
        assertEquals(2, problems.size(), problems::toString);
        assertEquals(1, FinalReport.parse(REPORT.replace("(2 events)", "(3 events)")).check(193, events).size());
        assertEquals(1, FinalReport.parse(REPORT.replace("p99=456us", "p99=8000us")).check(193, events).size());
        assertEquals(1, FinalReport.parse(REPORT.replace("latency: capture", "latency capture")).check(193, events).size());
    }

    @Test
    void aggregatesTsharkStreamsFromTheClientSide(@TempDir final Path dir) throws IOException
    {
        final Path tsv = dir.resolve("t.tsv");
        Files.writeString(tsv, TSHARK);
        final TsharkConnections.Capture capture = TsharkConnections.parse(tsv);
        assertEquals(8, capture.frames());
        final List<TsharkConnections.Connection> c = capture.connections();
        assertEquals(4, c.size());
        assertEquals(new TsharkConnections.Connection(0, 1, "10.0.0.1", 40000, "10.0.0.2", 80, 2, 174, 1, 74), c.get(0));
        assertEquals(new TsharkConnections.Connection(1, 5, "10.0.0.2", 443, "10.0.0.1", 50000, 1, 1500, 0, 0), c.get(1));
        assertEquals(new TsharkConnections.Connection(2, 6, "10.0.0.1", 40000, "10.0.0.2", 80, 1, 74, 1, 66), c.get(2));
        assertEquals(new TsharkConnections.Connection(3, 8, "0:0:0:0:0:0:0:1", 5000, "0:0:0:0:0:0:0:1", 8080, 1, 86, 0, 0), c.get(3));
    }

    @Test
    void comparesInStartOrderPerFourTuple(@TempDir final Path dir) throws IOException
    {
        final Path tsv = dir.resolve("t.tsv");
        Files.writeString(tsv, TSHARK);
        final List<TsharkConnections.Connection> expected = TsharkConnections.parse(tsv).connections();
        // Out of order in the file; the reused tuple's two connections are told apart by event.start.
        final String events = String.join("\n",
            flow("10.0.0.1", 40000, 1, 74, "10.0.0.2", 80, 1, 66, "2026-01-01T00:00:02Z"),
            flow("::1", 5000, 1, 86, "::1", 8080, 0, 0, "2026-01-01T00:00:03Z"),
            flow("10.0.0.2", 443, 1, 1500, "10.0.0.1", 50000, 0, 0, "2026-01-01T00:00:01.5Z"),
            flow("10.0.0.1", 40000, 2, 174, "10.0.0.2", 80, 1, 74, "2026-01-01T00:00:01Z"));
        final Path ndjson = dir.resolve("e.ndjson");
        Files.writeString(ndjson, events + "\n");
        final FlowComparison.Result ok = FlowComparison.compare(expected, FlowEvents.read(ndjson).flows());
        assertTrue(ok.ok(), ok::report);
        assertEquals(4, ok.matched());

        // Swap the starts of the reused tuple: both pairs now differ. Drop one and reverse another.
        final String bad = String.join("\n",
            flow("10.0.0.1", 40000, 1, 74, "10.0.0.2", 80, 1, 66, "2026-01-01T00:00:00Z"),
            flow("8080", "::1", "5000", "::1"),
            flow("10.0.0.1", 40000, 2, 174, "10.0.0.2", 80, 1, 74, "2026-01-01T00:00:01Z"),
            "not json");
        Files.writeString(ndjson, bad + "\n");
        final FlowEvents.Events read = FlowEvents.read(ndjson);
        assertEquals(1, read.problems().size(), read.problems()::toString);
        final FlowComparison.Result result = FlowComparison.compare(expected, read.flows());
        final String report = result.report();
        assertEquals(4, result.differences().size(), report);
        assertTrue(report.contains("client->server packets tshark=2 httpcap=1"), report);
        assertTrue(report.contains("missing in httpcap: 10.0.0.2:443 -> 10.0.0.1:50000"), report);
        assertTrue(report.contains("httpcap has client and server swapped"), report);
    }

    private static String flow(final String cip, final int cport, final String sip, final int sport, final String reason)
    {
        return flow(cip, cport, 1, 60, sip, sport, 1, 60, "2026-01-01T00:00:00Z").replace("\"fin\"", "\"" + reason + "\"");
    }

    /** A reversed flow of the IPv6 stream: server port as source. */
    private static String flow(final String sport, final String sip, final String cport, final String cip)
    {
        return flow(sip, Integer.parseInt(sport), 0, 0, cip, Integer.parseInt(cport), 1, 86, "2026-01-01T00:00:03Z");
    }

    private static String flow(final String cip, final int cport, final long cp, final long cb, final String sip, final int sport,
        final long sp, final long sb, final String start)
    {
        return "{\"@timestamp\":\"" + start + "\",\"event\":{\"dataset\":\"flow\",\"kind\":\"event\",\"start\":\"" + start
            + "\",\"end\":\"" + start + "\",\"duration\":0,\"reason\":\"fin\"},\"source\":{\"ip\":\"" + cip + "\",\"port\":" + cport
            + ",\"packets\":" + cp + ",\"bytes\":" + cb + "},\"destination\":{\"ip\":\"" + sip + "\",\"port\":" + sport
            + ",\"packets\":" + sp + ",\"bytes\":" + sb + "},\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\",\"packets\":"
            + (cp + sp) + ",\"bytes\":" + (cb + sb) + "},\"tags\":[]}";
    }
}
