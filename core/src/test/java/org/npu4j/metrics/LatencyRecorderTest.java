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

    @Test
    void writersJoinTheSnapshotsAndKeepTheirValuesWhenClosed() {
        LatencyRecorder r = new LatencyRecorder("m");
        LatencyRecorder.Writer a = r.newWriter(Stage.HOST_TO_DEVICE, Stage.EXECUTE, Stage.DEVICE_TO_HOST);
        LatencyRecorder.Writer b = r.newWriter(Stage.EXECUTE);
        a.record(Stage.EXECUTE, 3_990_000);
        a.record(Stage.HOST_TO_DEVICE, 300_000);
        b.record(Stage.EXECUTE, 3_550_000);
        b.record(Stage.TTFT, 199_000_000); // not one of b's stages: through the shared recorder
        r.record(Stage.EXECUTE, 4_000_000);
        LatencySnapshot first = r.snapshot();
        assertEquals(3, first.interval().get(Stage.EXECUTE).getTotalCount());
        assertEquals(1, first.count(Stage.HOST_TO_DEVICE));
        assertEquals(1, first.count(Stage.TTFT));
        assertEquals(3_550_000, first.histogram(Stage.EXECUTE).getMinValue(), 3_550_000 * 0.001);

        a.record(Stage.EXECUTE, 1_000_000);
        a.close();
        a.close(); // idempotent
        a.record(Stage.EXECUTE, 2_000_000); // after close: through the shared recorder
        LatencySnapshot second = r.snapshot();
        assertEquals(2, second.interval().get(Stage.EXECUTE).getTotalCount(), "the closed writer's last value kept");
        assertEquals(5, second.count(Stage.EXECUTE));

        b.record(Stage.EXECUTE, 5_000_000);
        r.reset();
        assertEquals(0, r.snapshot().count(Stage.EXECUTE), "reset empties the open writers too");
    }

    @Test
    void aWriterHandedBetweenThreadsLosesNothingWhileSnapshotsRun() throws Exception {
        LatencyRecorder r = new LatencyRecorder("m");
        LatencyRecorder.Writer w = r.newWriter(Stage.EXECUTE);
        java.util.concurrent.locks.ReentrantLock oneAtATime = new java.util.concurrent.locks.ReentrantLock();
        int threads = 3;
        int perThread = 30_000;
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    oneAtATime.lock(); // what a session does: one call at a time, from any thread
                    try {
                        w.record(Stage.EXECUTE, 1000 + i);
                    } finally {
                        oneAtATime.unlock();
                    }
                }
            }));
        }
        long seen = 0;
        for (Thread t : workers) {
            seen += r.snapshot().interval().get(Stage.EXECUTE).getTotalCount();
            t.join();
        }
        w.close();
        seen += r.snapshot().interval().get(Stage.EXECUTE).getTotalCount();
        assertEquals((long) threads * perThread, seen);
    }
}
