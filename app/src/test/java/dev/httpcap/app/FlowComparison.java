package dev.httpcap.app;

import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Matches tshark's connections with httpcap's flow events and lists the differences.
 *
 * <p>Connections are matched by client ip:port and server ip:port; when a 4-tuple is reused
 * (a new SYN after the previous connection closed), the n-th connection of the tuple in start
 * order on one side is matched with the n-th on the other. Matched pairs must agree on packets
 * and bytes in each direction.
 */
final class FlowComparison
{
    /** How many differences the failure message lists. */
    static final int MAX_LISTED = 15;

    /** A TCP connection, from either side. */
    interface Conn
    {
        String clientIp();

        int clientPort();

        String serverIp();

        int serverPort();

        long clientPackets();

        long clientBytes();

        long serverPackets();

        long serverBytes();

        /** Where this came from, for messages: stream number or event line. */
        String origin();

        default String key()
        {
            return endpoint(clientIp(), clientPort()) + " -> " + endpoint(serverIp(), serverPort());
        }

        default String reversedKey()
        {
            return endpoint(serverIp(), serverPort()) + " -> " + endpoint(clientIp(), clientPort());
        }

        default String counts()
        {
            return "client->server " + clientPackets() + " pkts/" + clientBytes() + " B, server->client "
                + serverPackets() + " pkts/" + serverBytes() + " B";
        }
    }

    /** The outcome: empty {@link #differences} means everything matched. */
    record Result(int expected, int actual, int matched, List<String> differences, String summary)
    {
        boolean ok()
        {
            return differences.isEmpty();
        }

        /** Summary plus the first {@link #MAX_LISTED} differences. */
        String report()
        {
            final StringBuilder text = new StringBuilder(summary);
            if (!differences.isEmpty())
            {
                text.append("\n").append(differences.size()).append(" difference(s)");
                if (differences.size() > MAX_LISTED)
                {
                    text.append(", first ").append(MAX_LISTED);
                }
                text.append(":");
                differences.stream().limit(MAX_LISTED).forEach(d -> text.append("\n  ").append(d));
            }
            return text.toString();
        }
    }

    private FlowComparison()
    {
    }

    /**
     * @param expected tshark's connections in start order
     * @param flows    httpcap's flow events, any order (sorted here by event.start, then event line)
     */
    static Result compare(final List<? extends Conn> expected, final List<FlowEvents.Flow> flows)
    {
        final List<FlowEvents.Flow> actual = new ArrayList<>(flows);
        actual.sort(Comparator.comparing(FlowEvents.Flow::start).thenComparingLong(FlowEvents.Flow::line));
        final Map<String, Deque<Conn>> actualByKey = new LinkedHashMap<>();
        for (final Conn flow : actual)
        {
            actualByKey.computeIfAbsent(flow.key(), k -> new ArrayDeque<>()).add(flow);
        }

        final List<String> differences = new ArrayList<>();
        final List<Conn> missing = new ArrayList<>();
        int matched = 0;
        final Map<String, Integer> occurrence = new LinkedHashMap<>();
        for (final Conn conn : expected)
        {
            final int nth = occurrence.merge(conn.key(), 1, Integer::sum);
            final Deque<Conn> candidates = actualByKey.get(conn.key());
            final Conn flow = candidates == null ? null : candidates.pollFirst();
            if (flow == null)
            {
                missing.add(conn);
                continue;
            }
            matched++;
            final List<String> diffs = new ArrayList<>();
            diff(diffs, "client->server packets", conn.clientPackets(), flow.clientPackets());
            diff(diffs, "client->server bytes", conn.clientBytes(), flow.clientBytes());
            diff(diffs, "server->client packets", conn.serverPackets(), flow.serverPackets());
            diff(diffs, "server->client bytes", conn.serverBytes(), flow.serverBytes());
            if (!diffs.isEmpty())
            {
                differences.add(conn.key() + " #" + nth + " (" + conn.origin() + " vs " + flow.origin() + "): "
                    + String.join(", ", diffs));
            }
        }
        final List<Conn> extra = new ArrayList<>();
        actualByKey.values().forEach(extra::addAll);
        final Map<String, Deque<Conn>> extraByKey = new LinkedHashMap<>();
        extra.forEach(e -> extraByKey.computeIfAbsent(e.key(), k -> new ArrayDeque<>()).add(e));
        for (final Conn conn : missing)
        {
            final Deque<Conn> reversed = extraByKey.get(conn.reversedKey());
            final Conn swapped = reversed == null ? null : reversed.pollFirst();
            if (swapped != null)
            {
                extra.remove(swapped);
                differences.add(conn.key() + " (" + conn.origin() + "): httpcap has client and server swapped ("
                    + swapped.origin() + "; tshark " + conn.counts() + "; httpcap " + swapped.counts() + ")");
            }
            else
            {
                differences.add("missing in httpcap: " + conn.key() + " (" + conn.origin() + "; " + conn.counts() + ")");
            }
        }
        for (final Conn flow : extra)
        {
            differences.add("not in tshark: " + flow.key() + " (" + flow.origin() + "; " + flow.counts() + ")");
        }
        final String summary = "tshark:  " + totals(expected, "connections") + "\nhttpcap: " + totals(flows, "flow events")
            + "\nmatched by 4-tuple: " + matched;
        return new Result(expected.size(), flows.size(), matched, differences, summary);
    }

    private static void diff(final List<String> diffs, final String what, final long tshark, final long httpcap)
    {
        if (tshark != httpcap)
        {
            diffs.add(what + " tshark=" + tshark + " httpcap=" + httpcap);
        }
    }

    private static String totals(final List<? extends Conn> conns, final String noun)
    {
        long cp = 0;
        long cb = 0;
        long sp = 0;
        long sb = 0;
        for (final Conn c : conns)
        {
            cp += c.clientPackets();
            cb += c.clientBytes();
            sp += c.serverPackets();
            sb += c.serverBytes();
        }
        return conns.size() + " " + noun + "; client->server " + cp + " pkts/" + cb + " B, server->client " + sp
            + " pkts/" + sb + " B; total " + (cp + sp) + " pkts";
    }

    /** IP literals in one spelling (IPv6 especially); never a DNS lookup, since only literals are passed. */
    static String normalizeIp(final String ip)
    {
        if (ip == null || ip.isEmpty() || !(ip.indexOf(':') >= 0 || Character.isDigit(ip.charAt(0))))
        {
            return ip;
        }
        try
        {
            return InetAddress.ofLiteral(ip).getHostAddress();
        }
        catch (final IllegalArgumentException e)
        {
            return ip;
        }
    }

    static String endpoint(final String ip, final int port)
    {
        return (ip != null && ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
    }
}
