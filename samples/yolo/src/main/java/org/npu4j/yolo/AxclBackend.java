package org.npu4j.yolo;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.npu4j.axcl.AxBinding;
import org.npu4j.axcl.AxModel;
import org.npu4j.axcl.AxSession;
import org.npu4j.axcl.AxclRuntime;
import org.npu4j.axcl.DataType;
import org.npu4j.axcl.Layout;
import org.npu4j.axcl.TensorInfo;
import org.npu4j.metrics.LatencyRecorder;

/**
 * A YOLO {@code .axmodel} on the AX650N card through AXCL: one {@link AxSession} and {@link AxBinding}
 * (device buffers and pinned host buffers) per frame; a run copies the input to the card, executes
 * and copies the outputs back, recorded as host-to-device, execute and device-to-host.
 *
 * <p>The input is read from the model: input 0, {@code [1, H, W, 3]} NHWC or {@code [1, 3, H, W]}
 * NCHW, 8-bit. Class outputs of split or concatenated heads are logits (Ultralytics' export without
 * the sigmoid, as Axera's model zoo ships them).
 */
final class AxclBackend implements DetectorBackend {
    private final AxclRuntime runtime;
    private final AxModel model;
    private final int width;
    private final int height;
    private final TensorLayout layout;
    private final List<HeadTensor> outputs;
    private final YoloDecoder decoder;
    private final Frame frame;

    private AxclBackend(AxclRuntime runtime, AxModel model) {
        this.runtime = runtime;
        this.model = model;
        if (model.inputs().size() != 1) {
            throw new IllegalArgumentException(model.name() + " has " + model.inputs().size()
                    + " inputs; a YOLO detector has one image input");
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
        layout = l == Layout.NHWC ? TensorLayout.NHWC : TensorLayout.NCHW;
        if (in.dataType() != DataType.UINT8 && in.dataType() != DataType.INT8) {
            throw new IllegalArgumentException("input " + in + ": expected 8-bit RGB (UINT8)");
        }
        if (in.byteSize() < 3L * width * height) {
            throw new IllegalArgumentException("input " + in + ": " + in.byteSize() + " bytes cannot hold " + width + "x"
                    + height + " RGB");
        }
        this.outputs = model.outputs().stream().map(AxclBackend::head).toList();
        this.decoder = YoloDecoder.of(width, height, outputs, YoloDecoder.Scores.LOGITS);
        this.frame = new SessionFrame(model);
    }

    /**
     * Acquires the AXCL runtime and loads {@code modelFile} on the first device.
     *
     * @throws IllegalArgumentException if the model's input is not one 8-bit RGB image
     * @throws org.npu4j.axcl.AxclException if the runtime refuses the model
     */
    static AxclBackend open(AxclRuntime.Options options, Path modelFile) {
        Objects.requireNonNull(modelFile, "modelFile");
        AxclRuntime runtime = AxclRuntime.acquire(options);
        try {
            return new AxclBackend(runtime, runtime.device().load(modelFile));
        } catch (RuntimeException e) {
            runtime.close();
            throw e;
        }
    }

    /** An AXCL tensor description as the decoder reads it (AXCL heads are floating-point; no quantisation). */
    static HeadTensor head(TensorInfo t) {
        ElementType type = switch (t.dataType()) {
            case FP32 -> ElementType.FP32;
            case FP16 -> ElementType.FP16;
            case BF16 -> ElementType.BF16;
            default -> ElementType.OTHER;
        };
        TensorLayout l = switch (t.layout()) {
            case NHWC -> TensorLayout.NHWC;
            case NCHW -> TensorLayout.NCHW;
            default -> TensorLayout.UNKNOWN;
        };
        return new HeadTensor(t.index(), t.shape(), type, l, 0, 1f, t.toString());
    }

    /** One session and its binding. */
    private static final class SessionFrame implements Frame {
        private final AxSession session;
        private final AxBinding io;
        private final MemorySegment input;
        private final List<MemorySegment> outs;

        SessionFrame(AxModel model) {
            session = model.newSession();
            try {
                io = session.bind();
                input = io.input(0);
                List<MemorySegment> o = new ArrayList<>();
                for (int i = 0; i < model.outputs().size(); i++) {
                    o.add(io.output(i));
                }
                outs = List.copyOf(o);
            } catch (RuntimeException e) {
                session.close();
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
            return io.runAsync();
        }

        @Override
        public void close() {
            session.close();
        }
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
        return layout;
    }

    @Override
    public int inputRowPixels() {
        return width;
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
        return new SessionFrame(model);
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
        return "AXCL on " + runtime.socName();
    }

    /** The AXCL runtime handle (versions, devices). */
    AxclRuntime runtime() {
        return runtime;
    }

    /** Closes the sessions, the model, and releases the runtime. */
    @Override
    public void close() {
        runtime.close();
    }
}
