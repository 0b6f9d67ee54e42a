package dev.httpcap.sinks;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventFormatTest
{
    @Test
    void shouldRoundTripWhenMappedThroughMsgTypeId()
    {
        assertEquals(1, EventFormat.JSON.msgTypeId());
        assertEquals(2, EventFormat.TEXT.msgTypeId());
        for (final EventFormat format : EventFormat.values())
        {
            assertTrue(format.msgTypeId() > 0, "ring buffer message type ids must be positive");
            assertSame(format, EventFormat.fromMsgTypeId(format.msgTypeId()));
        }
    }

    @Test
    void shouldRejectWhenMsgTypeIdUnknown()
    {
        assertThrows(IllegalArgumentException.class, () -> EventFormat.fromMsgTypeId(0));
        assertThrows(IllegalArgumentException.class, () -> EventFormat.fromMsgTypeId(3));
        assertThrows(IllegalArgumentException.class, () -> EventFormat.fromMsgTypeId(-1));
    }
}
