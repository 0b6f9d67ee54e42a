import dev.httpcap.sinks.EventSink;
import dev.httpcap.sinks.SinkSpecs;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Feeds the events of an NDJSON file (one encoded event a line, as {@code httpcap read --sink
 * file:...} writes them) to one sink opened from a spec, on one thread, as fast as it takes them:
 * the sink alone, without capture and decoding in front of it. For perf/kafka-sink.sh:
 *
 * <pre>
 *   java -cp app/target/httpcap.jar perf/KafkaSinkFeed.java EVENTS.ndjson SPEC [COUNT]
 * </pre>
 *
 * The file is mapped and scanned for line ends before the clock starts. Each event is handed to
 * {@code onEvent} without its line break (as the pipeline does), in file order, COUNT of them
 * (default: every line), the sink's {@code flush()} after every 256 (as the pipeline's batches).
 * Prints one line: events, bytes, and the time from the first {@code onEvent} to the end of
 * {@code close()} (which, for Kafka, waits for the last acknowledgement). The sink's own summary
 * goes to stderr as in the app.
 */
public final class KafkaSinkFeed
{
    private KafkaSinkFeed()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length < 2 || args.length > 3)
        {
            System.err.println("usage: KafkaSinkFeed EVENTS.ndjson SPEC [COUNT]");
            System.exit(2);
        }
        final UnsafeBuffer buffer;
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ))
        {
            if (channel.size() > Integer.MAX_VALUE)
            {
                System.err.println("KafkaSinkFeed: " + args[0] + " is larger than 2 GiB");
                System.exit(2);
            }
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            buffer = new UnsafeBuffer(mapped);
        }
        catch (final IOException ex)
        {
            System.err.println("KafkaSinkFeed: cannot read " + args[0] + ": " + ex);
            System.exit(2);
            return;
        }
        int[] starts = new int[1 << 16];
        int[] lengths = new int[1 << 16];
        int lines = 0;
        int lineStart = 0;
        final int capacity = buffer.capacity();
        for (int i = 0; i < capacity; i++)
        {
            if (buffer.getByte(i) == '\n')
            {
                if (i > lineStart)
                {
                    if (lines == starts.length)
                    {
                        starts = Arrays.copyOf(starts, lines * 2);
                        lengths = Arrays.copyOf(lengths, lines * 2);
                    }
                    starts[lines] = lineStart;
                    lengths[lines] = i - lineStart;
                    lines++;
                }
                lineStart = i + 1;
            }
        }
        if (lines == 0)
        {
            System.err.println("KafkaSinkFeed: no events in " + args[0]);
            System.exit(1);
        }
        long count = lines;
        if (args.length == 3)
        {
            try
            {
                count = Long.parseLong(args[2]);
            }
            catch (final NumberFormatException ex)
            {
                count = -1;
            }
            if (count < 1)
            {
                System.err.println("KafkaSinkFeed: COUNT must be a number > 0: " + args[2]);
                System.exit(2);
            }
        }

        final EventSink sink;
        try
        {
            sink = SinkSpecs.open(args[1]);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("KafkaSinkFeed: " + ex.getMessage());
            System.exit(2);
            return;
        }
        long bytes = 0;
        final long start = System.nanoTime();
        for (long n = 0; n < count; n++)
        {
            final int line = (int)(n % lines);
            sink.onEvent(buffer, starts[line], lengths[line]);
            bytes += lengths[line];
            if ((n & 255) == 255)
            {
                sink.flush();
            }
        }
        sink.flush();
        final long fed = System.nanoTime();
        sink.close();
        final long end = System.nanoTime();
        System.out.printf("fed %d events (%d bytes) in %.3f s, closed after %.3f s: %.0f events/s; " +
                "sink: %d written, %d failed%n",
            count, bytes, (fed - start) / 1e9, (end - start) / 1e9, count * 1e9 / (end - start),
            sink.eventsWritten(), sink.eventsFailed());
    }
}
