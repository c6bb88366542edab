package org.npu4j.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

class CpuTopologyTest {
    @TempDir
    Path dir;

    @Test
    void cm3588HasA55LittleAndA76BigCoresInThreePolicies() {
        CpuTopology t = CpuTopology.read(Boards.cm3588(dir).files());
        assertEquals(8, t.cpus().size());
        for (int c = 0; c < 8; c++) {
            Cpu cpu = t.cpu(c).orElseThrow();
            assertTrue(cpu.online());
            assertEquals(c < 4 ? CoreType.CORTEX_A55 : CoreType.CORTEX_A76, cpu.type());
            assertEquals(Optional.of(c < 4 ? 414 : 1024), cpu.capacity());
        }
        assertEquals(List.of("policy0", "policy4", "policy6"), t.clusters().stream().map(CpuCluster::name).toList());
        assertEquals(List.of(false, true, true), t.clusters().stream().map(CpuCluster::big).toList());
        assertEquals(List.of(4, 5, 6, 7), t.bigCores());
        assertEquals(0xf0L, t.bigCoreMask());
        assertFalse(t.allCoresEqual());

        CpuFreqPolicy p4 = t.policyOf(5).orElseThrow();
        assertEquals(4, p4.id());
        assertEquals(List.of(4, 5), p4.cpus());
        assertEquals(2352000L, p4.maxKHz());
        assertEquals(408000L, p4.minKHz());
        assertEquals(Optional.of(1800000L), p4.curKHz());
        assertEquals("schedutil", p4.governor());
        assertTrue(p4.availableGovernors().contains("performance"));
        assertEquals(2352000L, p4.availableFrequencies().get(p4.availableFrequencies().size() - 1));
        assertEquals(2400000L, t.policyOf(7).orElseThrow().maxKHz());
        assertEquals(1800000L, t.policyOf(0).orElseThrow().maxKHz());

        assertEquals(24, t.idleStates().size());
        assertEquals("/sys/devices/system/cpu/cpu4/cpuidle/state1/disable", t.idleStates().stream()
                .filter(s -> s.cpu() == 4 && s.index() == 1).findFirst().orElseThrow().disableFile());
        assertEquals("CPU4 (Cortex-A76)", t.describe(4));
    }

    @Test
    void bigCoresAreRelativeNotAThreshold() {
        // RK3588 kernels scale cpu_capacity by each policy's max frequency: policy4 may show 1009.
        HostTree tree = Boards.cm3588(dir);
        Boards.capacity(tree, 4, 1009);
        Boards.capacity(tree, 5, 1009);
        assertEquals(List.of(4, 5, 6, 7), CpuTopology.read(tree.files()).bigCores());
        // Capacities on another scale: still the relatively biggest.
        for (int c = 0; c < 8; c++) {
            Boards.capacity(tree, c, c < 4 ? 100 : 250);
        }
        assertEquals(0xf0L, CpuTopology.read(tree.files()).bigCoreMask());
    }

    @Test
    void withoutCapacityTheHighestMaxFrequencyClusterAndItsCoreTypeAreBig() {
        HostTree tree = Boards.cm3588(dir);
        for (int c = 0; c < 8; c++) {
            tree.delete("/sys/devices/system/cpu/cpu" + c + "/cpu_capacity");
        }
        // policy6 (2.4 GHz) is highest; policy4 (2.352 GHz, also A76) is big too.
        assertEquals(List.of(4, 5, 6, 7), CpuTopology.read(tree.files()).bigCores());
    }

    @Test
    void offlineCpusAreNeitherBigNorInTheMask() {
        HostTree tree = Boards.cm3588(dir);
        tree.file("/sys/devices/system/cpu/online", "0-5\n");
        CpuTopology t = CpuTopology.read(tree.files());
        assertFalse(t.cpu(7).orElseThrow().online());
        assertEquals(List.of(4, 5), t.bigCores());
        assertEquals(0x30L, t.bigCoreMask());
        assertEquals(List.of(0, 1, 2, 3, 4, 5), t.onlineCpus());
    }

    @Test
    void raspberryPi5HasFourEqualA76CoresAllBig() {
        CpuTopology t = CpuTopology.read(Boards.pi5(dir).files());
        assertEquals(4, t.cpus().size());
        assertTrue(t.cpus().stream().allMatch(c -> c.type() == CoreType.CORTEX_A76));
        assertEquals(List.of(0, 1, 2, 3), t.bigCores());
        assertEquals(0xfL, t.bigCoreMask());
        assertTrue(t.allCoresEqual());
        assertEquals(1, t.clusters().size());
    }

    @Test
    void rk3576HasA53LittleAndA72BigCoresByFrequency() {
        CpuTopology t = CpuTopology.read(Boards.rk3576(dir).files());
        assertEquals(CoreType.CORTEX_A53, t.cpu(0).orElseThrow().type());
        assertEquals(CoreType.CORTEX_A72, t.cpu(4).orElseThrow().type());
        assertEquals(Optional.empty(), t.cpu(4).orElseThrow().capacity());
        assertEquals(List.of(4, 5, 6, 7), t.bigCores());
        assertEquals(0xf0L, t.bigCoreMask());
        assertEquals(CoreType.CORTEX_A72, t.clusters().get(1).type());
    }

    @Test
    void x86WithoutCpufreqOrCapacityHasAllCoresBig() {
        CpuTopology t = CpuTopology.read(Boards.x86(dir).files());
        assertEquals(List.of(0, 1), t.bigCores());
        assertEquals(0x3L, t.bigCoreMask());
        assertTrue(t.policies().isEmpty());
        assertEquals(CoreType.UNKNOWN, t.cpu(0).orElseThrow().type());
        assertEquals("Intel(R) Xeon(R) Processor", t.cpu(0).orElseThrow().description());
        assertEquals(1, t.clusters().size());
        assertEquals("cluster0", t.clusters().get(0).name());
    }

    @Test
    void unknownArmPartsAreReportedByNumber() {
        HostTree tree = Boards.pi5(dir);
        tree.file("/proc/cpuinfo", Boards.armCpuinfo(new int[] {0xd44, 0xd44, 0xd44, 0xd44}));
        Cpu cpu = CpuTopology.read(tree.files()).cpu(0).orElseThrow();
        assertEquals(CoreType.UNKNOWN, cpu.type());
        assertEquals("implementer 0x41 part 0xd44", cpu.description());
    }

    @Test
    void readsThisMachine() {
        CpuTopology t = CpuTopology.system();
        assertFalse(t.onlineCpus().isEmpty());
        assertFalse(t.bigCores().isEmpty());
        assertTrue(t.onlineCpus().containsAll(t.bigCores()));
        assertEquals(Runtime.getRuntime().availableProcessors() <= t.onlineCpus().size(), true);
    }
}
