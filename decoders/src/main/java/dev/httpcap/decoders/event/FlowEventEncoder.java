package dev.httpcap.decoders.event;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import dev.httpcap.decoders.event.JsonWriter.Fragment;
import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.event.EcsNames.HANDSHAKE;
import static dev.httpcap.decoders.event.EcsNames.HTTPCAP;
import static dev.httpcap.decoders.event.EcsNames.TAGS;
import static dev.httpcap.decoders.event.EcsNames.TCP;
import static dev.httpcap.decoders.event.EcsNames.TEXT_ARROW;
import static dev.httpcap.decoders.event.EcsNames.TIMING;
import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/**
 * Encodes a finished TCP connection as a flow event ({@code event.dataset: "flow"}): as one
 * ECS-aligned JSON object, or as one human-readable line. One instance per worker thread.
 */
public final class FlowEventEncoder
{
    private static final byte[] FLOW = encodeName("flow");
    private static final Fragment HEAD = Endpoints.eventHead("[\"network\"]", "[\"connection\",\"end\"]", "flow");
    private static final Fragment[] NETWORK_HEADS = Endpoints.networkHeads(null);
    private static final byte[] REASON = encodeName("reason");
    private static final byte[] MIDSTREAM = encodeName("midstream");
    private static final byte[] HISTORY = encodeName("history");
    private static final byte[] CLIENT_PAYLOAD_BYTES = encodeName("client_payload_bytes");
    private static final byte[] SERVER_PAYLOAD_BYTES = encodeName("server_payload_bytes");
    private static final byte[] CLIENT_STREAM_BYTES = encodeName("client_stream_bytes");
    private static final byte[] SERVER_STREAM_BYTES = encodeName("server_stream_bytes");
    private static final byte[] CLIENT_GAP_BYTES = encodeName("client_gap_bytes");
    private static final byte[] SERVER_GAP_BYTES = encodeName("server_gap_bytes");
    private static final byte[] GAP = encodeName("gap");
    private static final byte[] SNAPLEN = encodeName("snaplen");
    private static final byte[] OVERLAP_CONFLICT = encodeName("overlap_conflict");

    private static final byte[] TEXT_FLOW = encodeName(" flow ");
    private static final byte[] TEXT_PACKETS = encodeName("s pkts ");
    private static final byte[] TEXT_BYTES = encodeName(" bytes ");
    private static final byte[] TEXT_MIDSTREAM = encodeName(" midstream");


    private final JsonWriter json = new JsonWriter();
    private final CommunityId communityId = new CommunityId();
    private final EventId eventId = new EventId(communityId);
    private final UnsafeBuffer historyView = new UnsafeBuffer(new byte[0]);
    private final Observer observer;
    private final Endpoints endpoints = new Endpoints();

    public FlowEventEncoder()
    {
        this(Observer.NONE);
    }

    /** @param observer where the connections are observed (a live capture), or {@link Observer#NONE}. */
    public FlowEventEncoder(final Observer observer)
    {
        this.observer = observer;
    }

    /**
     * Write {@code flow} as one JSON object at {@code offset}.
     *
     * @return the number of bytes written.
     */
    public int encodeJson(final TcpFlow flow, final MutableDirectBuffer buffer, final int offset)
    {
        final JsonWriter out = json.wrap(buffer, offset);
        endpoints.openEvent(out, flow.startNanos(), HEAD);
        eventId.value(out, flow, EventId.FLOW, 0, flow.startNanos());
        endpoints.start(out);
        endpoints.end(out, flow.startNanos(), flow.lastNanos());
        out.name(REASON).rawString(flow.endReason().reportNameBytes()).endObject();

        endpoints.endpoints(out, flow, flow.packets(TcpFlow.FROM_CLIENT), flow.bytes(TcpFlow.FROM_CLIENT),
            flow.packets(TcpFlow.FROM_SERVER), flow.bytes(TcpFlow.FROM_SERVER), null);
        Endpoints.network(out, flow, communityId, NETWORK_HEADS, observer.direction(flow),
            flow.packets(TcpFlow.FROM_CLIENT) + flow.packets(TcpFlow.FROM_SERVER),
            flow.bytes(TcpFlow.FROM_CLIENT) + flow.bytes(TcpFlow.FROM_SERVER));
        out.rawMembers(observer.members());
        endpoints.related(out, flow, null);

        out.name(TAGS).startArray();
        if (flow.isMidstream())
        {
            out.rawString(MIDSTREAM);
        }
        if (flow.gapBytes(TcpFlow.FROM_CLIENT) + flow.gapBytes(TcpFlow.FROM_SERVER) > 0)
        {
            out.rawString(GAP);
        }
        if (flow.snaplenCut())
        {
            out.rawString(SNAPLEN);
        }
        if (flow.overlapConflicts() > 0)
        {
            out.rawString(OVERLAP_CONFLICT);
        }
        out.endArray();

        historyView.wrap(flow.historyBytes());
        out.startObject(HTTPCAP).startObject(FLOW)
            .name(HISTORY).value(historyView, 0, flow.historyLength())
            .name(CLIENT_PAYLOAD_BYTES).value(flow.payloadBytes(TcpFlow.FROM_CLIENT))
            .name(SERVER_PAYLOAD_BYTES).value(flow.payloadBytes(TcpFlow.FROM_SERVER))
            .name(CLIENT_STREAM_BYTES).value(flow.streamBytes(TcpFlow.FROM_CLIENT))
            .name(SERVER_STREAM_BYTES).value(flow.streamBytes(TcpFlow.FROM_SERVER))
            .name(CLIENT_GAP_BYTES).value(flow.gapBytes(TcpFlow.FROM_CLIENT))
            .name(SERVER_GAP_BYTES).value(flow.gapBytes(TcpFlow.FROM_SERVER))
            .endObject();
        if (flow.handshakeNanos() >= 0)
        {
            out.startObject(TIMING).name(HANDSHAKE).value(flow.handshakeNanos()).endObject();
        }
        out.endObject();

        out.endObject();
        return out.length();
    }

    /**
     * Write {@code flow} as one human-readable line (no newline) at {@code offset}:
     * {@code 2026-11-24T15:11:27.123456789Z flow 10.0.0.1:51234 > 10.0.0.2:80 0.412000000s pkts 6/4 bytes 482/5213 fin ShADadFf}.
     *
     * @return the number of bytes written.
     */
    public int encodeText(final TcpFlow flow, final MutableDirectBuffer buffer, final int offset)
    {
        final JsonWriter out = json.wrap(buffer, offset);
        EventText.appendTimestamp(out, flow.startNanos());
        out.appendAscii(TEXT_FLOW);
        EventText.appendEndpoint(out, flow.ipVersion(), flow.clientHi(), flow.clientLo(), flow.clientPort());
        out.appendAscii(TEXT_ARROW);
        EventText.appendEndpoint(out, flow.ipVersion(), flow.serverHi(), flow.serverLo(), flow.serverPort());
        out.appendAscii(' ');
        final long duration = flow.lastNanos() - flow.startNanos();
        out.appendDecimal(duration / 1_000_000_000L).appendAscii('.').appendPadded(duration % 1_000_000_000L, 9);
        out.appendAscii(TEXT_PACKETS)
            .appendDecimal(flow.packets(TcpFlow.FROM_CLIENT)).appendAscii('/').appendDecimal(flow.packets(TcpFlow.FROM_SERVER))
            .appendAscii(TEXT_BYTES)
            .appendDecimal(flow.bytes(TcpFlow.FROM_CLIENT)).appendAscii('/').appendDecimal(flow.bytes(TcpFlow.FROM_SERVER))
            .appendAscii(' ').appendAscii(flow.endReason().reportNameBytes());
        if (flow.historyLength() > 0)
        {
            historyView.wrap(flow.historyBytes(), 0, flow.historyLength());
            out.appendAscii(' ').appendEscaped(historyView, 0, flow.historyLength());
        }
        if (flow.isMidstream())
        {
            out.appendAscii(TEXT_MIDSTREAM);
        }
        return out.length();
    }
}
