package dev.httpcap.decoders.http;

/**
 * What one worker's HTTP decoding counted. Written only by the worker's thread; read after it
 * has stopped, or by tests.
 */
public final class HttpCounters
{
    long connections;
    long notHttp;
    long requests;
    long responses;
    long transactions;
    long orphanResponses;
    long noResponse;
    long parseErrors;
    long resyncs;
    long gapTransactions;
    long lineBuffersExhausted;
    long transactionsExhausted;
    long pipelineOverflows;
    long webSocketUpgrades;
    long webSocketMessages;
    long webSocketParseErrors;
    long webSocketGaps;
    long webSocketInflatersExhausted;

    /** @return connections decoded as HTTP. */
    public long connections()
    {
        return connections;
    }

    /** @return connections looked at and found not to be HTTP. */
    public long notHttp()
    {
        return notHttp;
    }

    public long requests()
    {
        return requests;
    }

    public long responses()
    {
        return responses;
    }

    /** @return transactions handed to the listener. */
    public long transactions()
    {
        return transactions;
    }

    /** @return responses with no request to pair with. */
    public long orphanResponses()
    {
        return orphanResponses;
    }

    public long noResponse()
    {
        return noResponse;
    }

    public long parseErrors()
    {
        return parseErrors;
    }

    /** @return times a direction lost its place (a gap or a grammar error) and searched for the next start line. */
    public long resyncs()
    {
        return resyncs;
    }

    /** @return transactions tagged {@code gap}. */
    public long gapTransactions()
    {
        return gapTransactions;
    }

    /** @return partial lines that could not be kept because every line buffer was in use. */
    public long lineBuffersExhausted()
    {
        return lineBuffersExhausted;
    }

    /** @return messages not tracked because every transaction was in use. */
    public long transactionsExhausted()
    {
        return transactionsExhausted;
    }

    /** @return requests reported early (no_response) because too many were outstanding on their connection. */
    public long pipelineOverflows()
    {
        return pipelineOverflows;
    }

    public long webSocketUpgrades()
    {
        return webSocketUpgrades;
    }

    public long webSocketMessages()
    {
        return webSocketMessages;
    }

    public long webSocketParseErrors()
    {
        return webSocketParseErrors;
    }

    /** @return WebSocket streams given up because bytes were lost outside a payload. */
    public long webSocketGaps()
    {
        return webSocketGaps;
    }

    public long webSocketInflatersExhausted()
    {
        return webSocketInflatersExhausted;
    }
}
