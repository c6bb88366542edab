package org.npu4j.axcl.llm;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Turns the bytes of generated tokens into text as they come: a character split across tokens is
 * held back until its last byte arrives, so every piece handed out is whole characters and their
 * concatenation is the answer's UTF-8 decoded once. Not thread-safe (one per run).
 *
 * <p>With a piece cache ({@link #Utf8Stream(String[])}, indexed by token id and shared by the runs of
 * one vocabulary), a token that holds whole characters and comes with nothing held back is handed
 * out as the cached string of its bytes, decoded the first time it is seen: no allocation per token.
 */
public final class Utf8Stream {
    private final String @Nullable [] pieces;
    private byte[] pending = new byte[16];
    private int n;

    /** A stream without a piece cache: every piece is a new string. */
    public Utf8Stream() {
        this.pieces = null;
    }

    /**
     * A stream that reuses decoded pieces from {@code pieces} (one slot per token id, null until
     * decoded; filled by this stream). The array may be shared by streams of one vocabulary, one at a
     * time per thread or from several threads: a slot holds an immutable string written whole.
     */
    public Utf8Stream(String[] pieces) {
        this.pieces = java.util.Objects.requireNonNull(pieces, "pieces");
    }

    /**
     * Appends the bytes of token {@code id} and returns the text they complete (possibly empty); the
     * same as {@link #push(byte[])}, from the piece cache when the token holds whole characters and
     * nothing is held back.
     */
    public String push(int id, byte[] bytes) {
        String[] cache = pieces;
        if (cache != null && n == 0 && id >= 0 && id < cache.length && bytes.length > 0) {
            String s = cache[id];
            if (s != null) {
                return s;
            }
            if (completeLength(bytes, bytes.length) == bytes.length) {
                s = new String(bytes, StandardCharsets.UTF_8);
                cache[id] = s;
                return s;
            }
        }
        return push(bytes);
    }

    /** Appends one token's bytes and returns the text they complete (possibly empty). */
    public String push(byte[] bytes) {
        if (n + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, n + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, n, bytes.length);
        n += bytes.length;
        int cut = completeLength(pending, n);
        if (cut == 0) {
            return "";
        }
        String s = new String(pending, 0, cut, StandardCharsets.UTF_8);
        System.arraycopy(pending, cut, pending, 0, n - cut);
        n -= cut;
        return s;
    }

    /** What is held back, decoded as it is (replacement characters for the incomplete tail); empties the stream. */
    public String flush() {
        String s = new String(pending, 0, n, StandardCharsets.UTF_8);
        n = 0;
        return s;
    }

    /** Length of the longest prefix of {@code b[0, len)} that does not end inside a multi-byte character. */
    static int completeLength(byte[] b, int len) {
        for (int back = 1; back <= Math.min(4, len); back++) {
            int c = b[len - back] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte: look further back for the lead byte
            }
            int need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            return need > back ? len - back : len;
        }
        return len; // only continuation bytes: malformed, let the decoder replace them
    }
}
