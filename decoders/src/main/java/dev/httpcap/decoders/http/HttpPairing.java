package dev.httpcap.decoders.http;

import java.util.zip.Inflater;

import dev.httpcap.decoders.tcp.Tags;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.websocket.WebSocketHandler;
import dev.httpcap.decoders.websocket.WebSocketMessage;

import static dev.httpcap.decoders.http.HttpStream.START;
import static dev.httpcap.decoders.http.HttpStream.WAIT;

/**
 * The life of a transaction: a request opens it and queues it on its connection, the response
 * that starts after it (in order: pipelining) completes it, and it is handed to the listener
 * once both are done — in the order the requests were sent. Also where WebSocket messages leave
 * the decoder.
 * <p>
 * Single-threaded: one instance per worker; {@link #flow} is the connection being decoded.
 */
final class HttpPairing implements WebSocketHandler
{
    private final HttpEventListener listener;
    private final HttpCounters counters;
    private final HttpPools pools;

    /** The connection the decoder is working on (set at each entry point). */
    TcpFlow flow;

    HttpPairing(
        final HttpConfig config, final HttpEventListener listener, final HttpCounters counters, final HttpPools pools)
    {
        this.listener = listener;
        this.counters = counters;
        this.pools = pools;
    }

    /** @return the transaction a request starting now opens, queued behind those still waiting. */
    HttpTransaction newRequest(final HttpConnection c, final HttpStream s)
    {
        counters.increment(HttpCounters.Name.REQUESTS);
        if (c.full())
        {
            // More in flight than --max-pipelined: the oldest waiting request is reported now,
            // without its answer, rather than this one lost.
            counters.increment(HttpCounters.Name.PIPELINE_OVERFLOWS);
            evictOldestWaiting(c, Tags.PIPELINE_OVERFLOW);
        }
        final HttpTransaction tx = acquireTransaction(c);
        if (c.cursor < c.tail && !c.streams[1].resynced)
        {
            // Sent before the previous answer began; after a loss on the server's side the
            // missing answer may simply not have been seen, so that is not evidence.
            c.pipelined = true;
        }
        c.push(tx);
        tx.queued = true;
        assignDepth(c, tx);
        return startMessage(s, tx, true);
    }

    /** @return the transaction a response starting now answers: the oldest waiting request, or a new one without a request. */
    HttpTransaction pairResponse(final HttpConnection c, final HttpStream s)
    {
        counters.increment(HttpCounters.Name.RESPONSES);
        final long start = s.lineStartNanos;
        if (c.cursor < c.tail && c.at(c.cursor).requestStartNanos <= start)
        {
            HttpTransaction tx = c.at(c.cursor);
            if (s.resynced)
            {
                if (!c.pipelined)
                {
                    // One request at a time: the answers to older requests were lost with the gap.
                    while (c.cursor + 1 < c.tail && c.at(c.cursor + 1).requestStartNanos <= start)
                    {
                        tx.tags |= Tags.GAP;
                        noResponse(tx);
                        c.cursor++;
                        tx = c.at(c.cursor);
                    }
                    tryEmit(c);
                }
                if (c.pipelined || s.lostSinceResync)
                {
                    // Pipelined, the lost bytes may have held any number of answers; one at a
                    // time, this may answer a later request lost on the client's side and not
                    // yet noticed (that gap shows only when the client sends again): a guess.
                    tx.tags |= Tags.GAP;
                    tx.pairingGuessed = true;
                }
                s.resynced = false;
                s.lostSinceResync = false;
            }
            return startMessage(s, tx, false);
        }
        // No request was seen for this response: before the capture, lost, or unparseable.
        counters.increment(HttpCounters.Name.ORPHAN_RESPONSES);
        final HttpTransaction tx = acquireTransaction(c);
        assignDepth(c, tx);
        tx.requestDone = true;
        tx.tags |= c.midstream && !c.clientLost ? Tags.MIDSTREAM : (c.clientLost || s.resynced) ? Tags.GAP : Tags.NO_REQUEST;
        s.resynced = false;
        s.lostSinceResync = false;
        return startMessage(s, tx, false);
    }

    /**
     * Numbers the transaction on its connection; once a transaction may have vanished whole
     * ({@link HttpConnection#depthGuessed}), the count, and with it this depth, is a guess: tagged
     * {@code depth_guessed} (not {@code gap}: the transaction itself may have been seen whole, and
     * on a long keep-alive connection every later one carries the tag).
     */
    private static void assignDepth(final HttpConnection c, final HttpTransaction tx)
    {
        tx.depth = ++c.depth;
        if (c.depthGuessed())
        {
            tx.tags |= Tags.DEPTH_GUESSED;
        }
    }

    private HttpTransaction startMessage(final HttpStream s, final HttpTransaction tx, final boolean request)
    {
        s.tx = tx;
        s.startMessage();
        if (request)
        {
            tx.hasRequest = true;
            tx.requestStartNanos = s.lineStartNanos;
            tx.requestEndNanos = s.lineStartNanos;
        }
        else
        {
            tx.hasResponse = true;
            tx.responseStartNanos = s.lineStartNanos;
            tx.finalResponseStartNanos = s.lineStartNanos;
            tx.responseEndNanos = s.lineStartNanos;
        }
        return tx;
    }

    /**
     * @return a transaction from the pool. When the pool is used up ({@code transactions_exhausted}),
     * the oldest request waiting on this connection is reported now (tagged {@code decoder_overload})
     * and its transaction reused; a connection holding none gets one beyond the limit, so that the
     * pool is bounded by the configured size plus two per connection, and no message goes unreported.
     */
    private HttpTransaction acquireTransaction(final HttpConnection c)
    {
        HttpTransaction tx = pools.acquireTransaction(false);
        if (tx == null)
        {
            if (evictOldestWaiting(c, Tags.DECODER_OVERLOAD))
            {
                tx = pools.acquireTransaction(false);
            }
            if (tx == null)
            {
                tx = pools.acquireTransaction(true);
            }
        }
        return tx;
    }

    /**
     * Reports the oldest request on {@code c} that waits for an answer not yet begun, tagged
     * {@code no_response} and {@code tag}, and takes it out of the queue.
     *
     * @return whether there was one.
     */
    private boolean evictOldestWaiting(final HttpConnection c, final int tag)
    {
        // Those before the cursor are answered; the one a response is arriving for stays.
        long position = c.cursor;
        if (position < c.tail && c.at(position) == c.streams[1].tx)
        {
            position++;
        }
        if (position >= c.tail)
        {
            return false;
        }
        final HttpTransaction oldest = c.removeAt(position);
        oldest.tags |= tag;
        if (!oldest.requestDone)
        {
            // Still arriving: its end will not be seen by this transaction.
            oldest.tags |= Tags.INCOMPLETE;
            oldest.requestCut = true;
            oldest.requestDone = true;
            final HttpStream client = c.streams[0];
            if (client.tx == oldest)
            {
                client.tx = null;
                client.state = HttpStream.SYNC;
                client.resynced = true;
            }
        }
        noResponse(oldest);
        emit(oldest);
        return true;
    }

    /** The message in progress on {@code s} has ended: its half of the transaction is done. */
    void messageComplete(final HttpConnection c, final HttpStream s, final long timestampNanos)
    {
        final HttpTransaction tx = s.tx;
        s.tx = null;
        s.bodyCapture = false;
        s.state = START;
        if (s.requests)
        {
            tx.requestDone = true;
            tx.requestEndNanos = timestampNanos;
            if (tx.upgradeRequested || tx.methodKind == HttpTransaction.METHOD_CONNECT)
            {
                s.state = WAIT;
            }
            tryEmit(c);
        }
        else
        {
            tx.responseDone = true;
            tx.responseEndNanos = timestampNanos;
            if (tx.queued)
            {
                c.cursor++;
                tryEmit(c);
            }
            else
            {
                emit(tx);
            }
        }
    }

    /** The message in progress cannot be followed to its end: finish it as it is (the caller tags why). */
    void abandonMessage(final HttpConnection c, final HttpStream s, final long timestampNanos)
    {
        s.tx.cut(s.requests);
        messageComplete(c, s, timestampNanos);
        s.state = HttpStream.SYNC;
    }

    /** The connection is over: every transaction it still holds is emitted, in order. */
    void connectionEnd(final HttpConnection c)
    {
        while (c.head < c.tail)
        {
            final HttpTransaction tx = c.pop();
            if (!tx.requestDone)
            {
                tx.tags |= Tags.INCOMPLETE;
                tx.requestDone = true;
                tx.requestCut = true;
            }
            if (!tx.responseDone || (tx.status == 0 && !tx.statusless()))
            {
                noResponse(tx);
            }
            emit(tx);
        }
    }

    /** The connection turned out not to be HTTP: its transactions go back unreported. */
    void discard(final HttpConnection c)
    {
        for (final HttpStream s : c.streams)
        {
            if (s.tx != null && !s.tx.queued)
            {
                pools.releaseTransaction(s.tx);
            }
            s.tx = null;
        }
        while (c.head < c.tail)
        {
            pools.releaseTransaction(c.pop());
        }
    }

    void noResponse(final HttpTransaction tx)
    {
        if (!tx.hasTag(Tags.NO_RESPONSE))
        {
            counters.increment(HttpCounters.Name.NO_RESPONSE);
        }
        tx.tags |= Tags.NO_RESPONSE;
        tx.responseDone = true;
    }

    private void tryEmit(final HttpConnection c)
    {
        while (c.head < c.cursor)
        {
            final HttpTransaction tx = c.at(c.head);
            if (!tx.requestDone || !tx.responseDone)
            {
                return;
            }
            c.pop();
            emit(tx);
        }
    }

    private void emit(final HttpTransaction tx)
    {
        if (flow.attachment() instanceof HttpConnection c && c.midstream)
        {
            tx.tags |= Tags.MIDSTREAM;
        }
        tx.tags |= flow.eventTags(tx.tags);
        if ((tx.tags & Tags.GAP) != 0)
        {
            counters.increment(HttpCounters.Name.GAP);
        }
        counters.increment(HttpCounters.Name.TRANSACTIONS);
        try
        {
            listener.onTransaction(flow, tx);
        }
        finally
        {
            pools.releaseTransaction(tx);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // WebSocket

    @Override
    public void onMessage(final WebSocketMessage message)
    {
        if (flow.attachment() instanceof HttpConnection c && c.midstream)
        {
            message.addTags(Tags.MIDSTREAM);
        }
        message.addTags(flow.eventTags(message.tags()));
        counters.increment(HttpCounters.Name.WEBSOCKET_MESSAGES);
        listener.onWebSocketMessage(flow, message);
    }

    @Override
    public void onParseError()
    {
        counters.increment(HttpCounters.Name.WEBSOCKET_PARSE_ERRORS);
    }

    @Override
    public void onGap()
    {
        counters.increment(HttpCounters.Name.WEBSOCKET_GAPS);
    }

    @Override
    public Inflater borrowInflater(final Inflater existing)
    {
        return pools.borrowInflater(existing);
    }

    @Override
    public byte[] inflaterInput()
    {
        return pools.inflaterInput;
    }

    @Override
    public byte[] inflaterOutput()
    {
        return pools.inflaterOutput;
    }
}
