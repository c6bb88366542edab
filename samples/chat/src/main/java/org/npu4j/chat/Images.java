package org.npu4j.chat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.npu4j.llm.ImageData;

/** Image files (what {@code javax.imageio} reads: PNG, JPEG, BMP, GIF) as the packed RGB the LLM API takes. */
final class Images {
    private Images() {}

    /** @throws IllegalArgumentException if the file is missing or not an image, naming it */
    static ImageData read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("image " + file + ": no such file");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("image " + file + ": cannot be read (" + e.getMessage() + ")");
        }
        if (img == null) {
            throw new IllegalArgumentException("image " + file + ": not an image javax.imageio reads (PNG, JPEG,"
                    + " BMP, GIF expected)");
        }
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = img.getRGB(x, y);
                int i = (y * w + x) * 3;
                rgb[i] = (byte) (p >> 16);
                rgb[i + 1] = (byte) (p >> 8);
                rgb[i + 2] = (byte) p;
            }
        }
        return new ImageData(w, h, rgb);
    }
}
