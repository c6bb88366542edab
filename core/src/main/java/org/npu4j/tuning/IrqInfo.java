package org.npu4j.tuning;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One interrupt of a PCI device: where it may run, where it ran, and how often on each CPU.
 *
 * @param number            the Linux IRQ number ({@code /proc/irq/N})
 * @param description       the {@code /proc/interrupts} text after the counts, e.g.
 *                          {@code ITS-MSI 524288 Edge axcl_host}; empty if not listed
 * @param affinity          {@code /proc/irq/N/smp_affinity_list}: the CPUs allowed to serve it
 * @param effectiveAffinity {@code /proc/irq/N/effective_affinity_list}, if the kernel has it: the
 *                          CPU(s) actually chosen (on Arm GICv3 one CPU of the allowed ones)
 * @param countsPerCpu      CPU → interrupts served, from {@code /proc/interrupts}
 */
public record IrqInfo(int number, String description, List<Integer> affinity, Optional<List<Integer>> effectiveAffinity,
        Map<Integer, Long> countsPerCpu) {

    /** Checks the values and makes the lists immutable. */
    public IrqInfo {
        affinity = List.copyOf(affinity);
        effectiveAffinity = effectiveAffinity.map(List::copyOf);
        countsPerCpu = Map.copyOf(countsPerCpu);
    }

    /** The affinity file, e.g. {@code /proc/irq/93/smp_affinity_list}. */
    public String affinityFile() {
        return "/proc/irq/" + number + "/smp_affinity_list";
    }

    /** The handler name: the last word of the description (e.g. {@code axcl_host}), or {@code "irq N"}. */
    public String name() {
        String[] words = description.strip().split("\\s+");
        String last = words[words.length - 1];
        return last.isEmpty() ? "irq " + number : last;
    }

    /** Total interrupts served. */
    public long total() {
        return countsPerCpu.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The CPU that served most of them (the lowest-numbered on a tie), if any was served. */
    public Optional<Integer> busiestCpu() {
        Integer best = null;
        long most = 0;
        for (var e : new java.util.TreeMap<>(countsPerCpu).entrySet()) {
            if (e.getValue() > most) {
                most = e.getValue();
                best = e.getKey();
            }
        }
        return Optional.ofNullable(best);
    }

    /** The CPUs that serve it: the effective affinity where known, else the allowed ones. */
    public List<Integer> servingCpus() {
        return effectiveAffinity.filter(l -> !l.isEmpty()).orElse(affinity);
    }
}
