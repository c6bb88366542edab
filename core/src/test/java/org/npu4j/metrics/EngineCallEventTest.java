package org.npu4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.Emulator;
import org.npu4j.axcl.AxBinding;
import org.npu4j.axcl.AxModel;
import org.npu4j.axcl.AxSession;
import org.npu4j.axcl.AxclRuntime;

/**
 * The JFR event of an engine call mirrors what the model's {@link LatencyRecorder} got: a recording
 * ({@link Recording}) around calls on the emulated AXCL runtime, read back with {@link RecordingFile}.
 */
class EngineCallEventTest {
    @TempDir
    Path dir;

    @Test
    void eachCallIsOneEventWithTheRecordedStages() throws Exception {
        Path file = dir.resolve("engine.jfr");
        int calls = 4;
        LatencySnapshot[] snapshots = new LatencySnapshot[calls];
        try (AxclRuntime axcl = AxclRuntime.acquire(AxclRuntime.Options.emulator());
             AxModel model = axcl.device().load(Emulator.model("axcl", "mobilenetv2.model"));
             AxSession session = model.newSession();
             AxBinding io = session.bind()) {
            io.run(); // not recorded
            model.latency().snapshot();
            try (Recording recording = new Recording()) {
                recording.enable("org.npu4j.EngineCall").withThreshold(Duration.ZERO);
                recording.start();
                for (int i = 0; i < calls; i++) {
                    io.run();
                    snapshots[i] = model.latency().snapshot();
                }
                recording.stop();
                recording.dump(file);
            }
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("org.npu4j.EngineCall")).toList();
        assertEquals(calls, events.size(), events.toString());
        for (int i = 0; i < calls; i++) {
            RecordedEvent e = events.get(i);
            LatencySnapshot s = snapshots[i];
            assertEquals(224L * 224 * 3, e.getLong("bytesIn"), "mobilenetv2: uint8 1x224x224x3 in");
            assertEquals(1000L * 4, e.getLong("bytesOut"), "fp32 1x1000 out");
            long sum = 0;
            for (var stage : List.of(new Object[] {Stage.HOST_TO_DEVICE, "hostToDevice"},
                    new Object[] {Stage.EXECUTE, "execute"}, new Object[] {Stage.DEVICE_TO_HOST, "deviceToHost"})) {
                Histogram h = s.interval().get((Stage) stage[0]);
                long nanos = e.getDuration((String) stage[1]).toNanos();
                assertEquals(1, h.getTotalCount(), "one call in the interval");
                assertTrue(h.valuesAreEquivalent(h.getMaxValue(), nanos),
                        stage[1] + ": the event says " + nanos + " ns, the recorder " + h.getMaxValue());
                sum += nanos;
            }
            assertTrue(e.getDuration().toNanos() >= sum, "the event spans the three stages");
        }
    }
}
