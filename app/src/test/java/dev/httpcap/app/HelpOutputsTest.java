package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.httpcap.app.cli.CommandSpec;
import dev.httpcap.app.cli.Option;

/** {@code httpcap help --man} and {@code --bash-completion}: written from the option tables, so every option is in them. */
class HelpOutputsTest
{
    @TempDir
    Path dir;

    private static String out(final String... args)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final int exitCode = Main.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream()), args);
        assertEquals(0, exitCode);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static List<CommandSpec> commands()
    {
        final CommandSpec main = Main.spec();
        return List.of(main.subcommand("read"), main.subcommand("live"), main.subcommand("interfaces"),
            main.subcommand("config").subcommand("check"), main.subcommand("help"));
    }

    private static String roff(final String text)
    {
        return text.replace("\\", "\\e").replace("-", "\\-");
    }

    @Test
    void shouldDescribeEveryCommandAndOptionInTheManPage() throws Exception
    {
        final String man = out("help", "--man");
        assertTrue(man.startsWith(".TH HTTPCAP 1 "), man);
        for (final CommandSpec command : commands())
        {
            assertTrue(man.contains(".SS \"" + roff(command.qualifiedName()) + "\"\n"), command.qualifiedName());
            for (final Option option : command.options())
            {
                final String name = option.negatedName() != null ? "--[no-]" + option.longName().substring(2) : option.longName();
                assertTrue(man.contains("\\fB" + roff(name) + "\\fR"), () -> name + " of " + command.qualifiedName());
                assertTrue(man.contains(roff(option.description().split(" ")[0])), option::toString);
            }
        }
        for (final String section : List.of("CONFIGURATION FILE", "SIGNALS", "EXIT STATUS"))
        {
            assertTrue(man.contains(".SH " + section + "\n"), section);
        }

        ItSupport.requireTools("groff");
        final Path page = dir.resolve("httpcap.1");
        Files.writeString(page, man);
        // -ww: every warning; -z: no output. A roff mistake (an unescaped leading dot, a bad font) warns.
        final ItSupport.Result groff = ItSupport.run("groff", List.of("groff", "-man", "-Tutf8", "-ww", "-z", page.toString()),
            null, dir, Duration.ofMinutes(1), Map.of());
        assertEquals(0, groff.exitCode(), groff::describe);
        assertEquals("", groff.stderrText(), groff::describe);
        final ItSupport.Result text = ItSupport.run("render", List.of("groff", "-man", "-Tascii", "-P-bcou", page.toString()), null, dir,
            Duration.ofMinutes(1), Map.of());
        assertTrue(text.stdoutText().contains("--write-keep=N"), "rendered with the options as typed");
    }

    /** What bash completes for the words given (the last is the one being completed). */
    private List<String> complete(final Path script, final String... words) throws Exception
    {
        final StringBuilder array = new StringBuilder();
        for (final String word : words)
        {
            array.append(" '").append(word).append('\'');
        }
        final String program = "source " + script + "\nCOMP_WORDS=(" + array + ")\nCOMP_CWORD=" + (words.length - 1) +
            "\n_httpcap\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
        final ItSupport.Result run = ItSupport.run("complete", List.of("bash", "--norc", "-c", program), null, dir,
            Duration.ofMinutes(1), Map.of());
        assertEquals(0, run.exitCode(), run::describe);
        return new ArrayList<>(run.stdoutText().lines().filter(line -> !line.isEmpty()).toList());
    }

    @Test
    void shouldCompleteCommandsOptionsAndTheirValuesInBash() throws Exception
    {
        ItSupport.requireTools("bash");
        final Path script = dir.resolve("httpcap.bash");
        Files.writeString(script, out("help", "--bash-completion"));

        assertEquals(List.of("read", "live", "interfaces", "stats", "follow", "config", "schema", "help", "--help", "--version"),
            complete(script, "httpcap", ""));
        assertEquals(List.of("--workers"), complete(script, "httpcap", "live", "-i", "lo", "--wo"));
        assertEquals(List.of("auto", "always", "never"), complete(script, "httpcap", "read", "x.pcap", "--progress", ""));
        assertEquals(List.of("drop"), complete(script, "httpcap", "live", "--back-pressure", "d"));
        assertEquals(List.of("--no-promisc"), complete(script, "httpcap", "live", "--no-pro"));
        assertEquals(List.of("lo"), complete(script, "httpcap", "live", "-i", "l"));
        assertEquals(List.of("check"), complete(script, "httpcap", "config", "c"));
        assertEquals(List.of("read"), complete(script, "httpcap", "config", "check", "--for", "r"));
        assertEquals(List.of(), complete(script, "httpcap", "read", "x.pcap", "--workers", ""), "a number: nothing to offer");
        Files.createFile(dir.resolve("capture.pcap"));
        assertEquals(List.of(dir.resolve("capture.pcap").toString()),
            complete(script, "httpcap", "read", dir.resolve("capt").toString()), "the FILE parameter");
        // Every option of every command completes from its first letters.
        for (final CommandSpec command : commands())
        {
            final List<String> words = new ArrayList<>(List.of(command.qualifiedName().split(" ")));
            for (final Option option : command.options())
            {
                words.add(option.longName());
                final List<String> offered = complete(script, words.toArray(String[]::new));
                words.removeLast();
                assertTrue(offered.contains(option.longName()), () -> option + " of " + command.qualifiedName() + ": " + offered);
            }
        }
    }
}
