package dev.httpcap.decoders.http;

import dev.httpcap.decoders.tcp.Tags;

/**
 * HTTP state of one TCP connection: a parser per direction and the requests waiting for their
 * responses, in order (pipelining). Pooled by the decoder and attached to the flow.
 */
final class HttpConnection
{
    /** Queue slots a new connection starts with: most connections never have more requests in flight. */
    static final int INITIAL_QUEUE = 4;

    final HttpStream[] streams = {new HttpStream(true), new HttpStream(false)};
    /**
     * Requests in order: [head, cursor) answered or being answered, [cursor, tail) waiting; the
     * request at position p is at {@code queue[p & mask]}. Starts small and doubles, up to
     * {@link #capacity}, when a connection pipelines deeper (kept, as connections are pooled): 100,000
     * open connections would otherwise hold 100,000 arrays of the largest size, nearly all empty.
     */
    private HttpTransaction[] queue;
    private int mask;
    /** Most requests in flight: the configured limit rounded up to a power of two. */
    private final int capacity;
    long head;
    long cursor;
    long tail;

    int depth;
    boolean midstream;
    /** Not on an HTTP port: decoded only once a direction shows a start line. */
    boolean probing;
    /** A valid start line was seen in either direction. */
    boolean confirmed;
    /** A request began while an earlier one had no response yet. */
    boolean pipelined;
    /** Bytes of the client's stream were lost: a response may answer a request never seen. */
    boolean clientLost;
    /** Bytes of the server's stream were lost where they broke a message. */
    boolean serverLost;
    /**
     * Both directions lost bytes at times that overlap: a transaction whose request and response
     * were both lost leaves no trace, so the depths from here on are a guess.
     */
    boolean depthGuessed;

    HttpConnection(final int maxPipelined)
    {
        int size = 1;
        while (size < maxPipelined)
        {
            size <<= 1;
        }
        capacity = size;
        queue = new HttpTransaction[Math.min(size, INITIAL_QUEUE)];
        mask = queue.length - 1;
    }

    void reset(final boolean midstream, final boolean probing)
    {
        head = cursor = tail = 0;
        depth = 0;
        this.midstream = midstream;
        this.probing = probing;
        confirmed = false;
        pipelined = false;
        clientLost = false;
        serverLost = false;
        depthGuessed = false;
        final int initial = midstream ? HttpStream.SYNC : HttpStream.START;
        streams[0].reset(initial);
        streams[1].reset(initial);
    }

    /**
     * Direction {@code s} lost bytes that broke a message, noticed at {@code nowNanos}: it looks for
     * the next start line ({@link HttpStream#resynced}), and the loss is kept for the pairing and
     * the depths. One at a time, a transaction vanishes whole only when its request and its
     * response were both lost, which puts the two losses' windows (last segment before, first
     * after) over each other.
     */
    void lost(final HttpStream s, final long nowNanos)
    {
        final boolean wasGuessed = depthGuessed();
        if (s.requests)
        {
            clientLost = true;
        }
        else
        {
            serverLost = true;
        }
        s.resynced = true;
        s.lostSinceResync = true;
        s.lostFromNanos = Math.min(s.lastDataNanos, nowNanos);
        s.lostToNanos = nowNanos;
        final HttpStream other = streams[s.requests ? 1 : 0];
        final boolean otherLost = s.requests ? serverLost : clientLost;
        if (otherLost && other.lostFromNanos <= nowNanos && s.lostFromNanos <= other.lostToNanos)
        {
            depthGuessed = true;
        }
        if (!wasGuessed && depthGuessed())
        {
            // Noticed only now, at the second loss: the transactions numbered since the first one
            // and not yet emitted carry the guess too (one at a time, the very request after a
            // transaction lost whole is among them).
            for (long position = head; position < tail; position++)
            {
                at(position).tags |= Tags.DEPTH_GUESSED;
            }
            for (final HttpStream stream : streams)
            {
                if (stream.tx != null)
                {
                    stream.tx.tags |= Tags.DEPTH_GUESSED;
                }
            }
        }
    }

    /**
     * @return whether the depths numbered from now on are a guess: both directions lost bytes at
     *         overlapping times, or at any times while pipelining (requests run ahead of their
     *         answers, so the two losses need not overlap).
     */
    boolean depthGuessed()
    {
        return depthGuessed || (pipelined && clientLost && serverLost);
    }

    int queued()
    {
        return (int)(tail - head);
    }

    HttpTransaction at(final long position)
    {
        return queue[(int)position & mask];
    }

    /** @return whether {@link #push} would go past the most requests in flight. */
    boolean full()
    {
        return queued() == capacity;
    }

    /** Queue {@code tx} after the others; the caller has checked that the queue is not {@link #full()}. */
    void push(final HttpTransaction tx)
    {
        if (queued() == queue.length)
        {
            grow();
        }
        queue[(int)tail & mask] = tx;
        tail++;
    }

    /** @return the slots the queue has now (a power of two, at most the configured limit rounded up). */
    int queueSlots()
    {
        return queue.length;
    }

    private void grow()
    {
        final HttpTransaction[] grown = new HttpTransaction[queue.length << 1];
        final int grownMask = grown.length - 1;
        for (long position = head; position < tail; position++)
        {
            grown[(int)position & grownMask] = queue[(int)position & mask];
        }
        queue = grown;
        mask = grownMask;
    }

    /** Takes the request at {@code position} (in [head, tail)) out of the queue; those after it move up. */
    HttpTransaction removeAt(final long position)
    {
        final HttpTransaction tx = at(position);
        for (long p = position; p > head; p--)
        {
            queue[(int)p & mask] = queue[(int)(p - 1) & mask];
        }
        queue[(int)head & mask] = null;
        if (position >= cursor)
        {
            cursor++; // the answered ones before it moved up too
        }
        head++;
        return tx;
    }

    HttpTransaction pop()
    {
        final int index = (int)head & mask;
        final HttpTransaction tx = queue[index];
        queue[index] = null;
        head++;
        if (cursor < head)
        {
            cursor = head;
        }
        return tx;
    }
}
