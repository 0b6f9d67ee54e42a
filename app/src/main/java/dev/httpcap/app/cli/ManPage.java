package dev.httpcap.app.cli;

import java.util.List;
import java.util.Locale;

/**
 * The manual page, {@code httpcap(1)} in roff ({@code man -l}), written from the same command
 * tables as {@code --help}: every command, parameter and option with its description and default,
 * so the page cannot fall behind the program. The sections a table cannot hold (configuration file,
 * signals, exit status) are given by the caller.
 */
public final class ManPage
{
    private ManPage()
    {
    }

    /**
     * @param main     {@code httpcap} and its commands.
     * @param version  for the page's footer.
     * @param sections extra sections after the commands: pairs of title and plain text (paragraphs
     *                 separated by blank lines).
     */
    public static String render(final CommandSpec main, final String version, final List<String[]> sections)
    {
        final StringBuilder out = new StringBuilder(16_384);
        out.append(".TH HTTPCAP 1 \"\" \"").append(escape(version)).append("\" \"User Commands\"\n");
        out.append(".SH NAME\nhttpcap \\- ").append(escape(lowerFirst(main.description()))).append('\n');
        out.append(".SH SYNOPSIS\n");
        for (final CommandSpec command : commands(main))
        {
            out.append(".B ").append(escape(command.qualifiedName())).append('\n');
            final StringBuilder line = new StringBuilder();
            for (final Option option : command.options())
            {
                if (option.isRequired())
                {
                    line.append(bold(option.longName())).append(' ').append(italic(option.label())).append(' ');
                }
            }
            line.append("[\\fIOPTIONS\\fR]");
            for (final Parameter parameter : command.parameters())
            {
                line.append(' ').append(parameter.isRequired() ? italic(parameter.label()) : "[" + italic(parameter.label()) + "]");
            }
            out.append(line).append("\n.br\n");
        }
        out.append(".SH DESCRIPTION\n").append(escape(main.description())).append('\n');
        out.append(".SH COMMANDS\n");
        for (final CommandSpec command : commands(main))
        {
            out.append(".SS \"").append(escape(command.qualifiedName())).append("\"\n");
            out.append(escape(command.description())).append('\n');
            for (final Parameter parameter : command.parameters())
            {
                out.append(".TP\n").append(italic(parameter.label())).append('\n').append(escape(parameter.description())).append('\n');
            }
            for (final Option option : command.options())
            {
                out.append(".TP\n").append(optionHeading(option)).append('\n');
                out.append(escape(option.description()));
                if (option.defaultText() != null)
                {
                    out.append("; default ").append(escape(option.defaultText()));
                }
                out.append(".\n");
            }
        }
        for (final String[] section : sections)
        {
            out.append(".SH ").append(escape(section[0].toUpperCase(Locale.ROOT))).append('\n');
            boolean first = true;
            for (final String paragraph : section[1].split("\n\n"))
            {
                out.append(first ? "" : ".PP\n");
                if (paragraph.startsWith("  "))
                {
                    // An example: kept as typed.
                    out.append(".nf\n").append(escape(paragraph.stripIndent())).append("\n.fi\n");
                }
                else
                {
                    out.append(escape(paragraph.replace('\n', ' '))).append('\n');
                }
                first = false;
            }
        }
        return out.toString();
    }

    /** Every command that runs, subcommands of a group ({@code httpcap config check}) in its place; not {@code help}. */
    static List<CommandSpec> commands(final CommandSpec main)
    {
        final List<CommandSpec> all = new java.util.ArrayList<>();
        for (final CommandSpec command : main.subcommands())
        {
            if (command.subcommands().isEmpty())
            {
                all.add(command);
            }
            else
            {
                all.addAll(command.subcommands());
            }
        }
        return all;
    }

    private static String optionHeading(final Option option)
    {
        final StringBuilder text = new StringBuilder();
        if (option.shortName() != null)
        {
            text.append(bold(option.shortName())).append(", ");
        }
        text.append(bold(option.negatedName() != null ? "--[no-]" + option.longName().substring(2) : option.longName()));
        if (option.label() != null)
        {
            text.append('=').append(italic(option.label()));
        }
        return text.toString();
    }

    private static String bold(final String text)
    {
        return "\\fB" + escape(text) + "\\fR";
    }

    private static String italic(final String text)
    {
        return "\\fI" + escape(text) + "\\fR";
    }

    private static String lowerFirst(final String text)
    {
        return text.isEmpty() ? text : Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }

    /** Roff-safe text: backslashes and hyphens escaped, a leading dot or quote made harmless. */
    static String escape(final String text)
    {
        final StringBuilder out = new StringBuilder(text.length() + 16);
        boolean lineStart = true;
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (lineStart && (c == '.' || c == '\''))
            {
                out.append("\\&");
            }
            switch (c)
            {
                case '\\' -> out.append("\\e");
                case '-' -> out.append("\\-");
                case '\u00A0' -> out.append("\\ ");
                default -> out.append(c);
            }
            lineStart = c == '\n';
        }
        return out.toString();
    }
}
