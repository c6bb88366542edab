package org.npu4j.axcl.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Qwen-VL's mRoPE ids as HF transformers' {@code Qwen2VLForConditionalGeneration.get_rope_index} describes
 * them for still images: text ids run on in all three rows; an image's tokens share the temporal id and
 * count rows and columns from it; the text after the image starts at its largest id plus one.
 */
class MropePositionsTest {
    @Test
    void textOnlyIsOneRunningPositionInAllThreeRows() {
        int[][] p = MropePositions.of(5, List.of());
        for (int[] row : p) {
            assertArrayEquals(new int[] {0, 1, 2, 3, 4}, row);
        }
    }

    @Test
    void anImageCountsRowsAndColumnsFromItsTemporalIdAndTheTextResumesAfterItsLargestId() {
        // T T [2 x 2 image] T
        int[][] p = MropePositions.of(7, List.of(new MropePositions.Span(2, 2, 2)));
        assertArrayEquals(new int[] {0, 1, 2, 2, 2, 2, 4}, p[0], "temporal");
        assertArrayEquals(new int[] {0, 1, 2, 2, 3, 3, 4}, p[1], "height");
        assertArrayEquals(new int[] {0, 1, 2, 3, 2, 3, 4}, p[2], "width");
    }

    @Test
    void aWideImageResumesAfterItsColumnsAndTwoImagesChain() {
        // T [2 x 3] T T [1 x 2] T
        int[][] p = MropePositions.of(12, List.of(new MropePositions.Span(1, 2, 3), new MropePositions.Span(9, 1, 2)));
        assertArrayEquals(new int[] {0, 1, 1, 1, 1, 1, 1, 4, 5, 6, 6, 8}, p[0]);
        assertArrayEquals(new int[] {0, 1, 1, 1, 2, 2, 2, 4, 5, 6, 6, 8}, p[1]);
        assertArrayEquals(new int[] {0, 1, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8}, p[2]);
    }

    @Test
    void aPrefixEndingInsideAnImageHasThatImagesIds() {
        int[][] full = MropePositions.of(8, List.of(new MropePositions.Span(2, 2, 2)));
        int[][] part = MropePositions.of(4, List.of(new MropePositions.Span(2, 2, 2)));
        for (int r = 0; r < 3; r++) {
            assertArrayEquals(java.util.Arrays.copyOf(full[r], 4), part[r]);
        }
    }

    @Test
    void overlappingSpansAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> MropePositions.of(10,
                List.of(new MropePositions.Span(1, 2, 2), new MropePositions.Span(3, 1, 1))));
        assertThrows(IllegalArgumentException.class, () -> new MropePositions.Span(0, 0, 3));
    }
}
