package dev.httpcap.sinks;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StdoutSinkTest
{
    private static UnsafeBuffer ascii(final String text)
    {
        return new UnsafeBuffer(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static void offer(final EventSink sink, final String event)
    {
        final DirectBuffer buffer = ascii(event);
        sink.onEvent(buffer, 0, buffer.capacity());
    }

    private static String event(final int length, final int seed)
    {
        final StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++)
        {
            sb.append((char)('a' + (seed + i) % 26));
        }
        return sb.toString();
    }

    @Test
    void shouldAppendLineBreakAndHoldEventsWhenBatchNotFlushed()
    {
        final TestChannel channel = new TestChannel();
        final StdoutSink sink = new StdoutSink(EventFormat.JSON, channel, 1024, "stdout:json");

        offer(sink, "{\"a\":1}");
        offer(sink, "{\"b\":2}");
        assertEquals(0, channel.total(), "nothing reaches the output before the end of the batch");
        assertEquals(0, sink.eventsWritten());

        sink.flush();
        assertEquals("{\"a\":1}\n{\"b\":2}\n", channel.text());
        assertEquals(1, channel.writeCalls(), "one write per batch");
        assertEquals(2, sink.eventsWritten());
        assertEquals(16, sink.bytesWritten());
        assertEquals(0, sink.eventsFailed());
        assertNull(sink.lastError());

        sink.flush();
        assertEquals(1, channel.writeCalls(), "an empty flush writes nothing");
    }

    @Test
    void shouldWriteBatchWhenBufferFills()
    {
        final TestChannel channel = new TestChannel();
        final StdoutSink sink = new StdoutSink(EventFormat.TEXT, channel, 32, "stdout");

        offer(sink, event(10, 0));
        offer(sink, event(10, 1));
        assertEquals(0, channel.total());
        offer(sink, event(10, 2));
        assertEquals(22, channel.total(), "the full batch went out before the event that did not fit");

        sink.close();
        assertEquals(event(10, 0) + "\n" + event(10, 1) + "\n" + event(10, 2) + "\n", channel.text());
        assertEquals(3, sink.eventsWritten());
    }

    @Test
    void shouldWriteEventWhenLargerThanBatch()
    {
        final TestChannel channel = new TestChannel();
        final StdoutSink sink = new StdoutSink(EventFormat.JSON, channel, 64, "stdout:json");
        final String large = event(1000, 7);

        offer(sink, "small-1");
        offer(sink, large);
        offer(sink, "small-2");
        sink.flush();

        assertEquals("small-1\n" + large + "\nsmall-2\n", channel.text());
        assertEquals(3, sink.eventsWritten());
        assertEquals(8 + 1001 + 8, sink.bytesWritten());
        assertEquals(0, sink.eventsFailed());
    }

    @Test
    void shouldKeepEveryEventIntactWhenLengthsSpanBatchCapacity()
    {
        final int capacity = 16;
        final TestChannel channel = new TestChannel();
        final StdoutSink sink = new StdoutSink(EventFormat.JSON, channel, capacity, "stdout:json");
        final StringBuilder expected = new StringBuilder();

        // Every length around the capacity, after every amount already in the batch.
        for (int before = 0; before < capacity; before++)
        {
            for (int length = 0; length <= 3 * capacity; length++)
            {
                if (before > 0)
                {
                    final String filler = event(before - 1, before);
                    offer(sink, filler);
                    expected.append(filler).append('\n');
                }
                final String event = event(length, length);
                offer(sink, event);
                expected.append(event).append('\n');
            }
            sink.flush();
        }

        assertEquals(expected.toString(), channel.text());
        assertEquals(expected.length(), sink.bytesWritten());
        assertEquals(expected.chars().filter(c -> c == '\n').count(), sink.eventsWritten());
    }

    @Test
    void shouldCopyEventWhenBufferIsHeapDirectOrOffset()
    {
        final TestChannel channel = new TestChannel();
        final StdoutSink sink = new StdoutSink(EventFormat.TEXT, channel, 1024, "stdout");

        final ByteBuffer direct = ByteBuffer.allocateDirect(32);
        direct.put(5, "direct".getBytes(StandardCharsets.US_ASCII));
        sink.onEvent(new UnsafeBuffer(direct), 5, 6);

        final ExpandableArrayBuffer expandable = new ExpandableArrayBuffer(8);
        expandable.putStringWithoutLengthAscii(3, "expandable");
        sink.onEvent(expandable, 3, 10);

        sink.onEvent(ascii("..heap.."), 2, 4);
        sink.flush();

        assertEquals("direct\nexpandable\nheap\n", channel.text());
    }

    @Test
    void shouldCountFailedNotThrowWhenChannelClosed()
    {
        final WritableByteChannel channel = Channels.newChannel(new ByteArrayOutputStream());
        final StdoutSink sink = new StdoutSink(EventFormat.JSON, channel, 1024, "stdout:json");
        assertTrue(channel.isOpen());
        sink.close();
        assertTrue(channel.isOpen(), "the sink does not own the channel");

        final StdoutSink second = new StdoutSink(EventFormat.JSON, channel, 1024, "stdout:json");
        try
        {
            channel.close();
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError(ex);
        }
        offer(second, "one");
        offer(second, "two");
        second.flush();
        offer(second, "three");
        second.close();

        assertEquals(0, second.eventsWritten());
        assertEquals(3, second.eventsFailed());
        assertEquals("ClosedChannelException", second.lastError());
    }

    @Test
    void shouldCountFailedAndKeepFirstErrorWhenDiskFills()
    {
        final TestChannel channel = new TestChannel().space(20);
        final StdoutSink sink = new StdoutSink(EventFormat.JSON, channel, 1024, "stdout:json");

        offer(sink, "123456789");
        sink.flush();
        offer(sink, "abcdefghi");
        offer(sink, "ABCDEFGHI");
        sink.flush();
        assertEquals(1, sink.eventsWritten());
        assertEquals(2, sink.eventsFailed(), "a batch that could not be written in full is counted failed");
        assertEquals(20, sink.bytesWritten(), "the bytes that did reach the output are counted");
        assertEquals("IOException: " + TestChannel.NO_SPACE, sink.lastError());

        channel.close();
        offer(sink, "later");
        sink.flush();
        assertEquals(3, sink.eventsFailed());
        assertEquals("IOException: " + TestChannel.NO_SPACE, sink.lastError(), "the first error is kept");
    }

    @Test
    void shouldStartNewLineWhenFailedWriteLeftPartialLine()
    {
        final TestChannel channel = new TestChannel().space(14);
        final StdoutSink sink = new StdoutSink(EventFormat.JSON, channel, 1024, "stdout:json");

        offer(sink, "first");
        offer(sink, "second");
        offer(sink, "third");
        sink.flush();
        assertEquals("first\nsecond\nt", channel.text());

        channel.space(Long.MAX_VALUE);
        offer(sink, "fourth");
        sink.flush();
        assertEquals("first\nsecond\nt\nfourth\n", channel.text(), "the damaged line is ended before the next event");
        assertEquals(3, sink.eventsFailed());
        assertEquals(1, sink.eventsWritten());
    }

    @Test
    void shouldCountOneFailedWhenLargeEventCannotBeWritten()
    {
        final TestChannel channel = new TestChannel().space(100);
        final StdoutSink sink = new StdoutSink(EventFormat.JSON, channel, 32, "stdout:json");

        offer(sink, "ok");
        offer(sink, event(500, 3));
        offer(sink, "lost");
        sink.flush();

        assertEquals(1, sink.eventsWritten());
        assertEquals(2, sink.eventsFailed());

        channel.space(Long.MAX_VALUE);
        offer(sink, "after");
        sink.flush();
        assertEquals("ok\n" + event(500, 3).substring(0, 97) + "\nafter\n", channel.text());
    }

    @Test
    void shouldRetryWhenChannelWritesPartially()
    {
        final TestChannel channel = new TestChannel().maxPerWrite(3);
        final StdoutSink sink = new StdoutSink(EventFormat.TEXT, channel, 16, "stdout");
        final String large = event(40, 1);

        offer(sink, "abc");
        offer(sink, large);
        sink.flush();

        assertEquals("abc\n" + large + "\n", channel.text());
        assertEquals(2, sink.eventsWritten());
        assertEquals(0, sink.eventsFailed());
    }

    @Test
    void shouldCountFailedWhenEventOfferedAfterClose()
    {
        final TestChannel channel = new TestChannel();
        final StdoutSink sink = new StdoutSink(EventFormat.TEXT, channel, 64, "stdout");

        offer(sink, "before");
        sink.close();
        assertEquals("before\n", channel.text(), "close flushes");
        sink.close();

        offer(sink, "after");
        sink.flush();
        assertEquals("before\n", channel.text());
        assertEquals(1, sink.eventsWritten());
        assertEquals(1, sink.eventsFailed());
        assertTrue(sink.lastError().contains("closed"));
        assertTrue(channel.isOpen());
    }

    @Test
    void shouldNotAllocateWhenWritingEvents()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final TestChannel channel = new TestChannel(false);
        final StdoutSink sink = new StdoutSink(EventFormat.JSON, channel, 4096, "stdout:json");
        final UnsafeBuffer small = ascii(event(100, 0));
        final UnsafeBuffer large = new UnsafeBuffer(ByteBuffer.allocateDirect(10_000));

        writeEvents(sink, small, large, 20_000);
        threads.getCurrentThreadAllocatedBytes();
        final long before = threads.getCurrentThreadAllocatedBytes();
        writeEvents(sink, small, large, 100_000);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        // One allocation per event would be >= 1.6 MB; a few KB are the JVM's own noise (TLAB, JIT).
        assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes for 100k events");
        assertEquals(120_000, sink.eventsWritten());
    }

    private static void writeEvents(
        final EventSink sink, final DirectBuffer small, final DirectBuffer large, final int count)
    {
        for (int i = 1; i <= count; i++)
        {
            if (0 == i % 1000)
            {
                sink.onEvent(large, 0, large.capacity());
            }
            else
            {
                sink.onEvent(small, 0, small.capacity());
            }
            if (0 == i % 64)
            {
                sink.flush();
            }
        }
        sink.flush();
    }
}
