package dev.httpcap.decoders.http;

import org.agrona.DirectBuffer;

import dev.httpcap.decoders.tcp.StreamListener;
import dev.httpcap.decoders.tcp.TcpFlow;

import static dev.httpcap.decoders.http.HttpStream.SYNC;

/**
 * HTTP/1.x over the reassembled streams of one worker's connections: which connections are HTTP
 * ({@link HttpDetector}), a resumable parser per direction ({@link HttpParser}), the pairing of
 * requests with responses, in order, into {@link HttpTransaction}s ({@link HttpPairing}), and the
 * pools that all of them draw on ({@link HttpPools}). What it counted is in {@link #counters()}.
 * <p>
 * Zero-copy where a line lies inside one segment; everything an event needs is copied into the
 * transaction's bounded store. Nothing throws on input. All pools grow while the worker warms up,
 * then recycle; their sizes are bounded by the configuration.
 * <p>
 * Single-threaded: one instance per worker.
 */
public final class HttpDecoder implements StreamListener
{
    private final HttpConfig config;
    private final HttpCounters counters = new HttpCounters();
    private final HttpPools pools;
    private final HttpPairing pairing;
    private final HttpDetector detector;
    private final HttpParser parser;

    public HttpDecoder(final HttpConfig config, final HttpEventListener listener)
    {
        this.config = config;
        this.pools = new HttpPools(config, counters);
        this.pairing = new HttpPairing(config, listener, counters, pools);
        this.detector = new HttpDetector(config, counters, pools, pairing);
        this.parser = new HttpParser(config, counters, pools, pairing, detector);
    }

    /**
     * Change which header fields events keep and which values are redacted, from the next header
     * line on. Call on the decoder's own thread (between segments); allocates nothing.
     */
    public void rules(final HeaderRules rules)
    {
        parser.rules(rules);
    }

    @Override
    public void onData(
        final TcpFlow flow, final int direction, final DirectBuffer buffer, final int offset, final int length,
        final long timestampNanos)
    {
        // Checked once here: the line and header code reads without per-access checks, and only
        // inside [offset, offset + length).
        if (offset < 0 || length < 0 || (long)offset + length > buffer.capacity())
        {
            throw new IndexOutOfBoundsException(
                "segment [" + offset + ", " + offset + " + " + length + ") outside buffer of " + buffer.capacity());
        }
        pairing.flow = flow;
        final HttpConnection c = detector.connection(flow, buffer, offset, length, direction);
        if (c != null)
        {
            parser.parse(c, c.streams[direction], buffer, offset, offset + length, timestampNanos);
        }
    }

    @Override
    public void onGap(final TcpFlow flow, final int direction, final long length, final long timestampNanos)
    {
        pairing.flow = flow;
        final Object attachment = flow.attachment();
        if (attachment instanceof HttpConnection c)
        {
            parser.gap(c, c.streams[direction], length, timestampNanos);
        }
        else if (attachment == null && config.isHttpPort(flow.serverPort()))
        {
            // Lost before the first byte: decode from the next plausible start line.
            final HttpConnection fresh = detector.attach(flow, flow.isMidstream(), false);
            fresh.streams[direction].state = SYNC;
            fresh.lost(fresh.streams[direction], timestampNanos);
        }
    }

    @Override
    public void onEnd(final TcpFlow flow, final int direction, final boolean reset, final long timestampNanos)
    {
        if (flow.attachment() instanceof HttpConnection c)
        {
            pairing.flow = flow;
            parser.endStream(c, c.streams[direction], reset, timestampNanos);
        }
    }

    /**
     * The connection is over (its record is about to be written): emit every transaction it still
     * holds, in order, and release its state. Call after the reassembler's {@code onFlowEnd}.
     */
    public void onFlowEnd(final TcpFlow flow)
    {
        if (flow.attachment() instanceof HttpConnection c)
        {
            pairing.flow = flow;
            // A side still open here was not seen to close (its FIN already ended it in onEnd).
            parser.endStream(c, c.streams[0], true, flow.lastNanos());
            parser.endStream(c, c.streams[1], true, flow.lastNanos());
            pairing.connectionEnd(c);
            pools.releaseConnection(c);
        }
        flow.attachment(null);
    }

    /** Release native memory held by pooled decompressors (at worker shutdown). */
    public void close()
    {
        pools.close();
    }

    /** @return what this decoder counted (read after the worker has stopped, or for tests). */
    public HttpCounters counters()
    {
        return counters;
    }

    /** @return transactions currently held (for leak checks). */
    public int transactionsInUse()
    {
        return pools.transactionsInUse();
    }

    /** @return permessage-deflate decompressors currently lent out (for leak checks). */
    public int inflatersInUse()
    {
        return pools.inflatersInUse();
    }

    /** @return line buffers currently lent out (for leak checks). */
    public int lineBuffersInUse()
    {
        return pools.lineBuffersInUse();
    }
}
