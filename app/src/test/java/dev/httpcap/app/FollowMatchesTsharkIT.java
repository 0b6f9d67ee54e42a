package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end for {@code httpcap follow}: on fresh real captures (scripts/record-http-mix.sh and a
 * short scripts/record-nginx-wrk.sh), {@code bin/httpcap follow FILE --stream N --as raw} of each
 * sampled connection holds, byte for byte, what {@code tshark -q -z follow,tcp,raw,N} shows: the
 * same two endpoints as node 0 and node 1, and the same bytes from each node. Every connection of
 * the http-mix capture is followed; of the nginx-wrk capture (tens of thousands of connections), the
 * first (a long keep-alive connection of megabytes), the last, and evenly spaced ones between (the
 * run time stays modest: tshark follows them all in one pass). A few connections are also chosen by
 * {@code --tuple} and {@code --community-id} (from {@code stats --format json}'s conversations),
 * which must give the same output as their {@code --stream}.
 * <p>Needs root, tcpdump, tshark, nginx, wrk and curl: skipped without them, failed when CI is set.
 */
class FollowMatchesTsharkIT
{
    private static final int SAMPLES = 24;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void followMatchesTshark(@TempDir final Path tempDir) throws IOException, InterruptedException
    {
        ItSupport.requireTools("tcpdump", "tshark", "nginx", "wrk", "curl", "timeout");
        ItSupport.requireRoot();
        final Path dir = FlowsMatchTsharkIT.workDir(tempDir);
        final Path root = ItSupport.repoRoot();
        final List<String> problems = new ArrayList<>();

        final Path mix = dir.resolve("follow-mix.pcap");
        record("record-mix", List.of(root.resolve("scripts/record-http-mix.sh").toString(), mix.toString(), "2"), dir);
        final TsharkConnections.Capture mixConnections = TsharkConnections.read(mix, dir);
        final List<Integer> all = new ArrayList<>();
        mixConnections.connections().forEach(c -> all.add(c.stream()));
        compare("http-mix", mix, all, dir, problems);
        bySelectors(mix, mixConnections, dir, problems);

        final Path wrk = dir.resolve("follow-wrk.pcap");
        record("record-wrk", List.of(root.resolve("scripts/record-nginx-wrk.sh").toString(), wrk.toString(), "2", "2"), dir);
        final TsharkConnections.Capture wrkConnections = TsharkConnections.read(wrk, dir);
        final int count = wrkConnections.connections().size();
        final TreeSet<Integer> sample = new TreeSet<>();
        for (int i = 0; i < SAMPLES; i++)
        {
            sample.add(wrkConnections.connections().get((int)((long)i * (count - 1) / (SAMPLES - 1))).stream());
        }
        // And the longest: a keep-alive connection of wrk's, megabytes each way.
        sample.add(wrkConnections.connections().stream()
            .max(java.util.Comparator.comparingLong(c -> c.clientBytes() + c.serverBytes())).orElseThrow().stream());
        compare("nginx-wrk", wrk, new ArrayList<>(sample), dir, problems);

        if (!problems.isEmpty())
        {
            fail("httpcap follow disagrees with tshark (keep the captures with -Dhttpcap.it.workdir=DIR)\n  "
                + String.join("\n  ", problems.subList(0, Math.min(40, problems.size()))));
        }
    }

    private static void record(final String name, final List<String> command, final Path dir)
        throws IOException, InterruptedException
    {
        final ItSupport.Result recording = ItSupport.run(name, command, null, dir, Duration.ofMinutes(3), Map.of());
        assertEquals(0, recording.exitCode(), () -> "recording failed\n" + recording.describe());
        log(name + ": " + recording.stdoutText().strip().replace('\n', ';'));
    }

    /** One conversation as tshark's (or our) follow,tcp,raw prints it. */
    record Followed(String node0, String node1, byte[] fromNode0, byte[] fromNode1, int pieces)
    {
    }

    /** Parses every {@code Follow: tcp,raw} section of {@code text}, by stream number. */
    static Map<Integer, Followed> parse(final String text)
    {
        final Map<Integer, Followed> streams = new LinkedHashMap<>();
        final String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++)
        {
            if (!lines[i].equals("Follow: tcp,raw"))
            {
                continue;
            }
            final int stream = Integer.parseInt(lines[i + 1].substring("Filter: tcp.stream eq ".length()).strip());
            final String node0 = lines[i + 2].substring("Node 0: ".length());
            final String node1 = lines[i + 3].substring("Node 1: ".length());
            final ByteArrayOutputStream a = new ByteArrayOutputStream();
            final ByteArrayOutputStream b = new ByteArrayOutputStream();
            int pieces = 0;
            int j = i + 4;
            for (; j < lines.length && !lines[j].startsWith("====="); j++)
            {
                final boolean fromNode1 = lines[j].startsWith("\t");
                final byte[] bytes = HexFormat.of().parseHex(lines[j].strip());
                (fromNode1 ? b : a).writeBytes(bytes);
                pieces++;
            }
            streams.put(stream, new Followed(node0, node1, a.toByteArray(), b.toByteArray(), pieces));
            i = j;
        }
        return streams;
    }

    private static void compare(final String name, final Path pcap, final List<Integer> streams, final Path dir,
        final List<String> problems) throws IOException, InterruptedException
    {
        final List<String> tsharkCommand = new ArrayList<>(List.of("tshark", "-n", "-q", "-r", pcap.toString()));
        for (final int stream : streams)
        {
            tsharkCommand.addAll(List.of("-z", "follow,tcp,raw," + stream));
        }
        final ItSupport.Result tshark = ItSupport.run(name + "-tshark-follow", tsharkCommand, null, dir, Duration.ofMinutes(10),
            Map.of());
        assertEquals(0, tshark.exitCode(), tshark::describe);
        final Map<Integer, Followed> expected = parse(Files.readString(tshark.stdout()));
        assertEquals(streams.size(), expected.size(), "tshark followed every stream asked for");

        long bytes = 0;
        long millis = 0;
        int samePieces = 0;
        for (final int stream : streams)
        {
            final Path out = dir.resolve(name + "-follow-" + stream + ".txt");
            final ItSupport.Result run = ItSupport.httpcap(name + "-follow-" + stream, List.of("follow", pcap.toString(),
                "--stream", String.valueOf(stream), "--as", "raw", "-o", out.toString()), null, dir, Duration.ofMinutes(2));
            millis += run.elapsed().toMillis();
            if (run.exitCode() != 0)
            {
                problems.add(name + " stream " + stream + ": httpcap follow failed\n" + run.describe());
                continue;
            }
            final Map<Integer, Followed> ours = parse(Files.readString(out));
            final Followed want = expected.get(stream);
            final Followed got = ours.get(stream);
            if (got == null || ours.size() != 1)
            {
                problems.add(name + " stream " + stream + ": httpcap printed streams " + ours.keySet());
                continue;
            }
            final String what = name + " stream " + stream + " (" + want.node0() + " <-> " + want.node1() + "): ";
            if (!want.node0().equals(got.node0()) || !want.node1().equals(got.node1()))
            {
                problems.add(what + "nodes " + got.node0() + ", " + got.node1());
            }
            if (!java.util.Arrays.equals(want.fromNode0(), got.fromNode0()))
            {
                problems.add(what + "node 0 sent " + want.fromNode0().length + " bytes (tshark), " + got.fromNode0().length
                    + " (httpcap), first difference at " + java.util.Arrays.mismatch(want.fromNode0(), got.fromNode0()));
            }
            if (!java.util.Arrays.equals(want.fromNode1(), got.fromNode1()))
            {
                problems.add(what + "node 1 sent " + want.fromNode1().length + " bytes (tshark), " + got.fromNode1().length
                    + " (httpcap), first difference at " + java.util.Arrays.mismatch(want.fromNode1(), got.fromNode1()));
            }
            samePieces += want.pieces() == got.pieces() ? 1 : 0;
            bytes += want.fromNode0().length + want.fromNode1().length;
        }
        assertTrue(bytes > 0, "the followed connections carry bytes");
        log(name + ": followed " + streams.size() + " connections, " + bytes + " bytes; " + samePieces
            + " cut into the same pieces as tshark's; tshark (all in one pass) " + tshark.elapsed().toMillis()
            + " ms, httpcap " + millis + " ms in all");
    }

    /** --tuple and --community-id choose the same connection as --stream. */
    private static void bySelectors(final Path pcap, final TsharkConnections.Capture capture, final Path dir,
        final List<String> problems) throws IOException, InterruptedException
    {
        final Path statsJson = dir.resolve("follow-mix-stats.json");
        final ItSupport.Result stats = ItSupport.httpcap("follow-mix-stats", List.of("stats", pcap.toString(), "--format", "json",
            "-o", statsJson.toString()), null, dir, Duration.ofMinutes(2));
        assertEquals(0, stats.exitCode(), stats::describe);
        final Map<String, String> communityIds = new HashMap<>();
        for (final var c : new com.fasterxml.jackson.databind.ObjectMapper().readTree(statsJson.toFile()).at("/conversations"))
        {
            communityIds.put(c.at("/address_a").asText() + ":" + c.at("/port_a").asInt(), c.at("/community_id").asText());
        }
        final List<TsharkConnections.Connection> connections = capture.connections();
        for (final TsharkConnections.Connection c : List.of(connections.getFirst(), connections.get(connections.size() / 2),
            connections.getLast()))
        {
            final String client = c.clientIp() + ":" + c.clientPort();
            final String server = c.serverIp() + ":" + c.serverPort();
            final String byStream = follow(pcap, dir, "s" + c.stream(), "--stream", String.valueOf(c.stream()));
            final String byTuple = follow(pcap, dir, "t" + c.stream(), "--tuple", server + "," + client);
            final String byId = follow(pcap, dir, "c" + c.stream(), "--community-id", communityIds.get(client));
            if (!byStream.equals(byTuple) || !byStream.equals(byId))
            {
                problems.add("stream " + c.stream() + ": --tuple " + server + "," + client + " or --community-id "
                    + communityIds.get(client) + " chose another connection, or none");
            }
        }
    }

    private static String follow(final Path pcap, final Path dir, final String name, final String option, final String value)
        throws IOException, InterruptedException
    {
        final Path out = dir.resolve("follow-" + name + ".txt");
        final ItSupport.Result run = ItSupport.httpcap("follow-" + name, List.of("follow", pcap.toString(), option, value,
            "--as", "hex", "-o", out.toString()), null, dir, Duration.ofMinutes(2));
        assertEquals(0, run.exitCode(), run::describe);
        return Files.readString(out);
    }

    private static void log(final String message)
    {
        System.out.println("[FollowMatchesTsharkIT] " + message);
    }
}
