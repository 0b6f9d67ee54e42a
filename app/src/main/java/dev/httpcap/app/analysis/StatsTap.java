package dev.httpcap.app.analysis;

import java.nio.charset.StandardCharsets;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;

import dev.httpcap.decoders.event.CommunityId;
import dev.httpcap.decoders.event.EventText;
import dev.httpcap.decoders.event.JsonWriter;
import dev.httpcap.decoders.http.HttpTransaction;
import dev.httpcap.decoders.tcp.Tags;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.websocket.WebSocketMessage;
import dev.httpcap.pipeline.EventTap;

/**
 * The statistics of {@code httpcap stats} gathered on a worker thread, straight from the decoded
 * transactions and connections: each event's {@link EventRecord} is filled with the values its JSON
 * would carry (the same fields {@link EventJsonReader} reads back: times, addresses, ports, bytes,
 * packets, method, request target, {@code url.path}, {@code url.domain}, Host, status, interim
 * status, tags, community id, end reason) and added to this worker's own {@link StatsCollector}. No
 * JSON is written or parsed and nothing crosses threads until the end, when the workers' collectors
 * are merged ({@link StatsCollector#merge}).
 * <p>
 * Strings the tables key on (addresses, methods, targets, hosts) come from a {@link StringCache}, so
 * a repeated value costs a lookup, not an allocation.
 */
public final class StatsTap implements EventTap
{
    /** Swapped for a fresh one at each window of a live agent ({@link #swap}), under this tap's lock. */
    private StatsCollector collector;
    private final EventRecord record = new EventRecord();
    private final StringCache strings = new StringCache(4096);
    private final CommunityId communityId = new CommunityId();
    private final JsonWriter json = new JsonWriter();
    private final ExpandableDirectByteBuffer scratch = new ExpandableDirectByteBuffer(256);
    private long events;
    private static final int IP_MEMO = 4;
    private final int[] memoVersion = new int[IP_MEMO];
    private final long[] memoHi = new long[IP_MEMO];
    private final long[] memoLo = new long[IP_MEMO];
    private final String[] memoIp = new String[IP_MEMO];
    private int memoNext;

    public StatsTap(final StatsCollector collector)
    {
        this.collector = collector;
    }

    public synchronized StatsCollector collector()
    {
        return collector;
    }

    /**
     * End a window: @return what was added since the last swap (or since the start), {@code fresh}
     * taking its place. Any thread; the worker's own calls take the same (then uncontended) lock.
     */
    public synchronized StatsCollector swap(final StatsCollector fresh)
    {
        final StatsCollector window = collector;
        collector = fresh;
        return window;
    }

    /** @return events added. */
    public synchronized long events()
    {
        return events;
    }

    @Override
    public synchronized void onTransaction(final TcpFlow flow, final HttpTransaction tx)
    {
        final EventRecord r = record;
        r.reset();
        r.dataset = EventRecord.Dataset.HTTP;
        final long start = tx.hasRequest() ? tx.requestStartNanos() : tx.responseStartNanos();
        r.timestampNanos = start;
        final boolean response = tx.status() != 0 || tx.statusless() && tx.hasResponse();
        if (response)
        {
            r.durationNanos = Math.max(0, tx.responseEndNanos() - start);
        }
        endpoints(r, flow);
        r.sourceBytes = tx.requestBytes();
        r.destinationBytes = tx.responseBytes();
        final DirectBuffer store = tx.store();
        if (tx.hasRequest() && tx.hasField(HttpTransaction.METHOD))
        {
            r.method = strings.get(store, tx.fieldOffset(HttpTransaction.METHOD), tx.fieldLength(HttpTransaction.METHOD));
        }
        if (tx.hasRequest() && tx.hasField(HttpTransaction.HOST))
        {
            r.hostHeader = strings.get(store, tx.fieldOffset(HttpTransaction.HOST), tx.fieldLength(HttpTransaction.HOST));
        }
        if (tx.hasField(HttpTransaction.TARGET))
        {
            url(r, tx, store);
        }
        r.statusCode = tx.status() != 0 ? tx.status() : -1;
        r.infoCode = tx.infoCode() != 0 ? tx.infoCode() : -1;
        tags(r, tx.tags());
        add(r);
    }

    @Override
    public synchronized void onWebSocketMessage(final TcpFlow flow, final WebSocketMessage message)
    {
        final EventRecord r = record;
        r.reset();
        r.dataset = EventRecord.Dataset.WEBSOCKET;
        r.timestampNanos = message.startNanos();
        r.durationNanos = Math.max(0, message.endNanos() - message.startNanos());
        endpoints(r, flow);
        tags(r, message.tags());
        add(r);
    }

    @Override
    public synchronized void onFlowEnd(final TcpFlow flow)
    {
        final EventRecord r = record;
        r.reset();
        r.dataset = EventRecord.Dataset.FLOW;
        r.timestampNanos = flow.startNanos();
        r.startNanos = flow.startNanos();
        r.endNanos = flow.lastNanos();
        r.durationNanos = flow.lastNanos() - flow.startNanos();
        r.reason = flow.endReason().reportName();
        endpoints(r, flow);
        r.sourcePackets = flow.packets(TcpFlow.FROM_CLIENT);
        r.sourceBytes = flow.bytes(TcpFlow.FROM_CLIENT);
        r.destinationPackets = flow.packets(TcpFlow.FROM_SERVER);
        r.destinationBytes = flow.bytes(TcpFlow.FROM_SERVER);
        // The community id is kept only in the conversation table (one per connection): written as the encoder writes it.
        json.wrap(scratch, 0);
        communityId.value(json, flow);
        final int length = json.length();
        r.communityId = scratch.getStringWithoutLengthAscii(1, length - 2);
        if (flow.isMidstream())
        {
            r.tags[r.tagCount++] = "midstream";
        }
        if (flow.gapBytes(TcpFlow.FROM_CLIENT) + flow.gapBytes(TcpFlow.FROM_SERVER) > 0)
        {
            r.tags[r.tagCount++] = "gap";
        }
        if (flow.snaplenCut())
        {
            r.tags[r.tagCount++] = "snaplen";
        }
        if (flow.overlapConflicts() > 0)
        {
            r.tags[r.tagCount++] = "overlap_conflict";
        }
        add(r);
    }

    private void add(final EventRecord r)
    {
        events++;
        collector.accept(r);
    }

    private void endpoints(final EventRecord r, final TcpFlow flow)
    {
        r.sourceIp = ip(flow.ipVersion(), flow.clientHi(), flow.clientLo());
        r.sourcePort = flow.clientPort();
        r.destinationIp = ip(flow.ipVersion(), flow.serverHi(), flow.serverLo());
        r.destinationPort = flow.serverPort();
    }

    private String ip(final int version, final long hi, final long lo)
    {
        // Most events of a run share their server, and a connection's events their client.
        for (int i = 0; i < IP_MEMO; i++)
        {
            if (memoLo[i] == lo && memoHi[i] == hi && memoVersion[i] == version)
            {
                return memoIp[i];
            }
        }
        final String ip = format(version, hi, lo);
        final int slot = memoNext;
        memoNext = (memoNext + 1) % IP_MEMO;
        memoVersion[slot] = version;
        memoHi[slot] = hi;
        memoLo[slot] = lo;
        memoIp[slot] = ip;
        return ip;
    }

    private String format(final int version, final long hi, final long lo)
    {
        json.wrap(scratch, 0);
        EventText.appendIp(json, version, hi, lo);
        return strings.get(scratch, 0, json.length());
    }

    private static void tags(final EventRecord r, final int tags)
    {
        for (int i = 0; i < Tags.NAMES.length && r.tagCount < EventRecord.MAX_TAGS; i++)
        {
            if ((tags & (1 << i)) != 0)
            {
                r.tags[r.tagCount++] = Tags.NAMES[i];
            }
        }
    }

    /**
     * {@code url.original}, {@code url.path} and {@code url.domain} as the HTTP event encoder writes
     * them: origin-form {@code /path?query#fragment}, absolute-form {@code scheme://user@host:port/path},
     * authority-form of CONNECT {@code host:port}; the domain from the target, else from Host, without
     * port or IPv6 brackets.
     */
    private void url(final EventRecord r, final HttpTransaction tx, final DirectBuffer store)
    {
        final int targetOffset = tx.fieldOffset(HttpTransaction.TARGET);
        final int targetLength = tx.fieldLength(HttpTransaction.TARGET);
        final int end = targetOffset + targetLength;
        r.urlOriginal = strings.get(store, targetOffset, targetLength);
        int pathStart = targetOffset;
        int domainStart = -1;
        int domainEnd = -1;
        boolean absolute = false;
        if ("CONNECT".equals(r.method))
        {
            domainStart = targetOffset;
            domainEnd = hostEnd(store, targetOffset, end);
            pathStart = end;
        }
        else if (targetLength > 0 && store.getByte(targetOffset) != '/' && store.getByte(targetOffset) != '*')
        {
            final int colon = indexOf(store, targetOffset, end, (byte)':');
            if (colon > targetOffset && colon + 2 < end && store.getByte(colon + 1) == '/' && store.getByte(colon + 2) == '/')
            {
                absolute = true;
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
                for (int i = authorityEnd - 1; i >= domainStart; i--)
                {
                    if (store.getByte(i) == '@')
                    {
                        domainStart = i + 1;
                        break;
                    }
                }
                domainEnd = hostEnd(store, domainStart, authorityEnd);
                pathStart = authorityEnd;
            }
        }
        if (pathStart < end || absolute)
        {
            int fragment = indexOf(store, pathStart, end, (byte)'#');
            if (fragment < 0)
            {
                fragment = end;
            }
            final int question = indexOf(store, pathStart, fragment, (byte)'?');
            final int pathEnd = question >= 0 ? question : fragment;
            if (pathEnd > pathStart)
            {
                r.urlPath = strings.get(store, pathStart, pathEnd - pathStart);
            }
            else if (absolute)
            {
                r.urlPath = "/";
            }
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
            r.urlDomain = strings.get(store, domainStart, domainEnd - domainStart);
        }
    }

    private static int hostEnd(final DirectBuffer buffer, final int start, final int end)
    {
        if (start < end && buffer.getByte(start) == '[')
        {
            final int close = indexOf(buffer, start, end, (byte)']');
            return close >= 0 ? close + 1 : end;
        }
        final int colon = indexOf(buffer, start, end, (byte)':');
        return colon >= 0 ? colon : end;
    }

    private static int indexOf(final DirectBuffer buffer, final int start, final int end, final byte b)
    {
        for (int i = start; i < end; i++)
        {
            if (buffer.getByte(i) == b)
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * Strings made from bytes, remembered: a direct-mapped cache of {@code size} entries keyed by the
     * bytes' hash, so a value seen again (an address, a method, a popular URL) is returned without
     * allocating. Decoded as the JSON path decodes them: UTF-8, malformed sequences as U+FFFD.
     */
    static final class StringCache
    {
        private final byte[][] keys;
        private final String[] values;
        private final int mask;
        private final org.agrona.concurrent.UnsafeBuffer view = new org.agrona.concurrent.UnsafeBuffer(new byte[0]);

        StringCache(final int size)
        {
            keys = new byte[size][];
            values = new String[size];
            mask = size - 1;
        }

        String get(final DirectBuffer buffer, final int offset, final int length)
        {
            long hash = length;
            int i = 0;
            for (; i + 8 <= length; i += 8)
            {
                hash = (hash ^ buffer.getLong(offset + i)) * 0x9E3779B97F4A7C15L;
            }
            for (; i < length; i++)
            {
                hash = (hash ^ buffer.getByte(offset + i)) * 0x9E3779B97F4A7C15L;
            }
            final int slot = (int)(hash >>> 40) & mask;
            final byte[] key = keys[slot];
            if (key != null && key.length == length && equal(key, buffer, offset))
            {
                return values[slot];
            }
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes, 0, length);
            final String value = new String(bytes, StandardCharsets.UTF_8);
            if (length <= 512)
            {
                keys[slot] = bytes;
                values[slot] = value;
            }
            return value;
        }

        private boolean equal(final byte[] key, final DirectBuffer buffer, final int offset)
        {
            view.wrap(key);
            int i = 0;
            for (; i + 8 <= key.length; i += 8)
            {
                if (view.getLong(i) != buffer.getLong(offset + i))
                {
                    return false;
                }
            }
            for (; i < key.length; i++)
            {
                if (key[i] != buffer.getByte(offset + i))
                {
                    return false;
                }
            }
            return true;
        }
    }
}
