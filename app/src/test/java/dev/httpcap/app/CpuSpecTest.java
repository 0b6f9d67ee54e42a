package dev.httpcap.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CpuSpecTest
{
    @Test
    void shouldPinNothingWhenNone()
    {
        assertTrue(CpuSpec.parse("none").none());
        assertTrue(CpuSpec.parse(null).none());
        assertEquals(0, CpuSpec.parse("none").cpus(CpuSpec.WORKERS).length);
    }

    @Test
    void shouldReadRolesWithSingleCpusRangesAndListsWhenGivenKindEqualsCpus()
    {
        final CpuSpec spec = CpuSpec.parse("capture=0,workers=1-3,6, sink = 4");
        assertArrayEquals(new int[] {0}, spec.cpus(CpuSpec.CAPTURE));
        assertArrayEquals(new int[] {1, 2, 3, 6}, spec.cpus(CpuSpec.WORKERS));
        assertArrayEquals(new int[] {4}, spec.cpus(CpuSpec.SINK));
        assertEquals("capture=0 workers=1,2,3,6 sink=4", spec.toString());
    }

    @Test
    void shouldLeaveUnnamedRolesUnpinned()
    {
        final CpuSpec spec = CpuSpec.parse("workers=1");
        assertEquals(0, spec.cpus(CpuSpec.CAPTURE).length);
        assertArrayEquals(new int[] {1}, spec.cpus(CpuSpec.WORKERS));
    }

    @Test
    void shouldRejectMalformedSpecsWithTheReason()
    {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpuSpec.parse("1-3")).getMessage().contains("KIND=CPUS"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpuSpec.parse("gpu=1")).getMessage().contains("unknown"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpuSpec.parse("capture=3-1")).getMessage().contains("'3-1'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpuSpec.parse("capture=x")).getMessage().contains("'x'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CpuSpec.parse("capture=1,capture=2")).getMessage().contains("twice"));
    }
}
