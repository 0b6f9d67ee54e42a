package dev.httpcap.app.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A bash completion script for {@code httpcap}, written from the same command tables as
 * {@code --help}: command names, each command's options (with their {@code --no-} forms), the
 * choices of a choice option, file names for {@code FILE}/{@code DIR} values and parameters,
 * interface names for {@code --interface}.
 */
public final class BashCompletion
{
    private BashCompletion()
    {
    }

    public static String render(final CommandSpec main)
    {
        final StringBuilder out = new StringBuilder(8192);
        out.append("# bash completion for httpcap; generated from its option tables by 'httpcap help --bash-completion'.\n")
            .append("# Install: httpcap help --bash-completion > /usr/share/bash-completion/completions/httpcap\n")
            .append("_httpcap()\n{\n")
            .append("    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} command=\"\" word i\n")
            .append("    COMPREPLY=()\n")
            .append("    for ((i = 1; i < COMP_CWORD; i++)); do\n")
            .append("        word=${COMP_WORDS[i]}\n")
            .append("        [[ $word == -* ]] && continue\n")
            .append("        if [[ -z $command ]]; then\n")
            .append("            command=$word\n");
        final List<String> groups = new ArrayList<>();
        for (final CommandSpec command : main.subcommands())
        {
            if (!command.subcommands().isEmpty())
            {
                groups.add(command.name());
            }
        }
        if (!groups.isEmpty())
        {
            out.append("        elif [[ ").append(String.join(" || ", groups.stream().map(g -> "$command == " + g).toList()))
                .append(" ]]; then\n")
                .append("            command=\"$command $word\"\n")
                .append("            break\n");
        }
        out.append("        else\n")
            .append("            break\n")
            .append("        fi\n")
            .append("    done\n")
            .append("    local options=\"\"\n")
            .append("    case $command in\n");
        out.append("        \"\") COMPREPLY=($(compgen -W \"").append(words(names(main.subcommands()), main.options()))
            .append("\" -- \"$cur\")); return ;;\n");
        for (final CommandSpec command : main.subcommands())
        {
            if (!command.subcommands().isEmpty())
            {
                out.append("        ").append(quote(command.name())).append(") COMPREPLY=($(compgen -W \"")
                    .append(words(names(command.subcommands()), command.options())).append("\" -- \"$cur\")); return ;;\n");
            }
            else if (command.name().equals("help"))
            {
                out.append("        help) COMPREPLY=($(compgen -W \"").append(words(names(main.subcommands()), command.options()))
                    .append("\" -- \"$cur\")); return ;;\n");
            }
        }
        for (final CommandSpec command : ManPage.commands(main))
        {
            final String name = command.qualifiedName().substring("httpcap ".length());
            out.append("        ").append(quote(name)).append(")\n");
            out.append("            options=\"").append(words(List.of(), command.options())).append("\"\n");
            out.append("            case $prev in\n");
            for (final Option option : command.options())
            {
                if (!option.takesValue())
                {
                    continue;
                }
                out.append("                ").append(option.longName())
                    .append(option.shortName() != null ? "|" + option.shortName() : "").append(") ")
                    .append(valueCompletion(option)).append("; return ;;\n");
            }
            out.append("            esac\n");
            out.append("            ;;\n");
        }
        out.append("    esac\n")
            .append("    if [[ $cur == -* ]]; then\n")
            .append("        COMPREPLY=($(compgen -W \"$options\" -- \"$cur\"))\n")
            .append("    else\n")
            .append("        COMPREPLY=($(compgen -f -- \"$cur\"))\n")
            .append("    fi\n")
            .append("}\n")
            .append("complete -o filenames -F _httpcap httpcap\n");
        return out.toString();
    }

    private static String valueCompletion(final Option option)
    {
        if (option.type() == Option.Type.CHOICE)
        {
            final List<String> choices = new ArrayList<>();
            for (final String choice : option.choices())
            {
                choices.add(choice.toLowerCase(Locale.ROOT));
            }
            return "COMPREPLY=($(compgen -W \"" + String.join(" ", choices) + "\" -- \"$cur\"))";
        }
        final String label = option.label() == null ? "" : option.label();
        if (option.longName().equals("--interface"))
        {
            return "COMPREPLY=($(compgen -W \"$(command ls /sys/class/net 2>/dev/null)\" -- \"$cur\"))";
        }
        if (label.equals("FILE") || label.equals("DIR") || label.equals("PATH"))
        {
            return "COMPREPLY=($(compgen " + (label.equals("DIR") ? "-d" : "-f") + " -- \"$cur\"))";
        }
        if (option.longName().equals("--user"))
        {
            return "COMPREPLY=($(compgen -u -- \"$cur\"))";
        }
        return "COMPREPLY=()"; // a number or text: nothing to offer
    }

    private static List<String> names(final List<CommandSpec> commands)
    {
        final List<String> names = new ArrayList<>();
        for (final CommandSpec command : commands)
        {
            names.add(command.name());
        }
        return names;
    }

    private static String words(final List<String> first, final List<Option> options)
    {
        final List<String> words = new ArrayList<>(first);
        for (final Option option : options)
        {
            words.add(option.longName());
            if (option.negatedName() != null)
            {
                words.add(option.negatedName());
            }
        }
        return String.join(" ", words);
    }

    private static String quote(final String text)
    {
        return text.contains(" ") ? "\"" + text + "\"" : text;
    }
}
