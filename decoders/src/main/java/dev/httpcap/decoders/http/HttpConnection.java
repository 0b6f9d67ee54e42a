package dev.httpcap.decoders.http;

/**
 * HTTP state of one TCP connection: a parser per direction and the requests waiting for their
 * responses, in order (pipelining). Pooled by the decoder and attached to the flow.
 */
final class HttpConnection
{
    final HttpStream[] streams = {new HttpStream(true), new HttpStream(false)};
    /** Requests in order: [head, cursor) answered or being answered, [cursor, tail) waiting. */
    final HttpTransaction[] queue;
    private final int mask;
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

    HttpConnection(final int maxPipelined)
    {
        int size = 1;
        while (size < maxPipelined)
        {
            size <<= 1;
        }
        queue = new HttpTransaction[size];
        mask = size - 1;
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
        final int initial = midstream ? HttpStream.SYNC : HttpStream.START;
        streams[0].reset(initial);
        streams[1].reset(initial);
    }

    int queued()
    {
        return (int)(tail - head);
    }

    HttpTransaction at(final long position)
    {
        return queue[(int)position & mask];
    }

    void push(final HttpTransaction tx)
    {
        queue[(int)tail & mask] = tx;
        tail++;
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
