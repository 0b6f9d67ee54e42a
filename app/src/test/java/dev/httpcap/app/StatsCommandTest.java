package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code httpcap stats} of samples/demo.pcap, and of the NDJSON events {@code read} writes for it. */
class StatsCommandTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Path DEMO = Path.of("..", "samples", "demo.pcap");

    @Test
    void shouldGiveTheSameTablesForACaptureAndForItsEvents(@TempDir final Path dir) throws Exception
    {
        final Path events = dir.resolve("events.ndjson");
        final Path fromCapture = dir.resolve("capture.json");
        final Path fromEvents = dir.resolve("events.json");
        assertEquals(0, Main.execute("read", DEMO.toString(), "--flows", "--sink", "file:" + events, "--progress", "never"));
        assertEquals(0, Main.execute("stats", DEMO.toString(), "--format", "json", "-o", fromCapture.toString()));
        assertEquals(0, Main.execute("stats", events.toString(), "--format", "json", "-o", fromEvents.toString()));

        final JsonNode capture = MAPPER.readTree(fromCapture.toFile());
        final JsonNode ndjson = MAPPER.readTree(fromEvents.toFile());
        // The demo: 5 transactions on 4 connections (README's example), every packet decoded.
        assertEquals(5, capture.at("/http_tree/requests").asLong());
        assertEquals(5, capture.at("/http_tree/responses").asLong());
        assertEquals(1, capture.at("/http_tree/responses_by_code/404").asLong());
        assertEquals(1, capture.at("/http_tree/requests_by_method/POST").asLong());
        assertEquals(4, capture.at("/conversations").size());
        assertEquals(46, capture.at("/ledger/packets/read").asLong());
        assertEquals(46, capture.at("/ledger/packets/decoded").asLong());
        long frames = 0;
        for (final JsonNode c : capture.at("/conversations"))
        {
            frames += c.at("/frames").asLong();
        }
        assertEquals(46, frames, "every frame is in a conversation");
        long ioFrames = 0;
        for (final JsonNode i : capture.at("/io/intervals"))
        {
            ioFrames += i.at("/frames").asLong();
        }
        assertEquals(46, ioFrames, "every frame is in an interval");
        assertEquals(5, capture.at("/total/latency_us/count").asLong());
        assertEquals(1, capture.at("/total/errors_4xx").asLong());
        assertEquals(9, ndjson.at("/ledger/input/lines").asLong(), "5 http events, 4 flow records");

        // Everything but the input's description, the ledger, and the packet counts of the io table
        // (an NDJSON file has no packets) is the same.
        for (final JsonNode report : new JsonNode[] {capture, ndjson})
        {
            ((ObjectNode)report).remove("input");
            ((ObjectNode)report).remove("ledger");
            for (final JsonNode i : report.at("/io/intervals"))
            {
                ((ObjectNode)i).remove("frames");
                ((ObjectNode)i).remove("bytes");
                ((ObjectNode)i).remove("start");
            }
        }
        assertEquals(capture, ndjson);
    }

    @Test
    void shouldPrintAlignedTablesAndSayWhatItCannotRead(@TempDir final Path dir) throws Exception
    {
        final Path text = dir.resolve("stats.txt");
        assertEquals(0, Main.execute("stats", DEMO.toString(), "--top", "2", "-o", text.toString()));
        final String out = Files.readString(text);
        assertTrue(out.contains("Total HTTP Packets") && out.contains("   404 Not Found"), out);
        assertTrue(out.contains("... 2 more (--top)"), out);
        assertTrue(out.contains("packets: read=46 decoded=46 dropped=0"), out);

        final Path junk = dir.resolve("junk.ndjson");
        Files.writeString(junk, "{\"event\":{\"dataset\":\"http\"},\"http\":{\"request\":{\"method\":\"GET\"}}}\nnot json\n\n{\"a\":\n");
        final Path json = dir.resolve("junk.json");
        assertEquals(0, Main.execute("stats", junk.toString(), "--format", "json", "-o", json.toString()));
        final JsonNode report = MAPPER.readTree(json.toFile());
        assertEquals(4, report.at("/ledger/input/lines").asLong());
        assertEquals(1, report.at("/ledger/input/events").asLong());
        assertEquals(1, report.at("/ledger/input/blank").asLong());
        assertEquals(2, report.at("/ledger/input/not_json").asLong());
        assertEquals(1, report.at("/total/no_response").asLong());

        assertEquals(1, Main.execute("stats", dir.resolve("missing.pcap").toString()));
    }
}
