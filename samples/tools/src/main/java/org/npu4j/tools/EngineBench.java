package org.npu4j.tools;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.jspecify.annotations.Nullable;
import org.npu4j.axcl.AxBinding;
import org.npu4j.axcl.AxModel;
import org.npu4j.axcl.AxSession;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.metrics.Stage;

/**
 * The engine runs of {@code npu4j bench} for one AXCL model, shape group and tuning mode: one session
 * and one IO binding (buffers bound once, inputs zeroed), warm-up calls, then {@code calls} calls of
 * {@link AxBinding#run()}, each timed on the host clock around the call; the API records the stages
 * (host to device, execute, device to host) into the model's latency recorder. Not thread-safe.
 */
final class EngineBench {
    private static final List<Stage> STAGES = List.of(Stage.HOST_TO_DEVICE, Stage.EXECUTE, Stage.DEVICE_TO_HOST);

    private EngineBench() {}

    /**
     * Runs and measures.
     *
     * @param hlog where to write this mode's histograms (the call and its stages), or null
     * @param tag  prefix of the interval log tags
     */
    static BenchReport.EngineMode run(AxModel model, int group, long calls, int warmupCalls, String mode,
            String emulation, String label, Progress progress, @Nullable HistogramLogWriter hlog, String tag) {
        try (AxSession session = model.newSession(); AxBinding io = session.bind(group)) {
            for (int i = 0; i < io.shapeGroup().inputs().size(); i++) {
                io.input(i).fill((byte) 0);
            }
            progress.start(label + " " + mode, warmupCalls + calls, "calls");
            for (int w = 0; w < warmupCalls; w++) {
                io.run();
                progress.step();
            }
            model.latency().snapshot(); // the warm-up interval is not this mode's
            boolean peakReset = ProcessMemory.resetPeak();
            Histogram perCall = new Histogram(3);
            perCall.setStartTimeStamp(System.currentTimeMillis());
            for (long c = 0; c < calls; c++) {
                long t0 = System.nanoTime();
                io.run();
                perCall.recordValue(System.nanoTime() - t0);
                progress.step();
            }
            perCall.setEndTimeStamp(System.currentTimeMillis());
            progress.close();
            OptionalLong peak = ProcessMemory.peakRssKb();
            LatencySnapshot s = model.latency().snapshot();
            Map<String, Summary> stages = new LinkedHashMap<>();
            for (Stage st : STAGES) {
                stages.put(st.tag(), Summary.of(s.interval().get(st), 1e6));
            }
            if (hlog != null) {
                s.writeInterval(hlog, tag);
                perCall.setTag(tag.replaceAll("[\\s,]", "_") + "call");
                hlog.outputIntervalHistogram(perCall);
            }
            return new BenchReport.EngineMode(mode, calls, Summary.of(perCall, 1e6), stages,
                    peak.isPresent() && peakReset ? Long.valueOf(peak.getAsLong()) : null, emulation);
        }
    }
}
