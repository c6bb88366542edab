package org.npu4j.imageinput;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.llm.ImageData;

class ImageInputsTest {
    /** A 3x2 PNG: row 0 red, green, blue; row 1 white, black, grey. */
    static byte[] png() throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        int[] px = {0xff0000, 0x00ff00, 0x0000ff, 0xffffff, 0x000000, 0x808080};
        for (int i = 0; i < 6; i++) {
            img.setRGB(i % 3, i / 3, px[i]);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static void assertPixels(ImageData d) {
        assertEquals(3, d.width());
        assertEquals(2, d.height());
        assertEquals(255, d.sample(0, 0, 0));
        assertEquals(0, d.sample(0, 0, 1));
        assertEquals(255, d.sample(1, 0, 1));
        assertEquals(255, d.sample(2, 0, 2));
        assertEquals(0x80, d.sample(2, 1, 0));
    }

    @Test
    void base64AndDataUrlsDecodeToPackedRgb() throws IOException {
        String b64 = Base64.getEncoder().encodeToString(png());
        assertPixels(ImageInputs.fromBase64(b64, "images[0]"));
        assertPixels(ImageInputs.fromDataUrl("data:image/png;base64," + b64));
        assertPixels(ImageInputs.fromUrl("data:image/png;base64," + b64, null));
        assertPixels(ImageInputs.fromBase64(Base64.getUrlEncoder().encodeToString(png()), "url-safe"));
    }

    @Test
    void remoteUrlsAreRefusedWithoutBeingFetched() {
        for (String u : new String[] {"http://169.254.169.254/latest/meta-data", "https://example.com/cat.png",
                "ftp://host/x.png", "jar:file:/x!/y.png"}) {
            assertTrue(ImageInputs.isRemote(u), u);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.fromUrl(u, null));
            assertTrue(e.getMessage().contains("remote image URLs are not supported"), e.getMessage());
        }
        assertFalse(ImageInputs.isRemote("data:image/png;base64,AAAA"));
        assertFalse(ImageInputs.isRemote("file:/tmp/x.png"));
        assertFalse(ImageInputs.isRemote("/tmp/x.png"));
    }

    @Test
    void filesOnlyInsideTheAllowedDirectory(@TempDir Path dir) throws IOException {
        Path allowed = Files.createDirectory(dir.resolve("images"));
        Path inside = Files.write(allowed.resolve("a.png"), png());
        Path outside = Files.write(dir.resolve("b.png"), png());
        assertPixels(ImageInputs.fromUrl(inside.toUri().toString(), allowed));
        assertPixels(ImageInputs.fromUrl("a.png", allowed));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> ImageInputs.fromUrl(inside.toString(), null));
        assertTrue(none.getMessage().contains("image files are not supported"), none.getMessage());
        for (String u : new String[] {outside.toString(), "../b.png", outside.toUri().toString()}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.fromUrl(u, allowed));
            assertTrue(e.getMessage().contains("not a file inside the allowed image directory"), e.getMessage());
        }
        Path link = Files.createSymbolicLink(allowed.resolve("link.png"), outside);
        assertThrows(IllegalArgumentException.class, () -> ImageInputs.fromFile(link, allowed));
    }

    @Test
    void whatIsNotAnImageIsANamedError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageInputs.fromBase64(Base64.getEncoder().encodeToString("hello".getBytes()), "images[1]"));
        assertTrue(e.getMessage().startsWith("images[1]") && e.getMessage().contains("not an image"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.fromBase64("%%%", "images[2]"));
        assertTrue(e.getMessage().contains("not base64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.fromDataUrl("data:text/plain;base64,aGk="));
        assertTrue(e.getMessage().contains("expected an image type"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ImageInputs.fromDataUrl("data:image/png,rawbytes"));
        assertTrue(e.getMessage().contains("not base64"), e.getMessage());
    }
}
