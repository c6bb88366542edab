package org.npu4j.yolo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.npu4j.Emulator;
import org.npu4j.axcl.AxclRuntime;

/**
 * The pipelined detector gives exactly the detections of the one-frame-at-a-time detector, frame by
 * frame and in order, for BufferedImages and for raw RGB and BGR buffers, whatever the depth.
 */
class YoloPipelineTest {
    static Stream<Arguments> models() throws Exception {
        return Stream.of(
                Arguments.of("dfl_split NHWC", Emulator.model("axcl", SampleImages.SPLIT_MODEL)),
                Arguments.of("decoded", Emulator.model("axcl", SampleImages.DECODED_MODEL)),
                Arguments.of("dfl_split NCHW", YoloDetectorTest.descriptor(YoloDetectorTest.SPLIT_NCHW)));
    }

    /** The sample images, two rounds, as a video would repeat scenes. */
    static List<BufferedImage> frames() {
        List<BufferedImage> list = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (SampleImages.Sample s : SampleImages.SAMPLES) {
                list.add(SampleImages.render(s));
            }
        }
        return list;
    }

    /** The pixels of an image as a tightly packed buffer in {@code order}. */
    static byte[] raw(BufferedImage img, PixelOrder order) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] out = new byte[3 * w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                int p = 3 * (y * w + x);
                for (int c = 0; c < 3; c++) {
                    out[p + order.offset(c)] = (byte) (rgb >> (16 - 8 * c));
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void pipelinedDetectionsAreThoseOfTheSequentialDetector(String what, Path model) {
        List<BufferedImage> frames = frames();
        try (YoloDetector det = YoloDetector.open(AxclRuntime.Options.emulator(), model, Labels.COCO)) {
            List<YoloDetector.Result> sequential = new ArrayList<>();
            for (BufferedImage f : frames) {
                sequential.add(det.detect(f, 0.25f, 0.45f, 300));
            }
            assertFalse(sequential.stream().allMatch(r -> r.detections().isEmpty()), what);
            for (int depth : new int[] {1, 2, 3}) {
                List<YoloDetector.Result> images = new ArrayList<>();
                List<YoloDetector.Result> rgb = new ArrayList<>();
                List<YoloDetector.Result> bgr = new ArrayList<>();
                try (YoloPipeline p = det.pipeline(depth, 0.25f, 0.45f, 300)) {
                    for (BufferedImage f : frames) {
                        p.submit(f, images::add);
                    }
                    p.flush();
                    for (BufferedImage f : frames) {
                        byte[] buf = raw(f, PixelOrder.RGB);
                        p.submit(buf, 0, 3 * f.getWidth(), f.getWidth(), f.getHeight(), PixelOrder.RGB, rgb::add);
                        java.util.Arrays.fill(buf, (byte) 0); // the frame buffer is free once submit returns
                    }
                    for (BufferedImage f : frames) {
                        p.submit(raw(f, PixelOrder.BGR), 0, 3 * f.getWidth(), f.getWidth(), f.getHeight(), PixelOrder.BGR,
                                bgr::add);
                    }
                    p.flush();
                }
                assertEquals(sequential, images, what + " depth " + depth + ", BufferedImage");
                assertEquals(sequential, rgb, what + " depth " + depth + ", RGB bytes");
                assertEquals(sequential, bgr, what + " depth " + depth + ", BGR bytes");
            }
        }
    }

    @Test
    void aFrameThatDoesNotFitItsBufferIsRefusedAndTheSlotStaysUsable() {
        try (YoloDetector det = YoloDetector.open(AxclRuntime.Options.emulator(),
                Emulator.model("axcl", SampleImages.SPLIT_MODEL), Labels.COCO);
                YoloPipeline p = det.pipeline(2, 0.25f, 0.45f, 300)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> p.submit(new byte[100], 0, 30, 10, 10, PixelOrder.RGB, r -> { }));
            assertEquals("frame 10x10 with stride 30 at offset 0 does not fit a buffer of 100 bytes", e.getMessage());
            BufferedImage street = SampleImages.render(SampleImages.SAMPLES.getFirst());
            List<YoloDetector.Result> out = new ArrayList<>();
            p.submit(street, out::add);
            p.flush();
            assertEquals(List.of(det.detect(street, 0.25f, 0.45f, 300)), out);
            assertThrows(IllegalArgumentException.class, () -> det.pipeline(0, 0.25f, 0.45f, 300));
        }
    }
}
