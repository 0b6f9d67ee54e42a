import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.RequestHeader;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Just enough of a Kafka broker for an idempotent producer to send to it, for bin/httpcap's AOT
 * training run: with the Kafka sink in that run, the JVM's AOT cache holds kafka-clients' classes
 * (loaded and linked, with what little profile five events give), which every `--sink kafka://` start
 * otherwise loads and profiles while it sends (perf/README.md, Kafka, fourth pass). No broker is
 * needed to build or train; this one stores nothing.
 *
 * <pre>
 *   java -cp app/target/httpcap.jar scripts/kafka/TrainingBroker.java [SECONDS]   # prints its port, serves
 * </pre>
 *
 * It answers ApiVersions, Metadata (one partition, led by itself, for any topic asked for),
 * InitProducerId and Produce (every batch acknowledged); its ApiVersions lists only those, so a
 * client that needs more (transactions, say) is told so at once. On 127.0.0.1, an ephemeral port.
 * It exits by itself after SECONDS (default 60), so that one left behind by an interrupted
 * training run does not stay.
 */
public final class TrainingBroker
{
    private static final List<ApiKeys> SERVED =
        List.of(ApiKeys.API_VERSIONS, ApiKeys.METADATA, ApiKeys.INIT_PRODUCER_ID, ApiKeys.PRODUCE);

    private final Map<String, Uuid> topicIds = new ConcurrentHashMap<>();
    private final AtomicLong producerIds = new AtomicLong(1000);
    private final AtomicLong offsets = new AtomicLong();
    private final int port;

    private TrainingBroker(final int port)
    {
        this.port = port;
    }

    public static void main(final String[] args) throws IOException
    {
        final long deadline = System.currentTimeMillis() + 1000L * (args.length > 0 ? Long.parseLong(args[0]) : 60);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()))
        {
            final TrainingBroker broker = new TrainingBroker(server.getLocalPort());
            System.out.println(server.getLocalPort());
            System.out.flush();
            while (true)
            {
                // Waiting for the next client no later than the deadline; the connections being served
                // are daemon threads, and end with main.
                server.setSoTimeout((int)Math.max(1, deadline - System.currentTimeMillis()));
                final Socket socket;
                try
                {
                    socket = server.accept();
                }
                catch (final SocketTimeoutException ex)
                {
                    return;
                }
                Thread.ofPlatform().daemon().start(() -> broker.serve(socket));
            }
        }
    }

    private void serve(final Socket socket)
    {
        try (socket)
        {
            socket.setTcpNoDelay(true);
            final DataInputStream in = new DataInputStream(socket.getInputStream());
            final OutputStream out = socket.getOutputStream();
            while (true)
            {
                final byte[] frame = new byte[in.readInt()];
                in.readFully(frame);
                final ByteBuffer buffer = ByteBuffer.wrap(frame);
                final RequestHeader header = RequestHeader.parse(buffer);
                final AbstractRequest request =
                    AbstractRequest.parseRequest(header.apiKey(), header.apiVersion(), new ByteBufferAccessor(buffer)).request;
                final ApiMessage response = answer(header.apiKey(), request);
                if (null != response)
                {
                    write(out, header, response);
                }
            }
        }
        catch (final EOFException ex)
        {
            // the client closed the connection
        }
        catch (final IOException | RuntimeException ex)
        {
            System.err.println("TrainingBroker: " + ex);
        }
    }

    private ApiMessage answer(final ApiKeys api, final AbstractRequest request)
    {
        return switch (api)
        {
            case API_VERSIONS ->
            {
                final ApiVersionsResponseData.ApiVersionCollection versions = new ApiVersionsResponseData.ApiVersionCollection();
                for (final ApiKeys key : SERVED)
                {
                    versions.add(new ApiVersionsResponseData.ApiVersion()
                        .setApiKey(key.id).setMinVersion(key.oldestVersion()).setMaxVersion(key.latestVersion()));
                }
                yield new ApiVersionsResponseData().setApiKeys(versions);
            }
            case METADATA -> metadata(((MetadataRequest)request).data());
            case INIT_PRODUCER_ID -> new InitProducerIdResponseData().setProducerId(producerIds.incrementAndGet()).setProducerEpoch((short)0);
            case PRODUCE -> produce((ProduceRequest)request);
            default -> null;
        };
    }

    private MetadataResponseData metadata(final MetadataRequestData request)
    {
        final MetadataResponseData.MetadataResponseBrokerCollection brokers = new MetadataResponseData.MetadataResponseBrokerCollection();
        brokers.add(new MetadataResponseData.MetadataResponseBroker().setNodeId(0).setHost("127.0.0.1").setPort(port));
        final MetadataResponseData.MetadataResponseTopicCollection topics = new MetadataResponseData.MetadataResponseTopicCollection();
        if (null != request.topics())
        {
            for (final MetadataRequestData.MetadataRequestTopic topic : request.topics())
            {
                if (null == topic.name())
                {
                    continue;
                }
                final List<MetadataResponseData.MetadataResponsePartition> partitions = List.of(
                    new MetadataResponseData.MetadataResponsePartition().setPartitionIndex(0).setLeaderId(0).setLeaderEpoch(0)
                        .setReplicaNodes(List.of(0)).setIsrNodes(List.of(0)).setOfflineReplicas(List.of()));
                topics.add(new MetadataResponseData.MetadataResponseTopic().setName(topic.name())
                    .setTopicId(topicIds.computeIfAbsent(topic.name(), name -> Uuid.randomUuid())).setPartitions(partitions));
            }
        }
        return new MetadataResponseData().setBrokers(brokers).setClusterId("httpcap-aot-training").setControllerId(0).setTopics(topics);
    }

    private ProduceResponseData produce(final ProduceRequest request)
    {
        if (0 == request.acks())
        {
            return null;
        }
        final ProduceResponseData.TopicProduceResponseCollection topics = new ProduceResponseData.TopicProduceResponseCollection();
        for (final ProduceRequestData.TopicProduceData topic : request.data().topicData())
        {
            final List<ProduceResponseData.PartitionProduceResponse> partitions = new ArrayList<>();
            for (final ProduceRequestData.PartitionProduceData partition : topic.partitionData())
            {
                long records = 0;
                for (final RecordBatch batch : ((MemoryRecords)partition.records()).batches())
                {
                    records += batch.lastOffset() - batch.baseOffset() + 1;
                }
                partitions.add(new ProduceResponseData.PartitionProduceResponse().setIndex(partition.index())
                    .setBaseOffset(offsets.getAndAdd(records)).setLogAppendTimeMs(-1).setLogStartOffset(0));
            }
            topics.add(new ProduceResponseData.TopicProduceResponse().setName(topic.name()).setTopicId(topic.topicId())
                .setPartitionResponses(partitions));
        }
        return new ProduceResponseData().setResponses(topics);
    }

    private static void write(final OutputStream out, final RequestHeader request, final ApiMessage body) throws IOException
    {
        final short version = request.apiVersion();
        final short headerVersion = request.apiKey().responseHeaderVersion(version);
        final ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(request.correlationId());
        final ObjectSerializationCache cache = new ObjectSerializationCache();
        final int size = header.size(cache, headerVersion) + body.size(cache, version);
        final ByteBuffer buffer = ByteBuffer.allocate(4 + size).putInt(size);
        final ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
        header.write(accessor, cache, headerVersion);
        body.write(accessor, cache, version);
        out.write(buffer.array());
        out.flush();
    }
}
