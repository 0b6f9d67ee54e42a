package dev.httpcap.app.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link CommandSpec#parse} found: the values of each option given (already checked against
 * the option's type, so the getters here do not fail), the positional parameters, and whether help
 * or the version was asked for. A getter's {@code fallback} is the value when the option was not
 * given, normally the field's own initial value.
 */
public final class ParsedArgs
{
    private final CommandSpec command;
    private final Map<Option, List<String>> values = new HashMap<>();
    /** Where a value not from the command line came from: {@code /etc/httpcap.yaml:3, key 'workers'}. */
    private final Map<Option, String> origins = new HashMap<>();
    private final List<String> positionals = new ArrayList<>();
    private boolean helpRequested;
    private boolean versionRequested;

    ParsedArgs(final CommandSpec command)
    {
        this.command = command;
    }

    public CommandSpec command()
    {
        return command;
    }

    public boolean helpRequested()
    {
        return helpRequested;
    }

    public boolean versionRequested()
    {
        return versionRequested;
    }

    /** Whether the option appeared on the command line (in either form, for a negatable one). */
    public boolean isSet(final Option option)
    {
        return values.containsKey(option);
    }

    /** The last value given, or {@code fallback}. */
    public String string(final Option option, final String fallback)
    {
        final List<String> list = values.get(option);
        return list == null ? fallback : list.getLast();
    }

    /** Every value given, in order; empty if none. */
    public List<String> strings(final Option option)
    {
        final List<String> list = values.get(option);
        return list == null ? new ArrayList<>() : new ArrayList<>(list);
    }

    public int intValue(final Option option, final int fallback)
    {
        final String value = string(option, null);
        return value == null ? fallback : Integer.parseInt(value);
    }

    public long longValue(final Option option, final long fallback)
    {
        final String value = string(option, null);
        return value == null ? fallback : Long.parseLong(value);
    }

    public double doubleValue(final Option option, final double fallback)
    {
        final String value = string(option, null);
        return value == null ? fallback : Double.parseDouble(value);
    }

    /** A flag's or negatable pair's state: {@code --x} true, {@code --no-x} false, else {@code fallback}. */
    public boolean flag(final Option option, final boolean fallback)
    {
        final String value = string(option, null);
        return value == null ? fallback : Boolean.parseBoolean(value);
    }

    /** A {@link Option.Type#CHOICE} option's value spelled as in {@link Option#choices()}, or {@code fallback}. */
    public String choice(final Option option, final String fallback)
    {
        final String value = string(option, null);
        if (value == null)
        {
            return fallback;
        }
        for (final String choice : option.choices())
        {
            if (choice.equalsIgnoreCase(value))
            {
                return choice;
            }
        }
        throw new IllegalStateException("not one of the choices of " + option + ": " + value);
    }

    /** Every integer of an {@link Option.Type#INT_LIST} option, over all its occurrences; null if not given. */
    public int[] ints(final Option option)
    {
        final List<String> list = values.get(option);
        if (list == null)
        {
            return null;
        }
        final int[] result = new int[list.size()];
        for (int i = 0; i < result.length; i++)
        {
            result[i] = Integer.parseInt(list.get(i));
        }
        return result;
    }

    /** The {@code index}th positional parameter, or null. */
    public String positional(final int index)
    {
        return index < positionals.size() ? positionals.get(index) : null;
    }

    public int positionalCount()
    {
        return positionals.size();
    }

    /** Where the option's value came from when not the command line ({@code FILE:LINE, key 'NAME'}), or null. */
    public String origin(final Option option)
    {
        return origins.get(option);
    }

    /**
     * Take every option of {@code file} that the command line did not give (the command line
     * overrides the file; a repeatable option given on the command line replaces the file's list).
     */
    public void addDefaults(final ParsedArgs file)
    {
        for (final Map.Entry<Option, List<String>> entry : file.values.entrySet())
        {
            if (!values.containsKey(entry.getKey()))
            {
                values.put(entry.getKey(), new ArrayList<>(entry.getValue()));
                final String origin = file.origins.get(entry.getKey());
                if (origin != null)
                {
                    origins.put(entry.getKey(), origin);
                }
            }
        }
    }

    /** The options given on the command line alone: what a configuration file set is left out. */
    public ParsedArgs commandLineOnly()
    {
        final ParsedArgs copy = new ParsedArgs(command);
        for (final Map.Entry<Option, List<String>> entry : values.entrySet())
        {
            if (!origins.containsKey(entry.getKey()))
            {
                copy.values.put(entry.getKey(), new ArrayList<>(entry.getValue()));
            }
        }
        copy.positionals.addAll(positionals);
        return copy;
    }

    /**
     * A command's message about an option ({@code --duration must be >= 0: -1}) with where the value
     * came from, when that was a configuration file.
     */
    public String explain(final String message)
    {
        if (message == null || !message.startsWith("--"))
        {
            return message;
        }
        int end = 2;
        while (end < message.length() && (Character.isLetterOrDigit(message.charAt(end)) || message.charAt(end) == '-'))
        {
            end++;
        }
        final Option option = command.option(message.substring(0, end));
        final String origin = option != null ? origins.get(option) : null;
        return origin != null ? message + " (" + origin + ")" : message;
    }

    // ---- filled by CommandSpec.parse and ConfigFile ----

    void add(final Option option, final String value)
    {
        List<String> list = values.get(option);
        if (list == null)
        {
            list = new ArrayList<>(1);
            values.put(option, list);
        }
        list.add(value);
    }

    int count(final Option option)
    {
        final List<String> list = values.get(option);
        return list == null ? 0 : list.size();
    }

    void origin(final Option option, final String where)
    {
        origins.put(option, where);
    }

    void addPositional(final String value)
    {
        positionals.add(value);
    }

    void requestHelp()
    {
        helpRequested = true;
    }

    void requestVersion()
    {
        versionRequested = true;
    }
}
