package dev.httpcap.app.schema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import dev.httpcap.decoders.event.EventSchema;

/**
 * The event fields as {@link EventSchema#RESOURCE} defines them (the one source of truth), read
 * from the class path. What {@code httpcap schema} renders and the tests check events against.
 */
public final class EventFields
{
    /** One field of the events. */
    public record Field(
        String name, String type, boolean ecs, List<String> datasets, String when, boolean array, List<String> allowed,
        String example, String description)
    {
        /** @return the name's parts ({@code @timestamp} is one part; {@code *} stands for any name). */
        public String[] path()
        {
            return name.split("\\.");
        }
    }

    private final String ecsVersion;
    private final List<Field> fields;

    private EventFields(final String ecsVersion, final List<Field> fields)
    {
        this.ecsVersion = ecsVersion;
        this.fields = List.copyOf(fields);
    }

    /** @return the fields of {@link EventSchema#RESOURCE}. */
    public static EventFields load()
    {
        try (InputStream in = EventSchema.class.getResourceAsStream(EventSchema.RESOURCE))
        {
            if (in == null)
            {
                throw new IllegalStateException("no " + EventSchema.RESOURCE + " on the class path");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot read " + EventSchema.RESOURCE, ex);
        }
    }

    @SuppressWarnings("unchecked")
    static EventFields parse(final String yaml)
    {
        final Map<String, Object> root =
            (Map<String, Object>)new Load(LoadSettings.builder().setLabel(EventSchema.RESOURCE).build()).loadFromString(yaml);
        final List<Field> fields = new ArrayList<>();
        for (final Object entry : (List<Object>)root.get("fields"))
        {
            final Map<String, Object> f = (Map<String, Object>)entry;
            fields.add(new Field(
                (String)f.get("name"), (String)f.get("type"), Boolean.TRUE.equals(f.get("ecs")),
                strings(f.get("datasets")), String.valueOf(f.get("when")), Boolean.TRUE.equals(f.get("array")),
                f.containsKey("allowed") ? strings(f.get("allowed")) : List.of(),
                f.containsKey("example") ? String.valueOf(f.get("example")) : null, (String)f.get("description")));
        }
        return new EventFields(String.valueOf(root.get("ecs_version")), fields);
    }

    private static List<String> strings(final Object list)
    {
        final List<String> out = new ArrayList<>();
        for (final Object o : (List<?>)list)
        {
            out.add(String.valueOf(o));
        }
        return out;
    }

    /** @return the ECS release the events follow. */
    public String ecsVersion()
    {
        return ecsVersion;
    }

    /** @return every field, in the file's order. */
    public List<Field> fields()
    {
        return fields;
    }
}
