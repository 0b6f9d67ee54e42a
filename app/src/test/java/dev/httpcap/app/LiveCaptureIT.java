package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Live capture with AF_PACKET on a veth in a private network namespace (scripts/live-netns-check.sh):
 * nginx in one namespace, curl in another, {@code bin/httpcap live} on the server's interface.
 * Every connection curl made is one flow record, with both directions and the whole response,
 * and every packet the kernel captured is accounted for.
 */
class LiveCaptureIT
{
    private static final int REQUESTS = 20;
    private static final Pattern ADDRESSES = Pattern.compile("client (\\S+) server (\\S+);");
    private static final Pattern READ = Pattern.compile("(?m)^packets: (\\d+) read, (\\d+) decoded, (\\d+) dropped");
    private static final Pattern KERNEL = Pattern.compile("(?m)^kernel: (\\d+) packets captured, (\\d+) dropped");

    @Test
    void shouldListTheLoopbackInterface(@TempDir final Path dir) throws Exception
    {
        final ItSupport.Result run = ItSupport.httpcap("interfaces", List.of("interfaces"), null, dir, Duration.ofMinutes(1));
        assertEquals(0, run.exitCode(), run::describe);
        assertTrue(run.stdoutText().lines().anyMatch(line ->
            line.matches("\\d+\\s+lo\\s+up\\s+loopback\\s+.*127\\.0\\.0\\.1/8.*")), run.stdoutText());
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldRecordEveryConnectionCapturedLiveOnAVethInANamespace(@TempDir final Path dir) throws Exception
    {
        ItSupport.requireTools("nginx", "curl", "ip");
        ItSupport.requireRoot();
        final Path root = ItSupport.repoRoot();
        final ItSupport.Result run = ItSupport.run("live-netns", List.of(
            root.resolve("scripts/live-netns-check.sh").toString(), dir.toString(), String.valueOf(REQUESTS)),
            null, dir, Duration.ofMinutes(2), Map.of("HTTPCAP_NO_BUILD", "1"));
        assertEquals(0, run.exitCode(), run::describe);

        final String report = run.stdoutText();
        final Matcher addresses = ADDRESSES.matcher(report);
        assertTrue(addresses.find(), report);
        final String client = addresses.group(1);
        final String server = addresses.group(2);

        final List<String> codes = Files.readAllLines(dir.resolve("curl.codes"));
        // REQUESTS single-request connections, then one keep-alive connection with three requests.
        assertEquals(REQUESTS + 3, codes.size(), "curl ran every request");
        assertEquals(REQUESTS + 2, codes.stream().filter("200"::equals).count(), codes.toString());
        assertEquals(1, codes.stream().filter("404"::equals).count(), codes.toString());

        final Matcher read = READ.matcher(report);
        final Matcher kernel = KERNEL.matcher(report);
        assertTrue(read.find() && kernel.find(), report);
        assertEquals(Long.parseLong(kernel.group(1)), Long.parseLong(read.group(1)),
            "every packet the kernel captured was read");
        assertEquals(0, Long.parseLong(kernel.group(2)), "kernel drops");
        assertEquals(read.group(1), read.group(2), "every packet decoded");
        assertTrue(report.lines().anyMatch(line -> line.matches(
            "stats: [\\d,]+ packets/s, [\\d.]+ Mbit/s, kernel drops 0, ring drops 0, flows \\d+, .*")),
            "periodic statistics while capturing:\n" + report);

        final ObjectMapper mapper = new ObjectMapper();
        final List<String> lines = Files.readAllLines(dir.resolve("events.ndjson"));
        final List<String> flows = lines.stream().filter(line -> line.contains("\"dataset\":\"flow\"")).toList();
        final List<String> http = lines.stream().filter(line -> line.contains("\"dataset\":\"http\"")).toList();
        assertEquals(lines.size(), flows.size() + http.size(), String.join("\n", lines));
        assertEquals(REQUESTS + 1, flows.size(), "one record per connection:\n" + String.join("\n", lines));
        // One HTTP event per request curl made, with the status curl got, nothing doubtful.
        final List<String> statuses = new java.util.ArrayList<>();
        for (final String line : http)
        {
            final JsonNode event = mapper.readTree(line);
            statuses.add(event.at("/http/response/status_code").asText());
            assertEquals("GET", event.at("/http/request/method").asText(), line);
            assertEquals(client, event.path("source").path("ip").asText(), line);
            assertTrue(event.path("tags").isEmpty(), line);
        }
        assertEquals(sorted(codes), sorted(statuses), "HTTP events' statuses against curl's");
        for (final String line : flows)
        {
            final JsonNode event = mapper.readTree(line);
            assertEquals("flow", event.path("event").path("dataset").asText(), line);
            assertEquals("fin", event.path("event").path("reason").asText(), line);
            assertEquals(client, event.path("source").path("ip").asText(), line);
            assertEquals(server, event.path("destination").path("ip").asText(), line);
            assertEquals(80, event.path("destination").path("port").asInt(), line);
            assertTrue(event.path("source").path("packets").asLong() >= 4, line);
            assertTrue(event.path("destination").path("packets").asLong() >= 4, line);
            final JsonNode flow = event.path("httpcap").path("flow");
            // Each connection fetched the 27 KB page at least once, and nothing was lost.
            assertTrue(flow.path("server_stream_bytes").asLong() > 27_000, line);
            assertEquals(0, flow.path("client_gap_bytes").asLong() + flow.path("server_gap_bytes").asLong(), line);
            assertTrue(event.path("tags").isEmpty(), line);
        }

        // What --write recorded, read back, gives the same records: live and replay agree.
        final ItSupport.Result replay = ItSupport.httpcap("replay", List.of("read", dir.resolve("capture.pcap").toString(), "--flows",
            "--sink", "file:" + dir.resolve("replay.ndjson")), null, dir, Duration.ofMinutes(1));
        assertEquals(0, replay.exitCode(), replay::describe);
        assertTrue(replay.stderrText().contains("packets: " + read.group(1) + " read"), replay.stderrText());
        assertEquals(sorted(lines), sorted(Files.readAllLines(dir.resolve("replay.ndjson"))));
    }

    private static List<String> sorted(final List<String> lines)
    {
        return lines.stream().sorted().toList();
    }
}
