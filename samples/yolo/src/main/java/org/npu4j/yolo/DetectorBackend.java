package org.npu4j.yolo;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.npu4j.metrics.LatencyRecorder;

/**
 * The NPU side of a {@link YoloDetector}: one loaded model and the means to run one frame that was
 * letterboxed straight into bound input memory, leaving the head outputs in bound output memory.
 * {@link AxclBackend} runs an {@code .axmodel} on the AX650N card through AXCL (pinned host buffers
 * copied to and from the card), {@link RknnBackend} an {@code .rknn} model on the Rockchip NPU through
 * RKNN (zero-copy memories). Letterboxing, decoding and NMS are the detector's, shared by both.
 *
 * <p>Threads: the backend's methods are for the thread that owns the detector; each {@link Frame}
 * serves one frame at a time.
 */
interface DetectorBackend extends AutoCloseable {
    /**
     * The memories of one frame in flight: its input (8-bit RGB in {@link #inputLayout()}, rows of
     * {@link #inputRowPixels()} pixels) and its outputs, bound once and reused frame after frame.
     */
    interface Frame extends AutoCloseable {
        /** The bound input memory the letterbox is written into. */
        MemorySegment input();

        /** The bound output memories, in the order of {@link DetectorBackend#outputs()}. */
        List<MemorySegment> outputs();

        /** Runs the model on the input; returns when the outputs are ready. Allocation-free. */
        void run();

        /**
         * Starts a run and returns at once; the future completes when the outputs are ready (or
         * exceptionally with the runtime's exception). The input must not change until then.
         */
        CompletableFuture<?> runAsync();

        /** Releases the frame's memories (and its own session or context). */
        @Override
        void close();
    }

    /** The model's name (its file name). */
    String modelName();

    /** Input width, pixels. */
    int inputWidth();

    /** Input height, pixels. */
    int inputHeight();

    /** Input layout: {@link TensorLayout#NHWC} or {@link TensorLayout#NCHW}. */
    TensorLayout inputLayout();

    /** Pixels per input row in memory (at least {@link #inputWidth()}; more when the NPU pads rows). */
    int inputRowPixels();

    /** The head outputs, in buffer order. */
    List<HeadTensor> outputs();

    /** The decoder of the model's head (recognised when the backend opened the model). */
    YoloDecoder decoder();

    /** The frame the detector itself uses (made with the backend). */
    Frame frame();

    /** A further frame with its own session or context, for a pipeline slot; the caller closes it. */
    Frame newFrame();

    /** Where every stage of every frame is recorded (nanoseconds). */
    LatencyRecorder latency();

    /** True when the runtime is npu4j's emulator. */
    boolean emulator();

    /** What runs the model, for the report line (e.g. {@code AXCL on AX650N}). */
    String device();

    /** Releases every frame, the model and the runtime. */
    @Override
    void close();
}
