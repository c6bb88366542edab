package org.npu4j.yolo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Decoding of hand-made INT8 heads in the RKNN model zoo's arrangement (per stride: box DFL bins, class
 * probabilities, score sum; NCHW; each tensor its own zero point and scale), without a runtime: the
 * result equals that of the same values dequantized into FP32 heads, the threshold holds exactly in
 * the quantised domain, and the score sum rejects a cell before its class scores are read.
 */
class QuantizedHeadsTest {
    static final int IN = 64; // grids 8, 4, 2
    static final int C = 3;
    static final List<String> LABELS = List.of("a", "b", "c");
    static final int BOX_ZP = 64;
    static final float BOX_SCALE = 1 / 8f;
    static final int SCORE_ZP = -128;
    static final float SCORE_SCALE = 1 / 255f;
    final Arena arena = Arena.ofConfined();

    @AfterEach
    void free() {
        arena.close();
    }

    /** The heads, quantized or as their FP32 twins, with or without score sums. */
    final class Heads {
        final List<HeadTensor> heads = new ArrayList<>();
        final List<MemorySegment> data = new ArrayList<>();
        final List<int[]> quant = new ArrayList<>();
        final boolean int8;

        Heads(boolean int8, boolean scoreSum) {
            this.int8 = int8;
            for (int k = 0; k < 3; k++) {
                int g = IN / (8 << k);
                add(64, g, BOX_ZP, BOX_SCALE);
                add(C, g, SCORE_ZP, SCORE_SCALE);
                if (scoreSum) {
                    add(1, g, SCORE_ZP, SCORE_SCALE);
                }
            }
        }

        private void add(int channels, int g, int zp, float scale) {
            int index = heads.size();
            ElementType t = int8 ? ElementType.INT8 : ElementType.FP32;
            heads.add(new HeadTensor(index, List.of(1, channels, g, g), t, TensorLayout.NCHW, int8 ? zp : 0,
                    int8 ? scale : 1f, "t" + index));
            data.add(arena.allocate((long) channels * g * g * t.bytes()));
            quant.add(new int[] {zp, Float.floatToIntBits(scale), g});
            fill(index, channels == 64 ? quantize(0, BOX_ZP, BOX_SCALE) : SCORE_ZP);
        }

        /** Sets the integer q (or its real value, in the FP32 twin) of element (c, y, x) of tensor t. */
        void set(int t, int c, int y, int x, int q) {
            int g = quant.get(t)[2];
            long i = ((long) c * g + y) * g + x;
            if (int8) {
                data.get(t).set(ValueLayout.JAVA_BYTE, i, (byte) q);
            } else {
                data.get(t).setAtIndex(ValueLayout.JAVA_FLOAT, i,
                        (q - quant.get(t)[0]) * Float.intBitsToFloat(quant.get(t)[1]));
            }
        }

        void fill(int t, int q) {
            int channels = heads.get(t).shape().get(1);
            int g = quant.get(t)[2];
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < g; y++) {
                    for (int x = 0; x < g; x++) {
                        set(t, c, y, x, q);
                    }
                }
            }
        }

        YoloDecoder decoder() {
            return YoloDecoder.of(IN, IN, heads, YoloDecoder.Scores.PROBABILITIES);
        }

        List<Detection> decode(float confidence) {
            return decoder().decode(data, confidence, LABELS);
        }
    }

    static int quantize(double real, int zp, float scale) {
        return (int) Math.max(-128, Math.min(127, Math.round(real / scale) + zp));
    }

    /** An object at stride 16, cell (1, 2): box (10, 20)-(50, 60), class 2 with probability q. */
    static void putObject(Heads h, int classQ, int sumQ) {
        int per = h.heads.size() / 3;
        int box = per;
        double ax = 1.5 * 16;
        double ay = 2.5 * 16;
        double[] d = {(ax - 10) / 16, (ay - 20) / 16, (50 - ax) / 16, (60 - ay) / 16};
        for (int s = 0; s < 4; s++) {
            int lo = (int) Math.floor(d[s]);
            double f = d[s] - lo;
            for (int b = 0; b < 16; b++) {
                h.set(box, s * 16 + b, 2, 1, -128);
            }
            h.set(box, s * 16 + lo, 2, 1, quantize(Math.log(1 - f), BOX_ZP, BOX_SCALE));
            h.set(box, s * 16 + lo + 1, 2, 1, quantize(Math.log(f), BOX_ZP, BOX_SCALE));
        }
        h.set(per + 1, 2, 2, 1, classQ);
        if (per == 3) {
            h.set(per + 2, 0, 2, 1, sumQ);
        }
    }

    @Test
    void int8HeadsDecodeAsTheirDequantizedValuesAndNearTheBox() {
        int q = quantize(0.8, SCORE_ZP, SCORE_SCALE);
        for (boolean sum : new boolean[] {true, false}) {
            Heads int8 = new Heads(true, sum);
            Heads fp32 = new Heads(false, sum);
            putObject(int8, q, q);
            putObject(fp32, q, q);
            assertEquals(sum, int8.decoder().hasScoreSum());
            List<Detection> a = int8.decode(0.25f);
            List<Detection> b = fp32.decode(0.25f);
            assertEquals(1, a.size(), a.toString());
            assertEquals(1, b.size(), b.toString());
            Detection d = a.getFirst();
            assertEquals(2, d.classId());
            assertEquals("c", d.label());
            assertEquals((q - SCORE_ZP) * SCORE_SCALE, d.score(), 0f, "the best class dequantized");
            assertEquals(b.getFirst().score(), d.score(), 0f);
            for (int i = 0; i < 4; i++) {
                float[] x = {d.x1(), d.y1(), d.x2(), d.y2()};
                float[] y = {b.getFirst().x1(), b.getFirst().y1(), b.getFirst().x2(), b.getFirst().y2()};
                float[] want = {10, 20, 50, 60};
                assertEquals(y[i], x[i], 1e-3f, "the DFL table equals the float softmax");
                assertEquals(want[i], x[i], 0.5f, "1/8 logit steps move a side by less than half a pixel");
            }
        }
    }

    @Test
    void theThresholdHoldsExactlyInTheQuantisedDomain() {
        int q = quantize(0.8, SCORE_ZP, SCORE_SCALE);
        float real = (q - SCORE_ZP) * SCORE_SCALE;
        Heads h = new Heads(true, true);
        putObject(h, q, q);
        assertEquals(1, h.decode(real).size(), "a score equal to the threshold passes");
        assertEquals(0, h.decode(Math.nextUp(real)).size(), "just above it does not");
        assertEquals(0, h.decode(1f).size());
        // every background cell scores 0: found only with a threshold of 0
        assertEquals(8 * 8 + 4 * 4 + 2 * 2, h.decode(0f).size());
    }

    @Test
    void aLowScoreSumRejectsTheCellBeforeItsClassScores() {
        int high = quantize(0.9, SCORE_ZP, SCORE_SCALE);
        int low = quantize(0.1, SCORE_ZP, SCORE_SCALE);
        Heads withSum = new Heads(true, true);
        putObject(withSum, high, low); // inconsistent on purpose: the sum says nothing is there
        assertEquals(List.of(), withSum.decode(0.25f), "rejected by the score sum alone");
        Heads consistent = new Heads(true, true);
        putObject(consistent, high, high);
        assertEquals(1, consistent.decode(0.25f).size());
        Heads noSum = new Heads(true, false);
        putObject(noSum, high, low);
        assertEquals(1, noSum.decode(0.25f).size(), "without score sums every cell's classes are read");
    }

    @Test
    void refusesHeadsThatAreNotTheArrangement() {
        Heads h = new Heads(true, true);
        List<HeadTensor> eight = h.heads.subList(0, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> YoloDecoder.of(IN, IN, eight, YoloDecoder.Scores.PROBABILITIES));
        assertTrue(e.getMessage().contains("the scales disagree on the head arrangement"), e.getMessage());
        List<HeadTensor> badScale = new ArrayList<>(h.heads);
        HeadTensor t = badScale.get(1);
        badScale.set(1, new HeadTensor(t.index(), t.shape(), t.type(), t.layout(), t.zeroPoint(), 0f, "t1"));
        e = assertThrows(IllegalArgumentException.class,
                () -> YoloDecoder.of(IN, IN, badScale, YoloDecoder.Scores.PROBABILITIES));
        assertTrue(e.getMessage().contains("expected a positive scale"), e.getMessage());
        HeadTensor other = new HeadTensor(0, List.of(1, 64, 8, 8), ElementType.OTHER, TensorLayout.NCHW, 0, 1f, "INT16 t0");
        e = assertThrows(IllegalArgumentException.class,
                () -> YoloDecoder.of(IN, IN, List.of(other), YoloDecoder.Scores.PROBABILITIES));
        assertTrue(e.getMessage().contains("INT16 t0"), e.getMessage());
    }
}
