package dev.httpcap.app.cli;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * {@code --config FILE.yaml}: a command's options as a YAML mapping, one key per option, named as the
 * option without its dashes ({@code workers: 4}, {@code sink: [stdout, "file:/var/lib/x"]},
 * {@code promisc: false}). The keys are derived from the command's option table, so every option
 * has one, including options added later. Keys may be grouped by a common first word:
 * {@code kafka: {acks: all}} is {@code kafka-acks: all}.
 * <p>
 * Values are checked as the command line checks them, and every error names the file, the line and
 * the key's path ({@code /etc/httpcap.yaml:7: key 'kafka.ackz' is not an option of httpcap live (did
 * you mean 'kafka-acks'?)}). A repeatable option takes a list or a single value; a list-of-numbers
 * option ({@code http-ports}) a list or {@code 80,8080}. The result is a {@link ParsedArgs} that the
 * command line's own values override ({@link ParsedArgs#addDefaults}).
 */
public final class ConfigFile
{
    /** The option that names the file; it has no key of its own. */
    public static final Option OPTION = Option.value("--config", "FILE", Option.Type.STRING,
        "read options from this YAML file: one key per option, named without the dashes (workers: 4); " +
            "options on the command line override it");

    private static final int MAX_BYTES = 1 << 20;

    private final Path file;
    private final CommandSpec command;
    private final List<CommandSpec> siblings;
    private final Map<String, Option> byKey = new LinkedHashMap<>();
    private final Set<String> negatedKeys = new HashSet<>();

    private ConfigFile(final Path file, final CommandSpec command, final List<CommandSpec> siblings)
    {
        this.file = file;
        this.command = command;
        this.siblings = siblings;
        for (final Option option : command.options())
        {
            if (option == CommandSpec.HELP || option == CommandSpec.VERSION || option.longName().equals(OPTION.longName()))
            {
                continue;
            }
            byKey.put(option.longName().substring(2), option);
            if (option.negatedName() != null)
            {
                byKey.put(option.negatedName().substring(2), option);
                negatedKeys.add(option.negatedName().substring(2));
            }
        }
    }

    /** The key of every option of {@code command} that a file may set, in help order. */
    public static List<String> keys(final CommandSpec command)
    {
        return new ArrayList<>(new ConfigFile(null, command, List.of()).byKey.keySet());
    }

    /**
     * Read {@code file} as options of {@code command}.
     *
     * @param siblings the other commands, to say which one an unknown key belongs to.
     * @throws UsageException naming the file, line and key for an unreadable file, malformed YAML,
     *                        an unknown key or a bad value.
     */
    public static ParsedArgs read(final Path file, final CommandSpec command, final List<CommandSpec> siblings)
        throws UsageException
    {
        final String text;
        try
        {
            if (Files.size(file) > MAX_BYTES)
            {
                throw new UsageException(command, file + ": larger than " + (MAX_BYTES >> 10) + " KiB; not a configuration file");
            }
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        }
        catch (final CharacterCodingException ex)
        {
            throw new UsageException(command, file + ": not UTF-8 text");
        }
        catch (final IOException ex)
        {
            throw new UsageException(command, "cannot read configuration file " + file + ": " + reason(ex));
        }
        return new ConfigFile(file, command, siblings).parse(text);
    }

    private ParsedArgs parse(final String text) throws UsageException
    {
        final Node root;
        try
        {
            final LoadSettings settings = LoadSettings.builder().setLabel(file.toString()).setAllowRecursiveKeys(false)
                .setMaxAliasesForCollections(50).build();
            root = new Compose(settings).composeString(text).orElse(null);
        }
        catch (final MarkedYamlEngineException ex)
        {
            final String where = ex.getProblemMark().map(this::where).orElse(file.toString());
            throw new UsageException(command, where + ": not valid YAML: " + ex.getProblem());
        }
        catch (final YamlEngineException ex)
        {
            throw new UsageException(command, file + ": not valid YAML: " + ex.getMessage());
        }
        final ParsedArgs parsed = new ParsedArgs(command);
        if (root == null || (root instanceof final ScalarNode scalar && scalar.getTag().equals(Tag.NULL)))
        {
            return parsed; // an empty file (or only comments): nothing set
        }
        if (!(root instanceof final MappingNode mapping))
        {
            throw error(root, "the file must be a mapping of option names to values (workers: 4), not a " +
                kind(root));
        }
        mapping(mapping, "", "", parsed, new HashSet<>());
        return parsed;
    }

    /** {@code prefix}: the joined option name so far ({@code kafka-}); {@code path}: as the user wrote it ({@code kafka.}). */
    private void mapping(final MappingNode mapping, final String prefix, final String path, final ParsedArgs parsed,
        final Set<Option> seen) throws UsageException
    {
        for (final NodeTuple tuple : mapping.getValue())
        {
            if (!(tuple.getKeyNode() instanceof final ScalarNode keyNode))
            {
                throw error(tuple.getKeyNode(), "a key must be a name, not a " + kind(tuple.getKeyNode()));
            }
            final String key = keyNode.getValue();
            final String name = prefix + key;
            final String keyPath = path + key;
            final Node value = tuple.getValueNode();
            if (value instanceof final MappingNode group && isPrefix(name + "-"))
            {
                mapping(group, name + "-", keyPath + ".", parsed, seen);
                continue;
            }
            final Option option = byKey.get(name);
            if (option == null)
            {
                throw error(keyNode, unknown(name, keyPath));
            }
            if (!seen.add(option))
            {
                throw error(keyNode, "key '" + keyPath + "' sets " + option.longName() + ", which is already set above");
            }
            value(option, negatedKeys.contains(name), keyPath, value, parsed);
            parsed.origin(option, keyNode.getStartMark().map(this::where).orElse(file.toString()) + ", key '" + keyPath + "'");
        }
    }

    private void value(final Option option, final boolean negated, final String keyPath, final Node node,
        final ParsedArgs parsed) throws UsageException
    {
        if (node instanceof MappingNode)
        {
            throw error(node, "key '" + keyPath + "' takes " + expected(option) + ", not a mapping");
        }
        if (node instanceof final SequenceNode sequence)
        {
            if (!option.isRepeatable())
            {
                throw error(node, "key '" + keyPath + "' takes one value (" + expected(option) + "), not a list");
            }
            final List<Node> items = sequence.getValue();
            for (int i = 0; i < items.size(); i++)
            {
                final Node item = items.get(i);
                if (!(item instanceof final ScalarNode scalar))
                {
                    throw error(item, "key '" + keyPath + "[" + i + "]' must be " + expected(option) + ", not a " + kind(item));
                }
                scalar(option, negated, keyPath + "[" + i + "]", scalar, parsed);
            }
            return;
        }
        scalar(option, negated, keyPath, (ScalarNode)node, parsed);
    }

    private void scalar(final Option option, final boolean negated, final String keyPath, final ScalarNode node,
        final ParsedArgs parsed) throws UsageException
    {
        if (node.getTag().equals(Tag.NULL))
        {
            throw error(node, "key '" + keyPath + "' has no value (expected " + expected(option) + ")");
        }
        final String text = node.getValue();
        if (!option.takesValue())
        {
            if (!text.equalsIgnoreCase("true") && !text.equalsIgnoreCase("false"))
            {
                throw error(node, "key '" + keyPath + "': '" + text + "' is not a boolean (true or false)");
            }
            parsed.add(option, Boolean.toString(text.equalsIgnoreCase("true") != negated));
            return;
        }
        final List<String> values = new ArrayList<>(1);
        if (option.type() == Option.Type.INT_LIST)
        {
            for (final String item : text.split(",", -1))
            {
                values.add(item.strip());
            }
        }
        else
        {
            values.add(text);
        }
        for (final String value : values)
        {
            final String problem = CommandSpec.problem(option, value);
            if (problem != null)
            {
                throw error(node, "key '" + keyPath + "': " + problem);
            }
            parsed.add(option, value);
        }
    }

    private boolean isPrefix(final String prefix)
    {
        for (final String key : byKey.keySet())
        {
            if (key.startsWith(prefix))
            {
                return true;
            }
        }
        return false;
    }

    private String unknown(final String name, final String keyPath)
    {
        if (name.equals(OPTION.longName().substring(2)))
        {
            return "key '" + keyPath + "': a configuration file cannot name another";
        }
        final StringBuilder message = new StringBuilder("key '").append(keyPath).append("' is not an option of ")
            .append(command.qualifiedName());
        for (final CommandSpec sibling : siblings)
        {
            final Option theirs = sibling.option("--" + name);
            if (sibling != command && theirs != null && theirs != CommandSpec.HELP && theirs != CommandSpec.VERSION)
            {
                return message.append(" (it is one of ").append(sibling.qualifiedName()).append(')').toString();
            }
        }
        final String close = Suggest.closest(name, byKey.keySet());
        if (close != null)
        {
            message.append(" (did you mean '").append(close).append("'?)");
        }
        return message.toString();
    }

    private static String expected(final Option option)
    {
        return switch (option.type())
        {
            case FLAG, NEGATABLE -> "true or false";
            case INT -> "a whole number";
            case LONG -> "a whole number";
            case DOUBLE -> "a number";
            case INT_LIST -> "whole numbers";
            case CHOICE -> String.join(", ", option.choices()).toLowerCase(Locale.ROOT);
            case STRING -> option.label() != null ? option.label() : "text";
        };
    }

    private static String kind(final Node node)
    {
        return switch (node.getNodeType())
        {
            case MAPPING -> "mapping";
            case SEQUENCE -> "list";
            default -> "value";
        };
    }

    private UsageException error(final Node node, final String problem)
    {
        return new UsageException(command, node.getStartMark().map(this::where).orElse(file.toString()) + ": " + problem);
    }

    private String where(final Mark mark)
    {
        return file + ":" + (mark.getLine() + 1);
    }

    private static String reason(final IOException ex)
    {
        if (ex instanceof final java.nio.file.FileSystemException fse)
        {
            return fse.getReason() != null ? fse.getReason() : switch (fse)
            {
                case java.nio.file.NoSuchFileException ignore -> "no such file";
                case java.nio.file.AccessDeniedException ignore -> "permission denied";
                default -> fse.getClass().getSimpleName();
            };
        }
        return ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
    }
}
