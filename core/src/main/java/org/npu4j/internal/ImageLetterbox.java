package org.npu4j.internal;

import org.npu4j.llm.ImageData;

/**
 * The letterbox the vision encoders of both NPUs take their image through: the image is centred on a
 * canvas of the encoder's aspect ratio just large enough to hold it, the rest filled with one grey, and
 * the canvas resized bilinearly (pixel centres aligned, edges clamped) to the encoder's input. For a
 * square input this is rknn-llm's multimodal demo (pad to a square, resize). Stateless, thread-safe.
 */
public final class ImageLetterbox {
    private ImageLetterbox() {}

    /**
     * {@code image} letterboxed to {@code width x height}.
     *
     * @param grey the byte every padded channel gets (e.g. 128)
     * @return packed RGB bytes, NHWC, {@code width * height * 3}
     * @throws IllegalArgumentException if a target side is not positive
     */
    public static byte[] rgb(ImageData image, int width, int height, byte grey) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("letterbox target " + width + "x" + height + ": expected positive sides");
        }
        int w = image.width();
        int h = image.height();
        // canvas: the image's larger relative side, the other extended to the target's aspect ratio
        int cw;
        int ch;
        if ((long) w * height >= (long) h * width) {
            cw = w;
            ch = (int) Math.max(h, Math.round((double) w * height / width));
        } else {
            ch = h;
            cw = (int) Math.max(w, Math.round((double) h * width / height));
        }
        int ox = (cw - w) / 2;
        int oy = (ch - h) / 2;
        byte[] src = image.rgb();
        byte[] dst = new byte[width * height * 3];
        double sx = (double) cw / width;
        double sy = (double) ch / height;
        int pad = grey & 0xff;
        for (int y = 0; y < height; y++) {
            double fy = (y + 0.5) * sy - 0.5;
            for (int x = 0; x < width; x++) {
                double fx = (x + 0.5) * sx - 0.5;
                for (int c = 0; c < 3; c++) {
                    dst[(y * width + x) * 3 + c] = (byte) Math.round(bilinear(src, w, h, cw, ch, ox, oy, fx, fy, c, pad));
                }
            }
        }
        return dst;
    }

    /** One channel at a fractional canvas position (edges clamped; outside the image: grey). */
    private static double bilinear(byte[] src, int w, int h, int cw, int ch, int ox, int oy, double fx, double fy,
            int c, int pad) {
        int x0 = (int) Math.floor(fx);
        int y0 = (int) Math.floor(fy);
        double ax = fx - x0;
        double ay = fy - y0;
        int xa = clamp(x0, cw) - ox;
        int xb = clamp(x0 + 1, cw) - ox;
        int ya = clamp(y0, ch) - oy;
        int yb = clamp(y0 + 1, ch) - oy;
        double a = at(src, w, h, xa, ya, c, pad);
        double b = at(src, w, h, xb, ya, c, pad);
        double d = at(src, w, h, xa, yb, c, pad);
        double e = at(src, w, h, xb, yb, c, pad);
        return (a * (1 - ax) + b * ax) * (1 - ay) + (d * (1 - ax) + e * ax) * ay;
    }

    private static int clamp(int v, int n) {
        return Math.max(0, Math.min(n - 1, v));
    }

    private static int at(byte[] src, int w, int h, int x, int y, int c, int pad) {
        if (x < 0 || y < 0 || x >= w || y >= h) {
            return pad;
        }
        return src[(y * w + x) * 3 + c] & 0xff;
    }
}
