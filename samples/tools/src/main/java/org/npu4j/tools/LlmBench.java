package org.npu4j.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import org.HdrHistogram.HistogramLogWriter;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.ChatMessage;
import org.npu4j.llm.Completion;
import org.npu4j.llm.EngineCalls;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LlmRequest;
import org.npu4j.metrics.LatencySnapshot;

/**
 * The LLM runs of {@code npu4j bench} for one model in one tuning mode, on any backend of the LLM API
 * ({@link LanguageModel}): warm-up generations, then {@code runs} passes over the prompt set, each a
 * cold prefill ({@link LlmRequest#reuseCache()} false: nothing of the previous prompt is reused) of
 * one user turn, measured by the host clock ({@code GenerationTimings}), by the backend
 * ({@code PerfStats}) and, where the backend drives the model step by step, by its engine call counts
 * ({@link EngineCalls}). Not thread-safe.
 */
final class LlmBench {
    private LlmBench() {}

    /** The request of one measured generation. */
    static LlmRequest request(String prompt, int maxNewTokens) {
        return LlmRequest.builder().message(ChatMessage.user(prompt)).maxNewTokens(maxNewTokens).reuseCache(false)
                .build();
    }

    /**
     * Runs and measures.
     *
     * @param prompts   the prompts, already shaped to the bench's prompt length where the model can tell
     * @param hlog      where to write the model's latency histograms of this mode (interval log), or null
     * @param emulation the note on how the emulator stood in for this mode (empty if none)
     */
    static BenchReport.LlmMode run(LanguageModel model, List<String> prompts, int runs, int warmup, int maxNewTokens,
            String mode, String emulation, Progress progress, @Nullable HistogramLogWriter hlog, String tag) {
        progress.start(model.name() + " " + mode, (long) warmup + (long) runs * prompts.size(), "gen");
        for (int w = 0; w < warmup; w++) {
            model.generate(request(prompts.get(w % prompts.size()), maxNewTokens));
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
        CallTotals calls = new CallTotals();
        double memory = 0;
        int i = 0;
        for (int run = 0; run < runs; run++) {
            for (int p = 0; p < prompts.size(); p++, i++) {
                Completion r = model.generate(request(prompts.get(p), maxNewTokens));
                double ttftMs = r.timings().ttftNanos() < 0 ? -1 : r.timings().ttftNanos() / 1e6;
                EngineCalls ec = r.perf().engineCalls();
                calls.add(ec);
                BenchReport.LlmRun one = new BenchReport.LlmRun(run, p, r.promptTokens(), r.tokenCount(), ttftMs,
                        r.perf().prefillTimeMs(), r.perf().prefillTokensPerSecond(), r.perf().decodeTokensPerSecond(),
                        r.timings().decodeTokensPerSecond(), r.outcome().name().toLowerCase(Locale.ROOT),
                        BenchReport.Calls.of(ec));
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
                peak.isPresent() && peakReset ? Long.valueOf(peak.getAsLong()) : null, memory, emulation,
                calls.total(), null, null, all);
    }

    /** The engine calls of several runs added up, per decode and per prefill step of them all. */
    static final class CallTotals {
        private boolean known = true;
        private int runs;
        private long prefillSteps;
        private long prefillExecutes;
        private long prefillTransfers;
        private long prefillHostOnly;
        private long decodeSteps;
        private long decodeExecutes;
        private long decodeTransfers;
        private long decodeHostOnly;

        void add(EngineCalls c) {
            runs++;
            if (!c.known()) {
                known = false;
                return;
            }
            prefillSteps += c.prefillSteps();
            prefillExecutes += c.prefillExecutes();
            prefillTransfers += c.prefillTransfers();
            prefillHostOnly += c.prefillHostOnly();
            decodeSteps += c.decodeSteps();
            decodeExecutes += c.decodeExecutes();
            decodeTransfers += c.decodeTransfers();
            decodeHostOnly += c.decodeHostOnly();
        }

        /** Per step of all the runs, or null if a run's backend did not count (or there was no run). */
        BenchReport.@Nullable Calls total() {
            if (!known || runs == 0) {
                return null;
            }
            return new BenchReport.Calls(per(decodeExecutes, decodeSteps), per(decodeTransfers, decodeSteps),
                    per(decodeHostOnly, decodeSteps), per(prefillExecutes, prefillSteps),
                    per(prefillTransfers, prefillSteps), per(prefillHostOnly, prefillSteps));
        }

        private static double per(long calls, long steps) {
            return steps > 0 ? (double) calls / steps : -1;
        }
    }
}
