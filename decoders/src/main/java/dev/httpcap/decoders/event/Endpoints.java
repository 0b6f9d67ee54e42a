package dev.httpcap.decoders.event;

import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.event.EcsNames.BYTES;
import static dev.httpcap.decoders.event.EcsNames.CATEGORY;
import static dev.httpcap.decoders.event.EcsNames.CLIENT;
import static dev.httpcap.decoders.event.EcsNames.COMMUNITY_ID;
import static dev.httpcap.decoders.event.EcsNames.DATASET;
import static dev.httpcap.decoders.event.EcsNames.DESTINATION;
import static dev.httpcap.decoders.event.EcsNames.DIRECTION;
import static dev.httpcap.decoders.event.EcsNames.DOMAIN;
import static dev.httpcap.decoders.event.EcsNames.DURATION;
import static dev.httpcap.decoders.event.EcsNames.ECS_MEMBER;
import static dev.httpcap.decoders.event.EcsNames.END;
import static dev.httpcap.decoders.event.EcsNames.EVENT;
import static dev.httpcap.decoders.event.EcsNames.HOSTS;
import static dev.httpcap.decoders.event.EcsNames.ID;
import static dev.httpcap.decoders.event.EcsNames.IP;
import static dev.httpcap.decoders.event.EcsNames.IPV4;
import static dev.httpcap.decoders.event.EcsNames.IPV6;
import static dev.httpcap.decoders.event.EcsNames.KIND;
import static dev.httpcap.decoders.event.EcsNames.KIND_EVENT;
import static dev.httpcap.decoders.event.EcsNames.NETWORK;
import static dev.httpcap.decoders.event.EcsNames.PACKETS;
import static dev.httpcap.decoders.event.EcsNames.PORT;
import static dev.httpcap.decoders.event.EcsNames.PROTOCOL;
import static dev.httpcap.decoders.event.EcsNames.RELATED;
import static dev.httpcap.decoders.event.EcsNames.SERVER;
import static dev.httpcap.decoders.event.EcsNames.SOURCE;
import static dev.httpcap.decoders.event.EcsNames.START;
import static dev.httpcap.decoders.event.EcsNames.TCP;
import static dev.httpcap.decoders.event.EcsNames.TIMESTAMP;
import static dev.httpcap.decoders.event.EcsNames.TRANSPORT;
import static dev.httpcap.decoders.event.EcsNames.TYPE;
import static dev.httpcap.decoders.event.EcsNames.VLAN;

/**
 * The endpoint objects ({@code source}, {@code destination}, {@code client}, {@code server}),
 * {@code related} and the {@code network} object every event carries, and {@code event.start}: what
 * an event repeats is written once and copied. One per encoder; it remembers where the current
 * document holds what it repeats.
 */
final class Endpoints
{
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
     * Opens an event: {@code @timestamp} ({@code startNanos}), {@code ecs}, and the {@code event}
     * object up to the name of its {@code id} (kind, category, type, dataset), which the caller writes.
     */
    void openEvent(final JsonWriter out, final long startNanos, final byte[] category, final byte[] type, final byte[] dataset)
    {
        out.startObject();
        out.name(TIMESTAMP);
        timestamp(out, startNanos);
        out.rawMembers(ECS_MEMBER);
        out.startObject(EVENT)
            .name(KIND).rawString(KIND_EVENT)
            .name(CATEGORY).rawValue(category)
            .name(TYPE).rawValue(type)
            .name(DATASET).rawString(dataset).name(ID);
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
        endpoint(out, v, flow.clientHi(), flow.clientLo(), flow.clientPort(), clientPackets, clientBytes, null);
        clientIpFrom = ipFrom;
        clientIpTo = ipTo;
        clientTo = out.position();
        out.name(DESTINATION);
        serverFrom = out.position();
        endpoint(out, v, flow.serverHi(), flow.serverLo(), flow.serverPort(), serverPackets, serverBytes, url);
        serverIpFrom = ipFrom;
        serverIpTo = ipTo;
        serverTo = out.position();
        out.name(CLIENT).copiedValue(clientFrom, clientTo);
        out.name(SERVER);
        if (out.cutting() && url != null && url.hasDomain())
        {
            // The domain is a string the cuts are planned for: written, not copied.
            endpoint(out, v, flow.serverHi(), flow.serverLo(), flow.serverPort(), serverPackets, serverBytes, url);
        }
        else
        {
            out.copiedValue(serverFrom, serverTo);
        }
    }

    private int ipFrom;
    private int ipTo;

    private void endpoint(
        final JsonWriter out, final int ipVersion, final long hi, final long lo, final int port,
        final long packets, final long bytes, final HttpUrl url)
    {
        out.startObject().name(IP);
        ipFrom = out.position();
        EventText.ipValue(out, ipVersion, hi, lo);
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
     * {@code network: {transport, type, protocol, direction, community_id, packets, bytes, vlan}};
     * {@code protocol} when not null, {@code direction} when known, {@code packets} and {@code bytes}
     * when not negative.
     */
    static void network(
        final JsonWriter out, final TcpFlow flow, final CommunityId communityId, final byte[] protocol,
        final int direction, final long packets, final long bytes)
    {
        out.startObject(NETWORK)
            .name(TRANSPORT).rawString(TCP)
            .name(TYPE).rawString(flow.ipVersion() == 4 ? IPV4 : IPV6);
        if (protocol != null)
        {
            out.name(PROTOCOL).rawString(protocol);
        }
        if (direction != Observer.UNKNOWN)
        {
            out.name(DIRECTION).rawString(Observer.DIRECTIONS[direction]);
        }
        out.name(COMMUNITY_ID);
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
