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
 * uint8 NHWC RGB (the image side H × W), the first output {@code [1, T, E]} (or {@code [T, E]}) bf16 or
 * fp32 with T image tokens of E values. E must equal the LLM's hidden size ({@code tokens_embed_size});
 * the package's {@code vision_width}/{@code vision_height} and the token count they imply are only
 * compared with it (a disagreement is logged). Further outputs of the same shape and type are Qwen3-VL's
 * deepstack features, in output order: feature k ({@code k = 0 ..}, the encoder's output k + 1) is added
 * to the image tokens' hidden state after decoder layer k ({@link AxLlmEngine}); at most one per layer.
 * The merged-token grid of an image, which Qwen-VL's mRoPE positions need, is
 * {@code (H / (patch · merge)) × (W / (patch · merge))} with {@code vision_patch_size} and
 * {@code vision_spatial_merge_size} of the package, and must hold T tokens ({@link #checkGrid()}).
 * Normalised fp32 NCHW inputs are refused at load, naming what was found.
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
    private final int deepstack;
    private final int patchMerge;

    /**
     * Loads and checks the encoder. On failure nothing stays loaded.
     *
     * @param layers the LLM's decoder layers (deepstack features are added after the first ones)
     * @throws IllegalArgumentException naming the file, the tensor and the expected form: not one uint8
     *                                  NHWC image input, no bf16/fp32 {@code [1, T, E]} first output,
     *                                  further outputs of another shape or type or more of them than
     *                                  layers, or E different from {@code hidden}
     * @throws org.npu4j.NpuException   if the runtime cannot load it
     */
    AxVisionEncoder(AxDevice device, AxLlmPackage.Vision vision, int hidden, int layers) {
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
            deepstack = m.outputs().size() - 1;
            for (int i = 1; i <= deepstack; i++) {
                TensorInfo ds = m.outputs().get(i);
                if (ds.dataType() != out.dataType() || ds.elementCount() != (long) tokens * embedSize
                        || ds.byteSize() != out.byteSize()) {
                    throw new IllegalArgumentException(file + " (filename_image_encoder_axmodel): output " + i + " " + ds
                            + " is not of the first output's shape and type " + out + ": expected further outputs to be"
                            + " Qwen3-VL deepstack features, " + tokens + " x " + embedSize + " " + out.dataType());
                }
            }
            if (deepstack > layers) {
                throw new IllegalArgumentException(file + " (filename_image_encoder_axmodel): " + deepstack
                        + " deepstack outputs, but the LLM has " + layers + " layers (feature k is added after layer k)");
            }
            patchMerge = vision.patchSize() * vision.mergeSize();
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

    /** Deepstack features per image token (the encoder's outputs after the first; Qwen3-VL: 3). */
    int deepstack() {
        return deepstack;
    }

    /** Merged-token rows of an image: H / ({@code vision_patch_size} · {@code vision_spatial_merge_size}). */
    int gridRows() {
        return height / patchMerge;
    }

    /** Merged-token columns of an image: W / (patch · merge). */
    int gridCols() {
        return width / patchMerge;
    }

    /**
     * Checks that the grid holds the encoder's T tokens, as Qwen-VL's mRoPE positions need.
     *
     * @throws IllegalArgumentException naming the file, the sizes and the keys
     */
    void checkGrid() {
        if (gridRows() * gridCols() != tokens || height % patchMerge != 0 || width % patchMerge != 0) {
            throw new IllegalArgumentException(file + " (filename_image_encoder_axmodel): " + width + "x" + height
                    + " pixels at vision_patch_size x vision_spatial_merge_size = " + patchMerge + " give a "
                    + gridRows() + " x " + gridCols() + " grid, but the encoder gives " + tokens + " tokens: the mRoPE"
                    + " positions need the image's token grid");
        }
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
     * token; deepstack feature k into {@code deep[k]} at the same offset.
     *
     * @param deep {@link #deepstack()} segments (none for a one-output encoder)
     * @throws org.npu4j.axcl.AxclException if the runtime fails
     */
    void encode(ImageData image, MemorySegment dst, long offset, MemorySegment... deep) {
        if (deep.length != deepstack) {
            throw new IllegalArgumentException(deep.length + " deepstack destinations for " + deepstack + " features");
        }
        byte[] pixels = ImageLetterbox.rgb(image, width, height, PAD);
        MemorySegment.copy(pixels, 0, binding.input(0), ValueLayout.JAVA_BYTE, 0, pixels.length);
        binding.run();
        for (int k = 0; k <= deepstack; k++) {
            copyOut(binding.output(k), k == 0 ? dst : deep[k - 1], offset);
        }
    }

    private void copyOut(MemorySegment out, MemorySegment dst, long offset) {
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
                + (fp32 ? " fp32" : " bf16") + (deepstack > 0 ? ", " + deepstack + " deepstack" : "") + "]";
    }
}
