package org.npu4j.yolo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The allocation-free NMS keeps exactly the boxes {@link Nms#apply} keeps, in the same order. */
class DetectionBufferTest {
    @Test
    void nmsAgreesWithTheListNmsOnSeededRandomBoxes() {
        long seed = 20261201L;
        Random rnd = new Random(seed);
        DetectionBuffer buf = new DetectionBuffer();
        for (int round = 0; round < 200; round++) {
            int n = rnd.nextInt(300);
            List<Detection> list = new ArrayList<>();
            buf.clear();
            for (int i = 0; i < n; i++) {
                int cls = rnd.nextInt(4);
                // Scores on a coarse grid, so that ties (kept in input order by both) occur.
                float score = rnd.nextInt(20) / 20f;
                float x = rnd.nextFloat() * 600;
                float y = rnd.nextFloat() * 600;
                float w = 5 + rnd.nextFloat() * 80;
                float h = 5 + rnd.nextFloat() * 80;
                list.add(new Detection(cls, Labels.name(Labels.COCO, cls), score, x, y, x + w, y + h));
                buf.add(cls, score, x, y, x + w, y + h);
            }
            float iou = 0.3f + rnd.nextFloat() * 0.4f;
            int max = 1 + rnd.nextInt(100);
            Letterbox lb = Letterbox.of(640, 640, 640, 640); // the identity, but for the clipping at the edges
            List<Detection> expected = Nms.apply(list, iou, max).stream().map(lb::toSource).toList();
            buf.nms(iou, max);
            List<Detection> got = buf.keptDetections(lb, Labels.COCO);
            assertEquals(expected, got, "seed " + seed + " round " + round);
        }
    }

    @Test
    void heapSortSortsAscending() {
        long[] a = {5, -1, 9, 3, 3, 0, Long.MAX_VALUE, Long.MIN_VALUE};
        DetectionBuffer.heapSort(a, a.length);
        assertEquals(List.of(Long.MIN_VALUE, -1L, 0L, 3L, 3L, 5L, 9L, Long.MAX_VALUE),
                java.util.Arrays.stream(a).boxed().toList());
    }
}
