package org.npu4j.yolo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.npu4j.axcl.DataType;
import org.npu4j.axcl.Layout;
import org.npu4j.axcl.TensorInfo;

/** Decoding of hand-made head outputs (no runtime): every arrangement, both layouts, FP32 and FP16. */
class YoloDecoderTest {
    static final int IN = 64; // strides 8, 16, 32 -> grids 8, 4, 2
    static final int C = 3;
    static final List<String> LABELS = List.of("a", "b", "c");
    final Arena arena = Arena.ofConfined();

    @AfterEach
    void free() {
        arena.close();
    }

    static List<HeadTensor> heads(List<TensorInfo> infos) {
        return infos.stream().map(AxclBackend::head).toList();
    }

    /** A grid tensor's buffer with element setters for (channel, y, x). */
    record Head(TensorInfo info, MemorySegment data, int channels, int grid, boolean nhwc) {
        void set(int c, int y, int x, float v) {
            long i = nhwc ? ((long) y * grid + x) * channels + c : ((long) c * grid + y) * grid + x;
            if (info.dataType() == DataType.FP16) {
                data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
            } else {
                data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
            }
        }

        void fill(float v) {
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < grid; y++) {
                    for (int x = 0; x < grid; x++) {
                        set(c, y, x, v);
                    }
                }
            }
        }
    }

    Head head(int index, int channels, int grid, Layout layout, DataType type) {
        boolean nhwc = layout != Layout.NCHW;
        List<Integer> shape = nhwc ? List.of(1, grid, grid, channels) : List.of(1, channels, grid, grid);
        long bytes = (long) channels * grid * grid * (type == DataType.FP16 ? 2 : 4);
        return new Head(new TensorInfo(index, "t" + index, shape, type, layout, bytes), arena.allocate(bytes), channels, grid,
                nhwc);
    }

    /** DFL logits for one side so that the expectation is {@code dist} (mass on the two bins around it). */
    static void side(Head h, int channelOffset, int side, int y, int x, double dist) {
        int lo = (int) Math.floor(dist);
        double f = dist - lo;
        for (int b = 0; b < 16; b++) {
            h.set(channelOffset + side * 16 + b, y, x, -30f);
        }
        h.set(channelOffset + side * 16 + lo, y, x, (float) Math.log(Math.max(1 - f, 1e-9)));
        if (lo + 1 < 16) {
            h.set(channelOffset + side * 16 + lo + 1, y, x, (float) Math.log(Math.max(f, 1e-9)));
        }
    }

    /** One object at stride 16 cell (1, 2): anchor (24, 40); box (10, 20)-(50, 60) in input pixels, class 2, p=0.8. */
    static final int STRIDE = 16;
    static final int GX = 1;
    static final int GY = 2;
    static final float X1 = 10;
    static final float Y1 = 20;
    static final float X2 = 50;
    static final float Y2 = 60;

    void putObject(Head box, int boxOffset, Head cls, int clsOffset) {
        double ax = (GX + 0.5) * STRIDE;
        double ay = (GY + 0.5) * STRIDE;
        double[] d = {(ax - X1) / STRIDE, (ay - Y1) / STRIDE, (X2 - ax) / STRIDE, (Y2 - ay) / STRIDE};
        for (int s = 0; s < 4; s++) {
            side(box, boxOffset, s, GY, GX, d[s]);
        }
        cls.set(clsOffset + 2, GY, GX, (float) Math.log(0.8 / 0.2));
    }

    static void assertOneObject(List<Detection> found, float tolerance) {
        assertEquals(1, found.size(), found.toString());
        Detection d = found.getFirst();
        assertEquals(2, d.classId());
        assertEquals("c", d.label());
        assertEquals(0.8f, d.score(), 1e-3);
        assertEquals(X1, d.x1(), tolerance);
        assertEquals(Y1, d.y1(), tolerance);
        assertEquals(X2, d.x2(), tolerance);
        assertEquals(Y2, d.y2(), tolerance);
    }

    @Test
    void splitHeadsNhwc() {
        splitHeads(Layout.NHWC, DataType.FP32, 1e-3f);
    }

    @Test
    void splitHeadsNchwFp16() {
        splitHeads(Layout.NCHW, DataType.FP16, 0.05f);
    }

    void splitHeads(Layout layout, DataType type, float tol) {
        List<TensorInfo> infos = new ArrayList<>();
        List<MemorySegment> data = new ArrayList<>();
        Head box16 = null;
        Head cls16 = null;
        for (int k = 0; k < 3; k++) {
            int grid = IN / (8 << k);
            Head box = head(2 * k, 64, grid, layout, type);
            Head cls = head(2 * k + 1, C, grid, layout, type);
            box.fill(0);
            cls.fill(-8);
            infos.add(box.info());
            infos.add(cls.info());
            data.add(box.data());
            data.add(cls.data());
            if (k == 1) {
                box16 = box;
                cls16 = cls;
            }
        }
        putObject(box16, 0, cls16, 0);
        YoloDecoder dec = YoloDecoder.of(IN, IN, heads(infos), YoloDecoder.Scores.LOGITS);
        assertEquals(YoloDecoder.Kind.DFL_SPLIT, dec.kind());
        assertEquals(C, dec.classes());
        assertEquals(List.of(8, 16, 32), dec.strides());
        assertOneObject(dec.decode(data, 0.25f, LABELS), tol);
        assertEquals(0, dec.decode(data, 0.85f, LABELS).size(), "0.8 is below 0.85");
        // background cells are found when the threshold is below their score
        assertEquals(8 * 8 + 4 * 4 + 2 * 2, dec.decode(data, 0.0001f, LABELS).size());
    }

    @Test
    void concatenatedHeads() {
        List<TensorInfo> infos = new ArrayList<>();
        List<MemorySegment> data = new ArrayList<>();
        Head mid = null;
        for (int k = 0; k < 3; k++) {
            Head h = head(k, 64 + C, IN / (8 << k), Layout.NHWC, DataType.FP32);
            h.fill(-8);
            infos.add(h.info());
            data.add(h.data());
            if (k == 1) {
                mid = h;
            }
        }
        putObject(mid, 0, mid, 64);
        YoloDecoder dec = YoloDecoder.of(IN, IN, heads(infos), YoloDecoder.Scores.LOGITS);
        assertEquals(YoloDecoder.Kind.DFL_CONCAT, dec.kind());
        assertEquals(C, dec.classes());
        assertOneObject(dec.decode(data, 0.25f, LABELS), 1e-3f);
    }

    @Test
    void decodedOutputChannelMajorAndAnchorMajor() {
        for (boolean channelMajor : new boolean[] {true, false}) {
            int anchors = 84;
            int attrs = 4 + C;
            List<Integer> shape = channelMajor ? List.of(1, attrs, anchors) : List.of(1, anchors, attrs);
            TensorInfo info = new TensorInfo(0, "output0", shape, DataType.FP32, Layout.NONE, 4L * attrs * anchors);
            MemorySegment s = arena.allocate(info.byteSize());
            int a = 30;
            float[] v = {(X1 + X2) / 2, (Y1 + Y2) / 2, X2 - X1, Y2 - Y1, 0.01f, 0.1f, 0.8f};
            for (int c = 0; c < attrs; c++) {
                long i = channelMajor ? (long) c * anchors + a : (long) a * attrs + c;
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v[c]);
            }
            YoloDecoder dec = YoloDecoder.of(IN, IN, heads(List.of(info)), YoloDecoder.Scores.LOGITS);
            assertEquals(YoloDecoder.Kind.DECODED, dec.kind());
            assertEquals(C, dec.classes());
            assertOneObject(dec.decode(List.of(s), 0.25f, LABELS), 1e-4f);
        }
    }

    @Test
    void refusesWhatIsNotAYoloHead() {
        TensorInfo logits = new TensorInfo(0, "output", List.of(1, 1000), DataType.FP32, Layout.NONE, 4000);
        assertThrows(IllegalArgumentException.class, () -> YoloDecoder.of(IN, IN, heads(List.of(logits)), YoloDecoder.Scores.LOGITS));
        TensorInfo int8 = new TensorInfo(0, "o", List.of(1, 7, 84), DataType.INT8, Layout.NONE, 588);
        assertThrows(IllegalArgumentException.class, () -> YoloDecoder.of(IN, IN, heads(List.of(int8)), YoloDecoder.Scores.LOGITS));
        TensorInfo notDividing = new TensorInfo(0, "o", List.of(1, 7, 7, 67), DataType.FP32, Layout.NHWC, 4 * 49 * 67);
        assertThrows(IllegalArgumentException.class, () -> YoloDecoder.of(IN, IN, heads(List.of(notDividing)), YoloDecoder.Scores.LOGITS));
    }
}
