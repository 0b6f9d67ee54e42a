package dev.httpcap.decoders.event;

import java.nio.charset.StandardCharsets;

import dev.httpcap.decoders.event.JsonWriter.Fragment;
import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.event.EcsNames.BYTES;
import static dev.httpcap.decoders.event.EcsNames.CLIENT;
import static dev.httpcap.decoders.event.EcsNames.DESTINATION;
import static dev.httpcap.decoders.event.EcsNames.DOMAIN;
import static dev.httpcap.decoders.event.EcsNames.DURATION;
import static dev.httpcap.decoders.event.EcsNames.ECS_MEMBER;
import static dev.httpcap.decoders.event.EcsNames.END;
import static dev.httpcap.decoders.event.EcsNames.HOSTS;
import static dev.httpcap.decoders.event.EcsNames.ID;
import static dev.httpcap.decoders.event.EcsNames.IP;
import static dev.httpcap.decoders.event.EcsNames.PACKETS;
import static dev.httpcap.decoders.event.EcsNames.PORT;
import static dev.httpcap.decoders.event.EcsNames.RELATED;
import static dev.httpcap.decoders.event.EcsNames.SERVER;
import static dev.httpcap.decoders.event.EcsNames.SOURCE;
import static dev.httpcap.decoders.event.EcsNames.START;
import static dev.httpcap.decoders.event.EcsNames.TIMESTAMP;
import static dev.httpcap.decoders.event.EcsNames.VLAN;

/**
 * The endpoint objects ({@code source}, {@code destination}, {@code client}, {@code server}),
 * {@code related} and the {@code network} object every event carries, and {@code event.start}: what
 * an event repeats is written once and copied. One per encoder; it remembers where the current
 * document holds what it repeats.
 */
final class Endpoints
{
    private static final Fragment OPEN_IP = Fragment.of("{\"ip\":");

    /** Where this document holds values written once and repeated by copy: [from, to) in the buffer. */
    private int timestampFrom;
    private int timestampTo;
    private int clientFrom;
    private int clientTo;
    private int serverFrom;
    private int serverTo;
    private int clientIpFrom;
    private int clientIpTo;
    private int serverIpFrom;
    private int serverIpTo;
    private final TimestampText timestamps = new TimestampText();
    private final IpText clientIp = new IpText();
    private final IpText serverIp = new IpText();

    /** {@code @timestamp}'s value (after its name), kept for {@link #start}. */
    void timestamp(final JsonWriter out, final long nanos)
    {
        timestampFrom = out.position();
        timestamps.value(out, nanos);
        timestampTo = out.position();
    }

    /** {@code start}: the same time as {@code @timestamp}, copied. */
    void start(final JsonWriter out)
    {
        out.name(START).copiedValue(timestampFrom, timestampTo);
    }

    /**
     * What follows {@code @timestamp} in every event of one kind, up to the name of {@code event.id}:
     * {@code "ecs":{"version":...},"event":{"kind":"event","category":[...],"type":[...],"dataset":...,"id":}.
     *
     * @param category {@code event.category}, a JSON array of strings.
     * @param type {@code event.type}, a JSON array of strings.
     * @param dataset {@code event.dataset}.
     */
    static Fragment eventHead(final String category, final String type, final String dataset)
    {
        return Fragment.of(ECS_MEMBER + ",\"event\":{\"kind\":\"event\",\"category\":" + category +
            ",\"type\":" + type + ",\"dataset\":\"" + dataset + "\",\"id\":");
    }

    /**
     * Opens an event: {@code @timestamp} ({@code startNanos}), then {@code head} (see {@link #eventHead}),
     * up to the name of {@code event.id}, whose value the caller writes.
     */
    void openEvent(final JsonWriter out, final long startNanos, final Fragment head)
    {
        out.startObject();
        out.name(TIMESTAMP);
        timestamp(out, startNanos);
        out.fragment(head);
    }

    /** {@code end} and {@code duration} of an event that ends at {@code endNanos}. */
    void end(final JsonWriter out, final long startNanos, final long endNanos)
    {
        out.name(END);
        timestamps.value(out, endNanos);
        out.name(DURATION).value(endNanos - startNanos);
    }

    /**
     * The four endpoints: {@code source} and {@code client} (the client), {@code destination} and
     * {@code server} (the server), as ECS wants both pairs for request/response protocols; each
     * {@code {ip, port, packets, bytes, domain}}, {@code packets} and {@code bytes} when not negative,
     * {@code domain} (the server's) when {@code url} (if any) has one. {@code client} and
     * {@code server} are copies of the bytes of the first two.
     */
    void endpoints(
        final JsonWriter out, final TcpFlow flow, final long clientPackets, final long clientBytes,
        final long serverPackets, final long serverBytes, final HttpUrl url)
    {
        final int v = flow.ipVersion();
        out.name(SOURCE);
        clientFrom = out.position();
        endpoint(out, clientIp, v, flow.clientHi(), flow.clientLo(), flow.clientPort(), clientPackets, clientBytes, null);
        clientIpFrom = ipFrom;
        clientIpTo = ipTo;
        clientTo = out.position();
        out.name(DESTINATION);
        serverFrom = out.position();
        endpoint(out, serverIp, v, flow.serverHi(), flow.serverLo(), flow.serverPort(), serverPackets, serverBytes, url);
        serverIpFrom = ipFrom;
        serverIpTo = ipTo;
        serverTo = out.position();
        out.name(CLIENT).copiedValue(clientFrom, clientTo);
        out.name(SERVER);
        if (out.cutting() && url != null && url.hasDomain())
        {
            // The domain is a string the cuts are planned for: written, not copied.
            endpoint(out, serverIp, v, flow.serverHi(), flow.serverLo(), flow.serverPort(), serverPackets, serverBytes, url);
        }
        else
        {
            out.copiedValue(serverFrom, serverTo);
        }
    }

    private int ipFrom;
    private int ipTo;

    private void endpoint(
        final JsonWriter out, final IpText ipText, final int ipVersion, final long hi, final long lo, final int port,
        final long packets, final long bytes, final HttpUrl url)
    {
        out.fragment(OPEN_IP);
        ipFrom = out.position();
        ipText.value(out, ipVersion, hi, lo);
        ipTo = out.position();
        out.name(PORT).value(port);
        if (packets >= 0)
        {
            out.name(PACKETS).value(packets);
        }
        if (bytes >= 0)
        {
            out.name(BYTES).value(bytes);
        }
        if (url != null && url.hasDomain())
        {
            out.name(DOMAIN);
            url.domainValue(out);
        }
        out.endObject();
    }

    /**
     * {@code related.ip} (client and server, once each, copied from the endpoints written by
     * {@link #endpoints}) and {@code related.hosts} (the server's name, when known).
     */
    void related(final JsonWriter out, final TcpFlow flow, final HttpUrl url)
    {
        out.startObject(RELATED).name(IP).startArray();
        out.copiedValue(clientIpFrom, clientIpTo);
        if (flow.clientHi() != flow.serverHi() || flow.clientLo() != flow.serverLo())
        {
            out.copiedValue(serverIpFrom, serverIpTo);
        }
        out.endArray();
        if (url != null && url.hasDomain())
        {
            out.name(HOSTS).startArray();
            url.domainValue(out);
            out.endArray();
        }
        out.endObject();
    }

    /**
     * The start of {@code network} for events of one protocol, up to the name of {@code community_id}:
     * {@code "network":{"transport":"tcp","type":...,"protocol":...,"direction":...,"community_id":}, for
     * each IP version and {@link Observer} direction (see {@link #network}).
     *
     * @param protocol {@code network.protocol}, or null for none.
     */
    static Fragment[] networkHeads(final String protocol)
    {
        final Fragment[] heads = new Fragment[2 * Observer.DIRECTIONS.length];
        for (int v6 = 0; v6 < 2; v6++)
        {
            for (int direction = 0; direction < Observer.DIRECTIONS.length; direction++)
            {
                heads[v6 * Observer.DIRECTIONS.length + direction] = Fragment.of(
                    "\"network\":{\"transport\":\"tcp\",\"type\":\"" + (v6 == 0 ? "ipv4" : "ipv6") + "\"" +
                    (protocol == null ? "" : ",\"protocol\":\"" + protocol + "\"") +
                    (direction == Observer.UNKNOWN ? "" :
                        ",\"direction\":\"" + new String(Observer.DIRECTIONS[direction], StandardCharsets.US_ASCII) + "\"") +
                    ",\"community_id\":");
            }
        }
        return heads;
    }

    /**
     * {@code network: {transport, type, protocol, direction, community_id, packets, bytes, vlan}};
     * {@code protocol} as in {@code heads} (from {@link #networkHeads}), {@code direction} when known,
     * {@code packets} and {@code bytes} when not negative.
     */
    static void network(
        final JsonWriter out, final TcpFlow flow, final CommunityId communityId, final Fragment[] heads,
        final int direction, final long packets, final long bytes)
    {
        out.fragment(heads[(flow.ipVersion() == 4 ? 0 : Observer.DIRECTIONS.length) + direction]);
        communityId.value(out, flow);
        if (packets >= 0)
        {
            out.name(PACKETS).value(packets);
        }
        if (bytes >= 0)
        {
            out.name(BYTES).value(bytes);
        }
        if (flow.vlan() >= 0)
        {
            out.startObject(VLAN).name(ID).startString().appendDecimal(flow.vlan()).endString().endObject(); // ECS: keyword
        }
        out.endObject();
    }
}
