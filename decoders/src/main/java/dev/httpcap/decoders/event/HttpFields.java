package dev.httpcap.decoders.event;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.http.HttpChars;
import dev.httpcap.decoders.http.HttpTransaction;

import static dev.httpcap.decoders.event.EcsNames.ORIGINAL;
import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/** The parts of an HTTP event derived from the transaction's stored text: {@code url.*}, {@code mime_type}, {@code headers}. */
final class HttpFields
{
    private static final byte[] URL = encodeName("url");
    private static final byte[] PATH = encodeName("path");
    private static final byte[] QUERY = encodeName("query");
    private static final byte[] DOMAIN = encodeName("domain");
    private static final byte[] SCHEME = encodeName("scheme");
    private static final byte[] MIME_TYPE = encodeName("mime_type");
    private static final byte[] HEADERS = encodeName("headers");
    private static final byte[] REDACTED_VALUE = encodeName("[redacted]");
    private static final byte[] SLASH = encodeName("/");
    private static final byte[] LIST_SEPARATOR = encodeName(", ");

    private HttpFields()
    {
    }

    static void url(final JsonWriter out, final HttpTransaction tx, final DirectBuffer store)
    {
        final int targetOffset = tx.fieldOffset(HttpTransaction.TARGET);
        final int targetLength = tx.fieldLength(HttpTransaction.TARGET);
        final int end = targetOffset + targetLength;
        out.startObject(URL).name(ORIGINAL).value(store, targetOffset, targetLength);

        int pathStart = targetOffset;
        int domainStart = -1;
        int domainEnd = -1;
        int schemeEnd = -1;
        if (tx.methodKind() == HttpTransaction.METHOD_CONNECT)
        {
            // authority-form: host:port
            domainStart = targetOffset;
            domainEnd = hostEnd(store, targetOffset, end);
            pathStart = end;
        }
        else if (targetLength > 0 && store.getByte(targetOffset) != '/' && store.getByte(targetOffset) != '*')
        {
            // absolute-form: scheme://authority/path?query
            final int colon = HttpChars.indexOf(store, targetOffset, end, (byte)':');
            if (colon > targetOffset && colon + 2 < end && store.getByte(colon + 1) == '/' && store.getByte(colon + 2) == '/')
            {
                schemeEnd = colon;
                domainStart = colon + 3;
                int authorityEnd = domainStart;
                while (authorityEnd < end)
                {
                    final byte b = store.getByte(authorityEnd);
                    if (b == '/' || b == '?' || b == '#')
                    {
                        break;
                    }
                    authorityEnd++;
                }
                final int at = lastIndexOf(store, domainStart, authorityEnd, (byte)'@');
                if (at >= 0)
                {
                    domainStart = at + 1; // never report userinfo
                }
                domainEnd = hostEnd(store, domainStart, authorityEnd);
                pathStart = authorityEnd;
            }
        }
        if (pathStart < end || schemeEnd >= 0)
        {
            int fragment = HttpChars.indexOf(store, pathStart, end, (byte)'#');
            if (fragment < 0)
            {
                fragment = end;
            }
            final int question = HttpChars.indexOf(store, pathStart, fragment, (byte)'?');
            final int pathEnd = question >= 0 ? question : fragment;
            if (pathEnd > pathStart)
            {
                out.name(PATH).value(store, pathStart, pathEnd - pathStart);
            }
            else if (schemeEnd >= 0)
            {
                out.name(PATH).rawString(SLASH); // an absolute URI without a path means "/"
            }
            if (question >= 0)
            {
                out.name(QUERY).value(store, question + 1, fragment - question - 1);
            }
        }
        if (schemeEnd >= 0)
        {
            out.name(SCHEME).value(store, targetOffset, schemeEnd - targetOffset);
        }
        if (domainStart < 0 && tx.hasField(HttpTransaction.HOST))
        {
            domainStart = tx.fieldOffset(HttpTransaction.HOST);
            domainEnd = hostEnd(store, domainStart, domainStart + tx.fieldLength(HttpTransaction.HOST));
        }
        if (domainStart >= 0 && domainEnd > domainStart)
        {
            if (store.getByte(domainStart) == '[' && store.getByte(domainEnd - 1) == ']')
            {
                domainStart++;
                domainEnd--;
            }
            out.name(DOMAIN).value(store, domainStart, domainEnd - domainStart);
        }
        out.endObject();
    }

    /** @return the end of the host in {@code host[:port]} or {@code [v6][:port]}. */
    private static int hostEnd(final DirectBuffer buffer, final int start, final int end)
    {
        if (start < end && buffer.getByte(start) == '[')
        {
            final int close = HttpChars.indexOf(buffer, start, end, (byte)']');
            return close >= 0 ? close + 1 : end;
        }
        final int colon = HttpChars.indexOf(buffer, start, end, (byte)':');
        return colon >= 0 ? colon : end;
    }

    private static int lastIndexOf(final DirectBuffer buffer, final int start, final int end, final byte b)
    {
        for (int i = end - 1; i >= start; i--)
        {
            if (buffer.getByte(i) == b)
            {
                return i;
            }
        }
        return -1;
    }

    static void mimeType(final JsonWriter out, final HttpTransaction tx, final int field)
    {
        if (!tx.hasField(field))
        {
            return;
        }
        final DirectBuffer store = tx.store();
        final int start = tx.fieldOffset(field);
        int end = start + tx.fieldLength(field);
        final int semicolon = HttpChars.indexOf(store, start, end, (byte)';');
        if (semicolon >= 0)
        {
            end = semicolon;
        }
        while (end > start && HttpChars.isSpace(store.getByte(end - 1)))
        {
            end--;
        }
        if (end > start)
        {
            out.name(MIME_TYPE).value(store, start, end - start);
        }
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
        for (int k = 0; k < nameLength; k++)
        {
            if (store.getByte(other + k) != store.getByte(nameOffset + k))
            {
                return false;
            }
        }
        return true;
    }
}
