package org.npu4j.rkllm;

import java.util.Objects;

/**
 * Encoder outputs for cross-attention decoding ({@code RKLLMCrossAttnParam}; the model must be loaded
 * with {@link RkllmModelBuilder#crossAttention(boolean)}). Shapes (vendor header):
 * {@code kCache} is {@code [num_layers][num_tokens][num_kv_heads][head_dim]}, {@code vCache} is
 * {@code [num_layers][num_kv_heads][head_dim][num_tokens]}, {@code mask} and {@code positions} have
 * one entry per encoder token. npu4j checks what it can without the model's layer geometry: equal K
 * and V sizes, a whole multiple of {@code numTokens}, and one mask and position entry per token.
 *
 * @param kCache    encoder keys; owned by this record
 * @param vCache    encoder values; owned by this record
 * @param mask      attention mask, {@code numTokens} floats
 * @param positions token positions, {@code numTokens} ints
 * @param numTokens encoder tokens, {@code >= 1}
 */
public record CrossAttention(float[] kCache, float[] vCache, float[] mask, int[] positions, int numTokens) {
    public CrossAttention {
        Objects.requireNonNull(kCache, "kCache");
        Objects.requireNonNull(vCache, "vCache");
        Objects.requireNonNull(mask, "mask");
        Objects.requireNonNull(positions, "positions");
        SamplingParams.check(numTokens >= 1, "numTokens (num_tokens)", numTokens, ">= 1");
        if (mask.length != numTokens) {
            throw new IllegalArgumentException("mask has " + mask.length + " floats: expected numTokens = " + numTokens);
        }
        if (positions.length != numTokens) {
            throw new IllegalArgumentException("positions has " + positions.length + " ints: expected numTokens = "
                    + numTokens);
        }
        if (kCache.length != vCache.length) {
            throw new IllegalArgumentException("kCache has " + kCache.length + " floats and vCache " + vCache.length
                    + ": both are num_layers * num_tokens * num_kv_heads * head_dim");
        }
        if (kCache.length == 0 || kCache.length % numTokens != 0) {
            throw new IllegalArgumentException("kCache has " + kCache.length + " floats, not a multiple of numTokens "
                    + numTokens + " (num_layers * num_tokens * num_kv_heads * head_dim)");
        }
    }
}
