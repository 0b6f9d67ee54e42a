package dev.httpcap.app;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

import dev.httpcap.app.schema.EventFields;
import dev.httpcap.app.schema.EventSchemaCheck;
import dev.httpcap.app.schema.SchemaFormats;
import dev.httpcap.decoders.event.EventSchema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The event schema (decoders' fields.yaml): it follows ECS where it says so, the events of the
 * sample capture validate against it, and the documents made from it (docs/fields.md, the README's
 * examples, {@code httpcap schema}) are what it and real output say. The recording ITs validate
 * their captures' events with the same {@link EventSchemaCheck}.
 */
class EventSchemaTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static List<String> read(final Path dir, final String... options) throws Exception
    {
        final Path out = dir.resolve("events-" + options.length + ".ndjson");
        final List<String> args = new ArrayList<>(List.of("read", ItSupport.repoRoot().resolve("samples/demo.pcap").toString(),
            "--sink", "file:" + out));
        args.addAll(List.of(options));
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = Main.execute(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err), args.toArray(String[]::new));
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
        return Files.readAllLines(out);
    }

    private static String command(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()), args));
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldFollowEcsInEveryFieldItMarksEcs()
    {
        EventSchemaCheck.assertSchemaFollowsEcs();
        assertEquals(EventSchema.ECS_VERSION, EventFields.load().ecsVersion(), "the version the encoders write");
    }

    @Test
    void shouldValidateEveryEventOfTheSampleInEveryOutputForm(@TempDir final Path dir) throws Exception
    {
        final List<String> plain = read(dir, "--flows");
        final List<String> bodies = read(dir, "--flows", "--headers", "all", "--no-redact", "--body-bytes", "300", "--decode-body");
        final List<String> base64 = read(dir, "--headers", "none", "--body-bytes", "16", "--body-encoding", "base64");
        for (final List<String> events : List.of(plain, bodies, base64))
        {
            final Map<String, Integer> datasets = EventSchemaCheck.assertValid(events);
            assertTrue(datasets.getOrDefault("http", 0) > 0, datasets.toString());
        }
        assertTrue(EventSchemaCheck.assertValid(plain).getOrDefault("flow", 0) > 0);
        for (final String line : plain)
        {
            assertEquals(EventSchema.ECS_VERSION, MAPPER.readTree(line).at("/ecs/version").asText());
        }
    }

    /** A masked client WebSocket frame (FIN set). */
    private static byte[] clientFrame(final int opcode, final byte[] payload)
    {
        final byte[] mask = {1, 2, 3, 4};
        final byte[] frame = new byte[6 + payload.length];
        frame[0] = (byte)(0x80 | opcode);
        frame[1] = (byte)(0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i & 3]);
        }
        return frame;
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] ascii(final String s)
    {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * The fields that real captures seldom bring out — Basic credentials, X-Request-ID, Referer, a
     * port in Host, an interim 100, an unparsable request line, CONNECT, a WebSocket close with a
     * reason — in a hand-made capture: every event follows the schema, and each of them is there.
     */
    @Test
    void shouldValidateTheFieldsRealCapturesSeldomBringOut(@TempDir final Path dir) throws Exception
    {
        final String credentials = java.util.Base64.getEncoder().encodeToString(ascii("alice:secret"));
        final byte[] close = concat(new byte[] {0x03, (byte)0xE8}, ascii("bye"));
        final Path pcap = dir.resolve("rare.pcap");
        new TestPcap()
            .connection(80,
                "GET /a?b=1 HTTP/1.1\r\nHost: example.test:8899\r\nReferer: http://example.test/\r\nX-Request-ID: r-1\r\n" +
                    "Authorization: Basic " + credentials + "\r\nUser-Agent: t/1\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
            .connection(80,
                "POST /p HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
                "HTTP/1.1 100 Continue\r\n\r\n", "hello", "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
            .connection(80, "GARBAGE LINE\r\n\r\n", "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .connection(8080, "CONNECT db.test:5432 HTTP/1.1\r\nHost: db.test:5432\r\n\r\n",
                "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            .connection(80,
                ascii("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
                ascii("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"),
                concat(clientFrame(1, ascii("hello")), clientFrame(8, close)),
                concat(new byte[] {(byte)0x88, (byte)close.length}, close))
            .write(pcap);
        final Path out = dir.resolve("rare.ndjson");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Main.execute(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err), "read", pcap.toString(),
            "--flows", "--body-bytes", "64", "--sink", "file:" + out), err.toString(StandardCharsets.UTF_8));
        final List<String> events = Files.readAllLines(out);
        final Map<String, Integer> datasets = EventSchemaCheck.assertValid(events);
        assertEquals(Map.of("flow", 5, "http", 5, "websocket", 3), datasets, String.join("\n", events));
        final String all = String.join("\n", events);
        for (final String field : List.of("\"user\":{\"name\":\"alice\"}", "\"port\":8899", "\"id\":\"r-1\"",
            "\"referrer\":\"http://example.test/\"", "\"info_code\":100", "\"request_line\":\"GARBAGE LINE\"",
            "\"close_code\":1000", "\"close_reason\":\"bye\"", "\"mime_type\":\"application/json\"", "\"port\":5432"))
        {
            assertTrue(all.contains(field), field + " in\n" + all);
        }
        assertTrue(!all.contains("secret") && !all.contains(credentials), "the password never leaves the process");
    }

    /** The check can fail: a member the schema does not have, a value of the wrong type, a value ECS does not allow. */
    @Test
    void shouldRejectAnEventWithAFieldOrValueTheSchemaDoesNotHave(@TempDir final Path dir) throws Exception
    {
        final String event = read(dir).get(0);
        final List<String> good = List.of(event);
        EventSchemaCheck.assertValid(good);
        final ObjectNode extra = (ObjectNode)MAPPER.readTree(event);
        ((ObjectNode)extra.with("http").with("request")).put("bytes_sent", 1);
        assertThrows(AssertionFailedError.class, () -> EventSchemaCheck.assertValid(List.of(extra.toString())));
        final ObjectNode wrongType = (ObjectNode)MAPPER.readTree(event);
        ((ObjectNode)wrongType.with("source")).put("port", "80");
        assertThrows(AssertionFailedError.class, () -> EventSchemaCheck.assertValid(List.of(wrongType.toString())));
        final ObjectNode notAllowed = (ObjectNode)MAPPER.readTree(event);
        ((ObjectNode)notAllowed.with("event")).put("kind", "signal-ish");
        assertThrows(AssertionFailedError.class, () -> EventSchemaCheck.assertValid(List.of(notAllowed.toString())));
        final ObjectNode badIp = (ObjectNode)MAPPER.readTree(event);
        ((ObjectNode)badIp.with("client")).put("ip", "10.0.0.300");
        assertThrows(AssertionFailedError.class, () -> EventSchemaCheck.assertValid(List.of(badIp.toString())));
        final ObjectNode nullInfo = (ObjectNode)MAPPER.readTree(event);
        ((ObjectNode)nullInfo.with("httpcap")).putNull("info_code");
        assertThrows(AssertionFailedError.class, () -> EventSchemaCheck.assertValid(List.of(nullInfo.toString())));
    }

    @Test
    void shouldPrintTheSchemaInEachFormat() throws Exception
    {
        final JsonNode jsonSchema = MAPPER.readTree(command("schema"));
        assertEquals("https://json-schema.org/draft/2020-12/schema", jsonSchema.path("$schema").asText());
        final JsonNode template = MAPPER.readTree(command("schema", "--format", "elasticsearch-template"));
        assertEquals(SchemaFormats.INDEX_PATTERN, template.at("/index_patterns/0").asText());
        final JsonNode properties = template.at("/template/mappings/properties");
        assertEquals("date", properties.at("/@timestamp/type").asText());
        assertEquals("ip", properties.at("/source/properties/ip/type").asText());
        assertEquals("long", properties.at("/event/properties/duration/type").asText());
        assertEquals("keyword", properties.at("/url/properties/original/type").asText(), "ECS's wildcard, as keyword for OpenSearch");
        assertEquals("keyword", properties.at("/observer/properties/ingress/properties/interface/properties/name/type").asText());
        assertEquals("long", properties.at("/httpcap/properties/timing/properties/server/type").asText());
        assertEquals("object", properties.at("/http/properties/request/properties/headers/type").asText());
        assertEquals(EventSchema.ECS_VERSION, template.at("/_meta/ecs_version").asText());
        // Every field of the schema is mapped, as ECS types it (wildcard as keyword).
        for (final EventFields.Field field : EventFields.load().fields())
        {
            if (field.name().endsWith(".*"))
            {
                continue;
            }
            JsonNode node = properties;
            final String[] path = field.path();
            for (int i = 0; i < path.length - 1; i++)
            {
                node = node.path(path[i]).path("properties");
            }
            assertEquals(field.type().equals("wildcard") ? "keyword" : field.type(), node.path(path[path.length - 1]).path("type").asText(),
                field.name());
        }
        assertTrue(command("schema", "--format", "markdown").contains("| `observer.ingress.interface.name` | keyword | yes |"));
    }

    /** docs/fields.md is the schema and two events of the sample as `read` writes them (-Dhttpcap.write.docs=true rewrites it). */
    @Test
    void shouldKeepDocsFieldsMdTrue(@TempDir final Path dir) throws Exception
    {
        final List<String> events = read(dir, "--flows");
        final String http = events.stream().filter(e -> e.contains("\"dataset\":\"http\"")).findFirst().orElseThrow();
        final String flow = events.stream().filter(e -> e.contains("\"dataset\":\"flow\"")).findFirst().orElseThrow();
        final String expected = SchemaFormats.markdown(EventFields.load(), http, flow);
        final Path doc = ItSupport.repoRoot().resolve("docs/fields.md");
        if (Boolean.getBoolean("httpcap.write.docs"))
        {
            Files.writeString(doc, expected);
        }
        assertEquals(expected, Files.readString(doc), "docs/fields.md is out of date: run with -Dhttpcap.write.docs=true");
    }

    /**
     * The README's HTTP and flow examples are events of the sample (pretty-printed), and its
     * WebSocket example follows the schema.
     */
    @Test
    void shouldKeepTheReadmeExamplesTrue(@TempDir final Path dir) throws Exception
    {
        final List<JsonNode> events = new ArrayList<>();
        for (final String line : read(dir, "--flows"))
        {
            events.add(MAPPER.readTree(line));
        }
        final String readme = Files.readString(ItSupport.repoRoot().resolve("README.md"));
        final Matcher blocks = Pattern.compile("```json\\n(\\{\"@timestamp\".*?)```", Pattern.DOTALL).matcher(readme);
        int checked = 0;
        while (blocks.find())
        {
            final JsonNode example = MAPPER.readTree(blocks.group(1));
            EventSchemaCheck.assertValid(List.of(example.toString()));
            if (!example.at("/event/dataset").asText().equals("websocket"))
            {
                assertTrue(events.contains(example), "not an event of samples/demo.pcap: " + example);
            }
            checked++;
        }
        assertEquals(3, checked, "the HTTP, WebSocket and flow examples");
    }
}
