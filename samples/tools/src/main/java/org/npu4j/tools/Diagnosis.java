package org.npu4j.tools;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.npu4j.tuning.Change;
import org.npu4j.tuning.Cpu;
import org.npu4j.tuning.CpuCluster;
import org.npu4j.tuning.CpuFreqPolicy;
import org.npu4j.tuning.CpuList;
import org.npu4j.tuning.CpuTopology;
import org.npu4j.tuning.HostFiles;
import org.npu4j.tuning.HostState;
import org.npu4j.tuning.HostTuning;
import org.npu4j.tuning.IrqInfo;
import org.npu4j.tuning.NpuDevfreq;
import org.npu4j.tuning.PciDevice;
import org.npu4j.tuning.PcieCapability;
import org.npu4j.tuning.PcieLink;
import org.npu4j.tuning.RockchipNpu;
import org.npu4j.tuning.TuningPlan;

/**
 * What {@code npu4j diagnose} reports: a view of {@link HostState} and the {@link TuningPlan},
 * plus the runtime libraries and recommendations. Records, so that Jackson writes the JSON form
 * as it is; the text form is {@link #render()}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record Diagnosis(String root, @Nullable String board, Cpus cpus, List<Accelerator> accelerators,
        @Nullable Npu rockchipNpu, List<RuntimeLibraries.Found> libraries, List<String> recommendations,
        List<String> notes) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Cpus(List<Integer> online, List<Integer> bigCores, String bigCoreMask, boolean allCoresEqual,
            List<Cluster> clusters, List<CpuView> cpus) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Cluster(String name, List<Integer> cpus, String type, @Nullable Integer capacity, @Nullable String governor,
            @Nullable Long curKHz, @Nullable Long minKHz, @Nullable Long maxKHz, @Nullable Long scalingMaxKHz, boolean big) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record CpuView(int id, boolean online, String type, @Nullable Integer capacity, @Nullable String policy,
            @Nullable String governor, @Nullable Long curKHz, boolean big, List<String> idleStatesEnabled) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Link(String text, double speedGTs, int width, int generation, long bytesPerSecond) {
        static @Nullable Link of(Optional<PcieLink> l) {
            return l.map(x -> new Link(x.toString(), x.speedGTs(), x.width(), x.generation(), x.effectiveBytesPerSecond()))
                    .orElse(null);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Irq(int irq, String name, String description, List<Integer> affinity, @Nullable List<Integer> effectiveAffinity,
            @Nullable Integer busiestCpu, @Nullable String busiestCpuType, long total, Map<Integer, Long> countsPerCpu,
            boolean onBigCores) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Accelerator(String address, String pciId, String name, @Nullable String driver, @Nullable Link link,
            @Nullable Link maxLink, boolean linkDegraded, @Nullable Integer maxPayload, @Nullable Integer maxPayloadSupported,
            @Nullable Integer maxReadRequest, @Nullable Boolean maxReadRequestOk, @Nullable String capabilityProblem,
            List<Irq> irqs) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Npu(@Nullable String driverVersion, @Nullable String versionFile, @Nullable Boolean driverSupportsRkllm,
            List<Integer> loadPercent, @Nullable Devfreq devfreq, @Nullable Ddr ddr) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Ddr(String directory, String governor, @Nullable Long curFreqHz, @Nullable Long fixedTargetHz,
            boolean atFixedFrequency) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Devfreq(String directory, String governor, List<String> availableGovernors, List<Long> availableFrequenciesHz,
            @Nullable Long curFreqHz, @Nullable Long maxFreqHz, boolean atMaximum) {}

    /** Reads the host and builds the report. */
    static Diagnosis of(HostFiles files, Function<String, @Nullable String> properties,
            Function<String, @Nullable String> environment) {
        TuningPlan plan = HostTuning.on(files).withNpuMaxFrequency(true).withDdrFixedFrequency(true).plan();
        HostState state = plan.state();
        CpuTopology topo = state.topology();
        List<RuntimeLibraries.Found> libs = RuntimeLibraries.find(files, properties, environment);

        List<Cluster> clusters = new ArrayList<>();
        for (CpuCluster c : topo.clusters()) {
            Optional<CpuFreqPolicy> p = c.policy();
            clusters.add(new Cluster(c.name(), c.cpus(), typeOf(topo, c.cpus().get(0)), c.capacity().orElse(null),
                    p.map(CpuFreqPolicy::governor).orElse(null), p.flatMap(CpuFreqPolicy::curKHz).orElse(null),
                    p.map(CpuFreqPolicy::minKHz).orElse(null), p.map(CpuFreqPolicy::maxKHz).orElse(null),
                    p.flatMap(CpuFreqPolicy::scalingMaxKHz).orElse(null), c.big()));
        }
        List<CpuView> cpuViews = new ArrayList<>();
        for (Cpu c : topo.cpus()) {
            Optional<CpuFreqPolicy> p = topo.policyOf(c.id());
            List<String> idle = topo.idleStates().stream().filter(s -> s.cpu() == c.id() && !s.disabled())
                    .map(s -> "state" + s.index() + " " + s.name()).toList();
            cpuViews.add(new CpuView(c.id(), c.online(), c.description(), c.capacity().orElse(null),
                    p.map(CpuFreqPolicy::name).orElse(null), p.map(CpuFreqPolicy::governor).orElse(null),
                    p.flatMap(CpuFreqPolicy::curKHz).orElse(null), topo.bigCores().contains(c.id()), idle));
        }
        Cpus cpus = new Cpus(topo.onlineCpus(), topo.bigCores(), String.format("0x%x", topo.bigCoreMask()),
                topo.allCoresEqual(), clusters, cpuViews);

        List<Accelerator> accels = new ArrayList<>();
        for (PciDevice d : state.accelerators()) {
            List<Irq> irqs = new ArrayList<>();
            for (IrqInfo i : d.irqs()) {
                Integer busiest = i.busiestCpu().orElse(null);
                irqs.add(new Irq(i.number(), i.name(), i.description(), i.affinity(), i.effectiveAffinity().orElse(null),
                        busiest, busiest == null ? null : typeOf(topo, busiest), i.total(),
                        new TreeMap<>(i.countsPerCpu()), topo.bigCores().containsAll(i.servingCpus())));
            }
            Optional<PcieCapability> cap = d.capability();
            accels.add(new Accelerator(d.address(), d.id().hex(), d.id().name(), d.driver().orElse(null),
                    Link.of(d.currentLink()), Link.of(d.maxLink()), d.linkDegraded(),
                    cap.map(PcieCapability::maxPayload).orElse(null), cap.map(PcieCapability::maxPayloadSupported).orElse(null),
                    cap.map(PcieCapability::maxReadRequest).orElse(null), cap.map(PcieCapability::maxReadRequestOk).orElse(null),
                    d.capabilityProblem().orElse(null), irqs));
        }

        Npu npu = state.rockchipNpu().map(n -> new Npu(n.driverVersion().orElse(null), n.versionFile().orElse(null),
                n.driverSupportsRkllm().orElse(null), n.loadPercent(), n.devfreq().map(Diagnosis::devfreq).orElse(null),
                state.ddr().map(d -> new Ddr(d.directory(), d.governor(), d.curFreqHz().orElse(null),
                        d.fixedTargetHz().orElse(null), d.atFixedFrequency())).orElse(null)))
                .orElse(null);

        return new Diagnosis(files.root().toString(), state.model().orElse(null), cpus, accels, npu, libs,
                recommendations(state, plan, libs), plan.notes());
    }

    private static Devfreq devfreq(NpuDevfreq d) {
        return new Devfreq(d.directory(), d.governor(), d.availableGovernors(), d.availableFrequencies(),
                d.curFreqHz().orElse(null), d.maxFreqHz().orElse(null), d.atMaximum());
    }

    private static String typeOf(CpuTopology topo, int cpu) {
        return topo.cpu(cpu).map(Cpu::description).orElse("unknown");
    }

    /** Each recommendation is one sentence that says why. */
    static List<String> recommendations(HostState state, TuningPlan plan, List<RuntimeLibraries.Found> libs) {
        List<String> out = new ArrayList<>();
        for (Change c : plan.changes()) {
            out.add(c.reason() + " (" + c.file() + ": " + (c.oldValue() == null ? "(absent)" : c.oldValue()) + " -> "
                    + c.newValue() + "; `npu4j tune --apply" + (c.kind() == Change.Kind.NPU_GOVERNOR
                    || c.kind() == Change.Kind.NPU_FREQUENCY ? " --npu-max" : "")
                    + (c.kind() == Change.Kind.DDR_GOVERNOR || c.kind() == Change.Kind.DDR_FREQUENCY ? " --ddr-fixed" : "")
                    + "` does it and restores it on exit.)");
        }
        for (PciDevice d : state.accelerators()) {
            if (d.linkDegraded()) {
                PcieLink cur = d.currentLink().orElseThrow();
                PcieLink max = d.maxLink().orElseThrow();
                out.add(String.format("The %s at %s links at %s (%d MB/s) though it supports %s (%d MB/s): the slot limits"
                        + " it (the CM3588 NAS M.2 slot is Gen2 x1); every small transfer costs a PCIe round trip of about"
                        + " 0.3 ms, so keep buffers on the device and batch transfers.", d.id().name(), d.address(), cur,
                        cur.effectiveBytesPerSecond() / 1_000_000, max, max.effectiveBytesPerSecond() / 1_000_000));
            }
            d.capability().filter(c -> !c.maxReadRequestOk()).ifPresent(c -> out.add(String.format(
                    "Set MaxReadReq of the %s at %s back to 512 B (it is %d B): 128 and 256 B crash the AXCL driver and"
                            + " 4096 B is 30%% slower; npu4j never changes it (setpci or the slot's firmware can).",
                    d.id().name(), d.address(), c.maxReadRequest())));
            d.capabilityProblem().ifPresent(p -> out.add("Run diagnose as root to see MaxPayload and MaxReadReq of the "
                    + d.id().name() + " at " + d.address() + ": " + p + "."));
        }
        state.rockchipNpu().filter(n -> !n.driverSupportsRkllm().orElse(true)).ifPresent(n -> out.add(
                "Update the RKNPU driver (it is " + n.driverVersion().orElse("?") + "): the RKLLM runtime needs "
                        + RockchipNpu.MIN_DRIVER_FOR_RKLLM + " or later."));
        boolean hasAx = !state.accelerators().isEmpty();
        boolean hasRknpu = state.rockchipNpu().isPresent();
        for (RuntimeLibraries.Found f : libs) {
            if (f.path() != null) {
                continue;
            }
            if (hasAx && f.fileName().startsWith("libaxcl")) {
                out.add("Install the AXCL runtime (" + f.fileName() + " is not on the library path) or point "
                        + "NPU4J_AXCL_LIBRARY at it: the AX650N card is present but nothing can drive it.");
            }
            if (hasRknpu && f.fileName().startsWith("librkllm")) {
                out.add("Install the RKLLM runtime (" + f.fileName() + " is not on the library path) or point "
                        + "NPU4J_RKLLM_LIBRARY at it: the Rockchip NPU driver is loaded but no LLM runtime was found.");
            }
        }
        return out;
    }

    /** The report for people. */
    String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("Board: ").append(board == null ? "unknown (no /proc/device-tree/model or DMI product name)" : board);
        if (!root.equals("/")) {
            sb.append("   [files under ").append(root).append(']');
        }
        sb.append("\n\nCPUs: ").append(cpus.online().size()).append(" online; big cores CPU")
                .append(CpuList.format(cpus.bigCores())).append(" (mask ").append(cpus.bigCoreMask()).append(')')
                .append(cpus.allCoresEqual() ? ", all cores equal" : "").append('\n');
        for (Cluster c : cpus.clusters()) {
            sb.append(String.format("  %-8s CPU%-6s %-26s", c.name(), CpuList.format(c.cpus()), c.type()));
            if (c.capacity() != null) {
                sb.append(" capacity ").append(c.capacity());
            }
            if (c.governor() != null) {
                sb.append("  ").append(c.governor());
                if (c.curKHz() != null) {
                    sb.append(" at ").append(c.curKHz()).append(" kHz");
                }
                sb.append(" (").append(c.minKHz()).append('-').append(c.maxKHz()).append(" kHz");
                if (c.scalingMaxKHz() != null && c.maxKHz() != null && c.scalingMaxKHz() < c.maxKHz()) {
                    sb.append(", capped at ").append(c.scalingMaxKHz());
                }
                sb.append(')');
            }
            sb.append(c.big() ? "  [big]" : "").append('\n');
        }
        sb.append("\nAccelerators on PCIe:");
        if (accelerators.isEmpty()) {
            sb.append(" none found\n");
        } else {
            sb.append('\n');
        }
        for (Accelerator a : accelerators) {
            sb.append("  ").append(a.name()).append(" (").append(a.pciId()).append(") at ").append(a.address());
            if (a.driver() != null) {
                sb.append(", driver ").append(a.driver());
            }
            sb.append('\n');
            sb.append("    link: ").append(a.link() == null ? "unknown" : a.link().text() + ", "
                    + a.link().bytesPerSecond() / 1_000_000 + " MB/s");
            if (a.maxLink() != null) {
                sb.append("; capable of ").append(a.maxLink().text()).append(", ")
                        .append(a.maxLink().bytesPerSecond() / 1_000_000).append(" MB/s");
            }
            sb.append(a.linkDegraded() ? "  [below capability]" : "").append('\n');
            if (a.maxPayload() != null) {
                sb.append("    MaxPayload ").append(a.maxPayload()).append(" B (supported ").append(a.maxPayloadSupported())
                        .append(" B), MaxReadReq ").append(a.maxReadRequest()).append(" B")
                        .append(Boolean.TRUE.equals(a.maxReadRequestOk()) ? " (as required)" : "  [must be 512 B]")
                        .append('\n');
            } else {
                sb.append("    MaxPayload/MaxReadReq: ").append(a.capabilityProblem()).append('\n');
            }
            for (Irq i : a.irqs()) {
                sb.append("    IRQ ").append(i.irq()).append(" (").append(i.name()).append("): affinity CPU")
                        .append(CpuList.format(i.affinity()));
                if (i.effectiveAffinity() != null) {
                    sb.append(", effective CPU").append(CpuList.format(i.effectiveAffinity()));
                }
                if (i.busiestCpu() != null) {
                    sb.append("; served mostly by CPU").append(i.busiestCpu()).append(" (").append(i.busiestCpuType())
                            .append("): ").append(i.countsPerCpu().get(i.busiestCpu())).append(" of ").append(i.total());
                } else {
                    sb.append("; not served yet");
                }
                sb.append(i.onBigCores() ? "" : "  [not on a big core]").append('\n');
            }
        }
        if (rockchipNpu != null) {
            Npu n = rockchipNpu;
            sb.append("\nRockchip NPU: driver ").append(n.driverVersion() == null ? "version unknown" : n.driverVersion()
                    + " (" + n.versionFile() + ")");
            if (n.driverSupportsRkllm() != null) {
                sb.append(n.driverSupportsRkllm() ? ", RKLLM-capable" : ", too old for RKLLM (needs "
                        + RockchipNpu.MIN_DRIVER_FOR_RKLLM + ")");
            }
            sb.append('\n');
            if (!n.loadPercent().isEmpty()) {
                Map<String, Integer> load = new LinkedHashMap<>();
                for (int i = 0; i < n.loadPercent().size(); i++) {
                    load.put("Core" + i, n.loadPercent().get(i));
                }
                sb.append("  load: ").append(load.toString().replace("{", "").replace("}", "").replace("=", " "))
                        .append(" %\n");
            }
            if (n.devfreq() != null) {
                Devfreq d = n.devfreq();
                sb.append("  devfreq ").append(d.directory()).append(": ").append(d.governor());
                if (d.curFreqHz() != null) {
                    sb.append(" at ").append(d.curFreqHz()).append(" Hz");
                }
                if (d.maxFreqHz() != null) {
                    sb.append(" (max ").append(d.maxFreqHz()).append(" Hz)");
                }
                sb.append(d.atMaximum() ? "  [held at maximum]" : "").append('\n');
            }
            if (n.ddr() != null) {
                Ddr d = n.ddr();
                sb.append("  DDR devfreq ").append(d.directory()).append(": ").append(d.governor());
                if (d.curFreqHz() != null) {
                    sb.append(" at ").append(d.curFreqHz()).append(" Hz");
                }
                if (d.fixedTargetHz() != null) {
                    sb.append(" (vendor fixed ").append(d.fixedTargetHz()).append(" Hz)");
                }
                sb.append(d.atFixedFrequency() ? "  [held fixed]" : "").append('\n');
            }
        }
        sb.append("\nRuntime libraries (found on the search path, not loaded):\n");
        for (RuntimeLibraries.Found f : libraries) {
            sb.append("  ").append(f.runtime()).append(" (").append(f.fileName()).append("): ");
            if (f.path() == null) {
                sb.append("not found\n");
            } else {
                sb.append(f.path()).append(" [").append(f.foundBy()).append("]")
                        .append(f.version() == null ? ", version not readable without loading it" : ", version " + f.version())
                        .append('\n');
            }
        }
        sb.append("\nRecommendations:");
        if (recommendations.isEmpty()) {
            sb.append(" none: this host is tuned as far as npu4j can tell.\n");
        } else {
            sb.append('\n');
            for (String r : recommendations) {
                sb.append("  - ").append(r).append('\n');
            }
        }
        if (!notes.isEmpty()) {
            sb.append("\nNotes:\n");
            for (String n : notes) {
                sb.append("  - ").append(n).append('\n');
            }
        }
        return sb.toString();
    }
}
