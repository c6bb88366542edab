package org.npu4j.yolo;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import org.npu4j.metrics.LatencySnapshot;
import org.npu4j.metrics.Stage;

/**
 * {@code npu4j-yolo --bench}'s throughput figures: the same frames one at a time ({@link YoloDetector#detect})
 * and through a {@link YoloPipeline}, against the device-bound rate of the model, all measured in one run.
 *
 * <p>Device-bound rate: 1 / (mean host-to-device copy + mean execute + mean device-to-host copy) of the
 * sequential pass, i.e. the frame rate if the host cost nothing; the pipeline's frames/s over it is the
 * share of the NPU's rate the application reaches (issue 12 target: >= 0.9 on the emulated YOLO11s).
 *
 * @param frames              frames per pass
 * @param depth               pipeline depth
 * @param sequentialFps       frames/s one at a time
 * @param pipelinedFps        frames/s pipelined
 * @param deviceMillis        mean copies + execute per frame, milliseconds
 * @param linkMillis          mean copies per frame (host to device and back), milliseconds
 * @param npuMillis           mean execute per frame, milliseconds
 * @param preprocessMillis    mean letterbox per frame (sequential pass), milliseconds
 * @param postprocessMillis   mean decoding + NMS per frame (sequential pass), milliseconds
 * @param rawPreprocessMillis    mean letterbox of a 1280x720 RGB byte frame, wall milliseconds
 * @param rawPreprocessCpuMillis the same in thread CPU milliseconds (independent of the machine's load)
 * @param squarePreprocessCpuMillis thread CPU milliseconds of letterboxing a 640x640 BGR byte frame
 * @param inputWidth          model input width, pixels
 * @param inputHeight         model input height, pixels
 */
record PipelineBench(int frames, int depth, double sequentialFps, double pipelinedFps, double deviceMillis,
        double linkMillis, double npuMillis, double preprocessMillis, double postprocessMillis,
        double rawPreprocessMillis, double rawPreprocessCpuMillis, double squarePreprocessCpuMillis, int inputWidth,
        int inputHeight) {

    /** Frames/s if the host cost nothing. */
    double deviceBoundFps() {
        return 1000.0 / deviceMillis;
    }

    /**
     * Frames/s if the copies of one frame overlapped the execution of another (the PCIe link and the NPU are
     * separate engines, on the card as in the emulator): 1 / max(copies, execute).
     */
    double overlapBoundFps() {
        return 1000.0 / Math.max(linkMillis, npuMillis);
    }

    /** Pipelined frames/s over the device-bound rate. */
    double ratio() {
        return pipelinedFps / deviceBoundFps();
    }

    static PipelineBench run(YoloDetector det, List<BufferedImage> images, int frames, int depth, float confidence,
            float iou, int maxDetections) {
        // Warm-up (JIT, first-touch of the buffers), not counted.
        for (int i = 0; i < Math.min(frames, 20); i++) {
            det.detect(images.get(i % images.size()), confidence, iou, maxDetections);
        }
        det.latency().reset();
        long t0 = System.nanoTime();
        for (int i = 0; i < frames; i++) {
            det.detect(images.get(i % images.size()), confidence, iou, maxDetections);
        }
        long sequential = System.nanoTime() - t0;
        LatencySnapshot s = det.latency().snapshot();
        // AXCL: the PCIe copies; RKNN zero-copy: none (input set / output get only with cache flushing off)
        double link = (mean(s, Stage.HOST_TO_DEVICE) + mean(s, Stage.DEVICE_TO_HOST) + mean(s, Stage.INPUT_SET)
                + mean(s, Stage.OUTPUT_GET)) / 1e6;
        double npu = mean(s, Stage.EXECUTE) / 1e6;
        double device = link + npu;
        double pre = mean(s, Stage.PREPROCESS) / 1e6;
        double post = mean(s, Stage.POSTPROCESS) / 1e6;
        long pipelined;
        try (YoloPipeline p = det.pipeline(depth, confidence, iou, maxDetections)) {
            for (int i = 0; i < Math.min(frames, 20); i++) {
                p.submit(images.get(i % images.size()), r -> { });
            }
            p.flush();
            long t1 = System.nanoTime();
            for (int i = 0; i < frames; i++) {
                p.submit(images.get(i % images.size()), r -> { });
            }
            p.flush();
            pipelined = System.nanoTime() - t1;
        }
        double[] raw = rawPreprocess(det, frames, RAW_WIDTH, RAW_HEIGHT, PixelOrder.RGB);
        double[] square = rawPreprocess(det, frames, 640, 640, PixelOrder.BGR);
        return new PipelineBench(frames, depth, frames * 1e9 / sequential, frames * 1e9 / pipelined, device, link, npu,
                pre, post, raw[0], raw[1], square[1], det.inputWidth(), det.inputHeight());
    }

    /** Source of the raw-frame letterbox figure: a 1280x720 RGB frame, as a camera hands it over. */
    static final int RAW_WIDTH = 1280;
    static final int RAW_HEIGHT = 720;

    /**
     * Mean wall and thread-CPU milliseconds of letterboxing a {@value #RAW_WIDTH}x{@value #RAW_HEIGHT} RGB
     * frame into a pinned-size input (a heap segment of the input's size; the copy into pinned memory
     * costs the same).
     */
    private static double[] rawPreprocess(YoloDetector det, int frames, int fw, int fh, PixelOrder order) {
        byte[] frame = new byte[3 * fw * fh];
        for (int i = 0; i < frame.length; i++) {
            frame[i] = (byte) (i * 31 + (i / (3 * fw)) * 7);
        }
        LetterboxWriter w = det.newWriter();
        java.lang.foreign.MemorySegment dst = java.lang.foreign.MemorySegment.ofArray(
                new byte[(int) det.backend().frame().input().byteSize()]);
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20; i++) {
            w.write(frame, 0, 3 * fw, fw, fh, order, dst);
        }
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < frames; i++) {
            w.write(frame, 0, 3 * fw, fw, fh, order, dst);
        }
        long wall = System.nanoTime() - t0;
        long cpu = mx.getCurrentThreadCpuTime() - c0;
        return new double[] {wall / 1e6 / frames, cpu / 1e6 / frames};
    }

    private static double mean(LatencySnapshot s, Stage stage) {
        return s.count(stage) == 0 ? 0 : s.histogram(stage).getMean();
    }

    /** The report lines, each ending with {@code tag}. */
    List<String> lines(String tag) {
        List<String> lines = new java.util.ArrayList<>();
        lines.add(String.format(Locale.ROOT, "throughput over %d frames: one at a time %.1f frames/s, pipelined (depth %d)"
                + " %.1f frames/s%s", frames, sequentialFps, depth, pipelinedFps, tag));
        lines.add(String.format(Locale.ROOT, "device-bound rate %.1f frames/s (copies %.2f + execute %.2f ms per frame);"
                + " pipelined / device-bound = %.2f%s", deviceBoundFps(), linkMillis, npuMillis, ratio(), tag));
        if (linkMillis > 0) {
            lines.add(String.format(Locale.ROOT, "copies overlapping execution would allow %.1f frames/s: pipelined / that"
                    + " = %.2f%s", overlapBoundFps(), pipelinedFps / overlapBoundFps(), tag));
        }
        lines.add(String.format(Locale.ROOT, "host per frame: preprocess (letterbox) %.2f ms, postprocess (decode + NMS)"
                + " %.2f ms%s", preprocessMillis, postprocessMillis, tag));
        lines.add(String.format(Locale.ROOT, "letterbox of a %dx%d RGB frame into the %dx%d input: %.2f ms (%.2f ms of"
                + " thread CPU)%s", RAW_WIDTH, RAW_HEIGHT, inputWidth, inputHeight, rawPreprocessMillis,
                rawPreprocessCpuMillis, tag));
        lines.add(String.format(Locale.ROOT, "letterbox of a 640x640 BGR frame: %.2f ms of thread CPU%s",
                squarePreprocessCpuMillis, tag));
        return List.copyOf(lines);
    }
}
