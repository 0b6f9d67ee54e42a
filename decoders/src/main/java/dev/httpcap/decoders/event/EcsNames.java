package dev.httpcap.decoders.event;

import static dev.httpcap.decoders.event.JsonWriter.encodeName;

/** The JSON member names and fixed values shared by the HTTP, WebSocket and flow events, encoded once. */
final class EcsNames
{
    static final byte[] TIMESTAMP = encodeName("@timestamp");
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
    static final byte[] TCP = encodeName("tcp");
    static final byte[] VLAN = encodeName("vlan");
    static final byte[] TAGS = encodeName("tags");
    static final byte[] HTTPCAP = encodeName("httpcap");
    /** {@code httpcap.timing} and its handshake member: in HTTP and flow events. */
    static final byte[] TIMING = encodeName("timing");
    static final byte[] HANDSHAKE = encodeName("handshake");
    static final byte[] CLIENT = encodeName("client");
    static final byte[] SERVER = encodeName("server");
    static final byte[] ORIGINAL = encodeName("original");
    static final byte[] TEXT_ARROW = encodeName(" > ");
    static final byte[] DOMAIN = encodeName("domain");
    static final byte[] RELATED = encodeName("related");
    static final byte[] HOSTS = encodeName("hosts");
    static final byte[] OUTCOME = encodeName("outcome");
    static final byte[] TRANS_DEPTH = encodeName("trans_depth");
    /** {@code "ecs":{"version":...}}: the ECS release the events follow. */
    static final String ECS_MEMBER = "\"ecs\":{\"version\":\"" + EventSchema.ECS_VERSION + "\"}";

    private EcsNames()
    {
    }
}
