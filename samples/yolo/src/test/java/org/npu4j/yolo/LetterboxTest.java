package org.npu4j.yolo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class LetterboxTest {

    @Test
    void scalesByOneFactorAndCentres() {
        assertEquals(new Letterbox(640, 480, 640, 640, 640, 480, 0, 80), Letterbox.of(640, 480, 640, 640));
        assertEquals(new Letterbox(480, 800, 640, 640, 384, 640, 128, 0), Letterbox.of(480, 800, 640, 640));
        assertEquals(new Letterbox(1000, 562, 640, 640, 640, 360, 0, 140), Letterbox.of(1000, 562, 640, 640));
        assertEquals(new Letterbox(320, 200, 640, 640, 640, 400, 0, 120), Letterbox.of(320, 200, 640, 640));
        assertEquals(new Letterbox(512, 512, 640, 640, 640, 640, 0, 0), Letterbox.of(512, 512, 640, 640));
        // odd padding: the extra pixel goes right / bottom
        Letterbox odd = Letterbox.of(100, 99, 64, 64);
        assertEquals(63, odd.scaledHeight());
        assertEquals(0, odd.padY());
        assertThrows(IllegalArgumentException.class, () -> Letterbox.of(0, 10, 64, 64));
    }

    @Test
    void mapsBoxesBackToTheSource() {
        Letterbox lb = Letterbox.of(1000, 562, 640, 640); // scale 0.64 (x), 360/562 (y), pad y 140
        Detection inModel = new Detection(0, "person", 0.9f, 64, 140 + 36, 320, 140 + 180);
        Detection src = lb.toSource(inModel);
        assertEquals(100, src.x1(), 1e-3);
        assertEquals(500, src.x2(), 1e-3);
        assertEquals(36 / (360.0 / 562), src.y1(), 1e-3);
        assertEquals(180 / (360.0 / 562), src.y2(), 1e-3);
        // clipped to the image
        Detection outside = lb.toSource(new Detection(0, "x", 1, -10, 0, 700, 639));
        assertEquals(0, outside.x1());
        assertEquals(0, outside.y1());
        assertEquals(1000, outside.x2());
        assertEquals(562, outside.y2());
    }

    @Test
    void writesRgbInTheInputsLayoutWithGreyPadding() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0x102030);
        img.setRGB(1, 0, 0x405060);
        Letterbox lb = Letterbox.of(2, 1, 2, 2); // scale 1, one grey row below... or above
        BufferedImage canvas = new BufferedImage(2, 2, BufferedImage.TYPE_3BYTE_BGR);
        lb.draw(img, canvas);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment nhwc = a.allocate(12);
            lb.write(canvas, nhwc, TensorLayout.NHWC);
            int row = lb.padY(); // 0: the image is the top row, grey below
            byte[] b = nhwc.toArray(ValueLayout.JAVA_BYTE);
            int o = row * 6;
            assertEquals(0x10, b[o] & 0xFF);
            assertEquals(0x20, b[o + 1] & 0xFF);
            assertEquals(0x30, b[o + 2] & 0xFF);
            assertEquals(0x40, b[o + 3] & 0xFF);
            int grey = (1 - row) * 6;
            for (int i = 0; i < 6; i++) {
                assertEquals(114, b[grey + i] & 0xFF);
            }
            MemorySegment nchw = a.allocate(12);
            lb.write(canvas, nchw, TensorLayout.NCHW);
            byte[] p = nchw.toArray(ValueLayout.JAVA_BYTE);
            // planes R, G, B of 4 pixels each
            assertEquals(0x10, p[row * 2] & 0xFF);
            assertEquals(0x40, p[row * 2 + 1] & 0xFF);
            assertEquals(0x20, p[4 + row * 2] & 0xFF);
            assertEquals(0x60, p[8 + row * 2 + 1] & 0xFF);
            assertEquals(114, p[(1 - row) * 2] & 0xFF);
            assertThrows(IllegalArgumentException.class, () -> lb.write(canvas, a.allocate(11), TensorLayout.NHWC));
        }
    }

    @Test
    void writesPaddedRowsWhenTheNpuReadsAWiderRowStride() {
        // RKNN's zero-copy input: rows of w_stride pixels; the bytes past the width are not touched
        int w = 4;
        int h = 2;
        int stride = 6;
        byte[] src = new byte[3 * w * h];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) (i + 1);
        }
        LetterboxWriter writer = new LetterboxWriter(w, h, TensorLayout.NHWC, stride);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment dst = a.allocate(3L * stride * h);
            dst.fill((byte) 7);
            writer.write(src, 0, 3 * w, w, h, PixelOrder.RGB, dst);
            byte[] b = dst.toArray(ValueLayout.JAVA_BYTE);
            for (int y = 0; y < h; y++) {
                for (int i = 0; i < 3 * w; i++) {
                    assertEquals(src[y * 3 * w + i], b[y * 3 * stride + i], "row " + y + " byte " + i);
                }
                for (int i = 3 * w; i < 3 * stride; i++) {
                    assertEquals(7, b[y * 3 * stride + i], "padding of row " + y);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> writer.write(src, 0, 3 * w, w, h, PixelOrder.RGB,
                    a.allocate(3L * stride + 3L * w - 1)));
        }
        assertThrows(IllegalArgumentException.class, () -> new LetterboxWriter(4, 2, TensorLayout.NCHW, 6));
        assertThrows(IllegalArgumentException.class, () -> new LetterboxWriter(4, 2, TensorLayout.NHWC, 3));
    }
}
