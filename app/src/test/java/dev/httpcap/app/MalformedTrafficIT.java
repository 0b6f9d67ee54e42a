package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed, lenient and hostile HTTP in a hand-made capture, read by {@code bin/httpcap read}:
 * every transaction gets its event (issue 15), and every response tshark finds is in one.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MalformedTrafficIT
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String BAD = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    @Test
    void everyTransactionOfMalformedTrafficGetsItsEvent(@TempDir final Path dir) throws Exception
    {
        final String smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\nX: " + "x".repeat(10) + "\r\n\r\n";
        final byte[] unmasked = {(byte)0x81, 5, 'h', 'e', 'l', 'l', 'o'};
        final TestPcap pcap = new TestPcap()
            .connection(80, "OPTIONS HTTP/1.1\r\nHost: a\r\n\r\n", BAD)                                  // 40000
            .connection(80, "GET / HTTP/1.\r\nHost: a\r\n\r\n", BAD)                                     // 40001
            .connection(80, "GET/ HTTP/1.1\r\nHost: a\r\n\r\n", BAD)                                     // 40002
            .connection(80, "GET HTTP/1.1\r\nHost: a\r\n\r\n", BAD)                                      // 40003
            .connection(80, "\u00c3\u00a9 / HTTP/1.1\r\nHost: a\r\n\r\n",
                "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")                           // 40004
            .connection(80, "\u0001\u0002\u0003\u0004GET /txt HTTP/1.1\r\nHost: a\r\n\r\n", OK)          // 40005
            .connection(80, "POST /outer HTTP/1.1\r\nHost: a\r\nContent-Length: 00000000000000000000000000000050\r\n\r\n"
                + smuggled, OK, "GET /next HTTP/1.1\r\nHost: a\r\n\r\n", OK)                             // 40006
            .connection(80, "GET /old.html\r\n", "<html>from 1991</html>\n")                              // 40007
            .connection(80, "GET /lower HTTP/1.1\r\nHost: a\r\n\r\n", "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") // 40008
            .connection(80, "GET /cookie HTTP/1.1\r\nHost: a\r\nCookie\u0000: secret=1\r\nCookie;: secret=2\r\n\r\n", OK) // 40009
            .connection(80, "GET /" + "a".repeat(20_000), "HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\n\r\n") // 40010
            .connection(80, "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"); // 40011
        final Path file = dir.resolve("malformed.pcap");
        pcap.write(file);
        // An unmasked client frame after the upgrade, in a capture of its own.
        final Path wsFile = dir.resolve("ws.pcap");
        new TestPcap().connection(80, new byte[][] {
            ("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1),
            unmasked}).write(wsFile);

        final ItSupport.Result run = ItSupport.httpcap("read", List.of("read", file.toString(), "--sink", "stdout:json",
            "--headers", "all", "--progress", "never"), null, dir, Duration.ofMinutes(2));
        assertEquals(0, run.exitCode(), run::describe);
        final Map<Integer, List<JsonNode>> byPort = new HashMap<>();
        for (final String line : Files.readAllLines(run.stdout()))
        {
            final JsonNode e = MAPPER.readTree(line);
            byPort.computeIfAbsent(e.at("/source/port").asInt(), k -> new ArrayList<>()).add(e);
        }
        final String[] expected = {
            "OPTIONS - 400 [parse_error]",
            "GET / 400 [parse_error]",
            "- - 400 [parse_error]",
            "GET - 400 [parse_error]",
            "- - 405 [parse_error]",
            "GET /txt 200 [parse_error]",
            "POST /outer 200 []|GET /next 200 []",
            "GET /old.html - []",
            "GET /lower 200 [protocol_deviation]",
            "GET /cookie 200 []",
            "GET /" + "a".repeat(8187) + " 414 [parse_error]",
            "GET /ws 101 []",
        };
        for (int i = 0; i < expected.length; i++)
        {
            final List<String> got = new ArrayList<>();
            for (final JsonNode e : byPort.getOrDefault(40_000 + i, List.of()))
            {
                final List<String> tags = new ArrayList<>();
                e.get("tags").forEach(t -> tags.add(t.asText()));
                got.add(e.at("/http/request/method").asText("-") + " " + e.at("/url/original").asText("-") + " " +
                    e.at("/http/response/status_code").asText("-") + " " + tags);
            }
            assertEquals(expected[i], String.join("|", got), "connection " + i + " (client port " + (40_000 + i) + ")");
        }
        assertEquals("0.9", byPort.get(40_007).get(0).at("/http/version").asText());
        assertEquals(23, byPort.get(40_007).get(0).at("/http/response/body/bytes").asLong());
        final String cookies = byPort.get(40_009).get(0).toString();
        assertFalse(cookies.contains("secret"), cookies);
        assertTrue(run.stderr().toFile().length() > 0);
        final String report = Files.readString(run.stderr());
        assertTrue(report.contains("not_http=0"), report);

        // Every response tshark's HTTP dissector finds is in an event of the same connection.
        if (ItSupport.findOnPath("tshark") != null)
        {
            final ItSupport.Result tshark = ItSupport.run("tshark", List.of("tshark", "-r", file.toString(), "-Y", "http.response",
                "-T", "fields", "-e", "tcp.dstport", "-e", "http.response.code"), null, dir, Duration.ofMinutes(1), Map.of());
            final List<String> responses = Files.readAllLines(tshark.stdout());
            assertTrue(responses.size() >= 10, () -> "tshark found " + responses);
            for (final String response : responses)
            {
                final String[] f = response.split("\t");
                final List<JsonNode> events = byPort.getOrDefault(Integer.parseInt(f[0]), List.of());
                assertTrue(events.stream().anyMatch(e -> e.at("/http/response/status_code").asText().equals(f[1])),
                    () -> "tshark's response " + response + " is in no event: " + events);
            }
        }
        else
        {
            ItSupport.require(false, "tshark is needed to compare with");
        }

        final ItSupport.Result ws = ItSupport.httpcap("ws", List.of("read", wsFile.toString(), "--sink", "stdout:json",
            "--progress", "never"), null, dir, Duration.ofMinutes(2));
        final List<String> lines = Files.readAllLines(ws.stdout());
        assertEquals(2, lines.size(), lines::toString);
        final JsonNode message = MAPPER.readTree(lines.stream().filter(l -> l.contains("\"dataset\":\"websocket\"")).findFirst().orElseThrow());
        assertEquals("hello", message.at("/websocket/payload/text").asText(), lines::toString);
        assertTrue(message.get("tags").toString().contains("protocol_deviation"), message::toString);
    }
}
