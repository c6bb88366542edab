package org.npu4j.llm;

import java.util.Arrays;
import java.util.Objects;

/**
 * An image as decoded pixels, for a user {@link ChatMessage}: packed RGB, 3 bytes per pixel (red, green,
 * blue), row after row, top row first, no padding. Decoding files (PNG, JPEG) is the application's part
 * ({@code javax.imageio} in the samples), so the library needs no desktop module; the backend's vision
 * encoder letterboxes and resizes these pixels to its input.
 *
 * <p>Immutable (the pixels are copied in and out); equal when the size and every pixel are equal, which is
 * what decides whether a conversation's KV cache holds the same images.
 *
 * @param width  pixels per row, {@code 1..16384}
 * @param height rows, {@code 1..16384}
 * @param rgb    {@code width * height * 3} bytes
 */
public record ImageData(int width, int height, byte[] rgb) {
    /** The largest side accepted (a bound on memory, not a property of any encoder). */
    public static final int MAX_SIDE = 16384;

    public ImageData {
        if (width < 1 || width > MAX_SIDE || height < 1 || height > MAX_SIDE) {
            throw new IllegalArgumentException("image size " + width + "x" + height + ": expected 1.." + MAX_SIDE
                    + " pixels each way");
        }
        Objects.requireNonNull(rgb, "rgb");
        if (rgb.length != width * height * 3) {
            throw new IllegalArgumentException("image of " + width + "x" + height + " has " + rgb.length
                    + " bytes: expected width * height * 3 = " + width * height * 3 + " (packed RGB)");
        }
        rgb = rgb.clone();
    }

    /** The pixels (a copy). */
    @Override
    public byte[] rgb() {
        return rgb.clone();
    }

    /** The byte of channel {@code c} (0 red, 1 green, 2 blue) of pixel {@code (x, y)}, 0..255. */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageData i && width == i.width && height == i.height && Arrays.equals(rgb, i.rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "ImageData[" + width + "x" + height + "]";
    }
}
