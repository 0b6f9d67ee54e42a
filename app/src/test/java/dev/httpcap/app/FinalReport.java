package dev.httpcap.app;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The final report httpcap prints on stderr:
 * <pre>
 * packets: 123456 read, 123400 decoded, 56 dropped       (or: ..., 10 filtered out, 46 dropped)
 * drops: non_ip=50 ip_fragment=6
 * flows: 1234 (fin=1200 rst=30 timeout=0 evicted=0 end_of_capture=4)
 * events: 1234 written, 0 dropped
 * latency: capture to written p50=123us p99=456us p99.9=789us max=1234us (1234 events)
 * </pre>
 * Fields are null when their line (or part of it) is absent. {@code latency} is the four
 * microsecond values p50, p99, p99.9 and max, empty for {@code latency: no events}.
 */
record FinalReport(Long read, Long decoded, Long filtered, Long dropped, Map<String, Long> drops, Long flows,
    Map<String, Long> flowReasons, Long eventsWritten, Long eventsDropped, Long latencyEvents, List<Long> latency)
{
    private static final Pattern LATENCY = Pattern.compile(
        "(?m)^\\s*latency: (?:no events|capture to written p50=(\\d+)us p99=(\\d+)us p99\\.9=(\\d+)us max=(\\d+)us " +
        "\\((\\d+) events\\))$");
    private static final Pattern PACKETS = Pattern.compile("(?m)^\\s*packets:\\s*(\\d+) read\\b(.*)$");
    private static final Pattern DECODED = Pattern.compile("\\b(\\d+) decoded\\b");
    private static final Pattern DROPPED = Pattern.compile("\\b(\\d+) dropped\\b");
    private static final Pattern FILTERED = Pattern.compile("\\b(\\d+) filtered out\\b");
    private static final Pattern DROPS = Pattern.compile("(?m)^\\s*drops:(.*)$");
    private static final Pattern FLOWS = Pattern.compile("(?m)^\\s*flows:\\s*(\\d+)(?:\\s*\\(([^)]*)\\))?");
    private static final Pattern EVENTS = Pattern.compile("(?m)^\\s*events:\\s*(\\d+) written(?:,\\s*(\\d+) dropped)?");
    private static final Pattern PAIR = Pattern.compile("([a-z_0-9]+)=(\\d+)");

    static FinalReport parse(final String stderr)
    {
        Long read = null;
        Long decoded = null;
        Long dropped = null;
        Long filtered = null;
        final Matcher packets = lastMatch(PACKETS, stderr);
        if (packets != null)
        {
            read = Long.parseLong(packets.group(1));
            final Matcher d = DECODED.matcher(packets.group(2));
            decoded = d.find() ? Long.parseLong(d.group(1)) : null;
            final Matcher x = DROPPED.matcher(packets.group(2));
            dropped = x.find() ? Long.parseLong(x.group(1)) : null;
            final Matcher f = FILTERED.matcher(packets.group(2));
            filtered = f.find() ? Long.parseLong(f.group(1)) : 0L;
        }
        final Matcher dropsLine = lastMatch(DROPS, stderr);
        final Map<String, Long> drops = dropsLine == null ? null : pairs(dropsLine.group(1));
        final Matcher flowsLine = lastMatch(FLOWS, stderr);
        final Long flows = flowsLine == null ? null : Long.parseLong(flowsLine.group(1));
        final Map<String, Long> reasons = flowsLine == null || flowsLine.group(2) == null ? null : pairs(flowsLine.group(2));
        final Matcher eventsLine = lastMatch(EVENTS, stderr);
        final Long written = eventsLine == null ? null : Long.parseLong(eventsLine.group(1));
        final Long eventsDropped = eventsLine == null || eventsLine.group(2) == null ? null : Long.parseLong(eventsLine.group(2));
        final Matcher latencyLine = lastMatch(LATENCY, stderr);
        Long latencyEvents = null;
        List<Long> latency = null;
        if (latencyLine != null)
        {
            latencyEvents = latencyLine.group(5) == null ? 0L : Long.parseLong(latencyLine.group(5));
            latency = new ArrayList<>();
            for (int g = 1; g <= 4 && latencyLine.group(g) != null; g++)
            {
                latency.add(Long.parseLong(latencyLine.group(g)));
            }
        }
        return new FinalReport(read, decoded, filtered, dropped, drops, flows, reasons, written, eventsDropped, latencyEvents, latency);
    }

    /**
     * Checks the report against the frame count of the file and the events read back, and returns
     * the problems (empty when all is well). The packets line is required; the others are checked
     * when present.
     */
    List<String> check(final long frames, final FlowEvents.Events events)
    {
        final List<String> problems = new ArrayList<>();
        if (read == null)
        {
            problems.add("no 'packets: N read' line in the final report on stderr");
            return problems;
        }
        if (read != frames)
        {
            problems.add("report says packets: " + read + " read, but the file holds " + frames + " frames (tshark)");
        }
        if (decoded == null || dropped == null)
        {
            problems.add("the packets line lacks 'N decoded' or 'N dropped'");
        }
        else if (decoded + filtered + dropped != read)
        {
            problems.add("packets: " + decoded + " decoded + " + filtered + " filtered out + " + dropped + " dropped = " +
                (decoded + filtered + dropped) + ", not the " + read + " read");
        }
        if (drops != null && dropped != null)
        {
            final long sum = drops.values().stream().mapToLong(Long::longValue).sum();
            if (sum != dropped)
            {
                problems.add("drops: reasons " + drops + " add up to " + sum + ", not the " + dropped + " dropped");
            }
        }
        if (drops == null && dropped != null && dropped != 0)
        {
            problems.add(dropped + " packets dropped but no 'drops:' line gives the reasons");
        }
        if (flows != null)
        {
            if (flows != events.flows().size())
            {
                problems.add("report says flows: " + flows + ", but " + events.flows().size() + " flow events were read back");
            }
            if (flowReasons != null)
            {
                final long sum = flowReasons.values().stream().mapToLong(Long::longValue).sum();
                if (sum != flows)
                {
                    problems.add("flows: reasons " + flowReasons + " add up to " + sum + ", not " + flows);
                }
                final Map<String, Long> nonZero = new LinkedHashMap<>();
                flowReasons.forEach((k, v) -> {
                    if (v != 0)
                    {
                        nonZero.put(k, v);
                    }
                });
                final Map<String, Long> fromEvents = events.flowReasons();
                if (!new java.util.TreeMap<>(nonZero).equals(fromEvents))
                {
                    problems.add("flows: reasons in the report " + nonZero + " differ from event.reason counts " + fromEvents);
                }
            }
        }
        if (eventsWritten != null && eventsWritten != events.lines())
        {
            problems.add("report says events: " + eventsWritten + " written, but the sink holds " + events.lines() + " events");
        }
        if (eventsDropped != null && eventsDropped != 0)
        {
            problems.add("report says " + eventsDropped + " events dropped");
        }
        if (eventsWritten != null && latencyEvents == null)
        {
            problems.add("no 'latency: capture to written p50=...us p99=...us p99.9=...us max=...us (N events)' line");
        }
        else if (eventsWritten != null && !latencyEvents.equals(eventsWritten))
        {
            problems.add("latency measured for " + latencyEvents + " events, but " + eventsWritten + " were written");
        }
        if (latency != null && !latency.isEmpty() && !latency.equals(latency.stream().sorted().toList()))
        {
            problems.add("latency percentiles out of order (p50, p99, p99.9, max): " + latency);
        }
        return problems;
    }

    private static Matcher lastMatch(final Pattern pattern, final String text)
    {
        final Matcher m = pattern.matcher(text);
        Matcher last = null;
        while (m.find())
        {
            last = pattern.matcher(text);
            last.find(m.start());
        }
        return last;
    }

    private static Map<String, Long> pairs(final String text)
    {
        final Map<String, Long> map = new LinkedHashMap<>();
        final Matcher m = PAIR.matcher(text);
        while (m.find())
        {
            map.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return map;
    }
}
