package org.npu4j.yolo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class NmsTest {

    @Test
    void suppressesOverlapsWithinAClassOnly() {
        Detection a = new Detection(0, "person", 0.9f, 0, 0, 100, 100);
        Detection aLow = new Detection(0, "person", 0.6f, 5, 5, 105, 105); // IoU ~0.82 with a
        Detection aFar = new Detection(0, "person", 0.5f, 200, 200, 300, 300);
        Detection car = new Detection(2, "car", 0.7f, 5, 5, 105, 105); // same place, other class
        List<Detection> kept = Nms.apply(List.of(aLow, car, aFar, a), 0.45f, 300);
        assertEquals(List.of(a, car, aFar), kept);
        // a high threshold keeps the overlapping box
        assertEquals(4, Nms.apply(List.of(aLow, car, aFar, a), 0.9f, 300).size());
        // the limit
        assertEquals(List.of(a, car), Nms.apply(List.of(aLow, car, aFar, a), 0.45f, 2));
    }

    @Test
    void iouIsIntersectionOverUnion() {
        Detection a = new Detection(0, "x", 1, 0, 0, 10, 10);
        assertEquals(1f, a.iou(a));
        assertEquals(25f / 175f, a.iou(new Detection(0, "x", 1, 5, 5, 15, 15)), 1e-6);
        assertEquals(0f, a.iou(new Detection(0, "x", 1, 10, 0, 20, 10)));
    }
}
