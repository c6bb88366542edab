package org.npu4j.axcl.llm;

import java.util.List;

/**
 * Qwen-VL's multimodal rotary positions (mRoPE): three position ids per token, temporal, height and
 * width, which Qwen-VL packages take as the three rows of their prefill {@code indices}
 * ({@code shared/facts/axllm.md}, "Shape groups and tensors" and "VLM").
 *
 * <p>The rule is that of HF transformers' {@code Qwen2VLForConditionalGeneration.get_rope_index}
 * ({@code src/transformers/models/qwen2_vl/modeling_qwen2_vl.py}, its docstring and code; Qwen2.5-VL and
 * Qwen3-VL number still images the same way): a text token gets the same id in all three rows, one more
 * than the previous token's largest id (the first token 0). An image of {@code rows × cols} merged tokens
 * (one temporal patch), row-major, that follows text whose next id is {@code s} gives its token
 * {@code (r, c)} the ids {@code t = s}, {@code h = s + r}, {@code w = s + c}; the text after it starts at
 * the image's largest id plus one, {@code s + max(rows, cols)}. Example: two text tokens, a 2 × 2 image,
 * one text token: {@code t = 0 1 2 2 2 2 4}, {@code h = 0 1 2 2 3 3 4}, {@code w = 0 1 2 3 2 3 4}.
 *
 * <p>Stateless; thread-safe.
 */
final class MropePositions {
    /**
     * The placeholder tokens of one image in the prompt.
     *
     * @param start index of the image's first token (its first {@code <|image_pad|>}) in the token ids
     * @param rows  merged-token rows of the image: input height / (patch · merge)
     * @param cols  merged-token columns: input width / (patch · merge)
     */
    record Span(int start, int rows, int cols) {
        Span {
            if (start < 0 || rows < 1 || cols < 1) {
                throw new IllegalArgumentException("image span at " + start + " of " + rows + " x " + cols
                        + ": expected start >= 0 and a positive grid");
            }
        }

        /** Tokens of the image: {@code rows · cols}. */
        int tokens() {
            return rows * cols;
        }
    }

    private MropePositions() {}

    /**
     * The three position rows of the first {@code n} tokens of a prompt whose images are {@code images}.
     *
     * @param n      tokens, {@code >= 0}
     * @param images the images' spans, in prompt order, not overlapping (spans may reach past {@code n})
     * @return {@code [3][n]}: row 0 temporal, row 1 height, row 2 width ids
     * @throws IllegalArgumentException if the spans are out of order or overlap
     */
    static int[][] of(int n, List<Span> images) {
        int[][] p = new int[3][n];
        int next = 0;
        int i = 0;
        for (Span s : images) {
            if (s.start() < i) {
                throw new IllegalArgumentException("image span " + s + " starts before the end of the previous one (" + i
                        + "): expected spans in prompt order");
            }
            for (; i < s.start() && i < n; i++, next++) {
                p[0][i] = next;
                p[1][i] = next;
                p[2][i] = next;
            }
            i = s.start();
            int base = next;
            for (int k = 0; k < s.tokens() && i < n; k++, i++) {
                p[0][i] = base;
                p[1][i] = base + k / s.cols();
                p[2][i] = base + k % s.cols();
            }
            i = s.start() + s.tokens();
            next = base + Math.max(s.rows(), s.cols());
        }
        for (; i < n; i++, next++) {
            p[0][i] = next;
            p[1][i] = next;
            p[2][i] = next;
        }
        return p;
    }
}
