package org.npu4j.yolo;

import java.awt.image.BufferedImage;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;

/**
 * Video at the NPU's rate: a detector pipeline that overlaps the host work of the next frames
 * (letterbox, then decoding and NMS of the frame the device finished) with the device work of the
 * frame in flight. It holds {@code depth} slots, each with its own bound memories (AXCL: an
 * {@code AxSession} with pinned input and output buffers, queued with {@code AxBinding.runAsync()};
 * RKNN: a context duplicated with {@code rknn_dup_context} and its zero-copy memories, run on a thread
 * of the backend), letterbox writer and detection buffer; a frame is letterboxed straight into its
 * slot's input memory and started. The AX650N runs one model at a time, so the queued frames run back to
 * back while the caller prepares the next one; the RK3588's three cores (RK3576: two) run up to that
 * many frames of a one-core model at once.
 *
 * <p>{@code submit} returns once the frame is queued; its {@link YoloDetector.Result} is handed to the
 * frame's consumer, on the caller's thread, inside a later {@code submit} (when the slot comes round
 * again) or in {@link #flush()}, always in submission order. The caller may reuse its frame buffer as
 * soon as {@code submit} returns. With {@code depth} 1 nothing overlaps: the detections are those of
 * {@link YoloDetector#detect} either way (same letterbox, same decoding, same NMS).
 *
 * <p>Allocation per frame: none in letterboxing, decoding and NMS once the buffers have grown to the
 * busiest frame; the result list (kept boxes only) and the future of the asynchronous run are the only
 * objects made.
 *
 * <p>Not thread-safe: one thread submits. Stages are recorded in the model's latency recorder:
 * {@link Stage#PREPROCESS}, {@link Stage#EXECUTE} (the whole asynchronous run, copies included),
 * {@link Stage#POSTPROCESS}.
 */
public final class YoloPipeline implements AutoCloseable {
    /** One frame's resources. */
    private static final class Slot {
        final DetectorBackend.Frame frame;
        final LetterboxWriter writer;
        final DetectionBuffer boxes = new DetectionBuffer();
        Letterbox letterbox;
        CompletableFuture<?> pending;
        Consumer<YoloDetector.Result> consumer;

        Slot(YoloDetector d) {
            frame = d.backend().newFrame();
            try {
                writer = d.newWriter();
            } catch (RuntimeException e) {
                frame.close();
                throw e;
            }
        }
    }

    private final YoloDetector detector;
    private final Slot[] slots;
    private final float confidence;
    private final float iouThreshold;
    private final int maxDetections;
    private final LatencyRecorder latency;
    private int next;
    private boolean closed;

    YoloPipeline(YoloDetector detector, int depth, float confidence, float iouThreshold, int maxDetections) {
        if (depth < 1) {
            throw new IllegalArgumentException("pipeline depth " + depth + ": expected >= 1");
        }
        this.detector = detector;
        this.confidence = confidence;
        this.iouThreshold = iouThreshold;
        this.maxDetections = maxDetections;
        this.latency = detector.latency();
        this.slots = new Slot[depth];
        try {
            for (int i = 0; i < depth; i++) {
                slots[i] = new Slot(detector);
            }
        } catch (RuntimeException e) {
            closeSessions();
            throw e;
        }
    }

    /** Number of frames in flight at most. */
    public int depth() {
        return slots.length;
    }

    /**
     * Queues one frame. Blocks while every slot is busy, finishing the oldest frame (its consumer is
     * called here).
     *
     * @throws org.npu4j.NpuException if a run fails (AXCL's or RKNN's exception) (that frame's consumer is not called)
     * @throws IllegalStateException        if the pipeline is closed
     */
    public void submit(BufferedImage frame, Consumer<YoloDetector.Result> consumer) {
        Slot s = take(consumer);
        long t0 = System.nanoTime();
        s.letterbox = s.writer.write(frame, s.frame.input());
        start(s, t0, consumer);
    }

    /**
     * Queues one interleaved 8-bit frame (camera or video decoder output).
     *
     * @param pixels row {@code y} at {@code offset + y × stride}, 3 bytes per pixel in {@code order}
     * @throws IllegalArgumentException if the frame does not fit {@code pixels}
     * @see #submit(BufferedImage, Consumer)
     */
    public void submit(byte[] pixels, int offset, int stride, int width, int height, PixelOrder order,
            Consumer<YoloDetector.Result> consumer) {
        Objects.requireNonNull(order, "order");
        Slot s = take(consumer);
        long t0 = System.nanoTime();
        s.letterbox = s.writer.write(pixels, offset, stride, width, height, order, s.frame.input());
        start(s, t0, consumer);
    }

    private Slot take(Consumer<YoloDetector.Result> consumer) {
        Objects.requireNonNull(consumer, "consumer");
        if (closed) {
            throw new IllegalStateException("the pipeline is closed");
        }
        Slot s = slots[next];
        if (s.pending != null) {
            finish(s);
        }
        return s;
    }

    private void start(Slot s, long t0, Consumer<YoloDetector.Result> consumer) {
        latency.record(Stage.PREPROCESS, System.nanoTime() - t0);
        s.consumer = consumer;
        s.pending = s.frame.runAsync();
        next = (next + 1) % slots.length;
    }

    /** Waits for the slot's run, decodes, NMS, hands the result over. */
    private void finish(Slot s) {
        CompletableFuture<?> f = s.pending;
        Consumer<YoloDetector.Result> c = s.consumer;
        s.pending = null;
        s.consumer = null;
        try {
            f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
        long t1 = System.nanoTime();
        detector.decoder().decodeInto(s.frame.outputs(), confidence, s.boxes);
        s.boxes.nms(iouThreshold, maxDetections);
        YoloDetector.Result r = new YoloDetector.Result(s.boxes.keptDetections(s.letterbox, detector.labels()),
                s.letterbox);
        latency.record(Stage.POSTPROCESS, System.nanoTime() - t1);
        c.accept(r);
    }

    /** Finishes every frame in flight, oldest first (their consumers are called here). */
    public void flush() {
        for (int i = 0; i < slots.length; i++) {
            Slot s = slots[(next + i) % slots.length];
            if (s.pending != null) {
                finish(s);
            }
        }
    }

    /**
     * Waits for the frames in flight (their results are dropped) and closes the slots' sessions. The
     * detector stays open. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Slot s : slots) {
            if (s != null && s.pending != null) {
                s.pending.exceptionally(e -> null).join();
                s.pending = null;
            }
        }
        closeSessions();
    }

    private void closeSessions() {
        for (Slot s : slots) {
            if (s != null) {
                s.frame.close();
            }
        }
    }
}
