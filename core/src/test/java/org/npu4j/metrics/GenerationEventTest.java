package org.npu4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.Emulator;
import org.npu4j.rkllm.GenerationListener;
import org.npu4j.rkllm.GenerationRequest;
import org.npu4j.rkllm.GenerationResult;
import org.npu4j.rkllm.RkllmAbi;
import org.npu4j.rkllm.RkllmModel;
import org.npu4j.rkllm.RkllmRuntime;

/**
 * The JFR event of a generation mirrors what the model's {@link LatencyRecorder} and the result
 * carry: a recording ({@link Recording}) around generations on the emulated RKLLM runtime, read back
 * with {@link RecordingFile}.
 */
class GenerationEventTest {
    @TempDir
    Path dir;

    @Test
    void eachGenerationIsOneEventWithTheRecordedNumbers() throws Exception {
        try (RkllmModel model = RkllmModel.builder(Emulator.model("rkllm", "rk3588-qwen3-0.6b-w8a8.model"))
                .runtime(RkllmRuntime.emulator(RkllmAbi.V1_3)).name("qwen3-jfr").maxNewTokens(40).load()) {
            model.generate("warm-up, not recorded");
            model.latency().snapshot();
            Path file = dir.resolve("generation.jfr");
            GenerationResult[] results = new GenerationResult[3];
            LatencySnapshot[] snapshots = new LatencySnapshot[3];
            try (Recording recording = new Recording()) {
                recording.enable("org.npu4j.Generation");
                recording.start();
                for (int i = 0; i < results.length; i++) {
                    results[i] = model.generate(GenerationRequest.prompt("Question " + i + " about NPUs"),
                            GenerationListener.NONE);
                    snapshots[i] = model.latency().snapshot();
                }
                recording.stop();
                recording.dump(file);
            }
            model.generate("after the recording: no event");

            List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("org.npu4j.Generation")).toList();
            assertEquals(results.length, events.size(), events.toString());
            for (int i = 0; i < results.length; i++) {
                RecordedEvent e = events.get(i);
                GenerationResult r = results[i];
                LatencySnapshot s = snapshots[i];
                assertEquals("qwen3-jfr", e.getString("model"));
                assertEquals("finished", e.getString("outcome"));
                assertEquals(r.tokenCount(), e.getInt("generatedTokens"));
                assertEquals(r.perf().prefillTokens(), e.getInt("promptTokens"));
                assertEquals(r.timings().ttftNanos(), e.getDuration("ttft").toNanos());
                assertEquals((long) (r.perf().prefillTimeMs() * 1e6), e.getDuration("prefill").toNanos());
                assertEquals(r.timings().decodeTokensPerSecond(), e.getDouble("decodeTokensPerSecond"), 1e-9);
                assertEquals(791L * 1024 * 1024, e.getLong("memoryBytes"), "the profile's memory_mb");
                // The recorder got the same run: one TTFT (3 significant digits), one value per token gap.
                assertEquals(1, s.interval().get(Stage.TTFT).getTotalCount());
                assertTrue(s.interval().get(Stage.TTFT).valuesAreEquivalent(
                        s.interval().get(Stage.TTFT).getMaxValue(), r.timings().ttftNanos()));
                assertEquals(r.tokenCount() - 1, s.interval().get(Stage.INTER_TOKEN).getTotalCount());
                assertEquals(1, s.interval().get(Stage.GENERATION).getTotalCount());
                assertTrue(e.getDuration().toNanos() >= e.getDuration("ttft").toNanos(),
                        "the event spans the generation, TTFT included");
            }
        }
    }
}
