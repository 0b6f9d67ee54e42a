package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kafka sink against a real broker (see {@link KafkaBroker}): synthetic HTTP traffic
 * ({@code scripts/kafka/HttpTrafficPcap.java}) is replayed with {@code bin/httpcap read} into a
 * Kafka sink and a file sink at once; the topic, read back with a consumer, must hold every event
 * of the file exactly once, each connection's events (one key) in order in one partition. The
 * fault tests kill the broker in the middle of a replay, and kill httpcap while events are
 * spilled.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaSinkIT
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SPILLED = Pattern.compile("spill: (\\d+) spilled");
    private static final Pattern DELIVERED = Pattern.compile(": (\\d+) delivered");

    @TempDir
    Path dir;

    private KafkaBroker broker;

    @BeforeAll
    void startBroker() throws Exception
    {
        broker = KafkaBroker.start(Files.createTempDirectory("httpcap-kafka-it"));
    }

    @AfterAll
    void stopBroker() throws Exception
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    void shouldDeliverEveryEventOnceInConnectionOrderToEverySink() throws Exception
    {
        broker.createTopic("events", 3);
        broker.createTopic("events-unkeyed", 2);
        final Path pcap = generate("traffic.pcap", 2_000, 10);
        final Path file = dir.resolve("events.ndjson");

        final ItSupport.Result result = ItSupport.httpcap("kafka-all", List.of("read", pcap.toString(),
            "--sink", "kafka://" + broker.bootstrap() + "/events?spill-dir=" + dir.resolve("spill-a"),
            "--sink", "kafka://" + broker.bootstrap() + "/events-unkeyed?key=none&compression=zstd&spill-dir=" +
                dir.resolve("spill-b"),
            "--sink", "file:" + file), null, dir, Duration.ofMinutes(5));
        assertEquals(0, result.exitCode(), result.describe());

        final List<String> lines = Files.readAllLines(file);
        assertEquals(20_000, lines.size(), result.describe());
        checkExactlyOnceInOrder(lines, broker.readAll("events"), true);
        checkExactlyOnceInOrder(lines, broker.readAll("events-unkeyed"), false);
        report("all sinks", result.stderrText());
        assertTrue(result.stderrText().contains("20000 delivered"), result.describe());
    }

    @Test
    void shouldLoseNothingWhenTheBrokerIsKilledInTheMiddleOfAReplay() throws Exception
    {
        broker.createTopic("fault", 3);
        final Path pcap = generate("fault.pcap", 3_000, 8);
        final Path file = dir.resolve("fault.ndjson");
        final byte[] bytes = Files.readAllBytes(pcap);
        final int[] cuts = packetCuts(bytes, 3);

        final Process httpcap = startHttpcap("fault", List.of("read", "-",
            "--sink", "kafka://" + broker.bootstrap() + "/fault?close-seconds=90&spill-dir=" +
                dir.resolve("spill-fault"),
            "--sink", "file:" + file));
        try (OutputStream stdin = httpcap.getOutputStream())
        {
            stdin.write(bytes, 0, cuts[0]);
            stdin.flush();
            awaitLines(file, 7_000);
            broker.kill();

            stdin.write(bytes, cuts[0], cuts[1] - cuts[0]);
            stdin.flush();
            awaitLines(file, 15_000);
            Thread.sleep(3_000);
            broker.restart();

            stdin.write(bytes, cuts[1], bytes.length - cuts[1]);
        }
        assertTrue(httpcap.waitFor(4, TimeUnit.MINUTES), "httpcap did not finish");
        final String stderr = Files.readString(dir.resolve("fault.stderr"));
        report("broker killed mid-replay", stderr);
        assertEquals(0, httpcap.exitValue(), stderr);

        final List<String> lines = Files.readAllLines(file);
        assertEquals(24_000, lines.size(), stderr);
        checkExactlyOnceInOrder(lines, broker.readAll("fault"), true);
        assertTrue(firstNumber(SPILLED, stderr) > 0, "nothing was spilled while the broker was down:\n" + stderr);
        assertEquals(24_000, firstNumber(DELIVERED, stderr), stderr);
    }

    /**
     * Events to send while the only broker is away: kafka-clients (4.x) waits {@code max.block.ms}
     * (1 s) in each send for room in {@code buffer.memory} (here ~one uncompressed batch of ~170
     * events), or for the topic's metadata once it has forgotten them (it goes back to its bootstrap
     * servers when no broker it knows answers: with the sink's defaults too), and hands the timeout
     * to the callback without throwing. The shipper must end the round at the first such record,
     * say that the brokers are away and wait for them, not spend a second on each of the window's
     * thousands of records (it did: not a word for minutes, in either mode, and a stop that outlived
     * its deadline).
     */
    @ParameterizedTest
    @ValueSource(strings = {"exactly-once", "at-least-once"})
    void shouldSayTheBrokersAreAwayAndLoseNothingWhenEventsComeDuringAnOutage(final String delivery)
        throws Exception
    {
        final String topic = "away-" + delivery;
        broker.createTopic(topic, 1);
        final Path pcap = generate(topic + ".pcap", 2_000, 10);
        final Path file = dir.resolve(topic + ".ndjson");
        final byte[] bytes = Files.readAllBytes(pcap);
        final int[] cuts = packetCuts(bytes, 5);

        final Process httpcap = startHttpcap(topic, List.of("read", "-",
            "--sink", "kafka://" + broker.bootstrap() + "/" + topic + "?compression=none&close-seconds=90&delivery=" +
                delivery + "&spill-dir=" + dir.resolve("spill-" + topic),
            "--kafka-prop", "buffer.memory=300000",
            "--sink", "file:" + file));
        final Path stderr = dir.resolve(topic + ".stderr");
        final long away;
        boolean killed = false;
        try (OutputStream stdin = httpcap.getOutputStream())
        {
            stdin.write(bytes, 0, cuts[0]);
            stdin.flush();
            awaitLines(file, 3_000);
            // Every event so far in Kafka (committed, exactly once) before the broker goes: no
            // window is waiting for its acknowledgement then.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (broker.readAll(topic).size() < countLines(file))
            {
                assertTrue(System.nanoTime() < deadline, "the first events not all in " + topic + " after 60 s");
                Thread.sleep(200);
            }
            broker.kill();
            killed = true;
            // The next window opens on events that come once the producer has noticed. A fixed wait:
            // that cannot be seen from outside, and without it the window may close on the few
            // events already logged and wait for their acknowledgement, which tests nothing (tried:
            // the test then passes without the fix).
            Thread.sleep(3_000);
            final long before = Files.size(stderr);
            final long written = System.nanoTime();
            stdin.write(bytes, cuts[0], bytes.length - cuts[0]);
            stdin.flush();
            final String notice = ItSupport.awaitLineAfter(stderr, before, "have not acknowledged a window",
                "unreachable or refusing");
            away = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - written);
            System.out.println(delivery + ", events while the broker is away: said so " + away + " s later: " + notice);
            awaitLines(file, 20_000);
        }
        finally
        {
            if (killed)
            {
                broker.restart(); // also for the tests after this one, should this one fail
            }
            if (!httpcap.waitFor(4, TimeUnit.MINUTES))
            {
                httpcap.destroyForcibly();
                fail("httpcap did not finish");
            }
        }
        final String text = Files.readString(stderr);
        report(delivery + ", events while the broker is away", text);
        assertEquals(0, httpcap.exitValue(), text);
        assertTrue(away < 30, "the brokers were said to be away only " + away + " s after the events came:\n" + text);

        final List<String> lines = Files.readAllLines(file);
        assertEquals(20_000, lines.size(), text);
        checkExactlyOnceInOrder(lines, broker.readAll(topic), true);
        assertEquals(20_000, firstNumber(DELIVERED, text), text);
    }

    @Test
    void shouldDeliverSpilledEventsAfterHttpcapIsKilled() throws Exception
    {
        broker.createTopic("killed", 3);
        final Path pcap = generate("killed.pcap", 1_000, 6);
        final Path file = dir.resolve("killed.ndjson");
        final Path spill = dir.resolve("spill-killed");
        final byte[] bytes = Files.readAllBytes(pcap);
        final int[] cuts = packetCuts(bytes, 2);
        final String sink = "kafka://" + broker.bootstrap() + "/killed?close-seconds=60&spill-dir=" + spill;

        broker.kill();
        final Process first = startHttpcap("killed-1", List.of("read", "-", "--sink", sink, "--sink", "file:" + file));
        final OutputStream stdin = first.getOutputStream();
        stdin.write(bytes, 0, cuts[0]);
        stdin.flush();
        awaitLines(file, 2_000);
        awaitStable(file, spill);
        first.destroyForcibly();
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));
        final List<String> written = Files.readAllLines(file);
        assertTrue(spillBytes(spill) > written.size() * 500L, "events were not spilled: " + spillBytes(spill));

        broker.restart();
        final ItSupport.Result second = ItSupport.httpcap("killed-2", List.of("read", emptyPcap(dir),
            "--sink", sink), null, dir, Duration.ofMinutes(3));
        report("httpcap killed, first run", Files.readString(dir.resolve("killed-1.stderr")));
        report("httpcap killed, second run", second.stderrText());
        assertEquals(0, second.exitCode(), second.describe());
        assertTrue(second.stderrText().contains("from an earlier run"), second.describe());

        final List<KafkaBroker.Read> reads = broker.readAll("killed");
        // Each event in the file was spilled before it was written there (the Kafka sink is flushed
        // first); the kill may have left a few more in the spill than in the file.
        final Map<String, Integer> counts = new HashMap<>();
        for (final KafkaBroker.Read read : reads)
        {
            counts.merge(read.value(), 1, Integer::sum);
        }
        for (final String line : written)
        {
            assertEquals(1, counts.getOrDefault(line, 0), "event delivered " + counts.get(line) + " times: " + line);
        }
        assertTrue(counts.values().stream().allMatch(n -> n == 1), "duplicates in the topic");
        checkOrder(reads, true);
        try (Stream<Path> left = Files.list(spill))
        {
            assertTrue(left.noneMatch(p -> p.toString().endsWith(".spill")), "spill not emptied");
        }
    }

    @Test
    void shouldSpillWhatIsUnacknowledgedAtAGracefulStopAndSendItFirstNextTime() throws Exception
    {
        broker.createTopic("shutdown", 3);
        final Path pcap = generate("shutdown.pcap", 2_000, 6);
        final Path file = dir.resolve("shutdown.ndjson");
        final byte[] bytes = Files.readAllBytes(pcap);
        final int[] cuts = packetCuts(bytes, 2);
        final String sink = "kafka://" + broker.bootstrap() + "/shutdown?close-seconds=3&spill-dir=" +
            dir.resolve("spill-shutdown");

        final Process first = startHttpcap("shutdown-1", List.of("read", "-", "--sink", sink, "--sink", "file:" + file));
        try (OutputStream stdin = first.getOutputStream())
        {
            stdin.write(bytes, 0, cuts[0]);
            stdin.flush();
            awaitLines(file, 4_000);
            broker.kill();
            stdin.write(bytes, cuts[0], bytes.length - cuts[0]);
        }
        assertTrue(first.waitFor(2, TimeUnit.MINUTES), "httpcap did not stop");
        final String firstErr = Files.readString(dir.resolve("shutdown-1.stderr"));
        report("graceful stop, broker down", firstErr);
        assertEquals(0, first.exitValue(), firstErr);
        assertTrue(firstErr.contains("for the next start"), firstErr);

        broker.restart();
        final ItSupport.Result second = ItSupport.httpcap("shutdown-2", List.of("read", emptyPcap(dir),
            "--sink", sink), null, dir, Duration.ofMinutes(3));
        report("graceful stop, next start", second.stderrText());
        assertEquals(0, second.exitCode(), second.describe());

        final List<String> lines = Files.readAllLines(file);
        assertEquals(12_000, lines.size());
        final List<KafkaBroker.Read> reads = broker.readAll("shutdown");
        final Map<String, Integer> counts = new HashMap<>();
        reads.forEach(read -> counts.merge(read.value(), 1, Integer::sum));
        final long missing = lines.stream().filter(line -> !counts.containsKey(line)).count();
        final long duplicates = reads.size() - counts.size();
        System.out.println("graceful stop: " + reads.size() + " records for " + lines.size() + " events, " +
            duplicates + " duplicates (sent before the broker died, acknowledgement lost, spilled, sent again)");
        assertEquals(0, missing, "events lost");
        assertEquals(lines.size(), counts.size(), "unknown records in the topic");
        assertTrue(duplicates <= firstNumber(SPILLED, firstErr),
            "more duplicates than records spilled");
        checkOrder(firstOccurrences(reads), true);
    }

    @Test
    void shouldSkipADamagedSpillSegmentWithAMessageAndGoOn() throws Exception
    {
        broker.createTopic("damaged", 1);
        final Path pcap = generate("damaged.pcap", 200, 5);
        final Path file = dir.resolve("damaged.ndjson");
        final Path spill = dir.resolve("spill-damaged");
        final String sink = "kafka://" + broker.bootstrap() + "/damaged?close-seconds=1&spill-dir=" + spill;

        broker.kill();
        final ItSupport.Result first = ItSupport.httpcap("damaged-1", List.of("read", pcap.toString(),
            "--sink", sink, "--sink", "file:" + file), null, dir, Duration.ofMinutes(2));
        assertEquals(0, first.exitCode(), first.describe());
        final List<String> lines = Files.readAllLines(file);
        assertEquals(1_000, lines.size());

        final Path segment;
        try (Stream<Path> files = Files.list(spill))
        {
            segment = files.filter(p -> p.toString().endsWith(".spill")).sorted().findFirst().orElseThrow();
        }
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(segment.toFile(), "rw"))
        {
            raf.seek(raf.length() / 2);
            final int b = raf.read();
            raf.seek(raf.length() / 2);
            raf.write(b ^ 0x01);
        }

        broker.restart();
        final ItSupport.Result second = ItSupport.httpcap("damaged-2", List.of("read", emptyPcap(dir),
            "--sink", sink), null, dir, Duration.ofMinutes(2));
        report("damaged spill", second.stderrText());
        assertEquals(0, second.exitCode(), second.describe());
        assertTrue(second.stderrText().contains(segment + " is damaged at byte") &&
            second.stderrText().contains("checksum mismatch"), second.describe());
        assertTrue(second.stderrText().contains("1 damaged segments"), second.describe());

        final List<KafkaBroker.Read> reads = broker.readAll("damaged");
        assertTrue(reads.size() > 100 && reads.size() < 1_000, "records before the damage: " + reads.size());
        for (int i = 0; i < reads.size(); i++)
        {
            assertEquals(lines.get(i), reads.get(i).value(), "record " + i + ": the spill keeps the file's order");
        }
    }

    // ------------------------------------------------------------------ checks

    /** Every line exactly once in the topic, nothing else, and each connection's events in order. */
    private static void checkExactlyOnceInOrder(final List<String> lines, final List<KafkaBroker.Read> reads,
        final boolean keyed) throws IOException
    {
        final Map<String, Integer> expected = new HashMap<>();
        lines.forEach(line -> expected.merge(line, 1, Integer::sum));
        final Map<String, Integer> actual = new HashMap<>();
        reads.forEach(read -> actual.merge(read.value(), 1, Integer::sum));
        int missing = 0;
        int duplicated = 0;
        for (final Map.Entry<String, Integer> entry : expected.entrySet())
        {
            final int got = actual.getOrDefault(entry.getKey(), 0);
            missing += Math.max(0, entry.getValue() - got);
            duplicated += Math.max(0, got - entry.getValue());
        }
        final long unknown = actual.keySet().stream().filter(v -> !expected.containsKey(v)).count();
        assertEquals(0, missing + duplicated + unknown,
            missing + " events missing, " + duplicated + " duplicated, " + unknown + " unknown in the topic (" +
                reads.size() + " records for " + lines.size() + " events)");
        checkOrder(reads, keyed);
    }

    /** The reads without the later copies of a record. */
    private static List<KafkaBroker.Read> firstOccurrences(final List<KafkaBroker.Read> reads)
    {
        final java.util.Set<String> seen = new java.util.HashSet<>();
        return reads.stream().filter(read -> seen.add(read.value())).toList();
    }

    /** Per connection: one partition, trans_depth increasing in offset order, key = community_id. */
    private static void checkOrder(final List<KafkaBroker.Read> reads, final boolean keyed) throws IOException
    {
        final Map<String, int[]> last = new TreeMap<>();
        for (final KafkaBroker.Read read : reads)
        {
            final JsonNode event = JSON.readTree(read.value());
            final String connection = event.path("network").path("community_id").asText();
            final int depth = event.path("httpcap").path("trans_depth").asInt();
            if (keyed)
            {
                assertEquals(connection, read.key(), "record key");
                final int[] seen = last.get(connection);
                if (seen != null)
                {
                    assertEquals(seen[0], read.partition(), "connection " + connection + " in two partitions");
                    if (depth <= seen[1])
                    {
                        final StringBuilder history = new StringBuilder();
                        for (final KafkaBroker.Read other : reads)
                        {
                            if (other.value().contains(connection))
                            {
                                history.append(' ').append(other.partition()).append('@').append(other.offset())
                                    .append(":depth=").append(JSON.readTree(other.value()).path("httpcap").path("trans_depth").asInt());
                            }
                        }
                        fail("connection " + connection + " out of order: " + depth + " after " + seen[1] +
                            " at offset " + read.offset() + "; its records:" + history);
                    }
                }
                last.put(connection, new int[] {read.partition(), depth});
            }
            else
            {
                assertEquals(null, read.key(), "key=none");
            }
        }
    }

    // ------------------------------------------------------------------ plumbing

    /** The Kafka sink's own lines, for the test's output. */
    private static void report(final String test, final String stderr)
    {
        stderr.lines().filter(line -> line.contains("kafka")).forEach(line -> System.out.println(test + ": " + line));
    }

    private Path generate(final String name, final int connections, final int transactions)
        throws IOException, InterruptedException
    {
        final Path out = dir.resolve(name);
        final ItSupport.Result result = ItSupport.run("generate-" + name, List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            ItSupport.repoRoot().resolve("scripts/kafka/HttpTrafficPcap.java").toString(),
            out.toString(), Integer.toString(connections), Integer.toString(transactions)),
            null, dir, Duration.ofMinutes(2), Map.of());
        assertEquals(0, result.exitCode(), result.describe());
        return out;
    }

    private Process startHttpcap(final String name, final List<String> args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(ItSupport.repoRoot().resolve("bin/httpcap").toString());
        command.addAll(args);
        final ProcessBuilder builder = new ProcessBuilder(command)
            .directory(ItSupport.repoRoot().toFile())
            .redirectOutput(dir.resolve(name + ".stdout").toFile())
            .redirectError(dir.resolve(name + ".stderr").toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().put("HTTPCAP_NO_BUILD", "1");
        return builder.start();
    }

    /** Offsets that cut a pcap into {@code parts} pieces at packet boundaries. */
    private static int[] packetCuts(final byte[] pcap, final int parts)
    {
        final List<Integer> starts = new ArrayList<>();
        final ByteBuffer buffer = ByteBuffer.wrap(pcap).order(ByteOrder.LITTLE_ENDIAN);
        for (int at = 24; at < pcap.length; at += 16 + buffer.getInt(at + 8))
        {
            starts.add(at);
        }
        final int[] cuts = new int[parts - 1];
        for (int i = 1; i < parts; i++)
        {
            cuts[i - 1] = starts.get(starts.size() * i / parts);
        }
        return cuts;
    }

    private static void awaitLines(final Path file, final int lines) throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline)
        {
            if (Files.exists(file) && countLines(file) >= lines)
            {
                return;
            }
            Thread.sleep(100);
        }
        fail("fewer than " + lines + " events in " + file + " after 120 s: " + (Files.exists(file) ? countLines(file) : 0));
    }

    /** Waits until neither the file nor the spill has grown for two seconds. */
    private static void awaitStable(final Path file, final Path spill) throws IOException, InterruptedException
    {
        long before = -1;
        for (int i = 0; i < 120; i++)
        {
            final long now = Files.size(file) + spillBytes(spill);
            if (now == before)
            {
                return;
            }
            before = now;
            Thread.sleep(2_000);
        }
    }

    private static long countLines(final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        long lines = 0;
        for (final byte b : bytes)
        {
            if (b == '\n')
            {
                lines++;
            }
        }
        return lines;
    }

    private static long spillBytes(final Path spill) throws IOException
    {
        if (!Files.isDirectory(spill))
        {
            return 0;
        }
        try (Stream<Path> files = Files.list(spill))
        {
            return files.filter(p -> p.toString().endsWith(".spill")).map(Path::toFile).mapToLong(File::length).sum();
        }
    }

    private static long firstNumber(final Pattern pattern, final String text)
    {
        final Matcher matcher = pattern.matcher(text);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    /** @return the path of an empty pcap (the global header alone) in {@code dir}. */
    private static String emptyPcap(final Path dir) throws IOException
    {
        final Path empty = dir.resolve("empty.pcap");
        Files.write(empty, ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(0xa1b2c3d4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65_535).putInt(1)
            .array());
        return empty.toString();
    }
}
