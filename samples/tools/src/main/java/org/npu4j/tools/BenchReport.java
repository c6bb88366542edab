package org.npu4j.tools;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What {@code npu4j bench} measured, serialised as JSON (Jackson, the record components) and
 * rendered as Markdown ({@link #markdown()}) with the columns of the published tables (model, quant,
 * default and tuned tok/s, TTFT default to tuned; per-call milliseconds of the execute stage for
 * engine calls, with the whole call beside them), so that the
 * results can be put beside them. Every line that reports a result of an emulated runtime says
 * "(emulator)". Immutable.
 *
 * @param tool     "npu4j bench" and its version
 * @param date     when the benchmark started (ISO-8601, UTC)
 * @param host     the machine it ran on
 * @param settings how it ran
 * @param tuning   what each tuning mode did to the host
 * @param llm      one entry per LLM (RKLLM model or emulator profile)
 * @param engine   one entry per engine model and shape group (AXCL)
 */
record BenchReport(String tool, String date, Host host, Settings settings, List<TuningOutcome> tuning,
        List<LlmResult> llm, List<EngineResult> engine) {

    /** Suffix of every line that reports a result from an emulated runtime. */
    static final String EMULATOR = " (emulator)";

    /**
     * @param os       OS name and version
     * @param arch     CPU architecture
     * @param cpus     CPUs available to the JVM
     * @param java     Java runtime version
     */
    record Host(String os, String arch, int cpus, String java) {}

    /**
     * @param modes         tuning modes, in the order run ("default", "tuned")
     * @param emulatorSpeed NPU4J_EMULATOR_SPEED in force for the emulated runtimes (1 = board timing), or
     *                      null when nothing ran emulated
     * @param runs          LLM runs of the whole prompt set per model and mode
     * @param warmup        LLM warm-up generations per model and mode (not counted)
     * @param maxNewTokens  generated tokens per LLM run at most
     * @param ignoreEos     whether the runs ignored the end-of-sequence token (exactly maxNewTokens each)
     * @param prompts       where the prompts came from
     * @param promptCount   prompts in the set
     * @param calls         engine calls per model, group and mode
     * @param warmupCalls   engine warm-up calls (not counted)
     */
    record Settings(List<String> modes, @Nullable String emulatorSpeed, int runs, int warmup, int maxNewTokens,
            boolean ignoreEos, String prompts, int promptCount, long calls, int warmupCalls) {}

    /**
     * What a tuning mode did to the host.
     *
     * @param mode        "default" (nothing) or "tuned"
     * @param applied     whether host changes were made (false: none needed, or no rights: dry run)
     * @param dryRun      true when the process was not allowed to write: the plan was reported only
     * @param changes     the changes made (or, in a dry run, planned), one line each
     * @param notes       the plan's notes (what was found, why nothing changed)
     * @param summary     one sentence for the report
     */
    record TuningOutcome(String mode, boolean applied, boolean dryRun, List<String> changes, List<String> notes,
            String summary) {}

    /**
     * One generation of an LLM run.
     *
     * @param run             run number (0-based; each run goes through the whole prompt set)
     * @param prompt          prompt number in the set
     * @param promptTokens    prompt tokens the runtime prefilled ({@code RKLLMPerfStat.prefill_tokens})
     * @param generatedTokens tokens delivered to the listener
     * @param ttftMs          time to first token, host clock (npu4j's {@code GenerationTimings})
     * @param prefillMs       prefill time, runtime's clock ({@code RKLLMPerfStat.prefill_time_ms})
     * @param prefillTokS     prefill throughput, runtime's clock
     * @param decodeTokS      decode throughput, runtime's clock ({@code generate_tokens / generate_time_ms})
     * @param hostDecodeTokS  decode throughput, host clock (tokens after the first over the time from the
     *                        first to the last)
     * @param outcome         finished or aborted
     */
    record LlmRun(int run, int prompt, int promptTokens, int generatedTokens, double ttftMs, double prefillMs,
            double prefillTokS, double decodeTokS, double hostDecodeTokS, String outcome) {}

    /**
     * One LLM in one tuning mode.
     *
     * @param mode            tuning mode
     * @param generations     generations measured (runs x prompts)
     * @param ttftMs          time to first token (ms, host clock)
     * @param prefillTokS     prefill tokens/s (runtime)
     * @param decodeTokS      decode tokens/s (runtime): the column of the published tables
     * @param hostDecodeTokS  decode tokens/s (host clock)
     * @param promptTokens    prompt tokens per generation
     * @param generatedTokens generated tokens per generation
     * @param peakRssKb       peak resident memory of this process during the mode (VmHWM, reset before),
     *                        or null where /proc is missing
     * @param runtimeMemoryMb memory the runtime reports ({@code RKLLMPerfStat.memory_usage_mb}; on an
     *                        emulator the profile's published figure)
     * @param emulation       how the emulator stood in for this mode, or empty
     * @param runs            every generation
     */
    record LlmMode(String mode, int generations, Summary ttftMs, Summary prefillTokS, Summary decodeTokS,
            Summary hostDecodeTokS, Summary promptTokens, Summary generatedTokens, @Nullable Long peakRssKb,
            double runtimeMemoryMb, String emulation, List<LlmRun> runs) {}

    /**
     * One LLM over every mode.
     *
     * @param model     the emulator profile or model file name
     * @param name      the model's name (the profile's {@code name}, or the file name)
     * @param quant     quantisation (W8A8, W4A16, ...) if known
     * @param source    the model file
     * @param emulator  whether the runtime was npu4j's emulator
     * @param runtime   the runtime library and ABI
     * @param modes     one entry per tuning mode
     * @param speedup   tuned over default decode tok/s, when both ran
     */
    record LlmResult(String model, String name, @Nullable String quant, String source, boolean emulator, String runtime,
            List<LlmMode> modes, @Nullable Double speedup) {

        String label() {
            String l = name.equals(model) ? model : name + ", " + model;
            return emulator ? l + EMULATOR : l;
        }

        @Nullable LlmMode mode(String m) {
            return modes.stream().filter(x -> x.mode().equals(m)).findFirst().orElse(null);
        }
    }

    /**
     * One engine model and shape group in one tuning mode.
     *
     * @param mode      tuning mode
     * @param calls     calls measured
     * @param callMs    one call (host to device, execute, device to host), ms, host clock around the call
     * @param stagesMs  the stages the API recorded ({@code host_to_device}, {@code execute},
     *                  {@code device_to_host}), ms
     * @param peakRssKb peak resident memory of this process during the mode, or null
     * @param emulation how the emulator stood in for this mode, or empty
     */
    record EngineMode(String mode, long calls, Summary callMs, Map<String, Summary> stagesMs, @Nullable Long peakRssKb,
            String emulation) {}

    /**
     * One engine model and shape group over every mode.
     *
     * @param model    the emulator profile or model file name
     * @param group    shape group index
     * @param groups   shape groups of the model
     * @param source   the model file
     * @param emulator whether the runtime was npu4j's emulator
     * @param runtime  the runtime library and version
     * @param modes    one entry per tuning mode
     * @param speedup  default over tuned mean execute time, when both ran
     */
    record EngineResult(String model, int group, int groups, String source, boolean emulator, String runtime,
            List<EngineMode> modes, @Nullable Double speedup) {

        String label() {
            String l = groups > 1 ? model + " [group " + group + "]" : model;
            return emulator ? l + EMULATOR : l;
        }

        @Nullable EngineMode mode(String m) {
            return modes.stream().filter(x -> x.mode().equals(m)).findFirst().orElse(null);
        }
    }

    // ------------------------------------------------------------------------------ Markdown

    /** The report as Markdown: the tables of the published form first, then the details. */
    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# npu4j bench\n\n");
        sb.append(String.format(Locale.ROOT, "Measured %s on %s %s, %d CPUs, Java %s (%s).%n", date, host.os(),
                host.arch(), host.cpus(), host.java(), tool));
        if (settings.emulatorSpeed() != null) {
            sb.append("Lines marked (emulator) come from npu4j's emulated runtimes, timed from published board"
                    + " measurements scaled by NPU4J_EMULATOR_SPEED=").append(settings.emulatorSpeed())
                    .append(" (1 = board timing); they are not measurements of an NPU.\n");
        }
        sb.append('\n');
        for (TuningOutcome t : tuning) {
            sb.append("- ").append(t.mode()).append(": ").append(t.summary()).append('\n');
        }
        sb.append('\n');
        if (!llm.isEmpty()) {
            llmTables(sb);
        }
        if (!engine.isEmpty()) {
            engineTables(sb);
        }
        return sb.toString();
    }

    private void llmTables(StringBuilder sb) {
        sb.append(String.format(Locale.ROOT, "## LLM decode%n%n%d run%s of %d prompts (%s), at most %d new tokens%s;"
                + " tok/s as the runtime measured it (RKLLMPerfStat), TTFT on the host clock.%n%n",
                settings.runs(), settings.runs() == 1 ? "" : "s", settings.promptCount(), settings.prompts(),
                settings.maxNewTokens(), settings.ignoreEos() ? " (end of sequence ignored)" : ""));
        sb.append("| model | quant | default tok/s | tuned tok/s | TTFT default -> tuned |\n");
        sb.append("|---|---|---|---|---|\n");
        for (LlmResult r : llm) {
            LlmMode d = r.mode("default");
            LlmMode t = r.mode("tuned");
            sb.append("| ").append(r.label()).append(" | ").append(r.quant() == null ? "—" : r.quant()).append(" | ")
                    .append(d == null ? "—" : tokS(d.decodeTokS().mean())).append(" | ")
                    .append(t == null ? "—" : tokS(t.decodeTokS().mean())).append(" | ")
                    .append(arrow(d == null ? null : d.ttftMs().mean(), t == null ? null : t.ttftMs().mean(),
                            BenchReport::ttft))
                    .append(" ms |\n");
        }
        sb.append('\n');
        for (LlmResult r : llm) {
            if (r.speedup() != null) {
                sb.append(String.format(Locale.ROOT, "Speedup tuned/default, decode: %s x%.2f%n", r.label(),
                        r.speedup()));
            }
        }
        for (LlmResult r : llm) {
            String em = r.emulator() ? EMULATOR : "";
            for (LlmMode m : r.modes()) {
                sb.append(String.format(Locale.ROOT, "%n### %s, %s: %d generations%n%n", r.label(), m.mode(),
                        m.generations()));
                if (!m.emulation().isEmpty()) {
                    sb.append(m.emulation()).append("\n\n");
                }
                sb.append("| metric | mean | min | max | p50 | p90 | p99 |\n|---|---|---|---|---|---|---|\n");
                row(sb, "TTFT ms" + em, m.ttftMs(), "%.1f");
                row(sb, "prefill tok/s (runtime)" + em, m.prefillTokS(), "%.2f");
                row(sb, "decode tok/s (runtime)" + em, m.decodeTokS(), "%.2f");
                row(sb, "decode tok/s (host clock)" + em, m.hostDecodeTokS(), "%.2f");
                row(sb, "prompt tokens" + em, m.promptTokens(), "%.0f");
                row(sb, "generated tokens" + em, m.generatedTokens(), "%.0f");
                sb.append('\n');
                sb.append(String.format(Locale.ROOT, "Peak RSS of the process (VmHWM): %s; memory the runtime"
                        + " reports: %.0f MB%s.%n", rss(m.peakRssKb()), m.runtimeMemoryMb(),
                        r.emulator() ? ", the profile's published figure" + EMULATOR : ""));
            }
        }
        sb.append('\n');
    }

    private void engineTables(StringBuilder sb) {
        sb.append(String.format(Locale.ROOT, "## Engine calls%n%n%d calls per model and mode (after %d warm-up"
                + " calls) on one reused IO binding. ms/call is the mean of the execute stage"
                + " (axclrtEngineExecute), what the published single-call figures time; the whole call, with the"
                + " copies of the inputs and outputs over PCIe, is in the details.%n%n", settings.calls(),
                settings.warmupCalls()));
        sb.append("| model | default ms/call | tuned ms/call | whole call default -> tuned (ms) |\n|---|---|---|---|\n");
        for (EngineResult r : engine) {
            EngineMode d = r.mode("default");
            EngineMode t = r.mode("tuned");
            sb.append("| ").append(r.label()).append(" | ").append(d == null ? "—" : ms(execute(d).mean()))
                    .append(" | ").append(t == null ? "—" : ms(execute(t).mean())).append(" | ")
                    .append(arrow(d == null ? null : d.callMs().mean(), t == null ? null : t.callMs().mean(),
                            BenchReport::ms))
                    .append(" |\n");
        }
        sb.append('\n');
        for (EngineResult r : engine) {
            if (r.speedup() != null) {
                sb.append(String.format(Locale.ROOT, "Speedup default/tuned, execute: %s x%.2f%n", r.label(),
                        r.speedup()));
            }
        }
        for (EngineResult r : engine) {
            String em = r.emulator() ? EMULATOR : "";
            for (EngineMode m : r.modes()) {
                sb.append(String.format(Locale.ROOT, "%n### %s, %s: %d calls%n%n", r.label(), m.mode(), m.calls()));
                if (!m.emulation().isEmpty()) {
                    sb.append(m.emulation()).append("\n\n");
                }
                sb.append("| ms | mean | p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|---|---|\n");
                pctRow(sb, "call" + em, m.callMs());
                for (Map.Entry<String, Summary> e : m.stagesMs().entrySet()) {
                    pctRow(sb, e.getKey() + em, e.getValue());
                }
                sb.append('\n').append("Peak RSS of the process (VmHWM): ").append(rss(m.peakRssKb())).append(em)
                        .append(".\n");
            }
        }
    }

    private static Summary execute(EngineMode m) {
        return m.stagesMs().getOrDefault("execute", Summary.EMPTY);
    }

    private static void row(StringBuilder sb, String label, Summary s, String fmt) {
        sb.append("| ").append(label);
        for (double v : new double[] {s.mean(), s.min(), s.max(), s.p50(), s.p90(), s.p99()}) {
            sb.append(" | ").append(String.format(Locale.ROOT, fmt, v));
        }
        sb.append(" |\n");
    }

    private static void pctRow(StringBuilder sb, String label, Summary s) {
        sb.append("| ").append(label);
        for (double v : new double[] {s.mean(), s.p50(), s.p90(), s.p99(), s.p999(), s.max()}) {
            sb.append(" | ").append(ms(v));
        }
        sb.append(" |\n");
    }

    static String tokS(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String ms(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    static String ttft(double v) {
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.1f", v);
    }

    private static String arrow(@Nullable Double a, @Nullable Double b, Function<Double, String> fmt) {
        if (a != null && b != null) {
            return fmt.apply(a) + " -> " + fmt.apply(b);
        }
        return a != null ? fmt.apply(a) : b != null ? "— -> " + fmt.apply(b) : "—";
    }

    private static String rss(@Nullable Long kb) {
        return kb == null ? "not available (no /proc)" : String.format(Locale.ROOT, "%.0f MB", kb / 1024.0);
    }
}
