package dev.httpcap.capture;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/**
 * A classic BPF program (as compiled by libpcap) and an interpreter that runs it over a frame in
 * place, with the kernel's semantics: a load outside the captured bytes rejects the packet.
 * Immutable after construction; {@link #matches} allocates nothing but is not thread-safe (its
 * scratch memory is per instance), so each capture thread compiles its own.
 */
public final class BpfProgram
{
    private static final int BPF_LD = 0x00;
    private static final int BPF_LDX = 0x01;
    private static final int BPF_ST = 0x02;
    private static final int BPF_STX = 0x03;
    private static final int BPF_ALU = 0x04;
    private static final int BPF_JMP = 0x05;
    private static final int BPF_RET = 0x06;
    private static final int BPF_MISC = 0x07;

    private static final int BPF_W = 0x00;
    private static final int BPF_H = 0x08;
    private static final int BPF_B = 0x10;

    private static final int BPF_IMM = 0x00;
    private static final int BPF_ABS = 0x20;
    private static final int BPF_IND = 0x40;
    private static final int BPF_MEM = 0x60;
    private static final int BPF_LEN = 0x80;
    private static final int BPF_MSH = 0xA0;

    private static final int BPF_ADD = 0x00;
    private static final int BPF_SUB = 0x10;
    private static final int BPF_MUL = 0x20;
    private static final int BPF_DIV = 0x30;
    private static final int BPF_OR = 0x40;
    private static final int BPF_AND = 0x50;
    private static final int BPF_LSH = 0x60;
    private static final int BPF_RSH = 0x70;
    private static final int BPF_NEG = 0x80;
    private static final int BPF_MOD = 0x90;
    private static final int BPF_XOR = 0xA0;

    private static final int BPF_JA = 0x00;
    private static final int BPF_JEQ = 0x10;
    private static final int BPF_JGT = 0x20;
    private static final int BPF_JGE = 0x30;
    private static final int BPF_JSET = 0x40;

    private static final int BPF_K = 0x00;
    private static final int BPF_X = 0x08;
    private static final int BPF_A = 0x10;

    private static final int BPF_TAX = 0x00;
    private static final int BPF_MEMWORDS = 16;

    private final short[] code;
    private final byte[] jt;
    private final byte[] jf;
    private final int[] k;
    private final int[] memory = new int[BPF_MEMWORDS];

    /** @throws IllegalArgumentException when the program is empty or could jump out of itself. */
    public BpfProgram(final short[] code, final byte[] jt, final byte[] jf, final int[] k)
    {
        if (code.length == 0 || code.length != jt.length || code.length != jf.length || code.length != k.length)
        {
            throw new IllegalArgumentException("malformed BPF program");
        }
        for (int pc = 0; pc < code.length; pc++)
        {
            final int c = code[pc] & 0xFFFF;
            if ((c & 0x07) == BPF_JMP)
            {
                final long farthest = (c & 0xF0) == BPF_JA ? pc + 1L + (k[pc] & 0xFFFF_FFFFL) :
                    pc + 1L + Math.max(jt[pc] & 0xFF, jf[pc] & 0xFF);
                if (farthest >= code.length)
                {
                    throw new IllegalArgumentException("BPF jump out of the program at instruction " + pc);
                }
            }
        }
        this.code = code.clone();
        this.jt = jt.clone();
        this.jf = jf.clone();
        this.k = k.clone();
    }

    public int instructionCount()
    {
        return code.length;
    }

    public short code(final int index)
    {
        return code[index];
    }

    public byte jt(final int index)
    {
        return jt[index];
    }

    public byte jf(final int index)
    {
        return jf[index];
    }

    public int k(final int index)
    {
        return k[index];
    }

    /** @return true when the program accepts the frame (returns a non-zero snap length). */
    public boolean matches(final DirectBuffer frame, final int offset, final int capturedLength, final int wireLength)
    {
        int a = 0;
        int x = 0;
        int pc = 0;
        final int[] mem = memory;
        while (true)
        {
            final int c = code[pc] & 0xFFFF;
            final int kk = k[pc];
            switch (c & 0x07)
            {
                case BPF_LD ->
                {
                    switch (c & 0xE0)
                    {
                        case BPF_ABS, BPF_IND ->
                        {
                            final long at = (c & 0xE0) == BPF_ABS ? (kk & 0xFFFF_FFFFL) :
                                (x & 0xFFFF_FFFFL) + (kk & 0xFFFF_FFFFL);
                            final int size = (c & 0x18) == BPF_W ? 4 : (c & 0x18) == BPF_H ? 2 : 1;
                            if (at + size > capturedLength)
                            {
                                return false;
                            }
                            final int i = offset + (int)at;
                            a = size == 4 ? frame.getInt(i, ByteOrder.BIG_ENDIAN) :
                                size == 2 ? frame.getShort(i, ByteOrder.BIG_ENDIAN) & 0xFFFF : frame.getByte(i) & 0xFF;
                        }
                        case BPF_IMM -> a = kk;
                        case BPF_MEM -> a = mem[kk & 0xF];
                        case BPF_LEN -> a = wireLength;
                        default -> { return false; }
                    }
                    pc++;
                }
                case BPF_LDX ->
                {
                    switch (c & 0xE0)
                    {
                        case BPF_IMM -> x = kk;
                        case BPF_MEM -> x = mem[kk & 0xF];
                        case BPF_LEN -> x = wireLength;
                        case BPF_MSH ->
                        {
                            if ((kk & 0xFFFF_FFFFL) >= capturedLength)
                            {
                                return false;
                            }
                            x = (frame.getByte(offset + kk) & 0x0F) * 4;
                        }
                        default -> { return false; }
                    }
                    pc++;
                }
                case BPF_ST ->
                {
                    mem[kk & 0xF] = a;
                    pc++;
                }
                case BPF_STX ->
                {
                    mem[kk & 0xF] = x;
                    pc++;
                }
                case BPF_ALU ->
                {
                    final int operand = (c & BPF_X) != 0 ? x : kk;
                    switch (c & 0xF0)
                    {
                        case BPF_ADD -> a += operand;
                        case BPF_SUB -> a -= operand;
                        case BPF_MUL -> a *= operand;
                        case BPF_DIV ->
                        {
                            if (operand == 0)
                            {
                                return false;
                            }
                            a = Integer.divideUnsigned(a, operand);
                        }
                        case BPF_MOD ->
                        {
                            if (operand == 0)
                            {
                                return false;
                            }
                            a = Integer.remainderUnsigned(a, operand);
                        }
                        case BPF_OR -> a |= operand;
                        case BPF_AND -> a &= operand;
                        case BPF_XOR -> a ^= operand;
                        case BPF_LSH -> a = (operand & 0xFFFF_FFFFL) >= 32 ? 0 : a << operand;
                        case BPF_RSH -> a = (operand & 0xFFFF_FFFFL) >= 32 ? 0 : a >>> operand;
                        case BPF_NEG -> a = -a;
                        default -> { return false; }
                    }
                    pc++;
                }
                case BPF_JMP ->
                {
                    final long operand = ((c & BPF_X) != 0 ? x : kk) & 0xFFFF_FFFFL;
                    final long ua = a & 0xFFFF_FFFFL;
                    final boolean taken;
                    switch (c & 0xF0)
                    {
                        case BPF_JA ->
                        {
                            pc += 1 + kk;
                            continue;
                        }
                        case BPF_JEQ -> taken = ua == operand;
                        case BPF_JGT -> taken = ua > operand;
                        case BPF_JGE -> taken = ua >= operand;
                        case BPF_JSET -> taken = (ua & operand) != 0;
                        default -> { return false; }
                    }
                    pc += 1 + (taken ? jt[pc] & 0xFF : jf[pc] & 0xFF);
                }
                case BPF_RET ->
                {
                    final int result = (c & 0x18) == BPF_A ? a : kk;
                    return result != 0;
                }
                case BPF_MISC ->
                {
                    if ((c & 0xF8) == BPF_TAX)
                    {
                        x = a;
                    }
                    else
                    {
                        a = x;
                    }
                    pc++;
                }
                default ->
                {
                    return false;
                }
            }
            if (pc >= code.length)
            {
                return false;
            }
        }
    }
}
