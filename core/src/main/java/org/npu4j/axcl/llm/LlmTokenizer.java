package org.npu4j.axcl.llm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A tokenizer of an ax-llm package: text to token ids, and each id's bytes (UTF-8, possibly a part of a
 * character) for streaming detokenization ({@link Utf8Stream}). Implementations are immutable and
 * thread-safe.
 */
public interface LlmTokenizer extends AutoCloseable {

    /** The ids of {@code text}; added tokens ({@code <|im_start|>}, ...) written literally are matched as such. */
    int[] encode(String text);

    /** The bytes token {@code id} stands for (empty for an unknown id); owned by the tokenizer, do not modify. */
    byte[] bytes(int id);

    /** True for an id that ends an answer ({@code <|im_end|>}, {@code <|endoftext|>} for Qwen). */
    boolean isStop(int id);

    /** The stop ids. */
    int[] stopIds();

    /** Number of ids (regular and added tokens). */
    int size();

    /** The id of an added token spelled {@code text}, or -1. */
    int addedTokenId(String text);

    @Override
    default void close() {}

    /**
     * Opens a package's tokenizer by its file: {@code *.txt} in the MNN tokenizer format
     * ({@link MnnTokenizer}), {@code tokenizer.json} or a directory holding one (HF, {@link HfTokenizer}).
     *
     * @throws IllegalArgumentException naming the file for another format or a malformed file
     */
    static LlmTokenizer open(Path file) {
        Path p = Files.isDirectory(file) ? file.resolve("tokenizer.json") : file;
        String n = p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".txt")) {
            return MnnTokenizer.read(p);
        }
        if (n.endsWith(".json") && Files.isRegularFile(p)) {
            return HfTokenizer.open(p);
        }
        throw new IllegalArgumentException(file + " (url_tokenizer_model): not a tokenizer npu4j reads: expected an MNN"
                + " *_tokenizer.txt, a HF tokenizer.json or a directory holding one (an http:// tokenizer server of the"
                + " G2 packages is not used: pass its tokenizer directory)");
    }
}
