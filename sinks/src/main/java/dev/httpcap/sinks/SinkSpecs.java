package dev.httpcap.sinks;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Turns the value of a {@code --sink} option into an open {@link EventSink}.
 * <ul>
 *     <li>{@code stdout}: human-readable lines ({@link EventFormat#TEXT}) on standard output.</li>
 *     <li>{@code stdout:json}: NDJSON on standard output.</li>
 *     <li>{@code file:PATH[?rotate-mb=N&keep=K&format=json|text]}: NDJSON (unless
 *     {@code format=text}) appended to {@code PATH}; rotated when a file would exceed {@code N}
 *     MiB ({@code 0}, the default, never rotates), keeping {@code K} rotated files (default
 *     {@value FileSink#DEFAULT_KEEP}).</li>
 * </ul>
 */
public final class SinkSpecs
{
    /** What {@link #open(String)} accepts, for usage messages. */
    public static final String ACCEPTED = "stdout, stdout:json or file:PATH[?rotate-mb=N&keep=K&format=json|text]";

    private static final String FILE_PREFIX = "file:";
    private static final String FILE_OPTIONS = "rotate-mb=N, keep=K (0.." + FileSink.MAX_KEEP + ") or format=json|text";
    private static final long MAX_ROTATE_MB = Long.MAX_VALUE >> 20;

    private SinkSpecs()
    {
    }

    /**
     * Open the sink a spec describes; for a file, the file is created and opened now.
     *
     * @param spec as given on the command line.
     * @return the open sink, named by {@code spec}.
     * @throws IllegalArgumentException with a one-line message if the spec is malformed, or if the
     *                                  file cannot be opened for writing (the {@link IOException}
     *                                  is the cause), so a command line needs only the one catch.
     */
    public static EventSink open(final String spec)
    {
        if (null == spec || spec.isBlank())
        {
            throw new IllegalArgumentException("empty sink: expected " + ACCEPTED);
        }
        if ("stdout".equals(spec))
        {
            return new StdoutSink(EventFormat.TEXT);
        }
        if ("stdout:json".equals(spec))
        {
            return new StdoutSink(EventFormat.JSON);
        }
        if (spec.startsWith(FILE_PREFIX))
        {
            return openFile(spec);
        }
        throw new IllegalArgumentException("unknown sink '" + spec + "': expected " + ACCEPTED);
    }

    private static EventSink openFile(final String spec)
    {
        final int queryStart = spec.indexOf('?');
        final String pathText = spec.substring(FILE_PREFIX.length(), -1 == queryStart ? spec.length() : queryStart);
        if (pathText.isEmpty())
        {
            throw new IllegalArgumentException("sink '" + spec + "' has no path: expected " + ACCEPTED);
        }

        long rotateMb = 0;
        int keep = FileSink.DEFAULT_KEEP;
        EventFormat format = EventFormat.JSON;
        boolean seenRotate = false;
        boolean seenKeep = false;
        boolean seenFormat = false;

        if (-1 != queryStart)
        {
            for (final String option : spec.substring(queryStart + 1).split("&", -1))
            {
                final int eq = option.indexOf('=');
                final String key = -1 == eq ? option : option.substring(0, eq);
                final String value = -1 == eq ? "" : option.substring(eq + 1);
                if (-1 == eq || value.isEmpty())
                {
                    throw badOption(spec, "option '" + option + "' has no value");
                }
                switch (key)
                {
                    case "rotate-mb" ->
                    {
                        seenRotate = checkOnce(spec, key, seenRotate);
                        rotateMb = parseNumber(spec, key, value, MAX_ROTATE_MB);
                    }
                    case "keep" ->
                    {
                        seenKeep = checkOnce(spec, key, seenKeep);
                        keep = (int)parseNumber(spec, key, value, FileSink.MAX_KEEP);
                    }
                    case "format" ->
                    {
                        seenFormat = checkOnce(spec, key, seenFormat);
                        format = switch (value)
                        {
                            case "json" -> EventFormat.JSON;
                            case "text" -> EventFormat.TEXT;
                            default -> throw badOption(spec, "format '" + value + "' is not json or text");
                        };
                    }
                    default -> throw badOption(spec, "unknown option '" + key + "'");
                }
            }
        }

        final Path path;
        try
        {
            path = Path.of(pathText);
        }
        catch (final InvalidPathException ex)
        {
            throw new IllegalArgumentException(
                "sink '" + spec + "' has an invalid path (" + ex.getReason() + "): expected " + ACCEPTED, ex);
        }

        try
        {
            return new FileSink(
                path, format, rotateMb << 20, keep, BatchingChannelSink.DEFAULT_BATCH_CAPACITY, spec);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException(
                "cannot open sink '" + spec + "': " + BatchingChannelSink.describe(ex), ex);
        }
    }

    private static boolean checkOnce(final String spec, final String key, final boolean seen)
    {
        if (seen)
        {
            throw badOption(spec, "option '" + key + "' given twice");
        }
        return true;
    }

    private static long parseNumber(final String spec, final String key, final String value, final long max)
    {
        final long number;
        try
        {
            number = Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw badOption(spec, key + " '" + value + "' is not a whole number");
        }
        if (number < 0 || number > max)
        {
            throw badOption(spec, key + " " + value + " is out of range 0.." + max);
        }
        return number;
    }

    private static IllegalArgumentException badOption(final String spec, final String problem)
    {
        return new IllegalArgumentException(
            "bad sink '" + spec + "': " + problem + "; file options are " + FILE_OPTIONS);
    }
}
