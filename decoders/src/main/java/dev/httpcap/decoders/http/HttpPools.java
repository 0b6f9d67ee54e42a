package dev.httpcap.decoders.http;

import java.util.Arrays;
import java.util.zip.Inflater;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One worker's recycled HTTP state: connections, transactions, the buffers that gather a line
 * split across segments, and WebSocket decompressors. Each pool grows while the worker warms up,
 * up to its configured bound, then recycles.
 */
final class HttpPools
{
    private static final int INFLATER_SCRATCH = 16 * 1024;
    /** A line buffer's first size: most lines cut by a segment boundary are short. */
    private static final int INITIAL_LINE = 256;

    private final HttpConfig config;
    private final HttpCounters counters;
    private final int maxLine;

    private HttpConnection[] freeConnections = new HttpConnection[64];
    private int freeConnectionCount;
    private HttpTransaction[] freeTransactions = new HttpTransaction[64];
    private int freeTransactionCount;
    private int transactionsAllocated;
    private UnsafeBuffer[] freeLines = new UnsafeBuffer[64];
    private int freeLineCount;
    private int linesAllocated;
    private long lineBytes;
    private Inflater[] freeInflaters = new Inflater[16];
    private int freeInflaterCount;
    private int inflatersAllocated;
    final byte[] inflaterInput = new byte[INFLATER_SCRATCH];
    final byte[] inflaterOutput = new byte[INFLATER_SCRATCH];

    HttpPools(final HttpConfig config, final HttpCounters counters)
    {
        this.config = config;
        this.counters = counters;
        this.maxLine = config.maxLineBytes();
    }

    HttpConnection acquireConnection()
    {
        return freeConnectionCount > 0 ? freeConnections[--freeConnectionCount] : new HttpConnection(config.maxPipelined());
    }

    /** Takes back {@code c} and what its streams still hold (the caller has handled their transactions). */
    void releaseConnection(final HttpConnection c)
    {
        for (final HttpStream s : c.streams)
        {
            dropLine(s);
            s.tx = null;
            if (s.ws != null)
            {
                final Inflater inflater = s.ws.takeInflater();
                if (inflater != null)
                {
                    releaseInflater(inflater);
                }
            }
        }
        if (freeConnectionCount == freeConnections.length)
        {
            freeConnections = Arrays.copyOf(freeConnections, freeConnections.length * 2);
        }
        freeConnections[freeConnectionCount++] = c;
    }

    /**
     * @return a reset transaction; null when {@link HttpConfig#maxTransactions()} are in use, unless
     * {@code beyondLimit} (the caller bounds those otherwise).
     */
    HttpTransaction acquireTransaction(final boolean beyondLimit)
    {
        final HttpTransaction tx;
        if (freeTransactionCount > 0)
        {
            tx = freeTransactions[--freeTransactionCount];
        }
        else if (transactionsAllocated < config.maxTransactions() || beyondLimit)
        {
            transactionsAllocated++;
            tx = new HttpTransaction(config.transactionStoreBytes(), config.maxHeaders());
        }
        else
        {
            counters.increment(HttpCounters.Name.TRANSACTIONS_EXHAUSTED);
            return null;
        }
        tx.reset();
        return tx;
    }

    void releaseTransaction(final HttpTransaction tx)
    {
        if (freeTransactionCount == freeTransactions.length)
        {
            freeTransactions = Arrays.copyOf(freeTransactions, freeTransactions.length * 2);
        }
        freeTransactions[freeTransactionCount++] = tx;
    }

    /**
     * @return a line buffer (it may be small: see {@link #growLine}), or null when every one is
     * lent out or their bytes are used up.
     */
    UnsafeBuffer borrowLine()
    {
        if (freeLineCount > 0)
        {
            return freeLines[--freeLineCount];
        }
        final int size = Math.min(INITIAL_LINE, maxLine + 1);
        if (linesAllocated < config.lineBuffers() && lineBytes + size <= config.lineBufferBytes())
        {
            linesAllocated++;
            lineBytes += size;
            return new UnsafeBuffer(new byte[size]);
        }
        return null;
    }

    /**
     * Makes {@code line} hold at least {@code needed} bytes (at most {@code maxLineBytes + 1}),
     * keeping its first {@code length}.
     *
     * @return false when the line buffers' bytes are used up.
     */
    boolean growLine(final UnsafeBuffer line, final int length, final int needed)
    {
        final int capacity = line.capacity();
        final int size = Math.min(maxLine + 1, Math.max(needed, capacity * 2));
        if (lineBytes + size - capacity > config.lineBufferBytes())
        {
            return false;
        }
        final byte[] grown = new byte[size];
        line.getBytes(0, grown, 0, length);
        line.wrap(grown);
        lineBytes += size - capacity;
        return true;
    }

    /** Forgets the partial line {@code s} holds, and gives back its buffer. */
    void dropLine(final HttpStream s)
    {
        if (s.line != null)
        {
            releaseLine(s.line);
        }
        s.partial = false;
        s.line = null;
        s.lineLength = 0;
        s.lineOverflow = false;
        s.lineLost = false;
        s.lineWireBytes = 0;
    }

    void releaseLine(final UnsafeBuffer line)
    {
        if (freeLineCount == freeLines.length)
        {
            freeLines = Arrays.copyOf(freeLines, freeLines.length * 2);
        }
        freeLines[freeLineCount++] = line;
    }

    /** @return {@code existing}, or a decompressor from the pool, or null when the pool is used up. */
    Inflater borrowInflater(final Inflater existing)
    {
        if (existing != null)
        {
            return existing;
        }
        if (freeInflaterCount > 0)
        {
            return freeInflaters[--freeInflaterCount];
        }
        if (inflatersAllocated < config.wsInflaters())
        {
            inflatersAllocated++;
            return new Inflater(true);
        }
        counters.increment(HttpCounters.Name.WEBSOCKET_INFLATERS_EXHAUSTED);
        return null;
    }

    private void releaseInflater(final Inflater inflater)
    {
        inflater.reset();
        if (freeInflaterCount == freeInflaters.length)
        {
            freeInflaters = Arrays.copyOf(freeInflaters, freeInflaters.length * 2);
        }
        freeInflaters[freeInflaterCount++] = inflater;
    }

    /** Releases the native memory of pooled decompressors. */
    void close()
    {
        for (int i = 0; i < freeInflaterCount; i++)
        {
            freeInflaters[i].end();
        }
        freeInflaterCount = 0;
    }

    int transactionsInUse()
    {
        return transactionsAllocated - freeTransactionCount;
    }

    int inflatersInUse()
    {
        return inflatersAllocated - freeInflaterCount;
    }

    int lineBuffersInUse()
    {
        return linesAllocated - freeLineCount;
    }
}
