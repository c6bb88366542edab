package org.npu4j.yolo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Class-wise greedy non-maximum suppression, as YOLOv8/YOLO11 post-processing does it. */
public final class Nms {
    private Nms() {}

    /**
     * Keeps, per class, the highest-scoring boxes and drops every box that overlaps a kept box of the
     * same class by more than {@code iouThreshold}. Boxes of different classes never suppress each
     * other.
     *
     * @param candidates  boxes above the confidence threshold, any order
     * @param iouThreshold intersection over union above which the lower-scoring box is dropped
     * @param maxDetections at most this many boxes are returned
     * @return the kept boxes, highest score first
     */
    public static List<Detection> apply(List<Detection> candidates, float iouThreshold, int maxDetections) {
        List<Detection> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparingDouble(Detection::score).reversed());
        List<Detection> kept = new ArrayList<>();
        boolean[] removed = new boolean[sorted.size()];
        for (int i = 0; i < sorted.size() && kept.size() < maxDetections; i++) {
            if (removed[i]) {
                continue;
            }
            Detection a = sorted.get(i);
            kept.add(a);
            for (int j = i + 1; j < sorted.size(); j++) {
                if (!removed[j]) {
                    Detection b = sorted.get(j);
                    if (b.classId() == a.classId() && a.iou(b) > iouThreshold) {
                        removed[j] = true;
                    }
                }
            }
        }
        return kept;
    }
}
