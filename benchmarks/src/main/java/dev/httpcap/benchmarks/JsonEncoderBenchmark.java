package dev.httpcap.benchmarks;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.httpcap.common.TcpSegment;
import dev.httpcap.decoders.http.HeaderSelection;
import dev.httpcap.decoders.http.HttpConfig;
import dev.httpcap.decoders.http.HttpCounters;
import dev.httpcap.decoders.http.HttpDecoder;
import dev.httpcap.decoders.event.HttpEventEncoder;
import dev.httpcap.decoders.http.HttpTransaction;
import dev.httpcap.decoders.tcp.TcpFlow;
import dev.httpcap.decoders.tcp.TcpFlowTracker;

import static dev.httpcap.benchmarks.HttpParserBenchmark.ascii;
import static dev.httpcap.benchmarks.HttpParserBenchmark.direct;

/**
 * Writing one HTTP transaction's JSON event: httpcap's {@link HttpEventEncoder} against Jackson's
 * streaming {@link JsonGenerator} writing the same event. One operation is one event.
 * <p>
 * The transaction is one of {@link HttpParserBenchmark}'s exchanges, parsed once in set-up; with
 * {@code headers = default} the event carries the default header selection (redacted), with
 * {@code all} every header field. {@link #httpcap} encodes it from the parsed transaction into a
 * reused off-heap buffer, as a worker does. {@link #jackson} writes the same members with one
 * long-lived {@code UTF8JsonGenerator} (pre-serialised names, events separated by a newline) into
 * a reused byte array, flushed after each event: Jackson at its fastest. It is given the values
 * ready as Java strings and numbers — timestamp text, IP addresses, Community ID, URL parts,
 * header values — which httpcap's encoder computes from the transaction's bytes every time, so
 * the Jackson figure is a lower bound for any Jackson-based encoder. Set-up parses both outputs
 * with Jackson and requires equal trees.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow", "-Xmx1g"})
public class JsonEncoderBenchmark
{
    @Param({"browser", "api"})
    public String exchange;

    @Param({"default", "all"})
    public String headers;

    private HttpEventEncoder encoder;
    private TcpFlow flow;
    private HttpTransaction tx;
    private final ExpandableDirectByteBuffer out = new ExpandableDirectByteBuffer(8192);

    private final ByteArraySink sink = new ByteArraySink(8192);
    private JsonGenerator generator;
    private Event event;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        final byte[] request;
        final byte[] response;
        if (exchange.equals("browser"))
        {
            request = ascii(HttpParserBenchmark.BROWSER_REQUEST);
            final String html = HttpParserBenchmark.html();
            response = ascii(HttpParserBenchmark.BROWSER_RESPONSE_HEAD.replace("{length}",
                Integer.toString(html.length())) + html);
        }
        else if (exchange.equals("api"))
        {
            final String body = HttpParserBenchmark.API_REQUEST_BODY;
            request = ascii(HttpParserBenchmark.API_REQUEST_HEAD.replace("{length}", Integer.toString(body.length())) +
                body);
            final StringBuilder chunked = new StringBuilder(HttpParserBenchmark.API_RESPONSE_HEAD);
            for (final String chunk : HttpParserBenchmark.API_RESPONSE_CHUNKS)
            {
                chunked.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
            }
            response = ascii(chunked.append("0\r\n\r\n").toString());
        }
        else
        {
            throw new IllegalArgumentException("exchange: " + exchange);
        }
        final HttpConfig config = new HttpConfig();
        if (headers.equals("all"))
        {
            config.headers(HeaderSelection.ALL);
        }
        else if (!headers.equals("default"))
        {
            throw new IllegalArgumentException("headers: " + headers);
        }

        // The decoder recycles a transaction when the next one starts, so the one it hands over
        // keeps its contents while the decoder is fed nothing more.
        final HttpTransaction[] held = new HttpTransaction[1];
        final HttpDecoder decoder = new HttpDecoder(config, (f, t) -> held[0] = t);
        final TcpFlowTracker tracker = new TcpFlowTracker(f -> { }, 16, Long.MAX_VALUE / 4, 0);
        flow = newFlow(tracker);
        final long now = 1_764_670_000_123_456_789L;
        decoder.onData(flow, TcpFlow.FROM_CLIENT, direct(request), 0, request.length, now);
        decoder.onData(flow, TcpFlow.FROM_SERVER, direct(response), 0, response.length, now + 412_000);
        tx = held[0];
        if (tx == null || tx.status() == 0 || decoder.counters().get(HttpCounters.Name.PARSE_ERRORS) != 0)
        {
            throw new IllegalStateException("the exchange did not parse into one transaction");
        }
        encoder = new HttpEventEncoder(config);

        final ObjectMapper mapper = new ObjectMapper();
        final JsonNode httpcapTree = mapper.readTree(httpcapJson());
        event = Event.of(httpcapTree);

        generator = new JsonFactory().createGenerator(sink);
        generator.setRootValueSeparator(new SerializedString("\n"));
        jackson();
        jackson();
        final JsonNode jacksonTree = mapper.readTree(sink.text());
        if (!httpcapTree.equals(jacksonTree))
        {
            throw new IllegalStateException("the encoders wrote different events:\nhttpcap " + httpcapTree +
                "\njackson " + jacksonTree);
        }
        if (httpcapTree.path("http").path("request").path("headers").size() == 0)
        {
            throw new IllegalStateException("the event has no request headers: " + httpcapTree);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException
    {
        encoder.close();
        generator.close();
    }

    @Benchmark
    public int httpcap()
    {
        return encoder.encodeJson(flow, tx, out, 0);
    }

    @Benchmark
    public int jackson() throws IOException
    {
        sink.reset();
        event.write(generator);
        generator.flush();
        return sink.length();
    }

    /** The httpcap event, as text (for the set-up check and for the record). */
    String httpcapJson()
    {
        final int length = encoder.encodeJson(flow, tx, out, 0);
        return out.getStringWithoutLengthUtf8(0, length);
    }

    /** A byte array reused for every event, as a sink's buffer would be. */
    static final class ByteArraySink extends OutputStream
    {
        private byte[] bytes;
        private int length;

        ByteArraySink(final int capacity)
        {
            bytes = new byte[capacity];
        }

        @Override
        public void write(final int b)
        {
            ensure(1);
            bytes[length++] = (byte)b;
        }

        @Override
        public void write(final byte[] b, final int off, final int len)
        {
            ensure(len);
            System.arraycopy(b, off, bytes, length, len);
            length += len;
        }

        private void ensure(final int more)
        {
            if (length + more > bytes.length)
            {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
            }
        }

        void reset()
        {
            length = 0;
        }

        int length()
        {
            return length;
        }

        String text()
        {
            return new String(bytes, 0, length, StandardCharsets.UTF_8);
        }
    }

    /**
     * The event's values as a Jackson-based encoder would hold them, and the code that writes them
     * member by member (the layout of {@code docs/fields.md}).
     */
    static final class Event
    {
        private static final SerializedString TIMESTAMP = new SerializedString("@timestamp");
        private static final SerializedString EVENT = new SerializedString("event");
        private static final SerializedString DATASET = new SerializedString("dataset");
        private static final SerializedString HTTP = new SerializedString("http");
        private static final SerializedString DURATION = new SerializedString("duration");
        private static final SerializedString OUTCOME = new SerializedString("outcome");
        private static final SerializedString ID = new SerializedString("id");
        private static final SerializedString SOURCE = new SerializedString("source");
        private static final SerializedString DESTINATION = new SerializedString("destination");
        private static final SerializedString IP = new SerializedString("ip");
        private static final SerializedString PORT = new SerializedString("port");
        private static final SerializedString BYTES = new SerializedString("bytes");
        private static final SerializedString NETWORK = new SerializedString("network");
        private static final SerializedString TRANSPORT = new SerializedString("transport");
        private static final SerializedString TCP = new SerializedString("tcp");
        private static final SerializedString TYPE = new SerializedString("type");
        private static final SerializedString COMMUNITY_ID = new SerializedString("community_id");
        private static final SerializedString URL = new SerializedString("url");
        private static final SerializedString ORIGINAL = new SerializedString("original");
        private static final SerializedString PATH = new SerializedString("path");
        private static final SerializedString QUERY = new SerializedString("query");
        private static final SerializedString DOMAIN = new SerializedString("domain");
        private static final SerializedString USER_AGENT = new SerializedString("user_agent");
        private static final SerializedString VERSION = new SerializedString("version");
        private static final SerializedString REQUEST = new SerializedString("request");
        private static final SerializedString RESPONSE = new SerializedString("response");
        private static final SerializedString METHOD = new SerializedString("method");
        private static final SerializedString MIME_TYPE = new SerializedString("mime_type");
        private static final SerializedString BODY = new SerializedString("body");
        private static final SerializedString HEADERS = new SerializedString("headers");
        private static final SerializedString STATUS_CODE = new SerializedString("status_code");
        private static final SerializedString STATUS_PHRASE = new SerializedString("status_phrase");
        private static final SerializedString TAGS = new SerializedString("tags");
        private static final SerializedString HTTPCAP = new SerializedString("httpcap");
        private static final SerializedString TRANS_DEPTH = new SerializedString("trans_depth");
        private static final SerializedString ECS = new SerializedString("ecs");
        private static final SerializedString KIND = new SerializedString("kind");
        private static final SerializedString CATEGORY = new SerializedString("category");
        private static final SerializedString START = new SerializedString("start");
        private static final SerializedString END = new SerializedString("end");
        private static final SerializedString CLIENT = new SerializedString("client");
        private static final SerializedString SERVER = new SerializedString("server");
        private static final SerializedString PROTOCOL = new SerializedString("protocol");
        private static final SerializedString SCHEME = new SerializedString("scheme");
        private static final SerializedString FULL = new SerializedString("full");
        private static final SerializedString REFERRER = new SerializedString("referrer");
        private static final SerializedString RELATED = new SerializedString("related");
        private static final SerializedString HOSTS = new SerializedString("hosts");
        private static final SerializedString TIMING = new SerializedString("timing");

        /** httpcap.timing's members, in order (none: no object). */
        SerializedString[] timingNames = new SerializedString[0];
        long[] timingValues = new long[0];
        String timestamp;
        String ecsVersion;
        String[] category;
        String[] type;
        String end;
        Integer urlPort;
        String urlScheme;
        String urlFull;
        String referrer;
        String requestId;
        String[] relatedIps;
        String[] relatedHosts;
        String id;
        long duration;
        String outcome;
        String sourceIp;
        int sourcePort;
        long sourceBytes;
        String destinationIp;
        int destinationPort;
        long destinationBytes;
        String networkType;
        String communityId;
        String urlOriginal;
        String urlPath;
        String urlQuery;
        String urlDomain;
        String userAgent;
        String version;
        String method;
        String requestMimeType;
        long requestBodyBytes;
        String[] requestHeaders;
        int status;
        String phrase;
        String responseMimeType;
        long responseBodyBytes;
        String[] responseHeaders;
        String[] tags;
        int transDepth;

        /** The values of {@code tree}; fails on a member this writer does not know, so that the trees can be equal. */
        static Event of(final JsonNode tree)
        {
            final Event e = new Event();
            e.timestamp = tree.get("@timestamp").asText();
            e.ecsVersion = tree.get("ecs").get("version").asText();
            final JsonNode event = tree.get("event");
            e.category = strings(event.get("category"));
            e.type = strings(event.get("type"));
            e.end = event.get("end").asText();
            e.duration = event.get("duration").asLong();
            e.outcome = event.get("outcome").asText();
            e.id = event.get("id").asText();
            e.sourceIp = tree.get("source").get("ip").asText();
            e.sourcePort = tree.get("source").get("port").asInt();
            e.sourceBytes = tree.get("source").get("bytes").asLong();
            e.destinationIp = tree.get("destination").get("ip").asText();
            e.destinationPort = tree.get("destination").get("port").asInt();
            e.destinationBytes = tree.get("destination").get("bytes").asLong();
            e.networkType = tree.get("network").get("type").asText();
            e.communityId = tree.get("network").get("community_id").asText();
            final JsonNode url = tree.get("url");
            e.urlOriginal = url.get("original").asText();
            e.urlPath = text(url, "path");
            e.urlQuery = text(url, "query");
            e.urlScheme = text(url, "scheme");
            e.urlDomain = text(url, "domain");
            e.urlPort = url.has("port") ? url.get("port").asInt() : null;
            e.urlFull = text(url, "full");
            e.userAgent = tree.has("user_agent") ? tree.get("user_agent").get("original").asText() : null;
            final JsonNode http = tree.get("http");
            e.version = http.get("version").asText();
            final JsonNode request = http.get("request");
            e.requestId = text(request, "id");
            e.method = request.get("method").asText();
            e.referrer = text(request, "referrer");
            e.requestMimeType = text(request, "mime_type");
            e.requestBodyBytes = request.get("body").get("bytes").asLong();
            e.requestHeaders = pairs(request.get("headers"));
            final JsonNode response = http.get("response");
            e.status = response.get("status_code").asInt();
            e.phrase = text(response, "status_phrase");
            e.responseMimeType = text(response, "mime_type");
            e.responseBodyBytes = response.get("body").get("bytes").asLong();
            e.responseHeaders = pairs(response.get("headers"));
            e.relatedIps = strings(tree.get("related").get("ip"));
            e.relatedHosts = tree.get("related").has("hosts") ? strings(tree.get("related").get("hosts")) : null;
            final List<String> tags = new ArrayList<>();
            tree.get("tags").forEach(t -> tags.add(t.asText()));
            e.tags = tags.toArray(new String[0]);
            e.transDepth = tree.get("httpcap").get("trans_depth").asInt();
            if (tree.get("httpcap").has("info_code") || tree.has("user"))
            {
                throw new IllegalStateException("a member this writer does not write in " + tree);
            }
            final JsonNode timing = tree.get("httpcap").path("timing");
            final List<SerializedString> names = new ArrayList<>();
            final List<Long> values = new ArrayList<>();
            timing.properties().forEach(member ->
            {
                names.add(new SerializedString(member.getKey()));
                values.add(member.getValue().asLong());
            });
            e.timingNames = names.toArray(new SerializedString[0]);
            e.timingValues = values.stream().mapToLong(Long::longValue).toArray();
            return e;
        }

        private static String[] strings(final JsonNode array)
        {
            final List<String> out = new ArrayList<>();
            array.forEach(v -> out.add(v.asText()));
            return out.toArray(new String[0]);
        }

        private static void array(final JsonGenerator g, final SerializedString name, final String[] values) throws IOException
        {
            g.writeFieldName(name);
            g.writeStartArray();
            for (final String value : values)
            {
                g.writeString(value);
            }
            g.writeEndArray();
        }

        private static String text(final JsonNode node, final String name)
        {
            return node.has(name) ? node.get(name).asText() : null;
        }

        private static String[] pairs(final JsonNode headers)
        {
            if (headers == null)
            {
                return new String[0];
            }
            final List<String> pairs = new ArrayList<>();
            for (final Iterator<Map.Entry<String, JsonNode>> i = headers.fields(); i.hasNext(); )
            {
                final Map.Entry<String, JsonNode> field = i.next();
                pairs.add(field.getKey());
                pairs.add(field.getValue().asText());
            }
            return pairs.toArray(new String[0]);
        }

        void write(final JsonGenerator g) throws IOException
        {
            g.writeStartObject();
            g.writeFieldName(TIMESTAMP);
            g.writeString(timestamp);
            g.writeFieldName(ECS);
            g.writeStartObject();
            g.writeFieldName(VERSION);
            g.writeString(ecsVersion);
            g.writeEndObject();
            g.writeFieldName(EVENT);
            g.writeStartObject();
            g.writeFieldName(KIND);
            g.writeString(EVENT);
            array(g, CATEGORY, category);
            array(g, TYPE, type);
            g.writeFieldName(DATASET);
            g.writeString(HTTP);
            g.writeFieldName(ID);
            g.writeString(id);
            g.writeFieldName(START);
            g.writeString(timestamp);
            g.writeFieldName(END);
            g.writeString(end);
            g.writeFieldName(DURATION);
            g.writeNumber(duration);
            g.writeFieldName(OUTCOME);
            g.writeString(outcome);
            g.writeEndObject();

            endpoint(g, SOURCE, sourceIp, sourcePort, sourceBytes, null);
            endpoint(g, DESTINATION, destinationIp, destinationPort, destinationBytes, urlDomain);
            endpoint(g, CLIENT, sourceIp, sourcePort, sourceBytes, null);
            endpoint(g, SERVER, destinationIp, destinationPort, destinationBytes, urlDomain);
            g.writeFieldName(NETWORK);
            g.writeStartObject();
            g.writeFieldName(TRANSPORT);
            g.writeString(TCP);
            g.writeFieldName(TYPE);
            g.writeString(networkType);
            g.writeFieldName(PROTOCOL);
            g.writeString(HTTP);
            g.writeFieldName(COMMUNITY_ID);
            g.writeString(communityId);
            g.writeFieldName(BYTES);
            g.writeNumber(sourceBytes + destinationBytes);
            g.writeEndObject();

            g.writeFieldName(URL);
            g.writeStartObject();
            g.writeFieldName(ORIGINAL);
            g.writeString(urlOriginal);
            optional(g, PATH, urlPath);
            optional(g, QUERY, urlQuery);
            optional(g, SCHEME, urlScheme);
            optional(g, DOMAIN, urlDomain);
            if (urlPort != null)
            {
                g.writeFieldName(PORT);
                g.writeNumber(urlPort);
            }
            optional(g, FULL, urlFull);
            g.writeEndObject();
            if (userAgent != null)
            {
                g.writeFieldName(USER_AGENT);
                g.writeStartObject();
                g.writeFieldName(ORIGINAL);
                g.writeString(userAgent);
                g.writeEndObject();
            }

            g.writeFieldName(HTTP);
            g.writeStartObject();
            g.writeFieldName(VERSION);
            g.writeString(version);
            g.writeFieldName(REQUEST);
            g.writeStartObject();
            optional(g, ID, requestId);
            g.writeFieldName(METHOD);
            g.writeString(method);
            optional(g, REFERRER, referrer);
            g.writeFieldName(BYTES);
            g.writeNumber(sourceBytes);
            optional(g, MIME_TYPE, requestMimeType);
            body(g, requestBodyBytes);
            headers(g, requestHeaders);
            g.writeEndObject();
            g.writeFieldName(RESPONSE);
            g.writeStartObject();
            g.writeFieldName(STATUS_CODE);
            g.writeNumber(status);
            optional(g, STATUS_PHRASE, phrase);
            g.writeFieldName(BYTES);
            g.writeNumber(destinationBytes);
            optional(g, MIME_TYPE, responseMimeType);
            body(g, responseBodyBytes);
            headers(g, responseHeaders);
            g.writeEndObject();
            g.writeEndObject();

            g.writeFieldName(RELATED);
            g.writeStartObject();
            array(g, IP, relatedIps);
            if (relatedHosts != null)
            {
                array(g, HOSTS, relatedHosts);
            }
            g.writeEndObject();
            array(g, TAGS, tags);
            g.writeFieldName(HTTPCAP);
            g.writeStartObject();
            g.writeFieldName(TRANS_DEPTH);
            g.writeNumber(transDepth);
            if (timingNames.length > 0)
            {
                g.writeFieldName(TIMING);
                g.writeStartObject();
                for (int i = 0; i < timingNames.length; i++)
                {
                    g.writeFieldName(timingNames[i]);
                    g.writeNumber(timingValues[i]);
                }
                g.writeEndObject();
            }
            g.writeEndObject();
            g.writeEndObject();
        }

        private static void endpoint(
            final JsonGenerator g, final SerializedString name, final String ip, final int port, final long bytes,
            final String domain) throws IOException
        {
            g.writeFieldName(name);
            g.writeStartObject();
            g.writeFieldName(IP);
            g.writeString(ip);
            g.writeFieldName(PORT);
            g.writeNumber(port);
            g.writeFieldName(BYTES);
            g.writeNumber(bytes);
            optional(g, DOMAIN, domain);
            g.writeEndObject();
        }

        private static void optional(final JsonGenerator g, final SerializedString name, final String value)
            throws IOException
        {
            if (value != null)
            {
                g.writeFieldName(name);
                g.writeString(value);
            }
        }

        private static void body(final JsonGenerator g, final long bytes) throws IOException
        {
            g.writeFieldName(BODY);
            g.writeStartObject();
            g.writeFieldName(BYTES);
            g.writeNumber(bytes);
            g.writeEndObject();
        }

        private static void headers(final JsonGenerator g, final String[] pairs) throws IOException
        {
            if (pairs.length == 0)
            {
                return;
            }
            g.writeFieldName(HEADERS);
            g.writeStartObject();
            for (int i = 0; i < pairs.length; i += 2)
            {
                g.writeFieldName(pairs[i]);
                g.writeString(pairs[i + 1]);
            }
            g.writeEndObject();
        }
    }

    private static TcpFlow newFlow(final TcpFlowTracker tracker)
    {
        final TcpSegment syn = new TcpSegment();
        syn.timestampNanos = 1_764_670_000_000_000_000L;
        syn.ipVersion = 4;
        syn.srcLo = 0x0000_FFFF_C0A8_0A17L;
        syn.dstLo = 0x0000_FFFF_5DB8_D822L;
        syn.srcPort = 51_234;
        syn.dstPort = 80;
        syn.vlan = -1;
        syn.flags = TcpSegment.SYN;
        syn.seq = 100;
        syn.payload = new UnsafeBuffer(new byte[0]);
        return tracker.onSegment(syn);
    }
}
