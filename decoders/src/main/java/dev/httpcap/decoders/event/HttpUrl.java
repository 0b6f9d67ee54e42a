package dev.httpcap.decoders.event;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.http.HttpChars;
import dev.httpcap.decoders.http.HttpTransaction;

import static dev.httpcap.decoders.event.EcsNames.ORIGINAL;
import static dev.httpcap.decoders.event.EcsNames.PORT;
import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/**
 * A request's URL taken apart where it lies in the transaction's store (no copy): the target's
 * path, query and, for an absolute-form target, scheme and authority; the server's name and port
 * from the authority or the {@code Host} field. Parsed once per event, read by {@code url.*},
 * {@code server.domain}, {@code destination.domain} and {@code related.hosts}. One per encoder.
 */
final class HttpUrl
{
    private static final byte[] URL = encodeName("url");
    private static final byte[] PATH = encodeName("path");
    private static final byte[] QUERY = encodeName("query");
    private static final byte[] DOMAIN = encodeName("domain");
    private static final byte[] SCHEME = encodeName("scheme");
    private static final byte[] FULL = encodeName("full");
    private static final byte[] SLASH = encodeName("/");
    private static final byte[] HTTP_SCHEME = encodeName("http");
    private static final byte[] SCHEME_SEPARATOR = encodeName("://");

    private DirectBuffer store;
    private boolean hasTarget;
    private int targetOffset;
    private int end;
    private boolean connect;
    private int pathStart;
    private int schemeEnd;
    /** The host without brackets, or domainStart < 0. */
    private int domainStart;
    private int domainEnd;
    /** The authority as written ({@code host[:port]}, userinfo left out), or authorityStart < 0. */
    private int authorityStart;
    private int authorityEnd;
    private int port;
    /** Where this document holds the domain's value and url.original's text, once written: [from, to), or from -1. */
    private int domainFrom;
    private int domainTo;
    private int originalFrom;
    private int originalTo;

    /** Take apart {@code tx}'s target and {@code Host}. */
    void parse(final HttpTransaction tx)
    {
        store = tx.store();
        domainFrom = -1;
        originalFrom = -1;
        hasTarget = tx.hasField(HttpTransaction.TARGET);
        connect = tx.methodKind() == HttpTransaction.METHOD_CONNECT;
        targetOffset = tx.fieldOffset(HttpTransaction.TARGET);
        end = hasTarget ? targetOffset + tx.fieldLength(HttpTransaction.TARGET) : targetOffset;
        pathStart = targetOffset;
        schemeEnd = -1;
        authorityStart = -1;
        authorityEnd = -1;
        if (hasTarget && connect)
        {
            // authority-form: host:port
            authorityStart = targetOffset;
            authorityEnd = end;
            pathStart = end;
        }
        else if (hasTarget && end > targetOffset && store.getByte(targetOffset) != '/' && store.getByte(targetOffset) != '*')
        {
            // absolute-form: scheme://authority/path?query
            final int colon = HttpChars.indexOf(store, targetOffset, end, (byte)':');
            if (colon > targetOffset && colon + 2 < end && store.getByte(colon + 1) == '/' && store.getByte(colon + 2) == '/')
            {
                schemeEnd = colon;
                authorityStart = colon + 3;
                int i = authorityStart;
                while (i < end)
                {
                    final byte b = store.getByte(i);
                    if (b == '/' || b == '?' || b == '#')
                    {
                        break;
                    }
                    i++;
                }
                final int at = lastIndexOf(store, authorityStart, i, (byte)'@');
                if (at >= 0)
                {
                    authorityStart = at + 1; // never report userinfo
                }
                authorityEnd = i;
                pathStart = i;
            }
        }
        if (authorityStart < 0 && tx.hasField(HttpTransaction.HOST))
        {
            authorityStart = tx.fieldOffset(HttpTransaction.HOST);
            authorityEnd = authorityStart + tx.fieldLength(HttpTransaction.HOST);
        }
        domainStart = -1;
        port = -1;
        if (authorityStart >= 0)
        {
            int hostEnd = hostEnd(store, authorityStart, authorityEnd);
            int hostStart = authorityStart;
            if (hostEnd < authorityEnd && store.getByte(hostEnd) == ':')
            {
                port = port(store, hostEnd + 1, authorityEnd);
            }
            if (hostEnd > hostStart && store.getByte(hostStart) == '[' && store.getByte(hostEnd - 1) == ']')
            {
                hostStart++;
                hostEnd--;
            }
            if (hostEnd > hostStart)
            {
                domainStart = hostStart;
                domainEnd = hostEnd;
            }
        }
    }

    /** @return whether the request named its server ({@code Host} or the target's authority). */
    boolean hasDomain()
    {
        return domainStart >= 0;
    }

    /** Write the server's name as a string value (after the first time in a document, a copy of it unless cutting). */
    void domainValue(final JsonWriter out)
    {
        if (domainFrom >= 0 && !out.cutting())
        {
            out.copiedValue(domainFrom, domainTo);
            return;
        }
        domainFrom = out.position();
        out.value(store, domainStart, domainEnd - domainStart);
        domainTo = out.position();
    }

    /** Write {@code url: {original, path, query, scheme, domain, port, full}} when the request had a target. */
    void write(final JsonWriter out)
    {
        if (!hasTarget)
        {
            return;
        }
        out.startObject(URL).name(ORIGINAL);
        originalFrom = out.position() + 1; // the text, inside the quotes
        out.value(store, targetOffset, end - targetOffset);
        originalTo = out.position() - 1;
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
                out.name(PATH);
                targetPiece(out, pathStart, pathEnd);
            }
            else if (schemeEnd >= 0)
            {
                out.name(PATH).rawString(SLASH); // an absolute URI without a path means "/"
            }
            if (question >= 0)
            {
                out.name(QUERY);
                targetPiece(out, question + 1, fragment);
            }
        }
        if (!connect)
        {
            out.name(SCHEME);
            if (schemeEnd >= 0)
            {
                out.value(store, targetOffset, schemeEnd - targetOffset);
            }
            else
            {
                out.rawString(HTTP_SCHEME); // an origin-form request seen in clear text is http
            }
        }
        if (domainStart >= 0)
        {
            out.name(DOMAIN);
            domainValue(out);
        }
        if (port >= 0)
        {
            out.name(PORT).value(port);
        }
        if (!connect && authorityStart >= 0 && (pathStart == end || store.getByte(pathStart) == '/' || schemeEnd >= 0))
        {
            // scheme://authority/path?query#fragment, as the client would have written it in full
            out.name(FULL).startString();
            if (schemeEnd >= 0)
            {
                out.appendEscaped(store, targetOffset, schemeEnd - targetOffset);
            }
            else
            {
                out.appendAscii(HTTP_SCHEME);
            }
            out.appendAscii(SCHEME_SEPARATOR).appendEscaped(store, authorityStart, authorityEnd - authorityStart);
            if (pathStart == end || store.getByte(pathStart) != '/')
            {
                out.appendAscii(SLASH);
            }
            if (pathStart == targetOffset && !out.cutting())
            {
                out.appendCopy(originalFrom, originalTo); // an origin-form target: url.original as written
            }
            else
            {
                out.appendEscaped(store, pathStart, end - pathStart);
            }
            out.endString();
        }
        out.endObject();
    }

    /**
     * Write {@code [from, to)} of the target as a string value: copied from {@code url.original}'s
     * text when that needed no escaping (so that it maps byte for byte), else escaped again. Not
     * copied while cutting, which plans a cut for each string written.
     */
    private void targetPiece(final JsonWriter out, final int from, final int to)
    {
        if (originalTo - originalFrom == end - targetOffset && !out.cutting())
        {
            out.startString().appendCopy(originalFrom + from - targetOffset, originalFrom + to - targetOffset).endString();
        }
        else
        {
            out.value(store, from, to - from);
        }
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

    /** @return the port in {@code [start, end)} (1 to 65535, decimal digits only), or -1. */
    private static int port(final DirectBuffer buffer, final int start, final int end)
    {
        if (end <= start || end - start > 5)
        {
            return -1;
        }
        int value = 0;
        for (int i = start; i < end; i++)
        {
            final int digit = buffer.getByte(i) - '0';
            if (digit < 0 || digit > 9)
            {
                return -1;
            }
            value = value * 10 + digit;
        }
        return value >= 1 && value <= 65535 ? value : -1;
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
}
