package org.npu4j.rkllm;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.npu4j.internal.ImageLetterbox;
import org.npu4j.llm.ImageData;
import org.npu4j.rknn.RknnModel;
import org.npu4j.rknn.TensorAttr;
import org.npu4j.rknn.TensorFormat;

/**
 * The vision encoder of an RKLLM multimodal model: an RKNN model ({@code .rknn}, e.g. the Qwen2-VL or
 * Qwen3-VL vision tower as rknn-llm's multimodal demo exports it) that turns an image into the embedding
 * rows an {@link Input.Multimodal} carries.
 *
 * <p>Shapes come from the model's queried attributes, never from constants (a hard-coded embedding size
 * with another model makes the vendor demo crash: rknn-llm #336): the input is {@code [1, S, S, 3]} NHWC
 * (the image side S), every output has the same shape whose first dimension above 1 is the number of
 * image tokens T and whose next one is the embedding width E; with several outputs (Qwen3-VL: the
 * embeddings and three deepstack features) each token's rows are interleaved, output after output, so an
 * image gives {@code T * E * outputs} floats (source: {@code shared/facts/rknn.md} §VLM encoders).
 *
 * <p>Preprocessing as the vendor demo does it: the image is padded to a square with grey (127.5 there;
 * 128 here, the nearest byte), centred, then resized (bilinear) to {@code S x S} and fed as UINT8 NHWC RGB
 * (the runtime converts to the input's type, e.g. FLOAT16 for Qwen3-VL).
 *
 * <p>Threads: {@link #encode} may be called from several threads (each uses its own RKNN context,
 * {@link RknnModel#context()}). The encoder owns the RKNN model: {@link #close()} closes it.
 */
public final class VisionEncoder implements AutoCloseable {
    /** Qwen-VL's image tags (rknn.md §VLM encoders: {@code <|vision_start|>}, {@code <|vision_end|>}, {@code <|image_pad|>}). */
    public static final String QWEN_START = "<|vision_start|>";
    public static final String QWEN_END = "<|vision_end|>";
    public static final String QWEN_CONTENT = "<|image_pad|>";

    /** The grey the square padding is filled with (127.5 in the vendor demo, rounded to a byte). */
    static final byte PAD = (byte) 128;

    private final RknnModel model;
    private final String inputName;
    private final int side;
    private final int tokens;
    private final int embedSize;
    private final List<String> outputNames;

    /**
     * An encoder over {@code model}, which it then owns.
     *
     * @throws IllegalArgumentException if the model's attributes are not those of a vision encoder (one
     *                                  {@code [1, S, S, 3]} NHWC input; outputs of one shape with T tokens
     *                                  of E floats), naming what was found
     */
    public VisionEncoder(RknnModel model) {
        this.model = Objects.requireNonNull(model, "model");
        List<TensorAttr> ins = model.inputs();
        if (ins.size() != 1) {
            throw new IllegalArgumentException(model.name() + " has " + ins.size() + " inputs " + ins
                    + ": a vision encoder has one image input [1, S, S, 3] NHWC");
        }
        TensorAttr in = ins.get(0);
        if (in.rank() != 4 || in.format() != TensorFormat.NHWC || in.dim(0) != 1 || in.dim(3) != 3
                || in.dim(1) != in.dim(2)) {
            throw new IllegalArgumentException(model.name() + " input " + in + ": a vision encoder takes a square"
                    + " RGB image [1, S, S, 3] NHWC");
        }
        this.inputName = in.name();
        this.side = in.dim(1);
        List<TensorAttr> outs = model.outputs();
        if (outs.isEmpty()) {
            throw new IllegalArgumentException(model.name() + " has no outputs");
        }
        int[] shape = tokensAndWidth(model.name(), outs.get(0));
        for (TensorAttr o : outs) {
            int[] s = tokensAndWidth(model.name(), o);
            if (s[0] != shape[0] || s[1] != shape[1]) {
                throw new IllegalArgumentException(model.name() + " output " + o + " has " + s[0] + " x " + s[1]
                        + " where output " + outs.get(0) + " has " + shape[0] + " x " + shape[1]
                        + ": interleaved outputs must have the same tokens x width");
            }
        }
        this.tokens = shape[0];
        this.embedSize = shape[1];
        this.outputNames = outs.stream().map(TensorAttr::name).toList();
    }

    /** Tokens and width: the first dimension above 1 and the one after it (the demo's rule). */
    private static int[] tokensAndWidth(String model, TensorAttr o) {
        int[] d = o.dims();
        for (int i = 0; i + 1 < d.length; i++) {
            if (d[i] > 1) {
                if (d[i + 1] < 1) {
                    break;
                }
                for (int j = i + 2; j < d.length; j++) {
                    if (d[j] != 1) {
                        throw new IllegalArgumentException(model + " output " + o + ": expected [1, T, E] (tokens x"
                                + " embedding width), found more dimensions");
                    }
                }
                return new int[] {d[i], d[i + 1]};
            }
        }
        throw new IllegalArgumentException(model + " output " + o + ": expected [1, T, E] (tokens x embedding width)");
    }

    /** The RKNN model. */
    public RknnModel model() {
        return model;
    }

    /** The side S of the square input, pixels. */
    public int inputSize() {
        return side;
    }

    /** Image tokens T per image (from the outputs' attributes). */
    public int tokens() {
        return tokens;
    }

    /** Embedding width E (from the outputs' attributes): must equal the LLM's hidden size. */
    public int embedSize() {
        return embedSize;
    }

    /** Outputs interleaved per token (1; Qwen3-VL: 4). */
    public int outputs() {
        return outputNames.size();
    }

    /** Floats per image: {@code tokens * embedSize * outputs}. */
    public int floatsPerImage() {
        return tokens * embedSize * outputNames.size();
    }

    /**
     * Checks the encoder against the LLM it feeds.
     *
     * @throws IllegalArgumentException if {@link #embedSize()} differs from {@code hiddenSize}, naming both
     */
    public void checkHiddenSize(int hiddenSize, String llmName) {
        if (embedSize != hiddenSize) {
            throw new IllegalArgumentException("vision encoder " + model.name() + " gives " + tokens + " tokens x "
                    + embedSize + " floats per image token, but " + llmName + " has hidden size " + hiddenSize
                    + ": the encoder and the LLM must be of the same model (the vendor demo crashes here, rknn-llm"
                    + " #336)");
        }
    }

    /**
     * Encodes one image: letterbox, resize, run, interleave.
     *
     * @return {@link #floatsPerImage()} floats: token after token, each token's outputs in index order
     * @throws org.npu4j.rknn.RknnException if the runtime fails
     */
    public float[] encode(ImageData image) {
        byte[] pixels = letterbox(image, side);
        Map<String, float[]> out = model.context().run(Map.of(inputName, pixels));
        int n = outputNames.size();
        float[] rows = new float[floatsPerImage()];
        for (int o = 0; o < n; o++) {
            float[] f = out.get(outputNames.get(o));
            if (f == null || f.length != tokens * embedSize) {
                throw new IllegalStateException(model.name() + " output " + outputNames.get(o) + " gave "
                        + (f == null ? "nothing" : f.length + " floats") + ", expected " + tokens * embedSize);
            }
            for (int t = 0; t < tokens; t++) {
                System.arraycopy(f, t * embedSize, rows, (t * n + o) * embedSize, embedSize);
            }
        }
        return rows;
    }

    /**
     * Encodes images into one {@link ImageInput} ({@code width}/{@code height} = the encoder's input),
     * without tags: the caller adds them per ABI ({@link ImageInput#withTags} on 1.3).
     */
    public ImageInput encodeAll(List<ImageData> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to encode");
        }
        int per = floatsPerImage();
        float[] all = new float[Math.multiplyExact(per, images.size())];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(encode(images.get(i)), 0, all, i * per, per);
        }
        return new ImageInput(all, images.size(), tokens, side, side, null, null, null);
    }

    /**
     * The image padded to a centred square with grey ({@link #PAD}), resized bilinearly to
     * {@code side x side}: packed RGB bytes, NHWC.
     */
    static byte[] letterbox(ImageData image, int side) {
        return ImageLetterbox.rgb(image, side, side, PAD);
    }

    /** Closes the RKNN model. Idempotent. */
    @Override
    public void close() {
        model.close();
    }

    @Override
    public String toString() {
        return "VisionEncoder[" + model.name() + ", " + side + "x" + side + " -> " + tokens + " x " + embedSize
                + (outputNames.size() > 1 ? " x " + outputNames.size() + " outputs" : "") + "]";
    }
}
