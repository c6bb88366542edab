package org.npu4j.yolo;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Letterboxes a frame straight into a model input buffer (the binding's pinned host buffer): bilinear
 * resize of the source into the centred {@link Letterbox} rectangle, grey {@value Letterbox#PAD}
 * around it, 8-bit RGB in the input's layout (NHWC interleaved or NCHW planar). One pass over the
 * output; no per-frame allocation (the column tables are rebuilt only when the source size changes).
 *
 * <p>Resampling: half-pixel centres ({@code src = (dst + 0.5) / scale - 0.5}, clamped at the edges) and
 * 11-bit fixed-point weights, the rule of OpenCV's {@code INTER_LINEAR} ({@code INTER_RESIZE_COEF_BITS}
 * = 11), which Ultralytics' {@code LetterBox} calls.
 *
 * <p>Not thread-safe: one writer per pipeline slot.
 */
final class LetterboxWriter {
    private static final int BITS = 11;
    private static final int ONE = 1 << BITS;
    private static final byte PAD = (byte) Letterbox.PAD;

    private final int width;
    private final int height;
    private final TensorLayout layout;
    /** Pixels per row of the destination (NHWC; the padding bytes of each row are left as they are). */
    private final int rowPixels;
    /** One output row: RGB interleaved (NHWC) or three planes of {@code width} (NCHW). */
    private final byte[] row;
    private final int[] x0;
    private final int[] x1;
    private final int[] wx;
    private int tableSrcWidth = -1;
    private int tableScaledWidth = -1;
    /** Same-size BGR copy of a BufferedImage of another type (reused while the size holds). */
    private BufferedImage converted;

    LetterboxWriter(int width, int height, TensorLayout layout) {
        this(width, height, layout, width);
    }

    /**
     * @param rowPixels pixels per destination row in memory (at least {@code width}; NHWC only when
     *                  greater)
     */
    LetterboxWriter(int width, int height, TensorLayout layout, int rowPixels) {
        if (layout != TensorLayout.NHWC && layout != TensorLayout.NCHW) {
            throw new IllegalArgumentException("input layout " + layout + ": expected NHWC or NCHW");
        }
        if (rowPixels < width || (rowPixels != width && layout != TensorLayout.NHWC)) {
            throw new IllegalArgumentException("row stride of " + rowPixels + " pixels for a " + width
                    + " pixel wide " + layout + " input: expected at least the width (and NHWC when larger)");
        }
        this.width = width;
        this.height = height;
        this.layout = layout;
        this.rowPixels = rowPixels;
        this.row = new byte[3 * width];
        this.x0 = new int[width];
        this.x1 = new int[width];
        this.wx = new int[width];
    }

    /**
     * Letterboxes {@code image} into {@code dst}.
     *
     * @return the geometry used (to map boxes back)
     */
    Letterbox write(BufferedImage image, MemorySegment dst) {
        Raster r = image.getRaster();
        if (r.getDataBuffer() instanceof DataBufferByte db && r.getSampleModel() instanceof ComponentSampleModel sm
                && sm.getPixelStride() == 3 && sm.getNumBands() == 3 && r.getParent() == null
                && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0) {
            int[] bands = sm.getBandOffsets();
            PixelOrder order = Arrays.equals(bands, new int[] {0, 1, 2}) ? PixelOrder.RGB
                    : Arrays.equals(bands, new int[] {2, 1, 0}) ? PixelOrder.BGR : null;
            if (order != null) {
                return write(db.getData(), db.getOffset(), sm.getScanlineStride(), image.getWidth(), image.getHeight(),
                        order, dst);
            }
        }
        // Any other type (INT_RGB, indexed, with alpha, ...): one plain copy into a reused BGR image.
        if (converted == null || converted.getWidth() != image.getWidth() || converted.getHeight() != image.getHeight()) {
            converted = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        }
        Graphics2D g = converted.createGraphics();
        try {
            g.setComposite(AlphaComposite.Src); // alpha dropped, as OpenCV's imread does; nothing of the last frame shows
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        byte[] data = ((DataBufferByte) converted.getRaster().getDataBuffer()).getData();
        return write(data, 0, 3 * image.getWidth(), image.getWidth(), image.getHeight(), PixelOrder.BGR, dst);
    }

    /**
     * Letterboxes an interleaved 8-bit frame into {@code dst}.
     *
     * @param src    the pixels: row {@code y} starts at {@code offset + y × stride}, 3 bytes per pixel
     * @param stride bytes per source row, at least {@code 3 × srcWidth}
     * @throws IllegalArgumentException if the frame does not fit {@code src} or {@code dst} is too small
     */
    Letterbox write(byte[] src, int offset, int stride, int srcWidth, int srcHeight, PixelOrder order,
            MemorySegment dst) {
        Letterbox lb = Letterbox.of(srcWidth, srcHeight, width, height);
        if (stride < 3 * srcWidth || offset < 0 || (long) offset + (long) stride * (srcHeight - 1) + 3L * srcWidth > src.length) {
            throw new IllegalArgumentException("frame " + srcWidth + "x" + srcHeight + " with stride " + stride + " at offset "
                    + offset + " does not fit a buffer of " + src.length + " bytes");
        }
        long need = 3L * rowPixels * (height - 1) + 3L * width;
        if (dst.byteSize() < need) {
            throw new IllegalArgumentException("input buffer of " + dst.byteSize() + " bytes is smaller than " + need);
        }
        columns(lb);
        int sw = lb.scaledWidth();
        int sh = lb.scaledHeight();
        int px = lb.padX();
        int py = lb.padY();
        int r0 = order.offset(0);
        int g0 = order.offset(1);
        int b0 = order.offset(2);
        long plane = (long) width * height;
        fillRows(dst, 0, py);
        fillRows(dst, py + sh, height);
        Arrays.fill(row, PAD);
        boolean identity = sw == srcWidth && sh == srcHeight;
        double sy = (double) srcHeight / sh;
        for (int oy = 0; oy < sh; oy++) {
            if (identity) {
                copyRow(src, offset + oy * stride, sw, px, r0, g0, b0);
            } else {
                double fy = (oy + 0.5) * sy - 0.5;
                int ya = (int) Math.floor(fy);
                int wy = (int) Math.round((fy - ya) * ONE);
                if (ya < 0) {
                    ya = 0;
                    wy = 0;
                }
                if (ya >= srcHeight - 1) {
                    ya = srcHeight - 1;
                    wy = 0;
                }
                int yb = Math.min(ya + 1, srcHeight - 1);
                resizeRow(src, offset + ya * stride, offset + yb * stride, wy, sw, px, r0, g0, b0);
            }
            int y = py + oy;
            if (layout == TensorLayout.NHWC) {
                MemorySegment.copy(row, 0, dst, ValueLayout.JAVA_BYTE, 3L * rowPixels * y, 3 * width);
            } else {
                for (int ch = 0; ch < 3; ch++) {
                    MemorySegment.copy(row, ch * width, dst, ValueLayout.JAVA_BYTE, ch * plane + (long) width * y, width);
                }
            }
        }
        return lb;
    }

    /** One output row, bilinear between source rows {@code rowA} and {@code rowB} (weight {@code wy} of B). */
    private void resizeRow(byte[] src, int rowA, int rowB, int wy, int sw, int px, int r0, int g0, int b0) {
        int wyc = ONE - wy;
        boolean planar = layout == TensorLayout.NCHW;
        for (int ox = 0; ox < sw; ox++) {
            int xa = x0[ox];
            int xb = x1[ox];
            int w1 = wx[ox];
            int w0 = ONE - w1;
            int red = lerp(src, rowA + xa + r0, rowA + xb + r0, rowB + xa + r0, rowB + xb + r0, w0, w1, wyc, wy);
            int green = lerp(src, rowA + xa + g0, rowA + xb + g0, rowB + xa + g0, rowB + xb + g0, w0, w1, wyc, wy);
            int blue = lerp(src, rowA + xa + b0, rowA + xb + b0, rowB + xa + b0, rowB + xb + b0, w0, w1, wyc, wy);
            put(planar, px + ox, red, green, blue);
        }
    }

    /** One output row of a source already of the scaled size: the channels reordered, no resampling. */
    private void copyRow(byte[] src, int rowStart, int sw, int px, int r0, int g0, int b0) {
        if (layout == TensorLayout.NHWC && r0 == 0) {
            System.arraycopy(src, rowStart, row, 3 * px, 3 * sw);
            return;
        }
        boolean planar = layout == TensorLayout.NCHW;
        for (int ox = 0, p = rowStart; ox < sw; ox++, p += 3) {
            put(planar, px + ox, src[p + r0] & 0xFF, src[p + g0] & 0xFF, src[p + b0] & 0xFF);
        }
    }

    private void put(boolean planar, int x, int red, int green, int blue) {
        if (planar) {
            row[x] = (byte) red;
            row[width + x] = (byte) green;
            row[2 * width + x] = (byte) blue;
        } else {
            row[3 * x] = (byte) red;
            row[3 * x + 1] = (byte) green;
            row[3 * x + 2] = (byte) blue;
        }
    }

    private static int lerp(byte[] s, int a, int b, int c, int d, int w0, int w1, int wy0, int wy1) {
        int top = (s[a] & 0xFF) * w0 + (s[b] & 0xFF) * w1;
        int bottom = (s[c] & 0xFF) * w0 + (s[d] & 0xFF) * w1;
        return (top * wy0 + bottom * wy1 + (1 << (2 * BITS - 1))) >>> (2 * BITS);
    }

    /** Grey rows {@code [from, to)} of the input. */
    private void fillRows(MemorySegment dst, int from, int to) {
        if (to <= from) {
            return;
        }
        if (layout == TensorLayout.NHWC && rowPixels == width) {
            dst.asSlice(3L * width * from, 3L * width * (to - from)).fill(PAD);
        } else if (layout == TensorLayout.NHWC) {
            for (int y = from; y < to; y++) {
                dst.asSlice(3L * rowPixels * y, 3L * width).fill(PAD);
            }
        } else {
            long plane = (long) width * height;
            for (int ch = 0; ch < 3; ch++) {
                dst.asSlice(ch * plane + (long) width * from, (long) width * (to - from)).fill(PAD);
            }
        }
    }

    /** The source byte offsets and weights of each output column (rebuilt when the geometry changes). */
    private void columns(Letterbox lb) {
        if (lb.srcWidth() == tableSrcWidth && lb.scaledWidth() == tableScaledWidth) {
            return;
        }
        int srcWidth = lb.srcWidth();
        double sx = (double) srcWidth / lb.scaledWidth();
        for (int ox = 0; ox < lb.scaledWidth(); ox++) {
            double fx = (ox + 0.5) * sx - 0.5;
            int xa = (int) Math.floor(fx);
            int w = (int) Math.round((fx - xa) * ONE);
            if (xa < 0) {
                xa = 0;
                w = 0;
            }
            if (xa >= srcWidth - 1) {
                xa = srcWidth - 1;
                w = 0;
            }
            int xb = Math.min(xa + 1, srcWidth - 1);
            x0[ox] = 3 * xa;
            x1[ox] = 3 * xb;
            wx[ox] = w;
        }
        tableSrcWidth = srcWidth;
        tableScaledWidth = lb.scaledWidth();
    }
}
