package dev.httpcap.app.cli;

/**
 * A command line that cannot be run as written: an unknown option, a missing or malformed value,
 * a missing parameter. The message is one line for the user; {@link #command()} is the command
 * whose help explains it ({@code httpcap read}).
 */
public final class UsageException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final transient CommandSpec command;

    public UsageException(final CommandSpec command, final String message)
    {
        super(message, null, false, false);
        this.command = command;
    }

    public CommandSpec command()
    {
        return command;
    }
}
