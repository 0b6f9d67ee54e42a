package dev.httpcap.benchmarks;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every benchmark, every parameter, once, briefly (one 100 ms warm-up and one 100 ms measurement
 * iteration, in this JVM, with the GC profiler), so that a change that breaks a benchmark's set-up
 * checks or makes it throw fails the build. The numbers mean nothing and are not looked at.
 */
class BenchmarkSmokeTest
{
    private static final List<Class<?>> BENCHMARKS = List.of(
        HttpParserBenchmark.class, JsonEncoderBenchmark.class, HandoffBenchmark.class,
        PipelineBenchmark.class, ReassemblyBenchmark.class, FlowTrackerBenchmark.class);

    @Test
    void shouldRunEveryBenchmarkWithEveryParameter() throws RunnerException
    {
        final OptionsBuilder options = new OptionsBuilder();
        for (final Class<?> benchmark : BENCHMARKS)
        {
            options.include("^" + benchmark.getName().replace(".", "\\.") + "\\.");
        }
        final Options built = options
            .forks(0)
            .warmupIterations(1)
            .warmupTime(TimeValue.milliseconds(100))
            .measurementIterations(1)
            .measurementTime(TimeValue.milliseconds(100))
            .addProfiler(GCProfiler.class)
            .shouldFailOnError(true)
            .timeout(TimeValue.seconds(60))
            // JMH's report of all 48 runs goes to a file rather than the build log.
            .output("target/benchmark-smoke.txt")
            .build();

        // JMH refuses to start while another JMH run holds /tmp/jmh.lock (a measurement on this
        // machine); this run measures nothing, so it need not wait for one or stop it.
        System.setProperty("jmh.ignoreLock", "true");
        final Collection<RunResult> results = new Runner(built).run();

        final Set<String> ran = new TreeSet<>();
        for (final RunResult result : results)
        {
            final String name = result.getParams().getBenchmark();
            final double score = result.getPrimaryResult().getScore();
            assertTrue(score > 0 && Double.isFinite(score), name + " " + result.getParams() + " scored " + score);
            assertTrue(result.getSecondaryResults().containsKey("gc.alloc.rate.norm"),
                name + " reported no allocation: " + result.getSecondaryResults().keySet());
            ran.add(name.substring(0, name.lastIndexOf('.')));
        }
        final Set<String> expected = new TreeSet<>();
        BENCHMARKS.forEach(b -> expected.add(b.getName()));
        assertEquals(expected, ran, "benchmark classes with results");
        // Every @Param combination of every benchmark method: 28 + 8 + 6 + 4 + 2 + 2.
        assertEquals(50, results.size(), "benchmark runs");
    }
}
