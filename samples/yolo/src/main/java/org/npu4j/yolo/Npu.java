package org.npu4j.yolo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The NPU a model file is for, told by the file: its name ({@code .axmodel}: AXCL, {@code .rknn}:
 * RKNN), else its first bytes (an RKNN model starts with {@code RKNN}; an npu4j emulator model
 * descriptor with {@code npu4j-emulator-model axcl} or {@code npu4j-emulator-model rknn}).
 */
public enum Npu {
    /** Axera AX650N card through AXCL ({@code libaxcl_rt.so}). */
    AXCL,
    /** Rockchip NPU through RKNN ({@code librknnrt.so}). */
    RKNN;

    private static final String DESCRIPTOR = "npu4j-emulator-model ";

    /**
     * The NPU {@code modelFile} is for.
     *
     * @throws IllegalArgumentException if neither the name nor the content tells, naming what was expected
     * @throws UncheckedIOException     if the file cannot be read
     */
    public static Npu of(Path modelFile) {
        Objects.requireNonNull(modelFile, "modelFile");
        String name = modelFile.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".axmodel")) {
            return AXCL;
        }
        if (name.endsWith(".rknn")) {
            return RKNN;
        }
        byte[] head = new byte[64];
        int n;
        try (InputStream in = Files.newInputStream(modelFile)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model " + modelFile, e);
        }
        String start = new String(head, 0, n, StandardCharsets.ISO_8859_1);
        if (start.startsWith("RKNN") || start.startsWith(DESCRIPTOR + "rknn ")) {
            return RKNN;
        }
        if (start.startsWith(DESCRIPTOR + "axcl ")) {
            return AXCL;
        }
        throw new IllegalArgumentException("cannot tell which NPU runs " + modelFile
                + ": expected an .axmodel (AXCL) or .rknn (RKNN) file, or an npu4j emulator model descriptor");
    }
}
