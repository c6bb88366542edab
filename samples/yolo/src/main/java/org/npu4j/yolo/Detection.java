package org.npu4j.yolo;

/**
 * One detected object: class, confidence and box corners in pixels of some image (the model input
 * while decoding, the source image after {@link Letterbox#toSource}).
 *
 * @param classId index into the label list
 * @param label   class name
 * @param score   confidence in [0, 1]
 * @param x1      left edge, pixels
 * @param y1      top edge, pixels
 * @param x2      right edge (exclusive), pixels
 * @param y2      bottom edge (exclusive), pixels
 */
public record Detection(int classId, String label, float score, float x1, float y1, float x2, float y2) {
    public float width() {
        return Math.max(0, x2 - x1);
    }

    public float height() {
        return Math.max(0, y2 - y1);
    }

    public float area() {
        return width() * height();
    }

    /** Intersection over union with {@code o}; 0 when either box is empty. */
    public float iou(Detection o) {
        float iw = Math.min(x2, o.x2) - Math.max(x1, o.x1);
        float ih = Math.min(y2, o.y2) - Math.max(y1, o.y1);
        if (iw <= 0 || ih <= 0) {
            return 0;
        }
        float inter = iw * ih;
        float union = area() + o.area() - inter;
        return union <= 0 ? 0 : inter / union;
    }

    /** The same detection with other corners. */
    public Detection withBox(float nx1, float ny1, float nx2, float ny2) {
        return new Detection(classId, label, score, nx1, ny1, nx2, ny2);
    }
}
