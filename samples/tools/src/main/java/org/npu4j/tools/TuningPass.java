package org.npu4j.tools;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.npu4j.tuning.Change;
import org.npu4j.tuning.CpuTopology;
import org.npu4j.tuning.HostFiles;
import org.npu4j.tuning.HostTuning;
import org.npu4j.tuning.ThreadAffinity;
import org.npu4j.tuning.TuningPlan;
import org.npu4j.tuning.TuningSession;

/**
 * One tuning mode held for the runs of one model: {@value #DEFAULT} changes nothing; {@value #TUNED}
 * applies {@link HostTuning} (the accelerator's IRQs to a big core, the performance governor on the
 * big cores), pins the benchmarking thread to the big cores ({@link ThreadAffinity}), and on the
 * emulated AXCL runtime selects the emulator's {@code tuned} timing profile
 * ({@code NPU4J_EMULATOR_AXCL_PROFILE}; harmless to the other emulators, which do not read it): the
 * emulator cannot see the host tuning, the profile holds the
 * published tuned figures. {@link #close()} restores everything. Without the rights to change the host,
 * the tuning is a dry run and its plan is reported.
 *
 * <p>Not thread-safe: entered and closed by the benchmarking thread.
 */
final class TuningPass implements AutoCloseable {
    static final String DEFAULT = "default";
    static final String TUNED = "tuned";
    static final String AXCL_PROFILE = "NPU4J_EMULATOR_AXCL_PROFILE";

    private final BenchReport.TuningOutcome outcome;
    private final @Nullable TuningSession session;
    private final ThreadAffinity.@Nullable Pin pin;
    private final boolean axclProfileSet;
    private final @Nullable String axclProfileBefore;

    private TuningPass(BenchReport.TuningOutcome outcome, @Nullable TuningSession session,
            ThreadAffinity.@Nullable Pin pin, boolean axclProfileSet, @Nullable String axclProfileBefore) {
        this.outcome = outcome;
        this.session = session;
        this.pin = pin;
        this.axclProfileSet = axclProfileSet;
        this.axclProfileBefore = axclProfileBefore;
    }

    /**
     * Enters {@code mode}.
     *
     * @param files         the host's files (a fixture tree with {@code npu4j bench --root})
     * @param pinThread     whether to pin the calling thread to the big cores of this machine (false when
     *                      the host files are not this machine's)
     * @param axclEmulator  whether the runs may use the emulated AXCL runtime (any emulator run)
     */
    static TuningPass enter(String mode, HostFiles files, boolean pinThread, boolean axclEmulator) {
        if (!TUNED.equals(mode)) {
            return new TuningPass(new BenchReport.TuningOutcome(DEFAULT, false, false, List.of(), List.of(),
                    "the host as it is (nothing changed)"), null, null, false, null);
        }
        TuningSession session = HostTuning.on(files).apply();
        ThreadAffinity.Pin pin = null;
        List<String> notes = new ArrayList<>(session.plan().notes());
        String pinned = "";
        try {
            if (pinThread) {
                List<Integer> big = CpuTopology.system().bigCores();
                if (!big.isEmpty()) {
                    pin = ThreadAffinity.pin(big);
                    pinned = "; the benchmarking thread pinned to CPU " + org.npu4j.tuning.CpuList.format(big);
                }
            }
        } catch (RuntimeException e) {
            notes.add("Could not pin the benchmarking thread to the big cores: " + e.getMessage());
        }
        String before = null;
        if (axclEmulator) {
            before = NativeEnv.get(AXCL_PROFILE);
            NativeEnv.set(AXCL_PROFILE, "tuned");
        }
        return new TuningPass(describe(session, notes, pinned), session, pin, axclEmulator, before);
    }

    private static BenchReport.TuningOutcome describe(TuningSession s, List<String> notes, String pinned) {
        TuningPlan plan = s.plan();
        List<String> lines = plan.changes().stream().map(Change::toString).toList();
        if (!s.applied()) {
            return new BenchReport.TuningOutcome(TUNED, false, true, lines, notes, "org.npu4j.tuning HostTuning NOT"
                    + " applied: this process may not write " + plan.notWritable().size() + " of the files (run as"
                    + " root); dry run, it would change: " + String.join("; ", lines) + pinned);
        }
        if (s.changes().isEmpty()) {
            return new BenchReport.TuningOutcome(TUNED, false, false, List.of(), notes, "org.npu4j.tuning HostTuning"
                    + " found nothing to change on this host" + (notes.isEmpty() ? "" : " (" + String.join(" ", notes)
                    + ")") + pinned);
        }
        List<String> made = s.changes().stream().map(Change::toString).toList();
        return new BenchReport.TuningOutcome(TUNED, true, false, made, notes, "org.npu4j.tuning HostTuning applied"
                + " for the tuned runs and restored after them: " + String.join("; ", made) + pinned);
    }

    BenchReport.TuningOutcome outcome() {
        return outcome;
    }

    /** What the emulated runtimes did in this mode, for the report (empty in the default mode). */
    static String emulation(String mode, boolean vendor) {
        if (!TUNED.equals(mode)) {
            return "";
        }
        return "(emulator) The emulated runtimes cannot see the host tuning: an emulated AX650N card runs its"
                + " tuned timing profile (" + AXCL_PROFILE + "=tuned, the published tuned figures)"
                + (vendor ? ", the vendor-pattern driver too (--timing tuned)" : "") + "; the emulated RKLLM"
                + " timing does not depend on it (default and tuned differ by noise only; the -nofixfreq profile"
                + " shows the published effect of fixed frequencies).";
    }

    /** As {@link #emulation(String, boolean)} for the engine runs on the emulated AXCL runtime. */
    static String engineEmulation(String mode) {
        if (!TUNED.equals(mode)) {
            return "";
        }
        return "(emulator) The emulated card cannot see the host tuning: the tuned runs use its tuned timing"
                + " profile (" + AXCL_PROFILE + "=tuned, the published tuned figures).";
    }

    @Override
    public void close() {
        try {
            if (axclProfileSet) {
                NativeEnv.set(AXCL_PROFILE, axclProfileBefore);
            }
            if (pin != null) {
                pin.close();
            }
        } finally {
            if (session != null) {
                session.close();
            }
        }
    }
}
