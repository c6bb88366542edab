package org.npu4j.yolo;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Letterbox resize, as YOLOv8/YOLO11 pre-processing does it: scale the image by one factor so it fits
 * the model input, centre it, fill the rest with grey 114; and the inverse mapping of boxes.
 *
 * <p>The scale is {@code min(inW / w, inH / h)}; the scaled size is rounded to whole pixels, and the
 * padding split evenly (the extra pixel, if any, right and bottom). Boxes are mapped back with the
 * per-axis scale actually used ({@code scaledW / w}, {@code scaledH / h}).
 *
 * @param srcWidth  source image width, pixels
 * @param srcHeight source image height, pixels
 * @param width     model input width, pixels
 * @param height    model input height, pixels
 * @param scaledWidth  width of the scaled image inside the input
 * @param scaledHeight height of the scaled image inside the input
 * @param padX      left padding, pixels
 * @param padY      top padding, pixels
 */
public record Letterbox(int srcWidth, int srcHeight, int width, int height, int scaledWidth, int scaledHeight,
        int padX, int padY) {
    /** The padding grey, per channel. */
    public static final int PAD = 114;

    /** The geometry for a {@code srcWidth × srcHeight} image and a {@code width × height} input. */
    public static Letterbox of(int srcWidth, int srcHeight, int width, int height) {
        if (srcWidth <= 0 || srcHeight <= 0 || width <= 0 || height <= 0) {
            throw new IllegalArgumentException("empty image or input: " + srcWidth + "x" + srcHeight + " -> " + width + "x" + height);
        }
        double r = Math.min((double) width / srcWidth, (double) height / srcHeight);
        int sw = Math.clamp(Math.round(srcWidth * r), 1, width);
        int sh = Math.clamp(Math.round(srcHeight * r), 1, height);
        return new Letterbox(srcWidth, srcHeight, width, height, sw, sh, (width - sw) / 2, (height - sh) / 2);
    }

    /** Scale from source to input along x. */
    public double scaleX() {
        return (double) scaledWidth / srcWidth;
    }

    /** Scale from source to input along y. */
    public double scaleY() {
        return (double) scaledHeight / srcHeight;
    }

    /**
     * Draws {@code image} letterboxed onto {@code canvas} (a {@code width × height}
     * {@link BufferedImage#TYPE_3BYTE_BGR} image, reused between calls), bilinear.
     */
    public void draw(BufferedImage image, BufferedImage canvas) {
        if (canvas.getWidth() != width || canvas.getHeight() != height || canvas.getType() != BufferedImage.TYPE_3BYTE_BGR) {
            throw new IllegalArgumentException("canvas must be " + width + "x" + height + " TYPE_3BYTE_BGR");
        }
        Graphics2D g = canvas.createGraphics();
        try {
            g.setColor(new Color(PAD, PAD, PAD));
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(image, padX, padY, scaledWidth, scaledHeight, null);
        } finally {
            g.dispose();
        }
    }

    /**
     * Writes a letterboxed canvas (from {@link #draw}) into a model input as 8-bit RGB, in the input's
     * layout: NHWC (interleaved) or NCHW (planar).
     *
     * @param dst the input buffer: at least {@code 3 × width × height} bytes
     */
    public void write(BufferedImage canvas, MemorySegment dst, TensorLayout layout) {
        write(canvas, dst, layout, new byte[3 * width * height]);
    }

    /**
     * As {@link #write(BufferedImage, MemorySegment, TensorLayout)}, reordering the bytes in {@code scratch}
     * (at least {@code 3 × width × height} long, reused between calls) and copying them in one go.
     */
    public void write(BufferedImage canvas, MemorySegment dst, TensorLayout layout, byte[] scratch) {
        byte[] bgr = ((DataBufferByte) canvas.getRaster().getDataBuffer()).getData();
        int n = width * height;
        if (dst.byteSize() < 3L * n) {
            throw new IllegalArgumentException("input buffer of " + dst.byteSize() + " bytes is smaller than " + 3L * n);
        }
        if (scratch.length < 3 * n) {
            throw new IllegalArgumentException("scratch buffer smaller than " + 3 * n);
        }
        if (layout == TensorLayout.NCHW) {
            for (int p = 0; p < n; p++) {
                scratch[p] = bgr[3 * p + 2];
                scratch[n + p] = bgr[3 * p + 1];
                scratch[2 * n + p] = bgr[3 * p];
            }
        } else {
            for (int p = 0; p < 3 * n; p += 3) {
                scratch[p] = bgr[p + 2];
                scratch[p + 1] = bgr[p + 1];
                scratch[p + 2] = bgr[p];
            }
        }
        MemorySegment.copy(scratch, 0, dst, ValueLayout.JAVA_BYTE, 0, 3 * n);
    }

    /** A box in input pixels mapped to source pixels, clipped to the source image. */
    public Detection toSource(Detection d) {
        double sx = scaleX();
        double sy = scaleY();
        return d.withBox(clip((d.x1() - padX) / sx, srcWidth), clip((d.y1() - padY) / sy, srcHeight),
                clip((d.x2() - padX) / sx, srcWidth), clip((d.y2() - padY) / sy, srcHeight));
    }

    private static float clip(double v, int max) {
        return (float) Math.clamp(v, 0, max);
    }
}
