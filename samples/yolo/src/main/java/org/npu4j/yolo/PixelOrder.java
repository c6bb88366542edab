package org.npu4j.yolo;

/**
 * Channel order of an interleaved 8-bit frame: what a camera or video library hands over (V4L2 and
 * FFmpeg {@code rgb24} are RGB; OpenCV's {@code Mat} and Java's {@code TYPE_3BYTE_BGR} are BGR).
 */
public enum PixelOrder {
    /** Red, green, blue: 3 bytes per pixel. */
    RGB,
    /** Blue, green, red: 3 bytes per pixel. */
    BGR;

    /** Byte offset, within a pixel, of RGB channel {@code c} (0 red, 1 green, 2 blue). */
    int offset(int c) {
        return this == RGB ? c : 2 - c;
    }
}
