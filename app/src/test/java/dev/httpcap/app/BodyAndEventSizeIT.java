package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/httpcap read} of hand-made captures (issue 15, points 7 and 9): an event too large for
 * the hand-off to the sinks is cut to fit and tagged, never dropped, and the report says so;
 * {@code --body-bytes} counts decoded bytes; bodies that are not text come out as base64.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BodyAndEventSizeIT
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    /** A pcap of one connection per exchange: SYN, SYN-ACK, ACK, request, response in 1448-byte segments, FINs. */
    private static byte[] capture(final List<byte[][]> exchanges)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(0xa1b2c3d4).putShort((short)2).putShort((short)4).putInt(0).putInt(0).putInt(262144).putInt(1);
        out.writeBytes(header.array());
        final long[] micros = {1_700_000_000_000_000L};
        int port = 40_000;
        for (final byte[][] exchange : exchanges)
        {
            final int client = 0x0A000001;
            final int server = 0x0A000002;
            final int p = port++;
            final byte[] none = new byte[0];
            final byte[] request = exchange[0];
            final byte[] response = exchange[1];
            record(out, micros, frame(client, server, p, 80, 0x02, 1000, 0, none, 0, 0));
            record(out, micros, frame(server, client, 80, p, 0x12, 5000, 1001, none, 0, 0));
            record(out, micros, frame(client, server, p, 80, 0x10, 1001, 5001, none, 0, 0));
            record(out, micros, frame(client, server, p, 80, 0x18, 1001, 5001, request, 0, request.length));
            final long clientEnd = 1001 + request.length;
            long seq = 5001;
            for (int off = 0; off < response.length; off += 1448)
            {
                final int n = Math.min(1448, response.length - off);
                record(out, micros, frame(server, client, 80, p, 0x18, seq, clientEnd, response, off, n));
                seq += n;
            }
            record(out, micros, frame(client, server, p, 80, 0x11, clientEnd, seq, none, 0, 0));
            record(out, micros, frame(server, client, 80, p, 0x11, seq, clientEnd + 1, none, 0, 0));
            record(out, micros, frame(client, server, p, 80, 0x10, clientEnd + 1, seq + 1, none, 0, 0));
        }
        return out.toByteArray();
    }

    private static void record(final ByteArrayOutputStream out, final long[] micros, final byte[] frame)
    {
        final long t = micros[0]++;
        final ByteBuffer rec = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        rec.putInt((int)(t / 1_000_000)).putInt((int)(t % 1_000_000)).putInt(frame.length).putInt(frame.length);
        out.writeBytes(rec.array());
        out.writeBytes(frame);
    }

    private static byte[] frame(
        final int src, final int dst, final int sport, final int dport, final int flags, final long seq, final long ack,
        final byte[] data, final int offset, final int length)
    {
        final ByteBuffer b = ByteBuffer.allocate(14 + 20 + 20 + length);
        b.put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}).putShort((short)0x0800);
        b.put((byte)0x45).put((byte)0).putShort((short)(40 + length)).putShort((short)0).putShort((short)0x4000)
            .put((byte)64).put((byte)6).putShort((short)0).putInt(src).putInt(dst);
        b.putShort((short)sport).putShort((short)dport).putInt((int)seq).putInt((int)ack)
            .put((byte)0x50).put((byte)flags).putShort((short)65535).putShort((short)0).putShort((short)0);
        b.put(data, offset, length);
        return b.array();
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private ItSupport.Result read(final String name, final byte[] pcap, final String... options)
        throws IOException, InterruptedException
    {
        final Path file = dir.resolve(name + ".pcap");
        Files.write(file, pcap);
        final List<String> args = new ArrayList<>(List.of("read", file.toString(), "--sink", "stdout:json",
            "--back-pressure", "block", "--progress", "never"));
        args.addAll(List.of(options));
        final ItSupport.Result run = ItSupport.httpcap(name, args, null, dir, Duration.ofMinutes(2));
        assertEquals(0, run.exitCode(), run::describe);
        return run;
    }

    /** The events written, in the order of their URLs (several workers may write them in any order). */
    private static List<JsonNode> events(final ItSupport.Result run) throws IOException
    {
        final List<JsonNode> events = new ArrayList<>();
        for (final String line : run.stdoutText().split("\n"))
        {
            if (!line.isBlank())
            {
                events.add(MAPPER.readTree(line));
            }
        }
        events.sort(java.util.Comparator.comparing(e -> e.at("/url/original").asText()));
        return events;
    }

    private static List<String> tags(final JsonNode event)
    {
        final List<String> tags = new ArrayList<>();
        event.get("tags").forEach(t -> tags.add(t.asText()));
        return tags;
    }

    /**
     * The case: a 180 KB body, written six bytes per byte in JSON, is over 1 MiB. It was
     * dropped ({@code events: 0 written, 1 dropped}) even under the block policy; now it is cut to
     * the limit, tagged, and the report counts it. {@code --max-event-kb} moves the limit.
     */
    @Test
    void shouldCutAnEventTooLargeForTheHandOffAndSaySo() throws Exception
    {
        final byte[] body = new byte[180_000];
        Arrays.fill(body, (byte)1); // control characters: UTF-8, so text, each escaped as \u0001
        final byte[] pcap = capture(List.<byte[][]>of(new byte[][] {
            ascii("GET /big HTTP/1.1\r\nHost: example.test\r\n\r\n"),
            concat(ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 180000\r\n\r\n"), body)}));

        final ItSupport.Result run = read("big", pcap, "--body-bytes", "262144");
        final List<JsonNode> events = events(run);
        assertEquals(1, events.size(), run::describe);
        final JsonNode e = events.getFirst();
        assertEquals(List.of("event_truncated"), tags(e));
        assertEquals(180_000, e.at("/http/response/body/bytes").asInt());
        assertEquals("text/plain", e.at("/http/response/headers/content-type").asText());
        final int length = run.stdoutText().strip().getBytes(StandardCharsets.UTF_8).length;
        assertTrue(length <= 1000 * 1024 && length > 1000 * 1024 - 64, "event of " + length + " bytes");
        assertTrue(run.stderrText().contains("events: 1 written, 0 dropped, 1 truncated to fit"), run::describe);

        final ItSupport.Result small = read("big-64k", pcap, "--body-bytes", "262144", "--max-event-kb", "64");
        final int smallLength = small.stdoutText().strip().getBytes(StandardCharsets.UTF_8).length;
        assertTrue(smallLength <= 64 * 1024 && smallLength > 64 * 1024 - 64, "event of " + smallLength + " bytes");
        assertEquals(List.of("event_truncated"), tags(events(small).getFirst()));

        final ItSupport.Result bad = ItSupport.httpcap("bad", List.of("read", dir.resolve("big.pcap").toString(),
            "--max-event-kb", "1"), null, dir, Duration.ofMinutes(1));
        assertEquals(2, bad.exitCode(), bad::describe);
        assertTrue(bad.stderrText().contains("--max-event-kb must be between 4 and 16384"), bad::describe);
    }

    /**
     * {@code --body-bytes 64 --decode-body} shows the first 64 decoded bytes (it showed what 64
     * compressed bytes inflate to: 24 characters); a binary body comes out as base64 by default,
     * as text full of U+FFFD with {@code --body-encoding text}.
     */
    @Test
    void shouldCountDecodedBodyBytesAndWriteBinaryBodiesAsBase64() throws Exception
    {
        final StringBuilder words = new StringBuilder();
        for (int i = 0; words.length() < 300; i++)
        {
            words.append(Integer.toString(i * 7919 % 10007, 36)).append(' ');
        }
        final String plain = words.substring(0, 300);
        final ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped))
        {
            gz.write(ascii(plain));
        }
        final byte[] gzip = zipped.toByteArray();
        final byte[] png = new byte[100];
        for (int i = 0; i < png.length; i++)
        {
            png[i] = (byte)(0x89 + 7 * i);
        }
        final byte[] pcap = capture(List.<byte[][]>of(
            new byte[][] {
                concat(ascii("POST /zipped HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: " + gzip.length +
                    "\r\n\r\n"), gzip),
                ascii("HTTP/1.1 204 No Content\r\n\r\n")},
            new byte[][] {
                ascii("GET /image HTTP/1.1\r\nHost: a\r\n\r\n"),
                concat(ascii("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100\r\n\r\n"), png)}));

        final List<JsonNode> auto = events(read("bodies", pcap, "--body-bytes", "64", "--decode-body"));
        assertEquals(2, auto.size());
        assertEquals(plain.substring(0, 64), auto.get(1).at("/http/request/body/content").asText());
        assertEquals(List.of("body_truncated"), tags(auto.get(1)));
        assertEquals(Base64.getEncoder().encodeToString(Arrays.copyOf(png, 64)),
            auto.get(0).at("/http/response/body/content_base64").asText());
        assertTrue(auto.get(0).at("/http/response/body/content").isMissingNode());

        final List<JsonNode> text = events(read("bodies-text", pcap, "--body-bytes", "64", "--body-encoding", "text"));
        assertTrue(text.get(0).at("/http/response/body/content").asText().contains("\uFFFD"));
        assertTrue(text.get(0).at("/http/response/body/content_base64").isMissingNode());

        final List<JsonNode> base64 = events(read("bodies-base64", pcap, "--body-bytes", "200", "--decode-body",
            "--body-encoding", "base64"));
        final String zippedBase64 = base64.get(1).at("/http/request/body/content_base64").asText();
        assertEquals(plain.substring(0, 200), new String(Base64.getDecoder().decode(zippedBase64), StandardCharsets.US_ASCII));
        assertEquals(Base64.getEncoder().encodeToString(png),
            base64.get(0).at("/http/response/body/content_base64").asText());
    }
}
