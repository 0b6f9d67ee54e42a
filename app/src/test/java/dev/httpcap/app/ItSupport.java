package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Shared plumbing of the end-to-end tests: where the repository is, running {@code bin/httpcap},
 * the recording scripts and tshark as processes, and the "skip locally, fail in CI" rule for the
 * tools and privileges they need.
 */
final class ItSupport
{
    /** Extra directories searched for tools: nginx and tcpdump live in /usr/sbin. */
    private static final List<String> EXTRA_PATH = List.of("/usr/sbin", "/sbin");

    private ItSupport()
    {
    }

    /** The repository root: system property {@code httpcap.root} (set by failsafe) or found upwards. */
    static Path repoRoot()
    {
        final String property = System.getProperty("httpcap.root");
        if (property != null && !property.isBlank())
        {
            return Path.of(property).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            if (Files.isRegularFile(dir.resolve("bin/httpcap")) && Files.isRegularFile(dir.resolve("pom.xml")))
            {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the repository root (bin/httpcap); set -Dhttpcap.root");
    }

    /** True when the CI environment variable is set: then a missing prerequisite is a failure, not a skip. */
    static boolean inCi()
    {
        final String ci = System.getenv("CI");
        return ci != null && !ci.isEmpty();
    }

    /** Skips the test (or fails it in CI) with {@code message} unless {@code condition}. */
    static void require(final boolean condition, final String message)
    {
        if (condition)
        {
            return;
        }
        if (inCi())
        {
            fail(message + " (CI is set, so this is a failure rather than a skip)");
        }
        assumeTrue(false, message + " (skipped; set CI=1 to make this a failure)");
    }

    static void requireTools(final String... tools)
    {
        final List<String> missing = new ArrayList<>();
        for (final String tool : tools)
        {
            if (findOnPath(tool) == null)
            {
                missing.add(tool);
            }
        }
        require(missing.isEmpty(), "missing tools " + missing + " (scripts/test apt-installs them when run as root)");
    }

    static void requireRoot()
    {
        require(isRoot(), "needs root to capture on lo with tcpdump");
    }

    static boolean isRoot()
    {
        try
        {
            // /proc/self belongs to this process's user.
            return ((Integer)Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        }
        catch (final IOException | UnsupportedOperationException | IllegalArgumentException e)
        {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    static Path findOnPath(final String tool)
    {
        final List<String> dirs = new ArrayList<>();
        final String path = System.getenv("PATH");
        if (path != null)
        {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(EXTRA_PATH);
        for (final String dir : dirs)
        {
            if (dir.isEmpty())
            {
                continue;
            }
            final Path candidate = Path.of(dir, tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /** The result of a finished process; stdout and stderr were written to files. */
    record Result(List<String> command, int exitCode, Path stdout, Path stderr, Duration elapsed)
    {
        String stdoutText()
        {
            return read(stdout);
        }

        String stderrText()
        {
            return read(stderr);
        }

        /** A description for assertion messages: command, exit code, time and the tail of both streams. */
        String describe()
        {
            return "command: " + String.join(" ", command) + "\nexit code: " + exitCode + " after "
                + elapsed.toMillis() + " ms\n--- stderr (tail) ---\n" + tail(stderrText(), 40)
                + "\n--- stdout (tail) ---\n" + tail(stdoutText(), 20);
        }

        private static String read(final Path file)
        {
            try
            {
                return Files.readString(file, StandardCharsets.UTF_8);
            }
            catch (final IOException e)
            {
                return "<cannot read " + file + ": " + e + ">";
            }
        }
    }

    static String tail(final String text, final int lines)
    {
        final String[] all = text.split("\n", -1);
        if (all.length <= lines)
        {
            return text;
        }
        return "... (" + (all.length - lines) + " lines before)\n"
            + String.join("\n", List.of(all).subList(all.length - lines, all.length));
    }

    /**
     * Runs {@code command} in the repository root with stdin from {@code stdin} (or nothing), stdout
     * and stderr to files in {@code outDir} named after {@code name}. On timeout the process gets
     * SIGTERM (so scripts run their cleanup traps), then SIGKILL with its descendants, and the test
     * fails.
     */
    static Result run(final String name, final List<String> command, final Path stdin, final Path outDir,
        final Duration timeout, final Map<String, String> env) throws IOException, InterruptedException
    {
        final Path out = outDir.resolve(name + ".stdout");
        final Path err = outDir.resolve(name + ".stderr");
        final ProcessBuilder builder = new ProcessBuilder(command)
            .directory(repoRoot().toFile())
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null"))
                : ProcessBuilder.Redirect.from(stdin.toFile()));
        final Map<String, String> environment = builder.environment();
        final String path = environment.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        environment.put("PATH", path + File.pathSeparator + String.join(File.pathSeparator, EXTRA_PATH));
        environment.putAll(env);
        final long start = System.nanoTime();
        final Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        {
            final List<ProcessHandle> descendants = process.descendants().toList();
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
            }
            descendants.forEach(ProcessHandle::destroyForcibly);
            process.waitFor(5, TimeUnit.SECONDS);
            final Result result = new Result(command, -1, out, err, Duration.ofNanos(System.nanoTime() - start));
            fail(name + " did not finish within " + timeout + "\n" + result.describe());
        }
        return new Result(command, process.exitValue(), out, err, Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * Runs {@code bin/httpcap ARGS}. HTTPCAP_NO_BUILD=1: the tests must exercise the jar this Maven
     * build just packaged, never start a nested build.
     */
    static Result httpcap(final String name, final List<String> args, final Path stdin, final Path outDir,
        final Duration timeout) throws IOException, InterruptedException
    {
        requireJar();
        final List<String> command = new ArrayList<>();
        command.add(repoRoot().resolve("bin/httpcap").toString());
        command.addAll(args);
        return run(name, command, stdin, outDir, timeout, Map.of("HTTPCAP_NO_BUILD", "1"));
    }

    /** {@code bin/httpcap ARGS} to start and watch while it runs; HTTPCAP_NO_BUILD=1 as {@link #httpcap}. */
    static ProcessBuilder httpcapProcess(final String... args)
    {
        requireJar();
        final List<String> command = new ArrayList<>();
        command.add(repoRoot().resolve("bin/httpcap").toString());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("HTTPCAP_NO_BUILD", "1");
        return builder;
    }

    private static void requireJar()
    {
        final Path jar = repoRoot().resolve("app/target/httpcap.jar");
        if (!Files.isRegularFile(jar))
        {
            fail(jar + " is missing: the integration tests run after `mvn package` (use mvn verify)");
        }
    }

    /**
     * Wait, 60 s at most, for a line of {@code log} (a running process's output) that contains one of {@code texts}.
     *
     * @return that line.
     */
    static String awaitLine(final Path log, final String... texts) throws IOException, InterruptedException
    {
        return awaitLineAfter(log, 0, texts);
    }

    /** {@link #awaitLine}, looking only at what the log holds past its first {@code offset} bytes. */
    static String awaitLineAfter(final Path log, final long offset, final String... texts)
        throws IOException, InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true)
        {
            final String all = Files.exists(log) ? tailFrom(log, offset) : "";
            final String found = all.lines().filter(line -> Arrays.stream(texts).anyMatch(line::contains)).findFirst()
                .orElse(null);
            if (null != found)
            {
                return found;
            }
            if (System.nanoTime() - deadline > 0)
            {
                fail("no '" + String.join("' or '", texts) + "' in " + log + " within 60 s:\n" + tail(all, 30));
            }
            Thread.sleep(50); // a file another process writes: looked at again, until the deadline
        }
    }

    private static String tailFrom(final Path file, final long offset) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        final int from = (int)Math.min(offset, bytes.length);
        return new String(bytes, from, bytes.length - from, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** @return a TCP port free on loopback a moment ago (the kernel's pick). */
    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    static String systemProperty(final String name, final String fallback)
    {
        final String value = System.getProperty(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    /**
     * @return the events without what depends on when their packets were captured ({@code @timestamp},
     * {@code event.start/end/duration}, {@code event.id}, which is derived from the capture time, and the
     * values of {@code httpcap.timing}, whose members stay, as {@code true}) and on where ({@code observer},
     * {@code host}, {@code network.direction}: live captures only), so that a live capture of replayed
     * frames can be held against a read of the same frames.
     */
    static List<String> withoutObserver(final List<String> lines) throws IOException
    {
        final ObjectMapper mapper = new ObjectMapper();
        final List<String> out = new ArrayList<>();
        for (final String line : lines)
        {
            out.add(withoutObserver((ObjectNode)mapper.readTree(line)).toString());
        }
        return out;
    }

    /** {@code event} without where it was captured ({@code observer}, {@code host}, {@code network.direction}): live captures say, files do not. */
    private static ObjectNode withoutObserver(final ObjectNode event)
    {
        event.remove("observer");
        event.remove("host");
        if (event.path("network") instanceof ObjectNode network)
        {
            network.remove("direction");
        }
        return event;
    }

    static List<String> withoutCaptureTimes(final List<String> lines) throws IOException
    {
        final ObjectMapper mapper = new ObjectMapper();
        final List<String> out = new ArrayList<>();
        for (final String line : lines)
        {
            final ObjectNode event =
                (ObjectNode)mapper.readTree(line);
            event.remove("@timestamp");
            final ObjectNode eventField =
                (ObjectNode)event.path("event");
            eventField.remove("duration");
            eventField.remove("id");
            eventField.remove("start");
            eventField.remove("end");
            if (event.path("httpcap").path("timing") instanceof ObjectNode timing)
            {
                timing.properties().forEach(member -> member.setValue(BooleanNode.TRUE));
            }
            out.add(withoutObserver(event).toString());
        }
        return out;
    }
}
