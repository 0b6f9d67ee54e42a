package dev.httpcap.decoders.event;

import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.event.EcsNames.BYTES;
import static dev.httpcap.decoders.event.EcsNames.COMMUNITY_ID;
import static dev.httpcap.decoders.event.EcsNames.ID;
import static dev.httpcap.decoders.event.EcsNames.IP;
import static dev.httpcap.decoders.event.EcsNames.IPV4;
import static dev.httpcap.decoders.event.EcsNames.IPV6;
import static dev.httpcap.decoders.event.EcsNames.NETWORK;
import static dev.httpcap.decoders.event.EcsNames.PACKETS;
import static dev.httpcap.decoders.event.EcsNames.PORT;
import static dev.httpcap.decoders.event.EcsNames.TCP;
import static dev.httpcap.decoders.event.EcsNames.TRANSPORT;
import static dev.httpcap.decoders.event.EcsNames.TYPE;
import static dev.httpcap.decoders.event.EcsNames.VLAN;

/** The endpoint objects ({@code source}, {@code destination}) and the {@code network} object every event carries. */
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
        out.endObject();
    }

    /** {@code network: {transport, type, community_id, packets, bytes, vlan}}; {@code packets} and {@code bytes} only when not negative. */
    static void network(
        final JsonWriter out, final TcpFlow flow, final CommunityId communityId, final long packets, final long bytes)
    {
        out.startObject(NETWORK)
            .name(TRANSPORT).rawString(TCP)
            .name(TYPE).rawString(flow.ipVersion() == 4 ? IPV4 : IPV6);
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
            out.startObject(VLAN).name(ID).value(flow.vlan()).endObject();
        }
        out.endObject();
    }
}
