package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/httpcap trains the JVM's AOT cache with the Kafka sink sending to scripts/kafka/TrainingBroker.java,
 * and falls back to the file sink alone, silently, when that does not work. This keeps it working:
 * the stand-in compiles against the kafka-clients in the jar and takes the training run's events.
 */
final class TrainingBrokerIT
{
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void shouldTakeEveryEventOfTheTrainingRun(@TempDir final Path dir) throws Exception
    {
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        final Process broker = new ProcessBuilder(java.toString(), "-XX:+UseSerialGC", "-Xmx64m",
            "-cp", ItSupport.repoRoot().resolve("app/target/httpcap.jar").toString(),
            ItSupport.repoRoot().resolve("scripts/kafka/TrainingBroker.java").toString(), "100")
            .redirectError(dir.resolve("broker.err").toFile())
            .start();
        try
        {
            final String port;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(broker.getInputStream(), StandardCharsets.UTF_8)))
            {
                port = out.readLine();
            }
            assertTrue(port != null && port.matches("\\d+"), "the stand-in printed its port: " + port);

            // As bin/httpcap's training run sends (make_aot).
            final ItSupport.Result run = ItSupport.httpcap("train", List.of("read", "samples/demo.pcap",
                "--sink", "file:" + dir.resolve("train.ndjson"),
                "--sink", "kafka://127.0.0.1:" + port + "/httpcap-aot-training?delivery=at-least-once&close-seconds=3",
                "--spill-dir", dir.resolve("spill").toString(), "--kafka-prop", "request.timeout.ms=2000",
                "--progress", "never"), null, dir, Duration.ofMinutes(1));
            assertEquals(0, run.exitCode(), run::describe);
            assertTrue(run.stderrText().contains("at-least-once: 5 delivered"), run::describe);
            assertTrue(run.stderrText().contains(" 0 failed; spill: 5 spilled, 0 pending"), run::describe);
        }
        finally
        {
            broker.destroy();
            broker.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
