package dev.httpcap.app;

/**
 * SIGINT and SIGTERM as a callback rather than an exit, so a run can drain its ring, close its
 * flows and flush its sinks before the report. Uses {@code sun.misc.Signal} (jdk.unsupported),
 * the only way to handle a signal without exiting on a standard JDK.
 */
@SuppressWarnings("removal")
final class Signals
{
    private Signals()
    {
    }

    /** SIGHUP (systemctl reload, logrotate's postrotate): the action instead of the JVM's default, an exit. */
    static void onHangup(final Runnable action)
    {
        try
        {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> action.run());
        }
        catch (final IllegalArgumentException ex)
        {
            // Reserved here (the JVM runs with -Xrs, say): SIGHUP keeps its default behaviour.
        }
    }

    static void onInterrupt(final Runnable action)
    {
        for (final String name : new String[] {"INT", "TERM"})
        {
            try
            {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> action.run());
            }
            catch (final IllegalArgumentException ex)
            {
                // The signal is reserved here (e.g. by a debugger): keep the default behaviour.
            }
        }
    }
}
