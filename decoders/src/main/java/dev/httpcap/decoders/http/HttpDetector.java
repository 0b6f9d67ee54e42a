package dev.httpcap.decoders.http;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.tcp.TcpFlow;

/**
 * Which connections are HTTP. On a configured HTTP port every connection is decoded; on any other
 * port (unless detection is off) one is decoded while its first bytes could be a request or status
 * line, and given up ({@code not_http}) once a direction shows it is not.
 */
final class HttpDetector
{
    /** Attached to a flow found not to be HTTP, so that its later segments cost one check. */
    private static final Object NOT_HTTP = new Object();
    /** Longest method looked for before the space that ends it. */
    static final int MAX_METHOD = 32;

    private final HttpConfig config;
    private final HttpCounters counters;
    private final HttpPools pools;
    private final HttpPairing pairing;

    HttpDetector(final HttpConfig config, final HttpCounters counters, final HttpPools pools, final HttpPairing pairing)
    {
        this.config = config;
        this.counters = counters;
        this.pools = pools;
        this.pairing = pairing;
    }

    /** @return the HTTP state of {@code flow}, created on its first data, or null when it is not decoded as HTTP. */
    HttpConnection connection(
        final TcpFlow flow, final DirectBuffer buffer, final int offset, final int length, final int direction)
    {
        final Object attachment = flow.attachment();
        if (attachment instanceof HttpConnection c)
        {
            return c;
        }
        if (attachment != null)
        {
            return null;
        }
        final boolean port = config.isHttpPort(flow.serverPort());
        if (!port && !config.detectOnAnyPort())
        {
            markNotHttp(flow);
            return null;
        }
        if (!port && !flow.isMidstream() && length > 0 &&
            !startsPlausibly(buffer.getByte(offset), direction == TcpFlow.FROM_CLIENT))
        {
            markNotHttp(flow);
            return null;
        }
        return attach(flow, flow.isMidstream(), !port);
    }

    /** @return new HTTP state for {@code flow}, attached to it. */
    HttpConnection attach(final TcpFlow flow, final boolean midstream, final boolean probing)
    {
        counters.increment(HttpCounters.Name.CONNECTIONS);
        final HttpConnection c = pools.acquireConnection();
        c.reset(midstream, probing);
        flow.attachment(c);
        return c;
    }

    /** {@code bytes} more of a direction were searched for a start line: past the probe limit the connection is not HTTP. */
    void probe(final HttpConnection c, final HttpStream s, final long bytes)
    {
        s.probed += bytes;
        if (s.probed > config.probeBytes())
        {
            notHttp(c);
        }
    }

    /** {@code c} is found not to be HTTP: its state goes back to the pools and the flow is marked. */
    void notHttp(final HttpConnection c)
    {
        counters.decrement(HttpCounters.Name.CONNECTIONS);
        pairing.discard(c);
        pools.releaseConnection(c);
        markNotHttp(pairing.flow);
    }

    private void markNotHttp(final TcpFlow flow)
    {
        counters.increment(HttpCounters.Name.NOT_HTTP);
        flow.attachment(NOT_HTTP);
    }

    /** @return whether a message in this direction could begin with byte {@code b}. */
    static boolean startsPlausibly(final byte b, final boolean request)
    {
        return request ? (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || b == '\r' || b == '\n' : b == 'H' || b == 'h';
    }

    /** @return whether the bytes begin with an upper-case method and a space. */
    static boolean looksLikeRequest(final DirectBuffer buffer, final int offset, final int end)
    {
        int i = offset;
        while (i < end && i - offset <= MAX_METHOD)
        {
            final byte b = buffer.getByte(i);
            if (b == ' ')
            {
                return i > offset;
            }
            if (b < 'A' || b > 'Z')
            {
                return false;
            }
            i++;
        }
        return false;
    }
}
