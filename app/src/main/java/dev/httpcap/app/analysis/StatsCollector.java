package dev.httpcap.app.analysis;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.IntCountsHistogram;

/**
 * Adds httpcap events up into the tables of {@code httpcap stats}: tshark's HTTP trees
 * ({@code http,tree}, {@code http_req,tree}, {@code http_srv,tree}), its TCP conversations
 * ({@code conv,tcp}, from flow records) and per-interval counts, plus latency percentiles, error
 * rates and bytes per host, endpoint and client, and tags. Fed one {@link EventRecord} at a time by
 * a single thread; every table is bounded ({@link CountTable}).
 * <p>
 * Counting follows tshark's HTTP tap: every request is a request packet, every final response a
 * response packet, and an interim 1xx answer ({@code httpcap.info_code}) a response packet of its own.
 */
public final class StatsCollector
{
    /** Distinct rows a table keeps before folding new keys into {@code (other)}. */
    static final int MAX_ROWS = 100_000;
    /** Distinct endpoints, hosts and clients (each with a histogram) kept before folding. */
    static final int MAX_GROUPS = 2_000;
    /** Connections listed in the conversation table; beyond, counted in {@code conversations_folded}. */
    static final int MAX_CONVERSATIONS = 250_000;
    /**
     * Latency in microseconds, up to an hour; 3 significant digits for the whole, 2 (1%) with int
     * counts for each group and interval (auto-resizing: about 7 KB for latencies up to a second).
     */
    static final long MAX_LATENCY_MICROS = 3_600_000_000L;
    static final int GROUP_DIGITS = 2;

    /** Counts and latency of one host, endpoint or client. */
    public static final class Group
    {
        final String key;
        String host;
        String method;
        String template;
        long requests;
        long responses;
        long noResponse;
        long status4xx;
        long status5xx;
        long requestBytes;
        long responseBytes;
        final AbstractHistogram latency;

        Group(final String key, final AbstractHistogram latency)
        {
            this.key = key;
            this.latency = latency;
        }

        long errors()
        {
            return status4xx + status5xx;
        }
    }

    /** One TCP connection, as tshark's conversation table shows it: A is the client, B the server. */
    public record Conversation(String addressA, int portA, String addressB, int portB, long framesAtoB, long bytesAtoB,
        long framesBtoA, long bytesBtoA, long startNanos, long durationNanos, String communityId, String reason)
    {
        long frames()
        {
            return framesAtoB + framesBtoA;
        }

        long bytes()
        {
            return bytesAtoB + bytesBtoA;
        }
    }

    /** Per-interval counts of events (the packet counts of a capture are kept by {@link PacketIntervals}). */
    static final class IoBucket
    {
        long requests;
        long responses;
        long errors;
        long requestBytes;
        long responseBytes;
        AbstractHistogram latency;
    }

    // tshark http,tree
    final TreeMap<String, Long> requestsByMethod = new TreeMap<>();
    final TreeMap<Integer, Long> responsesByCode = new TreeMap<>();
    long requestPackets;
    long responsePackets;
    // tshark http_req,tree: Host header -> request target -> count
    final CountTable<CountTable<long[]>> requestsByHost = new CountTable<>(MAX_ROWS, k -> new CountTable<>(MAX_ROWS, u -> new long[1]));
    // tshark http_srv,tree
    final CountTable<CountTable<long[]>> requestsByServer = new CountTable<>(MAX_ROWS, k -> new CountTable<>(MAX_ROWS, u -> new long[1]));
    final CountTable<CountTable<long[]>> serversByHost = new CountTable<>(MAX_ROWS, k -> new CountTable<>(MAX_ROWS, u -> new long[1]));
    /** Server address -> {OK (2xx, 3xx), KO (anything else)} answers. */
    final CountTable<long[]> responsesByServer = new CountTable<>(MAX_ROWS, k -> new long[2]);
    long requestsWithoutHost;

    // Beyond tshark.
    final Group total = new Group("total", new Histogram(3));
    final CountTable<Group> hosts = new CountTable<>(MAX_GROUPS, k -> new Group(k, new IntCountsHistogram(GROUP_DIGITS)));
    final CountTable<Group> endpoints = new CountTable<>(MAX_GROUPS, k -> new Group(k, new IntCountsHistogram(GROUP_DIGITS)));
    final CountTable<Group> clients = new CountTable<>(MAX_GROUPS, k -> new Group(k, new IntCountsHistogram(GROUP_DIGITS)));
    final Map<String, Long> tags = new TreeMap<>();
    final Map<String, Long> datasets = new LinkedHashMap<>();
    long websocketMessages;

    // tshark conv,tcp
    final java.util.ArrayList<Conversation> conversations = new java.util.ArrayList<>();
    long conversationsFolded;

    // io,stat
    final long intervalNanos;
    volatile long originNanos;
    final TreeMap<Long, IoBucket> io = new TreeMap<>();

    /** Frames and bytes per interval (same keys as {@link #io}) of merged snapshots; a capture's are in {@link PacketIntervals}. */
    final TreeMap<Long, long[]> frames = new TreeMap<>();
    long firstFrameNanos = Long.MAX_VALUE;
    long lastFrameNanos = Long.MIN_VALUE;

    private static final int ENDPOINT_CACHE = 4096;
    private final Group[] endpointCache = new Group[ENDPOINT_CACHE];
    private final String[] endpointCacheMethod = new String[ENDPOINT_CACHE];
    private final String[] endpointCacheHost = new String[ENDPOINT_CACHE];
    private final String[] endpointCachePath = new String[ENDPOINT_CACHE];

    long firstNanos = Long.MAX_VALUE;
    long lastNanos = Long.MIN_VALUE;
    long events;

    /**
     * @param intervalNanos the io,stat interval.
     * @param originNanos   where intervals start (the first packet of a capture), or
     *                      {@link Long#MIN_VALUE} to start them on the first event's whole second.
     */
    public StatsCollector(final long intervalNanos, final long originNanos)
    {
        this.intervalNanos = intervalNanos;
        this.originNanos = originNanos;
    }

    /** @return events added (or merged). */
    public long events()
    {
        return events;
    }

    /** Set where intervals start: the capture's first packet (called before the first event). */
    public void origin(final long nanos)
    {
        originNanos = nanos;
    }

    public void accept(final EventRecord e)
    {
        events++;
        datasets.merge(e.dataset.lowerCase, 1L, Long::sum);
        for (int i = 0; i < e.tagCount; i++)
        {
            tags.merge(e.tags[i], 1L, Long::sum);
        }
        if (e.timestampNanos != Long.MIN_VALUE)
        {
            firstNanos = Math.min(firstNanos, e.timestampNanos);
            lastNanos = Math.max(lastNanos, e.timestampNanos);
        }
        switch (e.dataset)
        {
            case HTTP -> http(e);
            case FLOW -> flow(e);
            case WEBSOCKET -> websocketMessages++;
            default ->
            {
            }
        }
    }

    private void http(final EventRecord e)
    {
        final boolean request = e.hasRequest();
        final boolean response = e.hasResponse();
        final String server = e.destinationIp == null ? "" : e.destinationIp;
        if (request)
        {
            requestPackets++;
            requestsByMethod.merge(e.method, 1L, Long::sum);
            if (e.hostHeader != null)
            {
                final String target = e.urlOriginal == null ? "" : e.urlOriginal;
                requestsByHost.row(e.hostHeader).row(target)[0]++;
                requestsByServer.row(server).row(e.hostHeader)[0]++;
                serversByHost.row(e.hostHeader).row(server)[0]++;
            }
            else
            {
                requestsWithoutHost++;
            }
        }
        if (e.infoCode >= 0)
        {
            answer(server, e.infoCode);
        }
        if (response)
        {
            answer(server, e.statusCode);
        }

        final String host = e.urlDomain != null ? e.urlDomain : e.hostHeader != null ? e.hostHeader : server;
        final String method = e.method != null ? e.method : "-";
        add(total, e, request, response);
        add(hosts.row(host), e, request, response);
        add(endpoint(method, host, e.urlPath != null ? e.urlPath : e.urlOriginal), e, request, response);
        add(clients.row(e.sourceIp == null ? "" : e.sourceIp), e, request, response);

        if (e.timestampNanos != Long.MIN_VALUE)
        {
            final IoBucket bucket = bucket(e.timestampNanos);
            if (request)
            {
                bucket.requests++;
                bucket.requestBytes += Math.max(0, e.sourceBytes);
            }
            if (response)
            {
                bucket.responses++;
                bucket.responseBytes += Math.max(0, e.destinationBytes);
                if (e.statusCode >= 400)
                {
                    bucket.errors++;
                }
            }
            if (request && response && e.durationNanos >= 0)
            {
                if (bucket.latency == null)
                {
                    bucket.latency = new IntCountsHistogram(GROUP_DIGITS);
                }
                bucket.latency.recordValue(micros(e.durationNanos));
            }
        }
    }

    /**
     * The endpoint group of a request: {@code METHOD host/template}. Remembered by (method, host, path)
     * in a direct-mapped cache, so a path seen again costs no templating nor string building.
     */
    private Group endpoint(final String method, final String host, final String path)
    {
        final int hash = (method.hashCode() * 31 + host.hashCode()) * 31 + (path == null ? 0 : path.hashCode());
        final int slot = (hash ^ hash >>> 16) & (ENDPOINT_CACHE - 1);
        final Group cached = endpointCache[slot];
        if (cached != null && method.equals(endpointCacheMethod[slot]) && host.equals(endpointCacheHost[slot]) &&
            java.util.Objects.equals(path, endpointCachePath[slot]))
        {
            return cached;
        }
        final String template = PathTemplate.of(path);
        final Group endpoint = endpoints.row(method + " " + host + template);
        if (endpoint.template == null)
        {
            endpoint.host = host;
            endpoint.method = method;
            endpoint.template = template;
        }
        if (!CountTable.OTHER.equals(endpoint.key))
        {
            endpointCache[slot] = endpoint;
            endpointCacheMethod[slot] = method;
            endpointCacheHost[slot] = host;
            endpointCachePath[slot] = path;
        }
        return endpoint;
    }

    private void answer(final String server, final int code)
    {
        responsePackets++;
        responsesByCode.merge(code, 1L, Long::sum);
        responsesByServer.row(server)[code >= 200 && code < 400 ? 0 : 1]++;
    }

    private static void add(final Group g, final EventRecord e, final boolean request, final boolean response)
    {
        if (request)
        {
            g.requests++;
            g.requestBytes += Math.max(0, e.sourceBytes);
            if (!response)
            {
                g.noResponse++;
            }
        }
        if (response)
        {
            g.responses++;
            g.responseBytes += Math.max(0, e.destinationBytes);
            if (e.statusCode >= 500)
            {
                g.status5xx++;
            }
            else if (e.statusCode >= 400)
            {
                g.status4xx++;
            }
        }
        if (request && response && e.durationNanos >= 0)
        {
            g.latency.recordValue(micros(e.durationNanos));
        }
    }

    static long micros(final long nanos)
    {
        return Math.min(MAX_LATENCY_MICROS, Math.max(1, (nanos + 999) / 1000));
    }

    private void flow(final EventRecord e)
    {
        if (conversations.size() >= MAX_CONVERSATIONS)
        {
            conversationsFolded++;
            return;
        }
        final long start = e.startNanos != Long.MIN_VALUE ? e.startNanos : e.timestampNanos;
        final long duration = e.endNanos != Long.MIN_VALUE && start != Long.MIN_VALUE ? e.endNanos - start : Math.max(0, e.durationNanos);
        if (start != Long.MIN_VALUE)
        {
            firstNanos = Math.min(firstNanos, start);
        }
        conversations.add(new Conversation(e.sourceIp, e.sourcePort, e.destinationIp, e.destinationPort,
            Math.max(0, e.sourcePackets), Math.max(0, e.sourceBytes), Math.max(0, e.destinationPackets),
            Math.max(0, e.destinationBytes), start, duration, e.communityId, e.reason));
    }

    /**
     * Add everything {@code other} counted (another worker's collector over the same intervals, or a
     * collector read back from snapshots): counts add, histograms add, conversations are listed
     * together (up to {@link #MAX_CONVERSATIONS}), intervals are put back on this one's time axis.
     */
    public void merge(final StatsCollector other)
    {
        events += other.events;
        firstNanos = Math.min(firstNanos, other.firstNanos);
        lastNanos = Math.max(lastNanos, other.lastNanos);
        firstFrameNanos = Math.min(firstFrameNanos, other.firstFrameNanos);
        lastFrameNanos = Math.max(lastFrameNanos, other.lastFrameNanos);
        requestPackets += other.requestPackets;
        responsePackets += other.responsePackets;
        requestsWithoutHost += other.requestsWithoutHost;
        websocketMessages += other.websocketMessages;
        other.requestsByMethod.forEach((k, v) -> requestsByMethod.merge(k, v, Long::sum));
        other.responsesByCode.forEach((k, v) -> responsesByCode.merge(k, v, Long::sum));
        other.tags.forEach((k, v) -> tags.merge(k, v, Long::sum));
        other.datasets.forEach((k, v) -> datasets.merge(k, v, Long::sum));
        mergeTree(requestsByHost, other.requestsByHost);
        mergeTree(requestsByServer, other.requestsByServer);
        mergeTree(serversByHost, other.serversByHost);
        responsesByServer.merge(other.responsesByServer, (mine, theirs) ->
        {
            mine[0] += theirs[0];
            mine[1] += theirs[1];
        });
        mergeGroup(total, other.total);
        hosts.merge(other.hosts, StatsCollector::mergeGroup);
        endpoints.merge(other.endpoints, StatsCollector::mergeGroup);
        clients.merge(other.clients, StatsCollector::mergeGroup);
        for (final Conversation c : other.conversations)
        {
            if (conversations.size() < MAX_CONVERSATIONS)
            {
                conversations.add(c);
                firstNanos = c.startNanos() != Long.MIN_VALUE ? Math.min(firstNanos, c.startNanos()) : firstNanos;
            }
            else
            {
                conversationsFolded++;
            }
        }
        conversationsFolded += other.conversationsFolded;
        for (final Map.Entry<Long, IoBucket> e : other.io.entrySet())
        {
            final IoBucket theirs = e.getValue();
            final IoBucket mine = bucket(other.originNanos + e.getKey() * other.intervalNanos);
            mine.requests += theirs.requests;
            mine.responses += theirs.responses;
            mine.errors += theirs.errors;
            mine.requestBytes += theirs.requestBytes;
            mine.responseBytes += theirs.responseBytes;
            if (theirs.latency != null)
            {
                if (mine.latency == null)
                {
                    mine.latency = new IntCountsHistogram(GROUP_DIGITS);
                }
                mine.latency.add(theirs.latency);
            }
        }
        for (final Map.Entry<Long, long[]> e : other.frames.entrySet())
        {
            addFrames(other.originNanos + e.getKey() * other.intervalNanos, e.getValue()[0], e.getValue()[1]);
        }
    }

    private static void mergeTree(final CountTable<CountTable<long[]>> mine, final CountTable<CountTable<long[]>> theirs)
    {
        mine.merge(theirs, (row, other) -> row.merge(other, (a, b) -> a[0] += b[0]));
    }

    private static void mergeGroup(final Group mine, final Group theirs)
    {
        if (mine.template == null && theirs.template != null)
        {
            mine.host = theirs.host;
            mine.method = theirs.method;
            mine.template = theirs.template;
        }
        mine.requests += theirs.requests;
        mine.responses += theirs.responses;
        mine.noResponse += theirs.noResponse;
        mine.status4xx += theirs.status4xx;
        mine.status5xx += theirs.status5xx;
        mine.requestBytes += theirs.requestBytes;
        mine.responseBytes += theirs.responseBytes;
        mine.latency.add(theirs.latency);
    }

    /** The interval that holds {@code nanos}. */
    IoBucket bucketAt(final long nanos)
    {
        return bucket(nanos);
    }

    /** Add a merged snapshot's frames of the interval starting at {@code nanos}. */
    void addFrames(final long nanos, final long count, final long bytes)
    {
        if (originNanos == Long.MIN_VALUE)
        {
            originNanos = Math.floorDiv(nanos, 1_000_000_000L) * 1_000_000_000L;
        }
        final long[] row = frames.computeIfAbsent(Math.floorDiv(nanos - originNanos, intervalNanos), k -> new long[2]);
        row[0] += count;
        row[1] += bytes;
    }

    private IoBucket bucket(final long nanos)
    {
        if (originNanos == Long.MIN_VALUE)
        {
            originNanos = Math.floorDiv(nanos, 1_000_000_000L) * 1_000_000_000L;
        }
        return io.computeIfAbsent(Math.floorDiv(nanos - originNanos, intervalNanos), k -> new IoBucket());
    }
}
