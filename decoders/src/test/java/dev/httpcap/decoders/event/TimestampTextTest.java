package dev.httpcap.decoders.event;

import org.agrona.ExpandableArrayBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TimestampTextTest
{
    private final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(64);
    private final JsonWriter writer = new JsonWriter();

    private String kept(final TimestampText text, final long epochNanos)
    {
        writer.wrap(buffer, 0);
        text.value(writer, epochNanos);
        return buffer.getStringWithoutLengthUtf8(0, writer.length());
    }

    private String formatted(final long epochNanos)
    {
        writer.wrap(buffer, 0).startString();
        EventText.appendTimestamp(writer, epochNanos);
        writer.endString();
        return buffer.getStringWithoutLengthUtf8(0, writer.length());
    }

    @Test
    void shouldWriteWhatTheFormatterWritesWhateverTheSecondBefore()
    {
        final long[] times = {
            1_700_000_000_123_456_789L, 1_700_000_000_999_999_999L, 1_700_000_001_000_000_000L, 1_700_000_000_000_000_001L,
            0, 1, -1, -999_999_999L, -1_000_000_000L, -1_000_000_001L,
            Long.MIN_VALUE, Long.MIN_VALUE + 1, Long.MIN_VALUE + 854_775_807L, Long.MIN_VALUE + 854_775_808L,
            Long.MAX_VALUE, Long.MAX_VALUE - 854_775_807L};
        final TimestampText inSequence = new TimestampText();
        for (final long t : times)
        {
            assertEquals(formatted(t), kept(inSequence, t), "after the others: " + t);
            assertEquals(formatted(t), kept(new TimestampText(), t), "alone: " + t);
        }
    }

    @Test
    void shouldRefuseANegativePaddedNumber()
    {
        writer.wrap(buffer, 0);
        assertThrows(IllegalArgumentException.class, () -> writer.appendPadded(-1, 9));
    }
}
