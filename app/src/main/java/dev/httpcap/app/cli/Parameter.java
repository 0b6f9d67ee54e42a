package dev.httpcap.app.cli;

/** A positional parameter of a command, e.g. {@code FILE} of {@code httpcap read FILE}. */
public final class Parameter
{
    private final String label;
    private final String description;
    private final boolean required;

    private Parameter(final String label, final String description, final boolean required)
    {
        this.label = label;
        this.description = description;
        this.required = required;
    }

    public static Parameter required(final String label, final String description)
    {
        return new Parameter(label, description, true);
    }

    public static Parameter optional(final String label, final String description)
    {
        return new Parameter(label, description, false);
    }

    public String label()
    {
        return label;
    }

    public String description()
    {
        return description;
    }

    public boolean isRequired()
    {
        return required;
    }
}
