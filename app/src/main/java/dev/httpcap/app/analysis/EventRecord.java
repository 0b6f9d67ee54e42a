package dev.httpcap.app.analysis;

/**
 * The fields of one httpcap event that the analyses use, filled by {@link EventJsonReader}. One
 * instance is reused for every event: {@link #reset()} clears it.
 */
public final class EventRecord
{
    /** {@code event.dataset}. */
    public enum Dataset
    {
        HTTP, FLOW, WEBSOCKET, OTHER, NONE;

        /** The name in lower case, as {@code event.dataset} writes it. */
        public final String lowerCase = name().toLowerCase(java.util.Locale.ROOT);
    }

    public static final int MAX_TAGS = 32;

    public Dataset dataset;
    /** {@code @timestamp}, nanoseconds since the epoch, or {@link Long#MIN_VALUE}. */
    public long timestampNanos;
    /** {@code event.duration} in nanoseconds, or -1. */
    public long durationNanos;
    /** Flow records: {@code event.start} and {@code event.end}, or {@link Long#MIN_VALUE}. */
    public long startNanos;
    public long endNanos;
    public String reason;
    public String sourceIp;
    public int sourcePort;
    public long sourceBytes;
    public long sourcePackets;
    public String destinationIp;
    public int destinationPort;
    public long destinationBytes;
    public long destinationPackets;
    public String communityId;
    public String urlOriginal;
    public String urlPath;
    public String urlDomain;
    public String method;
    /** The request's Host header as sent (with its port), or null. */
    public String hostHeader;
    public int statusCode;
    public int infoCode;
    public final String[] tags = new String[MAX_TAGS];
    public int tagCount;

    public void reset()
    {
        dataset = Dataset.NONE;
        timestampNanos = Long.MIN_VALUE;
        durationNanos = -1;
        startNanos = Long.MIN_VALUE;
        endNanos = Long.MIN_VALUE;
        reason = null;
        sourceIp = null;
        sourcePort = -1;
        sourceBytes = -1;
        sourcePackets = -1;
        destinationIp = null;
        destinationPort = -1;
        destinationBytes = -1;
        destinationPackets = -1;
        communityId = null;
        urlOriginal = null;
        urlPath = null;
        urlDomain = null;
        method = null;
        hostHeader = null;
        statusCode = -1;
        infoCode = -1;
        tagCount = 0;
    }

    /** @return whether the event carries a request (an HTTP event without {@code no_request}). */
    public boolean hasRequest()
    {
        return method != null;
    }

    /** @return whether the event carries a final response. */
    public boolean hasResponse()
    {
        return statusCode >= 0;
    }
}
