package dev.httpcap.sinks;

/**
 * How an encoded event is laid out. The format doubles as the message type id of the event in the
 * Agrona ring buffer between workers and the sink thread, so a worker can tell the sink thread
 * which encoding a record holds without a header of its own.
 */
public enum EventFormat
{
    /** One JSON object per line (NDJSON). */
    JSON(1, "json"),
    /** One human-readable line per event. */
    TEXT(2, "text");

    private final int msgTypeId;
    private final String specName;

    EventFormat(final int msgTypeId, final String specName)
    {
        this.msgTypeId = msgTypeId;
        this.specName = specName;
    }

    /** @return the ring buffer message type id for events in this format; always greater than zero. */
    public int msgTypeId()
    {
        return msgTypeId;
    }

    /** @return the name used for this format in a sink spec, e.g. {@code json}. */
    public String specName()
    {
        return specName;
    }

    /**
     * @param msgTypeId a message type id read from the ring buffer.
     * @return the format with that id.
     * @throws IllegalArgumentException if no format has that id: only encoders write the ring, so
     *                                  an unknown id is a programming error, not bad input.
     */
    public static EventFormat fromMsgTypeId(final int msgTypeId)
    {
        return switch (msgTypeId)
        {
            case 1 -> JSON;
            case 2 -> TEXT;
            default -> throw new IllegalArgumentException("unknown event msgTypeId " + msgTypeId);
        };
    }
}
