package dev.httpcap.app;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code httpcap} command line. The only {@code main} in the project. */
@Command(
    name = "httpcap",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Decodes HTTP traffic from capture files and live interfaces into structured events.",
    subcommands = {ReadCommand.class, LiveCommand.class, InterfacesCommand.class, CommandLine.HelpCommand.class})
public final class Main implements java.util.concurrent.Callable<Integer>
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    /** Run the command line and return its exit status, without exiting (for tests and embedding). */
    public static int execute(final String... args)
    {
        final CommandLine commandLine = new CommandLine(new Main());
        commandLine.setErr(new PrintWriter(System.err, true));
        // --back-pressure block|drop, as the help says, not only BLOCK|DROP.
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler((ex, ignored) ->
        {
            final PrintWriter err = ex.getCommandLine().getErr();
            err.println("httpcap: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            return 2;
        });
        return commandLine.execute(args);
    }

    /** No command given: show the usage and fail, as a mistyped command line should. */
    @Override
    public Integer call()
    {
        spec.commandLine().usage(System.err);
        return 2;
    }

    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"httpcap " + (version == null ? "development build" : version) +
                " (Java " + Runtime.version() + ")"};
        }
    }
}
