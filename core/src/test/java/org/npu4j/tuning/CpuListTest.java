package org.npu4j.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class CpuListTest {

    @Test
    void parsesRangesListsAndTheSpaceSeparatedCpufreqForm() {
        assertEquals(List.of(0, 1, 2, 3, 6), CpuList.parse("0-3,6\n"));
        assertEquals(List.of(4, 5), CpuList.parse("4 5 \n"));
        assertEquals(List.of(), CpuList.parse("\n"));
        assertEquals(List.of(0, 4, 5, 6, 7), CpuList.parse("4-7,0,5"));
    }

    @Test
    void formatsWithRanges() {
        assertEquals("0-3,6", CpuList.format(List.of(6, 0, 1, 2, 3)));
        assertEquals("4", CpuList.format(List.of(4)));
        assertEquals("", CpuList.format(List.of()));
        assertEquals("0,2,4-5", CpuList.format(List.of(0, 2, 4, 5)));
    }

    @Test
    void masksUseBitNForCpuN() {
        assertEquals(0xf0L, CpuList.toMask(List.of(4, 5, 6, 7)));
        assertEquals(List.of(4, 5, 6, 7), CpuList.fromMask(0xf0L));
        assertEquals(1L << 63, CpuList.toMask(List.of(63)));
        assertThrows(IllegalArgumentException.class, () -> CpuList.toMask(List.of(64)));
    }

    @Test
    void rejectsWhatIsNotACpuList() {
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("garbage"));
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("3-1"));
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("1024"));
        assertThrows(IllegalArgumentException.class, () -> CpuList.parse("-1"));
    }
}
