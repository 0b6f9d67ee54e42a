package dev.httpcap.app.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One command's table: its options and positional parameters (and, for {@code httpcap} itself,
 * its subcommands), with the parser and the help built from that table.
 * <p>
 * The syntax is the GNU/picocli one httpcap has always accepted: {@code --opt value} and
 * {@code --opt=value}; short aliases as {@code -c 5}, {@code -c5}, {@code -c=5}, and clustered
 * switches ({@code -hV}); {@code --flag=true|false}; {@code --no-NAME} for a negatable pair;
 * {@code --} ends the options; a lone {@code -} is a parameter (standard input). A value option
 * given twice is an error unless it is repeatable. {@code -h/--help} stops parsing at once (the
 * rest of the line is not checked), so {@code httpcap read x --help} shows the help.
 */
public final class CommandSpec
{
    /** {@code -h, --help}: every command has it. */
    public static final Option HELP = Option.flag("--help", "Show this help message and exit.").shortName("-h");
    /** {@code -V, --version}: every command but {@code help} has it. */
    public static final Option VERSION = Option.flag("--version", "Print version information and exit.").shortName("-V");

    static final int WIDTH = 80;
    private static final int MAX_DESCRIPTION_COLUMN = 30;
    /** Joins words the help must not wrap between ("default 1"); printed as a space. */
    private static final char NO_BREAK = '\u00A0';

    private final String qualifiedName;
    private final String description;
    private final List<Option> options = new ArrayList<>();
    private final List<Option> standard = new ArrayList<>(2);
    private final List<Parameter> parameters = new ArrayList<>();
    private final List<CommandSpec> subcommands = new ArrayList<>();
    private final Map<String, Option> byName = new HashMap<>();

    /**
     * @param qualifiedName as the user types it: {@code httpcap read}.
     * @param withVersion   whether {@code -V, --version} is offered besides {@code -h, --help}.
     */
    public CommandSpec(final String qualifiedName, final String description, final boolean withVersion)
    {
        this.qualifiedName = qualifiedName;
        this.description = description;
        register(HELP);
        standard.add(HELP);
        if (withVersion)
        {
            register(VERSION);
            standard.add(VERSION);
        }
    }

    /** Appends options, in help order ({@code -h} and {@code -V} come last). */
    public CommandSpec options(final List<Option> more)
    {
        for (final Option option : more)
        {
            register(option);
            options.add(option);
        }
        return this;
    }

    public CommandSpec parameter(final Parameter parameter)
    {
        parameters.add(parameter);
        return this;
    }

    /** A subcommand, listed in this command's help; {@link #parseCommand} stops at its name. */
    public CommandSpec subcommand(final CommandSpec subcommand)
    {
        subcommands.add(subcommand);
        return this;
    }

    public String qualifiedName()
    {
        return qualifiedName;
    }

    /** The last word of the qualified name: {@code read}. */
    public String name()
    {
        return qualifiedName.substring(qualifiedName.lastIndexOf(' ') + 1);
    }

    public String description()
    {
        return description;
    }

    /** Every option in help order, {@code -h} and {@code -V} last. */
    public List<Option> options()
    {
        final List<Option> all = new ArrayList<>(options);
        all.addAll(standard);
        return all;
    }

    public List<CommandSpec> subcommands()
    {
        return new ArrayList<>(subcommands);
    }

    /** The subcommand of that name, or null. */
    public CommandSpec subcommand(final String name)
    {
        for (final CommandSpec subcommand : subcommands)
        {
            if (subcommand.name().equals(name))
            {
                return subcommand;
            }
        }
        return null;
    }

    /**
     * Parse a whole command line (or its tail from {@code from}): every option must be known, every
     * value well-formed, every required option and parameter present (unless help or the version
     * was asked for), and no parameter left over.
     */
    public ParsedArgs parse(final String[] args, final int from) throws UsageException
    {
        final ParsedArgs parsed = parseOptions(args, from);
        checkComplete(parsed);
        return parsed;
    }

    /**
     * As {@link #parse}, without the check that every required option and parameter is there (a
     * configuration file may add them; then {@link #checkComplete}).
     */
    public ParsedArgs parseOptions(final String[] args, final int from) throws UsageException
    {
        final ParsedArgs parsed = new ParsedArgs(this);
        parse(args, from, parsed, false);
        return parsed;
    }

    /** Every required option and parameter is present (unless help or the version was asked for). */
    public void checkComplete(final ParsedArgs parsed) throws UsageException
    {
        if (parsed.helpRequested() || parsed.versionRequested())
        {
            return;
        }
        for (final Option option : options)
        {
            if (option.isRequired() && !parsed.isSet(option))
            {
                throw new UsageException(this, "Missing required option '" + option.longName() +
                    (option.label() != null ? "=" + option.label() : "") + "': " + option.description());
            }
        }
        for (int p = parsed.positionalCount(); p < parameters.size(); p++)
        {
            final Parameter parameter = parameters.get(p);
            if (parameter.isRequired())
            {
                throw new UsageException(this, "Missing required parameter '" + parameter.label() + "': " +
                    parameter.description());
            }
        }
    }

    /** The option of that long name ({@code --workers}), or null. */
    public Option option(final String longName)
    {
        final Option option = byName.get(longName);
        return option != null && option.longName().equals(longName) ? option : null;
    }

    public List<Parameter> parameters()
    {
        return new ArrayList<>(parameters);
    }

    /**
     * Parse this command's own options up to the first parameter, which names a subcommand.
     *
     * @return the index in {@code args} of the subcommand's name, or {@code args.length} if none
     *         (or help or the version was asked for first).
     */
    public int parseCommand(final String[] args, final ParsedArgs parsed) throws UsageException
    {
        return parse(args, 0, parsed, true);
    }

    /** An empty result to fill with {@link #parseCommand}. */
    public ParsedArgs newArgs()
    {
        return new ParsedArgs(this);
    }

    private int parse(final String[] args, final int from, final ParsedArgs parsed, final boolean stopAtParameter)
        throws UsageException
    {
        boolean endOfOptions = false;
        for (int i = from; i < args.length; i++)
        {
            final String arg = args[i];
            if (endOfOptions || arg.length() < 2 || arg.charAt(0) != '-')
            {
                if (stopAtParameter)
                {
                    return i;
                }
                addParameter(parsed, arg);
            }
            else if (arg.equals("--"))
            {
                endOfOptions = true;
            }
            else if (arg.startsWith("--"))
            {
                final int equals = arg.indexOf('=');
                final String name = equals < 0 ? arg : arg.substring(0, equals);
                final Option option = byName.get(name);
                if (option == null)
                {
                    throw new UsageException(this, "Unknown option: '" + name + "'" + suggestion(name));
                }
                i = apply(option, name, equals < 0 ? null : arg.substring(equals + 1), args, i, parsed);
            }
            else
            {
                // -c5, -c=5, -c 5, -hV
                for (int j = 1; j < arg.length(); j++)
                {
                    final String name = "-" + arg.charAt(j);
                    final Option option = byName.get(name);
                    if (option == null)
                    {
                        throw new UsageException(this, "Unknown option: '" + name + "'" +
                            (j > 1 || arg.length() > 2 ? " in '" + arg + "'" : "") + suggestion(arg));
                    }
                    if (option.takesValue())
                    {
                        String attached = null;
                        if (j + 1 < arg.length())
                        {
                            attached = arg.charAt(j + 1) == '=' ? arg.substring(j + 2) : arg.substring(j + 1);
                        }
                        i = apply(option, name, attached, args, i, parsed);
                        break;
                    }
                    apply(option, name, null, args, i, parsed);
                    if (parsed.helpRequested())
                    {
                        return args.length;
                    }
                }
            }
            if (parsed.helpRequested())
            {
                return args.length;
            }
        }
        return args.length;
    }

    private void addParameter(final ParsedArgs parsed, final String arg) throws UsageException
    {
        if (parsed.positionalCount() >= parameters.size())
        {
            final String why;
            if (parameters.isEmpty())
            {
                why = "'" + qualifiedName + "' takes no parameters";
            }
            else if (parameters.size() == 1)
            {
                why = parameters.getFirst().label() + " was already given: '" + parsed.positional(0) + "'";
            }
            else
            {
                why = "'" + qualifiedName + "' takes at most " + parameters.size() + " parameters";
            }
            throw new UsageException(this, "Unexpected argument: '" + arg + "' (" + why + ")");
        }
        parsed.addPositional(arg);
    }

    /** Take the option's value (attached, or the next argument) and check it; return the last index used. */
    private int apply(final Option option, final String name, final String attached, final String[] args, final int index,
        final ParsedArgs parsed) throws UsageException
    {
        if (option == HELP)
        {
            parsed.requestHelp();
            return index;
        }
        if (option == VERSION)
        {
            parsed.requestVersion();
            return index;
        }
        if (parsed.isSet(option) && !option.isRepeatable())
        {
            throw new UsageException(this, "Option '" + option.longName() + "' should be specified only once");
        }
        if (!option.takesValue())
        {
            boolean on = true;
            if (attached != null)
            {
                if (attached.equalsIgnoreCase("true") || attached.equalsIgnoreCase("false"))
                {
                    on = attached.equalsIgnoreCase("true");
                }
                else
                {
                    throw new UsageException(this, "Invalid value for option '" + name + "': '" + attached +
                        "' is not a boolean (true or false)");
                }
            }
            if (name.equals(option.negatedName()))
            {
                on = !on;
            }
            parsed.add(option, on ? "true" : "false");
            return index;
        }
        int last = index;
        final String value;
        if (attached != null)
        {
            value = attached;
        }
        else if (index + 1 < args.length && !isOptionName(args[index + 1]))
        {
            last = index + 1;
            value = args[last];
        }
        else
        {
            throw new UsageException(this, "Missing value for option " + option.quoted() +
                (index + 1 < args.length ? " (found option '" + args[index + 1] + "' instead)" : ""));
        }
        if (option.type() == Option.Type.INT_LIST)
        {
            int start = 0;
            while (true)
            {
                final int comma = value.indexOf(',', start);
                final String item = comma < 0 ? value.substring(start) : value.substring(start, comma);
                check(option, item);
                parsed.add(option, item);
                if (comma < 0)
                {
                    break;
                }
                start = comma + 1;
            }
        }
        else
        {
            check(option, value);
            parsed.add(option, value);
        }
        return last;
    }

    /** What is wrong with {@code value} for {@code option}'s type ({@code 'abc' is not a whole number}), or null. */
    static String problem(final Option option, final String value)
    {
        return switch (option.type())
        {
            case INT, INT_LIST -> integerProblem(value, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case LONG -> integerProblem(value, Long.MIN_VALUE, Long.MAX_VALUE);
            case DOUBLE -> doubleProblem(value);
            case CHOICE -> choiceProblem(option, value);
            default -> null;
        };
    }

    private void check(final Option option, final String value) throws UsageException
    {
        final String problem = problem(option, value);
        if (problem != null)
        {
            throw new UsageException(this, "Invalid value for option " + option.quoted() + ": " + problem);
        }
    }

    private static String integerProblem(final String value, final long min, final long max)
    {
        final String kind = max == Integer.MAX_VALUE ? "a whole number" : "a whole number (64-bit)";
        try
        {
            final long parsed = Long.parseLong(value);
            if (parsed < min || parsed > max)
            {
                return "'" + value + "' is out of range (" + min + ".." + max + ")";
            }
            return null;
        }
        catch (final NumberFormatException ex)
        {
            final int sign = value.startsWith("-") || value.startsWith("+") ? 1 : 0;
            boolean digits = value.length() > sign;
            for (int i = sign; i < value.length(); i++)
            {
                digits &= value.charAt(i) >= '0' && value.charAt(i) <= '9';
            }
            return digits ? "'" + value + "' is out of range (" + min + ".." + max + ")" :
                "'" + value + "' is not " + kind;
        }
    }

    private static String doubleProblem(final String value)
    {
        try
        {
            final double parsed = Double.parseDouble(value);
            return Double.isNaN(parsed) ? "'" + value + "' is not a number" : null;
        }
        catch (final NumberFormatException ex)
        {
            return "'" + value + "' is not a number";
        }
    }

    private static String choiceProblem(final Option option, final String value)
    {
        final String[] choices = option.choices();
        for (final String choice : choices)
        {
            if (choice.equalsIgnoreCase(value))
            {
                return null;
            }
        }
        final StringBuilder expected = new StringBuilder();
        for (int i = 0; i < choices.length; i++)
        {
            expected.append(i == 0 ? "" : i == choices.length - 1 ? " or " : ", ").append(choices[i].toLowerCase(Locale.ROOT));
        }
        return "expected " + expected + " (in any case) but was '" + value + "'";
    }

    /** {@code --workers}, {@code --workers=4}, {@code -c}: an option of this command, not a value. */
    private boolean isOptionName(final String arg)
    {
        if (!arg.startsWith("-") || arg.length() < 2)
        {
            return false;
        }
        final int equals = arg.indexOf('=');
        return byName.containsKey(equals < 0 ? arg : arg.substring(0, equals));
    }

    /** ", did you mean '--workers'?" for a name that differs only in case or is a prefix of one option. */
    private String suggestion(final String typed)
    {
        final int equals = typed.indexOf('=');
        final String bare = equals < 0 ? typed : typed.substring(0, equals);
        // -workers: a long name typed with one dash.
        final String name = bare.startsWith("--") ? bare : "-" + bare;
        Option prefixMatch = null;
        int prefixMatches = 0;
        for (final Option option : options())
        {
            if (option.longName().equalsIgnoreCase(name) ||
                (option.negatedName() != null && option.negatedName().equalsIgnoreCase(name)))
            {
                return " (did you mean '" + (option.longName().equalsIgnoreCase(name) ? option.longName() :
                    option.negatedName()) + "'?)";
            }
            if (name.length() > 3 && option.longName().startsWith(name.toLowerCase(Locale.ROOT)))
            {
                prefixMatch = option;
                prefixMatches++;
            }
        }
        if (prefixMatches == 1)
        {
            return " (did you mean '" + prefixMatch.longName() + "'?)";
        }
        // A typing slip: --wokers, --sink-json, --no-promsic.
        final List<String> names = new ArrayList<>();
        for (final Option option : options())
        {
            names.add(option.longName());
            if (option.negatedName() != null)
            {
                names.add(option.negatedName());
            }
        }
        final String close = Suggest.closest(name, names);
        return close != null ? " (did you mean '" + close + "'?)" : "";
    }

    private void register(final Option option)
    {
        register(option.longName(), option);
        if (option.shortName() != null)
        {
            register(option.shortName(), option);
        }
        if (option.negatedName() != null)
        {
            register(option.negatedName(), option);
        }
    }

    private void register(final String name, final Option option)
    {
        if (byName.putIfAbsent(name, option) != null)
        {
            throw new IllegalStateException(qualifiedName + ": option name " + name + " is declared twice");
        }
    }

    // ---- help ----

    /** The help text: synopsis, description, parameters, options, subcommands; lines of at most 80 columns. */
    public String usage()
    {
        final StringBuilder out = new StringBuilder(4096);
        final StringBuilder synopsis = new StringBuilder("Usage: ").append(qualifiedName)
            .append(byName.containsKey("--version") ? " [-hV]" : " [-h]");
        final List<Option> all = options();
        boolean others = false;
        for (final Option option : all)
        {
            if (option.isRequired())
            {
                synopsis.append(' ').append(option.shortName() != null ? option.shortName() + " " : option.longName() + "=")
                    .append(option.label());
            }
            else if (option != HELP && option != VERSION)
            {
                others = true;
            }
        }
        if (others)
        {
            synopsis.append(" [OPTIONS]");
        }
        for (final Parameter parameter : parameters)
        {
            synopsis.append(' ').append(parameter.isRequired() ? parameter.label() : "[" + parameter.label() + "]");
        }
        if (!subcommands.isEmpty())
        {
            synopsis.append(" [COMMAND]");
        }
        wrap(out, synopsis.toString(), 0, 7 + qualifiedName.length() + 1);
        wrap(out, description, 0, 0);

        int column = 0;
        for (final Option option : all)
        {
            column = Math.max(column, optionText(option).length() + 2);
        }
        for (final Parameter parameter : parameters)
        {
            column = Math.max(column, parameterText(parameter).length() + 2);
        }
        column = Math.min(column, MAX_DESCRIPTION_COLUMN);

        if (!parameters.isEmpty())
        {
            out.append("\nParameters:\n");
            for (final Parameter parameter : parameters)
            {
                row(out, parameterText(parameter), parameter.description(), column);
            }
        }
        out.append("\nOptions:\n");
        for (final Option option : all)
        {
            final String text = option.defaultText() == null ? option.description() :
                option.description() + "; default" + NO_BREAK + option.defaultText();
            row(out, optionText(option), text, column);
        }
        if (!subcommands.isEmpty())
        {
            out.append("\nCommands:\n");
            int nameColumn = 0;
            for (final CommandSpec subcommand : subcommands)
            {
                nameColumn = Math.max(nameColumn, subcommand.name().length() + 4);
            }
            for (final CommandSpec subcommand : subcommands)
            {
                row(out, "  " + subcommand.name(), subcommand.description(), nameColumn);
            }
        }
        return out.toString();
    }

    private static String optionText(final Option option)
    {
        final StringBuilder text = new StringBuilder("  ");
        text.append(option.shortName() != null ? option.shortName() + ", " : "    ");
        text.append(option.negatedName() != null ? "--[no-]" + option.longName().substring(2) : option.longName());
        if (option.label() != null)
        {
            text.append('=').append(option.label());
        }
        return text.toString();
    }

    private static String parameterText(final Parameter parameter)
    {
        return "  " + (parameter.isRequired() ? parameter.label() : "[" + parameter.label() + "]");
    }

    /** {@code left} then {@code text} from {@code column} (on the next line if {@code left} is too long). */
    private static void row(final StringBuilder out, final String left, final String text, final int column)
    {
        out.append(left);
        if (left.length() + 2 <= column)
        {
            out.append(" ".repeat(column - left.length()));
        }
        else
        {
            out.append('\n').append(" ".repeat(column));
        }
        final StringBuilder lines = new StringBuilder(" ".repeat(column));
        wrap(lines, text, column, column + 2);
        out.append(lines, column, lines.length());
    }

    /**
     * Append {@code text} word-wrapped to {@link #WIDTH} columns: the first line already holds
     * {@code first} columns, the next lines are indented {@code next}.
     */
    static void wrap(final StringBuilder out, final String text, final int first, final int next)
    {
        int used = first;
        int i = 0;
        boolean lineStart = true;
        while (i < text.length())
        {
            int end = text.indexOf(' ', i);
            if (end < 0)
            {
                end = text.length();
            }
            if (end == i)
            {
                i++;
                continue;
            }
            String word = text.substring(i, end);
            final int room = WIDTH - used - (lineStart ? 0 : 1);
            if (word.length() > room && !lineStart)
            {
                out.append('\n').append(" ".repeat(next));
                used = next;
                lineStart = true;
            }
            while (word.length() > WIDTH - used)
            {
                // A word longer than a whole line (a long path): cut it.
                final int cut = Math.max(1, WIDTH - used);
                out.append(word.substring(0, cut).replace(NO_BREAK, ' ')).append('\n').append(" ".repeat(next));
                word = word.substring(cut);
                used = next;
            }
            if (!lineStart)
            {
                out.append(' ');
                used++;
            }
            out.append(word.replace(NO_BREAK, ' '));
            used += word.length();
            lineStart = false;
            i = end;
        }
        out.append('\n');
    }
}
