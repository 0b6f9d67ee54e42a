package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/httpcap read samples/demo.pcap --sink stdout:json} (and the same from stdin with
 * {@code -}) exits 0 and prints one flow event per TCP connection in the sample, counted by tshark,
 * with tshark's packets and bytes each way. Needs tshark: skipped without it, failed when CI is set.
 */
class ReadSampleIT
{
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void sampleFile(@TempDir final Path dir) throws IOException, InterruptedException
    {
        final Path sample = sample();
        check(sample, dir, List.of("read", sample.toString(), "--flows", "--sink", "stdout:json"), null);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void sampleFromStdin(@TempDir final Path dir) throws IOException, InterruptedException
    {
        final Path sample = sample();
        check(sample, dir, List.of("read", "-", "--flows", "--sink", "stdout:json"), sample);
    }

    private static Path sample()
    {
        final Path sample = ItSupport.repoRoot().resolve("samples/demo.pcap");
        assertTrue(Files.isRegularFile(sample), () -> sample + " is missing (scripts/record-sample.sh makes it)");
        ItSupport.requireTools("tshark");
        return sample;
    }

    private static void check(final Path sample, final Path dir, final List<String> args, final Path stdin)
        throws IOException, InterruptedException
    {
        final TsharkConnections.Capture capture = TsharkConnections.read(sample, dir);
        assertTrue(capture.connections().size() >= 4, () -> "expected the sample to hold at least 4 TCP connections, tshark sees "
            + capture.connections().size());

        final ItSupport.Result run = ItSupport.httpcap("httpcap", args, stdin, dir, Duration.ofMinutes(2));
        assertEquals(0, run.exitCode(), () -> "httpcap " + String.join(" ", args) + " failed\n" + run.describe());

        final FlowEvents.Events events = FlowEvents.read(run.stdout());
        final List<String> problems = new ArrayList<>(events.problems());
        if (events.flows().size() != capture.connections().size())
        {
            problems.add(events.flows().size() + " flow events on stdout, but tshark counts " + capture.connections().size()
                + " TCP connections in " + sample);
        }
        problems.addAll(FinalReport.parse(run.stderrText()).check(capture.frames(), events));
        final FlowComparison.Result comparison = FlowComparison.compare(capture.connections(), events.flows());
        if (!problems.isEmpty() || !comparison.ok())
        {
            fail("httpcap " + String.join(" ", args) + (stdin == null ? "" : " < " + stdin) + ":\n"
                + (problems.isEmpty() ? "" : "  " + String.join("\n  ", problems) + "\n") + comparison.report()
                + "\n--- stdout (tail) ---\n" + ItSupport.tail(run.stdoutText(), 10)
                + "\n--- stderr (tail) ---\n" + ItSupport.tail(run.stderrText(), 20));
        }
    }
}
