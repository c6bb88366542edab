package org.npu4j.rkllm;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a run feeds the model ({@code RKLLMInput} and its {@code input_type}). Shapes are checked when
 * the input is made, and against the model (hidden size, vocabulary) before anything reaches the
 * runtime; a wrong shape is an {@link IllegalArgumentException}, never a native read out of bounds.
 */
public sealed interface Input permits Input.Prompt, Input.Tokens, Input.Embeddings, Input.Multimodal {

    /** Text, formatted by the runtime with the model's chat template ({@code RKLLM_INPUT_PROMPT}). */
    static Prompt prompt(String text) {
        return new Prompt(text);
    }

    /** Token ids, fed as they are (no chat template) ({@code RKLLM_INPUT_TOKEN}). */
    static Tokens tokens(int... ids) {
        return new Tokens(ids.clone());
    }

    /**
     * Embedding vectors, {@code nTokens} rows of the model's hidden size, row after row
     * ({@code RKLLM_INPUT_EMBED}).
     */
    static Embeddings embeddings(float[] data, int nTokens) {
        return new Embeddings(data.clone(), nTokens);
    }

    /** A prompt with image and/or video embeddings ({@code RKLLM_INPUT_MULTIMODAL}). */
    static Multimodal multimodal(String prompt, @Nullable ImageInput image, @Nullable VideoInput video) {
        return new Multimodal(prompt, image, video);
    }

    /**
     * A text prompt.
     *
     * @param text the prompt; must not be empty (the runtime would prefill the template alone and
     *             answer nothing in particular)
     */
    record Prompt(String text) implements Input {
        public Prompt {
            Objects.requireNonNull(text, "text");
            if (text.isEmpty()) {
                throw new IllegalArgumentException("prompt is empty: give at least one character");
            }
            if (text.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("prompt contains a NUL character (the runtime takes a C string)");
            }
        }
    }

    /**
     * Token ids.
     *
     * @param ids token ids, at least one, each {@code >= 0} (and below the vocabulary size when the
     *            model knows it); owned by this record
     */
    record Tokens(int[] ids) implements Input {
        public Tokens {
            Objects.requireNonNull(ids, "ids");
            if (ids.length == 0) {
                throw new IllegalArgumentException("token input is empty: give at least one token id");
            }
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0) {
                    throw new IllegalArgumentException("token id " + ids[i] + " at index " + i + " is negative");
                }
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tokens t && Arrays.equals(ids, t.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }

        @Override
        public String toString() {
            return "Tokens[" + ids.length + " ids]";
        }
    }

    /**
     * Embedding vectors, row after row.
     *
     * @param data    {@code nTokens * hiddenSize} floats (source: {@code RKLLMEmbedInput} in the vendor
     *                header, "of size n_tokens * n_embed"); owned by this record
     * @param nTokens number of embedded tokens, {@code >= 1}
     */
    record Embeddings(float[] data, int nTokens) implements Input {
        public Embeddings {
            Objects.requireNonNull(data, "data");
            if (nTokens < 1) {
                throw new IllegalArgumentException("nTokens = " + nTokens + ": accepted >= 1");
            }
            if (data.length == 0 || data.length % nTokens != 0) {
                throw new IllegalArgumentException("embedding input has " + data.length + " floats for " + nTokens
                        + " tokens: expected nTokens * hiddenSize floats");
            }
        }

        /** {@code data.length / nTokens}. */
        public int rowLength() {
            return data.length / nTokens;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Embeddings e && nTokens == e.nTokens && Arrays.equals(data, e.data);
        }

        @Override
        public int hashCode() {
            return 31 * nTokens + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Embeddings[" + nTokens + " x " + rowLength() + "]";
        }
    }

    /**
     * A prompt with media embeddings.
     *
     * @param prompt the text, in which the runtime places the media: one placeholder per image or video
     *               ({@code <image>}, {@code <video>}; the emulator requires exactly one per item, see the
     *               model's documentation for a real one)
     * @param image  image embeddings, or null
     * @param video  video embeddings (ABI 1.3 only), or null
     */
    record Multimodal(String prompt, @Nullable ImageInput image, @Nullable VideoInput video) implements Input {
        public Multimodal {
            Objects.requireNonNull(prompt, "prompt");
            if (prompt.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("prompt contains a NUL character (the runtime takes a C string)");
            }
            if (image == null && video == null) {
                throw new IllegalArgumentException("multimodal input without image or video: use Input.prompt");
            }
        }
    }
}
