package org.npu4j.rknn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.NativeLibrary;
import org.npu4j.NpuException;
import org.npu4j.ProcessEnv;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.metrics.Stage;
import org.npu4j.rknn.RknnEmu.Rect;

/** The RKNN Java API against the emulated runtime (NPU4J_EMULATOR_SPEED=0: no delays). */
class RknnEmulatorTest {
    private static RknnRuntime rknn;

    private static final Rect[] RECTS = {
        new Rect(40, 60, 200, 300, 0xFF0000, 0), new Rect(300, 100, 360, 140, 0x00FF00, 2),
        new Rect(420, 380, 620, 620, 0x0000FF, 16), new Rect(100, 450, 130, 470, 0xFFFF00, 5)};

    @BeforeAll
    static void load() {
        rknn = RknnEmu.runtime();
    }

    @AfterEach
    void nothingLeaks() {
        assertEquals(0, RknnEmu.live("contexts"), "live contexts");
        assertEquals(0, RknnEmu.live("mems"), "live tensor memories");
        assertEquals(0, RknnEmu.live("outputs"), "live output buffers");
        assertEquals(0, RknnEmu.live("allocations"), "live emulator allocations");
    }

    @Test
    void versionsFromTheFileAndFromTheRuntime() {
        assertEquals("2.3.2 (npu4j emulator)", rknn.fileVersion().orElseThrow());
        assertTrue(rknn.isEmulator());
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"))) {
            assertTrue(m.sdkVersion().api().startsWith("2.3.2"), m.sdkVersion().api());
            assertTrue(m.sdkVersion().api().contains("npu4j emulator"));
            assertTrue(m.sdkVersion().driver().contains("emulator"));
        }
    }

    @Test
    void versionStringIsReadWithoutLoading(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("librknnrt.so");
        byte[] pad = new byte[70_000]; // the marker straddles the reader's 64 KiB blocks
        byte[] text = "\0librknnrt version: 2.3.2 (429f97ae6b@2025-04-09T09:09:27)\0".getBytes();
        byte[] all = new byte[pad.length + text.length];
        System.arraycopy(text, 0, all, 65_530, text.length);
        Files.write(f, all);
        assertEquals("2.3.2 (429f97ae6b@2025-04-09T09:09:27)", RknnNative.versionInFile(f).orElseThrow());
        Files.write(f, new byte[100]);
        assertTrue(RknnNative.versionInFile(f).isEmpty());
    }

    @Test
    void aMissingLibraryListsEveryPlaceTried() {
        NpuException e = assertThrows(NpuException.class,
                () -> NativeLibrary.load(RknnNative.SPEC, Path.of("/nonexistent/librknnrt.so")));
        String m = e.getMessage();
        assertTrue(m.contains("/nonexistent/librknnrt.so"), m);
        assertTrue(m.contains("npu4j.rknn.library"), m);
        assertTrue(m.contains("NPU4J_RKNN_LIBRARY"), m);
        assertTrue(m.contains("/usr/lib"), m);
        assertTrue(m.contains("RknnRuntime.emulator()"), m);
    }

    @Test
    void optionalFunctionsAreLookedUpNotRequired() {
        assertTrue(rknn.supports("rknn_create_mem2"));
        assertTrue(rknn.supports("rknn_set_core_mask"));
        assertTrue(rknn.supports("rknn_matmul_create"));
        assertFalse(rknn.supports("rknn_no_such_function"));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> RknnNative.require("rknn_no_such_function", "Something"));
        assertTrue(e.getMessage().contains("rknn_no_such_function") && e.getMessage().contains("2.3.2"), e.getMessage());
    }

    @Test
    void yoloAttributesNormalAndNative() {
        try (RknnModel m = rknn.open(RknnEmu.model("yolov8s-640.model"))) {
            assertEquals(1, m.inputs().size());
            TensorAttr in = m.inputs().getFirst();
            assertEquals(TensorFormat.NHWC, in.format());
            assertEquals(TensorType.UINT8, in.type());
            assertArrayEquals(new int[] {1, 640, 640, 3}, in.dims());
            assertEquals(9, m.outputs().size());
            TensorAttr box = m.outputs().get(0);
            assertEquals("box_s8", box.name());
            assertArrayEquals(new int[] {1, 64, 80, 80}, box.dims());
            assertEquals(TensorType.INT8, box.type());
            assertTrue(box.quantized());
            assertEquals((box.zeroPoint() + 8 - box.zeroPoint()) * box.scale(), box.dequantize(box.zeroPoint() + 8));
            assertArrayEquals(new int[] {1, 80, 80, 80}, m.outputs().get(1).dims());
            assertArrayEquals(new int[] {1, 1, 20, 20}, m.outputs().get(8).dims());
            TensorAttr nat = m.nativeOutputs().get(1);
            assertEquals(TensorFormat.NC1HWC2, nat.format());
            assertEquals(16, nat.c2());
            assertArrayEquals(new int[] {1, 5, 80, 80, 16}, nat.dims());
            assertEquals(TensorFormat.NHWC, m.nativeNhwcOutputs().get(1).format());
            assertEquals(640, m.nativeInputs().getFirst().widthStride());
        }
    }

    @Test
    void runWithArraysTransposesAndDequantizes() {
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"))) {
            byte[] img = new byte[16 * 16 * 16];
            for (int i = 0; i < img.length; i++) {
                img[i] = (byte) (i * 7 + 3);
            }
            Map<String, float[]> out = m.context().run(Map.of("input", img));
            float[] f = out.get("output");
            for (int c = 0; c < 16; c++) {
                for (int p = 0; p < 256; p++) {
                    assertEquals(img[p * 16 + c] & 0xff, f[c * 256 + p], 0f); // NHWC in, NCHW out
                }
            }
            LatencySnapshot s = m.latency().snapshot();
            assertEquals(1, s.count(Stage.INPUT_SET));
            assertEquals(1, s.count(Stage.EXECUTE));
            assertEquals(1, s.count(Stage.OUTPUT_GET));
        }
    }

    @Test
    void loadFromBytes() throws Exception {
        byte[] bytes = Files.readAllBytes(RknnEmu.model("identity-small.model"));
        try (RknnModel m = rknn.open(bytes, "identity-in-memory", RknnModel.Options.defaults())) {
            assertEquals("identity-in-memory", m.name());
            assertEquals(1, m.outputs().size());
        }
    }

    @Test
    void garbageAndRealModelsAreRefusedWithTheirCode() {
        RknnException e = assertThrows(RknnException.class,
                () -> rknn.open("garbage garbage".getBytes(), "garbage", RknnModel.Options.defaults()));
        assertEquals(-6, e.code());
        assertEquals(RknnError.MODEL_INVALID, e.error());
        assertEquals("rknn_init", e.function());
        assertTrue(e.getMessage().contains("RKNN_ERR_MODEL_INVALID"), e.getMessage());
        byte[] real = new byte[64];
        real[0] = 'R';
        real[1] = 'K';
        real[2] = 'N';
        real[3] = 'N';
        assertEquals(RknnError.MODEL_INVALID,
                assertThrows(RknnException.class, () -> rknn.open(real, "real.rknn", RknnModel.Options.defaults()))
                        .error());
        assertThrows(NpuException.class, () -> rknn.open(Path.of("/nonexistent.rknn")));
    }

    @Test
    void wrongInputSizeIsRefusedBeforeTheRuntime() {
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.context().run(Map.of("input", new byte[100])));
            assertTrue(e.getMessage().contains("expected 4096"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.context().run(Map.of("nope", new byte[4096])));
            assertThrows(IllegalArgumentException.class, () -> m.context().run(Map.of()));
            assertEquals(0, m.latency().snapshot().count(Stage.EXECUTE));
        }
    }

    @Test
    void zeroCopyBindingReusesItsMemory() {
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"));
             RknnBinding b = m.context().bind(RknnBinding.OutputLayout.NATIVE_NHWC)) {
            assertEquals(2, RknnEmu.live("mems"));
            MemorySegment in = b.input(0);
            MemorySegment out = b.output(0);
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 4096; i++) {
                    in.set(ValueLayout.JAVA_BYTE, i, (byte) (i + round));
                }
                b.run();
                for (int i = 0; i < 4096; i++) {
                    assertEquals((byte) ((byte) (i + round) - 128), out.get(ValueLayout.JAVA_BYTE, i));
                }
            }
            assertEquals(3, m.latency().snapshot().count(Stage.EXECUTE));
            assertSame(in, b.input(0));
        }
    }

    @Test
    void zeroCopyStagesWithTheCallersCacheSyncs() {
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"), RknnModel.Options.defaults().withFlags(0x4000 | 0x8000));
             RknnBinding b = m.context().bind()) {
            b.run();
            LatencySnapshot s = m.latency().snapshot();
            assertEquals(1, s.count(Stage.INPUT_SET)); // rknn_mem_sync to the device
            assertEquals(1, s.count(Stage.EXECUTE));
            assertEquals(1, s.count(Stage.OUTPUT_GET)); // rknn_mem_sync from the device
        }
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"));
             RknnBinding b = m.context().bind()) {
            b.run();
            LatencySnapshot s = m.latency().snapshot();
            assertEquals(0, s.count(Stage.INPUT_SET)); // zero-copy: nothing to set or get
            assertEquals(1, s.count(Stage.EXECUTE));
        }
    }

    @Test
    void nc1hwc2OutputsCarryC2() {
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"));
             RknnBinding b = m.context().bind(RknnBinding.OutputLayout.NATIVE)) {
            TensorAttr oa = b.outputAttr(0);
            assertEquals(TensorFormat.NC1HWC2, oa.format());
            int c2 = oa.c2();
            for (int i = 0; i < 4096; i++) {
                b.input(0).set(ValueLayout.JAVA_BYTE, i, (byte) (i * 3));
            }
            b.run();
            for (int c = 0; c < 16; c++) {
                for (int p = 0; p < 256; p++) {
                    byte want = (byte) ((byte) ((p * 16 + c) * 3) - 128);
                    assertEquals(want, b.output(0).get(ValueLayout.JAVA_BYTE, ((long) (c / c2) * 256 + p) * c2 + c % c2));
                }
            }
        }
    }

    @Test
    void theZeroCopyHotPathAllocatesNothing() {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"));
             RknnBinding b = m.context().bind()) {
            // Until the JIT has compiled run(), calls allocate: measure rounds of 10,000 calls until one
            // is clean, at most 30. An object per call in compiled code (>= 160 kB a round) fails all.
            long tid = Thread.currentThread().threadId();
            List<Long> rounds = new ArrayList<>();
            for (int round = 0; round < 30; round++) {
                long before = threads.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 10_000; i++) {
                    b.run();
                }
                long allocated = threads.getThreadAllocatedBytes(tid) - before;
                rounds.add(allocated);
                if (allocated < 10_000) {
                    return;
                }
            }
            throw new AssertionError("run() allocated in every round of 10,000 calls (bytes per round): " + rounds);
        }
    }

    /** The model zoo's postprocess for the 9 int8 heads, read in place (no copies). */
    static List<float[]> decode(RknnBinding b, int size) {
        List<float[]> boxes = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            TensorAttr ab = b.outputAttr(3 * k);
            TensorAttr as = b.outputAttr(3 * k + 1);
            TensorAttr asum = b.outputAttr(3 * k + 2);
            MemorySegment bo = b.output(3 * k);
            MemorySegment so = b.output(3 * k + 1);
            MemorySegment sum = b.output(3 * k + 2);
            int g = ab.dim(2);
            int stride = size / g;
            int cells = g * g;
            for (int cell = 0; cell < cells; cell++) {
                if (asum.dequantize(sum.get(ValueLayout.JAVA_BYTE, cell)) < 0.25f) {
                    continue; // score-sum fast reject
                }
                int best = -1;
                float bs = 0;
                for (int c = 0; c < as.dim(1); c++) {
                    float v = as.dequantize(so.get(ValueLayout.JAVA_BYTE, (long) c * cells + cell));
                    if (v > bs) {
                        bs = v;
                        best = c;
                    }
                }
                float[] d = new float[4];
                for (int side = 0; side < 4; side++) {
                    double den = 0;
                    double num = 0;
                    for (int bin = 0; bin < 16; bin++) {
                        double e = Math.exp(ab.dequantize(bo.get(ValueLayout.JAVA_BYTE, (long) (side * 16 + bin) * cells + cell)));
                        den += e;
                        num += e * bin;
                    }
                    d[side] = (float) (num / den);
                }
                int x = cell % g;
                int y = cell / g;
                boxes.add(new float[] {(x + 0.5f - d[0]) * stride, (y + 0.5f - d[1]) * stride, (x + 0.5f + d[2]) * stride,
                    (y + 0.5f + d[3]) * stride, best});
            }
        }
        return boxes;
    }

    @Test
    void yoloRectanglesThroughZeroCopyInt8Heads() {
        for (String model : List.of("yolov8s-640.model", "yolo11s-640.model")) {
            try (RknnModel m = rknn.open(RknnEmu.model(model));
                 RknnBinding b = m.context().bind()) {
                byte[] img = RknnEmu.image(640, RECTS);
                TensorAttr ia = b.inputAttr(0);
                int rowBytes = ia.widthStride() * 3;
                for (int y = 0; y < 640; y++) {
                    MemorySegment.copy(img, y * 640 * 3, b.input(0), ValueLayout.JAVA_BYTE, (long) y * rowBytes, 640 * 3);
                }
                b.run();
                List<float[]> boxes = decode(b, 640);
                assertEquals(RECTS.length, boxes.size(), model);
                for (Rect r : RECTS) {
                    assertTrue(boxes.stream().anyMatch(x -> x[4] == r.cls() && Math.abs(x[0] - r.x0()) <= 2
                            && Math.abs(x[1] - r.y0()) <= 2 && Math.abs(x[2] - r.x1()) <= 2
                            && Math.abs(x[3] - r.y1()) <= 2), model + ": " + r + " not found");
                }
            }
        }
    }

    @Test
    void visionEncodersGiveImageDependentEmbeddings() {
        try (RknnModel m = rknn.open(RknnEmu.model("qwen3-vl-2b-vision-448.model"))) {
            assertEquals(4, m.outputs().size());
            for (TensorAttr t : m.outputs()) {
                assertArrayEquals(new int[] {1, 196, 2048}, t.dims());
                assertEquals(TensorType.FLOAT16, t.type());
            }
            byte[] a = RknnEmu.image(448, RECTS[0]);
            byte[] b = RknnEmu.image(448, RECTS[1]);
            Map<String, float[]> ea = m.context().run(Map.of("pixel_values", a));
            Map<String, float[]> ea2 = m.context().run(Map.of("pixel_values", a));
            Map<String, float[]> eb = m.context().run(Map.of("pixel_values", b));
            assertEquals(196 * 2048, ea.get("image_embeds").length);
            assertArrayEquals(ea.get("image_embeds"), ea2.get("image_embeds"));
            assertFalse(java.util.Arrays.equals(ea.get("image_embeds"), eb.get("image_embeds")));
            assertFalse(java.util.Arrays.equals(ea.get("image_embeds"), ea.get("deepstack_1")));
        }
        try (RknnModel m = rknn.open(RknnEmu.model("qwen2-vl-2b-vision-392.model"))) {
            assertArrayEquals(new int[] {1, 196, 1536}, m.outputs().getFirst().dims());
            assertEquals(400, m.nativeInputs().getFirst().widthStride());
        }
    }

    @Test
    void classifierPicksTheLargestRectangle() {
        try (RknnModel m = rknn.open(RknnEmu.model("mobilenetv2-224.model"))) {
            byte[] img = RknnEmu.image(224, new Rect(10, 10, 150, 150, 0x0000FF, 16), new Rect(160, 160, 200, 200, 0xFF0000, 0));
            float[] logits = m.context().run(Map.of("input", img)).get("logits");
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                best = logits[i] > logits[best] ? i : best;
            }
            assertEquals(16, best);
        }
    }

    @Test
    void oneContextPerThread() throws Exception {
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"))) {
            RknnContext mine = m.context();
            assertSame(mine, m.context());
            CompletableFuture<RknnContext> other = CompletableFuture.supplyAsync(() -> {
                RknnContext c = m.context();
                c.run(Map.of("input", new byte[4096]));
                return c;
            }, r -> Thread.ofPlatform().start(r));
            RknnContext theirs = other.get(10, TimeUnit.SECONDS);
            assertNotSame(mine, theirs);
            assertNotEquals(mine.id(), theirs.id());
            assertEquals(2, RknnEmu.live("contexts"));
            assertEquals(2, m.contexts().size());
        }
    }

    @Test
    void aContextRefusesASecondThread() throws Exception {
        ProcessEnv.setenv("NPU4J_EMULATOR_RKNN_STALL_MS", "300");
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"));
             RknnBinding b = m.context().bind()) {
            long runs = runCount();
            Thread t = Thread.ofPlatform().start(b::run);
            awaitRunStarted(runs);
            assertThrows(IllegalStateException.class, b::run);
            t.join();
        } finally {
            ProcessEnv.unsetenv("NPU4J_EMULATOR_RKNN_STALL_MS");
        }
    }

    @Test
    void coreMasksPerPlatform() {
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"),
                RknnModel.Options.defaults().withCoreMask(CoreMask.CORE_0_1_2))) {
            RknnContext c = m.context();
            assertEquals(7, c.coreMaskValue());
            c.coreMask(CoreMask.CORE_2);
            c.run(Map.of("input", new byte[4096]));
            ProcessEnv.setenv("NPU4J_EMULATOR_RKNN_PLATFORM", "rk3576");
            RknnException e = assertThrows(RknnException.class, () -> c.coreMask(CoreMask.CORE_2));
            assertEquals(RknnError.PARAM_INVALID, e.error());
            assertEquals(4, c.coreMaskValue() & 4); // unchanged by the refused call
            c.coreMask(CoreMask.CORE_0_1);
            assertThrows(RknnException.class, () -> c.batchCoreNum(3));
        } finally {
            ProcessEnv.unsetenv("NPU4J_EMULATOR_RKNN_PLATFORM");
        }
    }

    @Test
    void perfQueries() {
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"),
                RknnModel.Options.defaults().withFlags(RknnModel.Options.COLLECT_PERF))) {
            m.context().run(Map.of("input", new byte[4096]));
            assertTrue(m.context().lastRunMicros() >= 0);
            assertTrue(m.context().perfDetail().contains("emulator"));
        }
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"))) {
            assertEquals(RknnError.PARAM_INVALID, assertThrows(RknnException.class, () -> m.context().perfDetail()).error());
        }
    }

    @Test
    void useAfterClose() {
        RknnModel m = rknn.open(RknnEmu.model("identity-small.model"));
        RknnContext c = m.context();
        RknnBinding b = c.bind();
        m.close();
        m.close(); // idempotent
        assertThrows(IllegalStateException.class, m::context);
        assertThrows(IllegalStateException.class, () -> c.run(Map.of("input", new byte[4096])));
        assertThrows(IllegalStateException.class, b::run);
        assertThrows(IllegalStateException.class, () -> b.input(0));
        b.close();
    }

    @Test
    void closingWhileARunIsPendingWaitsForIt() throws Exception {
        ProcessEnv.setenv("NPU4J_EMULATOR_RKNN_STALL_MS", "1000");
        try {
            RknnModel m = rknn.open(RknnEmu.model("identity-small.model"));
            RknnBinding b = m.context().bind();
            long runs = runCount();
            CompletableFuture<Void> run = CompletableFuture.runAsync(b::run, r -> Thread.ofPlatform().start(r));
            awaitRunStarted(runs);
            long t0 = System.nanoTime();
            m.close();
            long waited = (System.nanoTime() - t0) / 1_000_000;
            run.get(10, TimeUnit.SECONDS); // the pending run completed normally
            assertTrue(waited >= 500, "close returned after " + waited + " ms, before the pending 1000 ms run ended");
            assertThrows(IllegalStateException.class, b::run);
        } finally {
            ProcessEnv.unsetenv("NPU4J_EMULATOR_RKNN_STALL_MS");
        }
    }

    @Test
    void aFailedRunKeepsTheRawCode() {
        try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"));
             RknnBinding b = m.context().bind()) {
            b.run();
            long next = runCount() + 1;
            ProcessEnv.setenv("NPU4J_EMULATOR_RKNN_FAIL_RUN", Long.toString(next));
            RknnException e = assertThrows(RknnException.class, b::run);
            assertEquals(-1, e.code());
            assertEquals("rknn_run", e.function());
            ProcessEnv.unsetenv("NPU4J_EMULATOR_RKNN_FAIL_RUN");
            b.run(); // the context is still usable
        } finally {
            ProcessEnv.unsetenv("NPU4J_EMULATOR_RKNN_FAIL_RUN");
        }
    }

    /** Waits (at most 10 s) until a run is inside the runtime: it counts itself once it holds its context. */
    private static void awaitRunStarted(long before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (runCount() == before && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(before + 1, runCount(), "the run did not start");
    }

    private static long runCount() {
        var addr = java.lang.foreign.SymbolLookup.loaderLookup().find("npu4j_emulator_rknn_run_count").orElseThrow();
        try {
            return (long) java.lang.foreign.Linker.nativeLinker()
                    .downcallHandle(addr, java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_LONG)).invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Test
    void jfrEventPerRun(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rknn.jfr");
        try (Recording rec = new Recording()) {
            rec.enable("org.npu4j.RknnRun");
            rec.start();
            try (RknnModel m = rknn.open(RknnEmu.model("identity-small.model"));
                 RknnBinding b = m.context().bind()) {
                b.run();
                m.context().run(Map.of("input", new byte[4096]));
            }
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("org.npu4j.RknnRun")).toList();
        assertEquals(2, events.size());
        assertTrue(events.get(0).getBoolean("zeroCopy"));
        assertFalse(events.get(1).getBoolean("zeroCopy"));
        assertEquals("identity-small.model", events.get(0).getString("model"));
    }
}
