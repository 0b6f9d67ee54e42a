package dev.httpcap.decoders.tcp;

/**
 * The {@code tags} of HTTP and WebSocket events: one bit each, so that a record carries a set of
 * them in an {@code int}. Defined once here for every decoder and encoder.
 */
public final class Tags
{
    /** Bytes of this record were never captured, or its pairing after a loss is a guess. */
    public static final int GAP = 1;
    /** The connection ended or was reset mid-message. */
    public static final int INCOMPLETE = 1 << 1;
    /** The capture began inside the connection. */
    public static final int MIDSTREAM = 1 << 2;
    public static final int PARSE_ERROR = 1 << 3;
    public static final int HEADERS_TRUNCATED = 1 << 4;
    public static final int BODY_TRUNCATED = 1 << 5;
    public static final int NO_RESPONSE = 1 << 6;
    public static final int NO_REQUEST = 1 << 7;
    /** A message broke the grammar in a way peers and servers accept (a version in lower case, an unmasked client frame). */
    public static final int PROTOCOL_DEVIATION = 1 << 8;
    /** A decoder pool was used up: the record is kept, with less in it than the traffic held. */
    public static final int DECODER_OVERLOAD = 1 << 9;
    /** More requests were in flight on the connection than {@code --max-pipelined}: reported before its answer came. */
    public static final int PIPELINE_OVERFLOW = 1 << 10;
    /** A segment of the connection repeated stream bytes with different content (the first copy seen was decoded). */
    public static final int OVERLAP_CONFLICT = 1 << 11;
    /** With {@link #GAP}: the connection's packets were cut by the capture's snap length. */
    public static final int SNAPLEN = 1 << 12;
    /** The encoded event was too large for the hand-off to the sinks: its strings were cut to fit. */
    public static final int EVENT_TRUNCATED = 1 << 13;
    /**
     * The transaction's depth on its connection may be short: both directions lost bytes that
     * broke a message at overlapping times (or at any times while pipelining), so a transaction
     * whose request and response were both lost may have left no trace before it.
     */
    public static final int DEPTH_GUESSED = 1 << 14;

    /** Tag names in bit order. */
    public static final String[] NAMES = {
        "gap", "incomplete", "midstream", "parse_error", "headers_truncated", "body_truncated", "no_response",
        "no_request", "protocol_deviation", "decoder_overload", "pipeline_overflow",
        "overlap_conflict", "snaplen", "event_truncated", "depth_guessed"};

    private Tags()
    {
    }
}
