package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code httpcap stats --interface lo --duration D}: in a network namespace of its own (whose loopback
 * carries nothing but this test's traffic), {@code stats} captures live while tcpdump records the
 * same interface with the same filter, and a client sends requests to two Python HTTP servers
 * (keep-alive and not, 200 and 404). The live statistics equal {@code stats} of tcpdump's recording:
 * every table but the per-interval one (whose intervals start at each one's first frame), whose
 * frame, request, response and error totals are compared instead; every count exactly, times within
 * what two sockets' separate kernel timestamps allow ({@link #assertSame}); the kernel dropped
 * nothing and the frames read are the frames recorded.
 * <p>Needs root, unshare, ip, python3 and tcpdump: skipped without them, failed when CI is set.
 */
class StatsLiveIT
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void liveStatsEqualStatsOfTheSameFramesRecordedByTcpdump(@TempDir final Path dir) throws Exception
    {
        ItSupport.requireTools("unshare", "ip", "python3", "tcpdump");
        ItSupport.requireRoot();
        Files.writeString(dir.resolve("servers.py"), LiveStatsToKafkaIT.SERVERS);
        Files.writeString(dir.resolve("client.py"), LiveStatsToKafkaIT.CLIENT);
        final String script = String.join("\n",
            "set -e",
            "cd " + dir,
            "ip link set lo up",
            "python3 servers.py 18081 18082 > servers.out 2>&1 &",
            "tcpdump -i lo -U -n --time-stamp-precision=nano -w frames.pcap 'tcp portrange 18081-18082' 2> tcpdump.err &",
            "dump=$!",
            ItSupport.repoRoot().resolve("bin/httpcap") + " stats -i lo --filter 'tcp portrange 18081-18082' --duration 6 " +
                "--format json -o live.json 2> stats.err &",
            "stats=$!",
            "for i in $(seq 200); do",
            "  grep -q 'listening on' tcpdump.err && grep -q 'capturing on' stats.err && grep -q ready servers.out && break",
            "  sleep 0.05",
            "done",
            "python3 client.py 18081 18082 2.5",
            "wait $stats",
            "kill -INT $dump; wait $dump || true",
            "cat tcpdump.err >&2");
        final ItSupport.Result run = ItSupport.run("live-stats", List.of("unshare", "--net", "sh", "-c", script), null, dir,
            Duration.ofMinutes(2), Map.of("HTTPCAP_NO_BUILD", "1"));
        assertEquals(0, run.exitCode(), () -> run.describe() + "\n" + read(dir.resolve("stats.err")));
        assertTrue(run.stderrText().contains("\n0 packets dropped by kernel"), run::describe);

        final Path fromFile = dir.resolve("file.json");
        final ItSupport.Result file = ItSupport.httpcap("stats-file", List.of("stats", dir.resolve("frames.pcap").toString(),
            "--format", "json", "-o", fromFile.toString()), null, dir, Duration.ofMinutes(2));
        assertEquals(0, file.exitCode(), file::describe);
        final JsonNode live = MAPPER.readTree(dir.resolve("live.json").toFile());
        final JsonNode f = MAPPER.readTree(fromFile.toFile());
        assertEquals("live", live.at("/input/kind").asText());
        assertTrue(f.at("/http_tree/requests").asLong() > 40, "requests: " + f.at("/http_tree"));
        assertTrue(f.at("/http_tree/responses_by_code/404").asLong() > 0, "404s: " + f.at("/http_tree"));
        assertEquals(0, live.at("/ledger/kernel/dropped").asLong(), live.at("/ledger").toString());
        assertEquals(f.at("/ledger/packets/read").asLong(), live.at("/ledger/packets/read").asLong(),
            "frames read live = frames tcpdump recorded");
        for (final String total : List.of("frames", "bytes", "requests", "responses", "errors"))
        {
            assertEquals(sum(f, total), sum(live, total), "io intervals' " + total);
        }
        for (final JsonNode report : new JsonNode[] {live, f})
        {
            ((ObjectNode)report).remove(List.of("input", "ledger", "io"));
        }
        assertSame("", f, live);
    }

    /**
     * Equal, but for times: tcpdump's socket and httpcap's are stamped separately by the kernel, a
     * few microseconds apart, so conversations' start and duration may differ by up to a millisecond
     * and latencies (HdrHistogram values, microseconds) by 1% or 200 us; every count is exact.
     */
    private static void assertSame(final String path, final JsonNode expected, final JsonNode actual)
    {
        final String name = path.substring(path.lastIndexOf('/') + 1);
        if (expected.isNumber() && (name.equals("rel_start") || name.equals("duration")))
        {
            assertTrue(actual.isNumber() && Math.abs(expected.asDouble() - actual.asDouble()) < 1e-3,
                path + ": " + expected + " vs " + actual);
        }
        else if (expected.isNumber() && path.contains("/latency_us/") && !name.equals("count"))
        {
            final double tolerance = Math.max(200, 0.01 * expected.asDouble());
            assertTrue(actual.isNumber() && Math.abs(expected.asDouble() - actual.asDouble()) <= tolerance,
                path + ": " + expected + " vs " + actual);
        }
        else if (expected.isContainerNode())
        {
            assertEquals(expected.size(), actual.size(), path + ": " + expected + " vs " + actual);
            if (expected.isArray())
            {
                for (int i = 0; i < expected.size(); i++)
                {
                    assertSame(path + "/" + i, expected.get(i), actual.get(i));
                }
            }
            else
            {
                expected.fieldNames().forEachRemaining(field ->
                {
                    assertTrue(actual.has(field), path + ": no " + field + " in " + actual);
                    assertSame(path + "/" + field, expected.get(field), actual.get(field));
                });
            }
        }
        else
        {
            assertEquals(expected, actual, path);
        }
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.exists(file) ? Files.readString(file) : "";
        }
        catch (final java.io.IOException ex)
        {
            return ex.toString();
        }
    }

    private static long sum(final JsonNode report, final String field)
    {
        long n = 0;
        for (final JsonNode interval : report.at("/io/intervals"))
        {
            n += interval.at("/" + field).asLong();
        }
        return n;
    }
}
