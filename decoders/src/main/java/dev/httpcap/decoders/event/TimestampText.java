package dev.httpcap.decoders.event;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * RFC 3339 timestamps of packet times ({@code 2026-11-24T15:11:27.123456789Z}, as
 * {@link EventText#appendTimestamp}) that work out the date and time of day once per second: an
 * event's start and end, and the events that follow within the same second, write the kept
 * {@code 2026-11-24T15:11:27.} and only their fraction anew. One per encoder; allocation-free.
 */
final class TimestampText
{
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    /** {@code 2026-11-24T15:11:27.}: what one second's timestamps share. */
    private static final int PREFIX_LENGTH = 20;
    private static final int FRACTION_DIGITS = 9;

    private final byte[] text = new byte[PREFIX_LENGTH + FRACTION_DIGITS + 1];
    private final JsonWriter scratch = new JsonWriter();
    private final UnsafeBuffer textBuffer = new UnsafeBuffer(text);
    private long second = Long.MIN_VALUE;

    /** Write {@code epochNanos} as a JSON string value. */
    void value(final JsonWriter out, final long epochNanos)
    {
        final long seconds = Math.floorDiv(epochNanos, NANOS_PER_SECOND);
        if (seconds != second)
        {
            // From the time itself, not seconds * 10^9: that overflows within a second of Long.MIN_VALUE.
            EventText.appendTimestamp(scratch.wrap(textBuffer, 0), epochNanos);
            second = seconds;
        }
        out.startString()
            .appendAscii(text, 0, PREFIX_LENGTH)
            .appendPadded(Math.floorMod(epochNanos, NANOS_PER_SECOND), FRACTION_DIGITS)
            .appendAscii('Z')
            .endString();
    }
}
