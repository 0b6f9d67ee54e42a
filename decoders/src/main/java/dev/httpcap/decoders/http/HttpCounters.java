package dev.httpcap.decoders.http;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What one worker's HTTP decoding counted, by {@link Name}: a counter is added by adding a name,
 * and the report, the statistics line and the metrics endpoint all find it there. Written only by
 * the worker's thread; {@link #get} may be called from any thread (it returns a recent value).
 */
public final class HttpCounters
{
    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    /** Every counter, in report order. */
    public enum Name
    {
        /** Connections decoded as HTTP. */
        CONNECTIONS("connections", "connections decoded as HTTP", false),
        /** Connections looked at and found not to be HTTP. */
        NOT_HTTP("not_http", "connections looked at and found not to be HTTP", false),
        /** Requests seen. */
        REQUESTS("requests", "requests seen", false),
        /** Responses seen. */
        RESPONSES("responses", "responses seen", false),
        /** Transactions handed to the event encoder. */
        TRANSACTIONS("transactions", "transactions handed to the event encoder", false),
        /** Requests reported without a response. */
        NO_RESPONSE("no_response", "requests reported without a response", false),
        /** Responses with no request to pair with. */
        ORPHAN_RESPONSES("orphan_responses", "responses with no request to pair with", false),
        /** Transactions tagged gap. */
        GAP("gap", "transactions tagged gap", false),
        /** Messages that broke the grammar. */
        PARSE_ERRORS("parse_errors", "messages that broke the grammar", true),
        /** Times a direction lost its place and searched for the next start line. */
        RESYNCS("resyncs", "times a direction lost its place and searched for the next start line", false),
        /** Lines cut by a packet boundary that found no line buffer. */
        LINE_BUFFERS_EXHAUSTED("line_buffers_exhausted", "lines cut by a packet boundary that found no line buffer", true),
        /** Times the transaction pool was used up. */
        TRANSACTIONS_EXHAUSTED("transactions_exhausted", "times the transaction pool was used up", true),
        /** Requests reported early because more than --max-pipelined waited. */
        PIPELINE_OVERFLOWS("pipeline_overflows", "requests reported early because more than --max-pipelined waited", true),
        /** Connections upgraded to WebSocket. */
        WEBSOCKET_UPGRADES("websocket_upgrades", "connections upgraded to WebSocket", false),
        /** WebSocket messages. */
        WEBSOCKET_MESSAGES("websocket_messages", "WebSocket messages", false),
        /** Invalid WebSocket frames. */
        WEBSOCKET_PARSE_ERRORS("websocket_parse_errors", "invalid WebSocket frames", true),
        /** WebSocket directions given up after a loss outside a payload. */
        WEBSOCKET_GAPS("websocket_gaps", "WebSocket directions given up after a loss outside a payload", true),
        /** Compressed WebSocket messages that found no decompressor. */
        WEBSOCKET_INFLATERS_EXHAUSTED("websocket_inflaters_exhausted", "compressed WebSocket messages that found no decompressor", true);

        private final String reportName;
        private final String help;
        private final boolean anomaly;

        Name(final String reportName, final String help, final boolean anomaly)
        {
            this.reportName = reportName;
            this.help = help;
            this.anomaly = anomaly;
        }

        /** @return the counter's name in the report and the metrics ({@code snake_case}). */
        public String reportName()
        {
            return reportName;
        }

        /** @return what it counts, in a few words. */
        public String help()
        {
            return help;
        }

        /** @return whether a non-zero value means something was lost, cut or guessed (shown on the statistics line). */
        public boolean anomaly()
        {
            return anomaly;
        }
    }

    private static final Name[] NAMES = Name.values();

    private final long[] values = new long[NAMES.length];

    void increment(final Name name)
    {
        values[name.ordinal()]++;
    }

    void decrement(final Name name)
    {
        values[name.ordinal()]--;
    }

    /** @return the count of {@code name} (from another thread: a recent value). */
    public long get(final Name name)
    {
        return (long)VALUES.getOpaque(values, name.ordinal());
    }

    /** @return every counter's name, in report order. */
    public static Name[] names()
    {
        return NAMES.clone();
    }
}
