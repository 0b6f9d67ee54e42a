package dev.httpcap.sinks;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class NullSinkTest
{
    @Test
    void shouldCountEventsAndBytesWhenWritingNothing()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        try (NullSink sink = new NullSink(EventFormat.JSON))
        {
            sink.onEvent(buffer, 0, 10);
            sink.onEvent(buffer, 5, 20);
            sink.flush();

            assertEquals(EventFormat.JSON, sink.format());
            assertEquals("null", sink.name());
            assertEquals(2, sink.eventsWritten());
            assertEquals(32, sink.bytesWritten());
            assertEquals(0, sink.eventsFailed());
            assertNull(sink.lastError());
        }
    }
}
