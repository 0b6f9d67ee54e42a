package dev.httpcap.app.cli;

/**
 * One command-line option as a row of a command's table: its names, what its value looks like, its
 * description for the help, and how often it may be given. Declared once as a constant next to the
 * field it fills; the parser reads the table, the command reads the values back by the same
 * constant ({@link ParsedArgs#intValue(Option, int)} ...). No annotations, no reflection: a table
 * like this costs nothing at start-up.
 */
public final class Option
{
    /** What the option takes and how its value is checked when the command line is parsed. */
    public enum Type
    {
        /** {@code --flows}; also {@code --flows=true|false}. */
        FLAG,
        /** {@code --promisc} and {@code --no-promisc}; also {@code --promisc=true|false}. */
        NEGATABLE,
        /** Any text. */
        STRING,
        /** A 32-bit integer. */
        INT,
        /** A 64-bit integer. */
        LONG,
        /** A decimal number. */
        DOUBLE,
        /** One of {@link #choices()}, in any case. */
        CHOICE,
        /** Comma-separated 32-bit integers; repeatable, the lists add up. */
        INT_LIST
    }

    private final String longName;
    private final String label;
    private final Type type;
    private final String description;
    private String shortName;
    private String defaultText;
    private String[] choices = new String[0];
    private boolean repeatable;
    private boolean required;

    private Option(final String longName, final String label, final Type type, final String description)
    {
        if (!longName.startsWith("--") || longName.length() < 3)
        {
            throw new IllegalArgumentException("an option's long name starts with --: " + longName);
        }
        this.longName = longName;
        this.label = label;
        this.type = type;
        this.description = description;
        this.repeatable = type == Type.INT_LIST;
    }

    /** An option without a value: {@code --flows} (or {@code --flows=false}). */
    public static Option flag(final String longName, final String description)
    {
        return new Option(longName, null, Type.FLAG, description);
    }

    /** A pair {@code --NAME} / {@code --no-NAME}; give the long name without {@code no-}. */
    public static Option negatable(final String longName, final String description)
    {
        return new Option(longName, null, Type.NEGATABLE, description);
    }

    /** An option with a value: {@code --workers N}, {@code --workers=N}. */
    public static Option value(final String longName, final String label, final Type type, final String description)
    {
        if (type == Type.FLAG || type == Type.NEGATABLE)
        {
            throw new IllegalArgumentException(longName + ": a value option needs a value type, not " + type);
        }
        return new Option(longName, label, type, description);
    }

    /** A one-letter alias, e.g. {@code -i} for {@code --interface}. */
    public Option shortName(final String name)
    {
        if (name.length() != 2 || name.charAt(0) != '-' || name.charAt(1) == '-')
        {
            throw new IllegalArgumentException("a short name is a dash and one character: " + name);
        }
        this.shortName = name;
        return this;
    }

    /** Shown in the help as "; default VALUE" after the description (doubles without a ".0"). */
    public Option defaultValue(final Object value)
    {
        if (value instanceof final Double d && d == Math.rint(d) && !Double.isInfinite(d))
        {
            this.defaultText = Long.toString(d.longValue());
        }
        else
        {
            this.defaultText = String.valueOf(value);
        }
        return this;
    }

    /** The values a {@link Type#CHOICE} option accepts (compared ignoring case). */
    public Option choices(final String... values)
    {
        this.choices = values.clone();
        return this;
    }

    /** May be given several times; every value is kept ({@link ParsedArgs#strings(Option)}). */
    public Option repeatable()
    {
        this.repeatable = true;
        return this;
    }

    /** Must be given (a usage error otherwise). */
    public Option required()
    {
        this.required = true;
        return this;
    }

    public String longName()
    {
        return longName;
    }

    /** The {@code --no-NAME} form of a {@link Type#NEGATABLE} option, else null. */
    public String negatedName()
    {
        return type == Type.NEGATABLE ? "--no-" + longName.substring(2) : null;
    }

    public String shortName()
    {
        return shortName;
    }

    /** What the value is called in the help and in messages ({@code N}, {@code FILE}), or null. */
    public String label()
    {
        return label;
    }

    public Type type()
    {
        return type;
    }

    public String description()
    {
        return description;
    }

    public String defaultText()
    {
        return defaultText;
    }

    public String[] choices()
    {
        return choices.clone();
    }

    public boolean isRepeatable()
    {
        return repeatable;
    }

    public boolean isRequired()
    {
        return required;
    }

    /** Whether the option reads a value ({@code --workers 4}) rather than being a switch. */
    public boolean takesValue()
    {
        return type != Type.FLAG && type != Type.NEGATABLE;
    }

    /** How the option is named in a message: {@code '--workers'} or {@code '--workers' (N)}. */
    String quoted()
    {
        return "'" + longName + "'" + (label != null ? " (" + label + ")" : "");
    }

    @Override
    public String toString()
    {
        return longName;
    }
}
