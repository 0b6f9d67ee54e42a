package dev.httpcap.app;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import dev.httpcap.common.NativeCalls;

/**
 * {@code --user NAME}: give up root for NAME's user and group once the capture sockets are open,
 * as {@code tcpdump -Z} does — {@code getpwnam} for the ids, then {@code setgroups} (NAME's primary
 * group only: supplementary groups are dropped), {@code setgid}, {@code setuid}, through the
 * Foreign Function &amp; Memory API. glibc applies these to every thread of the process. The
 * sockets stay usable (the privilege is checked when a socket is opened); capabilities go with
 * uid 0. Afterwards it checks that getting root back fails.
 * <p>
 * Nothing it runs later can gain a privilege back: before {@code setuid} the capability bounding
 * set is emptied ({@code PR_CAPBSET_DROP}, which needs root's {@code CAP_SETPCAP}), and after it
 * {@code PR_SET_NO_NEW_PRIVS} is set, so no {@code execve} of a set-uid or file-capability program
 * grants anything. Both are per thread in Linux: they hold for the calling thread and every thread it
 * starts afterwards (the capture, worker, sink and statistics threads), and an allow-everything
 * seccomp filter installed with {@code SECCOMP_FILTER_FLAG_TSYNC} carries no_new_privs to the
 * JVM's own threads that already run. Their bounding sets stay as they were; with no_new_privs
 * and uid 0 gone they can gain nothing from it.
 */
final class PrivilegeDrop
{
    private static final StructLayout CALL_STATE = NativeCalls.CALL_STATE;
    // struct passwd on 64-bit Linux: char *pw_name, *pw_passwd; uid_t pw_uid; gid_t pw_gid; ...
    private static final long PW_UID = 16;
    private static final long PW_GID = 20;
    private static final int PR_CAPBSET_DROP = 24;
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final long SYS_SECCOMP = 317; // x86-64
    private static final long SECCOMP_SET_MODE_FILTER = 1;
    private static final long SECCOMP_FILTER_FLAG_TSYNC = 1;

    private PrivilegeDrop()
    {
    }

    /**
     * Become {@code user}.
     *
     * @return a line saying what the process now runs as.
     * @throws IllegalStateException with a one-line reason (no such user, not permitted, ...).
     */
    static String dropTo(final String user)
    {
        final Linker.Option errnoOption = NativeCalls.CAPTURE_ERRNO;
        final ValueLayout.OfInt intLayout = ValueLayout.JAVA_INT;
        final MethodHandle getpwnam = NativeCalls.libc("getpwnam",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS), errnoOption);
        final MethodHandle setgroups = NativeCalls.libc("setgroups",
            FunctionDescriptor.of(intLayout, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), errnoOption);
        final MethodHandle setgid = NativeCalls.libc("setgid", FunctionDescriptor.of(intLayout, intLayout), errnoOption);
        final MethodHandle setuid = NativeCalls.libc("setuid", FunctionDescriptor.of(intLayout, intLayout), errnoOption);
        final MethodHandle getuid = NativeCalls.libc("getuid", FunctionDescriptor.of(intLayout));
        final MethodHandle geteuid = NativeCalls.libc("geteuid", FunctionDescriptor.of(intLayout));
        final MethodHandle getegid = NativeCalls.libc("getegid", FunctionDescriptor.of(intLayout));
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = arena.allocate(CALL_STATE);
            final MemorySegment entry = (MemorySegment)getpwnam.invokeExact(errno, arena.allocateFrom(user));
            if (entry.equals(MemorySegment.NULL))
            {
                throw new IllegalStateException("--user: no such user '" + user + "'");
            }
            final MemorySegment passwd = entry.reinterpret(PW_GID + 4);
            final int uid = passwd.get(intLayout, PW_UID);
            final int gid = passwd.get(intLayout, PW_GID);

            final MemorySegment groups = arena.allocate(intLayout);
            groups.set(intLayout, 0, gid);
            check((int)setgroups.invokeExact(errno, 1L, groups), errno, "setgroups", user);
            check((int)setgid.invokeExact(errno, gid), errno, "setgid(" + Integer.toUnsignedString(gid) + ")", user);
            final MethodHandle prctl = NativeCalls.libc("prctl", FunctionDescriptor.of(intLayout, intLayout,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), errnoOption,
                Linker.Option.firstVariadicArg(1));
            final int lastCap = lastCapability();
            for (int cap = 0; cap <= lastCap; cap++)
            {
                check((int)prctl.invokeExact(errno, PR_CAPBSET_DROP, (long)cap, 0L, 0L, 0L), errno,
                    "prctl(PR_CAPBSET_DROP, " + cap + ")", user);
            }
            if (!threadStatus("CapBnd").matches("0+"))
            {
                throw new IllegalStateException("--user: the capability bounding set is still " + threadStatus("CapBnd") +
                    " after dropping capabilities 0.." + lastCap);
            }
            check((int)setuid.invokeExact(errno, uid), errno, "setuid(" + Integer.toUnsignedString(uid) + ")", user);
            check((int)prctl.invokeExact(errno, PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L), errno, "prctl(PR_SET_NO_NEW_PRIVS)", user);
            final String threads = noNewPrivsOnEveryThread(arena, errno);

            final int realUid = (int)getuid.invokeExact();
            final int effectiveUid = (int)geteuid.invokeExact();
            final int effectiveGid = (int)getegid.invokeExact();
            if (realUid != uid || effectiveUid != uid || effectiveGid != gid)
            {
                throw new IllegalStateException("--user: still uid " + realUid + "/" + effectiveUid + " gid " +
                    effectiveGid + " after switching to '" + user + "'");
            }
            if (uid != 0 && (int)setuid.invokeExact(errno, 0) == 0)
            {
                throw new IllegalStateException("--user: root could be taken back after switching to '" + user + "'");
            }
            return "running as user " + user + " (uid " + Integer.toUnsignedString(uid) + ", gid " +
                Integer.toUnsignedString(gid) + "; no capabilities, bounding set empty, no_new_privs" + threads + ")";
        }
        catch (final IllegalStateException ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new IllegalStateException("--user: cannot switch to '" + user + "': " + ex, ex);
        }
    }

    /** The highest capability number this kernel knows (40 on 5.9+). */
    private static int lastCapability()
    {
        try
        {
            return Integer.parseInt(procText("/proc/sys/kernel/cap_last_cap").strip());
        }
        catch (final java.io.IOException | NumberFormatException ex)
        {
            return 63; // dropping a capability the kernel does not know fails: see check()
        }
    }

    /** Files.readString reads "4" of /proc/sys/kernel/cap_last_cap's "40": procfs files say they are empty. */
    private static String procText(final String path) throws java.io.IOException
    {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(path)))
        {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    /** This thread's {@code CapBnd} or {@code NoNewPrivs} line's value from /proc, or "?" if unreadable. */
    static String threadStatus(final String field)
    {
        try
        {
            for (final String line : procText("/proc/thread-self/status").split("\n"))
            {
                if (line.startsWith(field + ":"))
                {
                    return line.substring(field.length() + 1).strip();
                }
            }
        }
        catch (final java.io.IOException ex)
        {
            // "?" below
        }
        return "?";
    }

    /**
     * An allow-everything seccomp filter synchronised to every thread (TSYNC): the kernel then sets
     * no_new_privs on the threads that were already running, as the calling thread has it.
     *
     * @return "" when every thread has it now, else why not (the calling thread and its children still do).
     */
    private static String noNewPrivsOnEveryThread(final Arena arena, final MemorySegment errno)
        throws Throwable
    {
        final MethodHandle syscall = NativeCalls.libc("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), NativeCalls.CAPTURE_ERRNO,
            Linker.Option.firstVariadicArg(1));
        // struct sock_filter { u16 code; u8 jt, jf; u32 k; }: BPF_RET|BPF_K, SECCOMP_RET_ALLOW.
        final MemorySegment filter = arena.allocate(8, 8);
        filter.set(ValueLayout.JAVA_SHORT, 0, (short)0x06);
        filter.set(ValueLayout.JAVA_INT, 4, 0x7fff0000);
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
        final MemorySegment program = arena.allocate(16, 8);
        program.set(ValueLayout.JAVA_SHORT, 0, (short)1);
        program.set(ValueLayout.ADDRESS, 8, filter);
        final long rc = (long)syscall.invokeExact(errno, SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, program);
        if (rc == 0)
        {
            return " on every thread";
        }
        return rc > 0 ? " (thread " + rc + " could not be synchronised)" : " (seccomp errno " + NativeCalls.errno(errno) + ")";
    }

    private static void check(final int rc, final MemorySegment errno, final String call, final String user)
    {
        if (rc != 0)
        {
            final int error = NativeCalls.errno(errno);
            throw new IllegalStateException("--user: " + call + " failed for '" + user + "': errno " + error +
                (error == 1 ? " (operation not permitted: --user needs to start as root)" : ""));
        }
    }
}
