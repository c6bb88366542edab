/**
 * Host tuning and diagnosis: what decides whether an edge board reaches half or all of its
 * published NPU speed, read from sysfs and procfs and changed from inside the Java process.
 *
 * <ul>
 *   <li>{@link org.npu4j.tuning.CpuTopology}: CPUs, cpufreq policies, core types, big cores and
 *       {@link org.npu4j.tuning.CpuTopology#bigCoreMask() their mask} (bit N = CPU N).</li>
 *   <li>{@link org.npu4j.tuning.ThreadAffinity}: pin the calling thread to CPUs
 *       ({@code sched_setaffinity} through the FFM API), restored on close.</li>
 *   <li>{@link org.npu4j.tuning.PciDevices}: accelerator cards on PCIe (the Axera AX650N,
 *       {@code 1f4b:0650}): link speed and width, MaxPayload/MaxReadReq, interrupts.</li>
 *   <li>{@link org.npu4j.tuning.HostTuning}: the changes (IRQ affinity to a big core,
 *       {@code performance} governor, optionally the Rockchip NPU at its maximum frequency and the
 *       deep cpuidle states off), applied as a {@link org.npu4j.tuning.TuningSession} that
 *       restores every previous value on close and at JVM exit, or reported as a
 *       {@link org.npu4j.tuning.TuningPlan} when the process may not write.</li>
 * </ul>
 *
 * <p>Units: cpufreq frequencies in kHz (as the kernel's cpufreq files), devfreq frequencies in Hz
 * (as the kernel's devfreq files), PCIe link speeds in GT/s, bandwidths in bytes per second,
 * payload and read-request sizes in bytes.
 *
 * <p>Nothing here starts a process (no {@code lspci}, no {@code taskset}): every value is read
 * from a file through {@link org.npu4j.tuning.HostFiles}, whose root can be a fixture tree.
 *
 * <p>Where the rules come from: the board facts the project keeps ({@code shared/facts/boards.md}):
 * e.g. on a CM3588 with an AX650N the same model decodes at 7 or 12 tokens/s depending on which
 * core serves the card's interrupt and which governor the big cores run; the vendor's RK3588
 * fix-frequency script sets the A76 cores to 2352000 kHz; MaxReadReq must stay 512 B.
 */
@NullMarked
package org.npu4j.tuning;

import org.jspecify.annotations.NullMarked;
