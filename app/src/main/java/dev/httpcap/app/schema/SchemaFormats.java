package dev.httpcap.app.schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link EventFields} renders to: a JSON Schema (draft 2020-12) of one event, a composable
 * index template with ECS mappings for Elasticsearch and OpenSearch, and the Markdown field
 * reference (docs/fields.md).
 */
public final class SchemaFormats
{
    /** Index name pattern of the template. */
    public static final String INDEX_PATTERN = "httpcap-*";
    private static final String[] DATASETS = {"http", "websocket", "flow"};

    private SchemaFormats()
    {
    }

    /**
     * A JSON Schema every event validates against: no member that the schema does not define
     * ({@code additionalProperties: false} at every level but the header objects), each value of
     * its type and, where the schema lists them, of its allowed values; per {@code event.dataset},
     * the fields present {@code always} are required.
     */
    public static String jsonSchema(final EventFields schema)
    {
        final Map<String, Object> root = objectSchema();
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.put("$id", "urn:httpcap:event:ecs-" + schema.ecsVersion());
        root.put("title", "httpcap event");
        root.put("description", "One event of httpcap (event.dataset http, websocket or flow), ECS " + schema.ecsVersion() + ".");
        for (final EventFields.Field field : schema.fields())
        {
            put(root, field.path(), 0, leafSchema(field));
        }
        final List<Object> perDataset = new ArrayList<>();
        for (final String dataset : DATASETS)
        {
            final Map<String, Object> required = new LinkedHashMap<>();
            for (final EventFields.Field field : schema.fields())
            {
                if ("always".equals(field.when()) && field.datasets().contains(dataset))
                {
                    require(required, field.path(), 0);
                }
            }
            perDataset.add(Map.of(
                "if", Map.of("properties", Map.of("event", Map.of("properties", Map.of("dataset", Map.of("const", dataset))))),
                "then", required));
        }
        // Reorder: keywords first, then properties, then the per-dataset requirements.
        final Map<String, Object> out = new LinkedHashMap<>();
        for (final String key : List.of("$schema", "$id", "title", "description", "type", "properties", "additionalProperties"))
        {
            out.put(key, root.get(key));
        }
        out.put("required", List.of("@timestamp", "event"));
        out.put("allOf", perDataset);
        return Json.write(out);
    }

    private static Map<String, Object> objectSchema()
    {
        final Map<String, Object> object = new LinkedHashMap<>();
        object.put("type", "object");
        object.put("properties", new LinkedHashMap<String, Object>());
        object.put("additionalProperties", false);
        return object;
    }

    @SuppressWarnings("unchecked")
    private static void put(final Map<String, Object> object, final String[] path, final int at, final Map<String, Object> leaf)
    {
        if (path[at].equals("*"))
        {
            object.put("additionalProperties", leaf);
            return;
        }
        final Map<String, Object> properties = (Map<String, Object>)object.get("properties");
        if (at == path.length - 1)
        {
            properties.put(path[at], leaf);
            return;
        }
        final Map<String, Object> child =
            (Map<String, Object>)properties.computeIfAbsent(path[at], k -> objectSchema());
        put(child, path, at + 1, leaf);
    }

    @SuppressWarnings("unchecked")
    private static void require(final Map<String, Object> schema, final String[] path, final int at)
    {
        final List<String> required = (List<String>)schema.computeIfAbsent("required", k -> new ArrayList<String>());
        if (!required.contains(path[at]))
        {
            required.add(path[at]);
        }
        if (at < path.length - 1)
        {
            final Map<String, Object> properties =
                (Map<String, Object>)schema.computeIfAbsent("properties", k -> new LinkedHashMap<String, Object>());
            require((Map<String, Object>)properties.computeIfAbsent(path[at], k -> new LinkedHashMap<String, Object>()), path,
                at + 1);
        }
    }

    private static Map<String, Object> leafSchema(final EventFields.Field field)
    {
        final Map<String, Object> value = new LinkedHashMap<>();
        switch (field.type())
        {
            case "keyword", "wildcard" -> value.put("type", "string");
            case "long" -> value.put("type", "integer");
            case "boolean" -> value.put("type", "boolean");
            case "date" ->
            {
                value.put("type", "string");
                value.put("format", "date-time");
            }
            case "ip" ->
            {
                value.put("type", "string");
                value.put("anyOf", List.of(Map.of("format", "ipv4"), Map.of("format", "ipv6")));
            }
            default -> throw new IllegalStateException(field.name() + ": unknown type " + field.type());
        }
        if (!field.allowed().isEmpty())
        {
            value.put("enum", field.allowed());
        }
        if (!field.array())
        {
            value.put("description", field.description());
            return value;
        }
        final Map<String, Object> array = new LinkedHashMap<>();
        array.put("type", "array");
        array.put("items", value);
        array.put("description", field.description());
        return array;
    }

    /**
     * A composable index template ({@code PUT _index_template/httpcap}) for indices
     * {@value #INDEX_PATTERN}: ECS's mapping of every field, header objects mapped by a dynamic
     * template. ECS's {@code wildcard} fields are mapped as {@code keyword} so that the same
     * template loads into OpenSearch; everything else is ECS's own type.
     */
    public static String indexTemplate(final EventFields schema)
    {
        final Map<String, Object> properties = new LinkedHashMap<>();
        final List<Object> dynamic = new ArrayList<>();
        for (final EventFields.Field field : schema.fields())
        {
            final String[] path = field.path();
            if (path[path.length - 1].equals("*"))
            {
                final String parent = field.name().substring(0, field.name().length() - 2);
                putMapping(properties, parent.split("\\."), 0, Map.of("type", "object"));
                dynamic.add(Map.of(parent.replace('.', '_'), Map.of(
                    "path_match", field.name(), "match_mapping_type", "string", "mapping", mapping(field))));
                continue;
            }
            putMapping(properties, path, 0, mapping(field));
        }
        final Map<String, Object> mappings = new LinkedHashMap<>();
        mappings.put("_meta", Map.of("ecs_version", schema.ecsVersion()));
        mappings.put("date_detection", false);
        mappings.put("dynamic_templates", dynamic);
        mappings.put("properties", properties);
        final Map<String, Object> template = new LinkedHashMap<>();
        template.put("settings", Map.of("index", Map.of("mapping", Map.of("total_fields", Map.of("limit", 2000)))));
        template.put("mappings", mappings);
        final Map<String, Object> root = new LinkedHashMap<>();
        root.put("index_patterns", List.of(INDEX_PATTERN));
        root.put("priority", 200);
        root.put("_meta", Map.of(
            "description", "httpcap events (HTTP transactions, WebSocket messages, connection records), ECS " +
                schema.ecsVersion(),
            "ecs_version", schema.ecsVersion()));
        root.put("template", template);
        return Json.write(root);
    }

    private static Map<String, Object> mapping(final EventFields.Field field)
    {
        final Map<String, Object> m = new LinkedHashMap<>();
        switch (field.type())
        {
            case "keyword" ->
            {
                m.put("type", "keyword");
                m.put("ignore_above", 1024);
            }
            case "wildcard" ->
            {
                m.put("type", "keyword");
                m.put("ignore_above", 8191);
            }
            default -> m.put("type", field.type());
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void putMapping(final Map<String, Object> properties, final String[] path, final int at, final Map<String, Object> leaf)
    {
        if (at == path.length - 1)
        {
            properties.putIfAbsent(path[at], leaf);
            return;
        }
        final Map<String, Object> object = (Map<String, Object>)properties.computeIfAbsent(path[at],
            k -> new LinkedHashMap<>(Map.of("properties", new LinkedHashMap<String, Object>())));
        putMapping((Map<String, Object>)object.get("properties"), path, at + 1, leaf);
    }

    /** The field reference, docs/fields.md: one table row per field, after the two example events when given (null: none). */
    public static String markdown(final EventFields schema, final String httpExample, final String flowExample)
    {
        final StringBuilder out = new StringBuilder(1 << 15);
        out.append("# Event fields\n\n")
            .append("<!-- Made from decoders/src/main/resources/dev/httpcap/decoders/event/fields.yaml and the events of ")
            .append("samples/demo.pcap by EventSchemaTest, which fails when this file differs (rewrite it with ")
            .append("-Dhttpcap.write.docs=true). -->\n\n")
            .append("httpcap writes one JSON object per line: an HTTP transaction (`event.dataset: http`), a WebSocket ")
            .append("message (`websocket`) or, with `--flows`, a TCP connection (`flow`). Field names, types and values ")
            .append("follow the Elastic Common Schema (ECS) ").append(schema.ecsVersion())
            .append(" where ECS has the field (column ECS); the others are httpcap's own (`httpcap.*`, `websocket.*`) ")
            .append("or Packetbeat's (`http.*.headers`, `http.response.status_phrase`, `body.content_base64`).\n\n")
            .append("- The same schema as JSON Schema: `httpcap schema --format json-schema`; as a composable index ")
            .append("template for Elasticsearch and OpenSearch (indices `").append(INDEX_PATTERN).append("`): ")
            .append("`httpcap schema --format elasticsearch-template`, e.g. ")
            .append("`curl -XPUT -H 'Content-Type: application/json' localhost:9200/_index_template/httpcap --data-binary @-`. ")
            .append("The template maps ECS's `wildcard` fields as `keyword` (OpenSearch has no `wildcard` type before 2.15).\n")
            .append("- `observer.*`, `host.*` and `network.direction` are written by `httpcap live` only: a capture ")
            .append("file does not say where it was recorded, and reading it gives the same events on every machine.\n")
            .append("- Header values are strings, numbers too: one field's value may be a list or malformed, and a ")
            .append("mapping must have one type; the numbers that matter have numeric fields (`http.*.bytes`, `*.body.bytes`).\n")
            .append("- Absent means not known: httpcap never writes `null`.\n")
            .append("- `httpcap.timing.*` split `event.duration` (nanoseconds, each absent when not known).\n\n");
        if (httpExample != null)
        {
            out.append("An HTTP event of `httpcap read --sink stdout:json --flows samples/demo.pcap` (its first):\n\n")
                .append("```json\n").append(httpExample.strip()).append("\n```\n\n")
                .append("A connection record of the same run:\n\n")
                .append("```json\n").append(flowExample.strip()).append("\n```\n\n");
        }
        out.append("| field | type | ECS | events | present | values / example | description |\n")
            .append("|---|---|---|---|---|---|---|\n");
        for (final EventFields.Field f : schema.fields())
        {
            out.append("| `").append(f.name()).append("` | ").append(f.type()).append(f.array() ? "[]" : "")
                .append(" | ").append(f.ecs() ? "yes" : "no")
                .append(" | ").append(String.join(", ", f.datasets()))
                .append(" | ").append(cell(f.when()))
                .append(" | ").append(f.allowed().isEmpty() ? (f.example() == null ? "" : "`" + cell(f.example()) + "`") :
                    "`" + String.join("`, `", f.allowed()) + "`")
                .append(" | ").append(cell(f.description())).append(" |\n");
        }
        return out.toString();
    }

    private static String cell(final String text)
    {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
