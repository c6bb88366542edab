package org.npu4j.imageinput;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.jspecify.annotations.Nullable;
import org.npu4j.llm.ImageData;

/**
 * Images as clients send them (encoded bytes, base64, {@code data:} URLs, local files) decoded into the
 * packed RGB of {@link ImageData}. What javax.imageio reads is accepted: PNG, JPEG, BMP, GIF (the first frame).
 *
 * <p>Remote URLs ({@code http:}, {@code https:}, any other scheme) are refused, never fetched: a server
 * that fetched what a request names could be made to reach any host its network sees (SSRF). Local files
 * are read only under a directory the caller explicitly allows.
 *
 * <p>Stateless and thread-safe. Every error is an {@link IllegalArgumentException} naming the input and
 * what was expected.
 */
public final class ImageInputs {
    /** Largest encoded image accepted, 32 MiB (a bound on memory, not a format rule). */
    public static final int MAX_ENCODED_BYTES = 32 << 20;

    private ImageInputs() {}

    /** True for a URL this class refuses to fetch: any scheme but {@code data:} and {@code file:}. */
    public static boolean isRemote(String url) {
        String s = url.strip().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        if (colon <= 1) {
            return false; // no scheme (or a Windows drive letter): a path
        }
        String scheme = s.substring(0, colon);
        return !scheme.equals("data") && !scheme.equals("file") && scheme.chars().allMatch(
                c -> Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.');
    }

    /**
     * An image given by URL: a {@code data:image/...;base64,...} URL, or (only with {@code allowedDir}) a
     * {@code file:} URL or path inside that directory.
     *
     * @param allowedDir the directory local files may come from, or null: no files
     * @throws IllegalArgumentException for a remote URL, a file outside {@code allowedDir} or when none is
     *                                  allowed, or data that is not an image
     */
    public static ImageData fromUrl(String url, @Nullable Path allowedDir) {
        String s = url.strip();
        if (s.regionMatches(true, 0, "data:", 0, 5)) {
            return fromDataUrl(s);
        }
        if (isRemote(s)) {
            throw new IllegalArgumentException("remote image URLs are not supported (" + abbreviate(s) + "): npu4j"
                    + " never fetches URLs; send the image inline as a data:image/...;base64 URL or as base64");
        }
        if (allowedDir == null) {
            throw new IllegalArgumentException("image files are not supported here (" + abbreviate(s) + "): send the"
                    + " image inline as a data:image/...;base64 URL (a server reads files only from a directory"
                    + " its operator allows)");
        }
        Path p;
        try {
            p = s.regionMatches(true, 0, "file:", 0, 5) ? Path.of(new URI(s)) : Path.of(s);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IllegalArgumentException("image URL " + abbreviate(s) + " is not a file URL or path: "
                    + e.getMessage());
        }
        return fromFile(p, allowedDir);
    }

    /**
     * An image file inside {@code allowedDir} (after resolving {@code ..} and symbolic links).
     *
     * @throws IllegalArgumentException if it is outside the directory, missing, or not an image
     */
    public static ImageData fromFile(Path file, Path allowedDir) {
        Path real;
        Path dir;
        try {
            dir = allowedDir.toRealPath();
            real = (file.isAbsolute() ? file : dir.resolve(file)).toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("image file " + file + ": no such file in " + allowedDir);
        }
        if (!real.startsWith(dir) || !Files.isRegularFile(real)) {
            throw new IllegalArgumentException("image file " + file + " is not a file inside the allowed image"
                    + " directory " + dir);
        }
        try {
            long size = Files.size(real);
            if (size > MAX_ENCODED_BYTES) {
                throw new IllegalArgumentException("image file " + file + " has " + size + " bytes: at most "
                        + MAX_ENCODED_BYTES + " accepted");
            }
            return decode(Files.readAllBytes(real), "image file " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("image file " + file + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * A {@code data:[<mime type>][;base64],<data>} URL (RFC 2397) holding a base64-encoded image.
     *
     * @throws IllegalArgumentException if it is not a base64 data URL of an image
     */
    public static ImageData fromDataUrl(String url) {
        int comma = url.indexOf(',');
        if (!url.regionMatches(true, 0, "data:", 0, 5) || comma < 0) {
            throw new IllegalArgumentException("image URL " + abbreviate(url) + ": expected data:image/...;base64,...");
        }
        String meta = url.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!meta.endsWith(";base64")) {
            throw new IllegalArgumentException("image data URL " + abbreviate(url) + " is not base64: expected"
                    + " data:image/...;base64,...");
        }
        if (!meta.isEmpty() && !meta.startsWith("image/") && !meta.startsWith(";")) {
            throw new IllegalArgumentException("data URL of type " + meta.substring(0, meta.length() - 7)
                    + ": expected an image type (image/png, image/jpeg, ...)");
        }
        return fromBase64(url.substring(comma + 1), "image data URL");
    }

    /**
     * Base64 (standard or URL-safe alphabet, line breaks allowed) of an encoded image.
     *
     * @param what names the input in errors, e.g. {@code "images[0]"}
     * @throws IllegalArgumentException if it is not base64 or not an image
     */
    public static ImageData fromBase64(String base64, String what) {
        String b = base64.replaceAll("\\s", ""); // line breaks and spaces allowed, nothing else
        if ((long) b.length() * 3 / 4 > MAX_ENCODED_BYTES) {
            throw new IllegalArgumentException(what + " has about " + (long) b.length() * 3 / 4 + " bytes: at most "
                    + MAX_ENCODED_BYTES + " accepted");
        }
        byte[] bytes;
        try {
            bytes = (b.indexOf('-') >= 0 || b.indexOf('_') >= 0 ? Base64.getUrlDecoder() : Base64.getDecoder())
                    .decode(b);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not base64: " + e.getMessage());
        }
        return decode(bytes, what);
    }

    /**
     * Encoded image bytes (PNG, JPEG, BMP, GIF) as packed RGB; transparency is dropped.
     *
     * @throws IllegalArgumentException if javax.imageio cannot decode them
     */
    public static ImageData decode(byte[] encoded, String what) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(encoded));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(what + " cannot be decoded: " + e.getMessage());
        }
        if (img == null) {
            throw new IllegalArgumentException(what + " (" + encoded.length + " bytes) is not an image javax.imageio"
                    + " reads: expected PNG, JPEG, BMP or GIF");
        }
        return rgb(img);
    }

    /** The pixels of {@code img} as packed RGB. */
    public static ImageData rgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        if (w > ImageData.MAX_SIDE || h > ImageData.MAX_SIDE) {
            throw new IllegalArgumentException("image of " + w + "x" + h + ": at most " + ImageData.MAX_SIDE
                    + " pixels each way");
        }
        int[] row = new int[w];
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                rgb[i] = (byte) (row[x] >> 16);
                rgb[i + 1] = (byte) (row[x] >> 8);
                rgb[i + 2] = (byte) row[x];
            }
        }
        return new ImageData(w, h, rgb);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
