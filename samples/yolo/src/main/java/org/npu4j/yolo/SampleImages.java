package org.npu4j.yolo;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The sample images shipped with the detector, made here (the build runs {@link #main} and puts the
 * PNGs in the jar): solid-colour rectangles on a plain background, in several sizes and aspect ratios
 * so that the letterbox scales up, down and pads either way.
 *
 * <p>The colours are the palette of the emulated runtimes' synthetic YOLO detectors (AXCL's and RKNN's
 * share it: {@code native/emulator/common/emu_scene.c}), which report each rectangle of one of these
 * exact colours as the COCO class listed here. On a real YOLO model the images are just coloured boxes.
 */
public final class SampleImages {
    /** The emulator model with the three-scale DFL heads split into box and class tensors. */
    public static final String SPLIT_MODEL = "yolo11s-640.model";
    /** The emulator model with one decoded output ({@code 1x84x8400}). */
    public static final String DECODED_MODEL = "yolov8s-640-decoded.model";

    /** Colour (0xRRGGBB) → COCO class id, as the emulator's synthetic detector maps them. */
    public static final Map<Integer, Integer> PALETTE = Map.of(
            0xFF0000, 0, // person
            0x00FF00, 2, // car
            0x0000FF, 16, // dog
            0xFFFF00, 5, // bus
            0x00FFFF, 14, // bird
            0xFF00FF, 15, // cat
            0xFFFFFF, 39, // bottle
            0x000000, 62); // tv

    /** A rectangle: pixel edges {@code x0 <= x < x1}, {@code y0 <= y < y1}, and its colour. */
    public record Rect(int x0, int y0, int x1, int y1, int rgb) {
        /** The COCO class id the colour stands for. */
        public int classId() {
            Integer c = PALETTE.get(rgb);
            if (c == null) {
                throw new IllegalStateException(String.format("colour %06X is not in the palette", rgb));
            }
            return c;
        }
    }

    /** One image: file name, size, background colour, rectangles. */
    public record Sample(String name, int width, int height, int background, List<Rect> rects) {}

    /** The shipped samples. */
    public static final List<Sample> SAMPLES = List.of(
            // 4:3, scale 1: letterbox pads top and bottom.
            new Sample("street-640x480.png", 640, 480, 0x5B7FA3, List.of(
                    new Rect(60, 140, 140, 400, 0xFF0000), // person
                    new Rect(220, 300, 470, 420, 0x00FF00), // car
                    new Rect(480, 60, 620, 250, 0xFFFF00), // bus
                    new Rect(180, 40, 216, 64, 0x00FFFF))), // bird
            // Portrait 3:5, scale 0.8: pads left and right.
            new Sample("portrait-480x800.png", 480, 800, 0x6B8E23, List.of(
                    new Rect(40, 420, 200, 760, 0xFF0000), // person
                    new Rect(250, 560, 420, 700, 0x0000FF), // dog
                    new Rect(300, 100, 440, 220, 0x000000))), // tv
            // Wide 16:9, scale 0.64: downscaled.
            new Sample("wide-1000x562.png", 1000, 562, 0xB0A080, List.of(
                    new Rect(50, 200, 450, 480, 0xFFFF00), // bus
                    new Rect(520, 300, 700, 520, 0xFF00FF), // cat
                    new Rect(760, 80, 960, 500, 0xFF0000), // person
                    new Rect(600, 60, 650, 180, 0xFFFFFF))), // bottle
            // Small, scale 2: upscaled.
            new Sample("small-320x200.png", 320, 200, 0x404080, List.of(
                    new Rect(20, 30, 110, 170, 0xFF0000), // person
                    new Rect(150, 110, 300, 180, 0x00FF00))), // car
            // Square, scale 1.25: no padding.
            new Sample("square-512x512.png", 512, 512, 0x808040, List.of(
                    new Rect(30, 30, 230, 200, 0xFF00FF), // cat
                    new Rect(280, 260, 480, 470, 0x0000FF), // dog
                    new Rect(100, 320, 140, 480, 0xFFFFFF)))); // bottle

    private SampleImages() {}

    /** File names of the shipped samples, in order. */
    public static List<String> names() {
        return SAMPLES.stream().map(Sample::name).toList();
    }

    /** Draws one sample. */
    public static BufferedImage render(Sample s) {
        BufferedImage img = new BufferedImage(s.width(), s.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(new Color(s.background()));
            g.fillRect(0, 0, s.width(), s.height());
            for (Rect r : s.rects()) {
                g.setColor(new Color(r.rgb()));
                g.fillRect(r.x0(), r.y0(), r.x1() - r.x0(), r.y1() - r.y0());
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Writes every sample as PNG into the directory {@code args[0]}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: SampleImages OUTPUT_DIR");
            System.exit(2);
        }
        System.setProperty("java.awt.headless", "true");
        Path dir = Path.of(args[0]);
        for (Sample s : SAMPLES) {
            Annotator.writePng(render(s), dir.resolve(s.name()));
        }
    }
}
