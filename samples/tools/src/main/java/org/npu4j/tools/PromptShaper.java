package org.npu4j.tools;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.npu4j.llm.LanguageModel;

/**
 * Fits the bench's prompts to an exact prompt length in tokens (the vendor tables prefill 128), for
 * models that can tell how many tokens a request's prompt has ({@link LanguageModel#promptTokenIds}):
 * the whole rendered prompt (chat template, system prompt, user turn) counts. The user text is the
 * prompt's words, repeated if it is too short, cut to the most words that fit, then padded with short
 * filler pieces until the count is exact; when no padding lands on the exact count the longest text
 * that does not exceed it is kept (the report shows the prompt tokens each run had). A model that
 * cannot count keeps the prompts as they are. Stateless.
 */
final class PromptShaper {
    private static final String[] FILLERS = {".", " a", " the", "!", " and", " I", ","};

    private PromptShaper() {}

    /** The prompts shaped to {@code tokens} tokens each on {@code model}, or as they are if it cannot count. */
    static List<String> shape(LanguageModel model, List<String> prompts, int tokens, int maxNewTokens) {
        List<String> out = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            out.add(shape(model, p, tokens, maxNewTokens));
        }
        return out;
    }

    static String shape(LanguageModel model, String prompt, int tokens, int maxNewTokens) {
        if (count(model, "x", maxNewTokens) < 0) {
            return prompt;
        }
        String[] words = prompt.strip().split("\\s+");
        // the most words (cycling through the prompt) whose prompt does not exceed the target: binary search
        int lo = 1;
        int hi = 1;
        while (count(model, words(words, hi), maxNewTokens) <= tokens && hi < 1 << 16) {
            lo = hi;
            hi *= 2;
        }
        if (count(model, words(words, lo), maxNewTokens) > tokens) {
            return words(words, 1); // even one word is too long: the template alone is near the target
        }
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (count(model, words(words, mid), maxNewTokens) <= tokens) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        String text = words(words, lo);
        int n = count(model, text, maxNewTokens);
        for (int guard = 0; n < tokens && guard < 4 * tokens; guard++) {
            boolean grew = false;
            for (String f : FILLERS) {
                int m = count(model, text + f, maxNewTokens);
                if (m > n && m <= tokens) {
                    text += f;
                    n = m;
                    grew = true;
                    break;
                }
            }
            if (!grew) {
                break;
            }
        }
        return text;
    }

    private static String words(String[] words, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(words[i % words.length]);
        }
        return sb.toString();
    }

    /** Tokens of the prompt of {@code text} as one user turn, or -1 if the model cannot tell. */
    static int count(LanguageModel model, String text, int maxNewTokens) {
        Optional<int[]> ids = model.promptTokenIds(LlmBench.request(text, maxNewTokens));
        return ids.map(a -> a.length).orElse(-1);
    }
}
