package org.npu4j.axcl.llm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.npu4j.llm.ImageData;
import org.npu4j.metrics.LatencyRecorder;
import org.npu4j.metrics.Stage;

/**
 * The images of an {@link AxLlmModel} prompt: where their placeholder runs are in the token ids, the
 * vision encoder's rows (and deepstack features) for those the KV cache does not hold yet, the image
 * spans for Qwen-VL's mRoPE positions ({@link MropePositions}), and the keys that tell the KV cache
 * which image a placeholder showed.
 *
 * <p>Not thread-safe: the model calls it on its worker thread (the encoder runs on the device).
 */
final class AxImagePrompt {
    private final AxVisionEncoder vision;
    private final String modelName;
    private final LatencyRecorder latency;
    /** Runs a task where the vision encoder's card takes its calls (the first card's thread on several). */
    private final java.util.function.Consumer<Runnable> onCard;
    /** Token ids of {@code <|vision_start|>} and {@code <|image_pad|>}. */
    private final int visionStart;
    private final int imagePad;

    /**
     * @param onCard runs a task where the encoder's card takes its calls ({@link AxLlmEngine#onFirstDevice})
     * @throws IllegalArgumentException if the tokenizer does not have the placeholder tokens as single
     *                                  added tokens
     */
    AxImagePrompt(AxVisionEncoder vision, LlmTokenizer tokenizer, String modelName, LatencyRecorder latency,
            java.util.function.Consumer<Runnable> onCard) {
        this.onCard = onCard;
        this.vision = vision;
        this.modelName = modelName;
        this.latency = latency;
        this.visionStart = singleToken(tokenizer, AxLlmModel.VISION_START);
        this.imagePad = singleToken(tokenizer, AxLlmModel.IMAGE_PAD);
    }

    /**
     * Where each image's placeholders start in {@code ids}: after each {@code <|vision_start|>}, a run of
     * exactly T {@code <|image_pad|>}, one run per image.
     *
     * @throws IllegalArgumentException if the prompt holds other placeholder tokens (e.g. typed in a text)
     */
    int[] placeholders(int[] ids, int count) {
        int t = vision.tokens();
        int[] starts = new int[count];
        int found = 0;
        int pads = 0;
        boolean exact = true;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == imagePad) {
                pads++;
            }
            if (ids[i] == visionStart && i + 1 < ids.length && ids[i + 1] == imagePad) {
                int run = 0;
                while (i + 1 + run < ids.length && ids[i + 1 + run] == imagePad) {
                    run++;
                }
                if (found < count) {
                    starts[found] = i + 1;
                }
                exact &= run == t;
                found++;
            }
        }
        if (found != count || pads != count * t || !exact) {
            throw new IllegalArgumentException(modelName + ": the prompt holds " + pads + " " + AxLlmModel.IMAGE_PAD + " tokens in "
                    + found + " run(s), but " + count + " image(s) of " + t + " tokens each were given: a message's text"
                    + " must not contain " + AxLlmModel.VISION_START + " or " + AxLlmModel.IMAGE_PAD + " itself");
        }
        return starts;
    }

    /**
     * Runs the vision encoder on the images whose placeholders reach into {@code [from, to)} (the others'
     * rows are in the KV cache already) and maps their placeholder positions to the rows; stops before the
     * next image once {@code stopped} says so.
     */
    AxLlmEngine.Rows encode(List<ImageData> images, int[] starts, int from, int to, Arena arena,
            BooleanSupplier stopped) {
        int t = vision.tokens();
        int needed = 0;
        for (int start : starts) {
            if (start + t > from) {
                needed++;
            }
        }
        long t0 = System.nanoTime();
        MemorySegment rows = arena.allocate(Math.max(1, needed) * vision.rowBytes(), 2);
        MemorySegment[] deep = new MemorySegment[vision.deepstack()];
        for (int k = 0; k < deep.length; k++) {
            deep[k] = arena.allocate(Math.max(1, needed) * vision.rowBytes(), 2);
        }
        List<MropePositions.Span> spans = new ArrayList<>(starts.length);
        for (int start : starts) {
            spans.add(new MropePositions.Span(start, vision.gridRows(), vision.gridCols()));
        }
        int[] rowOf = new int[to];
        Arrays.fill(rowOf, -1);
        int n = 0;
        for (int k = 0; k < starts.length; k++) {
            if (starts[k] + t <= from) {
                continue;
            }
            if (stopped.getAsBoolean()) {
                break;
            }
            ImageData image = images.get(k);
            long at = n * vision.rowBytes();
            onCard.accept(() -> vision.encode(image, rows, at, deep)); // on the first card's thread
            for (int j = 0; j < t; j++) {
                rowOf[starts[k] + j] = n * t + j;
            }
            n++;
        }
        if (n > 0) {
            latency.record(Stage.PREPROCESS, System.nanoTime() - t0);
        }
        return new AxLlmEngine.Rows(rows, rowOf, deep, spans);
    }

    /** Token ids of the placeholder tokens, which must be single added tokens of the tokenizer. */
    private static int singleToken(LlmTokenizer tok, String text) {
        int[] ids = tok.encode(text);
        if (ids.length != 1) {
            throw new IllegalArgumentException("the tokenizer encodes " + text + " as " + ids.length + " tokens "
                    + Arrays.toString(ids) + ": a VLM package's tokenizer has it as one added token");
        }
        return ids[0];
    }

    /** 64 bits of the SHA-256 of an image's size and pixels. */
    static long digest(ImageData image) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(ByteBuffer.allocate(8).putInt(image.width()).putInt(image.height()).array());
            md.update(image.rgb());
            return ByteBuffer.wrap(md.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** The KV-cache key of token {@code j} of an image: negative, so it never equals a token id. */
    static long imageKey(long digest, int j) {
        return Long.MIN_VALUE | ((digest * 0x9E3779B97F4A7C15L + j) & Long.MAX_VALUE);
    }
}
