package org.npu4j.yolo;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.npu4j.axcl.DataType;
import org.npu4j.axcl.Layout;
import org.npu4j.axcl.TensorInfo;

/**
 * Decodes the outputs of a YOLOv8 / YOLO11 detection head into boxes in model-input pixels. The
 * arrangement is recognised from the output tensors' shapes (never from their names):
 * <ul>
 *   <li>{@link Kind#DFL_SPLIT}: per scale (stride 8, 16, 32: grid = input / stride) one box tensor of
 *       {@code 4 × regMax} channels (the distribution of each side's distance, {@code regMax} = 16
 *       bins, sides in the order left, top, right, bottom) and one class tensor of {@code C} channels
 *       (logits);</li>
 *   <li>{@link Kind#DFL_CONCAT}: per scale one tensor of {@code 4 × regMax + C} channels, box bins
 *       first;</li>
 *   <li>{@link Kind#DECODED}: one tensor {@code [1, 4 + C, N]} (or {@code [1, N, 4 + C]}) of centre x,
 *       centre y, width, height in input pixels followed by the class scores (already probabilities),
 *       as Ultralytics exports it.</li>
 * </ul>
 * DFL decoding: per side, softmax over the {@code regMax} bins, the expectation of the bin index is
 * the distance in grid cells; corners are {@code (cell + 0.5 ∓ distance) × stride}. Class logits go
 * through the sigmoid. Tensors may be NHWC or NCHW (their layout, or, when the model states none, the
 * arrangement whose grid divides the input).
 *
 * <p>Immutable, thread-safe.
 */
public final class YoloDecoder {
    /** How the head's outputs are arranged. */
    public enum Kind { DFL_SPLIT, DFL_CONCAT, DECODED }

    /** Bins per side of the DFL distribution in YOLOv8 / YOLO11. */
    public static final int REG_MAX = 16;

    /** A rank-4 tensor seen as channels × grid, with its element addressing. */
    private record Grid(int output, DataType type, int channels, int h, int w, boolean channelsLast) {
        long index(int c, int y, int x) {
            return channelsLast ? ((long) y * w + x) * channels + c : ((long) c * h + y) * w + x;
        }
    }

    /** One scale: its stride and the tensor(s) holding its boxes and classes. */
    private record Scale(int stride, Grid box, Grid cls, int clsOffset) {}

    private final Kind kind;
    private final int inputWidth;
    private final int inputHeight;
    private final int classes;
    private final List<Scale> scales;
    // DECODED only
    private final int decodedOutput;
    private final DataType decodedType;
    private final int decodedCount;
    private final boolean decodedChannelsFirst;

    private YoloDecoder(Kind kind, int inputWidth, int inputHeight, int classes, List<Scale> scales, int decodedOutput,
            DataType decodedType, int decodedCount, boolean decodedChannelsFirst) {
        this.kind = kind;
        this.inputWidth = inputWidth;
        this.inputHeight = inputHeight;
        this.classes = classes;
        this.scales = List.copyOf(scales);
        this.decodedOutput = decodedOutput;
        this.decodedType = decodedType;
        this.decodedCount = decodedCount;
        this.decodedChannelsFirst = decodedChannelsFirst;
    }

    /**
     * Recognises the head from the model's outputs.
     *
     * @param inputWidth  model input width, pixels
     * @param inputHeight model input height, pixels
     * @throws IllegalArgumentException if the outputs are none of the supported arrangements
     */
    public static YoloDecoder of(int inputWidth, int inputHeight, List<TensorInfo> outputs) {
        for (TensorInfo t : outputs) {
            if (!TensorReader.supports(t.dataType())) {
                throw new IllegalArgumentException("output " + t + ": only FP32, FP16 and BF16 outputs are decoded");
            }
        }
        if (outputs.size() == 1 && outputs.getFirst().shape().size() == 3) {
            return decoded(inputWidth, inputHeight, outputs.getFirst());
        }
        Map<Integer, List<Grid>> byStride = new LinkedHashMap<>();
        for (TensorInfo t : outputs) {
            Grid g = grid(inputWidth, inputHeight, t);
            byStride.computeIfAbsent(inputWidth / g.w(), k -> new ArrayList<>()).add(g);
        }
        List<Scale> scales = new ArrayList<>();
        Kind kind = null;
        int classes = -1;
        for (Map.Entry<Integer, List<Grid>> e : byStride.entrySet()) {
            List<Grid> gs = e.getValue();
            Scale s;
            Kind k;
            if (gs.size() == 1 && gs.getFirst().channels() > 4 * REG_MAX) {
                k = Kind.DFL_CONCAT;
                s = new Scale(e.getKey(), gs.getFirst(), gs.getFirst(), 4 * REG_MAX);
            } else if (gs.size() == 2) {
                Grid a = gs.get(0);
                Grid b = gs.get(1);
                Grid box = a.channels() == 4 * REG_MAX ? a : b;
                Grid cls = box == a ? b : a;
                if (box.channels() != 4 * REG_MAX) {
                    throw new IllegalArgumentException("stride " + e.getKey() + ": no box tensor of " + 4 * REG_MAX
                            + " channels among " + describe(outputs));
                }
                k = Kind.DFL_SPLIT;
                s = new Scale(e.getKey(), box, cls, 0);
            } else {
                throw new IllegalArgumentException("stride " + e.getKey() + ": " + gs.size()
                        + " tensors, expected a box and a class tensor or one concatenated tensor: " + describe(outputs));
            }
            int c = s.cls().channels() - s.clsOffset();
            if (kind != null && (kind != k || classes != c)) {
                throw new IllegalArgumentException("the scales disagree on the head arrangement: " + describe(outputs));
            }
            kind = k;
            classes = c;
            scales.add(s);
        }
        if (kind == null || classes < 1) {
            throw new IllegalArgumentException("no YOLO head in " + describe(outputs));
        }
        return new YoloDecoder(kind, inputWidth, inputHeight, classes, scales, -1, DataType.NONE, 0, false);
    }

    private static YoloDecoder decoded(int inputWidth, int inputHeight, TensorInfo t) {
        List<Integer> d = t.shape();
        if (d.get(0) != 1) {
            throw new IllegalArgumentException("decoded output " + t + ": batch must be 1");
        }
        int a = d.get(1);
        int b = d.get(2);
        // Ultralytics: [1, 4 + C, N] with N (anchors) much larger than 4 + C.
        boolean channelsFirst = a <= b;
        int attrs = channelsFirst ? a : b;
        int count = channelsFirst ? b : a;
        if (attrs < 5) {
            throw new IllegalArgumentException("decoded output " + t + ": fewer than 4 + 1 values per box");
        }
        return new YoloDecoder(Kind.DECODED, inputWidth, inputHeight, attrs - 4, List.of(), t.index(), t.dataType(),
                count, channelsFirst);
    }

    private static Grid grid(int inW, int inH, TensorInfo t) {
        List<Integer> d = t.shape();
        if (d.size() != 4 || d.get(0) != 1) {
            throw new IllegalArgumentException("output " + t + ": expected [1, H, W, C] or [1, C, H, W]");
        }
        Grid nhwc = new Grid(t.index(), t.dataType(), d.get(3), d.get(1), d.get(2), true);
        Grid nchw = new Grid(t.index(), t.dataType(), d.get(1), d.get(2), d.get(3), false);
        if (t.layout() == Layout.NHWC) {
            return requireGrid(inW, inH, nhwc, t);
        }
        if (t.layout() == Layout.NCHW) {
            return requireGrid(inW, inH, nchw, t);
        }
        return fits(inW, inH, nhwc) ? nhwc : requireGrid(inW, inH, nchw, t);
    }

    private static Grid requireGrid(int inW, int inH, Grid g, TensorInfo t) {
        if (!fits(inW, inH, g)) {
            throw new IllegalArgumentException("output " + t + ": its grid " + g.w() + "x" + g.h() + " does not divide the input "
                    + inW + "x" + inH);
        }
        return g;
    }

    private static boolean fits(int inW, int inH, Grid g) {
        return g.w() > 0 && g.h() > 0 && inW % g.w() == 0 && inH % g.h() == 0 && inW / g.w() == inH / g.h();
    }

    private static String describe(List<TensorInfo> outputs) {
        return outputs.toString();
    }

    public Kind kind() {
        return kind;
    }

    /** Number of classes the head scores. */
    public int classes() {
        return classes;
    }

    /** Strides of the scales, in output order (empty for {@link Kind#DECODED}). */
    public List<Integer> strides() {
        return scales.stream().map(Scale::stride).toList();
    }

    /**
     * The boxes whose best class scores at least {@code confidence}, in model-input pixels, before NMS.
     *
     * @param outputs    the output buffers, in engine order (as {@code AxBinding.output(i)})
     * @param confidence score threshold in [0, 1]
     * @param labels     class names ({@link Labels#name} for ids beyond the list)
     */
    public List<Detection> decode(List<MemorySegment> outputs, float confidence, List<String> labels) {
        DetectionBuffer buf = new DetectionBuffer();
        decodeInto(outputs, confidence, buf);
        List<Detection> found = new ArrayList<>(buf.size);
        for (int i = 0; i < buf.size; i++) {
            found.add(new Detection(buf.classId[i], Labels.name(labels, buf.classId[i]), buf.score[i], buf.x1[i], buf.y1[i],
                    buf.x2[i], buf.y2[i]));
        }
        return found;
    }

    /**
     * As {@link #decode}, into {@code buf} (cleared first): no allocation once {@code buf} has grown to
     * the frame's candidate count.
     */
    void decodeInto(List<MemorySegment> outputs, float confidence, DetectionBuffer buf) {
        buf.clear();
        if (kind == Kind.DECODED) {
            decodeDecoded(outputs.get(decodedOutput), confidence, buf);
            return;
        }
        // sigmoid(logit) >= confidence  <=>  logit >= log(c / (1 - c))
        double logitThreshold = confidence <= 0 ? Double.NEGATIVE_INFINITY
                : confidence >= 1 ? Double.POSITIVE_INFINITY : Math.log(confidence / (1.0 - confidence));
        for (int si = 0; si < scales.size(); si++) {
            Scale s = scales.get(si);
            MemorySegment box = outputs.get(s.box().output());
            MemorySegment cls = outputs.get(s.cls().output());
            Grid bg = s.box();
            Grid cg = s.cls();
            for (int y = 0; y < cg.h(); y++) {
                for (int x = 0; x < cg.w(); x++) {
                    int best = -1;
                    float bestLogit = Float.NEGATIVE_INFINITY;
                    for (int c = 0; c < classes; c++) {
                        float v = TensorReader.get(cls, cg.type(), cg.index(s.clsOffset() + c, y, x));
                        if (v > bestLogit) {
                            bestLogit = v;
                            best = c;
                        }
                    }
                    if (best < 0 || bestLogit < logitThreshold) {
                        continue;
                    }
                    float left = expectation(box, bg, 0, y, x);
                    float top = expectation(box, bg, 1, y, x);
                    float right = expectation(box, bg, 2, y, x);
                    float bottom = expectation(box, bg, 3, y, x);
                    float score = (float) (1.0 / (1.0 + Math.exp(-bestLogit)));
                    float ax = x + 0.5f;
                    float ay = y + 0.5f;
                    buf.add(best, score, (ax - left) * s.stride(), (ay - top) * s.stride(), (ax + right) * s.stride(),
                            (ay + bottom) * s.stride());
                }
            }
        }
    }

    /** Softmax over the bins of one side, then the expected bin index. */
    private static float expectation(MemorySegment box, Grid g, int side, int y, int x) {
        float max = Float.NEGATIVE_INFINITY;
        for (int b = 0; b < REG_MAX; b++) {
            max = Math.max(max, TensorReader.get(box, g.type(), g.index(side * REG_MAX + b, y, x)));
        }
        double sum = 0;
        double weighted = 0;
        for (int b = 0; b < REG_MAX; b++) {
            double e = Math.exp(TensorReader.get(box, g.type(), g.index(side * REG_MAX + b, y, x)) - max);
            sum += e;
            weighted += e * b;
        }
        return (float) (weighted / sum);
    }

    private void decodeDecoded(MemorySegment out, float confidence, DetectionBuffer buf) {
        int attrs = 4 + classes;
        for (int n = 0; n < decodedCount; n++) {
            int best = -1;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                float v = value(out, 4 + c, n, attrs);
                if (v > bestScore) {
                    bestScore = v;
                    best = c;
                }
            }
            if (best < 0 || bestScore < confidence) {
                continue;
            }
            float cx = value(out, 0, n, attrs);
            float cy = value(out, 1, n, attrs);
            float w = value(out, 2, n, attrs);
            float h = value(out, 3, n, attrs);
            buf.add(best, bestScore, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);
        }
    }

    private float value(MemorySegment out, int attr, int n, int attrs) {
        long i = decodedChannelsFirst ? (long) attr * decodedCount + n : (long) n * attrs + attr;
        return TensorReader.get(out, decodedType, i);
    }

    /** Model input size this decoder was built for. */
    public int inputWidth() {
        return inputWidth;
    }

    public int inputHeight() {
        return inputHeight;
    }

    @Override
    public String toString() {
        return kind + " head, " + classes + " classes" + (scales.isEmpty() ? "" : ", strides " + strides());
    }
}
