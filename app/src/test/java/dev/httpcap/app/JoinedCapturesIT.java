package dev.httpcap.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Captures joined end to end whose times go back: a real recording (scripts/record-http-mix.sh:
 * nginx and curl on loopback, many short connections) followed by a copy of itself with other
 * addresses ({@code tcprewrite --seed}) an hour older ({@code editcap -t -3600}), joined by
 * {@code mergecap -a}, as rotated files concatenated out of order, or a clock set back, would be.
 * {@code bin/httpcap read --flows} of the joined file must give every event of the recording twice,
 * the same (method, target, status, tags; connection end reason, history, packets), and count the
 * step: before, the second part's connections were measured against the first part's time, so each
 * closed connection ended at its next packet and each open one timed out, and the 200 transactions
 * of a curl loop became 200 requests without an answer and 200 orphan answers.
 *
 * <p>Needs root, tcpdump, nginx, curl, tcprewrite, editcap and mergecap: skipped without them,
 * failed when CI is set.
 */
class JoinedCapturesIT
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void shouldDecodeCapturesJoinedWithTimesGoingBackAsTheirPartsAlone(@TempDir final Path tempDir)
        throws IOException, InterruptedException
    {
        ItSupport.requireTools("tcpdump", "nginx", "curl", "timeout", "tcprewrite", "editcap", "mergecap");
        ItSupport.requireRoot();
        final Path dir = FlowsMatchTsharkIT.workDir(tempDir);
        final Path root = ItSupport.repoRoot();

        final Path first = dir.resolve("http-mix.pcap");
        run("record", List.of(root.resolve("scripts/record-http-mix.sh").toString(), first.toString()), dir);
        final Path rewritten = dir.resolve("rewritten.pcap");
        run("tcprewrite", List.of("tcprewrite", "--seed=7", "--fixcsum", "--infile=" + first, "--outfile=" + rewritten), dir);
        final Path older = dir.resolve("older.pcap");
        run("editcap", List.of("editcap", "-t", "-3600", rewritten.toString(), older.toString()), dir);
        final Path joined = dir.resolve("joined.pcap");
        run("mergecap", List.of("mergecap", "-F", "pcap", "-a", "-w", joined.toString(), first.toString(), older.toString()), dir);

        final Path alone = dir.resolve("alone.ndjson");
        final ItSupport.Result aloneRun = read("alone", first, alone, dir, "1");
        // One worker sees every packet, so the step is 1,024 late ones in a row on it; with two, each
        // worker judges its own share (and may not see a step at all: its clock then holds still).
        final Path both = dir.resolve("joined.ndjson");
        final ItSupport.Result joinedRun = read("joined", joined, both, dir, "1");
        final Path both2 = dir.resolve("joined-2.ndjson");
        read("joined-2", joined, both2, dir, "2");

        final Map<String, Long> once = summary(alone);
        assertTrue(once.keySet().stream().anyMatch(k -> k.startsWith("http ")), "the recording has HTTP events: " + once);
        assertTrue(once.keySet().stream().anyMatch(k -> k.startsWith("flow fin ")), "and connections that close: " + once);
        final Map<String, Long> twice = new TreeMap<>();
        once.forEach((key, count) -> twice.put(key, 2 * count));
        assertEquals(twice, summary(both), "the joined capture's events are the recording's, twice over");
        assertEquals(twice, summary(both2), "and so with two workers");
        assertTrue(!aloneRun.stderrText().contains("flows_clock_steps_back"), aloneRun::describe);
        assertTrue(joinedRun.stderrText().contains("flows_clock_steps_back=1"),
            () -> "the report counts the step back once\n" + joinedRun.describe());
    }

    private static void run(final String name, final List<String> command, final Path dir) throws IOException, InterruptedException
    {
        final ItSupport.Result result = ItSupport.run(name, command, null, dir, Duration.ofMinutes(3), Map.of());
        assertEquals(0, result.exitCode(), () -> name + " failed\n" + result.describe());
    }

    private static ItSupport.Result read(final String name, final Path pcap, final Path events, final Path dir,
        final String workers) throws IOException, InterruptedException
    {
        final ItSupport.Result result = ItSupport.httpcap(name, List.of("read", pcap.toString(), "--flows", "--workers",
            workers, "--sink", "file:" + events), null, dir, Duration.ofMinutes(2));
        assertEquals(0, result.exitCode(), () -> "httpcap read failed\n" + result.describe());
        return result;
    }

    /** Each event by what does not depend on addresses or times, counted. */
    private static Map<String, Long> summary(final Path events) throws IOException
    {
        final Map<String, Long> counts = new TreeMap<>();
        for (final String line : Files.readAllLines(events))
        {
            final JsonNode event = MAPPER.readTree(line);
            final String dataset = event.path("event").path("dataset").asText();
            final String key = switch (dataset)
            {
                case "http" -> "http " + event.path("http").path("request").path("method").asText() + " " +
                    event.path("url").path("original").asText() + " " +
                    event.path("http").path("response").path("status_code").asText("-") + " " + event.path("tags");
                case "flow" -> "flow " + event.path("event").path("reason").asText() + " " +
                    event.path("httpcap").path("flow").path("history").asText() + " " +
                    event.path("network").path("packets").asText() + " " + event.path("tags");
                default -> dataset;
            };
            counts.merge(key, 1L, Long::sum);
        }
        return counts;
    }
}
