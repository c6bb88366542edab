package org.npu4j.yolo;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws detections on a copy of the image and writes it as PNG. */
public final class Annotator {
    private Annotator() {}

    /** A copy of {@code image} with one labelled box per detection (colour per class). */
    public static BufferedImage annotate(BufferedImage image, List<Detection> detections) {
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(image, 0, 0, null);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            int stroke = Math.max(2, Math.round(Math.min(image.getWidth(), image.getHeight()) / 300f));
            g.setStroke(new BasicStroke(stroke));
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(12, stroke * 6)));
            FontMetrics fm = g.getFontMetrics();
            for (Detection d : detections) {
                Color c = colour(d.classId());
                int x1 = Math.round(d.x1());
                int y1 = Math.round(d.y1());
                int w = Math.round(d.x2()) - x1;
                int h = Math.round(d.y2()) - y1;
                g.setColor(c);
                g.drawRect(x1, y1, w, h);
                String text = String.format(Locale.ROOT, "%s %.2f", d.label(), d.score());
                int tw = fm.stringWidth(text) + 6;
                int th = fm.getHeight();
                int ty = y1 - th >= 0 ? y1 - th : y1;
                g.fillRect(x1, ty, tw, th);
                g.setColor(c.getRed() * 299 + c.getGreen() * 587 + c.getBlue() * 114 > 128_000 ? Color.BLACK : Color.WHITE);
                g.drawString(text, x1 + 3, ty + fm.getAscent());
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /** Writes {@code image} as PNG, creating the directory if needed. */
    public static void writePng(BufferedImage image, Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
    }

    /** A stable, distinct colour per class id (golden-angle hues). */
    static Color colour(int classId) {
        float hue = (classId * 0.618034f) % 1f;
        return Color.getHSBColor(hue, 0.85f, 0.95f);
    }
}
