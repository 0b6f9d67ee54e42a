package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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

    /**
     * The workers add a capture's events up from the decoded transactions (StatsTap), not from their
     * JSON: for requests whose URL fields take work to derive — absolute-form with user info and
     * port, CONNECT's authority, an IPv6 Host, a query and a fragment, bytes that are not UTF-8, no
     * response, an interim 100, no Host at all — the capture's statistics equal those of its NDJSON
     * events, with one worker and with two (whose collectors are merged).
     */
    @Test
    void shouldAddUpDecodedTransactionsAsTheirJsonEventsDo(@TempDir final Path dir) throws Exception
    {
        final TestPcap pcap = new TestPcap()
            .connection(80, "GET http://user:pw@Example.test:8080/a/12345/b?x=1#frag HTTP/1.1\r\nHost: ignored.test\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .connection(80, "CONNECT tunnel.test:443 HTTP/1.1\r\nHost: tunnel.test:443\r\n\r\n",
                "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            .connection(80, "GET /v6/path HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n",
                "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")
            .connection(80, "GET /caf\u00e9/\u00ff?q=\u00e9 HTTP/1.1\r\nHost: bytes.test\r\n\r\n",
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .connection(80, "POST /upload HTTP/1.1\r\nHost: up.test\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
                "HTTP/1.1 100 Continue\r\n\r\n", "abc", "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
            .connection(80, "GET /nohost HTTP/1.0\r\n\r\n", "HTTP/1.0 204 No Content\r\n\r\n")
            .connection(80, "GET /never/answered HTTP/1.1\r\nHost: quiet.test\r\n\r\n");
        final Path capture = dir.resolve("edges.pcap");
        pcap.write(capture);
        for (final String workers : List.of("1", "2"))
        {
            final JsonNode report = assertCaptureEqualsItsEvents(capture, dir, "--workers", workers);
            assertEquals(7, report.at("/http_tree/requests").asLong(), report.toString());
            assertEquals(1, report.at("/http_tree/responses_by_code/100").asLong(), report.toString());
            assertEquals(1, report.at("/total/no_response").asLong(), report.toString());
            assertEquals(1, report.at("/http_req_tree/requests_without_host").asLong(), report.toString());
        }
    }

    /** Stats of {@code capture} equal stats of the NDJSON events {@code read --flows} writes for it; @return the former. */
    private static JsonNode assertCaptureEqualsItsEvents(final Path capture, final Path dir, final String... options)
        throws Exception
    {
        final Path events = dir.resolve("events.ndjson");
        Files.deleteIfExists(events);
        final Path fromCapture = dir.resolve("capture.json");
        final Path fromEvents = dir.resolve("events.json");
        assertEquals(0, Main.execute("read", capture.toString(), "--flows", "--sink", "file:" + events, "--progress", "never"));
        final List<String> stats = new java.util.ArrayList<>(List.of("stats", capture.toString(), "--format", "json", "-o",
            fromCapture.toString()));
        stats.addAll(List.of(options));
        assertEquals(0, Main.execute(stats.toArray(String[]::new)));
        assertEquals(0, Main.execute("stats", events.toString(), "--format", "json", "-o", fromEvents.toString()));
        final JsonNode fromTap = MAPPER.readTree(fromCapture.toFile());
        final JsonNode tap = fromTap.deepCopy();
        final JsonNode ndjson = MAPPER.readTree(fromEvents.toFile());
        for (final JsonNode report : new JsonNode[] {tap, ndjson})
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
        assertEquals(ndjson, tap);
        return fromTap;
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

    /** stats runs a worker per CPU less one (1 to 4) unless told otherwise, and its help says that, not read's default. */
    @Test
    void shouldRunAndDescribeItsOwnDefaultWorkers() throws Exception
    {
        final int cpus = Runtime.getRuntime().availableProcessors();
        final int expected = Math.max(1, Math.min(4, cpus - 1));
        assertEquals(expected, new StatsCommand(StatsCommand.spec().parse(new String[] {"x.pcap"}, 0)).workers());
        assertEquals(3, new StatsCommand(StatsCommand.spec().parse(new String[] {"x.pcap", "--workers", "3"}, 0)).workers());

        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        assertEquals(0, Main.execute(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
            new java.io.PrintStream(new java.io.ByteArrayOutputStream()), "stats", "--help"));
        final String help = out.toString(java.nio.charset.StandardCharsets.UTF_8).replaceAll("\\s+", " ");
        assertTrue(help.contains("--workers=N worker threads (shards of the flow table); default: one per CPU less one for the " +
            "capture thread, 1 to 4 (" + expected + " here)"), help);
    }

    /** An --output that cannot be written is one line and exit status 1, never a stack trace; a missing directory is said first. */
    @Test
    void shouldSayInOneLineWhenTheReportCannotBeWritten(@TempDir final Path dir) throws Exception
    {
        final java.io.PrintStream saved = System.err;
        final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try
        {
            final Path missing = dir.resolve("no-such-dir").resolve("stats.html");
            assertEquals(1, Main.execute("stats", DEMO.toString(), "--format", "html", "-o", missing.toString()));
            assertEquals(1, Main.execute("stats", DEMO.toString(), "-o", dir.toString()));
            assertEquals(1, Main.execute("stats", DEMO.toString(), "--format", "json", "-o", "/dev/full"));
            assertEquals(1, Main.execute("stats", DEMO.toString(), "-o", "/dev/full"));
        }
        finally
        {
            System.setErr(saved);
        }
        final List<String> lines = err.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertEquals(List.of(
            "httpcap: cannot write the report to '" + dir.resolve("no-such-dir").resolve("stats.html") + "': " +
                dir.resolve("no-such-dir") + ": no such directory (httpcap does not create directories)",
            "httpcap: cannot write the report to '" + dir + "': it is a directory",
            "httpcap: cannot write the report to '/dev/full': No space left on device",
            "httpcap: cannot write the report to '/dev/full': No space left on device"), lines);
    }

    /** As read: a capture cut short gives the report of what was read, then the damage in one line and exit status 1. */
    @Test
    void shouldReportWhatItReadAndSayWhereACaptureIsDamaged(@TempDir final Path dir) throws Exception
    {
        final byte[] demo = Files.readAllBytes(DEMO);
        final Path cut = dir.resolve("cut.pcap");
        Files.write(cut, java.util.Arrays.copyOf(demo, 5000));
        final Path json = dir.resolve("cut.json");
        assertEquals(List.of("httpcap: '" + cut + "' is cut short: it ends 105 bytes into the record at byte 4895 " +
            "(truncated dump file)"), standardErrorOf(1, "stats", cut.toString(), "--format", "json", "-o", json.toString()));
        final JsonNode report = MAPPER.readTree(json.toFile());
        assertEquals(1, report.at("/ledger/file/truncated_records").asLong());
        assertEquals(31, report.at("/ledger/packets/read").asLong());
    }

    @Test
    void shouldSayWhenTheInputHoldsNoEventsAtAll(@TempDir final Path dir) throws Exception
    {
        final Path text = dir.resolve("notes.txt");
        Files.writeString(text, "# notes\n\nnot an event\n{\"not\": \"one either\"\n");
        final Path json = dir.resolve("notes.json");
        assertEquals(List.of("httpcap: '" + text + "' holds no httpcap events: none of its 3 non-blank lines is one, " +
            "and it is not a pcap or pcapng capture"), standardErrorOf(1, "stats", text.toString(), "--format", "json", "-o", json.toString()));
        // The report is written all the same: its ledger accounts for every line.
        final JsonNode report = MAPPER.readTree(json.toFile());
        assertEquals(3, report.at("/ledger/input/not_json").asLong());
        assertEquals(1, report.at("/ledger/input/blank").asLong());

        // An empty input is not that: an empty report, exit 0.
        final Path empty = dir.resolve("empty.ndjson");
        Files.writeString(empty, "");
        assertEquals(0, Main.execute("stats", empty.toString(), "--format", "json", "-o", dir.resolve("empty.json").toString()));
    }

    /** A named pipe given as FILE is read once, as a stream, like standard input. */
    @Test
    // A second open of the pipe (the bug) blocks in the kernel: fail the test from another thread.
    @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldReadANamedPipeGivenAsThePath(@TempDir final Path dir) throws Exception
    {
        final Path fifo = dir.resolve("capture.fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        final byte[] demo = Files.readAllBytes(DEMO);
        final Thread writer = Thread.ofPlatform().start(() ->
        {
            try
            {
                Files.write(fifo, demo);
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        });
        final Path fromPipe = dir.resolve("pipe.json");
        assertEquals(0, Main.execute("stats", fifo.toString(), "--format", "json", "-o", fromPipe.toString()));
        writer.join();
        final Path fromFile = dir.resolve("file.json");
        assertEquals(0, Main.execute("stats", DEMO.toString(), "--format", "json", "-o", fromFile.toString()));
        final JsonNode pipe = MAPPER.readTree(fromPipe.toFile());
        final JsonNode file = MAPPER.readTree(fromFile.toFile());
        assertEquals(46, pipe.at("/ledger/packets/read").asLong(), pipe::toString);
        assertEquals(file.at("/ledger/packets"), pipe.at("/ledger/packets"));
        assertEquals(file.at("/http_tree"), pipe.at("/http_tree"));
        assertEquals(file.at("/conversations"), pipe.at("/conversations"));
    }

    /** Runs the command in this JVM, checks its exit status; @return the lines it wrote to standard error. */
    private static List<String> standardErrorOf(final int expectedExit, final String... args) throws Exception
    {
        final java.io.PrintStream saved = System.err;
        final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try
        {
            assertEquals(expectedExit, Main.execute(args));
        }
        finally
        {
            System.setErr(saved);
        }
        return err.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
    }
}
