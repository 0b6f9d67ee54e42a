package dev.httpcap.app;

import java.io.PrintStream;

import java.nio.file.Path;

import dev.httpcap.app.cli.BashCompletion;
import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.ConfigFile;
import dev.httpcap.app.cli.ManPage;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.Parameter;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.app.cli.UsageException;

/**
 * The {@code httpcap} command line. The only {@code main} in the project.
 * <p>
 * Exit status: 0 done, 1 the run failed (a file that cannot be read or is damaged, a capture error), 2 a usage
 * error ({@code httpcap: MESSAGE} and where to find the help on standard error), 130 a second
 * interrupt. The options are tables ({@link dev.httpcap.app.cli}), not annotations: reading a
 * command line costs microseconds, not the ~0.3 s of CPU a reflective parser took at start-up.
 */
public final class Main
{
    static final String DESCRIPTION =
        "Decodes HTTP traffic from capture files and live interfaces into structured events.";

    static final Option MAN = Option.flag("--man",
        "print the manual page, httpcap(1), in roff (man -l -): every command and option, as this help has them");
    static final Option BASH_COMPLETION = Option.flag("--bash-completion",
        "print a bash completion script for httpcap's commands, options and their values");

    private Main()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    /** Run the command line and return its exit status, without exiting (for tests and embedding). */
    public static int execute(final String... args)
    {
        return execute(System.out, System.err, args);
    }

    /** As {@link #execute(String...)}, with help, version and usage errors written to {@code out} and {@code err}. */
    static int execute(final PrintStream out, final PrintStream err, final String... args)
    {
        final CommandSpec main = spec();
        try
        {
            final ParsedArgs mainArgs = main.newArgs();
            final int at = main.parseCommand(args, mainArgs);
            if (mainArgs.helpRequested())
            {
                out.print(main.usage());
                return 0;
            }
            if (mainArgs.versionRequested())
            {
                out.println(version());
                return 0;
            }
            if (at == args.length)
            {
                // No command given: show the usage and fail, as a mistyped command line should.
                err.print(main.usage());
                return 2;
            }
            CommandSpec command = main.subcommand(args[at]);
            if (command == null)
            {
                throw new UsageException(main, "Unknown command: '" + args[at] + "' (expected " + commandNames(main) + ")");
            }
            int from = at + 1;
            if (!command.subcommands().isEmpty())
            {
                // httpcap config check ...
                final ParsedArgs groupArgs = command.newArgs();
                final int sub = from + command.parseCommand(java.util.Arrays.copyOfRange(args, from, args.length), groupArgs);
                if (groupArgs.helpRequested() || sub == args.length)
                {
                    (groupArgs.helpRequested() ? out : err).print(command.usage());
                    return groupArgs.helpRequested() ? 0 : 2;
                }
                final CommandSpec group = command;
                command = group.subcommand(args[sub]);
                if (command == null)
                {
                    throw new UsageException(group, "Unknown command: '" + args[sub] + "' (expected " + commandNames(group) + ")");
                }
                from = sub + 1;
            }
            final ParsedArgs parsed = command.parseOptions(args, from);
            if (parsed.helpRequested())
            {
                out.print(command.usage());
                return 0;
            }
            if (parsed.versionRequested())
            {
                out.println(version());
                return 0;
            }
            if (parsed.isSet(ConfigFile.OPTION))
            {
                // The command line overrides the file.
                parsed.addDefaults(ConfigFile.read(Path.of(parsed.string(ConfigFile.OPTION, null)), command, main.subcommands()));
            }
            command.checkComplete(parsed);
            return run(main, parsed, out);
        }
        catch (final UsageException ex)
        {
            err.println("httpcap: " + ex.getMessage());
            err.println("Try '" + ex.command().qualifiedName() + " --help' for more information.");
            return 2;
        }
        catch (final IllegalArgumentException ex)
        {
            // A value the parser let through but the command cannot use (e.g. a path with a NUL).
            err.println("httpcap: " + ex.getMessage());
            return 2;
        }
        catch (final Exception ex)
        {
            // A failure no command turned into a message of its own: show all of it.
            ex.printStackTrace(err);
            return 1;
        }
    }

    private static int run(final CommandSpec main, final ParsedArgs parsed, final PrintStream out) throws Exception
    {
        return switch (parsed.command().qualifiedName().substring("httpcap ".length()))
        {
            case "config check" -> ConfigCommand.check(main, parsed, out);
            case "read" -> new ReadCommand(parsed).call();
            case "live" -> new LiveCommand(parsed).call();
            case "interfaces" -> new InterfacesCommand().call();
            case "stats" -> new StatsCommand(parsed).call();
            case "follow" -> new FollowCommand(parsed).call();
            case "schema" -> new SchemaCommand(parsed).call(out);
            case "help" -> help(main, parsed, out);
            default -> throw new IllegalStateException("no code for command " + parsed.command().name());
        };
    }

    /** {@code httpcap help [COMMAND]}. */
    private static int help(final CommandSpec main, final ParsedArgs parsed, final PrintStream out) throws UsageException
    {
        if (parsed.flag(MAN, false))
        {
            out.print(ManPage.render(main, version(), ManSections.SECTIONS));
            return 0;
        }
        if (parsed.flag(BASH_COMPLETION, false))
        {
            out.print(BashCompletion.render(main));
            return 0;
        }
        final String name = parsed.positional(0);
        if (name == null)
        {
            out.print(main.usage());
            return 0;
        }
        final CommandSpec command = main.subcommand(name);
        if (command == null)
        {
            throw new UsageException(main, "Unknown command: '" + name + "' (expected " + commandNames(main) + ")");
        }
        out.print(command.usage());
        return 0;
    }

    /** The whole command line: {@code httpcap} and its commands. */
    static CommandSpec spec()
    {
        return new CommandSpec("httpcap", DESCRIPTION, true)
            .subcommand(ReadCommand.spec())
            .subcommand(LiveCommand.spec())
            .subcommand(InterfacesCommand.spec())
            .subcommand(StatsCommand.spec())
            .subcommand(FollowCommand.spec())
            .subcommand(ConfigCommand.spec())
            .subcommand(SchemaCommand.spec())
            .subcommand(new CommandSpec("httpcap help",
                "Display help information about the specified command.", false)
                .parameter(Parameter.optional("COMMAND", "the command to show the help of (without it: httpcap's own)"))
                .options(java.util.List.of(MAN, BASH_COMPLETION)));
    }

    private static String commandNames(final CommandSpec main)
    {
        final StringBuilder names = new StringBuilder();
        for (final CommandSpec command : main.subcommands())
        {
            names.append(names.isEmpty() ? "" : command == main.subcommands().getLast() ? " or " : ", ")
                .append(command.name());
        }
        return names.toString();
    }

    /** {@code httpcap 0.1.0-SNAPSHOT (commit 1a2b3c4d5e6f, Java 25+36-LTS)}: from build.properties, written by the build. */
    static String version()
    {
        final java.util.Properties build = new java.util.Properties();
        try (java.io.InputStream in = Main.class.getResourceAsStream("build.properties"))
        {
            if (in != null)
            {
                build.load(in);
            }
        }
        catch (final java.io.IOException ex)
        {
            // Reported as unknown below.
        }
        // java.runtime.version is Runtime.version() as text, without the streams its toString() runs.
        return "httpcap " + build.getProperty("version", "development build") + " (commit " +
            build.getProperty("commit", "unknown") + ", Java " + System.getProperty("java.runtime.version") + ")";
    }
}
