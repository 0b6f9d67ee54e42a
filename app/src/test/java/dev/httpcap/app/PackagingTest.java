package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * packaging/: the systemd unit through {@code systemd-analyze verify} and {@code security}, the
 * Dockerfile through dockerfilelint and shellcheck (hadolint is not installable here: it is neither
 * in Debian nor fetchable without GitHub) plus the rules that matter for this image. Each check is
 * also shown failing on a broken copy, so it cannot pass by not looking.
 */
class PackagingTest
{
    private static final Path PACKAGING = ItSupport.repoRoot().resolve("packaging");

    @TempDir
    Path dir;

    private ItSupport.Result run(final String name, final String... command) throws Exception
    {
        return ItSupport.run(name, List.of(command), null, dir, Duration.ofMinutes(2), Map.of());
    }

    /** The unit with its ExecStart pointing at this checkout (systemd-analyze checks the program exists). */
    private Path unit(final String text) throws IOException
    {
        final Path copy = Files.createDirectories(dir.resolve("unit-" + System.nanoTime())).resolve("httpcap.service");
        Files.writeString(copy, text.replace("/opt/httpcap", ItSupport.repoRoot().toString()));
        return copy;
    }

    @Test
    void shouldPassSystemdAnalyzeVerifyWithoutAWarning() throws Exception
    {
        ItSupport.requireTools("systemd-analyze");
        final String text = Files.readString(PACKAGING.resolve("httpcap.service"));
        for (final String directive : List.of("User=httpcap", "Group=httpcap", "AmbientCapabilities=CAP_NET_RAW",
            "CapabilityBoundingSet=CAP_NET_RAW", "NoNewPrivileges=yes", "StateDirectory=httpcap", "Restart=on-failure",
            "ExecReload=/bin/kill -HUP $MAINPID", "ExecStart=/opt/httpcap/bin/httpcap live --config /etc/httpcap/httpcap.yaml"))
        {
            assertTrue(text.lines().anyMatch(directive::equals), directive + " missing from the unit");
        }
        final ItSupport.Result verify = run("verify", "systemd-analyze", "verify", "--man=no", unit(text).toString());
        assertEquals(0, verify.exitCode(), verify::describe);
        assertEquals("", verify.stderrText(), verify::describe);

        final ItSupport.Result security = run("security", "systemd-analyze", "security", "--offline=true", "--threshold=45",
            unit(text).toString());
        assertEquals(0, security.exitCode(), "exposure above 4.5\n" + security.describe());

        // A misspelt directive is only a warning to systemd: the empty-output check catches it.
        final ItSupport.Result typo = run("typo", "systemd-analyze", "verify", "--man=no",
            unit(text.replace("NoNewPrivileges=", "NoNewPrivilegez=")).toString());
        assertTrue(typo.stderrText().contains("Unknown key 'NoNewPrivilegez'"), typo::describe);
    }

    private static List<String> instructions(final String dockerfile)
    {
        final List<String> result = new ArrayList<>();
        final StringBuilder current = new StringBuilder();
        for (final String line : dockerfile.split("\n"))
        {
            if (line.isBlank() || line.startsWith("#"))
            {
                continue;
            }
            if (line.endsWith("\\"))
            {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            result.add(current.append(line).toString().strip());
            current.setLength(0);
        }
        return result;
    }

    @Test
    void shouldLintTheDockerfileAndKeepItsImageUnprivileged() throws Exception
    {
        final String text = Files.readString(PACKAGING.resolve("Dockerfile"));
        final List<String> instructions = instructions(text);
        final List<String> from = instructions.stream().filter(i -> i.startsWith("FROM ")).toList();
        assertEquals(2, from.size(), "a build stage and a runtime stage");
        for (final String stage : from)
        {
            assertTrue(stage.matches("FROM [a-z0-9./-]+:[0-9][\\w.-]*( AS \\w+)?"), "an image pinned to a version: " + stage);
        }
        assertTrue(instructions.stream().anyMatch(i -> i.startsWith("RUN ") && i.contains("jlink --add-modules")), "jlinked");
        assertTrue(instructions.stream().anyMatch(i -> i.contains("setcap cap_net_raw+ep /opt/httpcap/java/bin/java")));
        final List<String> users = instructions.stream().filter(i -> i.startsWith("USER ")).toList();
        assertEquals("USER httpcap", users.getLast(), "the image runs as httpcap, not root");
        assertTrue(instructions.indexOf(users.getLast()) > instructions.indexOf(from.getLast()));
        final String entrypoint = instructions.stream().filter(i -> i.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
        assertTrue(entrypoint.startsWith("ENTRYPOINT [\"/opt/httpcap/java/bin/java\""), "exec form: signals reach java");
        final Matcher install = Pattern.compile("apt-get install -y --no-install-recommends ([^&]+)").matcher(String.join("\n", instructions));
        assertTrue(install.find());
        for (final String pkg : install.group(1).trim().split("\\s+"))
        {
            assertTrue(pkg.matches("[a-z0-9.+-]+=[\\w.:+~-]+"), "apt package pinned to a version: " + pkg);
        }

        ItSupport.requireTools("dockerfilelint", "shellcheck");
        final ItSupport.Result lint = run("dockerfilelint", "dockerfilelint", PACKAGING.resolve("Dockerfile").toString());
        assertEquals(0, lint.exitCode(), lint::describe);
        final Path broken = dir.resolve("Dockerfile.broken");
        Files.writeString(broken, text.replace("apt-get install -y", "apt-get install"));
        assertNotEquals(0, run("broken", "dockerfilelint", broken.toString()).exitCode(), "the lint finds a missing -y");

        // Every RUN as the shell script it is.
        final StringBuilder script = new StringBuilder("#!/bin/sh\n");
        instructions.stream().filter(i -> i.startsWith("RUN ")).forEach(i -> script.append(i.substring(4)).append('\n'));
        final Path runs = dir.resolve("runs.sh");
        Files.writeString(runs, script);
        final ItSupport.Result shellcheck = run("shellcheck", "shellcheck", "-s", "sh", runs.toString());
        assertEquals(0, shellcheck.exitCode(), shellcheck::describe);
    }
}
