package org.npu4j.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The prompts of the LLM runs: the committed set ({@code bench-prompts.txt} beside this class, eight
 * prompts of about 128 tokens, as in the vendor tables) or a file in the same format: one prompt per
 * line, blank lines and lines starting with {@code #} ignored. Immutable.
 *
 * @param source where the prompts came from (a file, or "built-in")
 * @param prompts the prompts, in order
 */
record BenchPrompts(String source, List<String> prompts) {
    static final String RESOURCE = "bench-prompts.txt";

    BenchPrompts {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompt in " + source + ": one prompt per line, # for comments");
        }
        prompts = List.copyOf(prompts);
    }

    /** The built-in set, or {@code file} if given. */
    static BenchPrompts load(@Nullable Path file) {
        if (file != null) {
            try {
                return new BenchPrompts(file.toString(), parse(Files.readString(file, StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the prompt file " + file + ": " + e.getMessage(), e);
            }
        }
        try (InputStream in = BenchPrompts.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the npu4j-tools jar");
            }
            return new BenchPrompts("built-in", parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> parse(String text) {
        return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    int size() {
        return prompts.size();
    }

    String get(int i) {
        return prompts.get(i % prompts.size());
    }
}
