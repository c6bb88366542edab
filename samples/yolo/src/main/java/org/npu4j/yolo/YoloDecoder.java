package org.npu4j.yolo;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the outputs of a YOLOv8 / YOLO11 detection head into boxes in model-input pixels, for every
 * NPU backend ({@link DetectorBackend}). The arrangement is recognised from the output tensors' shapes
 * (never from their names):
 * <ul>
 *   <li>{@link Kind#DFL_SPLIT}: per scale (stride 8, 16, 32: grid = input / stride) one box tensor of
 *       {@code 4 × regMax} channels (the distribution of each side's distance, {@code regMax} = 16
 *       bins, sides in the order left, top, right, bottom), one class tensor of {@code C} channels and
 *       optionally one score-sum tensor of 1 channel (the sum of the class probabilities of the cell,
 *       as the RKNN model zoo exports it: 9 outputs);</li>
 *   <li>{@link Kind#DFL_CONCAT}: per scale one tensor of {@code 4 × regMax + C} channels, box bins
 *       first;</li>
 *   <li>{@link Kind#DECODED}: one tensor {@code [1, 4 + C, N]} (or {@code [1, N, 4 + C]}) of centre x,
 *       centre y, width, height in input pixels followed by the class scores (already probabilities),
 *       as Ultralytics exports it.</li>
 * </ul>
 * DFL decoding: per side, softmax over the {@code regMax} bins, the expectation of the bin index is
 * the distance in grid cells; corners are {@code (cell + 0.5 ∓ distance) × stride}. Class scores are
 * logits (sigmoid applied here) or probabilities, as the backend says ({@link Scores}). Tensors may be
 * NHWC or NCHW (their layout, or, when the runtime states none, the arrangement whose grid divides the
 * input).
 *
 * <h2>Quantised heads</h2>
 * 8-bit tensors (INT8/UINT8, {@code real = (q − zeroPoint) · scale}, each tensor its own pair) are
 * read in place and compared in the quantised domain: the threshold is turned once per frame into the
 * smallest integer whose real value reaches it, the best class is the largest integer (the scale is
 * positive), and only the best class and the box bins are dequantised. The score sum, when present, is
 * a fast reject: a cell whose sum of class probabilities is below the confidence cannot have a class
 * above it, so its class scores are not read. The DFL softmax of 8-bit bins uses a table of
 * {@code exp(−k · scale)}, {@code k} the distance from the side's largest integer.
 *
 * <p>Immutable, thread-safe.
 */
public final class YoloDecoder {
    /** How the head's outputs are arranged. */
    public enum Kind { DFL_SPLIT, DFL_CONCAT, DECODED }

    /** What the class-score values of split or concatenated heads are. */
    public enum Scores {
        /** Before the sigmoid (Ultralytics' ONNX export without it; Axera's model zoo). */
        LOGITS,
        /** After the sigmoid, in [0, 1] (the RKNN model zoo's export: "sigmoid inside"). */
        PROBABILITIES
    }

    /** Bins per side of the DFL distribution in YOLOv8 / YOLO11. */
    public static final int REG_MAX = 16;

    /**
     * A rank-4 tensor seen as channels × grid, with its element addressing and quantisation; for an
     * 8-bit tensor, {@code exp[k] = exp(−k · scale)} (the DFL softmax weights).
     */
    private record Grid(int output, ElementType type, int channels, int h, int w, boolean channelsLast, int zeroPoint,
            float scale, double[] exp) {
        long index(int c, int y, int x) {
            return channelsLast ? ((long) y * w + x) * channels + c : ((long) c * h + y) * w + x;
        }

        boolean quantized() {
            return type.quantized();
        }

        /** The integer at (c, y, x) of an 8-bit tensor. */
        int q(MemorySegment s, int c, int y, int x) {
            return TensorReader.quantized(s, type, index(c, y, x));
        }

        /** The real value at (c, y, x). */
        float get(MemorySegment s, int c, int y, int x) {
            return TensorReader.get(s, type, zeroPoint, scale, index(c, y, x));
        }

        float dequantize(int q) {
            return (q - zeroPoint) * scale;
        }

        /**
         * The smallest integer of this 8-bit tensor whose real value reaches {@code threshold}, or one
         * above the largest when none does: {@code dequantize(q) >= threshold  <=>  q >= result}.
         */
        int threshold(double threshold) {
            int lo = type == ElementType.INT8 ? -128 : 0;
            for (int q = lo; q < lo + 256; q++) {
                if (dequantize(q) >= threshold) {
                    return q;
                }
            }
            return lo + 256;
        }
    }

    /** One scale: its stride and the tensor(s) holding its boxes, classes and (or null) score sums. */
    private record Scale(int stride, Grid box, Grid cls, int clsOffset, Grid sum) {}

    private final Kind kind;
    private final Scores scores;
    private final int inputWidth;
    private final int inputHeight;
    private final int classes;
    private final List<Scale> scales;
    // DECODED only
    private final HeadTensor decodedTensor;
    private final int decodedCount;
    private final boolean decodedChannelsFirst;

    private YoloDecoder(Kind kind, Scores scores, int inputWidth, int inputHeight, int classes, List<Scale> scales,
            HeadTensor decodedTensor, int decodedCount, boolean decodedChannelsFirst) {
        this.kind = kind;
        this.scores = scores;
        this.inputWidth = inputWidth;
        this.inputHeight = inputHeight;
        this.classes = classes;
        this.scales = List.copyOf(scales);
        this.decodedTensor = decodedTensor;
        this.decodedCount = decodedCount;
        this.decodedChannelsFirst = decodedChannelsFirst;
    }

    /**
     * Recognises the head from the model's outputs.
     *
     * @param inputWidth  model input width, pixels
     * @param inputHeight model input height, pixels
     * @param outputs     the model's outputs, in buffer order
     * @param scores      whether class scores of split or concatenated heads are logits or probabilities
     * @throws IllegalArgumentException if the outputs are none of the supported arrangements, naming what
     *                                  was found and what was expected
     */
    public static YoloDecoder of(int inputWidth, int inputHeight, List<HeadTensor> outputs, Scores scores) {
        for (HeadTensor t : outputs) {
            if (t.type() == ElementType.OTHER) {
                throw new IllegalArgumentException("output " + t + ": only FP32, FP16, BF16 and affine-quantised"
                        + " INT8/UINT8 outputs are decoded");
            }
            if (t.type().quantized() && !(t.scale() > 0)) {
                throw new IllegalArgumentException("output " + t + ": quantisation scale " + t.scale()
                        + ", expected a positive scale");
            }
        }
        if (outputs.size() == 1 && outputs.getFirst().shape().size() == 3) {
            return decoded(inputWidth, inputHeight, outputs.getFirst());
        }
        Map<Integer, List<Grid>> byStride = new LinkedHashMap<>();
        for (HeadTensor t : outputs) {
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
                s = new Scale(e.getKey(), gs.getFirst(), gs.getFirst(), 4 * REG_MAX, null);
            } else if (gs.size() == 2 || gs.size() == 3) {
                Grid box = null;
                Grid sum = null;
                Grid cls = null;
                for (Grid g : gs) {
                    if (g.channels() == 4 * REG_MAX && box == null) {
                        box = g;
                    } else if (g.channels() == 1 && gs.size() == 3 && sum == null) {
                        sum = g;
                    } else if (cls == null) {
                        cls = g;
                    } else {
                        cls = null;
                        break;
                    }
                }
                if (box == null || cls == null || (gs.size() == 3) != (sum != null)) {
                    throw new IllegalArgumentException("stride " + e.getKey() + ": expected a box tensor of "
                            + 4 * REG_MAX + " channels, a class tensor and optionally a score-sum tensor of 1 channel,"
                            + " got " + gs.stream().map(g -> outputs.get(indexOf(outputs, g.output())).toString()).toList());
                }
                k = Kind.DFL_SPLIT;
                s = new Scale(e.getKey(), box, cls, 0, sum);
            } else {
                throw new IllegalArgumentException("stride " + e.getKey() + ": " + gs.size()
                        + " tensors, expected a box and a class tensor (and a score sum), or one concatenated tensor: "
                        + outputs);
            }
            int c = s.cls().channels() - s.clsOffset();
            if (kind != null && (kind != k || classes != c || (s.sum() == null) != (scales.getFirst().sum() == null))) {
                throw new IllegalArgumentException("the scales disagree on the head arrangement: " + outputs);
            }
            kind = k;
            classes = c;
            scales.add(s);
        }
        if (kind == null || classes < 1) {
            throw new IllegalArgumentException("no YOLO head in " + outputs);
        }
        return new YoloDecoder(kind, scores, inputWidth, inputHeight, classes, scales, null, 0, false);
    }

    private static int indexOf(List<HeadTensor> outputs, int output) {
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i).index() == output) {
                return i;
            }
        }
        return -1;
    }

    private static YoloDecoder decoded(int inputWidth, int inputHeight, HeadTensor t) {
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
        return new YoloDecoder(Kind.DECODED, Scores.PROBABILITIES, inputWidth, inputHeight, attrs - 4, List.of(), t,
                count, channelsFirst);
    }

    private static Grid grid(int inW, int inH, HeadTensor t) {
        List<Integer> d = t.shape();
        if (d.size() != 4 || d.get(0) != 1) {
            throw new IllegalArgumentException("output " + t + ": expected [1, H, W, C] or [1, C, H, W]");
        }
        double[] exp = null;
        if (t.type().quantized()) {
            exp = new double[256];
            for (int k = 0; k < 256; k++) {
                exp[k] = Math.exp(-k * (double) t.scale());
            }
        }
        Grid nhwc = new Grid(t.index(), t.type(), d.get(3), d.get(1), d.get(2), true, t.zeroPoint(), t.scale(), exp);
        Grid nchw = new Grid(t.index(), t.type(), d.get(1), d.get(2), d.get(3), false, t.zeroPoint(), t.scale(), exp);
        if (t.layout() == TensorLayout.NHWC) {
            return requireGrid(inW, inH, nhwc, t);
        }
        if (t.layout() == TensorLayout.NCHW) {
            return requireGrid(inW, inH, nchw, t);
        }
        return fits(inW, inH, nhwc) ? nhwc : requireGrid(inW, inH, nchw, t);
    }

    private static Grid requireGrid(int inW, int inH, Grid g, HeadTensor t) {
        if (!fits(inW, inH, g)) {
            throw new IllegalArgumentException("output " + t + ": its grid " + g.w() + "x" + g.h()
                    + " does not divide the input " + inW + "x" + inH);
        }
        return g;
    }

    private static boolean fits(int inW, int inH, Grid g) {
        return g.w() > 0 && g.h() > 0 && inW % g.w() == 0 && inH % g.h() == 0 && inW / g.w() == inH / g.h();
    }

    public Kind kind() {
        return kind;
    }

    /** Whether class scores are logits or probabilities ({@link Scores#PROBABILITIES} for {@link Kind#DECODED}). */
    public Scores scores() {
        return scores;
    }

    /** Number of classes the head scores. */
    public int classes() {
        return classes;
    }

    /** Strides of the scales, in output order (empty for {@link Kind#DECODED}). */
    public List<Integer> strides() {
        return scales.stream().map(Scale::stride).toList();
    }

    /** True when every scale has a score-sum tensor (used as a fast reject). */
    public boolean hasScoreSum() {
        return !scales.isEmpty() && scales.getFirst().sum() != null;
    }

    /**
     * The boxes whose best class scores at least {@code confidence}, in model-input pixels, before NMS.
     *
     * @param outputs    the output buffers, in buffer order
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
            decodeDecoded(outputs.get(decodedTensor.index()), confidence, buf);
            return;
        }
        // LOGITS: sigmoid(logit) >= confidence  <=>  logit >= log(c / (1 - c))
        double scoreThreshold = scores == Scores.PROBABILITIES ? confidence
                : confidence <= 0 ? Double.NEGATIVE_INFINITY
                : confidence >= 1 ? Double.POSITIVE_INFINITY : Math.log(confidence / (1.0 - confidence));
        for (int si = 0; si < scales.size(); si++) {
            Scale s = scales.get(si);
            MemorySegment box = outputs.get(s.box().output());
            MemorySegment cls = outputs.get(s.cls().output());
            Grid bg = s.box();
            Grid cg = s.cls();
            Grid sg = s.sum();
            MemorySegment sum = sg == null ? null : outputs.get(sg.output());
            boolean sumQuantized = sg != null && sg.quantized();
            int sumMin = sumQuantized ? sg.threshold(confidence) : 0;
            boolean clsQuantized = cg.quantized();
            int clsMin = clsQuantized ? cg.threshold(scoreThreshold) : 0;
            int off = s.clsOffset();
            for (int y = 0; y < cg.h(); y++) {
                for (int x = 0; x < cg.w(); x++) {
                    if (sg != null && (sumQuantized ? sg.q(sum, 0, y, x) < sumMin : sg.get(sum, 0, y, x) < confidence)) {
                        continue; // no class of this cell can reach the confidence
                    }
                    int best = -1;
                    float bestValue;
                    if (clsQuantized) {
                        int bestQ = Integer.MIN_VALUE;
                        for (int c = 0; c < classes; c++) {
                            int q = cg.q(cls, off + c, y, x);
                            if (q > bestQ) {
                                bestQ = q;
                                best = c;
                            }
                        }
                        if (best < 0 || bestQ < clsMin) {
                            continue;
                        }
                        bestValue = cg.dequantize(bestQ);
                    } else {
                        bestValue = Float.NEGATIVE_INFINITY;
                        for (int c = 0; c < classes; c++) {
                            float v = cg.get(cls, off + c, y, x);
                            if (v > bestValue) {
                                bestValue = v;
                                best = c;
                            }
                        }
                        if (best < 0 || bestValue < scoreThreshold) {
                            continue;
                        }
                    }
                    float score = scores == Scores.LOGITS ? (float) (1.0 / (1.0 + Math.exp(-bestValue))) : bestValue;
                    float left = expectation(box, bg, 0, y, x);
                    float top = expectation(box, bg, 1, y, x);
                    float right = expectation(box, bg, 2, y, x);
                    float bottom = expectation(box, bg, 3, y, x);
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
        if (g.quantized()) {
            int max = Integer.MIN_VALUE;
            for (int b = 0; b < REG_MAX; b++) {
                max = Math.max(max, g.q(box, side * REG_MAX + b, y, x));
            }
            double[] exp = g.exp();
            double sum = 0;
            double weighted = 0;
            for (int b = 0; b < REG_MAX; b++) {
                double e = exp[max - g.q(box, side * REG_MAX + b, y, x)];
                sum += e;
                weighted += e * b;
            }
            return (float) (weighted / sum);
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int b = 0; b < REG_MAX; b++) {
            max = Math.max(max, g.get(box, side * REG_MAX + b, y, x));
        }
        double sum = 0;
        double weighted = 0;
        for (int b = 0; b < REG_MAX; b++) {
            double e = Math.exp(g.get(box, side * REG_MAX + b, y, x) - max);
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
        return TensorReader.get(out, decodedTensor.type(), decodedTensor.zeroPoint(), decodedTensor.scale(), i);
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
        return kind + " head, " + classes + " classes" + (scales.isEmpty() ? "" : ", strides " + strides())
                + (hasScoreSum() ? ", score sums" : "") + (scales.isEmpty() ? "" : ", " + type());
    }

    private String type() {
        ElementType t = scales.getFirst().cls().type();
        return t.quantized() ? t + " (zero point, scale)" : t.toString();
    }
}
