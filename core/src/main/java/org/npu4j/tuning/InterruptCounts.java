package org.npu4j.tuning;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /proc/interrupts}: how many times each CPU served each numbered interrupt. The header
 * names the online CPUs ({@code CPU0 CPU1 ...}); each {@code N:} line has one count per column,
 * then the controller, hardware IRQ, trigger and the names of the handlers (e.g.
 * {@code ITS-MSI 524288 Edge axcl_host}). Named rows ({@code IPI0:}, {@code ERR:}) are skipped.
 * A snapshot; immutable and thread-safe.
 */
public final class InterruptCounts {
    static final String FILE = "/proc/interrupts";

    private final List<Integer> cpus;
    private final Map<Integer, Map<Integer, Long>> counts;
    private final Map<Integer, String> descriptions;

    private InterruptCounts(List<Integer> cpus, Map<Integer, Map<Integer, Long>> counts, Map<Integer, String> descriptions) {
        this.cpus = List.copyOf(cpus);
        this.counts = counts;
        this.descriptions = descriptions;
    }

    /**
     * Reads {@code /proc/interrupts}.
     *
     * @throws HostFileException naming the file if it is missing, empty, has no {@code CPUn} header
     *                           or a numbered row whose counts are not numbers
     */
    public static InterruptCounts read(HostFiles files) {
        String text = files.read(FILE);
        String[] lines = text.split("\\n");
        List<Integer> cpus = new ArrayList<>();
        String header = lines.length == 0 ? "" : lines[0].strip();
        for (String tok : header.split("\\s+")) {
            if (!tok.startsWith("CPU")) {
                throw Parse.malformed(files, FILE, "a header line \"CPU0 CPU1 ...\"", text);
            }
            try {
                cpus.add(Integer.parseInt(tok.substring(3)));
            } catch (NumberFormatException e) {
                throw Parse.malformed(files, FILE, "a header line \"CPU0 CPU1 ...\"", text);
            }
        }
        Map<Integer, Map<Integer, Long>> counts = new HashMap<>();
        Map<Integer, String> descriptions = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].strip();
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            int irq;
            try {
                irq = Integer.parseInt(line.substring(0, colon));
            } catch (NumberFormatException e) {
                continue; // IPI0:, NMI:, ERR: ...
            }
            String[] tok = line.substring(colon + 1).strip().split("\\s+");
            Map<Integer, Long> perCpu = new LinkedHashMap<>();
            int n = 0;
            for (; n < cpus.size() && n < tok.length; n++) {
                try {
                    perCpu.put(cpus.get(n), Long.parseLong(tok[n]));
                } catch (NumberFormatException e) {
                    if (n == 0) {
                        throw Parse.malformed(files, FILE, "per-CPU counts after \"" + irq + ":\"", line);
                    }
                    break; // fewer columns than CPUs
                }
            }
            counts.put(irq, perCpu);
            descriptions.put(irq, String.join(" ", java.util.Arrays.copyOfRange(tok, n, tok.length)));
        }
        return new InterruptCounts(cpus, counts, descriptions);
    }

    /** The CPUs the columns stand for (the online CPUs when the file was read). */
    public List<Integer> cpus() {
        return cpus;
    }

    /** Per-CPU counts of interrupt {@code irq}, CPU → count, in column order; empty if it is not listed. */
    public Map<Integer, Long> counts(int irq) {
        return Map.copyOf(counts.getOrDefault(irq, Map.of()));
    }

    /** What follows the counts: controller, hardware IRQ, trigger, handler names; if listed. */
    public Optional<String> description(int irq) {
        return Optional.ofNullable(descriptions.get(irq));
    }
}
