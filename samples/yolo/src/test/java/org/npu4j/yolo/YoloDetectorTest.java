package org.npu4j.yolo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.npu4j.Emulator;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.metrics.Stage;

/**
 * The detector on the emulated runtime's synthetic YOLO models finds the rectangles of the generated
 * sample images (every size and aspect ratio: the letterbox scales up, down and pads both ways) within
 * 2 source pixels and with the right classes, for every head arrangement.
 */
class YoloDetectorTest {
    static final float TOLERANCE = 2f;

    /** Extra arrangements the emulator computes, beyond the two shipped models. */
    static final String CONCAT_WIDE = """
            npu4j-emulator-model axcl 1
            name yolo-concat-640x384
            model_type 3core
            usage sys=2M cmm=16M
            time_ms default=3.0
            compute yolo head=dfl_concat classes=80 reg_max=16
            input  images uint8 nhwc 1x384x640x3
            output p3 fp32 nhwc 1x48x80x144
            output p4 fp32 nhwc 1x24x40x144
            output p5 fp32 nhwc 1x12x20x144
            """;
    static final String SPLIT_NCHW = """
            npu4j-emulator-model axcl 1
            name yolo-split-nchw-512
            model_type 3core
            usage sys=2M cmm=16M
            time_ms default=3.0
            compute yolo head=dfl_split classes=80 reg_max=16
            input  images uint8 nchw 1x3x512x512
            output b8  fp32 nchw 1x64x64x64
            output c8  fp32 nchw 1x80x64x64
            output b16 fp32 nchw 1x64x32x32
            output c16 fp32 nchw 1x80x32x32
            output b32 fp32 nchw 1x64x16x16
            output c32 fp32 nchw 1x80x16x16
            """;

    static Stream<Arguments> models() throws IOException {
        return Stream.of(
                Arguments.of("dfl_split (yolo11s-640)", Emulator.model("axcl", SampleImages.SPLIT_MODEL), YoloDecoder.Kind.DFL_SPLIT),
                Arguments.of("decoded (yolov8s-640)", Emulator.model("axcl", SampleImages.DECODED_MODEL), YoloDecoder.Kind.DECODED),
                Arguments.of("dfl_concat, 640x384 input", descriptor(CONCAT_WIDE), YoloDecoder.Kind.DFL_CONCAT),
                Arguments.of("dfl_split NCHW, 512x512 input", descriptor(SPLIT_NCHW), YoloDecoder.Kind.DFL_SPLIT));
    }

    static Path descriptor(String text) throws IOException {
        Path f = Files.createTempFile("yolo-test-", ".model");
        f.toFile().deleteOnExit();
        Files.writeString(f, text);
        return f;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void findsEveryRectangleWithinTwoPixels(String what, Path model, YoloDecoder.Kind kind) {
        try (YoloDetector det = YoloDetector.open(AxclRuntime.Options.emulator(), model, Labels.COCO)) {
            assertTrue(det.emulator());
            assertEquals(kind, det.decoder().kind());
            assertEquals(80, det.decoder().classes());
            assertFindsEveryRectangle(what, det);
        }
    }

    /**
     * Every rectangle of every bundled sample image is found once, within {@link #TOLERANCE} source
     * pixels, with the right class and a score above 0.85, and nothing else is found.
     */
    static void assertFindsEveryRectangle(String what, YoloDetector det) {
        for (SampleImages.Sample s : SampleImages.SAMPLES) {
            BufferedImage img = SampleImages.render(s);
            List<Detection> found = new ArrayList<>(det.detect(img, 0.25f, 0.45f, 300).detections());
            List<SampleImages.Rect> expected = s.rects();
            assertEquals(expected.size(), found.size(), what + " " + s.name() + ": " + found);
            for (SampleImages.Rect r : expected) {
                Detection d = found.stream()
                        .min(Comparator.comparingDouble(x -> Math.abs(x.x1() - r.x0()) + Math.abs(x.y1() - r.y0())))
                        .orElseThrow();
                String where = what + " " + s.name() + " " + r + " -> " + d;
                assertEquals(r.classId(), d.classId(), where);
                assertEquals(Labels.COCO.get(r.classId()), d.label(), where);
                assertEquals(r.x0(), d.x1(), TOLERANCE, where);
                assertEquals(r.y0(), d.y1(), TOLERANCE, where);
                assertEquals(r.x1(), d.x2(), TOLERANCE, where);
                assertEquals(r.y1(), d.y2(), TOLERANCE, where);
                assertTrue(d.score() > 0.85f, where);
                found.remove(d);
            }
        }
    }

    @Test
    void readsTheInputGeometryFromTheModelAndRecordsEveryStage() throws IOException {
        try (YoloDetector det = YoloDetector.open(AxclRuntime.Options.emulator(), descriptor(CONCAT_WIDE), Labels.COCO)) {
            assertEquals(640, det.inputWidth());
            assertEquals(384, det.inputHeight());
            assertEquals(TensorLayout.NHWC, det.inputLayout());
            det.latency().reset();
            YoloDetector.Result r = det.detect(SampleImages.render(SampleImages.SAMPLES.get(1)), 0.25f, 0.45f, 300);
            assertEquals(Letterbox.of(480, 800, 640, 384), r.letterbox());
            LatencySnapshot s = det.latency().snapshot();
            for (Stage st : List.of(Stage.PREPROCESS, Stage.HOST_TO_DEVICE, Stage.EXECUTE, Stage.DEVICE_TO_HOST,
                    Stage.POSTPROCESS)) {
                assertEquals(1, s.count(st), st.toString());
            }
        }
        try (YoloDetector det = YoloDetector.open(AxclRuntime.Options.emulator(), descriptor(SPLIT_NCHW), Labels.COCO)) {
            assertEquals(TensorLayout.NCHW, det.inputLayout());
            assertEquals(512, det.inputWidth());
        }
    }

    @Test
    void anImageWithoutObjectsGivesNothingAndMaxDetectionsLimits() {
        try (YoloDetector det = YoloDetector.open(AxclRuntime.Options.emulator(),
                Emulator.model("axcl", SampleImages.SPLIT_MODEL), Labels.COCO)) {
            BufferedImage plain = SampleImages.render(new SampleImages.Sample("plain", 300, 200, 0x336699, List.of()));
            assertEquals(List.of(), det.detect(plain, 0.25f, 0.45f, 300).detections());
            BufferedImage street = SampleImages.render(SampleImages.SAMPLES.getFirst());
            assertEquals(2, det.detect(street, 0.25f, 0.45f, 2).detections().size());
            assertEquals(0, det.detect(street, 0.95f, 0.45f, 300).detections().size(), "scores are 0.9");
        }
    }
}
