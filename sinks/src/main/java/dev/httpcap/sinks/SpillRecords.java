package dev.httpcap.sinks;

import org.agrona.DirectBuffer;

import java.util.Arrays;

/**
 * The records of one read of the spill ({@link SpillQueue#read(SpillRecords, int, int)}), as views
 * into the reader's buffer: no copy and no allocation per record. Valid until the next read of the
 * same queue, which refills that buffer; a read into views therefore stops at the end of one
 * buffer's worth of records (about 1 MiB).
 */
final class SpillRecords
{
    private final DirectBuffer[] buffers;
    private final int[] offsets;
    private final int[] lengths;
    private int count;

    /** @param capacity the most records one read may return into this. */
    SpillRecords(final int capacity)
    {
        buffers = new DirectBuffer[capacity];
        offsets = new int[capacity];
        lengths = new int[capacity];
    }

    /** @return the most records one read may return into this. */
    int capacity()
    {
        return lengths.length;
    }

    int size()
    {
        return count;
    }

    boolean isEmpty()
    {
        return 0 == count;
    }

    /** @return the buffer holding record {@code i}. */
    DirectBuffer buffer(final int i)
    {
        return buffers[i];
    }

    /** @return where record {@code i} starts in its {@link #buffer}. */
    int offset(final int i)
    {
        return offsets[i];
    }

    /** @return the length of record {@code i}. */
    int length(final int i)
    {
        return lengths[i];
    }

    /** Forget the records (and the buffers they were in). */
    void clear()
    {
        Arrays.fill(buffers, 0, count, null);
        count = 0;
    }

    void add(final DirectBuffer buffer, final int offset, final int length)
    {
        buffers[count] = buffer;
        offsets[count] = offset;
        lengths[count] = length;
        count++;
    }
}
