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
     * @param promptTokens  the prompt length the prompts were fitted to where a model can count its prompt's
     *                      tokens (AXCL), or 0 to keep them as written
     * @param kvStrategy    AX650N: how new K/V rows reach the cache ({@code copy}, the default, or {@code bind})
     * @param vendor        whether emulated AX650N packages were also run through the vendor-pattern driver
     * @param catchUp       NPU4J_EMULATOR_CATCH_UP in force for the emulated runtimes, or null
     */
    record Settings(List<String> modes, @Nullable String emulatorSpeed, int runs, int warmup, int maxNewTokens,
            boolean ignoreEos, String prompts, int promptCount, long calls, int warmupCalls, int promptTokens,
            String kvStrategy, boolean vendor, @Nullable String catchUp) {}

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
     * @param calls           the engine calls of the generation per step, or null where the backend does not
     *                        count them (RKLLM)
     */
    record LlmRun(int run, int prompt, int promptTokens, int generatedTokens, double ttftMs, double prefillMs,
            double prefillTokS, double decodeTokS, double hostDecodeTokS, String outcome, @Nullable Calls calls) {}

    /**
     * Runtime calls per step, averaged over steps ({@code org.npu4j.llm.EngineCalls}): per decoded token
     * and per prefill step (a chunk); -1 where there was no such step. "Transfers" are every call
     * other than executes that reaches the device (copies of every direction, memsets); binds
     * ({@code axclrtEngineSet*BufferByIndex}) stay on the host.
     */
    record Calls(double executesPerToken, double transfersPerToken, double bindsPerToken, double executesPerChunk,
            double transfersPerChunk, double bindsPerChunk) {

        static @Nullable Calls of(org.npu4j.llm.EngineCalls c) {
            if (!c.known()) {
                return null;
            }
            return new Calls(or(c.executesPerToken()), or(c.transfersPerToken()), or(c.hostOnlyPerToken()),
                    or(c.executesPerPrefillStep()), or(c.transfersPerPrefillStep()), or(c.hostOnlyPerPrefillStep()));
        }

        private static double or(double v) {
            return Double.isNaN(v) ? -1 : v;
        }

        /** "29 + 60, 0 binds": executes + transfers per decoded token, binds apart. */
        String perToken() {
            return num(executesPerToken) + " + " + num(transfersPerToken) + ", " + num(bindsPerToken) + " binds";
        }

        String perChunk() {
            return num(executesPerChunk) + " + " + num(transfersPerChunk) + ", " + num(bindsPerChunk) + " binds";
        }

        private static String num(double v) {
            if (v < 0) {
                return "—";
            }
            return Math.abs(v - Math.rint(v)) < 0.005 ? String.format(Locale.ROOT, "%.0f", v)
                    : String.format(Locale.ROOT, "%.2f", v);
        }
    }

    /**
     * The vendor-pattern driver's runs of one mode (emulated AX650N packages only).
     *
     * @param driver        the driver's name ({@code axllm_vendor_bench})
     * @param pattern       the call pattern it replays
     * @param source        where its figures come from (the emulator's cost model)
     * @param command       the command line it ran with
     * @param timing        the emulator's timing profile ("default" or "tuned")
     * @param link          the emulated link
     * @param catchUp       whether late wake-ups were caught up (as on npu4j's side)
     * @param generations   generations measured
     * @param promptTokens  prompt tokens per generation (mean)
     * @param decodeTokens  tokens fed per generation (npu4j's decode steps)
     * @param ttftMs        time to first token: the prefill call, embedding rows to the first sampled token
     * @param decodeTokS    tokens fed per second of the decode loop
     * @param calls         AXCL calls per decoded token and per prefill chunk (the emulator's counters)
     */
    record Vendor(String driver, String pattern, String source, String command, String timing, String link,
            boolean catchUp, int generations, int promptTokens, int decodeTokens, Summary ttftMs, Summary decodeTokS,
            Calls calls) {}

    /**
     * npu4j against the vendor pattern in one mode, mean against mean.
     *
     * @param decodeRatio   npu4j's decode tok/s on the host clock (decode steps from the first to the last
     *                      token: what the driver times) over the driver's
     * @param ttftRatio     npu4j's TTFT (host clock, tokenizing included) over the driver's
     * @param decodeTarget  the target for decodeRatio in this mode (1.4 default, 1.25 tuned)
     */
    record Comparison(double decodeRatio, double ttftRatio, double decodeTarget) {
        boolean decodeMet() {
            return decodeRatio >= decodeTarget;
        }

        boolean ttftMet() {
            return ttftRatio < 1;
        }
    }

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
     * @param calls           engine calls per step over every generation, or null where not counted
     * @param vendor          the vendor-pattern driver's runs of this mode, or null
     * @param comparison      npu4j over the vendor pattern, or null without the vendor's runs
     * @param runs            every generation
     */
    record LlmMode(String mode, int generations, Summary ttftMs, Summary prefillTokS, Summary decodeTokS,
            Summary hostDecodeTokS, Summary promptTokens, Summary generatedTokens, @Nullable Long peakRssKb,
            double runtimeMemoryMb, String emulation, @Nullable Calls calls, @Nullable Vendor vendor,
            @Nullable Comparison comparison, List<LlmRun> runs) {

        /** This mode with the vendor's runs beside it, and the ratios. */
        LlmMode withVendor(Vendor v) {
            double target = mode.equals("tuned") ? 1.25 : 1.4;
            Comparison c = new Comparison(v.decodeTokS().mean() > 0 ? hostDecodeTokS.mean() / v.decodeTokS().mean() : 0,
                    v.ttftMs().mean() > 0 ? ttftMs.mean() / v.ttftMs().mean() : 0, target);
            return new LlmMode(mode, generations, ttftMs, prefillTokS, decodeTokS, hostDecodeTokS, promptTokens,
                    generatedTokens, peakRssKb, runtimeMemoryMb, emulation, calls, v, c, runs);
        }
    }

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
     * @param backend   the LLM API's backend ("rkllm", "axcl")
     * @param eosIgnored whether the model honoured ignore_eos (every run to the token limit)
     */
    record LlmResult(String model, String name, @Nullable String quant, String source, boolean emulator, String runtime,
            List<LlmMode> modes, @Nullable Double speedup, String backend, boolean eosIgnored) {

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
        sb.append(String.format(Locale.ROOT, "## LLM decode%n%n%d run%s of %d prompts (%s%s), at most %d new tokens%s,"
                + " every prompt prefilled from an empty KV cache; tok/s as the backend measured it (PerfStats: RKLLM's"
                + " RKLLMPerfStat, the AXCL runner's decode loop), TTFT on the host clock. Engine calls per decoded"
                + " token: executes + other calls that reach the device (copies, memsets), binds apart (they stay"
                + " on the host); counted by npu4j where it drives the model step by step (AXCL).%n%n",
                settings.runs(), settings.runs() == 1 ? "" : "s", settings.promptCount(), settings.prompts(),
                settings.promptTokens() > 0 ? ", fitted to " + settings.promptTokens() + " prompt tokens where the"
                        + " model counts them" : "",
                settings.maxNewTokens(), settings.ignoreEos() ? " (end of sequence ignored)" : ""));
        sb.append("| model | quant | default tok/s | tuned tok/s | TTFT default -> tuned | engine calls per token |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (LlmResult r : llm) {
            LlmMode d = r.mode("default");
            LlmMode t = r.mode("tuned");
            LlmMode any = d != null ? d : t;
            sb.append("| ").append(r.label()).append(" | ").append(r.quant() == null ? "—" : r.quant()).append(" | ")
                    .append(d == null ? "—" : tokS(d.decodeTokS().mean())).append(" | ")
                    .append(t == null ? "—" : tokS(t.decodeTokS().mean())).append(" | ")
                    .append(arrow(d == null ? null : d.ttftMs().mean(), t == null ? null : t.ttftMs().mean(),
                            BenchReport::ttft))
                    .append(" ms | ").append(any == null || any.calls() == null ? "—" : any.calls().perToken())
                    .append(" |\n");
            Vendor vd = d == null ? null : d.vendor();
            Vendor vt = t == null ? null : t.vendor();
            Vendor va = vd != null ? vd : vt;
            if (va != null) {
                sb.append("| ").append(va.driver()).append(": ").append(r.name()).append(", vendor pattern")
                        .append(EMULATOR).append(" | ").append(r.quant() == null ? "—" : r.quant()).append(" | ")
                        .append(vd == null ? "—" : tokS(vd.decodeTokS().mean())).append(" | ")
                        .append(vt == null ? "—" : tokS(vt.decodeTokS().mean())).append(" | ")
                        .append(arrow(vd == null ? null : vd.ttftMs().mean(), vt == null ? null : vt.ttftMs().mean(),
                                BenchReport::ttft))
                        .append(" ms | ").append(va.calls().perToken()).append(" |\n");
            }
        }
        sb.append('\n');
        for (LlmResult r : llm) {
            if (r.speedup() != null) {
                sb.append(String.format(Locale.ROOT, "Speedup tuned/default, decode: %s x%.2f%n", r.label(),
                        r.speedup()));
            }
        }
        vendorTables(sb);
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
                row(sb, "prefill tok/s (backend)" + em, m.prefillTokS(), "%.2f");
                row(sb, "decode tok/s (backend)" + em, m.decodeTokS(), "%.2f");
                row(sb, "decode tok/s (host clock)" + em, m.hostDecodeTokS(), "%.2f");
                row(sb, "prompt tokens" + em, m.promptTokens(), "%.0f");
                row(sb, "generated tokens" + em, m.generatedTokens(), "%.0f");
                if (m.vendor() != null) {
                    Vendor v = m.vendor();
                    row(sb, "vendor pattern: TTFT ms" + EMULATOR, v.ttftMs(), "%.1f");
                    row(sb, "vendor pattern: decode tok/s" + EMULATOR, v.decodeTokS(), "%.2f");
                }
                sb.append('\n');
                if (m.calls() != null) {
                    sb.append("Engine calls (executes + transfers, binds): per decoded token ").append(m.calls().perToken())
                            .append("; per prefill chunk ").append(m.calls().perChunk()).append(em).append(".\n");
                }
                if (m.vendor() != null) {
                    sb.append("Vendor pattern (").append(m.vendor().pattern()).append("): per decoded token ")
                            .append(m.vendor().calls().perToken()).append("; per prefill chunk ")
                            .append(m.vendor().calls().perChunk()).append(EMULATOR).append(". Command: `")
                            .append(m.vendor().command()).append("`\n");
                }
                sb.append(String.format(Locale.ROOT, "Peak RSS of the process (VmHWM): %s; memory the backend"
                        + " reports: %.0f MB%s.%n", rss(m.peakRssKb()), m.runtimeMemoryMb(),
                        r.emulator() ? ", the profile's published figure" + EMULATOR : ""));
            }
        }
        sb.append('\n');
    }

    /** npu4j against the vendor's call pattern, where the driver ran (emulated AX650N packages). */
    private void vendorTables(StringBuilder sb) {
        boolean any = llm.stream().anyMatch(r -> r.modes().stream().anyMatch(m -> m.vendor() != null));
        if (!any) {
            return;
        }
        sb.append(String.format(Locale.ROOT, "%n## AX650N: npu4j against the vendor's call pattern (emulator)%n%n"
                + "Figures from the cost model of npu4j's emulated AXCL runtime (calibrated to the published CM3588"
                + " rows, shared/facts/boards.md), not from hardware. Both sides ran in this run on the same emulated"
                + " package, prompts (the token ids npu4j prefilled), decode steps, warm-up, NPU4J_EMULATOR_SPEED=%s"
                + " and NPU4J_EMULATOR_CATCH_UP=%s; tuned = the emulator's tuned device profile"
                + " (NPU4J_EMULATOR_AXCL_PROFILE=tuned; the driver's --timing tuned). Decode tok/s of npu4j on the"
                + " host clock (decode steps from the first to the last token, sampling included), TTFT of npu4j from"
                + " the request (tokenizing included); the driver times its decode loop and its prefill call.%n%n",
                settings.emulatorSpeed(), settings.catchUp()));
        sb.append("| model and mode | npu4j tok/s | vendor tok/s | npu4j/vendor | target | npu4j TTFT ms | vendor TTFT ms"
                + " | npu4j/vendor | target |\n|---|---|---|---|---|---|---|---|---|\n");
        for (LlmResult r : llm) {
            for (LlmMode m : r.modes()) {
                Vendor v = m.vendor();
                Comparison c = m.comparison();
                if (v == null || c == null) {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "| %s, %s (emulator), %.0f prompt tokens | %.2f | %.2f | x%.2f |"
                        + " >= %.2f: %s | %s | %s | %.2f | < 1: %s |%n", r.name(), m.mode(), m.promptTokens().mean(),
                        m.hostDecodeTokS().mean(), v.decodeTokS().mean(), c.decodeRatio(), c.decodeTarget(),
                        c.decodeMet() ? "met" : "NOT met", ttft(m.ttftMs().mean()), ttft(v.ttftMs().mean()),
                        c.ttftRatio(), c.ttftMet() ? "met" : "NOT met"));
            }
        }
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
