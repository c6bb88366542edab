package org.npu4j.yolo;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;
import org.npu4j.rknn.RknnRuntime;

/**
 * A YOLOv8 / YOLO11 detector on either NPU: an {@code .axmodel} on the AX650N card through AXCL, or an
 * {@code .rknn} model on the Rockchip NPU through RKNN ({@link Npu#of(Path)} picks by the file). One
 * frame: letterbox straight into the model's bound input memory (AXCL's pinned host buffer, RKNN's
 * zero-copy memory), run, decode ({@link YoloDecoder}: float heads, or the RKNN model zoo's INT8 heads
 * with zero point, scale and the score-sum fast reject), class-wise NMS, boxes mapped back to the source
 * image. Every stage is recorded in the model's latency recorder (nanoseconds):
 * {@link Stage#PREPROCESS}, the runtime's own stages (AXCL: {@link Stage#HOST_TO_DEVICE},
 * {@link Stage#EXECUTE}, {@link Stage#DEVICE_TO_HOST}; RKNN zero-copy: {@link Stage#EXECUTE}), and
 * {@link Stage#POSTPROCESS}.
 *
 * <p>The input size and layout are read from the model (one 8-bit RGB input, {@code [1, H, W, 3]} NHWC
 * or, on AXCL, {@code [1, 3, H, W]} NCHW); the head arrangement from its outputs.
 *
 * <p>Allocation per frame: none in letterboxing, running, decoding and NMS once the buffers have grown
 * to the busiest frame; the result list (kept boxes only) is the only object made.
 *
 * <p>Not thread-safe: one detector per thread (each has its own session or context and buffers).
 */
public final class YoloDetector implements AutoCloseable {
    /** Detections of one image, in source pixels, with the letterbox used. */
    public record Result(List<Detection> detections, Letterbox letterbox) {}

    /**
     * Where the runtime comes from when the detector opens a model file by itself.
     *
     * @param emulator   npu4j's emulated runtime of the NPU the file is for (from {@code npu4j-native})
     * @param library    the runtime library to load ({@code libaxcl_rt.so} or {@code librknnrt.so}); null:
     *                   the runtime's own search (property, environment variable, library path)
     * @param axclConfig AXCL JSON configuration for {@code axclInit}; null for none
     */
    public record Options(boolean emulator, Path library, Path axclConfig) {
        /** The vendor runtime, found by its search order. */
        public static Options defaults() {
            return new Options(false, null, null);
        }

        /** The emulated runtimes. */
        public static Options emulated() {
            return new Options(true, null, null);
        }

        /** These options with an explicit runtime library. */
        public Options withLibrary(Path file) {
            return new Options(emulator, file, axclConfig);
        }

        /** These options with an AXCL configuration file. */
        public Options withAxclConfig(Path file) {
            return new Options(emulator, library, file);
        }
    }

    private final DetectorBackend backend;
    private final DetectorBackend.Frame frame;
    private final YoloDecoder decoder;
    private final List<String> labels;
    private final LatencyRecorder latency;
    private final LetterboxWriter writer;
    private final DetectionBuffer boxes = new DetectionBuffer();

    private YoloDetector(DetectorBackend backend, List<String> labels) {
        this.backend = backend;
        this.labels = List.copyOf(labels);
        this.frame = backend.frame();
        this.decoder = backend.decoder();
        this.latency = backend.latency();
        this.writer = newWriter();
    }

    private static YoloDetector wrap(DetectorBackend backend, List<String> labels) {
        try {
            return new YoloDetector(backend, labels);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /**
     * Opens {@code modelFile} on the NPU it is for ({@link Npu#of(Path)}).
     *
     * @param labels class names by class id
     * @throws IllegalArgumentException if the file is for no known NPU, or the model is no YOLO detector
     *                                  (the message names what was expected)
     */
    public static YoloDetector open(Options options, Path modelFile, List<String> labels) {
        Objects.requireNonNull(options, "options");
        return switch (Npu.of(modelFile)) {
            case AXCL -> {
                AxclRuntime.Options o = options.emulator() ? AxclRuntime.Options.emulator() : AxclRuntime.Options.defaults();
                if (options.library() != null) {
                    o = o.withLibrary(options.library());
                }
                if (options.axclConfig() != null) {
                    o = o.withConfig(options.axclConfig());
                }
                yield open(o, modelFile, labels);
            }
            case RKNN -> open(options.library() != null ? RknnRuntime.load(options.library())
                    : options.emulator() ? RknnRuntime.emulator() : RknnRuntime.load(), modelFile, labels);
        };
    }

    /**
     * Acquires the AXCL runtime, loads the {@code .axmodel} on the first device, and prepares one
     * session and one binding.
     *
     * @param labels class names by class id
     */
    public static YoloDetector open(AxclRuntime.Options options, Path modelFile, List<String> labels) {
        return wrap(AxclBackend.open(options, modelFile), labels);
    }

    /**
     * Opens the {@code .rknn} model on {@code runtime} and binds one zero-copy input and the nine (or
     * six) INT8 head outputs of the model's first context.
     *
     * @param labels class names by class id
     * @throws IllegalArgumentException if the model is not the RKNN model zoo's YOLOv8/YOLO11 export
     *                                  (one UINT8 RGB input; per stride box, scores, score sum)
     */
    public static YoloDetector open(RknnRuntime runtime, Path modelFile, List<String> labels) {
        Objects.requireNonNull(runtime, "runtime");
        return wrap(RknnBackend.open(runtime, modelFile), labels);
    }

    /** A letterbox writer for this model's input. */
    LetterboxWriter newWriter() {
        return new LetterboxWriter(backend.inputWidth(), backend.inputHeight(), backend.inputLayout(),
                backend.inputRowPixels());
    }

    /**
     * Detects objects in one image.
     *
     * @param confidence   minimum class score in [0, 1]
     * @param iouThreshold NMS overlap above which the weaker box of a class is dropped
     * @param maxDetections at most this many detections
     */
    public Result detect(BufferedImage image, float confidence, float iouThreshold, int maxDetections) {
        long t0 = System.nanoTime();
        Letterbox lb = writer.write(image, frame.input());
        return runAndDecode(lb, t0, confidence, iouThreshold, maxDetections);
    }

    /**
     * Detects objects in one interleaved 8-bit frame (camera or video decoder output), letterboxed
     * straight into the bound input memory.
     *
     * @param pixels row {@code y} at {@code offset + y × stride}, 3 bytes per pixel in {@code order}
     * @throws IllegalArgumentException if the frame does not fit {@code pixels}
     */
    public Result detect(byte[] pixels, int offset, int stride, int frameWidth, int frameHeight, PixelOrder order,
            float confidence, float iouThreshold, int maxDetections) {
        long t0 = System.nanoTime();
        Letterbox lb = writer.write(pixels, offset, stride, frameWidth, frameHeight, order, frame.input());
        return runAndDecode(lb, t0, confidence, iouThreshold, maxDetections);
    }

    private Result runAndDecode(Letterbox lb, long t0, float confidence, float iouThreshold, int maxDetections) {
        latency.record(Stage.PREPROCESS, System.nanoTime() - t0);
        frame.run();
        long t1 = System.nanoTime();
        decoder.decodeInto(frame.outputs(), confidence, boxes);
        boxes.nms(iouThreshold, maxDetections);
        List<Detection> mapped = boxes.keptDetections(lb, labels);
        latency.record(Stage.POSTPROCESS, System.nanoTime() - t1);
        return new Result(mapped, lb);
    }

    /**
     * A pipeline of {@code depth} frames in flight on this detector's model (each with its own session
     * or context), with these thresholds. Close it before the detector.
     *
     * @see YoloPipeline
     */
    public YoloPipeline pipeline(int depth, float confidence, float iouThreshold, int maxDetections) {
        return new YoloPipeline(this, depth, confidence, iouThreshold, maxDetections);
    }

    DetectorBackend backend() {
        return backend;
    }

    /** Class names by class id. */
    public List<String> labels() {
        return labels;
    }

    /** The model's name (its file name). */
    public String modelName() {
        return backend.modelName();
    }

    /** What runs the model (e.g. {@code AXCL on AX650N}, {@code RKNN 2.3.2 (...)}). */
    public String device() {
        return backend.device();
    }

    /** The head outputs as the decoder reads them. */
    public List<HeadTensor> outputs() {
        return backend.outputs();
    }

    /** The recognised head. */
    public YoloDecoder decoder() {
        return decoder;
    }

    public int inputWidth() {
        return backend.inputWidth();
    }

    public int inputHeight() {
        return backend.inputHeight();
    }

    public TensorLayout inputLayout() {
        return backend.inputLayout();
    }

    /** True when the runtime is npu4j's emulator. */
    public boolean emulator() {
        return backend.emulator();
    }

    /** Latencies of every stage of every {@link #detect} call (nanoseconds). */
    public LatencyRecorder latency() {
        return latency;
    }

    /** Closes the binding, session or context, and model, and releases the runtime. */
    @Override
    public void close() {
        backend.close();
    }
}
