package org.npu4j.tuning;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host tuning that decides whether an NPU board reaches its published speed, planned from the
 * host's state and applied as a {@link TuningSession} that restores everything.
 *
 * <p>Changes, in the order applied (restored in reverse):
 * <ol>
 *   <li><b>IRQ affinity</b> ({@code /proc/irq/N/smp_affinity_list}) of each accelerator interrupt
 *       that may land on a non-big core, to one big core (the first, or {@link #withIrqCpu(int)}).
 *       On a CM3588 with an AX650N the same model decodes at 7 or 12 tokens/s depending on this.</li>
 *   <li><b>{@code performance} governor</b> ({@code cpufreq/policyN/scaling_governor}) on the
 *       big-core policies: the vendors' published speeds assume fixed maximum frequencies (the
 *       RK3588 fix-frequency script sets the A76 cores to 2352000 kHz).</li>
 *   <li>optionally ({@link #withNpuMaxFrequency(boolean)}) the <b>Rockchip NPU devfreq</b> at its
 *       maximum ({@code /sys/class/devfreq/fdab0000.npu} on RK3588, {@code 27700000.npu} on RK3576): governor {@code performance} where
 *       offered, else governor {@code userspace} and {@code userspace/set_freq} = the highest of
 *       {@code available_frequencies} (Hz; 1 GHz on RK3588), as the vendor script does.</li>
 *   <li>optionally ({@link #withDdrFixedFrequency(boolean)}) <b>DDR</b> ({@code /sys/class/devfreq/dmc})
 *       at its fixed frequency: governor {@code userspace}, {@code userspace/set_freq} = 2112000000
 *       Hz (or the highest available), as the vendor's fix-frequency scripts do on RK3588 and RK3576.</li>
 *   <li>optionally ({@link #withCpuIdleOff(boolean)}) the <b>deep cpuidle states</b> off
 *       ({@code cpuN/cpuidle/stateK/disable} = 1 for K &ge; 1, every online CPU), as the vendor's
 *       fixed-frequency setups do: waking from them delays each interrupt.</li>
 * </ol>
 *
 * <p>Never changed: the PCIe MaxReadReq. It must stay 512 B for the AX650N: 128 and 256 B crash
 * the driver and 4096 B is 30% slower (boards.md); npu4j only reports it.
 *
 * <p>Values are validated before anything is written: the IRQ CPU exists and is online, a
 * governor is listed in the policy's {@code scaling_available_governors} (or the devfreq's
 * {@code available_governors}), a frequency is in {@code available_frequencies}.
 *
 * <p>Without the rights to write a file of the plan (not root, read-only file),
 * {@link #apply()} changes nothing and returns a dry-run session carrying the plan; in
 * {@link #strict(boolean) strict} mode it throws instead.
 *
 * <p>Immutable and thread-safe; the {@code with*} methods return copies. Applying two sessions
 * at once on one host is not coordinated: close them in reverse order.
 */
public final class HostTuning {
    private static final Logger LOG = LoggerFactory.getLogger(HostTuning.class);
    static final String PERFORMANCE = "performance";
    static final String USERSPACE = "userspace";

    private final HostFiles files;
    private final List<PciId> accelerators;
    private final boolean irqAffinity;
    private final boolean governor;
    private final boolean npuMax;
    private final boolean cpuIdleOff;
    private final boolean ddrFixed;
    private final boolean strict;
    private final @Nullable Integer irqCpu;

    private HostTuning(HostFiles files, List<PciId> accelerators, boolean irqAffinity, boolean governor, boolean npuMax,
            boolean cpuIdleOff, boolean ddrFixed, boolean strict, @Nullable Integer irqCpu) {
        this.files = files;
        this.accelerators = List.copyOf(accelerators);
        this.irqAffinity = irqAffinity;
        this.governor = governor;
        this.npuMax = npuMax;
        this.cpuIdleOff = cpuIdleOff;
        this.ddrFixed = ddrFixed;
        this.strict = strict;
        this.irqCpu = irqCpu;
    }

    /** Tuning of the host behind {@code files} with the defaults: IRQ affinity and governor on, the rest off. */
    public static HostTuning on(HostFiles files) {
        return new HostTuning(Objects.requireNonNull(files, "files"), PciId.KNOWN_ACCELERATORS, true, true, false, false,
                false, false, null);
    }

    /** Tuning of this machine ({@code /}). */
    public static HostTuning system() {
        return on(HostFiles.system());
    }

    /** Whether to move the accelerators' interrupts to a big core (default true). */
    public HostTuning withIrqAffinity(boolean on) {
        return new HostTuning(files, accelerators, on, governor, npuMax, cpuIdleOff, ddrFixed, strict, irqCpu);
    }

    /** Whether to set the {@code performance} governor on the big-core policies (default true). */
    public HostTuning withPerformanceGovernor(boolean on) {
        return new HostTuning(files, accelerators, irqAffinity, on, npuMax, cpuIdleOff, ddrFixed, strict, irqCpu);
    }

    /** Whether to hold the Rockchip NPU at its maximum devfreq frequency (default false). */
    public HostTuning withNpuMaxFrequency(boolean on) {
        return new HostTuning(files, accelerators, irqAffinity, governor, on, cpuIdleOff, ddrFixed, strict, irqCpu);
    }

    /** Whether to disable the cpuidle states 1 and deeper on every online CPU (default false). */
    public HostTuning withCpuIdleOff(boolean on) {
        return new HostTuning(files, accelerators, irqAffinity, governor, npuMax, on, ddrFixed, strict, irqCpu);
    }

    /**
     * Whether to hold DDR at its fixed frequency ({@code /sys/class/devfreq/dmc}: governor
     * {@code userspace}, {@code userspace/set_freq} = {@link DdrDevfreq#VENDOR_FIXED_HZ} or the highest
     * available), as the vendor's fix-frequency scripts do (default false).
     */
    public HostTuning withDdrFixedFrequency(boolean on) {
        return new HostTuning(files, accelerators, irqAffinity, governor, npuMax, cpuIdleOff, on, strict, irqCpu);
    }

    /** Strict: {@link #apply()} throws instead of returning a dry run when it may not write (default false). */
    public HostTuning strict(boolean on) {
        return new HostTuning(files, accelerators, irqAffinity, governor, npuMax, cpuIdleOff, ddrFixed, on, irqCpu);
    }

    /**
     * The CPU the accelerators' interrupts go to (default: the first big core). Validated when
     * planning: it must exist and be online.
     */
    public HostTuning withIrqCpu(int cpu) {
        return new HostTuning(files, accelerators, irqAffinity, governor, npuMax, cpuIdleOff, ddrFixed, strict, cpu);
    }

    /** The accelerators whose interrupts are moved (default {@link PciId#KNOWN_ACCELERATORS}). */
    public HostTuning withAccelerators(List<PciId> ids) {
        return new HostTuning(files, ids, irqAffinity, governor, npuMax, cpuIdleOff, ddrFixed, strict, irqCpu);
    }

    /**
     * Reads the host and works out the changes; writes nothing.
     *
     * @throws HostFileException naming the file if a file the plan needs is missing or malformed
     * @throws TuningException   if a requested value fails validation (e.g. the IRQ CPU is offline)
     */
    public TuningPlan plan() {
        HostState state = HostState.read(files, accelerators);
        CpuTopology topo = state.topology();
        List<Change> changes = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (irqAffinity) {
            planIrqs(state, topo, changes, notes);
        }
        if (governor) {
            planGovernors(topo, !state.accelerators().isEmpty(), changes, notes);
        }
        if (npuMax) {
            planNpu(state, changes, notes);
        }
        if (ddrFixed) {
            planDdr(state, changes, notes);
        }
        if (cpuIdleOff) {
            planCpuIdle(topo, changes, notes);
        }
        List<String> notWritable = new ArrayList<>();
        for (Change c : changes) {
            if (c.oldValue() != null && !files.canWrite(c.file())) {
                notWritable.add(c.file());
            }
        }
        return new TuningPlan(state, changes, notes, notWritable);
    }

    /**
     * Plans and applies. Writes the changes in order; if a write fails, restores those already
     * written (reverse order) and throws a {@link TuningException} naming the file.
     *
     * @return the session; close it to restore. A dry run (nothing changed) if the process may
     *         not write every file and this tuning is not strict.
     * @throws TuningException   if a write fails (everything before it restored), a value fails
     *                           validation, or in strict mode the process may not write
     * @throws HostFileException if a file the plan needs is missing or malformed
     */
    public TuningSession apply() {
        TuningPlan plan = plan();
        if (!plan.canApply()) {
            String msg = "Not allowed to write " + String.join(", ", plan.notWritable())
                    + " (tuning needs root); nothing changed";
            if (strict) {
                throw new TuningException(msg, plan.notWritable().get(0), null);
            }
            LOG.warn("{}. Would change:\n{}", msg, plan.render());
            return TuningSession.dryRun(files, plan);
        }
        return TuningSession.apply(files, plan);
    }

    private void planIrqs(HostState state, CpuTopology topo, List<Change> changes, List<String> notes) {
        if (state.accelerators().isEmpty()) {
            notes.add("No accelerator card (" + String.join(", ", accelerators.stream().map(PciId::toString).toList())
                    + ") found on PCIe: no IRQ to move.");
            return;
        }
        List<Integer> big = topo.bigCores();
        int target;
        if (irqCpu != null) {
            target = irqCpu;
            Optional<Cpu> cpu = topo.cpu(target);
            if (cpu.isEmpty()) {
                throw new TuningException("IRQ CPU " + target + " does not exist (CPUs: "
                        + CpuList.format(topo.cpus().stream().map(Cpu::id).toList()) + ")", null, null);
            }
            if (!cpu.get().online()) {
                throw new TuningException("IRQ CPU " + target + " is offline (online: " + CpuList.format(topo.onlineCpus())
                        + ")", CpuTopology.CPU_DIR + "/online", null);
            }
        } else if (big.isEmpty()) {
            notes.add("No online CPU: no IRQ to move.");
            return;
        } else {
            target = big.get(0);
        }
        String targetValue = Integer.toString(target);
        for (PciDevice d : state.accelerators()) {
            for (IrqInfo irq : d.irqs()) {
                boolean onTarget = irq.affinity().equals(List.of(target));
                boolean allBig = irqCpu == null && big.containsAll(irq.affinity());
                if (onTarget || allBig) {
                    notes.add("IRQ " + irq.number() + " (" + irq.name() + ") of " + d.id().name() + " " + d.address()
                            + " already runs on " + (topo.allCoresEqual() ? "equal cores" : "big cores") + " (CPU "
                            + CpuList.format(irq.affinity()) + ").");
                    continue;
                }
                String from = irq.servingCpus().stream().map(topo::describe).reduce((a, b) -> a + ", " + b).orElse("?");
                changes.add(new Change(Change.Kind.IRQ_AFFINITY, irq.affinityFile(), CpuList.format(irq.affinity()),
                        targetValue, "Move IRQ " + irq.number() + " (" + irq.name() + ", " + d.id().name() + " "
                                + d.address() + ") from " + from + " to " + topo.describe(target)
                                + ": on a CM3588 the same model decodes at 7 vs 12 tok/s depending on where this IRQ lands."));
            }
        }
    }

    private void planGovernors(CpuTopology topo, boolean card, List<Change> changes, List<String> notes) {
        if (topo.policies().isEmpty()) {
            notes.add("No cpufreq policies (no frequency scaling exposed): governor unchanged.");
            return;
        }
        for (CpuFreqPolicy p : topo.policies()) {
            if (p.cpus().stream().noneMatch(topo.bigCores()::contains)) {
                continue;
            }
            String cpus = "CPU" + CpuList.format(p.cpus()) + ", " + topo.cpu(p.cpus().get(0)).map(Cpu::description).orElse("?");
            if (p.governor().equals(PERFORMANCE)) {
                notes.add(p.name() + " (" + cpus + ") already runs the performance governor.");
                continue;
            }
            if (!p.availableGovernors().contains(PERFORMANCE)) {
                notes.add(p.name() + " (" + cpus + ") does not offer the performance governor (available: "
                        + (p.availableGovernors().isEmpty() ? "unknown" : String.join(" ", p.availableGovernors()))
                        + "): governor unchanged.");
                continue;
            }
            long max = p.scalingMaxKHz().orElse(p.maxKHz());
            changes.add(new Change(Change.Kind.CPU_GOVERNOR, p.directory() + "/scaling_governor", p.governor(), PERFORMANCE,
                    "Run " + p.name() + " (" + cpus + ") at its maximum " + max + " kHz instead of " + p.governor()
                            + ": the vendors' published speeds assume fixed maximum frequencies (the RK3588 fix-frequency"
                            + " script sets 2352000 kHz)" + (card ? "; with an AX650N on a CM3588 the IRQ move and this"
                            + " governor together take decoding from 7 to 12 tok/s." : ".")));
        }
    }

    private void planNpu(HostState state, List<Change> changes, List<String> notes) {
        Optional<NpuDevfreq> df = state.rockchipNpu().flatMap(RockchipNpu::devfreq);
        if (df.isEmpty()) {
            notes.add("No Rockchip NPU devfreq device (" + RockchipNpu.RK3588_DEVFREQ + ", " + RockchipNpu.RK3576_DEVFREQ
                    + " or another *.npu): NPU frequency unchanged.");
            return;
        }
        NpuDevfreq d = df.get();
        if (d.atMaximum()) {
            notes.add("The NPU already runs at its maximum (" + d.governor() + ").");
            return;
        }
        String why = "Hold the NPU at its maximum %s Hz: the vendor's published RKLLM speeds are measured at fixed"
                + " maximum frequencies (its fix-frequency script sets the NPU devfreq so), while %s lowers it between bursts.";
        String max = d.maxFreqHz().map(String::valueOf).orElse("?");
        if (d.availableGovernors().contains(PERFORMANCE)) {
            changes.add(new Change(Change.Kind.NPU_GOVERNOR, d.directory() + "/governor", d.governor(), PERFORMANCE,
                    String.format(why, max, d.governor())));
            return;
        }
        if (!d.availableGovernors().contains(USERSPACE) || d.maxFreqHz().isEmpty()) {
            notes.add("The NPU devfreq offers neither performance nor userspace with available_frequencies (governors: "
                    + String.join(" ", d.availableGovernors()) + "): NPU frequency unchanged.");
            return;
        }
        long target = d.maxFreqHz().get();
        if (!d.availableFrequencies().contains(target)) {
            throw new TuningException("NPU frequency " + target + " Hz is not in " + d.directory()
                    + "/available_frequencies", d.directory() + "/available_frequencies", null);
        }
        if (!d.governor().equals(USERSPACE)) {
            changes.add(new Change(Change.Kind.NPU_GOVERNOR, d.directory() + "/governor", d.governor(), USERSPACE,
                    "Select the userspace governor so the NPU frequency can be fixed (" + d.governor() + " varies it)."));
        }
        changes.add(new Change(Change.Kind.NPU_FREQUENCY, d.directory() + "/userspace/set_freq",
                d.governor().equals(USERSPACE) ? d.userspaceSetFreqHz().map(String::valueOf).orElse(null) : null,
                Long.toString(target), String.format(why, max, d.governor())));
    }

    private void planDdr(HostState state, List<Change> changes, List<String> notes) {
        Optional<DdrDevfreq> dd = state.ddr();
        if (dd.isEmpty()) {
            notes.add("No DDR devfreq device (" + DdrDevfreq.DIRECTORY + "): DDR frequency unchanged.");
            return;
        }
        DdrDevfreq d = dd.get();
        if (d.atFixedFrequency()) {
            notes.add("DDR already runs at its fixed " + d.fixedTargetHz().orElseThrow() + " Hz (userspace).");
            return;
        }
        if (!d.availableGovernors().contains(USERSPACE) || d.fixedTargetHz().isEmpty()) {
            notes.add("The DDR devfreq offers no userspace governor with available_frequencies (governors: "
                    + String.join(" ", d.availableGovernors()) + "): DDR frequency unchanged.");
            return;
        }
        long target = d.fixedTargetHz().get();
        String why = "Fix DDR at " + target + " Hz as the vendor's fix-frequency scripts do (rknn-llm v1.3.0 sets "
                + DdrDevfreq.VENDOR_FIXED_HZ + " on RK3588 and RK3576): " + d.governor()
                + " lowers it between bursts, and NPU models are memory-bound.";
        if (!d.governor().equals(USERSPACE)) {
            changes.add(new Change(Change.Kind.DDR_GOVERNOR, d.directory() + "/governor", d.governor(), USERSPACE,
                    "Select the userspace governor so the DDR frequency can be fixed (" + d.governor() + " varies it)."));
        }
        changes.add(new Change(Change.Kind.DDR_FREQUENCY, d.directory() + "/userspace/set_freq",
                d.governor().equals(USERSPACE) ? d.userspaceSetFreqHz().map(String::valueOf).orElse(null) : null,
                Long.toString(target), why));
    }

    private void planCpuIdle(CpuTopology topo, List<Change> changes, List<String> notes) {
        List<CpuIdleState> deep = topo.idleStates().stream()
                .filter(s -> s.index() >= 1 && topo.cpu(s.cpu()).map(Cpu::online).orElse(false)).toList();
        if (deep.isEmpty()) {
            notes.add("No deep cpuidle states (state1 and deeper): cpuidle unchanged.");
            return;
        }
        for (CpuIdleState s : deep) {
            if (s.disabled()) {
                continue;
            }
            changes.add(new Change(Change.Kind.CPUIDLE, s.disableFile(), "0", "1", "Keep " + topo.describe(s.cpu())
                    + " out of idle state " + s.index() + " (" + s.name() + "): waking from it delays every"
                    + " interrupt and NPU completion, as the vendor's fixed-frequency setups avoid."));
        }
    }

    @Override
    public String toString() {
        return "HostTuning[" + files.root() + ", irq=" + irqAffinity + ", governor=" + governor + ", npuMax=" + npuMax
                + ", cpuIdleOff=" + cpuIdleOff + ", ddrFixed=" + ddrFixed + ", strict=" + strict + "]";
    }
}
