package org.npu4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.tuning.HostFiles;
import org.npu4j.tuning.fixtures.Boards;
import org.npu4j.tuning.fixtures.HostTree;

class TuneCommandTest {
    static final String IRQ = "/proc/irq/93/smp_affinity_list";
    static final String P4 = "/sys/devices/system/cpu/cpufreq/policy4/scaling_governor";

    @TempDir
    Path dir;

    @Test
    void withoutApplyPrintsThePlanAndChangesNothing() {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        Cli r = Cli.run("tune", "--root", dir.toString(), "--npu-max", "--no-cpuidle");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Plan (run with --apply to change, as root):"), r.out());
        assertTrue(r.out().contains(IRQ + ": 0 -> 4"), r.out());
        assertTrue(r.out().contains(P4 + ": schedutil -> performance"), r.out());
        assertTrue(r.out().contains(Boards.NPU + "/governor: rknpu_ondemand -> performance"), r.out());
        assertTrue(r.out().contains("/sys/devices/system/cpu/cpu7/cpuidle/state2/disable: 0 -> 1"), r.out());
        assertEquals(before, t.snapshot());
    }

    @Test
    void applyHoldsTheChangesUntilInterruptedThenRestoresEveryFile() throws Exception {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        AtomicReference<Cli> result = new AtomicReference<>();
        Thread cli = Thread.ofPlatform().start(() -> result.set(Cli.run("tune", "--apply", "--root", dir.toString(),
                "--npu-max", "--no-cpuidle")));
        // While it holds, the files carry the tuned values; the last one written is CPU7's state2.
        String last = "/sys/devices/system/cpu/cpu7/cpuidle/state2/disable";
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!t.read(last).equals("1\n") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals("1\n", t.read(last));
        assertEquals("4\n", t.read(IRQ));
        assertEquals("performance\n", t.read(P4));
        assertEquals("performance\n", t.read(Boards.NPU + "/governor"));
        assertEquals("1\n", t.read("/sys/devices/system/cpu/cpu0/cpuidle/state1/disable"));
        Thread.sleep(200);
        assertTrue(cli.isAlive(), "holds until Ctrl-C");
        cli.interrupt();
        cli.join();
        Cli r = result.get();
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Applied 20 changes:"), r.out());
        assertTrue(r.out().contains("Holding until Ctrl-C"), r.out());
        assertTrue(r.out().strip().endsWith("Restored 20 changes."), r.out());
        assertEquals(before, t.snapshot());
    }

    @Test
    void applyForADurationRestoresAfterIt() {
        HostTree t = Boards.pi5(dir);
        Map<String, String> before = t.snapshot();
        Cli r = Cli.run("tune", "--apply", "--root", dir.toString(), "--duration", "0");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Applied 1 change:"), r.out());
        assertTrue(r.out().contains("Holding for 0 s"), r.out());
        assertTrue(r.out().strip().endsWith("Restored 1 change."), r.out());
        assertEquals(before, t.snapshot());
    }

    @Test
    void applyWithoutTheRightsPrintsWhatItWouldChange() {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        Cli r = Cli.run(root -> HostFiles.at(root).withWriteCheck(f -> false), "tune", "--apply", "--root", dir.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Not applied: not allowed to write 3 of the files (run as root). It would change:"),
                r.out());
        assertTrue(r.out().contains(IRQ + ": 0 -> 4"), r.out());
        assertEquals(before, t.snapshot());
    }

    @Test
    void strictFailsWithoutTheRights() {
        HostTree t = Boards.cm3588(dir);
        Map<String, String> before = t.snapshot();
        Cli r = Cli.run(root -> HostFiles.at(root).withWriteCheck(f -> false), "tune", "--apply", "--strict", "--root",
                dir.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().startsWith("npu4j: Not allowed to write " + IRQ), r.err());
        assertEquals(before, t.snapshot());
    }

    @Test
    void irqCpuIsValidated() {
        Boards.cm3588(dir);
        Cli r = Cli.run("tune", "--root", dir.toString(), "--irq-cpu", "12");
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("IRQ CPU 12 does not exist"), r.err());
        Cli ok = Cli.run("tune", "--root", dir.toString(), "--irq-cpu", "6");
        assertTrue(ok.out().contains(IRQ + ": 0 -> 6"), ok.out());
    }

    @Test
    void nothingToChangeOnTheX86Fixture() {
        Boards.x86(dir);
        Cli r = Cli.run("tune", "--apply", "--root", dir.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Nothing to change."), r.out());
    }

    @Test
    void helpListsTheSubcommands() {
        Cli r = Cli.run("--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("diagnose") && r.out().contains("tune"), r.out());
    }
}
