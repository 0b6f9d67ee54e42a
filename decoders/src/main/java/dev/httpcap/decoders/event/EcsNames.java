package dev.httpcap.decoders.event;

import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/** The JSON member names and fixed values shared by the HTTP, WebSocket and flow events, encoded once. */
final class EcsNames
{
    static final byte[] TIMESTAMP = encodeName("@timestamp");
    static final byte[] EVENT = encodeName("event");
    static final byte[] DATASET = encodeName("dataset");
    static final byte[] KIND = encodeName("kind");
    static final byte[] START = encodeName("start");
    static final byte[] END = encodeName("end");
    static final byte[] DURATION = encodeName("duration");
    static final byte[] ID = encodeName("id");
    static final byte[] SOURCE = encodeName("source");
    static final byte[] DESTINATION = encodeName("destination");
    static final byte[] IP = encodeName("ip");
    static final byte[] PORT = encodeName("port");
    static final byte[] PACKETS = encodeName("packets");
    static final byte[] BYTES = encodeName("bytes");
    static final byte[] NETWORK = encodeName("network");
    static final byte[] TRANSPORT = encodeName("transport");
    static final byte[] TCP = encodeName("tcp");
    static final byte[] TYPE = encodeName("type");
    static final byte[] IPV4 = encodeName("ipv4");
    static final byte[] IPV6 = encodeName("ipv6");
    static final byte[] COMMUNITY_ID = encodeName("community_id");
    static final byte[] VLAN = encodeName("vlan");
    static final byte[] TAGS = encodeName("tags");
    static final byte[] HTTPCAP = encodeName("httpcap");
    static final byte[] CLIENT = encodeName("client");
    static final byte[] SERVER = encodeName("server");
    static final byte[] ORIGINAL = encodeName("original");
    static final byte[] TEXT_ARROW = encodeName(" > ");
    static final byte[] DOMAIN = encodeName("domain");
    static final byte[] PROTOCOL = encodeName("protocol");
    static final byte[] DIRECTION = encodeName("direction");
    static final byte[] RELATED = encodeName("related");
    static final byte[] HOSTS = encodeName("hosts");
    static final byte[] CATEGORY = encodeName("category");
    static final byte[] KIND_EVENT = encodeName("event");
    static final byte[] OUTCOME = encodeName("outcome");
    static final byte[] TRANS_DEPTH = encodeName("trans_depth");
    /** {@code "ecs":{"version":...}}: the ECS release the events follow. */
    static final byte[] ECS_MEMBER = encodeName("\"ecs\":{\"version\":\"" + EventSchema.ECS_VERSION + "\"}");

    private EcsNames()
    {
    }
}
