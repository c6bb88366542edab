package org.npu4j.yolo;

import java.awt.image.BufferedImage;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.npu4j.axcl.AxBinding;
import org.npu4j.axcl.AxSession;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;

/**
 * Video at the NPU's rate: a detector pipeline that overlaps the host work of the next frames
 * (letterbox, then decoding and NMS of the frame the device finished) with the device work of the
 * frame in flight. It holds {@code depth} slots, each with its own {@link AxSession}, binding (pinned
 * input and output buffers), letterbox writer and detection buffer; a frame is letterboxed straight into
 * its slot's pinned input and queued with {@link AxBinding#runAsync()}; the emulated and the real NPU run
 * one model at a time, so the queued frames run back to back while the caller prepares the next one.
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
        final AxSession session;
        final AxBinding io;
        final List<MemorySegment> outputs;
        final LetterboxWriter writer;
        final DetectionBuffer boxes = new DetectionBuffer();
        Letterbox letterbox;
        CompletableFuture<AxBinding> pending;
        Consumer<YoloDetector.Result> consumer;

        Slot(YoloDetector d) {
            session = d.model().newSession();
            try {
                io = session.bind();
                List<MemorySegment> outs = new ArrayList<>();
                for (int i = 0; i < d.model().outputs().size(); i++) {
                    outs.add(io.output(i));
                }
                outputs = List.copyOf(outs);
                writer = new LetterboxWriter(d.inputWidth(), d.inputHeight(), d.inputLayout());
            } catch (RuntimeException e) {
                session.close();
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
     * @throws org.npu4j.axcl.AxclException if a run fails (that frame's consumer is not called)
     * @throws IllegalStateException        if the pipeline is closed
     */
    public void submit(BufferedImage frame, Consumer<YoloDetector.Result> consumer) {
        Slot s = take(consumer);
        long t0 = System.nanoTime();
        s.letterbox = s.writer.write(frame, s.io.input(0));
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
        s.letterbox = s.writer.write(pixels, offset, stride, width, height, order, s.io.input(0));
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
        s.pending = s.io.runAsync();
        next = (next + 1) % slots.length;
    }

    /** Waits for the slot's run, decodes, NMS, hands the result over. */
    private void finish(Slot s) {
        CompletableFuture<AxBinding> f = s.pending;
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
        detector.decoder().decodeInto(s.outputs, confidence, s.boxes);
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
                s.session.close();
            }
        }
    }
}
