package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code httpcap stats --from kafka://...} on a real broker (a single-node KRaft broker in a child
 * JVM, {@link KafkaBroker}): a fresh http-mix recording is written to a 3-partition topic by
 * {@code bin/httpcap read --flows --sink kafka://...}, and the statistics read back from the topic
 * equal {@code stats} of the capture itself: every table but the per-interval one (an event stream
 * has no frames, and its intervals start on a whole second rather than at the first frame), whose
 * request, response and error totals are compared instead; the ledger counts every record.
 * <p>The fleet path: the capture is cut in two halves by connection ({@code tcpdump -r} with a
 * filter on the second bit of the sum of the ports, the same for both directions: Linux gives
 * connect() ports of one parity), two
 * {@code httpcap stats HALF --stats-sink kafka://...} processes run at once and each publishes a
 * snapshot, and {@code stats --from} of the snapshot topic merges them into the statistics of the
 * whole capture (the same tables; frames, requests and errors in all intervals; packets read).
 * <p>Needs root, tcpdump, nginx and curl: skipped without them, failed when CI is set.
 */
class StatsFromKafkaIT
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void statsFromKafkaEqualStatsOfTheCaptureAndSnapshotsMerge(@TempDir final Path tempDir) throws Exception
    {
        ItSupport.requireTools("tcpdump", "nginx", "curl");
        ItSupport.requireRoot();
        final Path dir = FlowsMatchTsharkIT.workDir(tempDir);
        final Path pcap = dir.resolve("kafka-mix.pcap");
        final ItSupport.Result recording = ItSupport.run("record", List.of(
            ItSupport.repoRoot().resolve("scripts/record-http-mix.sh").toString(), pcap.toString(), "2"), null, dir,
            Duration.ofMinutes(3), Map.of());
        assertEquals(0, recording.exitCode(), recording::describe);

        try (KafkaBroker broker = KafkaBroker.start(Files.createTempDirectory("httpcap-stats-kafka")))
        {
            // A topic that does not exist is an error, named. (This broker creates no topic on demand, so
            // that reading does not create one, KafkaInput's allow.auto.create.topics=false, is not tested here.)
            final ItSupport.Result none = ItSupport.httpcap("stats-no-topic", List.of("stats", "--from",
                "kafka://" + broker.bootstrap() + "/stats-evnets"), null, dir, Duration.ofMinutes(3));
            assertEquals(1, none.exitCode(), none::describe);
            assertTrue(none.stderrText().contains("httpcap: no topic stats-evnets at " + broker.bootstrap()), none::describe);

            broker.createTopic("stats-events", 3);
            final String topic = "kafka://" + broker.bootstrap() + "/stats-events";
            final ItSupport.Result read = ItSupport.httpcap("read", List.of("read", pcap.toString(), "--flows",
                "--sink", topic + "?spill-dir=" + dir.resolve("spill")), null, dir, Duration.ofMinutes(3));
            assertEquals(0, read.exitCode(), read::describe);

            final Path fromKafka = dir.resolve("kafka.json");
            final Path fromFile = dir.resolve("capture.json");
            final ItSupport.Result kafka = ItSupport.httpcap("stats-kafka", List.of("stats", "--from", topic, "--format", "json",
                "-o", fromKafka.toString()), null, dir, Duration.ofMinutes(3));
            assertEquals(0, kafka.exitCode(), kafka::describe);
            final ItSupport.Result file = ItSupport.httpcap("stats-file", List.of("stats", pcap.toString(), "--format", "json",
                "-o", fromFile.toString()), null, dir, Duration.ofMinutes(3));
            assertEquals(0, file.exitCode(), file::describe);

            final JsonNode k = MAPPER.readTree(fromKafka.toFile());
            final JsonNode f = MAPPER.readTree(fromFile.toFile());
            final long events = f.at("/ledger/events/emitted").asLong();
            assertTrue(events > 100, "the capture has events");
            assertEquals(events, k.at("/ledger/kafka/records").asLong(), "every event is a record of the topic");
            assertEquals(events, k.at("/ledger/kafka/events").asLong());
            assertEquals(0, k.at("/ledger/kafka/not_json").asLong());
            assertEquals(3, k.at("/ledger/kafka/partitions").asLong());
            for (final String total : List.of("requests", "responses", "errors"))
            {
                assertEquals(sum(f, total), sum(k, total), "io intervals' " + total);
            }
            for (final JsonNode report : new JsonNode[] {k, f})
            {
                ((ObjectNode)report).remove(List.of("input", "ledger", "io"));
            }
            assertEquals(f, k);

            // Two agents, one half each, publishing snapshots; merged, they are the whole.
            broker.createTopic("stats-snapshots", 2);
            final String snapshots = "kafka://" + broker.bootstrap() + "/stats-snapshots";
            final List<Process> agents = new java.util.ArrayList<>();
            for (final String parity : List.of("0", "2"))
            {
                final Path half = dir.resolve("half-" + parity + ".pcap");
                final ItSupport.Result cut = ItSupport.run("cut-" + parity, List.of("tcpdump", "-r", pcap.toString(), "-w",
                    half.toString(), "(tcp[0:2] + tcp[2:2]) & 2 = " + parity), null, dir, Duration.ofMinutes(1), Map.of());
                assertEquals(0, cut.exitCode(), cut::describe);
                final ProcessBuilder agent = new ProcessBuilder(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "stats",
                    half.toString(), "--format", "json", "-o", dir.resolve("half-" + parity + ".json").toString(),
                    "--stats-sink", snapshots)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("agent-" + parity + ".log").toFile())
                    .directory(ItSupport.repoRoot().toFile());
                agent.environment().put("HTTPCAP_NO_BUILD", "1");
                agents.add(agent.start());
            }
            for (final Process agent : agents)
            {
                assertTrue(agent.waitFor(3, TimeUnit.MINUTES));
                assertEquals(0, agent.exitValue(), () -> "an agent failed: see " + dir);
            }
            for (final String parity : List.of("0", "2"))
            {
                assertTrue(MAPPER.readTree(dir.resolve("half-" + parity + ".json").toFile()).at("/http_tree/requests").asLong() > 10,
                    "each half holds requests");
            }
            final Path merged = dir.resolve("merged.json");
            final ItSupport.Result fleet = ItSupport.httpcap("stats-fleet", List.of("stats", "--from", snapshots, "--format",
                "json", "-o", merged.toString()), null, dir, Duration.ofMinutes(3));
            assertEquals(0, fleet.exitCode(), fleet::describe);
            final JsonNode m = MAPPER.readTree(merged.toFile());
            final JsonNode whole = MAPPER.readTree(fromFile.toFile());
            assertEquals(2, m.at("/ledger/kafka/snapshots").asLong(), "one snapshot per agent");
            assertEquals(whole.at("/ledger/packets/read").asLong(), m.at("/ledger/packets/read").asLong(),
                "the agents' packets add up to the capture's");
            for (final String total : List.of("frames", "bytes", "requests", "responses", "errors"))
            {
                assertEquals(sum(whole, total), sum(m, total), "io intervals' " + total);
            }
            ((ObjectNode)m).remove(List.of("input", "ledger", "io"));
            ((ObjectNode)whole).remove(List.of("input", "ledger", "io"));
            assertEquals(whole, m);
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
