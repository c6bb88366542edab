package org.npu4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.npu4j.llm.ImageData;

/** The letterbox of both NPUs' vision encoders: centred, grey padding, any target aspect ratio. */
class ImageLetterboxTest {
    private static ImageData white(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        Arrays.fill(rgb, (byte) 255);
        return new ImageData(w, h, rgb);
    }

    private static int at(byte[] img, int w, int x, int y, int c) {
        return img[(y * w + x) * 3 + c] & 0xff;
    }

    @Test
    void aSquareImageOnAWideTargetGetsGreyColumns() {
        byte[] out = ImageLetterbox.rgb(white(2, 2), 4, 2, (byte) 128);
        for (int y = 0; y < 2; y++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(128, at(out, 4, 0, y, c));
                assertEquals(255, at(out, 4, 1, y, c));
                assertEquals(255, at(out, 4, 2, y, c));
                assertEquals(128, at(out, 4, 3, y, c));
            }
        }
    }

    @Test
    void aWideImageOnASquareTargetGetsGreyRows() {
        byte[] out = ImageLetterbox.rgb(white(4, 2), 4, 4, (byte) 100);
        for (int x = 0; x < 4; x++) {
            assertEquals(100, at(out, 4, x, 0, 1));
            assertEquals(255, at(out, 4, x, 1, 1));
            assertEquals(255, at(out, 4, x, 2, 1));
            assertEquals(100, at(out, 4, x, 3, 1));
        }
    }

    @Test
    void downscalingAveragesNeighbours() {
        // 4x4: left half black, right half white -> 2x2: exact halves (pixel centres at 0.5 and 2.5: 1 and 3 sampled
        // with weight 0.5 each side of the boundary stay pure)
        byte[] rgb = new byte[4 * 4 * 3];
        for (int y = 0; y < 4; y++) {
            for (int x = 2; x < 4; x++) {
                Arrays.fill(rgb, (y * 4 + x) * 3, (y * 4 + x) * 3 + 3, (byte) 255);
            }
        }
        byte[] out = ImageLetterbox.rgb(new ImageData(4, 4, rgb), 2, 2, (byte) 128);
        assertEquals(0, at(out, 2, 0, 0, 0));
        assertEquals(255, at(out, 2, 1, 1, 2));
    }

    @Test
    void aTargetWithoutPixelsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ImageLetterbox.rgb(white(2, 2), 0, 4, (byte) 128));
    }
}
