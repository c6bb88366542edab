package org.npu4j.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.npu4j.tuning.HostTuning;
import org.npu4j.tuning.TuningPlan;
import org.npu4j.tuning.TuningSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code npu4j tune}: prints the tuning plan; with {@code --apply} applies it, holds it until
 * Ctrl-C (or {@code --duration}, or an interrupt of the calling thread) and restores every file.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"Tune this board for NPU inference: the AX650N's IRQs to a big core, the performance governor",
            "on the big cores; optionally the Rockchip NPU at its maximum frequency and the deep cpuidle states off.",
            "Without --apply, prints what would change. With --apply, changes it, holds it until Ctrl-C",
            "(or --duration) and restores every previous value. MaxReadReq is never touched (must stay 512 B)."})
final class TuneCommand implements Callable<Integer> {
    @ParentCommand
    private Main main;

    @Spec
    private CommandSpec spec;

    @Option(names = "--apply", description = "Apply the changes and hold them until Ctrl-C (needs root).")
    boolean apply;

    @Option(names = "--strict", description = "Fail instead of printing the plan when not allowed to write.")
    boolean strict;

    @Option(names = "--npu-max", description = "Hold the Rockchip NPU devfreq at its maximum frequency.")
    boolean npuMax;

    @Option(names = "--ddr-fixed", description = "Hold DDR (devfreq dmc) at its fixed frequency, 2112000000 Hz as the vendor"
            + " fix-frequency scripts do (or the highest available).")
    boolean ddrFixed;

    @Option(names = "--no-cpuidle", description = "Disable the deep cpuidle states (state1 and deeper) on every online CPU.")
    boolean noCpuIdle;

    @Option(names = "--irq-cpu", paramLabel = "CPU", description = "Move the accelerator IRQs to CPU (default: the first big core).")
    @Nullable Integer irqCpu;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "With --apply: restore after SECONDS instead of waiting for Ctrl-C.")
    @Nullable Long durationSeconds;

    @Option(names = "--root", paramLabel = "DIR", defaultValue = "/",
            description = "Work on /sys and /proc under DIR instead of / (a fixture tree). Default: ${DEFAULT-VALUE}")
    Path root;

    @Option(names = {"-v", "--verbose"}, description = "Log every write and restore (slf4j info).")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        HostTuning tuning = HostTuning.on(main.files(root)).withNpuMaxFrequency(npuMax).withDdrFixedFrequency(ddrFixed)
                .withCpuIdleOff(noCpuIdle)
                .strict(strict);
        if (irqCpu != null) {
            tuning = tuning.withIrqCpu(irqCpu);
        }
        if (!apply) {
            TuningPlan plan = tuning.plan();
            out.println(plan.isEmpty() ? "Plan:" : "Plan (run with --apply to change, as root):");
            out.print(plan.render());
            out.flush();
            return 0;
        }
        TuningSession session = tuning.apply();
        if (!session.applied()) {
            out.println("Not applied: not allowed to write " + session.plan().notWritable().size()
                    + " of the files (run as root). It would change:");
            out.print(session.plan().render());
            out.flush();
            return 0;
        }
        if (session.changes().isEmpty()) {
            out.println("Nothing to change.");
            out.print(session.plan().render());
            out.flush();
            return 0;
        }
        int n = session.changes().size();
        out.println("Applied " + n + " change" + (n == 1 ? "" : "s") + ":");
        out.print(session.plan().render());
        out.println(durationSeconds == null ? "Holding until Ctrl-C; every value is restored on exit."
                : "Holding for " + durationSeconds + " s; every value is restored then.");
        out.flush();
        CountDownLatch done = new CountDownLatch(1);
        Thread restoreOnExit = new Thread(() -> {
            session.close();
            out.println("Restored " + n + " change" + (n == 1 ? "" : "s") + ".");
            out.flush();
            done.countDown();
        }, "npu4j-tune-exit");
        Runtime.getRuntime().addShutdownHook(restoreOnExit);
        try {
            if (durationSeconds == null) {
                done.await();
            } else {
                done.await(durationSeconds, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // interrupted: end the hold like Ctrl-C
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(restoreOnExit);
                session.close();
                out.println("Restored " + n + " change" + (n == 1 ? "" : "s") + ".");
                out.flush();
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook restores and reports
            }
        }
        return 0;
    }
}
