package dev.httpcap.app;

import java.io.PrintStream;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.Parameter;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.app.cli.UsageException;

/**
 * The {@code httpcap} command line. The only {@code main} in the project.
 * <p>
 * Exit status: 0 done, 1 the run failed (a file that cannot be read, a capture error), 2 a usage
 * error ({@code httpcap: MESSAGE} and where to find the help on standard error), 130 a second
 * interrupt. The options are tables ({@link dev.httpcap.app.cli}), not annotations: reading a
 * command line costs microseconds, not the ~0.3 s of CPU a reflective parser took at start-up.
 */
public final class Main
{
    static final String DESCRIPTION =
        "Decodes HTTP traffic from capture files and live interfaces into structured events.";

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
            final CommandSpec command = main.subcommand(args[at]);
            if (command == null)
            {
                throw new UsageException(main, "Unknown command: '" + args[at] + "' (expected " + commandNames(main) + ")");
            }
            final ParsedArgs parsed = command.parse(args, at + 1);
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
        return switch (parsed.command().name())
        {
            case "read" -> new ReadCommand(parsed).call();
            case "live" -> new LiveCommand(parsed).call();
            case "interfaces" -> new InterfacesCommand().call();
            case "stats" -> new StatsCommand(parsed).call();
            case "follow" -> new FollowCommand(parsed).call();
            case "help" -> help(main, parsed, out);
            default -> throw new IllegalStateException("no code for command " + parsed.command().name());
        };
    }

    /** {@code httpcap help [COMMAND]}. */
    private static int help(final CommandSpec main, final ParsedArgs parsed, final PrintStream out) throws UsageException
    {
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
            .subcommand(new CommandSpec("httpcap help",
                "Display help information about the specified command.", false)
                .parameter(Parameter.optional("COMMAND", "the command to show the help of (without it: httpcap's own)")));
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

    static String version()
    {
        final String version = Main.class.getPackage().getImplementationVersion();
        // java.runtime.version is Runtime.version() as text, without the streams its toString() runs.
        return "httpcap " + (version == null ? "development build" : version) + " (Java " +
            System.getProperty("java.runtime.version") + ")";
    }
}
