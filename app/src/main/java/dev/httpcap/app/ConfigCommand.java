package dev.httpcap.app;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.ConfigFile;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.Parameter;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.app.cli.UsageException;

/**
 * {@code httpcap config check FILE}: everything {@code --config FILE} would check before capturing —
 * the YAML, every key, every value's type, and the command's own checks of the values (ranges,
 * combinations, the capture filter's syntax) — without opening an interface, a capture file or a
 * sink.
 */
final class ConfigCommand
{
    static final Parameter FILE = Parameter.required("FILE", "the YAML configuration file");
    static final Option FOR = Option.value("--for", "COMMAND", Option.Type.CHOICE,
        "the command the file is for").choices("live", "read").defaultValue("live");

    private ConfigCommand()
    {
    }

    static CommandSpec spec()
    {
        return new CommandSpec("httpcap config", "Check a configuration file (see --config).", false)
            .subcommand(new CommandSpec("httpcap config check",
                "Check a configuration file as --config would, without capturing; exit 0 when it is valid, 2 otherwise.", false)
                .parameter(FILE)
                .options(List.of(FOR)));
    }

    static int check(final CommandSpec main, final ParsedArgs parsed, final PrintStream out) throws UsageException
    {
        final Path file = Path.of(parsed.positional(0));
        final CommandSpec target = main.subcommand(parsed.choice(FOR, "live"));
        final ParsedArgs options = ConfigFile.read(file, target, main.subcommands());
        for (final Option option : target.options())
        {
            if (option.isRequired() && !options.isSet(option))
            {
                // The unit file gives the command nothing but --config.
                throw new UsageException(target, file + ": key '" + option.longName().substring(2) + "' is missing (" +
                    target.qualifiedName() + " needs " + option.longName() + ": " + option.description() + ")");
            }
        }
        try
        {
            if (target.name().equals("live"))
            {
                new LiveCommand(options).validate();
            }
            else
            {
                new ReadCommand(options).validate();
            }
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            throw new UsageException(target, options.explain(ex.getMessage()));
        }
        int keys = 0;
        for (final Option option : target.options())
        {
            keys += options.isSet(option) ? 1 : 0;
        }
        out.println(file + ": valid for " + target.qualifiedName() + " (" + keys + (keys == 1 ? " option" : " options") + " set)");
        return 0;
    }
}
