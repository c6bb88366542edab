package org.npu4j.axcl.llm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.npu4j.axcl.AxBinding;
import org.npu4j.axcl.AxDevice;
import org.npu4j.axcl.AxModel;
import org.npu4j.axcl.DataType;
import org.npu4j.axcl.Layout;
import org.npu4j.axcl.TensorInfo;
import org.npu4j.internal.ImageLetterbox;
import org.npu4j.llm.ImageData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vision encoder of an ax-llm VLM package ({@code filename_image_encoder_axmodel}) loaded on the
 * LLM's device: an image in, one embedding row per image token out, which {@link AxLlmEngine} writes over
 * the {@code <|image_pad|>} rows of the prefill ({@code shared/facts/axllm.md}, "VLM").
 *
 * <p>Sizes come from the encoder's tensor info, never from constants: the input is {@code [1, H, W, 3]}
 * uint8 NHWC RGB (the image side H × W), the one output {@code [1, T, E]} (or {@code [T, E]}) bf16 or fp32
 * with T image tokens of E values. E must equal the LLM's hidden size ({@code tokens_embed_size}); the
 * package's {@code vision_width}/{@code vision_height} and the token count they imply are only compared
 * with it (a disagreement is logged). Encoders with several outputs (Qwen3-VL's deepstack features, added
 * after later layers) and normalised fp32 NCHW inputs are refused at load, naming what was found.
 *
 * <p>Preprocessing: the image is letterboxed to H × W ({@link ImageLetterbox}: centred, grey 128 padding,
 * bilinear), as the RKNN path does. fp32 outputs become bf16 by truncation, as ax-llm builds its
 * embedding table.
 *
 * <p>Not thread-safe: {@link AxLlmModel} calls it on its worker thread. Owns its model: {@link #close()}
 * unloads it.
 */
final class AxVisionEncoder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AxVisionEncoder.class);
    /** The grey of the letterbox padding (127.5 in rknn-llm's demo, to the nearest byte). */
    static final byte PAD = (byte) 128;

    private final AxModel model;
    private final AxBinding binding;
    private final Path file;
    private final int width;
    private final int height;
    private final int tokens;
    private final int embedSize;
    private final boolean fp32;

    /**
     * Loads and checks the encoder. On failure nothing stays loaded.
     *
     * @throws IllegalArgumentException naming the file, the tensor and the expected form: not one uint8
     *                                  NHWC image input, not one bf16/fp32 {@code [1, T, E]} output, or E
     *                                  different from {@code hidden}
     * @throws org.npu4j.NpuException   if the runtime cannot load it
     */
    AxVisionEncoder(AxDevice device, AxLlmPackage.Vision vision, int hidden) {
        this.file = vision.encoder();
        AxModel m = device.load(file);
        try {
            if (m.shapeGroups().size() != 1 || m.inputs().size() != 1) {
                throw new IllegalArgumentException(file + " (filename_image_encoder_axmodel): " + m.shapeGroups().size()
                        + " shape group(s) and inputs " + m.inputs() + ": a vision encoder has one group and one image"
                        + " input [1, H, W, 3] uint8 NHWC");
            }
            TensorInfo in = m.inputs().get(0);
            int[] d = in.dims();
            if (d.length != 4 || d[0] != 1 || d[3] != 3 || in.dataType() != DataType.UINT8 || in.layout() != Layout.NHWC) {
                throw new IllegalArgumentException(file + " (filename_image_encoder_axmodel): input " + in
                        + ": expected an RGB image [1, H, W, 3] uint8 NHWC (normalised fp32 NCHW encoders are not run)");
            }
            height = d[1];
            width = d[2];
            if (m.outputs().size() != 1) {
                throw new IllegalArgumentException(file + " (filename_image_encoder_axmodel): " + m.outputs().size()
                        + " outputs " + m.outputs() + ": expected one [1, T, E] embedding output (deepstack features of"
                        + " Qwen3-VL encoders are not run)");
            }
            TensorInfo out = m.outputs().get(0);
            int[] o = out.dims();
            boolean shaped = (o.length == 3 && o[0] == 1) || o.length == 2;
            if (!shaped || (out.dataType() != DataType.BF16 && out.dataType() != DataType.FP32)) {
                throw new IllegalArgumentException(file + " (filename_image_encoder_axmodel): output " + out
                        + ": expected [1, T, E] bf16 or fp32 (T image tokens of E values)");
            }
            tokens = o[o.length - 2];
            embedSize = o[o.length - 1];
            fp32 = out.dataType() == DataType.FP32;
            if (embedSize != hidden) {
                throw new IllegalArgumentException(file + " (filename_image_encoder_axmodel): output " + out + " gives "
                        + tokens + " image tokens of " + embedSize + " values, but tokens_embed_size (the LLM's hidden"
                        + " size) is " + hidden + ": the encoder and the LLM must be of the same model");
            }
            if (tokens < 1 || out.byteSize() < (long) tokens * embedSize * (fp32 ? 4 : 2)) {
                throw new IllegalArgumentException(file + " (filename_image_encoder_axmodel): output " + out
                        + " is smaller than its " + tokens + " x " + embedSize + " values");
            }
            if (vision.width() != width || vision.height() != height || vision.tokens() != tokens) {
                LOG.warn("{}: the encoder takes {}x{} pixels and gives {} tokens; config.json says vision_width {},"
                        + " vision_height {} ({} tokens at patch {}, merge {}): the encoder's sizes are used", file,
                        width, height, tokens, vision.width(), vision.height(), vision.tokens(), vision.patchSize(),
                        vision.mergeSize());
            }
            binding = m.newSession().bind();
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        this.model = m;
    }

    /** Image tokens T per image (the output's tensor info). */
    int tokens() {
        return tokens;
    }

    /** Values E per image token (the output's tensor info; equals the LLM's hidden size). */
    int embedSize() {
        return embedSize;
    }

    /** The input's width W, pixels. */
    int width() {
        return width;
    }

    /** The input's height H, pixels. */
    int height() {
        return height;
    }

    /** Bytes of the bf16 rows of one image: {@code T · E · 2}. */
    long rowBytes() {
        return (long) tokens * embedSize * 2;
    }

    /** Device memory the encoder takes (its model's CMM usage), bytes. */
    long memoryBytes() {
        return model.usage().cmmBytes();
    }

    /**
     * Encodes one image into {@code dst} at {@code offset}: {@link #rowBytes()} bytes of bf16, token after
     * token.
     *
     * @throws org.npu4j.axcl.AxclException if the runtime fails
     */
    void encode(ImageData image, MemorySegment dst, long offset) {
        byte[] pixels = ImageLetterbox.rgb(image, width, height, PAD);
        MemorySegment.copy(pixels, 0, binding.input(0), ValueLayout.JAVA_BYTE, 0, pixels.length);
        binding.run();
        MemorySegment out = binding.output(0);
        long n = (long) tokens * embedSize;
        if (!fp32) {
            MemorySegment.copy(out, 0, dst, offset, 2 * n);
            return;
        }
        for (long i = 0; i < n; i++) {
            int bits = Float.floatToRawIntBits(out.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i));
            dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + 2 * i, (short) (bits >>> 16));
        }
    }

    @Override
    public void close() {
        model.close();
    }

    @Override
    public String toString() {
        return "AxVisionEncoder[" + file.getFileName() + ", " + width + "x" + height + " -> " + tokens + " x " + embedSize
                + (fp32 ? " fp32" : " bf16") + "]";
    }
}
