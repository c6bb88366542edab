package org.npu4j.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.HdrHistogram.HistogramLogWriter;
import org.jspecify.annotations.Nullable;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.rkllm.GenerationListener;
import org.npu4j.rkllm.GenerationRequest;
import org.npu4j.rkllm.GenerationResult;
import org.npu4j.rkllm.RkllmModel;

/**
 * The LLM runs of {@code npu4j bench} for one model in one tuning mode: warm-up generations, then
 * {@code runs} passes over the prompt set, each generation measured by the RKLLM API (host clock,
 * {@code GenerationTimings}) and by the runtime ({@code RKLLMPerfStat}). Not thread-safe.
 */
final class LlmBench {
    private LlmBench() {}

    /**
     * Runs and measures.
     *
     * @param hlog      where to write the model's latency histograms of this mode (interval log), or null
     * @param emulation the note on how the emulator stood in for this mode (empty if none)
     */
    static BenchReport.LlmMode run(RkllmModel model, BenchPrompts prompts, int runs, int warmup, String mode,
            String emulation, Progress progress, @Nullable HistogramLogWriter hlog, String tag) {
        progress.start(model.name() + " " + mode, (long) warmup + (long) runs * prompts.size(), "gen");
        for (int w = 0; w < warmup; w++) {
            model.generate(GenerationRequest.prompt(prompts.get(w)), GenerationListener.NONE);
            progress.step();
        }
        model.latency().snapshot(); // the warm-up interval is not this mode's
        boolean peakReset = ProcessMemory.resetPeak();
        List<BenchReport.LlmRun> all = new ArrayList<>();
        int n = runs * prompts.size();
        double[] ttft = new double[n];
        double[] prefill = new double[n];
        double[] decode = new double[n];
        double[] hostDecode = new double[n];
        double[] promptTokens = new double[n];
        double[] generated = new double[n];
        double memory = 0;
        int i = 0;
        for (int run = 0; run < runs; run++) {
            for (int p = 0; p < prompts.size(); p++, i++) {
                GenerationResult r = model.generate(GenerationRequest.prompt(prompts.get(p)), GenerationListener.NONE);
                double ttftMs = r.timings().ttftNanos() < 0 ? -1 : r.timings().ttftNanos() / 1e6;
                BenchReport.LlmRun one = new BenchReport.LlmRun(run, p, r.perf().prefillTokens(), r.tokenCount(), ttftMs,
                        r.perf().prefillTimeMs(), r.perf().prefillTokensPerSecond(), r.perf().decodeTokensPerSecond(),
                        r.timings().decodeTokensPerSecond(), r.outcome().name().toLowerCase(java.util.Locale.ROOT));
                all.add(one);
                ttft[i] = ttftMs;
                prefill[i] = one.prefillTokS();
                decode[i] = one.decodeTokS();
                hostDecode[i] = one.hostDecodeTokS();
                promptTokens[i] = one.promptTokens();
                generated[i] = one.generatedTokens();
                memory = Math.max(memory, r.perf().memoryUsageMb());
                progress.step();
            }
        }
        progress.close();
        OptionalLong peak = ProcessMemory.peakRssKb();
        LatencySnapshot snapshot = model.latency().snapshot();
        if (hlog != null) {
            snapshot.writeInterval(hlog, tag);
        }
        return new BenchReport.LlmMode(mode, n, Summary.of(ttft), Summary.of(prefill), Summary.of(decode),
                Summary.of(hostDecode), Summary.of(promptTokens), Summary.of(generated),
                peak.isPresent() && peakReset ? Long.valueOf(peak.getAsLong()) : null, memory, emulation, all);
    }
}
