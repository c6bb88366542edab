package org.npu4j.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;

class LatencyRecorderTest {

    @Test
    void snapshotsSplitIntervalsAndKeepTheRunningTotal() {
        LatencyRecorder r = new LatencyRecorder("m");
        for (int i = 1; i <= 100; i++) {
            r.record(Stage.EXECUTE, i * 1_000_000L);
        }
        LatencySnapshot first = r.snapshot();
        assertEquals(100, first.interval().get(Stage.EXECUTE).getTotalCount());
        assertEquals(50_000_000L, first.percentileNanos(Stage.EXECUTE, 50), 50_000_000L * 0.001);

        r.record(Stage.EXECUTE, 500_000_000L);
        LatencySnapshot second = r.snapshot();
        assertEquals(1, second.interval().get(Stage.EXECUTE).getTotalCount());
        assertEquals(101, second.count(Stage.EXECUTE));
        assertEquals(0, second.count(Stage.TTFT));
    }

    @Test
    void concurrentWritersLoseNothing() throws Exception {
        LatencyRecorder r = new LatencyRecorder("m");
        int threads = 4;
        int perThread = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = 0; i < perThread; i++) {
                    r.record(Stage.INTER_TOKEN, 1000 + i);
                }
            }));
        }
        start.countDown();
        long seen = 0;
        for (Thread w : workers) {
            seen += r.snapshot().interval().get(Stage.INTER_TOKEN).getTotalCount();
            w.join();
        }
        LatencySnapshot last = r.snapshot();
        seen += last.interval().get(Stage.INTER_TOKEN).getTotalCount();
        assertEquals((long) threads * perThread, seen);
        assertEquals((long) threads * perThread, last.count(Stage.INTER_TOKEN));
    }

    @Test
    void coordinatedOmissionCorrectionAddsTheDelayedCalls() {
        LatencyRecorder r = new LatencyRecorder("m");
        r.record(Stage.EXECUTE, 10_000_000L, 1_000_000L);
        assertEquals(10, r.snapshot().count(Stage.EXECUTE));
    }

    @Test
    void exportsCarryTheRecordedValues() throws Exception {
        LatencyRecorder r = new LatencyRecorder("yolo11s,640");
        r.record(Stage.HOST_TO_DEVICE, 300_000);
        r.record(Stage.EXECUTE, 3_550_000);
        LatencySnapshot s = r.snapshot();

        String table = s.percentileTable();
        assertTrue(table.contains("execute"), table);
        assertTrue(table.contains("3.55"), table);
        assertTrue(!table.contains("ttft"), "stages without values are left out: " + table);

        List<String> csv = s.csv().lines().toList();
        assertEquals("name,stage,count,mean_ns,p50_ns,p90_ns,p99_ns,p99_9_ns,max_ns", csv.get(0));
        assertEquals(3, csv.size());
        assertTrue(csv.get(1).startsWith("\"yolo11s,640\",host_to_device,1,"), csv.get(1));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        s.writeIntervalLog(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        HistogramLogReader reader = new HistogramLogReader(new ByteArrayInputStream(bytes.toByteArray()));
        List<String> tags = new ArrayList<>();
        long total = 0;
        EncodableHistogram h;
        while ((h = reader.nextIntervalHistogram()) != null) {
            tags.add(h.getTag());
            total += ((Histogram) h).getTotalCount();
        }
        assertEquals(List.of("host_to_device", "execute"), tags);
        assertEquals(2, total);
    }

    @Test
    void intervalLogEntriesCarryTheirOwnIntervalAndTaggedNames() throws Exception {
        LatencyRecorder r = new LatencyRecorder("qwen3 0.6b,w8a8");
        r.record(Stage.TTFT, 199_000_000L);
        LatencySnapshot first = r.snapshot();
        Thread.sleep(5);
        r.record(Stage.TTFT, 210_000_000L);
        r.record(Stage.TTFT, 220_000_000L);
        LatencySnapshot second = r.snapshot();

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        HistogramLogWriter writer = new HistogramLogWriter(ps);
        writer.outputLogFormatVersion();
        writer.outputStartTime(first.startEpochMillis());
        writer.setBaseTime(first.startEpochMillis());
        writer.outputLegend();
        first.writeInterval(writer, r.name() + ".");
        second.writeInterval(writer, r.name() + ".");
        ps.flush();

        HistogramLogReader reader = new HistogramLogReader(new ByteArrayInputStream(bytes.toByteArray()));
        Histogram a = (Histogram) reader.nextIntervalHistogram();
        Histogram b = (Histogram) reader.nextIntervalHistogram();
        assertEquals("qwen3_0.6b_w8a8.ttft", a.getTag());
        assertEquals(1, a.getTotalCount());
        assertEquals(2, b.getTotalCount());
        assertTrue(b.getStartTimeStamp() >= a.getEndTimeStamp() - 1,
                "the second interval starts where the first ended: " + a.getEndTimeStamp() + " / " + b.getStartTimeStamp());
        assertTrue(b.getEndTimeStamp() > b.getStartTimeStamp());
    }

    @Test
    void percentileTableInMicroseconds() {
        LatencyRecorder r = new LatencyRecorder("identity-small");
        r.record(Stage.EXECUTE, 1_500);
        String table = r.snapshot().percentileTable(TimeUnit.MICROSECONDS);
        assertTrue(table.startsWith("stage (us)"), table);
        assertTrue(table.contains("1.500"), table);
    }
}
