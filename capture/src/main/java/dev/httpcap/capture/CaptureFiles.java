package dev.httpcap.capture;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

import dev.httpcap.common.Frames;
import dev.httpcap.common.Madvise;

/** Opens capture files: pcap or pcapng, memory-mapped, or streamed from standard input. */
public final class CaptureFiles
{
    private CaptureFiles()
    {
    }

    /**
     * Open {@code pathOrDash} ("-" for standard input) and recognise its format.
     *
     * A path that is not a regular file (a named pipe, a device) is read as a stream, as "-" is.
     *
     * @throws CaptureFileException with a one-line reason when it is missing, unreadable, empty or not a capture.
     */
    public static PacketSource open(final String pathOrDash) throws CaptureFileException
    {
        if ("-".equals(pathOrDash))
        {
            // A FileChannel, unlike a stream, can be interrupted while blocked in read(): a stop
            // request must not wait for the writer of the pipe.
            return new StreamSource(new FileInputStream(FileDescriptor.in).getChannel(), "standard input");
        }
        final Path path = Path.of(pathOrDash);
        if (Files.isDirectory(path))
        {
            throw new CaptureFileException("'" + pathOrDash + "' is a directory, not a capture file");
        }
        final FileChannel channel;
        try
        {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        }
        catch (final NoSuchFileException ex)
        {
            throw new CaptureFileException("cannot read '" + pathOrDash + "': no such file");
        }
        catch (final AccessDeniedException ex)
        {
            throw new CaptureFileException("cannot read '" + pathOrDash + "': permission denied");
        }
        catch (final IOException ex)
        {
            throw new CaptureFileException("cannot read '" + pathOrDash + "': " + ex.getMessage(), ex);
        }
        if (!Files.isRegularFile(path))
        {
            // A named pipe or a device (`read <(tcpdump -w - ...)`, /dev/stdin): no size to map, read as a stream.
            return new StreamSource(channel, "'" + pathOrDash + "'");
        }

        final Arena arena = Arena.ofShared();
        try (channel)
        {
            final long size = channel.size();
            if (size == 0)
            {
                throw new CaptureFileException("'" + pathOrDash + "' is empty");
            }
            if (size < CaptureFileParser.headerLength())
            {
                throw new CaptureFileException("'" + pathOrDash + "' is too short (" + size + " bytes) to be a pcap or pcapng file");
            }
            final MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            final CaptureFileCounters counters = new CaptureFileCounters();
            final CaptureFileParser parser = new CaptureFileParser(counters);
            final long start = parser.readHeader(file, 0, pathOrDash);
            return new MappedSource(arena, file, parser, counters, start, "'" + pathOrDash + "'");
        }
        catch (final CaptureFileException ex)
        {
            arena.close();
            throw ex;
        }
        catch (final IOException ex)
        {
            arena.close();
            throw new CaptureFileException("cannot read '" + pathOrDash + "': " + ex.getMessage(), ex);
        }
    }

    /**
     * Note the parser's first problem, if any, as the file's damage: {@code name} is damaged at byte
     * {@code windowBase} + the problem's offset in the window.
     */
    private static void noteProblem(
        final CaptureFileParser parser, final CaptureFileCounters counters, final String name, final long windowBase)
    {
        if (parser.problem() != null && counters.damage() == null)
        {
            counters.damaged(name + " is damaged at byte " + (windowBase + parser.problemAt()) + ": " + parser.problem());
        }
    }

    /** A record cut short by the end of the input: counted, and the file's damage unless something came first. */
    private static void noteTruncated(final CaptureFileCounters counters, final String name, final long at, final long left)
    {
        counters.truncatedRecords++;
        counters.damaged(name + " is cut short: it ends " + left + " bytes into the record at byte " + at +
            " (truncated dump file)");
    }

    /** Read a capture streamed from {@code in} (a pipe): nothing is mapped, a bounded buffer is refilled. */
    public static PacketSource open(final InputStream in, final String name) throws CaptureFileException
    {
        return new StreamSource(Channels.newChannel(in), name);
    }

    /**
     * The whole file mapped once; records are read in place, and their frames stay readable until
     * {@link #close()} ({@link #framesStayReadable()}), so the pipeline's workers read them in place
     * too. Pages more than {@link #RELEASE_LAG} behind the read position are handed back to the
     * kernel every {@link #RELEASE_STEP} bytes, so a file of any size costs a bounded resident set
     * (at most {@code RELEASE_LAG + RELEASE_STEP} of it). The pages stay in the page cache; only
     * our mapping lets go of them, and a frame read again after that (a worker more than
     * {@code RELEASE_LAG} behind) is mapped again from the cache, unchanged.
     */
    static final class MappedSource implements PacketSource
    {
        static final long RELEASE_STEP = 32L * 1024 * 1024;
        /** How far behind the read position pages are kept: well over what the packet ring holds in flight. */
        static final long RELEASE_LAG = 32L * 1024 * 1024;

        private final Arena arena;
        private final MemorySegment file;
        private final CaptureFileParser parser;
        private final CaptureFileCounters counters;
        private final String name;
        private final long size;
        private final AtomicLong consumed = new AtomicLong();
        private long position;
        private long released;
        private boolean done;

        MappedSource(
            final Arena arena, final MemorySegment file, final CaptureFileParser parser,
            final CaptureFileCounters counters, final long start, final String name)
        {
            this.arena = arena;
            this.name = name;
            this.file = file;
            this.parser = parser;
            this.counters = counters;
            this.size = file.byteSize();
            this.position = start;
            Madvise.sequential(file);
        }

        @Override
        public int poll(final PacketHandler handler, final int limit)
        {
            int delivered = 0;
            while (!done && delivered < limit)
            {
                final long result = parser.next(file, position, size, handler);
                if (result > 0)
                {
                    position += result;
                    if (parser.delivered())
                    {
                        delivered++;
                    }
                }
                else
                {
                    if (result == CaptureFileParser.CORRUPT)
                    {
                        counters.corruptBlocks++;
                    }
                    else if (position < size)
                    {
                        noteProblem(parser, counters, name, 0);
                        noteTruncated(counters, name, position, size - position);
                    }
                    done = true;
                }
            }
            noteProblem(parser, counters, name, 0);
            if (position - released >= RELEASE_LAG + RELEASE_STEP)
            {
                released = Madvise.dontNeed(file, released, position - RELEASE_LAG);
            }
            consumed.lazySet(position);
            return delivered;
        }

        @Override
        public boolean isDone()
        {
            return done;
        }

        @Override
        public long bytesConsumed()
        {
            return consumed.get();
        }

        @Override
        public long totalBytes()
        {
            return size;
        }

        @Override
        public CaptureFileCounters fileCounters()
        {
            return counters;
        }

        @Override
        public boolean framesStayReadable()
        {
            return true;
        }

        @Override
        public void close()
        {
            if (arena.scope().isAlive())
            {
                arena.close();
            }
        }
    }

    /**
     * A pipe: records are parsed from an off-heap window that is compacted and refilled. The
     * window grows only when one record is bigger than it, up to the largest legal record or block
     * (a pcap record of {@link Frames#MAX_FRAME_LENGTH}, a pcapng block of
     * {@link CaptureFileParser#MAX_BLOCK_LENGTH}): a record that claims more is damage, found from
     * its header before any of it is buffered.
     */
    private static final class StreamSource implements PacketSource
    {
        private static final long INITIAL_CAPACITY = 1 << 20;
        private static final long MAX_CAPACITY = CaptureFileParser.MAX_BLOCK_LENGTH + 64;

        private final ReadableByteChannel in;
        private final String name;
        private final Arena arena = Arena.ofShared();
        private final CaptureFileCounters counters = new CaptureFileCounters();
        private final CaptureFileParser parser = new CaptureFileParser(counters);
        private final AtomicLong consumed = new AtomicLong();
        private MemorySegment window;
        private long position;
        private long limit;
        private long consumedTotal;
        /** Input offset of the window's first byte. */
        private long windowBase;
        private boolean endOfInput;
        /** The read was interrupted by a stop request: a record cut short then is not damage. */
        private boolean stopped;
        private boolean done;

        StreamSource(final ReadableByteChannel in, final String name) throws CaptureFileException
        {
            this.in = in;
            this.name = name;
            this.window = arena.allocate(INITIAL_CAPACITY, 64);
            try
            {
                while (limit < CaptureFileParser.headerLength() && fill())
                {
                    // keep reading: a pipe may deliver the header in pieces
                }
                if (limit == 0)
                {
                    throw new CaptureFileException(name + " is empty");
                }
                if (limit < CaptureFileParser.headerLength())
                {
                    throw new CaptureFileException(name + " is too short (" + limit + " bytes) to be a pcap or pcapng file");
                }
                position = parser.readHeader(window, 0, name);
                consumedTotal = position;
            }
            catch (final CaptureFileException ex)
            {
                arena.close();
                throw ex;
            }
        }

        @Override
        public int poll(final PacketHandler handler, final int maxPackets)
        {
            int delivered = 0;
            while (!done && delivered < maxPackets)
            {
                final long result = parser.next(window, position, limit, handler);
                noteProblem(parser, counters, name, windowBase);
                if (result > 0)
                {
                    position += result;
                    consumedTotal += result;
                    if (parser.delivered())
                    {
                        delivered++;
                    }
                    continue;
                }
                if (result == CaptureFileParser.CORRUPT)
                {
                    counters.corruptBlocks++;
                    done = true;
                    break;
                }
                if (endOfInput)
                {
                    if (position < limit && !stopped)
                    {
                        noteTruncated(counters, name, consumedTotal, limit - position);
                    }
                    done = true;
                    break;
                }
                if (delivered > 0)
                {
                    // Hand back what we have before blocking on the pipe.
                    break;
                }
                compact();
                if (!fill())
                {
                    endOfInput = true;
                }
            }
            consumed.lazySet(consumedTotal);
            return delivered;
        }

        private void compact()
        {
            final long remaining = limit - position;
            if (position > 0)
            {
                MemorySegment.copy(window, position, window, 0, remaining);
                windowBase += position;
                position = 0;
                limit = remaining;
            }
            if (limit == window.byteSize() && window.byteSize() < MAX_CAPACITY)
            {
                // One record is larger than the window: grow (rare; at most up to the largest legal block).
                final MemorySegment larger = arena.allocate(Math.min(MAX_CAPACITY, window.byteSize() * 2), 64);
                MemorySegment.copy(window, 0, larger, 0, limit);
                window = larger;
            }
        }

        /** @return false at end of input. */
        private boolean fill()
        {
            if (limit == window.byteSize())
            {
                return true;
            }
            try
            {
                final int read = in.read(window.asSlice(limit, window.byteSize() - limit).asByteBuffer());
                if (read < 0)
                {
                    return false;
                }
                limit += read;
                return true;
            }
            catch (final AsynchronousCloseException ex)
            {
                // Interrupted by a stop request (ClosedByInterruptException is one of these): a clean end.
                stopped = true;
                return false;
            }
            catch (final IOException ex)
            {
                counters.truncatedRecords++;
                counters.damaged(name + ": read failed after byte " + (windowBase + limit) + ": " + ex.getMessage());
                return false;
            }
        }

        @Override
        public boolean isDone()
        {
            return done;
        }

        @Override
        public long bytesConsumed()
        {
            return consumed.get();
        }

        @Override
        public long totalBytes()
        {
            return -1;
        }

        @Override
        public CaptureFileCounters fileCounters()
        {
            return counters;
        }

        @Override
        public void close()
        {
            if (arena.scope().isAlive())
            {
                arena.close();
            }
        }

        @Override
        public String toString()
        {
            return name;
        }
    }
}
