package dev.httpcap.app.analysis;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;

import dev.httpcap.capture.DecodeStatus;
import dev.httpcap.capture.PacketDecoder;
import dev.httpcap.capture.PacketHandler;
import dev.httpcap.capture.PacketInfo;
import dev.httpcap.capture.PacketSource;
import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.http.HttpConfig;
import dev.httpcap.decoders.http.HttpDecoder;
import dev.httpcap.decoders.event.HttpEventEncoder;
import dev.httpcap.decoders.http.HttpEventListener;
import dev.httpcap.decoders.http.HttpTransaction;
import dev.httpcap.decoders.tcp.FlowListener;
import dev.httpcap.decoders.tcp.StreamListener;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.tcp.TcpFlowTracker;
import dev.httpcap.decoders.tcp.TcpReassembler;

/**
 * {@code httpcap follow}: reads a capture on one thread, decodes each frame's L2-L4 headers only to
 * find the followed connection ({@link ConnectionSelector}), and gives that connection's packets —
 * no others — to the same TCP reassembly (and, with {@code --http}, the same HTTP decoder) as the
 * pipeline, whose in-order streams go to a {@link FollowOutput}. Reading stops as soon as both
 * directions have ended or the connection's 4-tuple starts another connection.
 */
public final class FollowSession implements PacketHandler, StreamListener, FlowListener, HttpEventListener
{
    private static final int POLL_LIMIT = 256;

    private final ConnectionSelector selector;
    private final FollowOutput output;
    private final PacketDecoder decoder = new PacketDecoder();
    private final PacketInfo info = new PacketInfo();
    private final TcpFlowTracker tracker;
    private final TcpReassembler reassembler;
    private final HttpDecoder http;
    private final HttpEventEncoder httpEncoder;
    private final ExpandableDirectByteBuffer scratch = new ExpandableDirectByteBuffer(4096);

    private long frame;
    private long frames;
    private boolean started;
    private boolean finished;
    private final boolean[] ended = new boolean[2];
    private final long[] bytes = new long[2];
    private final long[] gapBytes = new long[2];
    private long retransmissions;
    /** Which node (0: the first packet's sender) sends each flow direction. */
    private final int[] nodeOf = {0, 1};
    private boolean nodesKnown;
    private long node0Hi;
    private long node0Lo;
    private int node0Port;

    /**
     * @param http the HTTP decoder's options for {@code --http}, or null to show the bytes only.
     */
    public FollowSession(final ConnectionSelector selector, final FollowOutput output, final HttpConfig http,
        final int reassemblyWindowBytes)
    {
        this.selector = selector;
        this.output = output;
        this.tracker = new TcpFlowTracker(this, 4, Long.MAX_VALUE / 4, Long.MAX_VALUE / 4);
        this.http = http != null ? new HttpDecoder(http, this) : null;
        this.httpEncoder = http != null ? new HttpEventEncoder(http) : null;
        this.reassembler = new TcpReassembler(this, reassemblyWindowBytes, 4);
    }

    /** Read {@code source} until the connection is over or the source ends. @return whether the connection was found. */
    public boolean run(final PacketSource source)
    {
        try
        {
            while (!finished && !source.isDone())
            {
                source.poll(this, POLL_LIMIT);
            }
            tracker.endAll();
        }
        finally
        {
            reassembler.close();
            if (http != null)
            {
                http.close();
                httpEncoder.close();
            }
        }
        if (started)
        {
            output.finish();
        }
        return started;
    }

    @Override
    public void onPacket(final DirectBuffer buffer, final int offset, final int capturedLength, final int wireLength,
        final long timestampNanos, final int linkType, final int interfaceId)
    {
        frame++;
        if (decoder.decode(buffer, offset, capturedLength, linkType, info) != DecodeStatus.TCP)
        {
            return;
        }
        final TcpSegment s = info.segment();
        switch (selector.onTcpPacket(s))
        {
            case OTHER -> {
                return;
            }
            case DONE -> {
                finished = true;
                return;
            }
            default -> {
            }
        }
        if (!started)
        {
            started = true;
            node0Hi = s.srcHi;
            node0Lo = s.srcLo;
            node0Port = s.srcPort;
            output.begin(selector.selectedNumber(), endpoint(s.ipVersion, s.srcHi, s.srcLo, s.srcPort),
                endpoint(s.ipVersion, s.dstHi, s.dstLo, s.dstPort));
        }
        frames++;
        s.timestampNanos = timestampNanos;
        s.wireLength = wireLength;
        s.payload = buffer;
        s.payloadOffset = offset + info.payloadOffset;
        final TcpFlow flow = tracker.onSegment(s);
        if (!nodesKnown)
        {
            nodesKnown = true;
            final boolean clientIsNode0 = flow.clientHi() == node0Hi && flow.clientLo() == node0Lo && flow.clientPort() == node0Port;
            nodeOf[TcpFlow.FROM_CLIENT] = clientIsNode0 ? 0 : 1;
            nodeOf[TcpFlow.FROM_SERVER] = clientIsNode0 ? 1 : 0;
        }
        final long retransmittedBefore = reassembler.retransmitted();
        final int direction = flow.lastDirection();
        reassembler.onSegment(flow, direction, s);
        if (reassembler.retransmitted() != retransmittedBefore)
        {
            retransmissions++;
            output.retransmission(nodeOf[direction], frame, s.payloadLength);
        }
    }

    private static String endpoint(final int ipVersion, final long hi, final long lo, final int port)
    {
        final String ip = ConnectionSelector.ipText(ipVersion, hi, lo);
        return (ipVersion == 6 ? "[" + ip + "]" : ip) + ":" + port;
    }

    @Override
    public void onData(final TcpFlow flow, final int direction, final DirectBuffer buffer, final int offset, final int length,
        final long timestampNanos)
    {
        bytes[direction] += length;
        output.data(nodeOf[direction], frame, timestampNanos, buffer, offset, length);
        if (http != null)
        {
            http.onData(flow, direction, buffer, offset, length, timestampNanos);
        }
    }

    @Override
    public void onGap(final TcpFlow flow, final int direction, final long length, final long timestampNanos)
    {
        gapBytes[direction] += length;
        output.gap(nodeOf[direction], frame, length);
        if (http != null)
        {
            http.onGap(flow, direction, length, timestampNanos);
        }
    }

    @Override
    public void onEnd(final TcpFlow flow, final int direction, final boolean reset, final long timestampNanos)
    {
        output.end(nodeOf[direction], reset, frame);
        if (http != null)
        {
            http.onEnd(flow, direction, reset, timestampNanos);
        }
        ended[direction] = true;
        if (ended[0] && ended[1])
        {
            // Nothing more can be said on this connection: stop reading.
            finished = true;
        }
    }

    @Override
    public void onFlowEnd(final TcpFlow flow)
    {
        reassembler.onFlowEnd(flow, flow.lastNanos());
        if (http != null)
        {
            http.onFlowEnd(flow);
        }
    }

    @Override
    public void onTransaction(final TcpFlow flow, final HttpTransaction transaction)
    {
        final int textLength = httpEncoder.encodeText(flow, transaction, scratch, 0);
        final String text = scratch.getStringWithoutLengthUtf8(0, textLength);
        final int jsonLength = httpEncoder.encodeJson(flow, transaction, scratch, 0);
        output.event(text, scratch.getStringWithoutLengthUtf8(0, jsonLength));
    }

    /** @return a line for standard error: frames, bytes each way, gaps, retransmissions. */
    public String summary()
    {
        final int client = TcpFlow.FROM_CLIENT;
        final int server = TcpFlow.FROM_SERVER;
        return "follow: tcp.stream " + selector.selectedNumber() + ": " + frames + " frames of " + frame + " read; " +
            "client " + bytes[client] + " bytes, server " + bytes[server] + " bytes; gaps " + gapBytes[client] + "/" +
            gapBytes[server] + " bytes; " + retransmissions + " retransmissions, " + reassembler.outOfOrder() + " out of order";
    }

    /** @return how many connections were numbered while looking (for a message when none matched). */
    public int connectionsSeen()
    {
        return selector.connectionsSeen();
    }
}
