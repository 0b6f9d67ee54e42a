package dev.httpcap.sinks;

/**
 * Arrays of exact lengths for the keys or the values the shipper hands to the producer, one per
 * length, used again for the next record of that length. {@code KafkaProducer.send} takes a
 * {@code byte[]} as it is (its {@code ByteArraySerializer} returns the array itself) and copies it
 * into the batch before it returns, keeping no reference to it; so a record's arrays are free again
 * once its send has returned, and a run needs one array per distinct record length instead of two
 * per record. Not so when the producer has {@code interceptor.classes}: an interceptor is handed the
 * record and may keep it (and a partitioner of the user's is handed the bytes), so then every
 * record gets arrays of its own ({@code reuse} false).
 * <p>
 * Bounded: lengths up to {@value #MAX_LENGTH} bytes and {@value #BUDGET_BYTES} bytes kept in all;
 * past either, a record gets an array of its own. One thread.
 */
final class RecordArrays
{
    static final int MAX_LENGTH = 16 << 10;
    static final int BUDGET_BYTES = 16 << 20;

    private final byte[][] byLength;
    private long keptBytes;

    /** @param reuse false to give every record an array of its own. */
    RecordArrays(final boolean reuse)
    {
        byLength = reuse ? new byte[MAX_LENGTH + 1][] : null;
    }

    /** @return an array of exactly {@code length} bytes, which the next call for the same length may return again. */
    byte[] get(final int length)
    {
        if (null == byLength || length > MAX_LENGTH)
        {
            return new byte[length];
        }
        byte[] array = byLength[length];
        if (null == array)
        {
            array = new byte[length];
            if (keptBytes + length <= BUDGET_BYTES)
            {
                byLength[length] = array;
                keptBytes += length;
            }
        }
        return array;
    }

    /** @return bytes held for use again. */
    long keptBytes()
    {
        return keptBytes;
    }
}
