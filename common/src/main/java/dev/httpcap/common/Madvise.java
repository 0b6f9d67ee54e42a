package dev.httpcap.common;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code madvise(2)} through FFM, for memory-mapped capture files: read-ahead for a sequential
 * scan, and letting go of pages already read. Advice only: where the call is missing or fails,
 * nothing changes but memory use.
 */
public final class Madvise
{
    private static final int MADV_SEQUENTIAL = 2;
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = NativeCalls.libcOrNull("madvise",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));

    private Madvise()
    {
    }

    public static void sequential(final MemorySegment mapping)
    {
        advise(mapping, 0, mapping.byteSize(), MADV_SEQUENTIAL);
    }

    /**
     * Drop the whole pages of [from, to) from this process's resident set.
     *
     * @return the offset up to which pages were released (page-aligned, at most {@code to}).
     */
    public static long dontNeed(final MemorySegment mapping, final long from, final long to)
    {
        final long end = to & ~(PAGE - 1);
        if (end > from && advise(mapping, from, end - from, MADV_DONTNEED))
        {
            return end;
        }
        return from;
    }

    private static boolean advise(final MemorySegment mapping, final long offset, final long length, final int advice)
    {
        if (MADVISE == null || length <= 0)
        {
            return false;
        }
        try
        {
            return (int)MADVISE.invokeExact(mapping.address() + offset, length, advice) == 0;
        }
        catch (final Throwable ex)
        {
            return false;
        }
    }
}
