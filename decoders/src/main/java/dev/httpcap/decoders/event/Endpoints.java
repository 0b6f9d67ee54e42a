package dev.httpcap.decoders.event;

import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.event.EcsNames.BYTES;
import static dev.httpcap.decoders.event.EcsNames.CLIENT;
import static dev.httpcap.decoders.event.EcsNames.COMMUNITY_ID;
import static dev.httpcap.decoders.event.EcsNames.DESTINATION;
import static dev.httpcap.decoders.event.EcsNames.DIRECTION;
import static dev.httpcap.decoders.event.EcsNames.DOMAIN;
import static dev.httpcap.decoders.event.EcsNames.HOSTS;
import static dev.httpcap.decoders.event.EcsNames.ID;
import static dev.httpcap.decoders.event.EcsNames.IP;
import static dev.httpcap.decoders.event.EcsNames.IPV4;
import static dev.httpcap.decoders.event.EcsNames.IPV6;
import static dev.httpcap.decoders.event.EcsNames.NETWORK;
import static dev.httpcap.decoders.event.EcsNames.PACKETS;
import static dev.httpcap.decoders.event.EcsNames.PORT;
import static dev.httpcap.decoders.event.EcsNames.PROTOCOL;
import static dev.httpcap.decoders.event.EcsNames.RELATED;
import static dev.httpcap.decoders.event.EcsNames.SERVER;
import static dev.httpcap.decoders.event.EcsNames.SOURCE;
import static dev.httpcap.decoders.event.EcsNames.TCP;
import static dev.httpcap.decoders.event.EcsNames.TRANSPORT;
import static dev.httpcap.decoders.event.EcsNames.TYPE;
import static dev.httpcap.decoders.event.EcsNames.VLAN;

/** The endpoint objects ({@code source}, {@code destination}, {@code client}, {@code server}), {@code related} and the {@code network} object every event carries. */
final class Endpoints
{
    private Endpoints()
    {
    }

    /** {@code name: {ip, port, packets, bytes}}; {@code packets} and {@code bytes} only when not negative. */
    static void endpoint(
        final JsonWriter out, final byte[] name, final int ipVersion, final long hi, final long lo, final int port,
        final long packets, final long bytes)
    {
        endpoint(out, name, ipVersion, hi, lo, port, packets, bytes, null);
    }

    /** {@code name: {ip, port, packets, bytes, domain}}; {@code domain} when {@code url} (if any) has one. */
    static void endpoint(
        final JsonWriter out, final byte[] name, final int ipVersion, final long hi, final long lo, final int port,
        final long packets, final long bytes, final HttpUrl url)
    {
        out.startObject(name).name(IP);
        EventText.ipValue(out, ipVersion, hi, lo);
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
     * The four endpoints: {@code source} and {@code client} (the client), {@code destination} and
     * {@code server} (the server), as ECS wants both pairs for request/response protocols.
     */
    static void endpoints(
        final JsonWriter out, final TcpFlow flow, final long clientPackets, final long clientBytes,
        final long serverPackets, final long serverBytes, final HttpUrl url)
    {
        final int v = flow.ipVersion();
        endpoint(out, SOURCE, v, flow.clientHi(), flow.clientLo(), flow.clientPort(), clientPackets, clientBytes, null);
        endpoint(out, DESTINATION, v, flow.serverHi(), flow.serverLo(), flow.serverPort(), serverPackets, serverBytes, url);
        endpoint(out, CLIENT, v, flow.clientHi(), flow.clientLo(), flow.clientPort(), clientPackets, clientBytes, null);
        endpoint(out, SERVER, v, flow.serverHi(), flow.serverLo(), flow.serverPort(), serverPackets, serverBytes, url);
    }

    /** {@code related.ip} (client and server, once each) and {@code related.hosts} (the server's name, when known). */
    static void related(final JsonWriter out, final TcpFlow flow, final HttpUrl url)
    {
        out.startObject(RELATED).name(IP).startArray();
        EventText.ipValue(out, flow.ipVersion(), flow.clientHi(), flow.clientLo());
        if (flow.clientHi() != flow.serverHi() || flow.clientLo() != flow.serverLo())
        {
            EventText.ipValue(out, flow.ipVersion(), flow.serverHi(), flow.serverLo());
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
