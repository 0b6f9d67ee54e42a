package dev.httpcap.app;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * {@code --user NAME}: give up root for NAME's user and group once the capture sockets are open,
 * as {@code tcpdump -Z} does — {@code getpwnam} for the ids, then {@code setgroups} (NAME's primary
 * group only: supplementary groups are dropped), {@code setgid}, {@code setuid}, through the
 * Foreign Function &amp; Memory API. glibc applies these to every thread of the process. The
 * sockets stay usable (the privilege is checked when a socket is opened); capabilities go with
 * uid 0. Afterwards it checks that getting root back fails.
 */
final class PrivilegeDrop
{
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    // struct passwd on 64-bit Linux: char *pw_name, *pw_passwd; uid_t pw_uid; gid_t pw_gid; ...
    private static final long PW_UID = 16;
    private static final long PW_GID = 20;

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
        final Linker linker = Linker.nativeLinker();
        final Linker.Option errnoOption = Linker.Option.captureCallState("errno");
        final ValueLayout.OfInt intLayout = ValueLayout.JAVA_INT;
        final MethodHandle getpwnam = downcall(linker, "getpwnam",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS), errnoOption);
        final MethodHandle setgroups = downcall(linker, "setgroups",
            FunctionDescriptor.of(intLayout, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), errnoOption);
        final MethodHandle setgid = downcall(linker, "setgid", FunctionDescriptor.of(intLayout, intLayout), errnoOption);
        final MethodHandle setuid = downcall(linker, "setuid", FunctionDescriptor.of(intLayout, intLayout), errnoOption);
        final MethodHandle getuid = linker.downcallHandle(linker.defaultLookup().find("getuid").orElseThrow(),
            FunctionDescriptor.of(intLayout));
        final MethodHandle geteuid = linker.downcallHandle(linker.defaultLookup().find("geteuid").orElseThrow(),
            FunctionDescriptor.of(intLayout));
        final MethodHandle getegid = linker.downcallHandle(linker.defaultLookup().find("getegid").orElseThrow(),
            FunctionDescriptor.of(intLayout));
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
            check((int)setuid.invokeExact(errno, uid), errno, "setuid(" + Integer.toUnsignedString(uid) + ")", user);

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
                Integer.toUnsignedString(gid) + ")";
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

    private static void check(final int rc, final MemorySegment errno, final String call, final String user)
    {
        if (rc != 0)
        {
            final int error = (int)ERRNO.get(errno, 0L);
            throw new IllegalStateException("--user: " + call + " failed for '" + user + "': errno " + error +
                (error == 1 ? " (operation not permitted: --user needs to start as root)" : ""));
        }
    }

    private static MethodHandle downcall(
        final Linker linker, final String name, final FunctionDescriptor descriptor, final Linker.Option option)
    {
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor, option);
    }
}
