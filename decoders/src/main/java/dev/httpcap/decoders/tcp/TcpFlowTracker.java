package dev.httpcap.decoders.tcp;

import dev.httpcap.common.TcpSegment;

/**
 * The table of TCP connections owned by one worker: finds or creates the flow of each segment,
 * counts packets and bytes each way, follows SYN/FIN/RST, and writes a record (through
 * {@link FlowListener}) when a connection closes, idles out, is evicted or the capture ends.
 * <p>
 * Everything is sized at construction: a pool of at most {@code maxFlows} flows, an
 * open-addressing hash table over them, and two recency lists (open and closed flows) that make
 * timeouts O(1). Time is packet time, so replays are deterministic. Single-threaded by design:
 * the worker that owns the shard is the only caller.
 */
public final class TcpFlowTracker
{
    /** Most flows one tracker holds: its table (two slots a flow, longs) is then 256 MiB. */
    public static final int MAX_FLOWS = 1 << 24;

    /**
     * @return the least heap a tracker of {@code maxFlows} connections takes before its first one: its
     * three arrays (at four bytes a reference, less than a 64-bit JVM without compressed references uses).
     */
    public static long tableBytes(final int maxFlows)
    {
        return 8L * maxFlows + 8L * tableCapacity(maxFlows);
    }

    /** Slots of the open-addressing table: a power of two at least twice the connections. */
    private static int tableCapacity(final int maxFlows)
    {
        return Integer.highestOneBit(Math.max(2, maxFlows) * 2 - 1) << 1;
    }

    private static final long SEQ_MASK = 0xFFFF_FFFFL;

    private final FlowListener listener;
    private final int maxFlows;
    private final long idleTimeoutNanos;
    private final long closeLingerNanos;

    private final TcpFlow[] flows;
    private final int[] freeStack;
    private int freeCount;
    private int allocated;

    /**
     * Open addressing, linear probing: per slot the flow's hash in the high 32 bits and its index + 1 in the
     * low ones (0: empty). A probe compares hashes in the table itself and reads a flow object only when
     * the hash matches, and a removal shifts entries back without reading any: the table holds ~80,000
     * lingering connections on a busy capture, and each flow object read there was a cache miss.
     */
    private final long[] table;
    private final int tableMask;
    /** All ones, except in tests that force whole-hash collisions. */
    private final int hashMask;

    private int openHead = -1;
    private int openTail = -1;
    private int closedHead = -1;
    private int closedTail = -1;
    private int activeFlows;

    /**
     * A packet more than this before the latest time is late; {@link #STEP_BACK_PACKETS} late in a
     * row are a step back of the packets' time (captures joined end to end, a clock set back), not
     * packets a little out of order, nor two sources whose clocks differ interleaved.
     */
    static final long STEP_BACK_NANOS = 1_000_000_000L;
    static final int STEP_BACK_PACKETS = 1024;

    /**
     * The latest packet time plus {@link #clockOffsetNanos}: what lateness and steps back are judged
     * by (never a clock tick, which may run ahead of packets still queued in the kernel).
     */
    private long packetClockNanos = Long.MIN_VALUE;
    /** The packet clock or a later clock tick, never going back: idle timeouts and lingers run on it. */
    private long clockNanos = Long.MIN_VALUE;
    /** What the steps back of the packets' time have added up to. */
    private long clockOffsetNanos;
    private int lateInARow;
    private long clockStepsBack;

    private long flowsCreated;
    private long midstreamStarts;
    private long portReuses;
    private final long[] ended = new long[FlowEndReason.count()];

    /**
     * @param maxFlows         most connections held at once; beyond it the least recently seen is evicted.
     * @param idleTimeoutNanos an open connection with no packet for this long (packet time) is closed as a timeout.
     * @param closeLingerNanos a closed connection stays this long (packet time) to collect its last ACKs and
     *                         retransmissions before its record is written.
     */
    public TcpFlowTracker(
        final FlowListener listener, final int maxFlows, final long idleTimeoutNanos, final long closeLingerNanos)
    {
        this(listener, maxFlows, idleTimeoutNanos, closeLingerNanos, -1);
    }

    /** With {@code hashMask} keeping only some bits of each flow's hash: tests use it to make hashes collide. */
    TcpFlowTracker(
        final FlowListener listener, final int maxFlows, final long idleTimeoutNanos, final long closeLingerNanos,
        final int hashMask)
    {
        if (maxFlows < 1 || maxFlows > MAX_FLOWS)
        {
            throw new IllegalArgumentException("maxFlows must be 1 to " + MAX_FLOWS + ": " + maxFlows);
        }
        this.listener = listener;
        this.maxFlows = maxFlows;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.closeLingerNanos = closeLingerNanos;
        this.flows = new TcpFlow[maxFlows];
        this.freeStack = new int[maxFlows];
        final int capacity = tableCapacity(maxFlows);
        this.table = new long[capacity];
        this.tableMask = capacity - 1;
        this.hashMask = hashMask;
    }

    /**
     * Account one segment to its connection.
     *
     * @return the flow the segment belongs to, valid until the next call.
     */
    public TcpFlow onSegment(final TcpSegment segment)
    {
        advanceClock(segment.timestampNanos);

        final int hash = hash(segment) & hashMask;
        TcpFlow flow = find(segment, hash);
        if (flow != null && startsNewConnection(flow, segment))
        {
            portReuses++;
            end(flow, flow.closeReason != null ? flow.closeReason : FlowEndReason.PORT_REUSE);
            flow = null;
        }
        if (flow == null)
        {
            flow = create(segment, hash);
        }

        update(flow, segment);
        return flow;
    }

    /**
     * A packet's time {@code nowNanos}: close every connection idle past the timeout. The clock never
     * goes back: a late packet (more than {@link #STEP_BACK_NANOS} before the latest packet) leaves it
     * where it is, and its connection counts as seen now. After {@link #STEP_BACK_PACKETS} late ones in
     * a row the packets' time has stepped back: from then on the clock runs on from where it was (the
     * step is added to every later time), so that connections are timed by the gaps between their own
     * packets, not expired by the step. Their records keep their packets' own times.
     */
    public void advanceClock(final long nowNanos)
    {
        final long now = saturatedAdd(nowNanos, clockOffsetNanos);
        if (packetClockNanos == Long.MIN_VALUE || now >= packetClockNanos - STEP_BACK_NANOS)
        {
            lateInARow = 0;
            if (now > packetClockNanos)
            {
                packetClockNanos = now;
            }
        }
        else if (++lateInARow == STEP_BACK_PACKETS)
        {
            final long step = packetClockNanos - now;
            clockOffsetNanos = saturatedAdd(clockOffsetNanos, step < 0 ? Long.MAX_VALUE : step);
            clockStepsBack++;
            lateInARow = 0;
        }
        expire(packetClockNanos);
    }

    /**
     * The wall-clock time {@code nowNanos} with no packet (live capture, a quiet link): close every
     * connection idle past the timeout. A tick moves the clock on, never back, and is not a packet:
     * packets read after it may be older by what the kernel ring held.
     */
    public void tick(final long nowNanos)
    {
        expire(saturatedAdd(nowNanos, clockOffsetNanos));
    }

    private void expire(final long nowNanos)
    {
        if (nowNanos > clockNanos)
        {
            clockNanos = nowNanos;
        }
        final long clock = clockNanos;
        while (closedHead >= 0 && clock - flows[closedHead].touchedNanos > closeLingerNanos)
        {
            final TcpFlow flow = flows[closedHead];
            end(flow, flow.closeReason);
        }
        while (openHead >= 0 && clock - flows[openHead].touchedNanos > idleTimeoutNanos)
        {
            end(flows[openHead], FlowEndReason.TIMEOUT);
        }
    }

    /** {@code a + b}, held at the ends of the range: a damaged capture's times cannot wrap the clock round. */
    static long saturatedAdd(final long a, final long b)
    {
        final long sum = a + b;
        // Overflow only when both have the sign the sum lacks.
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
    }

    /** @return times the packets' time stepped back (see {@link #advanceClock}). */
    public long clockStepsBack()
    {
        return clockStepsBack;
    }

    /** The capture ended: write every remaining connection's record. */
    public void endAll()
    {
        while (closedHead >= 0)
        {
            final TcpFlow flow = flows[closedHead];
            end(flow, flow.closeReason);
        }
        while (openHead >= 0)
        {
            end(flows[openHead], FlowEndReason.END_OF_CAPTURE);
        }
    }

    public int activeFlows()
    {
        return activeFlows;
    }

    public long flowsCreated()
    {
        return flowsCreated;
    }

    public long midstreamStarts()
    {
        return midstreamStarts;
    }

    /** @return connections that began on a 4-tuple still held by an earlier connection. */
    public long portReuses()
    {
        return portReuses;
    }

    public long flowsEnded(final FlowEndReason reason)
    {
        return ended[reason.ordinal()];
    }

    private static boolean startsNewConnection(final TcpFlow flow, final TcpSegment segment)
    {
        if ((segment.flags & (TcpSegment.SYN | TcpSegment.ACK)) != TcpSegment.SYN)
        {
            return false;
        }
        // A retransmitted SYN carries the same ISN; a new connection on the same 4-tuple does not.
        return flow.isClosed() || flow.clientFin || flow.serverFin || !flow.clientIsnKnown ||
            segment.seq != flow.clientIsn;
    }

    private TcpFlow create(final TcpSegment segment, final int hash)
    {
        if (freeCount == 0 && allocated == maxFlows)
        {
            if (closedHead >= 0)
            {
                final TcpFlow oldest = flows[closedHead];
                end(oldest, oldest.closeReason);
            }
            else
            {
                end(flows[openHead], FlowEndReason.EVICTED);
            }
        }

        final TcpFlow flow;
        if (freeCount > 0)
        {
            flow = flows[freeStack[--freeCount]];
        }
        else
        {
            flow = new TcpFlow(allocated);
            flows[allocated++] = flow;
        }
        flow.reset();
        flowsCreated++;
        activeFlows++;

        final int flags = segment.flags;
        final boolean senderIsClient;
        if ((flags & (TcpSegment.SYN | TcpSegment.ACK)) == TcpSegment.SYN)
        {
            senderIsClient = true;
            flow.clientIsn = segment.seq;
            flow.clientIsnKnown = true;
        }
        else if ((flags & (TcpSegment.SYN | TcpSegment.ACK)) == (TcpSegment.SYN | TcpSegment.ACK))
        {
            senderIsClient = false;
            flow.clientIsn = (segment.ack - 1) & SEQ_MASK;
            flow.clientIsnKnown = true;
        }
        else
        {
            // Servers listen on the lower, usually well-known port; clients use ephemeral ones.
            senderIsClient = segment.srcPort >= segment.dstPort;
            flow.midstream = true;
            midstreamStarts++;
        }

        flow.ipVersion = segment.ipVersion;
        flow.vlan = segment.vlan;
        if (senderIsClient)
        {
            flow.clientHi = segment.srcHi;
            flow.clientLo = segment.srcLo;
            flow.clientPort = segment.srcPort;
            flow.serverHi = segment.dstHi;
            flow.serverLo = segment.dstLo;
            flow.serverPort = segment.dstPort;
        }
        else
        {
            flow.clientHi = segment.dstHi;
            flow.clientLo = segment.dstLo;
            flow.clientPort = segment.dstPort;
            flow.serverHi = segment.srcHi;
            flow.serverLo = segment.srcLo;
            flow.serverPort = segment.srcPort;
        }
        flow.startNanos = segment.timestampNanos;
        flow.lastNanos = segment.timestampNanos;
        flow.touchedNanos = clockNanos;
        flow.hash = hash;

        insert(flow);
        linkTail(flow, false);
        return flow;
    }

    private void update(final TcpFlow flow, final TcpSegment segment)
    {
        final int direction = segment.srcPort == flow.clientPort && segment.srcLo == flow.clientLo &&
            segment.srcHi == flow.clientHi ? TcpFlow.FROM_CLIENT : TcpFlow.FROM_SERVER;
        flow.lastDirection = direction;
        flow.sides[direction].packets++;
        flow.sides[direction].bytes += segment.wireLength;
        flow.sides[direction].payloadBytes += segment.wirePayloadLength;
        if (segment.timestampNanos > flow.lastNanos)
        {
            flow.lastNanos = segment.timestampNanos;
        }
        flow.touchedNanos = clockNanos;

        final int flags = segment.flags;
        if ((flags & TcpSegment.SYN) != 0)
        {
            flow.recordHistory(direction, (flags & TcpSegment.ACK) != 0 ? TcpFlow.HISTORY_SYN_ACK : TcpFlow.HISTORY_SYN);
            handshakeSyn(flow, direction, segment);
        }
        else if (flow.awaitingHandshakeAck && direction == TcpFlow.FROM_CLIENT)
        {
            handshakeAck(flow, segment);
        }
        if (segment.wirePayloadLength > 0)
        {
            flow.recordHistory(direction, TcpFlow.HISTORY_DATA);
        }
        else if ((flags & (TcpSegment.SYN | TcpSegment.FIN | TcpSegment.RST | TcpSegment.ACK)) == TcpSegment.ACK)
        {
            flow.recordHistory(direction, TcpFlow.HISTORY_ACK);
        }
        if ((flags & TcpSegment.FIN) != 0)
        {
            flow.recordHistory(direction, TcpFlow.HISTORY_FIN);
            if (direction == TcpFlow.FROM_CLIENT)
            {
                flow.clientFin = true;
            }
            else
            {
                flow.serverFin = true;
            }
        }
        if ((flags & TcpSegment.RST) != 0)
        {
            flow.recordHistory(direction, TcpFlow.HISTORY_RST);
            flow.reset = true;
        }

        if (flow.closeReason == null && flow.isClosed())
        {
            flow.closeReason = flow.reset ? FlowEndReason.RST : FlowEndReason.FIN;
        }
        // Most segments come from the flow seen last (a response's segments in a row): it is the tail already.
        final boolean closed = flow.closeReason != null;
        if (flow.next >= 0 || flow.closedList != closed)
        {
            unlink(flow);
            linkTail(flow, closed);
        }
    }

    /** A SYN or SYN-ACK: the handshake's first two steps (only a SYN-ACK answering a SYN seen counts). */
    private static void handshakeSyn(final TcpFlow flow, final int direction, final TcpSegment segment)
    {
        if ((segment.flags & TcpSegment.ACK) == 0)
        {
            if (direction == TcpFlow.FROM_CLIENT && flow.synsSeen++ == 0)
            {
                flow.synNanos = segment.timestampNanos;
            }
        }
        else if (direction == TcpFlow.FROM_SERVER && flow.synsSeen > 0 && flow.handshakeNanos < 0)
        {
            if (flow.synAcksSeen++ == 0)
            {
                flow.serverIsn = segment.seq;
            }
            flow.awaitingHandshakeAck = true;
        }
    }

    /**
     * The client's first segment after the SYN-ACK: when it acknowledges the SYN-ACK, and neither the
     * SYN nor the SYN-ACK was sent twice, the handshake took from the SYN to now. Either way the wait
     * ends here, so later segments pay one flag test.
     */
    private static void handshakeAck(final TcpFlow flow, final TcpSegment segment)
    {
        flow.awaitingHandshakeAck = false;
        if ((segment.flags & (TcpSegment.ACK | TcpSegment.RST)) == TcpSegment.ACK &&
            segment.ack == ((flow.serverIsn + 1) & SEQ_MASK) && flow.synsSeen == 1 && flow.synAcksSeen == 1 &&
            segment.timestampNanos >= flow.synNanos)
        {
            flow.handshakeNanos = segment.timestampNanos - flow.synNanos;
        }
    }

    private void end(final TcpFlow flow, final FlowEndReason reason)
    {
        flow.endReason = reason;
        ended[reason.ordinal()]++;
        unlink(flow);
        remove(flow);
        activeFlows--;
        try
        {
            listener.onFlowEnd(flow);
        }
        finally
        {
            freeStack[freeCount++] = flow.index;
        }
    }

    private TcpFlow find(final TcpSegment s, final int hash)
    {
        int slot = hash & tableMask;
        while (true)
        {
            final long entry = table[slot];
            if (entry == 0)
            {
                return null;
            }
            if ((int)(entry >>> 32) == hash)
            {
                final TcpFlow flow = flows[(int)entry - 1];
                if (flow.vlan == s.vlan && matches(flow, s))
                {
                    return flow;
                }
            }
            slot = (slot + 1) & tableMask;
        }
    }

    private static boolean matches(final TcpFlow f, final TcpSegment s)
    {
        return (s.srcPort == f.clientPort && s.dstPort == f.serverPort &&
            s.srcLo == f.clientLo && s.srcHi == f.clientHi && s.dstLo == f.serverLo && s.dstHi == f.serverHi) ||
            (s.srcPort == f.serverPort && s.dstPort == f.clientPort &&
            s.srcLo == f.serverLo && s.srcHi == f.serverHi && s.dstLo == f.clientLo && s.dstHi == f.clientHi);
    }

    private void insert(final TcpFlow flow)
    {
        int slot = flow.hash & tableMask;
        while (table[slot] != 0)
        {
            slot = (slot + 1) & tableMask;
        }
        table[slot] = entry(flow);
    }

    private static long entry(final TcpFlow flow)
    {
        return ((long)flow.hash << 32) | (flow.index + 1);
    }

    /** Linear-probing removal with backward shift, so lookups never need tombstones; reads the table only. */
    private void remove(final TcpFlow flow)
    {
        final long removed = entry(flow);
        int hole = flow.hash & tableMask;
        while (table[hole] != removed)
        {
            hole = (hole + 1) & tableMask;
        }
        table[hole] = 0;
        int slot = (hole + 1) & tableMask;
        long entry;
        while ((entry = table[slot]) != 0)
        {
            final int home = (int)(entry >>> 32) & tableMask;
            // Move the entry into the hole unless its home lies cyclically in (hole, slot].
            final boolean homeBetween = hole <= slot ? (home > hole && home <= slot) : (home > hole || home <= slot);
            if (!homeBetween)
            {
                table[hole] = entry;
                table[slot] = 0;
                hole = slot;
            }
            slot = (slot + 1) & tableMask;
        }
    }

    private void linkTail(final TcpFlow flow, final boolean closed)
    {
        flow.closedList = closed;
        flow.next = -1;
        if (closed)
        {
            flow.prev = closedTail;
            if (closedTail >= 0)
            {
                flows[closedTail].next = flow.index;
            }
            else
            {
                closedHead = flow.index;
            }
            closedTail = flow.index;
        }
        else
        {
            flow.prev = openTail;
            if (openTail >= 0)
            {
                flows[openTail].next = flow.index;
            }
            else
            {
                openHead = flow.index;
            }
            openTail = flow.index;
        }
    }

    private void unlink(final TcpFlow flow)
    {
        final int prev = flow.prev;
        final int next = flow.next;
        if (prev >= 0)
        {
            flows[prev].next = next;
        }
        else if (flow.closedList)
        {
            closedHead = next;
        }
        else
        {
            openHead = next;
        }
        if (next >= 0)
        {
            flows[next].prev = prev;
        }
        else if (flow.closedList)
        {
            closedTail = prev;
        }
        else
        {
            openTail = prev;
        }
        flow.prev = -1;
        flow.next = -1;
    }

    private static int hash(final TcpSegment s)
    {
        // Commutative in the two endpoints, so both directions of a connection hash alike.
        final long a = mix(s.srcHi ^ Long.rotateLeft(s.srcLo, 17) ^ ((long)s.srcPort << 48));
        final long b = mix(s.dstHi ^ Long.rotateLeft(s.dstLo, 17) ^ ((long)s.dstPort << 48));
        final long h = mix((a + b) ^ s.vlan);
        return (int)(h ^ (h >>> 32));
    }

    private static long mix(final long value)
    {
        long z = value * 0x9E37_79B9_7F4A_7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
