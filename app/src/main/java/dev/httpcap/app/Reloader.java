package dev.httpcap.app;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.ConfigFile;
import dev.httpcap.app.cli.Option;
import dev.httpcap.app.cli.ParsedArgs;
import dev.httpcap.app.cli.UsageException;
import dev.httpcap.decoders.http.HeaderRules;
import dev.httpcap.pipeline.Pipeline;
import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.FileSink;

/**
 * SIGHUP on {@code httpcap live}: reopen the file sinks (after logrotate moved them), then read the
 * {@code --config} file again and apply what can change without a restart — the header fields
 * kept, the values redacted, the statistics interval. The command line still overrides the file.
 * A file with an error changes nothing (and says why); a changed key that needs a restart is named.
 */
final class Reloader
{
    /** The options a reload applies. */
    static final List<Option> RELOADABLE = List.of(PipelineOptions.HEADERS, PipelineOptions.NO_REDACT,
        PipelineOptions.REDACT_HEADERS, LiveCommand.STATS_INTERVAL);

    private final CommandSpec main;
    private final CommandSpec command;
    private final Pipeline pipeline;
    private final List<EventSink> sinks;
    private final StatsPrinter stats;
    private final PrintStream err;
    private ParsedArgs current;

    Reloader(final ParsedArgs args, final Pipeline pipeline, final List<EventSink> sinks, final StatsPrinter stats,
        final PrintStream err)
    {
        this.main = Main.spec();
        this.command = main.subcommand(args.command().name());
        this.current = args;
        this.pipeline = pipeline;
        this.sinks = List.copyOf(sinks);
        this.stats = stats;
        this.err = err;
    }

    /** On the signal's thread; one reload at a time. */
    synchronized void reload()
    {
        int reopened = 0;
        for (final EventSink sink : sinks)
        {
            if (sink instanceof final FileSink file)
            {
                file.reopen();
                reopened++;
            }
        }
        final String sinksDone = "httpcap: SIGHUP: " + reopened + " file sink(s) reopened";
        if (!current.isSet(ConfigFile.OPTION))
        {
            err.println(sinksDone + "; no --config file to read again");
            return;
        }
        final Path file = Path.of(current.string(ConfigFile.OPTION, null));
        final ParsedArgs fresh = current.commandLineOnly();
        final LiveCommand next;
        final HeaderRules rules;
        try
        {
            fresh.addDefaults(ConfigFile.read(file, main.subcommand(command.name()), main.subcommands()));
            command.checkComplete(fresh);
            next = new LiveCommand(fresh);
            next.validate(false);
            rules = next.options.headerRules();
        }
        catch (final UsageException | IllegalArgumentException | IllegalStateException ex)
        {
            err.println(sinksDone + "; " + file + " not applied, nothing else changed: " + fresh.explain(ex.getMessage()));
            return;
        }
        if (rules != null)
        {
            pipeline.reload(rules);
        }
        stats.interval((long)(next.statsIntervalSeconds * 1e9));
        final List<String> needRestart = new ArrayList<>();
        for (final Option option : command.options())
        {
            if (!RELOADABLE.contains(option) && !current.strings(option).equals(fresh.strings(option)))
            {
                needRestart.add(option.longName().substring(2));
            }
        }
        current = fresh;
        err.println(sinksDone + "; " + file + " read again: " + (rules != null ? rules : "no HTTP decoding") +
            ", statistics " + (next.statsIntervalSeconds > 0 ? "every " + LiveCommand.seconds(next.statsIntervalSeconds) + " s" :
            "off") + (needRestart.isEmpty() ? "" : "; changed, but applied only by a restart: " + String.join(", ", needRestart)));
    }
}
