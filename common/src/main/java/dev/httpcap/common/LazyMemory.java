package dev.httpcap.common;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Large zeroed off-heap blocks whose pages cost nothing until touched: an anonymous private
 * {@code mmap(2)}, unmapped when the owning arena closes. {@link Arena#allocate} zeroes every byte
 * up front, which for the pipeline's pools (tens of MiB per worker, mostly never used by a small
 * capture) is a large fixed cost in time and resident memory. Where {@code mmap} is missing or
 * fails, falls back to {@link Arena#allocate}: same contents (zeroes), only slower to set up.
 */
public final class LazyMemory
{
    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_PRIVATE = 2;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final long PAGE = 4096;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;

    static
    {
        final boolean linux = "Linux".equals(System.getProperty("os.name"));
        final MethodHandle mmap = linux ? NativeCalls.libcOrNull("mmap", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG)) : null;
        final MethodHandle munmap = linux ? NativeCalls.libcOrNull("munmap",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG)) : null;
        MMAP = mmap != null && munmap != null ? mmap : null;
        MUNMAP = MMAP != null ? munmap : null;
    }

    private LazyMemory()
    {
    }

    /**
     * @param arena owner: the block is released when it closes.
     * @param bytes size of the block.
     * @return a zeroed block of {@code bytes}, page-aligned (so 64-byte aligned) when mapped.
     */
    public static MemorySegment allocate(final Arena arena, final long bytes)
    {
        if (MMAP != null && bytes >= PAGE)
        {
            final long address = map(bytes);
            if (address != -1 && address != 0)
            {
                return MemorySegment.ofAddress(address).reinterpret(bytes, arena, segment -> unmap(address, bytes));
            }
        }
        return arena.allocate(bytes, 64);
    }

    private static long map(final long bytes)
    {
        try
        {
            return (long)MMAP.invokeExact(0L, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
        }
        catch (final Throwable ex)
        {
            return -1;
        }
    }

    private static void unmap(final long address, final long bytes)
    {
        try
        {
            final int ignored = (int)MUNMAP.invokeExact(address, bytes);
        }
        catch (final Throwable ex)
        {
            // Nothing to do: the process keeps the mapping, which only costs address space.
        }
    }
}
