package dev.httpcap.app.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.httpcap.app.Main;

/** Snapshots of two halves of the demo's events merge into the statistics of all of them. */
class StatsSnapshotTest
{
    private static final long SECOND = 1_000_000_000L;

    private static StatsCollector collect(final List<String> lines, final Map<String, Map<String, Long>> ledger) throws Exception
    {
        final StatsCollector collector = new StatsCollector(SECOND / 100, Long.MIN_VALUE);
        final NdjsonInput input = new NdjsonInput();
        input.read(new ByteArrayInputStream((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)), collector);
        ledger.put("input", input.ledger());
        return collector;
    }

    @Test
    void shouldMergeHalvesIntoTheWhole(@TempDir final Path dir) throws Exception
    {
        final Path events = dir.resolve("events.ndjson");
        assertEquals(0, Main.execute("read", Path.of("..", "samples", "demo.pcap").toString(), "--flows", "--sink",
            "file:" + events, "--progress", "never"));
        final List<String> all = Files.readAllLines(events);
        // Halves by connection: every event of a connection in the same half.
        final List<String> even = all.stream().filter(l -> clientPort(l) % 3 == 0).toList();
        final List<String> odd = all.stream().filter(l -> clientPort(l) % 3 != 0).toList();
        assertTrue(!even.isEmpty() && !odd.isEmpty(), "both halves hold events");

        final Map<String, Map<String, Long>> wholeLedger = new LinkedHashMap<>();
        final StatsCollector whole = collect(all, wholeLedger);
        final Map<String, Map<String, Long>> ledgerA = new LinkedHashMap<>();
        final Map<String, Map<String, Long>> ledgerB = new LinkedHashMap<>();
        final byte[] a = StatsSnapshot.encode(collect(even, ledgerA), null, ledgerA);
        final byte[] b = StatsSnapshot.encode(collect(odd, ledgerB), null, ledgerB);
        assertTrue(StatsSnapshot.isSnapshot(a));

        final StatsCollector merged = new StatsCollector(SECOND / 100, Long.MIN_VALUE);
        final Map<String, Map<String, Long>> mergedLedger = new LinkedHashMap<>();
        StatsSnapshot.mergeInto(a, merged, mergedLedger);
        StatsSnapshot.mergeInto(b, merged, mergedLedger);

        assertEquals(new StatsReport("x", "ndjson", whole, null, wholeLedger).json(),
            new StatsReport("x", "ndjson", merged, null, mergedLedger).json());

        // The workers' collectors merge the same way, in process (StatsCollector.merge), with the halves'
        // intervals put back on the merged one's time axis.
        final StatsCollector inProcess = new StatsCollector(SECOND / 100, Long.MIN_VALUE);
        inProcess.merge(collect(odd, new LinkedHashMap<>()));
        inProcess.merge(collect(even, new LinkedHashMap<>()));
        assertEquals(new StatsReport("x", "ndjson", whole, null, wholeLedger).json(),
            new StatsReport("x", "ndjson", inProcess, null, wholeLedger).json());
    }

    @Test
    void shouldRefuseADamagedSnapshot()
    {
        final StatsCollector collector = new StatsCollector(SECOND, Long.MIN_VALUE);
        final byte[] snapshot = StatsSnapshot.encode(collector, null, Map.of());
        final byte[] cut = java.util.Arrays.copyOf(snapshot, snapshot.length - 3);
        assertThrows(IllegalArgumentException.class, () -> StatsSnapshot.mergeInto(cut, collector, new LinkedHashMap<>()));
        assertEquals(false, StatsSnapshot.isSnapshot("{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
    }

    private static int clientPort(final String line)
    {
        final int at = line.indexOf("\"source\":{\"ip\":\"");
        final int port = line.indexOf("\"port\":", at) + 7;
        return Integer.parseInt(line.substring(port, line.indexOf(',', port)).replace("}", ""));
    }
}
