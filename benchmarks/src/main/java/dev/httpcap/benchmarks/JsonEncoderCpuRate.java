package dev.httpcap.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * {@link JsonEncoderBenchmark#httpcap} measured in events per second of the measuring thread's own
 * CPU time rather than of wall time: on a machine shared with other work the thread loses time
 * slices, which JMH's throughput counts and this does not. Same set-up as the benchmark (its
 * set-up check included); no forks, one thread.
 * <p>
 * {@code java -cp benchmarks.jar dev.httpcap.benchmarks.JsonEncoderCpuRate EXCHANGE HEADERS
 * WARMUP_SECONDS ROUNDS ROUND_SECONDS} (CPU seconds; the JVM options of the benchmark's fork), prints
 * {@code EXCHANGE/HEADERS} and the events per CPU second of each round. It uses only the
 * benchmark's parameters and methods, so it also measures a jar built before it existed:
 * {@code java -cp OLD.jar:benchmarks.jar dev.httpcap.benchmarks.JsonEncoderCpuRate ...} (the old
 * jar first, so that its classes are the ones loaded).
 */
public final class JsonEncoderCpuRate
{
    private static final int BATCH = 10_000;

    private JsonEncoderCpuRate()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final JsonEncoderBenchmark benchmark = new JsonEncoderBenchmark();
        benchmark.exchange = args[0];
        benchmark.headers = args[1];
        benchmark.setUp();
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final long warmupNanos = (long)(Double.parseDouble(args[2]) * 1e9);
        final int rounds = Integer.parseInt(args[3]);
        final long roundNanos = (long)(Double.parseDouble(args[4]) * 1e9);

        long written = 0;
        final long warmupStart = threads.getCurrentThreadCpuTime();
        while (threads.getCurrentThreadCpuTime() - warmupStart < warmupNanos)
        {
            for (int i = 0; i < BATCH; i++)
            {
                written += benchmark.httpcap();
            }
        }
        final StringBuilder line = new StringBuilder(args[0]).append('/').append(args[1]);
        for (int round = 0; round < rounds; round++)
        {
            long events = 0;
            final long start = threads.getCurrentThreadCpuTime();
            long now;
            do
            {
                for (int i = 0; i < BATCH; i++)
                {
                    written += benchmark.httpcap();
                }
                events += BATCH;
                now = threads.getCurrentThreadCpuTime();
            }
            while (now - start < roundNanos);
            line.append(' ').append(Math.round(events * 1e9 / (now - start)));
        }
        benchmark.tearDown();
        System.out.println(line.append(written == 0 ? " (nothing written)" : ""));
    }
}
