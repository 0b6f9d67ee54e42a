package dev.httpcap.app.analysis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.Histogram;

import dev.httpcap.app.analysis.StatsCollector.Conversation;
import dev.httpcap.app.analysis.StatsCollector.Group;
import dev.httpcap.app.analysis.StatsCollector.IoBucket;

/**
 * What {@code httpcap stats} prints: the collector's tables, the capture's per-interval frame counts
 * and the loss ledger, as aligned text ({@link #text}) or JSON ({@link #json}; every row, which the
 * HTML report also embeds).
 */
public final class StatsReport
{
    /** Text output merges intervals so that the io table has at most this many rows, unless asked for an interval. */
    static final int TEXT_INTERVALS = 40;

    private final String input;
    private final String kind;
    private final StatsCollector stats;
    private final PacketIntervals packets;
    private final Map<String, Map<String, Long>> ledger;

    /**
     * @param packets per-interval frames of a capture, or null (NDJSON input).
     * @param ledger  sections of named counts in which every packet and event is accounted for.
     */
    public StatsReport(final String input, final String kind, final StatsCollector stats, final PacketIntervals packets,
        final Map<String, Map<String, Long>> ledger)
    {
        this.input = input;
        this.kind = kind;
        this.stats = stats;
        this.packets = packets;
        this.ledger = ledger;
    }

    // ---------------------------------------------------------------- model

    /** One row of the io table. */
    record Interval(double start, long frames, long bytes, long requests, long responses, long errors, long requestBytes,
        long responseBytes, AbstractHistogram latency)
    {
    }

    long firstNanos()
    {
        if (packets != null && packets.firstNanos() != Long.MIN_VALUE)
        {
            return packets.firstNanos();
        }
        if (stats.firstFrameNanos != Long.MAX_VALUE)
        {
            return Math.min(stats.firstFrameNanos, stats.firstNanos);
        }
        return stats.firstNanos == Long.MAX_VALUE ? 0 : stats.firstNanos;
    }

    long lastNanos()
    {
        if (packets != null && packets.lastNanos() != Long.MIN_VALUE)
        {
            return packets.lastNanos();
        }
        if (stats.lastFrameNanos != Long.MIN_VALUE)
        {
            return Math.max(stats.lastFrameNanos, stats.lastNanos);
        }
        return stats.lastNanos == Long.MIN_VALUE ? firstNanos() : stats.lastNanos;
    }

    /** The io rows at {@code factor} times the collector's interval. */
    List<Interval> intervals(final int factor)
    {
        long from = stats.io.isEmpty() ? 0 : Math.min(0, stats.io.firstKey());
        long to = stats.io.isEmpty() ? -1 : stats.io.lastKey();
        if (packets != null)
        {
            from = 0;
            to = Math.max(to, packets.intervals() - 1);
        }
        else
        {
            if (!stats.io.isEmpty())
            {
                from = stats.io.firstKey();
            }
            if (!stats.frames.isEmpty())
            {
                from = stats.io.isEmpty() ? stats.frames.firstKey() : Math.min(from, stats.frames.firstKey());
                to = Math.max(to, stats.frames.lastKey());
            }
        }
        final List<Interval> rows = new ArrayList<>();
        final double seconds = stats.intervalNanos / 1e9;
        for (long i = from; i <= to; i += factor)
        {
            long frames = 0;
            long bytes = 0;
            long requests = 0;
            long responses = 0;
            long errors = 0;
            long requestBytes = 0;
            long responseBytes = 0;
            AbstractHistogram latency = null;
            for (long j = i; j < i + factor && j <= to; j++)
            {
                if (packets != null && j >= 0 && j < packets.intervals())
                {
                    frames += packets.frames((int)j);
                    bytes += packets.bytes((int)j);
                }
                final long[] merged = packets == null ? stats.frames.get(j) : null;
                if (merged != null)
                {
                    frames += merged[0];
                    bytes += merged[1];
                }
                final IoBucket b = stats.io.get(j);
                if (b != null)
                {
                    requests += b.requests;
                    responses += b.responses;
                    errors += b.errors;
                    requestBytes += b.requestBytes;
                    responseBytes += b.responseBytes;
                    if (b.latency != null)
                    {
                        if (latency == null)
                        {
                            latency = factor == 1 ? b.latency : new Histogram(StatsCollector.GROUP_DIGITS);
                        }
                        if (latency != b.latency)
                        {
                            latency.add(b.latency);
                        }
                    }
                }
            }
            final double start = packets != null ? i * seconds :
                (stats.originNanos + i * stats.intervalNanos - firstNanos()) / 1e9;
            rows.add(new Interval(start, frames, bytes, requests, responses, errors, requestBytes, responseBytes, latency));
        }
        return rows;
    }

    static List<Group> sorted(final CountTable<Group> table)
    {
        final List<Group> rows = new ArrayList<>(table.rows().values());
        rows.sort(Comparator.comparingLong((Group g) -> -g.requests).thenComparingLong(g -> -g.responses)
            .thenComparing(g -> g.key));
        return rows;
    }

    static List<Map.Entry<String, Long>> sortedCounts(final CountTable<long[]> table)
    {
        final List<Map.Entry<String, Long>> rows = new ArrayList<>();
        table.rows().forEach((k, v) -> rows.add(Map.entry(k, v[0])));
        rows.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        return rows;
    }

    static long sum(final CountTable<long[]> table)
    {
        long n = 0;
        for (final long[] v : table.rows().values())
        {
            n += v[0];
        }
        return n;
    }

    static List<Map.Entry<String, CountTable<long[]>>> sortedTrees(final CountTable<CountTable<long[]>> table)
    {
        final List<Map.Entry<String, CountTable<long[]>>> rows = new ArrayList<>(table.rows().entrySet());
        rows.sort(Comparator.comparingLong((Map.Entry<String, CountTable<long[]>> e) -> -sum(e.getValue()))
            .thenComparing(Map.Entry::getKey));
        return rows;
    }

    List<Conversation> conversations()
    {
        final List<Conversation> rows = new ArrayList<>(stats.conversations);
        rows.sort(StatsReport::byFramesThenBytes);
        return rows;
    }

    /** Most frames first, then most bytes, then earliest, then by addresses and ports (one comparator: sorted often). */
    private static int byFramesThenBytes(final Conversation a, final Conversation b)
    {
        int c = Long.compare(b.frames(), a.frames());
        if (c == 0)
        {
            c = Long.compare(b.bytes(), a.bytes());
        }
        if (c == 0)
        {
            c = Long.compare(a.startNanos(), b.startNanos());
        }
        if (c == 0)
        {
            c = a.addressA().compareTo(b.addressA());
        }
        if (c == 0)
        {
            c = Integer.compare(a.portA(), b.portA());
        }
        if (c == 0)
        {
            c = a.addressB().compareTo(b.addressB());
        }
        return c != 0 ? c : Integer.compare(a.portB(), b.portB());
    }

    static String statusClass(final int code)
    {
        return switch (code / 100)
        {
            case 1 -> "1xx: Informational";
            case 2 -> "2xx: Success";
            case 3 -> "3xx: Redirection";
            case 4 -> "4xx: Client Error";
            case 5 -> "5xx: Server Error";
            default -> "???: broken";
        };
    }

    // ---------------------------------------------------------------- JSON

    /** @return the whole report as one JSON object (every row). */
    public String json()
    {
        return json(new JsonOut()).toString();
    }

    /** The JSON report (UTF-8), and a newline, to {@code sink}: streamed as it is built. */
    public void writeJson(final java.io.OutputStream sink) throws java.io.IOException
    {
        try
        {
            json(new JsonOut(sink)).writeTo(sink);
        }
        catch (final java.io.UncheckedIOException ex)
        {
            throw ex.getCause();
        }
        sink.write('\n');
    }

    private JsonOut json(final JsonOut j)
    {
        j.open();
        j.open("input").field("name", input).field("kind", kind)
            .field("first", Instant.ofEpochSecond(0, firstNanos()).toString())
            .field("last", Instant.ofEpochSecond(0, lastNanos()).toString())
            .field("duration_seconds", (lastNanos() - firstNanos()) / 1e9).close();

        j.open("http_tree").field("total", stats.requestPackets + stats.responsePackets)
            .field("requests", stats.requestPackets);
        j.open("requests_by_method");
        stats.requestsByMethod.forEach(j::field);
        j.close().field("responses", stats.responsePackets).open("responses_by_class");
        final Map<String, Long> classes = new LinkedHashMap<>();
        stats.responsesByCode.forEach((code, n) -> classes.merge(statusClass(code).substring(0, 3), n, Long::sum));
        classes.forEach(j::field);
        j.close().open("responses_by_code");
        stats.responsesByCode.forEach((code, n) -> j.field(String.valueOf(code), n));
        j.close().close();

        j.open("http_req_tree").field("requests", stats.requestPackets - stats.requestsWithoutHost)
            .field("requests_without_host", stats.requestsWithoutHost).array("hosts");
        for (final Map.Entry<String, CountTable<long[]>> host : sortedTrees(stats.requestsByHost))
        {
            j.open().field("host", host.getKey()).field("requests", sum(host.getValue())).array("uris");
            for (final Map.Entry<String, Long> uri : sortedCounts(host.getValue()))
            {
                j.open().field("uri", uri.getKey()).field("requests", uri.getValue()).close();
            }
            j.endArray().close();
        }
        j.endArray().close();

        j.open("http_srv_tree").array("requests_by_server");
        tree(j, stats.requestsByServer, "address", "hosts", "host");
        j.endArray().array("requests_by_host");
        tree(j, stats.serversByHost, "host", "addresses", "address");
        j.endArray().array("responses_by_server");
        final List<String> servers = new ArrayList<>(stats.responsesByServer.rows().keySet());
        servers.sort(null);
        for (final String server : servers)
        {
            final long[] okKo = stats.responsesByServer.rows().get(server);
            j.open().field("address", server).field("responses", okKo[0] + okKo[1]).field("ok", okKo[0])
                .field("ko", okKo[1]).close();
        }
        j.endArray().close();

        j.array("conversations");
        final long first = firstNanos();
        for (final Conversation c : conversations())
        {
            j.open().field("address_a", c.addressA()).field("port_a", c.portA()).field("address_b", c.addressB())
                .field("port_b", c.portB()).field("frames_a_to_b", c.framesAtoB()).field("bytes_a_to_b", c.bytesAtoB())
                .field("frames_b_to_a", c.framesBtoA()).field("bytes_b_to_a", c.bytesBtoA()).field("frames", c.frames())
                .field("bytes", c.bytes()).field("rel_start", (c.startNanos() - first) / 1e9)
                .field("duration", c.durationNanos() / 1e9).field("community_id", c.communityId())
                .field("reason", c.reason()).close();
        }
        j.endArray().field("conversations_folded", stats.conversationsFolded);

        j.open("io").field("interval_seconds", stats.intervalNanos / 1e9).array("intervals");
        for (final Interval row : intervals(1))
        {
            j.open().field("start", row.start()).field("frames", row.frames()).field("bytes", row.bytes())
                .field("requests", row.requests()).field("responses", row.responses()).field("errors", row.errors())
                .field("request_bytes", row.requestBytes()).field("response_bytes", row.responseBytes());
            latency(j, row.latency());
            j.close();
        }
        j.endArray().close();

        j.open("total");
        group(j, stats.total);
        j.close();
        groups(j, "hosts", stats.hosts);
        groups(j, "endpoints", stats.endpoints);
        groups(j, "clients", stats.clients);
        j.open("tags");
        stats.tags.forEach(j::field);
        j.close().open("datasets");
        stats.datasets.forEach(j::field);
        j.close().open("ledger");
        ledger.forEach((section, counts) ->
        {
            j.open(section);
            counts.forEach(j::field);
            j.close();
        });
        j.close();
        return j.close();
    }

    private static void tree(final JsonOut j, final CountTable<CountTable<long[]>> table, final String name,
        final String children, final String child)
    {
        for (final Map.Entry<String, CountTable<long[]>> row : sortedTrees(table))
        {
            j.open().field(name, row.getKey()).field("requests", sum(row.getValue())).array(children);
            for (final Map.Entry<String, Long> c : sortedCounts(row.getValue()))
            {
                j.open().field(child, c.getKey()).field("requests", c.getValue()).close();
            }
            j.endArray().close();
        }
    }

    private static void groups(final JsonOut j, final String name, final CountTable<Group> table)
    {
        j.array(name);
        for (final Group g : sorted(table))
        {
            j.open().field("name", g.key);
            group(j, g);
            j.close();
        }
        j.endArray();
        j.field(name + "_folded", table.foldedKeys());
    }

    private static void group(final JsonOut j, final Group g)
    {
        if (g.template != null)
        {
            j.field("method", g.method).field("host", g.host).field("path", g.template);
        }
        j.field("requests", g.requests).field("responses", g.responses).field("no_response", g.noResponse)
            .field("errors_4xx", g.status4xx).field("errors_5xx", g.status5xx)
            .field("error_rate", g.responses == 0 ? 0.0 : (double)g.errors() / g.responses)
            .field("request_bytes", g.requestBytes).field("response_bytes", g.responseBytes);
        latency(j, g.latency);
    }

    private static void latency(final JsonOut j, final AbstractHistogram h)
    {
        j.open("latency_us");
        final long count = h == null ? 0 : h.getTotalCount();
        j.field("count", count);
        if (count > 0)
        {
            j.field("p50", h.getValueAtPercentile(50)).field("p90", h.getValueAtPercentile(90))
                .field("p99", h.getValueAtPercentile(99)).field("max", h.getMaxValue())
                .field("mean", Math.round(h.getMean() * 10) / 10.0);
        }
        j.close();
    }

    // ---------------------------------------------------------------- text

    /**
     * @param top             rows shown of each long table (0: all).
     * @param intervalFixed   whether the interval was asked for (else the io table is merged to at most 40 rows).
     */
    public String text(final int top, final boolean intervalFixed)
    {
        final StringBuilder out = new StringBuilder(1 << 14);
        out.append("httpcap stats: ").append(input).append(" (").append(kind).append("), ")
            .append(Instant.ofEpochSecond(0, firstNanos())).append(" + ")
            .append(fmt((lastNanos() - firstNanos()) / 1e9)).append(" s\n");

        final Table http = new Table("HTTP packet counter (tshark -z http,tree)", "Topic / Item", "Count", "Percent");
        final long all = stats.requestPackets + stats.responsePackets;
        http.row("Total HTTP Packets", all, pct(all, all));
        http.row(" HTTP Request Packets", stats.requestPackets, pct(stats.requestPackets, all));
        sortedByValue(stats.requestsByMethod).forEach(e -> http.row("  " + e.getKey(), e.getValue(), pct(e.getValue(), stats.requestPackets)));
        http.row(" HTTP Response Packets", stats.responsePackets, pct(stats.responsePackets, all));
        final Map<String, Map<Integer, Long>> byClass = new LinkedHashMap<>();
        stats.responsesByCode.forEach((code, n) -> byClass.computeIfAbsent(statusClass(code), k -> new LinkedHashMap<>()).put(code, n));
        final List<Map.Entry<String, Map<Integer, Long>>> classes = new ArrayList<>(byClass.entrySet());
        classes.sort(Comparator.comparingLong(e -> -e.getValue().values().stream().mapToLong(Long::longValue).sum()));
        for (final Map.Entry<String, Map<Integer, Long>> c : classes)
        {
            final long n = c.getValue().values().stream().mapToLong(Long::longValue).sum();
            http.row("  " + c.getKey(), n, pct(n, stats.responsePackets));
            final List<Map.Entry<Integer, Long>> codes = new ArrayList<>(c.getValue().entrySet());
            codes.sort(Map.Entry.<Integer, Long>comparingByValue().reversed());
            codes.forEach(e -> http.row("   " + e.getKey() + " " + StatusPhrases.of(e.getKey()), e.getValue(), pct(e.getValue(), n)));
        }
        http.render(out, 0);

        final Table req = new Table("HTTP requests by host and URI (tshark -z http_req,tree)", "Host / URI", "Count", "Percent");
        final long withHost = stats.requestPackets - stats.requestsWithoutHost;
        req.row("HTTP Requests by HTTP Host", withHost, pct(withHost, withHost));
        for (final Map.Entry<String, CountTable<long[]>> host : limit(sortedTrees(stats.requestsByHost), top))
        {
            final long n = sum(host.getValue());
            req.row(" " + host.getKey(), n, pct(n, withHost));
            for (final Map.Entry<String, Long> uri : limit(sortedCounts(host.getValue()), top))
            {
                req.row("  " + uri.getKey(), uri.getValue(), pct(uri.getValue(), n));
            }
        }
        req.render(out, 0);

        final Table srv = new Table("HTTP load distribution (tshark -z http_srv,tree)", "Topic / Item", "Count", "Percent");
        srv.row("HTTP Requests by Server Address", withHost, pct(withHost, withHost));
        for (final Map.Entry<String, CountTable<long[]>> server : limit(sortedTrees(stats.requestsByServer), top))
        {
            final long n = sum(server.getValue());
            srv.row(" " + server.getKey(), n, pct(n, withHost));
            limit(sortedCounts(server.getValue()), top).forEach(h -> srv.row("  " + h.getKey(), h.getValue(), pct(h.getValue(), n)));
        }
        srv.row("HTTP Requests by HTTP Host", withHost, pct(withHost, withHost));
        for (final Map.Entry<String, CountTable<long[]>> host : limit(sortedTrees(stats.serversByHost), top))
        {
            final long n = sum(host.getValue());
            srv.row(" " + host.getKey(), n, pct(n, withHost));
            limit(sortedCounts(host.getValue()), top).forEach(s -> srv.row("  " + s.getKey(), s.getValue(), pct(s.getValue(), n)));
        }
        long answers = 0;
        for (final long[] v : stats.responsesByServer.rows().values())
        {
            answers += v[0] + v[1];
        }
        srv.row("HTTP Responses by Server Address", answers, pct(answers, answers));
        for (final Map.Entry<String, long[]> s : stats.responsesByServer.rows().entrySet())
        {
            final long n = s.getValue()[0] + s.getValue()[1];
            srv.row(" " + s.getKey(), n, pct(n, answers));
            srv.row("  OK", s.getValue()[0], pct(s.getValue()[0], n));
            srv.row("  KO", s.getValue()[1], pct(s.getValue()[1], n));
        }
        srv.render(out, 0);

        final Table lat = new Table("Latency by host (first request byte to last response byte, ms)", "Host", "Requests",
            "Errors", "Err%", "NoResp", "p50", "p90", "p99", "Max", "Req bytes", "Resp bytes");
        groupRow(lat, "(all)", stats.total);
        for (final Group g : limit(sorted(stats.hosts), top))
        {
            groupRow(lat, g.key, g);
        }
        lat.render(out, 0);

        final Table ep = new Table("Endpoints (ids folded into {id})", "Endpoint", "Requests", "Errors", "Err%", "NoResp",
            "p50", "p90", "p99", "Max", "Req bytes", "Resp bytes");
        for (final Group g : limit(sorted(stats.endpoints), top))
        {
            groupRow(ep, g.key, g);
        }
        ep.render(out, stats.endpoints.rows().size() - (top > 0 ? Math.min(top, stats.endpoints.rows().size()) : stats.endpoints.rows().size()));

        final Table cl = new Table("Top clients", "Client", "Requests", "Errors", "Err%", "NoResp", "p50", "p90", "p99", "Max",
            "Req bytes", "Resp bytes");
        for (final Group g : limit(sorted(stats.clients), top))
        {
            groupRow(cl, g.key, g);
        }
        cl.render(out, stats.clients.rows().size() - (top > 0 ? Math.min(top, stats.clients.rows().size()) : stats.clients.rows().size()));

        final Table conv = new Table("TCP conversations (tshark -z conv,tcp)", "Address A", "Port A", "Address B", "Port B",
            "Frames B->A", "Bytes B->A", "Frames A->B", "Bytes A->B", "Frames", "Bytes", "Rel start", "Duration");
        final List<Conversation> conversations = conversations();
        final long first = firstNanos();
        for (final Conversation c : limit(conversations, top))
        {
            conv.row(c.addressA(), c.portA(), c.addressB(), c.portB(), c.framesBtoA(), c.bytesBtoA(), c.framesAtoB(),
                c.bytesAtoB(), c.frames(), c.bytes(), String.format(Locale.ROOT, "%.6f", (c.startNanos() - first) / 1e9),
                String.format(Locale.ROOT, "%.4f", c.durationNanos() / 1e9));
        }
        conv.render(out, conversations.size() - (top > 0 ? Math.min(top, conversations.size()) : conversations.size()));

        int factor = 1;
        final List<Interval> fine = intervals(1);
        if (!intervalFixed && fine.size() > TEXT_INTERVALS)
        {
            factor = (fine.size() + TEXT_INTERVALS - 1) / TEXT_INTERVALS;
        }
        final double width = factor * stats.intervalNanos / 1e9;
        final Table io = new Table("I/O per " + fmt(width) + " s interval (tshark -z io,stat," + fmt(width) + ")",
            "Interval", "Frames", "Bytes", "Requests", "Errors", "p50 ms", "p99 ms");
        for (final Interval row : factor == 1 ? fine : intervals(factor))
        {
            final AbstractHistogram h = row.latency();
            io.row(fmt(row.start()) + " <> " + fmt(row.start() + width), row.frames(), row.bytes(), row.requests(),
                row.errors(), h == null ? "-" : ms(h.getValueAtPercentile(50)), h == null ? "-" : ms(h.getValueAtPercentile(99)));
        }
        io.render(out, 0);

        final Table tags = new Table("Tags", "Tag", "Events");
        stats.tags.forEach(tags::row);
        if (!stats.tags.isEmpty())
        {
            tags.render(out, 0);
        }

        out.append("\nLoss ledger\n");
        ledger.forEach((section, counts) ->
        {
            out.append("  ").append(section).append(':');
            counts.forEach((k, v) -> out.append(' ').append(k).append('=').append(v));
            out.append('\n');
        });
        return out.toString();
    }

    private static void groupRow(final Table t, final String name, final Group g)
    {
        final AbstractHistogram h = g.latency;
        final boolean any = h.getTotalCount() > 0;
        t.row(name, g.requests, g.errors(), g.responses == 0 ? "-" : String.format(Locale.ROOT, "%.1f", 100.0 * g.errors() / g.responses),
            g.noResponse, any ? ms(h.getValueAtPercentile(50)) : "-", any ? ms(h.getValueAtPercentile(90)) : "-",
            any ? ms(h.getValueAtPercentile(99)) : "-", any ? ms(h.getMaxValue()) : "-", g.requestBytes, g.responseBytes);
    }

    private static List<Map.Entry<String, Long>> sortedByValue(final Map<String, Long> map)
    {
        final List<Map.Entry<String, Long>> rows = new ArrayList<>(map.entrySet());
        rows.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        return rows;
    }

    private static <T> List<T> limit(final List<T> rows, final int top)
    {
        return top > 0 && rows.size() > top ? rows.subList(0, top) : rows;
    }

    private static String pct(final long n, final long of)
    {
        return of == 0 ? "-" : String.format(Locale.ROOT, "%.2f%%", 100.0 * n / of);
    }

    private static String ms(final long micros)
    {
        return String.format(Locale.ROOT, "%.3f", micros / 1000.0);
    }

    private static String fmt(final double seconds)
    {
        final String s = String.format(Locale.ROOT, "%.3f", seconds);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** Aligned columns: the first left-aligned, the rest right-aligned. */
    static final class Table
    {
        private final String title;
        private final String[] header;
        private final List<String[]> rows = new ArrayList<>();

        Table(final String title, final String... header)
        {
            this.title = title;
            this.header = header;
        }

        void row(final Object... cells)
        {
            final String[] row = new String[cells.length];
            for (int i = 0; i < cells.length; i++)
            {
                row[i] = String.valueOf(cells[i]);
            }
            rows.add(row);
        }

        void render(final StringBuilder out, final long hidden)
        {
            final int[] width = new int[header.length];
            for (int i = 0; i < header.length; i++)
            {
                width[i] = header[i].length();
            }
            for (final String[] row : rows)
            {
                for (int i = 0; i < row.length; i++)
                {
                    width[i] = Math.max(width[i], row[i].length());
                }
            }
            out.append('\n').append(title).append('\n');
            line(out, header, width);
            int total = 0;
            for (final int w : width)
            {
                total += w + 2;
            }
            out.append("  ").append("-".repeat(Math.max(0, total - 2))).append('\n');
            for (final String[] row : rows)
            {
                line(out, row, width);
            }
            if (hidden > 0)
            {
                out.append("  ... ").append(hidden).append(" more (--top)\n");
            }
        }

        private static void line(final StringBuilder out, final String[] cells, final int[] width)
        {
            out.append("  ");
            for (int i = 0; i < cells.length; i++)
            {
                final String c = cells[i];
                if (i == 0)
                {
                    out.append(c).append(" ".repeat(width[i] - c.length()));
                }
                else
                {
                    out.append("  ").append(" ".repeat(width[i] - c.length())).append(c);
                }
            }
            int end = out.length();
            while (end > 0 && out.charAt(end - 1) == ' ')
            {
                end--;
            }
            out.setLength(end);
            out.append('\n');
        }
    }
}
