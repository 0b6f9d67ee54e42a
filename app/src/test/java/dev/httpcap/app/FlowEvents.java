package dev.httpcap.app;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The httpcap side: JSON events, one object per line, of which the {@code flow} dataset is compared. */
final class FlowEvents
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A flow event: source = client, destination = server. */
    record Flow(long line, String clientIp, int clientPort, String serverIp, int serverPort,
        long clientPackets, long clientBytes, long serverPackets, long serverBytes,
        Instant start, String reason, long networkPackets, long networkBytes)
        implements FlowComparison.Conn
    {
        @Override
        public String origin()
        {
            return "event line " + line + ", start " + start + ", reason " + reason;
        }
    }

    /**
     * Everything read from an event stream: all events by dataset, the flows, and problems (lines
     * that are not JSON objects, flow events lacking fields or whose totals disagree).
     */
    record Events(long lines, Map<String, Long> datasets, List<Flow> flows, List<String> problems)
    {
        Map<String, Long> flowReasons()
        {
            final Map<String, Long> reasons = new TreeMap<>();
            flows.forEach(f -> reasons.merge(String.valueOf(f.reason()), 1L, Long::sum));
            return reasons;
        }
    }

    private FlowEvents()
    {
    }

    static Events read(final Path ndjson) throws IOException
    {
        final Map<String, Long> datasets = new TreeMap<>();
        final List<Flow> flows = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        long lines = 0;
        long lineNumber = 0;
        try (BufferedReader reader = Files.newBufferedReader(ndjson, StandardCharsets.UTF_8))
        {
            String line;
            while ((line = reader.readLine()) != null)
            {
                lineNumber++;
                if (line.isBlank())
                {
                    continue;
                }
                lines++;
                final JsonNode event;
                try
                {
                    event = MAPPER.readTree(line);
                }
                catch (final JsonProcessingException e)
                {
                    problems.add("line " + lineNumber + " is not JSON (" + e.getOriginalMessage() + "): " + abbreviate(line));
                    continue;
                }
                if (event == null || !event.isObject())
                {
                    problems.add("line " + lineNumber + " is not a JSON object: " + abbreviate(line));
                    continue;
                }
                final String dataset = event.path("event").path("dataset").asText("<none>");
                datasets.merge(dataset, 1L, Long::sum);
                if (dataset.equals("flow"))
                {
                    final Flow flow = toFlow(lineNumber, event, line, problems);
                    if (flow != null)
                    {
                        flows.add(flow);
                    }
                }
            }
        }
        return new Events(lines, datasets, flows, problems);
    }

    private static Flow toFlow(final long lineNumber, final JsonNode event, final String line, final List<String> problems)
    {
        final List<String> missing = new ArrayList<>();
        final String clientIp = text(event, "source", "ip", missing);
        final long clientPort = number(event, "source", "port", missing);
        final long clientPackets = number(event, "source", "packets", missing);
        final long clientBytes = number(event, "source", "bytes", missing);
        final String serverIp = text(event, "destination", "ip", missing);
        final long serverPort = number(event, "destination", "port", missing);
        final long serverPackets = number(event, "destination", "packets", missing);
        final long serverBytes = number(event, "destination", "bytes", missing);
        final String startText = text(event, "event", "start", missing);
        final String reason = text(event, "event", "reason", missing);
        final long networkPackets = number(event, "network", "packets", missing);
        final long networkBytes = number(event, "network", "bytes", missing);
        if (!missing.isEmpty())
        {
            problems.add("flow event on line " + lineNumber + " lacks " + missing + ": " + abbreviate(line));
            return null;
        }
        Instant start;
        try
        {
            start = Instant.parse(startText);
        }
        catch (final DateTimeParseException e)
        {
            problems.add("flow event on line " + lineNumber + " has an unparsable event.start: " + startText);
            return null;
        }
        if (networkPackets != clientPackets + serverPackets || networkBytes != clientBytes + serverBytes)
        {
            problems.add("flow event on line " + lineNumber + ": network.packets/bytes " + networkPackets + "/"
                + networkBytes + " != source + destination " + (clientPackets + serverPackets) + "/"
                + (clientBytes + serverBytes));
        }
        return new Flow(lineNumber, FlowComparison.normalizeIp(clientIp), (int)clientPort,
            FlowComparison.normalizeIp(serverIp), (int)serverPort, clientPackets, clientBytes, serverPackets,
            serverBytes, start, reason, networkPackets, networkBytes);
    }

    private static String text(final JsonNode event, final String object, final String field, final List<String> missing)
    {
        final JsonNode node = event.path(object).path(field);
        if (!node.isTextual())
        {
            missing.add(object + "." + field);
            return null;
        }
        return node.asText();
    }

    private static long number(final JsonNode event, final String object, final String field, final List<String> missing)
    {
        final JsonNode node = event.path(object).path(field);
        if (!node.isIntegralNumber())
        {
            missing.add(object + "." + field);
            return -1;
        }
        return node.asLong();
    }

    static String abbreviate(final String line)
    {
        return line.length() <= 300 ? line : line.substring(0, 300) + "...";
    }
}
