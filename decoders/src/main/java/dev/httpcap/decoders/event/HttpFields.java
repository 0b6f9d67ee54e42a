package dev.httpcap.decoders.event;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.http.HttpTransaction;

import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/** The {@code headers} objects of an HTTP event: the fields kept, repeated names joined, redacted values marked. */
final class HttpFields
{
    private static final byte[] HEADERS = encodeName("headers");
    private static final byte[] REDACTED_VALUE = encodeName("[redacted]");
    private static final byte[] LIST_SEPARATOR = encodeName(", ");

    private HttpFields()
    {
    }

    static void headers(final JsonWriter out, final HttpTransaction tx, final int side)
    {
        final int count = tx.headerCount(side);
        if (count == 0)
        {
            return;
        }
        final int[] table = tx.headerTable(side);
        final DirectBuffer store = tx.store();
        out.stringClass(JsonWriter.HEADER).startObject(HEADERS);
        for (int i = 0; i < count; i++)
        {
            final int nameOffset = table[4 * i];
            final int nameLength = table[4 * i + 1];
            if (seenBefore(store, table, i, nameOffset, nameLength))
            {
                continue;
            }
            // Repeated fields are one member, their values joined with ", " (RFC 9110 5.3).
            out.name(store, nameOffset, nameLength).startString();
            boolean first = true;
            for (int k = i; k < count; k++)
            {
                if (k != i && !sameName(store, table, k, nameOffset, nameLength))
                {
                    continue;
                }
                if (!first)
                {
                    out.appendAscii(LIST_SEPARATOR);
                }
                first = false;
                final int valueLength = table[4 * k + 3];
                if (valueLength == HttpTransaction.REDACTED)
                {
                    out.appendAscii(REDACTED_VALUE);
                }
                else
                {
                    out.appendEscaped(store, table[4 * k + 2], valueLength);
                }
            }
            out.endString();
        }
        out.endObject().stringClass(JsonWriter.KEPT);
    }

    private static boolean seenBefore(
        final DirectBuffer store, final int[] table, final int index, final int nameOffset, final int nameLength)
    {
        for (int j = 0; j < index; j++)
        {
            if (sameName(store, table, j, nameOffset, nameLength))
            {
                return true;
            }
        }
        return false;
    }

    private static boolean sameName(
        final DirectBuffer store, final int[] table, final int index, final int nameOffset, final int nameLength)
    {
        if (table[4 * index + 1] != nameLength)
        {
            return false;
        }
        final int other = table[4 * index];
        int k = 0;
        for (; k + Long.BYTES <= nameLength; k += Long.BYTES)
        {
            if (store.getLong(other + k) != store.getLong(nameOffset + k))
            {
                return false;
            }
        }
        for (; k < nameLength; k++)
        {
            if (store.getByte(other + k) != store.getByte(nameOffset + k))
            {
                return false;
            }
        }
        return true;
    }
}
