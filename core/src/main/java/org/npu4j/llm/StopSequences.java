package org.npu4j.llm;

import java.util.List;
import java.util.Objects;

/**
 * Applies stop sequences to a token stream: passes text on to {@code downstream} only once it cannot be
 * the start of a stop sequence, and at the first complete match calls {@code onMatch} (which stops the
 * run) and delivers nothing more. The text before the match is the answer; the match is not part of it.
 *
 * <p>Called on the backend's thread, one call at a time (as a {@link TokenListener}); {@link #text()} and
 * {@link #matched()} may be read after the run ended.
 */
public final class StopSequences implements TokenListener {
    private final List<String> stops;
    private final TokenListener downstream;
    private final Runnable onMatch;
    private final StringBuilder delivered = new StringBuilder();
    private final StringBuilder pending = new StringBuilder();
    private int pendingTokenId = -1;
    private volatile boolean matched;

    /**
     * @param stops      the stop sequences (non-empty strings)
     * @param downstream the listener that sees the text before any match
     * @param onMatch    called once, on the backend's thread, when a sequence matched
     */
    public StopSequences(List<String> stops, TokenListener downstream, Runnable onMatch) {
        this.stops = List.copyOf(stops);
        this.downstream = Objects.requireNonNull(downstream, "downstream");
        this.onMatch = Objects.requireNonNull(onMatch, "onMatch");
    }

    @Override
    public void onToken(String text, int tokenId) {
        if (matched) {
            return;
        }
        pending.append(text);
        pendingTokenId = tokenId;
        int at = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
            }
        }
        if (at >= 0) {
            matched = true;
            deliver(pending.substring(0, at), tokenId);
            pending.setLength(0);
            onMatch.run();
            return;
        }
        int keep = longestPrefixSuffix();
        if (pending.length() > keep) {
            deliver(pending.substring(0, pending.length() - keep), tokenId);
            pending.delete(0, pending.length() - keep);
        } else if (text.isEmpty()) {
            downstream.onToken("", tokenId);
        }
    }

    @Override
    public void onFinish(PerfStats perf) {
        flush();
        downstream.onFinish(perf);
    }

    /** Delivers held-back text (the run ended without a match). Idempotent. */
    public void flush() {
        if (!matched && !pending.isEmpty()) {
            deliver(pending.toString(), pendingTokenId);
            pending.setLength(0);
        }
    }

    /** True once a stop sequence matched. */
    public boolean matched() {
        return matched;
    }

    /** The text delivered downstream: the answer up to the match. */
    public String text() {
        return delivered.toString();
    }

    private void deliver(String s, int tokenId) {
        delivered.append(s);
        downstream.onToken(s, tokenId);
    }

    /** Length of the longest suffix of {@code pending} that is a proper prefix of a stop sequence. */
    private int longestPrefixSuffix() {
        int best = 0;
        String p = pending.toString();
        for (String s : stops) {
            int max = Math.min(s.length() - 1, p.length());
            for (int n = max; n > best; n--) {
                if (p.regionMatches(p.length() - n, s, 0, n)) {
                    best = n;
                    break;
                }
            }
        }
        return best;
    }
}
