package dev.httpcap.decoders.tcp;

/**
 * The state of one TCP connection, owned by one worker. Instances are pooled by
 * {@link TcpFlowTracker} and reused after the connection's record is written, so nothing may
 * keep a reference past {@link FlowListener#onFlowEnd}.
 * <p>
 * "Client" is the side that sent the first SYN, or, when the capture began inside the
 * connection, the side with the higher port (servers listen on the lower, well-known port).
 */
public final class TcpFlow
{
    /** Direction of a segment: sent by the client, or by the server. */
    public static final int FROM_CLIENT = 0;
    public static final int FROM_SERVER = 1;

    private static final int MAX_HISTORY = 24;
    private static final byte[] CLIENT_LETTERS = {'S', 'H', 'A', 'D', 'F', 'R'};
    private static final byte[] SERVER_LETTERS = {'s', 'h', 'a', 'd', 'f', 'r'};
    static final int HISTORY_SYN = 0;
    static final int HISTORY_SYN_ACK = 1;
    static final int HISTORY_ACK = 2;
    static final int HISTORY_DATA = 3;
    static final int HISTORY_FIN = 4;
    static final int HISTORY_RST = 5;

    final int index;

    int ipVersion;
    int vlan;
    long clientHi;
    long clientLo;
    int clientPort;
    long serverHi;
    long serverLo;
    int serverPort;

    long startNanos;
    long lastNanos;
    /** The tracker's clock at this flow's last packet (never going back): what idling is measured by. */
    long touchedNanos;
    /**
     * What is kept per direction (0 client to server, 1 server to client), in one object per
     * direction rather than a two-element array per item: fewer objects and cache lines per
     * connection (100,000 open connections held 1.2 million small arrays).
     */
    final Side[] sides = {new Side(), new Side()};

    boolean midstream;
    boolean clientIsnKnown;
    long clientIsn;
    boolean clientFin;
    boolean serverFin;
    boolean reset;
    FlowEndReason endReason;

    private final byte[] history = new byte[MAX_HISTORY];
    private int historyLength;
    /** Bit per (direction, letter): each history letter is recorded once per direction. */
    private int historySeen;

    /** Segments whose payload the capture's snap length cut (captured less than was sent). */
    int snaplenCutSegments;
    /** Segments that repeated bytes of the stream with different content (see {@link TcpReassembler}). */
    int overlapConflicts;
    /** {@link #overlapConflicts} already told to an event by {@link #takeOverlapConflicts()}. */
    private int overlapConflictsTaken;
    /**
     * The last {@link TcpReassembler#KEPT_SEGMENTS} segments of each direction delivered in place from
     * memory that outlives them (a mapped capture file), to compare retransmissions with: per entry
     * the payload's address and {@code (seq << 32) | length}; direction d's entries start at
     * {@code d * KEPT_SEGMENTS * 2}. One array per connection rather than per direction, made when
     * the flow object first delivers a segment in place and kept while it is pooled and reused (so
     * live capture and pipes never make one); null until then.
     */
    long[] keptSegments;

    /** Direction of the segment the tracker accounted last. */
    int lastDirection;

    /**
     * The handshake as {@link TcpFlowTracker} saw it: the client's first SYN, how many SYNs and
     * SYN-ACKs came before the client's ACK of the SYN-ACK (more than one of either and which copy was
     * answered is ambiguous, as in Karn's algorithm), the server's ISN, and the round trip once known.
     */
    long synNanos;
    int synsSeen;
    int synAcksSeen;
    long serverIsn;
    boolean awaitingHandshakeAck;
    long handshakeNanos;


    /** Linkage in the tracker's recency lists (indices, -1 for none). */
    int prev = -1;
    int next = -1;
    boolean closedList;

    /** The tracker's hash of the 4-tuple and VLAN (its table also holds it, beside the flow's index). */
    int hash;
    /** Why the connection closed (FIN or RST) before its record was written; null while open. */
    FlowEndReason closeReason;

    /** Later decoders (reassembly, HTTP) hang per-flow state here; the tracker never reads it. */
    private Object attachment;

    /**
     * The Community ID's SHA-1 digest (20 bytes, big-endian in 8 + 8 + 4), worked out by the
     * first event of the flow that writes it: a connection's events all carry the same one.
     */
    private boolean communityDigestKnown;
    private long communityDigest0;
    private long communityDigest1;
    private int communityDigest2;

    TcpFlow(final int index)
    {
        this.index = index;
    }

    void reset()
    {
        ipVersion = 0;
        vlan = -1;
        clientHi = clientLo = serverHi = serverLo = 0;
        clientPort = serverPort = 0;
        startNanos = lastNanos = touchedNanos = 0;
        sides[0].reset();
        sides[1].reset();
        midstream = false;
        clientIsnKnown = false;
        closeReason = null;
        clientIsn = 0;
        clientFin = serverFin = reset = false;
        endReason = null;
        historyLength = 0;
        historySeen = 0;
        lastDirection = FROM_CLIENT;
        prev = next = -1;
        closedList = false;
        communityDigestKnown = false;
        snaplenCutSegments = 0;
        overlapConflicts = 0;
        overlapConflictsTaken = 0;
        synNanos = 0;
        synsSeen = synAcksSeen = 0;
        serverIsn = 0;
        awaitingHandshakeAck = false;
        handshakeNanos = -1;
    }

    void recordHistory(final int direction, final int letter)
    {
        final int bit = 1 << (direction * 8 + letter);
        if ((historySeen & bit) == 0 && historyLength < MAX_HISTORY)
        {
            historySeen |= bit;
            history[historyLength++] = direction == FROM_CLIENT ? CLIENT_LETTERS[letter] : SERVER_LETTERS[letter];
        }
    }

    boolean isClosed()
    {
        return reset || (clientFin && serverFin);
    }

    public int ipVersion()
    {
        return ipVersion;
    }

    /** @return the outer VLAN id, or -1. */
    public int vlan()
    {
        return vlan;
    }

    public long clientHi()
    {
        return clientHi;
    }

    public long clientLo()
    {
        return clientLo;
    }

    public int clientPort()
    {
        return clientPort;
    }

    public long serverHi()
    {
        return serverHi;
    }

    public long serverLo()
    {
        return serverLo;
    }

    public int serverPort()
    {
        return serverPort;
    }

    public long startNanos()
    {
        return startNanos;
    }

    public long lastNanos()
    {
        return lastNanos;
    }

    /** @param direction {@link #FROM_CLIENT} or {@link #FROM_SERVER}. */
    public long packets(final int direction)
    {
        return sides[direction].packets;
    }

    /** @return frame bytes on the wire sent in {@code direction}. */
    public long bytes(final int direction)
    {
        return sides[direction].bytes;
    }

    /** @return TCP payload bytes on the wire sent in {@code direction} (retransmissions included). */
    public long payloadBytes(final int direction)
    {
        return sides[direction].payloadBytes;
    }

    /** @return true when the capture began after the connection's SYN. */
    public boolean isMidstream()
    {
        return midstream;
    }

    public FlowEndReason endReason()
    {
        return endReason;
    }

    /** @return Zeek-style history letters (uppercase: client, lowercase: server), valid until the flow is recycled. */
    public byte[] historyBytes()
    {
        return history;
    }

    public int historyLength()
    {
        return historyLength;
    }

    /** @return stream bytes delivered in order for {@code direction} (each byte once, retransmissions removed). */
    public long streamBytes(final int direction)
    {
        return sides[direction].streamBytes;
    }

    /** @return bytes of {@code direction}'s stream reported lost (never captured). */
    public long gapBytes(final int direction)
    {
        return sides[direction].gapBytes;
    }

    /** @return the direction of the segment most recently accounted to this flow. */
    public int lastDirection()
    {
        return lastDirection;
    }

    /** @return true when the capture's snap length cut the payload of any of this connection's segments. */
    public boolean snaplenCut()
    {
        return snaplenCutSegments > 0;
    }

    /** @return segments of this connection that repeated stream bytes with different content, both directions. */
    public int overlapConflicts()
    {
        return overlapConflicts;
    }

    /**
     * The tags an event of this connection takes from the connection rather than from parsing, as it
     * is emitted: {@code snaplen} on a {@code gap} event of a connection whose packets the capture's
     * snap length cut (the gap is, at least in part, bytes the capture chose not to keep), and {@code
     * overlap_conflict} on the first event of the connection emitted since a segment repeated stream
     * bytes with different content (which copy the receiver used is unknown; the first one seen was
     * decoded).
     *
     * @param eventTags the event's own tags ({@link Tags} bits)
     * @return the tags to add to them
     */
    public int eventTags(final int eventTags)
    {
        int tags = 0;
        if ((eventTags & Tags.GAP) != 0 && snaplenCut())
        {
            tags |= Tags.SNAPLEN;
        }
        if (takeOverlapConflicts())
        {
            tags |= Tags.OVERLAP_CONFLICT;
        }
        return tags;
    }

    /**
     * @return true when overlap conflicts were found since the last call that returned true: the event
     *         being written is the first of the connection since the conflicting copy arrived.
     */
    public boolean takeOverlapConflicts()
    {
        if (overlapConflicts == overlapConflictsTaken)
        {
            return false;
        }
        overlapConflictsTaken = overlapConflicts;
        return true;
    }

    /**
     * @return nanoseconds from the client's SYN to its ACK of the server's SYN-ACK as they passed the
     *         capture point (one round trip between client and server), or -1 when not known: the
     *         capture began after the SYN or missed the SYN-ACK or the ACK, a SYN or SYN-ACK was sent
     *         more than once (which copy was answered is ambiguous), or the ACK is not there yet.
     */
    public long handshakeNanos()
    {
        return handshakeNanos;
    }

    public boolean communityDigestKnown()
    {
        return communityDigestKnown;
    }

    public long communityDigest0()
    {
        return communityDigest0;
    }

    public long communityDigest1()
    {
        return communityDigest1;
    }

    public int communityDigest2()
    {
        return communityDigest2;
    }

    /** Keep the flow's Community ID digest for its later events (see {@code CommunityId}). */
    public void communityDigest(final long digest0, final long digest1, final int digest2)
    {
        communityDigest0 = digest0;
        communityDigest1 = digest1;
        communityDigest2 = digest2;
        communityDigestKnown = true;
    }

    public Object attachment()
    {
        return attachment;
    }

    public void attachment(final Object attachment)
    {
        this.attachment = attachment;
    }

    /** One direction of a connection: its counters and its reassembly state (see {@link TcpReassembler}). */
    static final class Side
    {
        long packets;
        long bytes;
        long payloadBytes;
        /** Reassembly state. Sequence numbers are 32-bit, compared by difference. */
        boolean seqKnown;
        int nextSeq;
        /** One past the highest sequence number a segment of the direction covered (by its wire length). */
        int highestSeq;
        int reassemblyWindow = -1;
        boolean finSeen;
        int finSeq;
        boolean streamEnded;
        long streamBytes;
        long gapBytes;
        /** This direction's entries in the flow's {@link #keptSegments}: the next one to write, and how many are valid. */
        int keptNext;
        int keptCount;

        void reset()
        {
            packets = bytes = payloadBytes = 0;
            seqKnown = false;
            nextSeq = highestSeq = 0;
            reassemblyWindow = -1;
            finSeen = false;
            finSeq = 0;
            streamEnded = false;
            streamBytes = gapBytes = 0;
            keptNext = keptCount = 0;
        }
    }
}
