package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The fleet path from live agents, on a real broker ({@link KafkaBroker}): two
 * {@code httpcap live -i lo} agents, each with a capture filter for one of two HTTP servers
 * (Python's, on loopback ports of their own), publish a snapshot every second
 * ({@code --stats-sink kafka://... --stats-sink-interval 1}) while a client sends requests to both
 * for some seconds, and record the frames they saw ({@code --write}). {@code stats --from} of the
 * snapshot topic equals {@code stats} of those frames (the two recordings merged by time): every
 * table but the per-interval one (live snapshots count no frames per interval, and their intervals
 * start on a whole second), whose request, response and error totals are compared instead. Each
 * agent sent several windows, and one window found twice in the topic (sent again by the test with
 * its key) is counted once.
 * <p>Needs root (AF_PACKET), python3 and mergecap: skipped without them, failed when CI is set.
 */
class LiveStatsToKafkaIT
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Two servers (ports argv[1], argv[2]) answering GET with a body that depends on the path, 404 under /missing. */
    static final String SERVERS = String.join("\n",
        "import sys, threading",
        "from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler",
        "class H(BaseHTTPRequestHandler):",
        "    protocol_version = 'HTTP/1.1'",
        "    def do_GET(self):",
        "        code = 404 if self.path.startswith('/missing') else 200",
        "        body = (self.path * (1 + len(self.path) % 7)).encode()",
        "        self.send_response(code)",
        "        self.send_header('Content-Length', str(len(body)))",
        "        self.end_headers()",
        "        self.wfile.write(body)",
        "    def log_message(self, *args):",
        "        pass",
        "servers = [ThreadingHTTPServer(('127.0.0.1', int(p)), H) for p in sys.argv[1:3]]",
        "for s in servers[1:]:",
        "    threading.Thread(target=s.serve_forever, daemon=True).start()",
        "print('ready', flush=True)",
        "servers[0].serve_forever()");

    /** For argv[3] seconds: requests to both servers (argv[1], argv[2]), some on kept-alive connections, some not. */
    static final String CLIENT = String.join("\n",
        "import sys, time, http.client",
        "ports = [int(p) for p in sys.argv[1:3]]",
        "end = time.time() + float(sys.argv[3])",
        "n = 0",
        "while time.time() < end:",
        "    for port in ports:",
        "        c = http.client.HTTPConnection('127.0.0.1', port, timeout=5)",
        "        for k in range(1 + n % 4):",
        "            path = ['/users/%d' % n, '/static/app.js', '/missing/%d' % n, '/search?q=%d' % n][(n + k) % 4]",
        "            c.request('GET', path, headers={'Host': 'svc%d.test' % port})",
        "            c.getresponse().read()",
        "        c.close()",
        "        n += 1",
        "    time.sleep(0.01)",
        "print('sent', n, flush=True)");

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void liveAgentsWindowsMergeIntoStatsOfTheFramesTheySaw(@TempDir final Path dir) throws Exception
    {
        ItSupport.requireTools("python3", "mergecap");
        ItSupport.requireRoot();
        final int portA = ItSupport.freePort();
        final int portB = ItSupport.freePort();
        final Process servers = new ProcessBuilder("python3", "-c", SERVERS, String.valueOf(portA), String.valueOf(portB))
            .redirectErrorStream(true).start();
        try (KafkaBroker broker = KafkaBroker.start(Files.createTempDirectory("httpcap-live-stats-kafka")))
        {
            assertEquals("ready", new String(servers.getInputStream().readNBytes(5)));
            broker.createTopic("live-stats", 2);
            final String topic = "kafka://" + broker.bootstrap() + "/live-stats";

            final List<Process> agents = new ArrayList<>();
            for (final int port : List.of(portA, portB))
            {
                final ProcessBuilder agent = new ProcessBuilder(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "live",
                    "-i", "lo", "--filter", "tcp port " + port, "--duration", "9", "--stats-interval", "0",
                    "--stats-sink", topic, "--stats-sink-interval", "1", "--write", dir.resolve(port + ".pcap").toString(),
                    "--sink", "file:" + dir.resolve(port + ".ndjson"))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("agent-" + port + ".log").toFile());
                agent.environment().put("HTTPCAP_NO_BUILD", "1");
                agents.add(agent.start());
            }
            for (final int port : List.of(portA, portB))
            {
                ItSupport.awaitLine(dir.resolve("agent-" + port + ".log"), "httpcap: capturing on lo");
            }
            final ItSupport.Result client = ItSupport.run("client", List.of("python3", "-c", CLIENT, String.valueOf(portA),
                String.valueOf(portB), "4"), null, dir, Duration.ofMinutes(1), Map.of());
            assertEquals(0, client.exitCode(), client::describe);
            for (int i = 0; i < agents.size(); i++)
            {
                assertTrue(agents.get(i).waitFor(2, TimeUnit.MINUTES), "agent " + i + " ended");
                final Path log = dir.resolve("agent-" + List.of(portA, portB).get(i) + ".log");
                assertEquals(0, agents.get(i).exitValue(), () -> "agent failed:\n" + read(log));
                assertTrue(read(log).contains(" 0 failed, agent "), () -> read(log));
            }

            // A window found twice (sent again with its key) is merged once.
            duplicateOneRecord(broker.bootstrap(), "live-stats");

            final Path frames = dir.resolve("frames.pcap");
            final ItSupport.Result merge = ItSupport.run("mergecap", List.of("mergecap", "-F", "nsecpcap", "-w", frames.toString(),
                dir.resolve(portA + ".pcap").toString(), dir.resolve(portB + ".pcap").toString()), null, dir,
                Duration.ofMinutes(1), Map.of());
            assertEquals(0, merge.exitCode(), merge::describe);
            final Path fromKafka = dir.resolve("kafka.json");
            final Path fromFile = dir.resolve("frames.json");
            final ItSupport.Result kafka = ItSupport.httpcap("stats-kafka", List.of("stats", "--from", topic, "--format", "json",
                "-o", fromKafka.toString()), null, dir, Duration.ofMinutes(2));
            assertEquals(0, kafka.exitCode(), kafka::describe);
            final ItSupport.Result file = ItSupport.httpcap("stats-file", List.of("stats", frames.toString(), "--format", "json",
                "-o", fromFile.toString()), null, dir, Duration.ofMinutes(2));
            assertEquals(0, file.exitCode(), file::describe);

            final JsonNode k = MAPPER.readTree(fromKafka.toFile());
            final JsonNode f = MAPPER.readTree(fromFile.toFile());
            assertTrue(f.at("/http_tree/requests").asLong() > 40, "requests sent: " + f.at("/http_tree"));
            assertTrue(f.at("/conversations").size() > 20, "connections");
            assertTrue(k.at("/ledger/snapshots/windows").asLong() >= 6, "several windows per agent: " + k.at("/ledger"));
            assertEquals(k.at("/ledger/kafka/snapshots").asLong(), k.at("/ledger/snapshots/windows").asLong());
            assertEquals(1, k.at("/ledger/kafka/duplicate_snapshots").asLong(), "the window sent twice");
            assertEquals(f.at("/ledger/packets/read").asLong(), k.at("/ledger/packets/read").asLong(),
                "the agents read the frames they recorded");
            assertEquals(f.at("/ledger/events/analysed").asLong(), k.at("/ledger/snapshots/events").asLong(),
                "events in all windows");
            for (final String total : List.of("requests", "responses", "errors"))
            {
                assertEquals(sum(f, total), sum(k, total), "io intervals' " + total);
            }
            for (final JsonNode report : new JsonNode[] {k, f})
            {
                ((ObjectNode)report).remove(List.of("input", "ledger", "io"));
            }
            assertEquals(f, k);
        }
        finally
        {
            servers.destroy();
            servers.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Read the topic and write its first record again, key and value as they were. */
    private static void duplicateOneRecord(final String bootstrap, final String topic) throws Exception
    {
        final Properties c = new Properties();
        c.put("bootstrap.servers", bootstrap);
        c.put("key.deserializer", ByteArrayDeserializer.class.getName());
        c.put("value.deserializer", ByteArrayDeserializer.class.getName());
        ConsumerRecord<byte[], byte[]> first = null;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c))
        {
            final List<TopicPartition> partitions = new ArrayList<>();
            for (final PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30)))
            {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (first == null && System.nanoTime() < deadline)
            {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500)))
                {
                    first = first == null ? record : first;
                }
            }
        }
        assertTrue(first != null && first.key() != null, "a keyed snapshot in the topic");
        final Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p))
        {
            producer.send(new ProducerRecord<>(topic, first.key(), first.value())).get(60, TimeUnit.SECONDS);
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
