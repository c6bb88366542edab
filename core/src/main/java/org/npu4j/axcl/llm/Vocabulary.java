package org.npu4j.axcl.llm;

import java.util.Map;

/**
 * What both tokenizer formats hold the same way: each id's bytes, the added tokens by spelling and the
 * stop ids; the lookups of {@link LlmTokenizer} over them. Immutable, thread-safe.
 */
abstract sealed class Vocabulary implements LlmTokenizer permits HfTokenizer, MnnTokenizer {
    final byte[][] bytes;
    final Map<String, Integer> added;
    final int[] stops;

    Vocabulary(byte[][] bytes, Map<String, Integer> added, int[] stops) {
        this.bytes = bytes;
        this.added = added;
        this.stops = stops;
    }

    @Override
    public final byte[] bytes(int id) {
        return id >= 0 && id < bytes.length ? bytes[id] : new byte[0];
    }

    @Override
    public final boolean isStop(int id) {
        for (int s : stops) {
            if (s == id) {
                return true;
            }
        }
        return false;
    }

    @Override
    public final int[] stopIds() {
        return stops.clone();
    }

    @Override
    public final int size() {
        return bytes.length;
    }

    @Override
    public final int addedTokenId(String text) {
        return added.getOrDefault(text, -1);
    }
}
