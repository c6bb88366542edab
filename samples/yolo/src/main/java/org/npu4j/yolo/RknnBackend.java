package org.npu4j.yolo;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.rknn.RknnBinding;
import org.npu4j.rknn.RknnContext;
import org.npu4j.rknn.RknnModel;
import org.npu4j.rknn.RknnRuntime;
import org.npu4j.rknn.TensorAttr;
import org.npu4j.rknn.TensorFormat;
import org.npu4j.rknn.TensorType;

/**
 * A YOLOv8 / YOLO11 {@code .rknn} model on the Rockchip NPU through RKNN, as the RKNN model zoo
 * (v2.3.2) exports it: one UINT8 NHWC RGB input, and per stride 8, 16, 32 the box DFL bins
 * {@code [1, 64, H, W]}, the class scores {@code [1, C, H, W]} (sigmoid inside the model) and their
 * sum {@code [1, 1, H, W]}, each INT8 with its own zero point and scale: 9 outputs (6 without the score
 * sums). {@code shared/facts/rknn.md}, "YOLOv8 / YOLO11 heads".
 *
 * <p>Memory: zero-copy ({@link RknnBinding}: {@code rknn_create_mem} + {@code rknn_set_io_mem} once per
 * frame), the letterbox written straight into the input memory with the NPU's row stride, the INT8
 * outputs bound with their native NHWC attributes ({@link RknnBinding.OutputLayout#NATIVE_NHWC},
 * {@code RKNN_QUERY_NATIVE_NHWC_OUTPUT_ATTR}) and read in place: a layout the NPU writes itself, so the
 * runtime converts nothing after the run (the normal NCHW attributes would make it convert from the
 * native NC1HWC2 on the CPU; {@code shared/facts/rknn.md} "Zero-copy"). A run is one {@code rknn_run},
 * recorded as {@code execute}.
 *
 * <p>Frames: the detector's frame runs on the model's first context; each further frame (a pipeline
 * slot) on its own context duplicated from it ({@code rknn_dup_context}: the weights are shared), so
 * frames in flight run on the NPU's free cores at once ({@code RKNN_NPU_CORE_AUTO}). An asynchronous
 * run is one {@code rknn_run} on a platform thread of the backend (the call blocks).
 */
final class RknnBackend implements DetectorBackend {
    /** What an RKNN YOLO model must look like, for error messages. */
    static final String EXPECTED_HEADS = "the RKNN model zoo's YOLOv8/YOLO11 heads: per stride 8, 16 and 32 the box"
            + " DFL bins [1,64,H,W], the class scores [1,C,H,W] and the score sum [1,1,H,W], INT8 with zero point and"
            + " scale (9 outputs; 6 without the score sums)";

    private final RknnModel model;
    private final RknnRuntime runtime;
    private final int width;
    private final int height;
    private final int rowPixels;
    private final List<HeadTensor> outputs;
    private final YoloDecoder decoder;
    private final ZeroCopyFrame frame;
    private ExecutorService runner;

    private RknnBackend(RknnRuntime runtime, RknnModel model) {
        this.runtime = runtime;
        this.model = model;
        if (model.inputs().size() != 1) {
            throw new IllegalArgumentException(model.name() + " has " + model.inputs().size()
                    + " inputs; a YOLO detector has one image input [1,H,W,3]");
        }
        frame = new ZeroCopyFrame(model.context(), false);
        TensorAttr in = frame.io.inputAttr(0);
        if (in.rank() != 4 || in.dim(0) != 1 || in.dim(3) != 3 || in.format() != TensorFormat.NHWC
                || in.type() != TensorType.UINT8) {
            throw new IllegalArgumentException(model.name() + ": input " + in
                    + ": expected one UINT8 NHWC RGB image [1,H,W,3]");
        }
        height = in.dim(1);
        width = in.dim(2);
        rowPixels = in.widthStride() == 0 ? width : in.widthStride();
        if (rowPixels < width || (long) rowPixels * height * 3 > frame.input.byteSize()) {
            throw new IllegalArgumentException(model.name() + ": input " + in + " with a row stride of " + rowPixels
                    + " pixels does not fit its " + frame.input.byteSize() + " bytes");
        }
        List<HeadTensor> heads = new ArrayList<>();
        for (TensorAttr t : frame.io.outputAttrs()) {
            heads.add(head(t));
        }
        outputs = List.copyOf(heads);
        YoloDecoder d;
        try {
            d = YoloDecoder.of(width, height, outputs, YoloDecoder.Scores.PROBABILITIES);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(model.name() + ": " + e.getMessage() + "; expected " + EXPECTED_HEADS, e);
        }
        if (d.kind() != YoloDecoder.Kind.DFL_SPLIT) {
            throw new IllegalArgumentException(model.name() + ": a " + d + " among " + outputs + "; expected "
                    + EXPECTED_HEADS);
        }
        decoder = d;
    }

    /**
     * Opens {@code modelFile} on {@code runtime} and binds the first frame's memories.
     *
     * @throws IllegalArgumentException if the input is not one UINT8 RGB image (checked before binding)
     * @throws org.npu4j.rknn.RknnException if the runtime refuses the model
     */
    static RknnBackend open(RknnRuntime runtime, Path modelFile) {
        Objects.requireNonNull(modelFile, "modelFile");
        RknnModel model = runtime.open(modelFile);
        try {
            return new RknnBackend(runtime, model);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** An RKNN output attribute as the decoder reads it. */
    static HeadTensor head(TensorAttr t) {
        ElementType type = switch (t.type()) {
            case FLOAT32 -> ElementType.FP32;
            case FLOAT16 -> ElementType.FP16;
            case BFLOAT16 -> ElementType.BF16;
            case INT8 -> t.quantized() ? ElementType.INT8 : ElementType.OTHER;
            case UINT8 -> t.quantized() ? ElementType.UINT8 : ElementType.OTHER;
            default -> ElementType.OTHER;
        };
        TensorLayout l = switch (t.format()) {
            case NHWC -> TensorLayout.NHWC;
            case NCHW -> TensorLayout.NCHW;
            default -> TensorLayout.UNKNOWN;
        };
        List<Integer> shape = new ArrayList<>();
        for (int d : t.dims()) {
            shape.add(d);
        }
        boolean q = type.quantized();
        return new HeadTensor(t.index(), shape, type, l, q ? t.zeroPoint() : 0, q ? t.scale() : 1f, t.toString());
    }

    /** One context and its zero-copy binding. */
    private final class ZeroCopyFrame implements Frame {
        final RknnContext context;
        final boolean ownContext;
        final RknnBinding io;
        final MemorySegment input;
        final List<MemorySegment> outs;
        final Runnable run;

        ZeroCopyFrame(RknnContext context, boolean ownContext) {
            this.context = context;
            this.ownContext = ownContext;
            try {
                io = context.bind(RknnBinding.OutputLayout.NATIVE_NHWC);
                input = io.input(0);
                List<MemorySegment> o = new ArrayList<>();
                for (int i = 0; i < io.outputCount(); i++) {
                    o.add(io.output(i));
                }
                outs = List.copyOf(o);
                run = io::run;
            } catch (RuntimeException e) {
                if (ownContext) {
                    context.close();
                }
                throw e;
            }
        }

        @Override
        public MemorySegment input() {
            return input;
        }

        @Override
        public List<MemorySegment> outputs() {
            return outs;
        }

        @Override
        public void run() {
            io.run();
        }

        @Override
        public CompletableFuture<?> runAsync() {
            return CompletableFuture.runAsync(run, runner());
        }

        @Override
        public void close() {
            io.close();
            if (ownContext) {
                context.close();
            }
        }
    }

    private synchronized ExecutorService runner() {
        if (runner == null) {
            AtomicInteger n = new AtomicInteger();
            runner = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "npu4j-yolo-rknn-run-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        return runner;
    }

    @Override
    public String modelName() {
        return model.name();
    }

    @Override
    public int inputWidth() {
        return width;
    }

    @Override
    public int inputHeight() {
        return height;
    }

    @Override
    public TensorLayout inputLayout() {
        return TensorLayout.NHWC;
    }

    @Override
    public int inputRowPixels() {
        return rowPixels;
    }

    @Override
    public List<HeadTensor> outputs() {
        return outputs;
    }

    @Override
    public YoloDecoder decoder() {
        return decoder;
    }

    @Override
    public Frame frame() {
        return frame;
    }

    @Override
    public Frame newFrame() {
        return new ZeroCopyFrame(model.newContext(), true);
    }

    @Override
    public LatencyRecorder latency() {
        return model.latency();
    }

    @Override
    public boolean emulator() {
        return runtime.isEmulator();
    }

    @Override
    public String device() {
        return "RKNN " + model.sdkVersion().api();
    }

    /** The model (its tensor attributes, contexts). */
    RknnModel model() {
        return model;
    }

    /** Stops the run threads, closes every frame's binding and context, then the model. */
    @Override
    public void close() {
        ExecutorService r;
        synchronized (this) {
            r = runner;
            runner = null;
        }
        if (r != null) {
            r.shutdown();
        }
        model.close();
    }
}
