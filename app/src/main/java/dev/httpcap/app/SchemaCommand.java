package dev.httpcap.app;

import java.io.PrintStream;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.app.schema.EventFields;
import dev.httpcap.app.schema.SchemaFormats;

/** {@code httpcap schema}: the event schema, from its one definition (decoders' fields.yaml), in the form asked for. */
final class SchemaCommand
{
    static final Option FORMAT = Option.value("--format", "FORMAT", Option.Type.CHOICE,
        "json-schema (JSON Schema 2020-12 of one event), elasticsearch-template (a composable index template with " +
            "ECS mappings, for Elasticsearch and OpenSearch) or markdown (the field reference)")
        .choices("json-schema", "elasticsearch-template", "markdown").defaultValue("json-schema");

    private final String format;

    SchemaCommand(final ParsedArgs args)
    {
        this.format = args.choice(FORMAT, "json-schema");
    }

    static CommandSpec spec()
    {
        return new CommandSpec("httpcap schema",
            "Print the schema of the events: every field, its ECS type, allowed values and when it is present.", true)
            .options(java.util.List.of(FORMAT));
    }

    int call(final PrintStream out)
    {
        final EventFields fields = EventFields.load();
        out.print(switch (format)
        {
            case "elasticsearch-template" -> SchemaFormats.indexTemplate(fields);
            case "markdown" -> SchemaFormats.markdown(fields, null, null);
            default -> SchemaFormats.jsonSchema(fields);
        });
        out.flush();
        return 0;
    }
}
