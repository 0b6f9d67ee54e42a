package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scenarios of issue 16 against a real broker ({@link KafkaBroker}): the broker stopped, killed
 * or started late, httpcap killed (SIGKILL) during an outage, during a drain of its spill, and
 * while events stream in at full speed with the broker just killed. Each ends with a run that
 * drains the spill, and a {@code read_committed} consumer must then find every event httpcap had
 * accepted (each line of the file sink written beside the Kafka sink) exactly once, and nothing
 * that is not an event of the capture. The at-least-once mode is held to: nothing lost, and every
 * copy carries the {@code event.id} of its original.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaCrashIT
{
    private static final Pattern EVENT_ID = Pattern.compile("\"event\":\\{[^{}]*?\"dataset\":\"\\w+\",\"id\":\"([^\"]+)\"");

    @TempDir
    static Path dir;

    private KafkaBroker broker;
    private byte[] pcap;
    private Set<String> reference;

    @BeforeAll
    void start() throws Exception
    {
        broker = KafkaBroker.start(Files.createTempDirectory("httpcap-kafka-crash-it"));
        final Path file = dir.resolve("crash.pcap");
        final ItSupport.Result generated = ItSupport.run("generate", List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            ItSupport.repoRoot().resolve("scripts/kafka/HttpTrafficPcap.java").toString(),
            file.toString(), "2000", "10"), null, dir, Duration.ofMinutes(2), Map.of());
        assertEquals(0, generated.exitCode(), generated.describe());
        pcap = Files.readAllBytes(file);
        final Path events = dir.resolve("reference.ndjson");
        final ItSupport.Result read = ItSupport.httpcap("reference", List.of("read", file.toString(),
            "--sink", "file:" + events), null, dir, Duration.ofMinutes(2));
        assertEquals(0, read.exitCode(), read.describe());
        final List<String> lines = Files.readAllLines(events);
        reference = new HashSet<>(lines);
        assertEquals(20_000, lines.size());
        assertEquals(lines.size(), reference.size(), "every event of the capture is distinct");
    }

    @AfterAll
    void stop() throws Exception
    {
        if (broker != null)
        {
            broker.close();
        }
    }

    @Test
    void shouldDeliverEachEventOnceWhenTheBrokerStartsLateAndIsStopped() throws Exception
    {
        broker.createTopic("late", 3);
        broker.stop();
        final Path file = dir.resolve("late.ndjson");
        final int[] cuts = packetCuts(3);
        final Process httpcap = startHttpcap("late", "late", "close-seconds=120", file);
        try (OutputStream stdin = httpcap.getOutputStream())
        {
            feed(stdin, 0, cuts[0]);
            awaitQuiet(file, 1);
            broker.restart();
            feed(stdin, cuts[0], cuts[1]);
            awaitQuiet(file, 1);
            awaitRecords("late", 1); // the producer is at work when the broker stops
            broker.stop();
            feed(stdin, cuts[1], pcap.length);
            awaitQuiet(file, 1);
            broker.restart();
        }
        assertTrue(httpcap.waitFor(3, TimeUnit.MINUTES), "httpcap did not finish");
        final String stderr = Files.readString(dir.resolve("late.stderr"));
        report("late and stopped broker", stderr);
        assertEquals(0, httpcap.exitValue(), stderr);
        final List<String> lines = Files.readAllLines(file);
        assertEquals(reference.size(), lines.size());
        checkExactlyOnce("late", lines, false);
    }

    @Test
    void shouldDeliverEachEventOnceWhenHttpcapIsKilledDuringABrokerOutage() throws Exception
    {
        broker.createTopic("outage", 3);
        final Path file = dir.resolve("outage.ndjson");
        final int[] cuts = packetCuts(2);
        final Process httpcap = startHttpcap("outage-1", "outage", "close-seconds=60", file);
        try (OutputStream stdin = httpcap.getOutputStream())
        {
            feed(stdin, 0, cuts[0]);
            awaitQuiet(file, 1);
            broker.kill();
            feed(stdin, cuts[0], pcap.length);
            awaitQuiet(file, 2);
            httpcap.destroyForcibly();
            assertTrue(httpcap.waitFor(30, TimeUnit.SECONDS));
        }
        catch (final IOException pipeClosed)
        {
            // killed while the rest was being written
        }
        report("killed in an outage", Files.readString(dir.resolve("outage-1.stderr")));
        broker.restart();
        drain("outage-2", "outage", "");
        checkExactlyOnce("outage", Files.readAllLines(file), false);
    }

    @Test
    void shouldDeliverEachEventOnceWhenHttpcapIsKilledDuringADrain() throws Exception
    {
        broker.createTopic("drain", 3);
        final Path file = dir.resolve("drain.ndjson");
        broker.kill();
        final ItSupport.Result spillAll = ItSupport.httpcap("drain-1", List.of("read", writePcap().toString(),
            "--sink", sink("drain", "close-seconds=0"), "--sink", "file:" + file), null, dir, Duration.ofMinutes(2));
        assertEquals(0, spillAll.exitCode(), spillAll.describe());
        assertTrue(spillAll.stderrText().contains("for the next start"), spillAll.describe());
        broker.restart();

        final Process draining = startHttpcap("drain-2", "drain", "close-seconds=60", null);
        draining.getOutputStream().write(emptyPcap());
        draining.getOutputStream().flush();
        awaitRecords("drain", 1);
        draining.destroyForcibly();
        assertTrue(draining.waitFor(30, TimeUnit.SECONDS));
        report("killed in a drain", Files.readString(dir.resolve("drain-2.stderr")));

        // Killed right after a transaction was committed in Kafka, before the spill's own position
        // file was written: the next start must take the position from Kafka.
        final Path empty = dir.resolve("empty.pcap");
        Files.write(empty, emptyPcap());
        final ProcessBuilder halting = new ProcessBuilder(ItSupport.repoRoot().resolve("bin/httpcap").toString(),
            "read", empty.toString(), "--sink", sink("drain", "close-seconds=60"))
            .directory(ItSupport.repoRoot().toFile())
            .redirectOutput(dir.resolve("drain-3.stdout").toFile())
            .redirectError(dir.resolve("drain-3.stderr").toFile());
        halting.environment().put("HTTPCAP_NO_BUILD", "1");
        halting.environment().put("HTTPCAP_JAVA_OPTS", "-Dhttpcap.kafka.haltAfterCommits=1");
        final Process halted = halting.start();
        assertTrue(halted.waitFor(2, TimeUnit.MINUTES));
        report("halted after a commit in Kafka", Files.readString(dir.resolve("drain-3.stderr")));
        assertEquals(137, halted.exitValue(), "did not halt after the first commit");

        final String last = drain("drain-4", "drain", "");
        final List<String> lines = Files.readAllLines(file);
        assertEquals(reference.size(), lines.size());
        checkExactlyOnce("drain", lines, false);
        assertTrue(last.contains("was committed in Kafka before the earlier run stopped"), last);
    }

    @Test
    void shouldDeliverEachEventOnceWhenTheBrokerAndThenHttpcapAreKilledAtFullSpeed() throws Exception
    {
        broker.createTopic("rate", 3);
        final Path file = dir.resolve("rate.ndjson");
        final Process httpcap = startHttpcap("rate-1", "rate", "close-seconds=60", file);
        try (OutputStream stdin = httpcap.getOutputStream())
        {
            feed(stdin, 0, pcap.length / 4);
            awaitLines(file, 1_000);
            broker.kill();
            feed(stdin, pcap.length / 4, pcap.length);
            stdin.flush();
            awaitLines(file, reference.size() * 3 / 4);
            httpcap.destroyForcibly();
            assertTrue(httpcap.waitFor(30, TimeUnit.SECONDS));
        }
        catch (final IOException pipeClosed)
        {
            // killed while the rest was being written
        }
        report("broker and httpcap killed at full speed", Files.readString(dir.resolve("rate-1.stderr")));
        broker.restart();
        drain("rate-2", "rate", "");
        checkExactlyOnce("rate", Files.readAllLines(file), false);
    }

    @Test
    void shouldLoseNothingAtLeastOnceAndGiveEveryCopyTheSameEventId() throws Exception
    {
        broker.createTopic("alo", 3);
        final Path file = dir.resolve("alo.ndjson");
        broker.kill();
        final ItSupport.Result spillAll = ItSupport.httpcap("alo-1", List.of("read", writePcap().toString(),
            "--kafka-delivery", "at-least-once", "--sink", sink("alo", "close-seconds=0"), "--sink", "file:" + file),
            null, dir, Duration.ofMinutes(2));
        assertEquals(0, spillAll.exitCode(), spillAll.describe());
        broker.restart();
        final Process draining = startHttpcap("alo-2", "alo", "close-seconds=60&delivery=at-least-once", null);
        draining.getOutputStream().write(emptyPcap());
        draining.getOutputStream().flush();
        awaitRecords("alo", 2_000);
        draining.destroyForcibly();
        assertTrue(draining.waitFor(30, TimeUnit.SECONDS));
        drain("alo-3", "alo", "&delivery=at-least-once");
        checkExactlyOnce("alo", Files.readAllLines(file), true);
    }

    @Test
    void shouldDrainAndReportWhenStoppedWhileTheBrokersNeverAnswered() throws Exception
    {
        final Path file = dir.resolve("unreachable.ndjson");
        final int nobody;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            nobody = socket.getLocalPort();
        }
        final Path spill = dir.resolve("spill-unreachable");
        final List<String> command = List.of(ItSupport.repoRoot().resolve("bin/httpcap").toString(), "read", "-",
            "--sink", "kafka://127.0.0.1:" + nobody + "/nowhere?close-seconds=2&spill-dir=" + spill,
            "--sink", "file:" + file);
        final ProcessBuilder builder = new ProcessBuilder(command)
            .directory(ItSupport.repoRoot().toFile())
            .redirectOutput(dir.resolve("unreachable.stdout").toFile())
            .redirectError(dir.resolve("unreachable.stderr").toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().put("HTTPCAP_NO_BUILD", "1");
        final Process httpcap = builder.start();
        httpcap.getOutputStream().write(pcap, 0, pcap.length / 3);
        httpcap.getOutputStream().flush();
        awaitQuiet(file, 1);
        httpcap.destroy(); // SIGTERM, handled as SIGINT is
        assertTrue(httpcap.waitFor(60, TimeUnit.SECONDS), "httpcap did not stop");
        final String stderr = Files.readString(dir.resolve("unreachable.stderr"));
        report("stopped while unreachable", stderr);
        assertEquals(0, httpcap.exitValue(), stderr);
        assertTrue(stderr.contains("stopping: draining"), stderr);
        final long lines = Files.readAllLines(file).size();
        assertTrue(stderr.contains("spilled " + lines + ", pending " + lines + ", acknowledged 0, dropped (full) 0"),
            "the report's counts for " + lines + " events: " + stderr);
        assertTrue(stderr.contains(lines + " spilled, " + lines + " pending, 0 dropped (full)") &&
            stderr.contains("for the next start"), stderr);
    }

    // ------------------------------------------------------------------ checks

    /**
     * Every event the Kafka sink had accepted is in the topic once (with {@code copiesAllowed}, at
     * least once, every copy identical, event.id included), and every record is an event of the
     * capture. The file sink, written beside the Kafka sink from the same sequence of events, says
     * what was accepted: its lines must be in the topic as a prefix, the rest of it (when httpcap
     * was killed while events streamed in) no more than the spill's write batch (256 KiB), which
     * the operating system had not been handed yet.
     */
    private void checkExactlyOnce(final String topic, final List<String> file, final boolean copiesAllowed)
        throws IOException
    {
        final List<KafkaBroker.Read> reads = broker.readAll(topic);
        final Map<String, Integer> counts = new HashMap<>();
        final Map<String, String> byId = new HashMap<>();
        int foreign = 0;
        for (final KafkaBroker.Read read : reads)
        {
            counts.merge(read.value(), 1, Integer::sum);
            if (!reference.contains(read.value()))
            {
                foreign++;
            }
            final Matcher id = EVENT_ID.matcher(read.value());
            assertTrue(id.find(), "no event.id: " + read.value());
            final String before = byId.putIfAbsent(id.group(1), read.value());
            assertTrue(before == null || before.equals(read.value()), "two events with the event.id " + id.group(1));
        }
        int prefix = 0;
        while (prefix < file.size() && counts.containsKey(file.get(prefix)))
        {
            prefix++;
        }
        long holes = 0;
        long tailBytes = 0;
        for (int i = prefix; i < file.size(); i++)
        {
            tailBytes += file.get(i).length() + 8;
            if (counts.containsKey(file.get(i)))
            {
                holes++;
            }
        }
        final long copies = reads.size() - counts.size();
        System.out.println(topic + ": " + reads.size() + " records read_committed for " + file.size() +
            " events in the file (" + counts.size() + " distinct): the first " + prefix + " all there, " +
            (file.size() - prefix) + " after them not (" + tailBytes + " bytes), " + holes + " holes, " + copies +
            " copies, " + foreign + " not of the capture");
        assertEquals(0, holes, "an event missing before others that arrived in " + topic);
        assertTrue(tailBytes <= 256 * 1024 + 2_000, "more missing at the end than the spill's write batch");
        assertEquals(0, foreign, "records that are no event of the capture");
        if (!copiesAllowed)
        {
            assertEquals(0, copies, "events doubled in " + topic);
        }
    }

    // ------------------------------------------------------------------ plumbing

    private String sink(final String topic, final String options)
    {
        return "kafka://" + broker.bootstrap() + "/" + topic + "?spill-dir=" + dir.resolve("spill-" + topic) + "&" + options;
    }

    /** A run that only sends what the spill holds; @return its stderr. */
    private String drain(final String name, final String topic, final String options) throws Exception
    {
        final Path empty = dir.resolve("empty.pcap");
        Files.write(empty, emptyPcap());
        final ItSupport.Result result = ItSupport.httpcap(name, List.of("read", empty.toString(),
            "--sink", sink(topic, "close-seconds=120" + options)), null, dir, Duration.ofMinutes(3));
        report(name, result.stderrText());
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stderrText().contains(", empty"), "the spill was not emptied: " + result.describe());
        return result.stderrText();
    }

    private Process startHttpcap(final String name, final String topic, final String options, final Path file)
        throws IOException
    {
        final List<String> command = new ArrayList<>(List.of(ItSupport.repoRoot().resolve("bin/httpcap").toString(),
            "read", "-", "--sink", sink(topic, options)));
        if (file != null)
        {
            command.addAll(List.of("--sink", "file:" + file));
        }
        final ProcessBuilder builder = new ProcessBuilder(command)
            .directory(ItSupport.repoRoot().toFile())
            .redirectOutput(dir.resolve(name + ".stdout").toFile())
            .redirectError(dir.resolve(name + ".stderr").toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.environment().put("HTTPCAP_NO_BUILD", "1");
        return builder.start();
    }

    private Path writePcap() throws IOException
    {
        final Path file = dir.resolve("crash-copy.pcap");
        if (!Files.exists(file))
        {
            Files.write(file, pcap);
        }
        return file;
    }

    private void feed(final OutputStream stdin, final int from, final int to) throws IOException
    {
        stdin.write(pcap, from, to - from);
        stdin.flush();
    }

    /** Offsets that cut the pcap into {@code parts} pieces at packet boundaries; the first includes the file header. */
    private int[] packetCuts(final int parts)
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

    /** Waits until the topic holds at least {@code records} (committed or not). */
    private void awaitRecords(final String topic, final long records) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (broker.endOffsets(topic) < records)
        {
            if (System.nanoTime() > deadline)
            {
                fail("fewer than " + records + " records in " + topic + " after 60 s");
            }
            Thread.sleep(20);
        }
    }

    /** Waits until the file has grown and then not grown for {@code seconds}. */
    private static void awaitQuiet(final Path file, final int seconds) throws IOException, InterruptedException
    {
        final long start = Files.exists(file) ? Files.size(file) : 0;
        long before = -1;
        long stableSince = System.nanoTime();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline)
        {
            final long now = Files.exists(file) ? Files.size(file) : 0;
            if (now != before)
            {
                before = now;
                stableSince = System.nanoTime();
            }
            else if (now > start && System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(seconds))
            {
                return;
            }
            Thread.sleep(100);
        }
        fail(file + " did not grow and settle in 120 s");
    }

    private static void awaitLines(final Path file, final int lines) throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline)
        {
            if (Files.exists(file) && Files.readAllLines(file).size() >= lines)
            {
                return;
            }
            Thread.sleep(50);
        }
        fail("fewer than " + lines + " events in " + file + " after 120 s");
    }

    private static void report(final String test, final String stderr)
    {
        stderr.lines().filter(line -> line.contains("kafka")).forEach(line -> System.out.println(test + ": " + line));
    }

    private static byte[] emptyPcap()
    {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(0xa1b2c3d4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(65_535).putInt(1)
            .array();
    }
}
