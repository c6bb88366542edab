package org.npu4j.yolo;

import java.awt.image.BufferedImage;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.npu4j.axcl.AxBinding;
import org.npu4j.axcl.AxModel;
import org.npu4j.axcl.AxSession;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.axcl.DataType;
import org.npu4j.axcl.Layout;
import org.npu4j.axcl.TensorInfo;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;

/**
 * A YOLOv8 / YOLO11 detector on one AXCL model: letterbox into the model's pinned input buffer, run,
 * decode, class-wise NMS, boxes mapped back to the source image. Every stage is recorded in the
 * model's latency recorder: {@link Stage#PREPROCESS}, {@link Stage#HOST_TO_DEVICE},
 * {@link Stage#EXECUTE}, {@link Stage#DEVICE_TO_HOST}, {@link Stage#POSTPROCESS} (nanoseconds).
 *
 * <p>The input size and layout are read from the model (input 0: {@code [1, H, W, 3]} NHWC or
 * {@code [1, 3, H, W]} NCHW, 8-bit RGB); the head arrangement from its outputs ({@link YoloDecoder}).
 *
 * <p>Not thread-safe: one detector per thread (each has its own session and buffers).
 */
public final class YoloDetector implements AutoCloseable {
    /** Detections of one image, in source pixels, with the letterbox used. */
    public record Result(List<Detection> detections, Letterbox letterbox) {}

    private final AxclRuntime runtime;
    private final AxModel model;
    private final AxSession session;
    private final AxBinding io;
    private final YoloDecoder decoder;
    private final List<String> labels;
    private final int width;
    private final int height;
    private final Layout layout;
    private final List<MemorySegment> outputs;
    private final LatencyRecorder latency;
    private final LetterboxWriter writer;
    private final DetectionBuffer boxes = new DetectionBuffer();

    private YoloDetector(AxclRuntime runtime, AxModel model, List<String> labels) {
        this.runtime = runtime;
        this.model = model;
        this.labels = List.copyOf(labels);
        if (model.inputs().size() != 1) {
            throw new IllegalArgumentException(model.name() + " has " + model.inputs().size() + " inputs; a YOLO detector has one image input");
        }
        TensorInfo in = model.inputs().getFirst();
        List<Integer> d = in.shape();
        if (d.size() != 4) {
            throw new IllegalArgumentException("input " + in + ": expected [1, H, W, 3] or [1, 3, H, W]");
        }
        Layout l = in.layout();
        if (l != Layout.NHWC && l != Layout.NCHW) {
            l = d.get(3) == 3 ? Layout.NHWC : d.get(1) == 3 ? Layout.NCHW : Layout.UNKNOWN;
        }
        if (l == Layout.NHWC && d.get(3) == 3) {
            height = d.get(1);
            width = d.get(2);
        } else if (l == Layout.NCHW && d.get(1) == 3) {
            height = d.get(2);
            width = d.get(3);
        } else {
            throw new IllegalArgumentException("input " + in + ": expected 3 channels, NHWC or NCHW");
        }
        layout = l;
        if (in.dataType() != DataType.UINT8 && in.dataType() != DataType.INT8) {
            throw new IllegalArgumentException("input " + in + ": expected 8-bit RGB (UINT8)");
        }
        if (in.byteSize() < 3L * width * height) {
            throw new IllegalArgumentException("input " + in + ": " + in.byteSize() + " bytes cannot hold " + width + "x" + height + " RGB");
        }
        this.decoder = YoloDecoder.of(width, height, model.outputs());
        this.session = model.newSession();
        this.io = session.bind();
        List<MemorySegment> outs = new ArrayList<>();
        for (int i = 0; i < model.outputs().size(); i++) {
            outs.add(io.output(i));
        }
        this.outputs = List.copyOf(outs);
        this.latency = model.latency();
        this.writer = new LetterboxWriter(width, height, layout);
    }

    /**
     * Acquires the AXCL runtime, loads {@code modelFile} on the first device, and prepares one session
     * and one binding.
     *
     * @param labels class names by class id
     */
    public static YoloDetector open(AxclRuntime.Options options, Path modelFile, List<String> labels) {
        Objects.requireNonNull(modelFile, "modelFile");
        AxclRuntime runtime = AxclRuntime.acquire(options);
        try {
            AxModel model = runtime.device().load(modelFile);
            return new YoloDetector(runtime, model, labels);
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
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
        Letterbox lb = writer.write(image, io.input(0));
        return runAndDecode(lb, t0, confidence, iouThreshold, maxDetections);
    }

    /**
     * Detects objects in one interleaved 8-bit frame (camera or video decoder output), letterboxed
     * straight into the pinned input buffer.
     *
     * @param pixels row {@code y} at {@code offset + y × stride}, 3 bytes per pixel in {@code order}
     * @throws IllegalArgumentException if the frame does not fit {@code pixels}
     */
    public Result detect(byte[] pixels, int offset, int stride, int frameWidth, int frameHeight, PixelOrder order,
            float confidence, float iouThreshold, int maxDetections) {
        long t0 = System.nanoTime();
        Letterbox lb = writer.write(pixels, offset, stride, frameWidth, frameHeight, order, io.input(0));
        return runAndDecode(lb, t0, confidence, iouThreshold, maxDetections);
    }

    private Result runAndDecode(Letterbox lb, long t0, float confidence, float iouThreshold, int maxDetections) {
        latency.record(Stage.PREPROCESS, System.nanoTime() - t0);
        io.run();
        long t1 = System.nanoTime();
        decoder.decodeInto(outputs, confidence, boxes);
        boxes.nms(iouThreshold, maxDetections);
        List<Detection> mapped = boxes.keptDetections(lb, labels);
        latency.record(Stage.POSTPROCESS, System.nanoTime() - t1);
        return new Result(mapped, lb);
    }

    /**
     * A pipeline of {@code depth} frames in flight on this detector's model (each with its own session),
     * with these thresholds. Close it before the detector.
     *
     * @see YoloPipeline
     */
    public YoloPipeline pipeline(int depth, float confidence, float iouThreshold, int maxDetections) {
        return new YoloPipeline(this, depth, confidence, iouThreshold, maxDetections);
    }

    /** Class names by class id. */
    public List<String> labels() {
        return labels;
    }

    /** The model (its IO description, its latency recorder). */
    public AxModel model() {
        return model;
    }

    /** The recognised head. */
    public YoloDecoder decoder() {
        return decoder;
    }

    public int inputWidth() {
        return width;
    }

    public int inputHeight() {
        return height;
    }

    public Layout inputLayout() {
        return layout;
    }

    /** True when the runtime is npu4j's emulator. */
    public boolean emulator() {
        return runtime.isEmulator();
    }

    /** Latencies of every stage of every {@link #detect} call (nanoseconds). */
    public LatencyRecorder latency() {
        return latency;
    }

    /** The AXCL runtime handle (versions, devices). */
    public AxclRuntime runtime() {
        return runtime;
    }

    /** Closes the binding, session and model, and releases the runtime. */
    @Override
    public void close() {
        runtime.close();
    }
}
