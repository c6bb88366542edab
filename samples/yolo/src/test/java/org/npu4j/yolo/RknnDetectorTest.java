package org.npu4j.yolo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.npu4j.Emulator;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.metrics.Stage;
import org.npu4j.rknn.RknnRuntime;

/**
 * The same detector on the emulated RKNN runtime: the model zoo's INT8 heads (9 outputs, or 6 without
 * the score sums) decoded with their zero points and scales, the rectangles of every bundled sample
 * image found within 2 source pixels with the right class, pipelined results equal to the sequential
 * ones, bad models refused with what was expected, and nothing left allocated after close.
 */
class RknnDetectorTest {
    /** A YOLO export without the score-sum outputs, at 320x320 (grids 40, 20, 10). */
    static final String NO_SCORE_SUM_320 = """
            npu4j-emulator-model rknn 1
            name yolov8s-320-no-sum
            compute yolo size=320 classes=80 score_sum=0
            time_ms rk3588=8.0 rk3576=8.0 cores=1
            memory weights=11M internal=3M
            """;

    /** The 9-head export at 320x320: a quarter of the pixels for the emulator to look at per frame. */
    static final String WITH_SCORE_SUM_320 = """
            npu4j-emulator-model rknn 1
            name yolov8s-320
            compute yolo size=320 classes=80 score_sum=1
            time_ms rk3588=8.0 rk3576=8.0 cores=1
            memory weights=11M internal=3M
            """;

    static Stream<Arguments> models() throws IOException {
        return Stream.of(
                Arguments.of("yolov8s-640 (9 int8 heads)", Emulator.model("rknn", "yolov8s-640.model"), true),
                Arguments.of("yolo11s-640 (9 int8 heads)", Emulator.model("rknn", "yolo11s-640.model"), true),
                Arguments.of("320x320, 6 heads", YoloDetectorTest.descriptor(NO_SCORE_SUM_320), false));
    }

    @AfterEach
    void nothingLeaks() {
        assertEquals(EmulatorCounters.none(), EmulatorCounters.rknn());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void findsEveryRectangleOfTheSampleImagesWithinTwoPixels(String what, Path model, boolean scoreSum) {
        try (YoloDetector det = YoloDetector.open(YoloDetector.Options.emulated(), model, Labels.COCO)) {
            assertTrue(det.emulator());
            assertTrue(det.device().startsWith("RKNN 2.3.2 (npu4j emulator)"), det.device());
            assertEquals(YoloDecoder.Kind.DFL_SPLIT, det.decoder().kind());
            assertEquals(YoloDecoder.Scores.PROBABILITIES, det.decoder().scores());
            assertEquals(scoreSum, det.decoder().hasScoreSum());
            assertEquals(scoreSum ? 9 : 6, det.outputs().size());
            assertTrue(det.outputs().stream().allMatch(t -> t.type() == ElementType.INT8), det.outputs().toString());
            // Zero-copy outputs bound with their native NHWC attributes, as the NPU writes them
            // (shared/facts/rknn.md "Zero-copy"), not the normal NCHW ones the runtime would convert to.
            assertTrue(det.outputs().stream().allMatch(t -> t.layout() == TensorLayout.NHWC && t.shape().get(3) > 0
                    && t.shape().get(1) == t.shape().get(2)), det.outputs().toString());
            assertEquals(TensorLayout.NHWC, det.inputLayout());
            YoloDetectorTest.assertFindsEveryRectangle(what, det);
        }
    }

    @Test
    void recordsPreprocessRunAndPostprocess() {
        try (YoloDetector det = YoloDetector.open(YoloDetector.Options.emulated(),
                Emulator.model("rknn", "yolov8s-640.model"), Labels.COCO)) {
            det.latency().reset();
            det.detect(SampleImages.render(SampleImages.SAMPLES.getFirst()), 0.25f, 0.45f, 300);
            LatencySnapshot s = det.latency().snapshot();
            for (Stage st : List.of(Stage.PREPROCESS, Stage.EXECUTE, Stage.POSTPROCESS)) {
                assertEquals(1, s.count(st), st.toString());
            }
            assertEquals(0, s.count(Stage.INPUT_SET), "zero-copy: no input set");
        }
    }

    @Test
    void theSameImagesGiveTheSameDetectionsOnBothNpus() {
        try (YoloDetector rknn = YoloDetector.open(YoloDetector.Options.emulated(),
                Emulator.model("rknn", "yolo11s-640.model"), Labels.COCO);
                YoloDetector axcl = YoloDetector.open(YoloDetector.Options.emulated(),
                        Emulator.model("axcl", SampleImages.SPLIT_MODEL), Labels.COCO)) {
            for (SampleImages.Sample s : SampleImages.SAMPLES) {
                BufferedImage img = SampleImages.render(s);
                List<Detection> a = axcl.detect(img, 0.25f, 0.45f, 300).detections();
                List<Detection> r = rknn.detect(img, 0.25f, 0.45f, 300).detections();
                assertEquals(a.size(), r.size(), s.name());
                for (int i = 0; i < a.size(); i++) {
                    assertEquals(a.get(i).classId(), r.get(i).classId(), s.name());
                    assertTrue(a.get(i).iou(r.get(i)) > 0.95f, s.name() + ": " + a.get(i) + " vs " + r.get(i));
                }
            }
        }
    }

    @Test
    void pipelinedOnDuplicatedContextsGivesTheSequentialDetections() {
        List<BufferedImage> frames = YoloPipelineTest.frames();
        try (YoloDetector det = YoloDetector.open(YoloDetector.Options.emulated(),
                Emulator.model("rknn", "yolov8s-640.model"), Labels.COCO)) {
            List<YoloDetector.Result> sequential = new ArrayList<>();
            for (BufferedImage f : frames) {
                sequential.add(det.detect(f, 0.25f, 0.45f, 300));
            }
            assertFalse(sequential.stream().anyMatch(r -> r.detections().isEmpty()));
            for (int depth : new int[] {1, 3}) {
                List<YoloDetector.Result> piped = new ArrayList<>();
                List<YoloDetector.Result> bgr = new ArrayList<>();
                try (YoloPipeline p = det.pipeline(depth, 0.25f, 0.45f, 300)) {
                    assertEquals(1 + depth, EmulatorCounters.rknn().get("contexts"), "one duplicated context per slot");
                    for (BufferedImage f : frames) {
                        p.submit(f, piped::add);
                    }
                    for (BufferedImage f : frames) {
                        p.submit(YoloPipelineTest.raw(f, PixelOrder.BGR), 0, 3 * f.getWidth(), f.getWidth(), f.getHeight(),
                                PixelOrder.BGR, bgr::add);
                    }
                    p.flush();
                }
                assertEquals(1, EmulatorCounters.rknn().get("contexts"), "the slots' contexts are destroyed");
                assertEquals(sequential, piped, "depth " + depth);
                assertEquals(sequential, bgr, "depth " + depth + ", BGR bytes");
            }
        }
    }

    @Test
    void theFilePicksTheNpu() throws IOException {
        assertEquals(Npu.RKNN, Npu.of(Emulator.model("rknn", "yolov8s-640.model")));
        assertEquals(Npu.AXCL, Npu.of(Emulator.model("axcl", SampleImages.SPLIT_MODEL)));
        assertEquals(Npu.RKNN, Npu.of(Path.of("/nowhere/yolov8s.rknn")));
        assertEquals(Npu.AXCL, Npu.of(Path.of("/nowhere/yolo11s.axmodel")));
        Path other = YoloDetectorTest.descriptor("not a model\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npu.of(other));
        assertTrue(e.getMessage().contains("expected an .axmodel (AXCL) or .rknn (RKNN) file"), e.getMessage());
    }

    static Stream<Arguments> badModels() throws IOException {
        return Stream.of(
                Arguments.of("identity-small.model", "expected one UINT8 NHWC RGB image [1,H,W,3]"),
                Arguments.of("mobilenetv2-224.model", RknnBackend.EXPECTED_HEADS),
                Arguments.of("qwen2-vl-2b-vision-392.model", RknnBackend.EXPECTED_HEADS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badModels")
    void aModelThatIsNoYoloDetectorIsRefusedNamingWhatWasExpected(String model, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> YoloDetector.open(YoloDetector.Options.emulated(), Emulator.model("rknn", model), Labels.COCO));
        assertTrue(e.getMessage().startsWith(model + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(EmulatorCounters.none(), EmulatorCounters.rknn(), "nothing left of the refused model");
    }

    @Test
    void aRealRknnFileIsRefusedByTheEmulatorAndAFrameThatDoesNotFitIsRefused() throws IOException {
        Path fake = java.nio.file.Files.createTempFile("fake-", ".rknn");
        fake.toFile().deleteOnExit();
        java.nio.file.Files.write(fake, "RKNN\0\0\0\0 not really".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> YoloDetector.open(RknnRuntime.emulator(), fake, Labels.COCO));
        assertTrue(e.getMessage().contains("rknn_init"), e.getMessage());
        try (YoloDetector det = YoloDetector.open(RknnRuntime.emulator(), Emulator.model("rknn", "yolov8s-640.model"),
                Labels.COCO)) {
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> det.detect(new byte[100], 0, 30, 10, 10, PixelOrder.RGB, 0.25f, 0.45f, 300));
            assertEquals("frame 10x10 with stride 30 at offset 0 does not fit a buffer of 100 bytes", bad.getMessage());
            assertEquals(4, det.detect(SampleImages.render(SampleImages.SAMPLES.getFirst()), 0.25f, 0.45f, 300)
                    .detections().size());
        }
    }

    @Test
    void theDetectorAllocatesNothingPerFrameBeyondItsResult() throws IOException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
                .getThreadMXBean();
        try (YoloDetector det = YoloDetector.open(YoloDetector.Options.emulated(),
                YoloDetectorTest.descriptor(WITH_SCORE_SUM_320), Labels.COCO)) {
            SampleImages.Sample s = SampleImages.SAMPLES.getFirst();
            byte[] frame = YoloPipelineTest.raw(SampleImages.render(s), PixelOrder.RGB);
            // Rounds of 50 frames until the JIT has compiled the path (escape analysis): at most 16 rounds.
            long perFrame = Long.MAX_VALUE;
            for (int round = 0; round < 16 && perFrame >= 1024; round++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 50; i++) {
                    det.detect(frame, 0, 3 * s.width(), s.width(), s.height(), PixelOrder.RGB, 0.25f, 0.45f, 300);
                }
                perFrame = (mx.getCurrentThreadAllocatedBytes() - before) / 50;
            }
            // the result alone: a record, its letterbox, two lists and 4 detections (each mapped once): ~600 B
            assertTrue(perFrame < 1024, perFrame + " B per frame");
        }
    }
}
