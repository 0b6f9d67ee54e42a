package dev.httpcap.decoders.event;

/**
 * Where the event schema is defined: {@link #RESOURCE}, one entry per field the encoders write
 * (name, type, ECS or not, when present, allowed values, example, description), from which
 * {@code docs/fields.md}, {@code httpcap schema --format json-schema} and
 * {@code --format elasticsearch-template} are made, and against which the tests check every event.
 */
public final class EventSchema
{
    /** The ECS release the events follow, written as {@code ecs.version} (the schema file says the same; a test checks it). */
    public static final String ECS_VERSION = "9.4.0";
    /** The schema, on the class path. */
    public static final String RESOURCE = "/dev/httpcap/decoders/event/fields.yaml";

    private EventSchema()
    {
    }
}
