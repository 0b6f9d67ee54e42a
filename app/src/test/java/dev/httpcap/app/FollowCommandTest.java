package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code httpcap follow} on samples/demo.pcap: every format says the same bytes; --http adds the events. */
class FollowCommandTest
{
    private static final Path DEMO = Path.of("..", "samples", "demo.pcap");

    private static String follow(final Path dir, final String... options) throws Exception
    {
        final Path out = dir.resolve("out-" + String.join("_", options).replaceAll("[^a-z0-9]", "") + ".txt");
        final String[] args = new String[options.length + 4];
        args[0] = "follow";
        args[1] = DEMO.toString();
        System.arraycopy(options, 0, args, 2, options.length);
        args[args.length - 2] = "-o";
        args[args.length - 1] = out.toString();
        assertEquals(0, Main.execute(args), () -> String.join(" ", args));
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    /** Bytes from node 0 and node 1 of a raw output. */
    private static byte[][] raw(final String text)
    {
        final ByteArrayOutputStream[] nodes = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        final List<String> lines = text.lines().toList();
        for (final String line : lines.subList(lines.indexOf("Node 1: 127.0.0.1:21994") + 1, lines.size() - 1))
        {
            nodes[line.startsWith("\t") ? 1 : 0].writeBytes(HexFormat.of().parseHex(line.strip()));
        }
        return new byte[][] {nodes[0].toByteArray(), nodes[1].toByteArray()};
    }

    @Test
    void shouldShowTheSameBytesInEveryFormat(@TempDir final Path dir) throws Exception
    {
        final byte[][] raw = raw(follow(dir, "--stream", "0", "--as", "raw"));
        final String request = new String(raw[0], StandardCharsets.ISO_8859_1);
        assertTrue(request.startsWith("GET /1k.txt HTTP/1.1\r\n") && request.contains("GET /index.html HTTP/1.1\r\n"), request);
        assertEquals(85 + 89, raw[0].length, "the two requests of the README's example");
        assertEquals(1264 + 282, raw[1].length, "and their two answers");

        final String yaml = follow(dir, "--stream", "0", "--as", "yaml");
        final ByteArrayOutputStream[] nodes = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        int peer = -1;
        StringBuilder data = null;
        for (final String line : (yaml + "  - packet: end\n").lines().toList())
        {
            if (line.startsWith("  - packet:") && data != null)
            {
                nodes[peer].writeBytes(Base64.getDecoder().decode(data.toString()));
                data = null;
            }
            if (line.startsWith("    peer: "))
            {
                peer = Integer.parseInt(line.substring(10));
            }
            else if (line.equals("    data: !!binary |"))
            {
                data = new StringBuilder();
            }
            else if (data != null && line.startsWith("      "))
            {
                data.append(line.strip());
            }
        }
        assertArrayEquals(raw[0], nodes[0].toByteArray());
        assertArrayEquals(raw[1], nodes[1].toByteArray());

        final String hex = follow(dir, "--stream", "0", "--as", "hex");
        assertTrue(hex.contains("\n00000000  47 45 54 20 2f 31 6b 2e  74 78 74 20 48 54 54 50  GET /1k.txt HTTP\n"), hex);
        assertTrue(hex.contains("\n\t00000000  48 54 54 50 2f 31 2e 31  20 32 30 30 20 4f 4b 0d  HTTP/1.1 200 OK.\n"), hex);

        final String ascii = follow(dir, "--stream", "0");
        assertTrue(ascii.contains(">>> 127.0.0.1:59008 (85 bytes, frame "), ascii);
        assertTrue(ascii.contains("<<< 127.0.0.1:21994 ("), ascii);
        assertTrue(ascii.contains("[end of stream (FIN) at frame"), ascii);

        assertEquals(follow(dir, "--stream", "0", "--as", "hex"),
            follow(dir, "--tuple", "127.0.0.1:21994,127.0.0.1:59008", "--as", "hex"));
    }

    @Test
    void shouldAddEachExchangesEventWithHttp(@TempDir final Path dir) throws Exception
    {
        final String out = follow(dir, "--stream", "2", "--http");
        final List<String> events = out.lines().filter(l -> l.startsWith("{\"@timestamp\"")).toList();
        assertEquals(1, events.size(), out);
        assertTrue(events.getFirst().contains("\"method\":\"POST\"") && events.getFirst().contains("\"body\":{\"bytes\":"),
            events.getFirst());
        assertTrue(out.contains("# 2026-11-25T06:59:50"), out);
        assertEquals(1, Main.execute("follow", DEMO.toString(), "--stream", "4"), "the demo has connections 0 to 3");
        assertEquals(2, Main.execute("follow", DEMO.toString()), "no connection chosen");
        assertEquals(2, Main.execute("follow", DEMO.toString(), "--stream", "1", "--tuple", "1.2.3.4:1,1.2.3.4:2"));
    }

    /** A capture cut inside the connection, or an output that cannot be written: one line each and exit status 1. */
    @Test
    void shouldSayWhenTheCaptureIsDamagedOrTheOutputCannotBeWritten(@TempDir final Path dir) throws Exception
    {
        final Path cut = dir.resolve("cut.pcap");
        Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(DEMO), 2000));
        final java.io.PrintStream saved = System.err;
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        try
        {
            assertEquals(1, Main.execute("follow", cut.toString(), "--stream", "0", "-o", dir.resolve("s0.txt").toString()));
            assertEquals(1, Main.execute("follow", cut.toString(), "--stream", "1"));
            assertEquals(1, Main.execute("follow", DEMO.toString(), "--stream", "0", "-o", dir.resolve("no/such.txt").toString()));
            assertEquals(1, Main.execute("follow", DEMO.toString(), "--stream", "0", "-o", "/dev/full"));
        }
        finally
        {
            System.setErr(saved);
        }
        final String damage = "httpcap: '" + cut + "' is cut short: it ends 1061 bytes into the record at byte 939 (truncated dump file)";
        final List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(List.of(
            "follow: tcp.stream 0: 7 frames of 7 read; client 85 bytes, server 240 bytes; gaps 0/0 bytes; 0 retransmissions, 0 out of order",
            damage,
            "httpcap: no such connection in " + cut + " (it holds 1 TCP connections, numbered from 0 before the damage)",
            damage,
            "httpcap: cannot write to '" + dir.resolve("no/such.txt") + "': no such file or directory",
            "httpcap: cannot write to '/dev/full': No space left on device"), lines);
    }
}
