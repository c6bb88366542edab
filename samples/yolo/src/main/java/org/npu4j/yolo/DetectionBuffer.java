package org.npu4j.yolo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Boxes of one frame in flat arrays (class, score, corners), reused from frame to frame so that decoding
 * and NMS allocate nothing once the buffer has grown to the busiest frame's size. Corners in pixels of
 * the model input while decoding.
 *
 * <p>Not thread-safe: one buffer per pipeline slot.
 */
final class DetectionBuffer {
    int size;
    int[] classId = new int[64];
    float[] score = new float[64];
    float[] x1 = new float[64];
    float[] y1 = new float[64];
    float[] x2 = new float[64];
    float[] y2 = new float[64];
    /** NMS work: sort keys (score bits, index), suppression marks, kept indices. */
    private long[] keys = new long[64];
    private boolean[] removed = new boolean[64];
    int[] kept = new int[64];
    int keptCount;

    void clear() {
        size = 0;
        keptCount = 0;
    }

    void add(int cls, float s, float ax1, float ay1, float ax2, float ay2) {
        if (size == classId.length) {
            int n = size * 2;
            classId = Arrays.copyOf(classId, n);
            score = Arrays.copyOf(score, n);
            x1 = Arrays.copyOf(x1, n);
            y1 = Arrays.copyOf(y1, n);
            x2 = Arrays.copyOf(x2, n);
            y2 = Arrays.copyOf(y2, n);
        }
        classId[size] = cls;
        score[size] = s;
        x1[size] = ax1;
        y1[size] = ay1;
        x2[size] = ax2;
        y2[size] = ay2;
        size++;
    }

    /**
     * Class-wise greedy NMS, as {@link Nms#apply}: the kept boxes' indices, highest score first (equal
     * scores in insertion order), in {@link #kept}[0, {@link #keptCount}).
     */
    void nms(float iouThreshold, int maxDetections) {
        if (keys.length < size) {
            keys = new long[classId.length];
            removed = new boolean[classId.length];
            kept = new int[classId.length];
        }
        for (int i = 0; i < size; i++) {
            // Scores are in [0, 1]: their IEEE bits order as the values; descending score, then ascending index.
            keys[i] = ((long) (Integer.MAX_VALUE - Float.floatToIntBits(score[i])) << 32) | i;
            removed[i] = false;
        }
        heapSort(keys, size);
        keptCount = 0;
        for (int a = 0; a < size && keptCount < maxDetections; a++) {
            int i = (int) keys[a];
            if (removed[a]) {
                continue;
            }
            kept[keptCount++] = i;
            for (int b = a + 1; b < size; b++) {
                int j = (int) keys[b];
                if (!removed[b] && classId[j] == classId[i] && iou(i, j) > iouThreshold) {
                    removed[b] = true;
                }
            }
        }
    }

    /** Intersection over union of boxes {@code i} and {@code j}, as {@link Detection#iou}. */
    float iou(int i, int j) {
        float iw = Math.min(x2[i], x2[j]) - Math.max(x1[i], x1[j]);
        float ih = Math.min(y2[i], y2[j]) - Math.max(y1[i], y1[j]);
        if (iw <= 0 || ih <= 0) {
            return 0;
        }
        float inter = iw * ih;
        float union = area(i) + area(j) - inter;
        return union <= 0 ? 0 : inter / union;
    }

    private float area(int i) {
        return Math.max(0, x2[i] - x1[i]) * Math.max(0, y2[i] - y1[i]);
    }

    /** The kept boxes as detections, mapped to source pixels through {@code lb}. */
    List<Detection> keptDetections(Letterbox lb, List<String> labels) {
        List<Detection> out = new ArrayList<>(keptCount);
        for (int k = 0; k < keptCount; k++) {
            int i = kept[k];
            out.add(lb.toSource(new Detection(classId[i], Labels.name(labels, classId[i]), score[i], x1[i], y1[i], x2[i],
                    y2[i])));
        }
        return List.copyOf(out);
    }

    /** In-place ascending heap sort of {@code a[0, n)}: no allocation, unlike Arrays.sort's merge runs. */
    static void heapSort(long[] a, int n) {
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(a, i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            long t = a[0];
            a[0] = a[end];
            a[end] = t;
            siftDown(a, 0, end);
        }
    }

    private static void siftDown(long[] a, int i, int n) {
        long v = a[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) {
                break;
            }
            if (c + 1 < n && a[c + 1] > a[c]) {
                c++;
            }
            if (a[c] <= v) {
                break;
            }
            a[i] = a[c];
            i = c;
        }
        a[i] = v;
    }
}
