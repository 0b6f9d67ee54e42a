package dev.httpcap.app.schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks events against the schema, for every test that has real events to show (the samples, the
 * recorded nginx/wrk capture, the HTTP mix, WebSocket traffic, live captures): each event validates
 * against {@code httpcap schema --format json-schema} (networknt's validator, formats asserted), each
 * field it carries is listed for its {@code event.dataset}, and each ECS field's value is of the type
 * and among the allowed values of ECS's own field list (test resource ecs/ecs-flat-VERSION.json,
 * copied from the {@code @elastic/ecs} npm package).
 */
public final class EventSchemaCheck
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final EventFields FIELDS = EventFields.load();
    private static final JsonSchema SCHEMA = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
        SchemaFormats.jsonSchema(FIELDS), SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build());
    private static final JsonNode ECS = ecs(FIELDS.ecsVersion());

    private EventSchemaCheck()
    {
    }

    /** @return ECS's field list, as the test resource has it: {@code {"ecs_version", "fields": {name: {type, array, allowed, expected}}}}. */
    public static JsonNode ecs(final String version)
    {
        try (InputStream in = EventSchemaCheck.class.getResourceAsStream("/ecs/ecs-flat-" + version + ".json"))
        {
            if (in == null)
            {
                throw new IllegalStateException("no ECS field list for ECS " + version + " in the test resources");
            }
            return MAPPER.readTree(in);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Assert that every line is an event that follows the schema (see the class comment).
     *
     * @return how many events of each dataset there were.
     */
    public static Map<String, Integer> assertValid(final List<String> lines)
    {
        final Map<String, Integer> datasets = new TreeMap<>();
        final List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size() && problems.size() < 20; i++)
        {
            final String line = lines.get(i);
            final JsonNode event;
            try
            {
                event = MAPPER.readTree(line);
            }
            catch (final IOException ex)
            {
                problems.add("line " + (i + 1) + ": not JSON: " + ex.getMessage());
                continue;
            }
            final String dataset = event.path("event").path("dataset").asText();
            datasets.merge(dataset, 1, Integer::sum);
            final Set<ValidationMessage> errors = SCHEMA.validate(event);
            for (final ValidationMessage error : errors)
            {
                problems.add("line " + (i + 1) + ": " + error.getMessage() + " in " + line);
            }
            final Map<String, JsonNode> leaves = new TreeMap<>();
            leaves("", event, leaves);
            for (final Map.Entry<String, JsonNode> leaf : leaves.entrySet())
            {
                final String problem = check(leaf.getKey(), leaf.getValue(), dataset);
                if (problem != null)
                {
                    problems.add("line " + (i + 1) + ": " + problem);
                }
            }
        }
        if (!problems.isEmpty())
        {
            fail(problems.size() + " problems, e.g.\n" + String.join("\n", problems.subList(0, Math.min(20, problems.size()))));
        }
        return datasets;
    }

    /** The fields of {@code node}: dotted name to value (arrays are values). */
    static void leaves(final String prefix, final JsonNode node, final Map<String, JsonNode> out)
    {
        if (!node.isObject())
        {
            out.put(prefix, node);
            return;
        }
        for (final Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); )
        {
            final Map.Entry<String, JsonNode> e = it.next();
            leaves(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
        }
    }

    private static final Map<String, EventFields.Field> BY_NAME = new HashMap<>();

    static
    {
        for (final EventFields.Field f : FIELDS.fields())
        {
            BY_NAME.put(f.name(), f);
        }
    }

    /** @return the schema entry of field {@code name} ({@code x.headers.*} for a header), or null. */
    static EventFields.Field field(final String name)
    {
        final EventFields.Field exact = BY_NAME.get(name);
        if (exact != null)
        {
            return exact;
        }
        final int dot = name.lastIndexOf('.');
        return dot < 0 ? null : BY_NAME.get(name.substring(0, dot) + ".*");
    }

    private static String check(final String name, final JsonNode value, final String dataset)
    {
        final EventFields.Field field = field(name);
        if (field == null)
        {
            return name + ": no schema entry";
        }
        if (!field.datasets().contains(dataset))
        {
            return name + ": in a " + dataset + " event, but the schema has it only in " + field.datasets();
        }
        if (!field.ecs())
        {
            return null;
        }
        final JsonNode ecs = ECS.path("fields").path(name);
        if (ecs.isMissingNode())
        {
            return name + ": marked ECS, but ECS " + FIELDS.ecsVersion() + " has no such field";
        }
        final boolean array = ecs.path("array").asBoolean(false);
        final List<JsonNode> values = new ArrayList<>();
        if (value.isArray())
        {
            if (!array)
            {
                return name + ": an array, but ECS has one value";
            }
            value.forEach(values::add);
        }
        else
        {
            values.add(value);
        }
        final Set<String> allowed = new TreeSet<>();
        ecs.path("allowed").forEach(v -> allowed.add(v.asText()));
        ecs.path("expected").forEach(v -> allowed.add(v.asText()));
        for (final JsonNode v : values)
        {
            final String problem = ecsType(ecs.path("type").asText(), v);
            if (problem != null)
            {
                return name + ": " + problem + " (ECS type " + ecs.path("type").asText() + "): " + v;
            }
            if (!allowed.isEmpty() && !allowed.contains(v.asText()))
            {
                return name + ": " + v + " is not one of ECS's " + allowed;
            }
        }
        return null;
    }

    /** @return why {@code v} is not a value of ECS type {@code type}, or null. */
    static String ecsType(final String type, final JsonNode v)
    {
        switch (type)
        {
            case "keyword", "wildcard", "match_only_text", "text", "constant_keyword":
                return v.isTextual() ? null : "not a string";
            case "long", "integer", "short", "byte", "unsigned_long":
                return v.isIntegralNumber() ? null : "not an integer";
            case "float", "double", "scaled_float", "half_float":
                return v.isNumber() ? null : "not a number";
            case "boolean":
                return v.isBoolean() ? null : "not a boolean";
            case "date":
                try
                {
                    Instant.parse(v.asText());
                    return v.isTextual() ? null : "not a string";
                }
                catch (final RuntimeException ex)
                {
                    return "not an RFC 3339 time";
                }
            case "ip":
                try
                {
                    InetAddress.ofLiteral(v.asText());
                    return v.isTextual() ? null : "not a string";
                }
                catch (final RuntimeException ex)
                {
                    return "not an IP address";
                }
            default:
                return "type " + type + " not checked here";
        }
    }

    /** Assert that the schema agrees with ECS: every field marked ECS is ECS's, with its type, arrays and allowed values; no other is. */
    public static void assertSchemaFollowsEcs()
    {
        assertEquals(FIELDS.ecsVersion(), ECS.path("ecs_version").asText(), "the ECS field list's version");
        final List<String> problems = new ArrayList<>();
        for (final EventFields.Field f : FIELDS.fields())
        {
            final JsonNode ecs = ECS.path("fields").path(f.name());
            if (!f.ecs())
            {
                if (!ecs.isMissingNode())
                {
                    problems.add(f.name() + " is an ECS field: mark it ecs: true");
                }
                continue;
            }
            if (ecs.isMissingNode())
            {
                problems.add(f.name() + " is not in ECS " + FIELDS.ecsVersion());
                continue;
            }
            if (!f.type().equals(ecs.path("type").asText()))
            {
                problems.add(f.name() + ": type " + f.type() + ", ECS " + ecs.path("type").asText());
            }
            if (f.array() != ecs.path("array").asBoolean(false))
            {
                problems.add(f.name() + ": array " + f.array() + ", ECS " + ecs.path("array").asBoolean(false));
            }
            final Set<String> allowed = new TreeSet<>();
            ecs.path("allowed").forEach(v -> allowed.add(v.asText()));
            ecs.path("expected").forEach(v -> allowed.add(v.asText()));
            for (final String value : f.allowed())
            {
                if (!allowed.isEmpty() && !allowed.contains(value))
                {
                    problems.add(f.name() + ": " + value + " is not one of ECS's " + allowed);
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }
}
