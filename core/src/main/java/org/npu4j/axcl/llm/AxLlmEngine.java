package org.npu4j.axcl.llm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.npu4j.axcl.AxCallCounts;
import org.npu4j.axcl.AxDevice;
import org.npu4j.axcl.AxclRuntime;

/**
 * The device side of an ax-llm package: its decoder layers and post model loaded on one card or split
 * across several ({@link AxLlmStage}, one contiguous block of layers per card, {@link AxLlmDevices}),
 * and the two steps of generation (a prefill chunk, a decoded token). Sizes are derived from layer 0 as
 * the vendor's G2 runner does.
 *
 * <h2>Host ↔ device traffic</h2>
 * Per decoded token on one card: L + 1 executes; H2D of the embedding row, the position and the mask
 * column; 2 L device-to-device copies (COPY) or 2 L host-only binds (BIND); D2H of the logits. Every
 * further card adds, at its block boundary, a D2H of the hidden row on the card before and an H2D of it,
 * of the position and of the mask column on the card after: 4 calls over PCIe per boundary and token
 * (a prefill chunk: D2H + H2D of its rows, H2D of positions and mask). The hidden state goes through
 * the host: {@code axclrtMemcpy} has no card-to-card kind (its {@code axclrtMemcpyKind}s are host↔host,
 * host↔device, device↔device and host-physical↔device, AXCL 3.10 {@code axcl_rt_type.h}; a device
 * pointer belongs to the card of the calling thread's context), the runtime's separate P2P unit API is
 * not a memory copy npu4j binds, and ax-llm's G2 runner hops through the host too (D2H + H2D at the
 * block boundary, {@code shared/facts/axllm.md}). On the emulator each of those calls costs what its
 * link profile charges any copy: a round trip plus bytes over bandwidth, 0.502 ms (default profile) or
 * 0.2225 ms (tuned) per call on {@code gen2x1} ({@code native/emulator/axcl/README.md}, "Memory").
 * The embedding rows go to the first card, the logits come from the last; each card's KV caches hold
 * the rows of its own layers only.
 *
 * <h2>Qwen-VL positions and deepstack</h2>
 * Layers whose prefill {@code indices} hold three rows ({@code [3, P]}, or any shape of 3 · P values:
 * temporal, height and width ids, one row after the other) take Qwen-VL's multimodal RoPE ids
 * ({@link MropePositions}, computed from the image spans of {@link Rows}); the decode group's
 * {@code indices} hold one id (or three equal ones), the text position, which after an image is no longer
 * the cache row (it continues from the largest id so far, as HF's {@code rope_deltas}). Qwen3-VL's
 * deepstack features ({@link Rows#deep()}) are added to the image tokens' hidden state after layers
 * 0 .. n − 1 (feature k after layer k, as HF transformers' Qwen3-VL text model does), on the card that
 * runs layer k: per prefill chunk that holds image tokens, one D2H and one H2D of the chunk's hidden
 * state per deepstack layer, the addition in fp32 on the host, rounded to bf16 (nearest, ties to even).
 * Image tokens that would be prefilled through the decode group (a history past every prefill group) are
 * refused for such packages before anything runs: the decode group has one position and no deepstack
 * step.
 *
 * <h2>Threads</h2>
 * On one card, every call runs on the calling thread ({@link AxLlmModel}'s worker). On several, each
 * card's calls (opening it, loading, every step, closing) run on that card's own {@link DeviceWorker},
 * as ax-llm's runner has one thread per device; the caller waits for each block in turn. Not
 * thread-safe: {@link AxLlmModel} calls it from its worker only.
 */
final class AxLlmEngine implements AutoCloseable {
    /** How new K/V rows reach the cache in decode. */
    enum KvStrategy {
        /** Device-to-device copy of {@code K_cache_out}/{@code V_cache_out} into the cache (ax-llm's current way; the default). */
        COPY,
        /** {@code K_cache_out}/{@code V_cache_out} bound at the cache row of the position (ax-llm's early zero-copy way). */
        BIND
    }

    static final short MASKED = AxLlmStage.MASKED;

    private final AxLlmStage[] stages;
    /** One per card when there are several, else null (everything on the caller's thread). */
    private final DeviceWorker @Nullable [] workers;
    private final Arena arena = Arena.ofShared();

    final int layerCount;
    final int hidden;
    final int vocab;
    /** Context: the decode mask has C + 1 columns, the cache C rows. */
    final int contextLength;
    final int kv;
    final int chunk;
    /** History capacity of each prefill group, index = group (caps[0] unused). */
    final int[] caps;
    /** True if the prefill {@code indices} hold three rows of positions (Qwen-VL mRoPE). */
    final boolean mrope;
    /** Positions per token in the decode {@code indices}: 1, or 3 (all equal: a text token). */
    private final int decodeIdxRows;
    private final int groups;
    /**
     * {@code ropeNext[r]}: the position of a text token at cache row {@code r}, one more than the largest
     * position of rows {@code [0, r)} ({@code r} itself without images).
     */
    private final int[] ropeNext;

    private final MemorySegment embeddings;
    private final MemorySegment hostIdx;
    private final MemorySegment hostIdx4;
    private final MemorySegment hostMask;
    private final MemorySegment hostEmb;
    /** The first row of {@link #hostEmb}: a decoded token's embedding row, staged in pinned memory. */
    private final MemorySegment hostEmbRow;
    /** The hidden rows between two cards (D2H from one, H2D to the next); unused on one card. */
    private final MemorySegment hostHidden;
    private final MemorySegment hostHiddenRow;
    private final long rowBytes;

    /** Tokens in the KV cache (the next token's position). */
    private int pos;

    /** The whole package on {@code device}, every call on the calling thread. */
    AxLlmEngine(AxDevice device, AxLlmPackage pkg, KvStrategy kvStrategy) {
        this(null, List.of(device.id()), device, pkg, kvStrategy);
    }

    /**
     * The package split over {@code deviceIds} ({@link AxLlmDevices#blocks}); with one id, the same as
     * {@link #AxLlmEngine(AxDevice, AxLlmPackage, KvStrategy)} on {@code runtime.device(id)}. Every card's
     * free CMM is checked for its block before anything is loaded; on any failure everything loaded so
     * far is released and the device threads are stopped.
     *
     * @throws IllegalArgumentException as {@link AxLlmDevices#blocks}, or when the tensors disagree with the
     *                                  package
     * @throws org.npu4j.NpuException   if a card has too little free CMM for its block, or a model fails to load
     */
    AxLlmEngine(AxclRuntime runtime, List<Integer> deviceIds, AxLlmPackage pkg, KvStrategy kvStrategy) {
        this(runtime, deviceIds, null, pkg, kvStrategy);
    }

    private AxLlmEngine(@Nullable AxclRuntime runtime, List<Integer> deviceIds, @Nullable AxDevice single,
            AxLlmPackage pkg, KvStrategy kvStrategy) {
        this.layerCount = pkg.layers().size();
        this.hidden = pkg.hidden();
        this.vocab = pkg.vocab();
        this.rowBytes = 2L * hidden;
        int[][] blocks = AxLlmDevices.blocks(layerCount, deviceIds);
        int n = blocks.length;
        this.stages = new AxLlmStage[n];
        this.workers = n == 1 ? null : new DeviceWorker[n];
        try {
            AxDevice[] devs = new AxDevice[n];
            for (int i = 0; i < n; i++) {
                int id = deviceIds.get(i);
                if (workers != null) {
                    workers[i] = new DeviceWorker("npu4j-axcl-llm-dev" + id);
                }
                boolean withVision = i == 0 && pkg.vision() != null;
                int b = i;
                devs[i] = on(i, () -> {
                    AxDevice d = single != null ? single : runtime.device(id);
                    AxLlmDevices.checkFits(d, pkg, blocks[b][0], blocks[b][1], b == n - 1, withVision);
                    return d;
                });
            }
            for (int i = 0; i < n; i++) {
                int b = i;
                AxLlmStage reference = stages[0];
                stages[i] = on(i, () -> new AxLlmStage(devs[b], pkg, kvStrategy, blocks[b][0], blocks[b][1], b == n - 1,
                        reference));
            }
            AxLlmStage s0 = stages[0];
            contextLength = s0.contextLength;
            kv = s0.kv;
            chunk = s0.chunk;
            caps = s0.caps;
            groups = s0.groups;
            mrope = s0.mrope;
            decodeIdxRows = s0.decodeIdxRows;
            try (FileChannel ch = FileChannel.open(pkg.embeddings(), StandardOpenOption.READ)) {
                embeddings = ch.map(FileChannel.MapMode.READ_ONLY, 0, (long) vocab * rowBytes, arena);
            }
            hostIdx = arena.allocate(4L * (mrope ? 3 : 1) * chunk, 4);
            hostIdx4 = hostIdx.asSlice(0, 4L * decodeIdxRows);
            ropeNext = new int[contextLength + 1];
            hostMask = arena.allocate(2L * chunk * s0.maxCols, 2);
            hostEmb = arena.allocate(chunk * rowBytes, 2);
            hostEmbRow = hostEmb.asSlice(0, rowBytes);
            hostHidden = arena.allocate(n == 1 ? rowBytes : chunk * rowBytes, 2);
            hostHiddenRow = hostHidden.asSlice(0, rowBytes);
        } catch (IOException e) {
            closeQuietly();
            throw new IllegalArgumentException(pkg.embeddings() + " (filename_tokens_embed): cannot map (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    /** Runs {@code task} on card {@code i}'s thread, or here on one card. */
    private <T> T on(int i, Supplier<T> task) {
        return workers == null ? task.get() : workers[i].call(task);
    }

    /** The hidden size H: values per embedding row. */
    int hidden() {
        return hidden;
    }

    /** Tokens in the KV cache. */
    int position() {
        return pos;
    }

    /** The cards, in block order: the first takes the embedding rows, the last has the post model. */
    List<AxDevice> devices() {
        List<AxDevice> ds = new ArrayList<>(stages.length);
        for (AxLlmStage s : stages) {
            ds.add(s.device());
        }
        return ds;
    }

    /** The layers of each card, {@code [first, end)}, in block order. */
    int[][] blocks() {
        int[][] b = new int[stages.length][];
        for (int i = 0; i < stages.length; i++) {
            b[i] = new int[] {stages[i].first, stages[i].end};
        }
        return b;
    }

    /**
     * Runs {@code task} where the first card's calls run (its thread on several cards, else here): the
     * vision encoder lives on the first card, beside layer 0.
     */
    <T> T onFirstDevice(Supplier<T> task) {
        return on(0, task);
    }

    /**
     * Forgets cache rows from {@code p} on (they are overwritten later; the masks keep them out of
     * attention), e.g. to reuse a common prefix of a new conversation.
     */
    void truncate(int p) {
        if (p < 0 || p > pos) {
            throw new IllegalArgumentException("truncate to " + p + " with " + pos + " tokens cached");
        }
        pos = p;
    }

    /**
     * Rows that stand in for the embedding-table rows of some prompt positions: the vision encoder's bf16
     * rows written over the {@code <|image_pad|>} placeholders.
     *
     * @param rows   bf16 rows of the hidden size, packed
     * @param rowOf  for each prompt position, the row of {@code rows} it takes, or -1 for the table row of
     *               its token id (positions past its end take table rows)
     * @param deep   Qwen3-VL deepstack features: {@code deep[k]} holds, row for row like {@code rows}, the
     *               bf16 values added to the hidden state after layer {@code k}; empty without
     * @param images every image of the prompt, cached or not, in prompt order: their spans give the mRoPE
     *               positions (unused by one-row packages)
     */
    record Rows(MemorySegment rows, int[] rowOf, MemorySegment[] deep, List<MropePositions.Span> images) {
        /** Rows of a package without mRoPE or deepstack. */
        Rows(MemorySegment rows, int[] rowOf) {
            this(rows, rowOf, new MemorySegment[0], List.of());
        }

        int row(int i) {
            return i < rowOf.length ? rowOf[i] : -1;
        }
    }

    /** {@link #prefill(int[], int, int, Rows)} from the embedding table only. */
    void prefill(int[] ids, int from, int to) {
        prefill(ids, from, to, null);
    }

    /**
     * Prefills {@code ids[from, to)} after the cached tokens, in chunks of P with the smallest group
     * whose history capacity holds each chunk's history; a history beyond every group's capacity is
     * prefilled through the decode group one token at a time. Position {@code i} takes row
     * {@code rows.rowOf[i]} of {@code rows} when that is not -1, else the embedding-table row of
     * {@code ids[i]}. Leaves the logits of the last token in {@link #logits()}.
     *
     * @return the steps run: chunks, plus tokens prefilled one at a time
     * @throws IllegalArgumentException if the tokens do not fit the context
     */
    int prefill(int[] ids, int from, int to, @Nullable Rows rows) {
        if (to <= from) {
            throw new IllegalArgumentException("nothing to prefill");
        }
        if (pos + (to - from) > contextLength) {
            throw new IllegalArgumentException("the context is full: " + pos + " cached + " + (to - from)
                    + " new tokens exceed the model's context of " + contextLength + " tokens");
        }
        if (rows != null && rows.deep().length > layerCount) {
            throw new IllegalArgumentException(rows.deep().length + " deepstack features for " + layerCount + " layers");
        }
        int[][] rope = mrope ? MropePositions.of(to, rows == null ? List.of() : rows.images()) : null;
        if (rows != null && (mrope || rows.deep().length > 0)) {
            // image tokens past every prefill group's history would go through the decode group: refuse first
            int p = pos;
            for (int i = from; i < to; p += Math.min(chunk, to - i), i += chunk) {
                if (groupFor(p) < 0) {
                    for (int j = i; j < to; j++) {
                        if (rows.row(j) >= 0) {
                            throw new IllegalArgumentException("image token at cache row " + (p + j - i) + ": rows past"
                                    + " the largest prefill history (" + caps[largestCap()] + ") go"
                                    + " through the decode group, which takes one position and no deepstack features;"
                                    + " expected images within the first " + (caps[largestCap()] + chunk) + " tokens");
                        }
                    }
                    break;
                }
            }
        }
        int i = from;
        int steps = 0;
        while (i < to) {
            int m = Math.min(chunk, to - i);
            int g = groupFor(pos);
            if (g < 0) {
                for (; i < to; i++, steps++) {
                    int r = rows == null ? -1 : rows.row(i);
                    decodeRow(r < 0 ? embeddings : rows.rows(), r < 0 ? ids[i] * rowBytes : r * rowBytes,
                            rope == null ? pos : rope[0][i]);
                }
                return steps;
            }
            prefillChunk(ids, i, m, g, rows, rope, i + m == to);
            steps++;
            i += m;
        }
        return steps;
    }

    /** The group with the largest history capacity. */
    private int largestCap() {
        int best = 1;
        for (int g = 1; g < groups; g++) {
            if (caps[g] > caps[best]) {
                best = g;
            }
        }
        return best;
    }

    /** The smallest prefill group whose history capacity holds {@code history}, or -1. */
    int groupFor(int history) {
        int best = -1;
        for (int g = 1; g < groups; g++) {
            if (caps[g] >= history && (best < 0 || caps[g] < caps[best])) {
                best = g;
            }
        }
        return best;
    }

    private void prefillChunk(int[] ids, int from, int m, int g, @Nullable Rows rows, int @Nullable [][] rope,
            boolean lastChunk) {
        int h = pos;
        int cap = caps[g];
        int cols = cap + chunk;
        hostEmb.fill((byte) 0);
        boolean images = false;
        for (int j = 0; j < m; j++) {
            int r = rows == null ? -1 : rows.row(from + j);
            if (r < 0) {
                MemorySegment.copy(embeddings, ids[from + j] * rowBytes, hostEmb, j * rowBytes, rowBytes);
            } else {
                MemorySegment.copy(rows.rows(), r * rowBytes, hostEmb, j * rowBytes, rowBytes);
                images = true;
            }
        }
        if (rope == null) {
            for (int j = 0; j < chunk; j++) {
                hostIdx.setAtIndex(ValueLayout.JAVA_INT, j, h + j);
            }
            for (int j = 0; j < m; j++) {
                ropeNext[h + j + 1] = h + j + 1;
            }
        } else {
            for (int j = 0; j < chunk; j++) {
                // padding rows (masked) continue the text positions
                int pad = rope[0][from + m - 1] + 1 + j - m;
                for (int row = 0; row < 3; row++) {
                    hostIdx.setAtIndex(ValueLayout.JAVA_INT, (long) row * chunk + j, j < m ? rope[row][from + j] : pad);
                }
            }
            for (int j = 0; j < m; j++) {
                int top = Math.max(rope[0][from + j], Math.max(rope[1][from + j], rope[2][from + j]));
                ropeNext[h + j + 1] = Math.max(ropeNext[h + j], top + 1);
            }
        }
        Rows deep = images && rows.deep().length > 0 ? rows : null;
        for (int r = 0; r < chunk; r++) {
            long base = (long) r * cols;
            for (int c = 0; c < cols; c++) {
                boolean attend = r < m && (c < h || (c >= cap && c <= cap + r));
                hostMask.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, base + c, attend ? 0 : MASKED);
            }
        }
        MemorySegment mask = hostMask.asSlice(0, 2L * chunk * cols);
        int last = stages.length - 1;
        for (int s = 0; s <= last; s++) {
            AxLlmStage st = stages[s];
            MemorySegment input = s == 0 ? hostEmb : hostHidden.asSlice(0, m * rowBytes);
            MemorySegment out = s == last ? null : hostHidden;
            if (workers == null) {
                st.prefillChunk(input, hostIdx, mask, h, m, g, lastChunk, out, deep, from, hostEmb);
            } else {
                workers[s].run(() -> st.prefillChunk(input, hostIdx, mask, h, m, g, lastChunk, out, deep, from, hostEmb));
            }
        }
        pos = h + m;
    }

    /**
     * Decodes one token at the next position: its embedding row up, every layer, the post model, the
     * logits down ({@link #logits()}).
     *
     * @throws IllegalArgumentException if the context is full
     */
    void decode(int token) {
        if (pos >= contextLength) {
            throw new IllegalArgumentException("the context is full: " + pos + " tokens, the model's context is "
                    + contextLength);
        }
        decodeRow(embeddings, token * rowBytes, ropeNext[pos]);
    }

    /**
     * {@link #decode(int)} of the bf16 row at {@code offset} of {@code src} at rotary position
     * {@code position} (the cache row without mRoPE).
     */
    private void decodeRow(MemorySegment src, long offset, int position) {
        if (pos >= contextLength) {
            throw new IllegalArgumentException("the context is full: " + pos + " tokens, the model's context is "
                    + contextLength);
        }
        int p = pos;
        stageRow(src, offset, hostEmbRow);
        for (int row = 0; row < decodeIdxRows; row++) {
            hostIdx4.setAtIndex(ValueLayout.JAVA_INT, row, position);
        }
        ropeNext[p + 1] = Math.max(ropeNext[p], position + 1);
        if (workers == null) {
            stages[0].decode(hostEmbRow, hostIdx4, p, null);
        } else {
            int last = stages.length - 1;
            for (int s = 0; s <= last; s++) {
                AxLlmStage st = stages[s];
                MemorySegment input = s == 0 ? hostEmbRow : hostHiddenRow;
                MemorySegment out = s == last ? null : hostHiddenRow;
                workers[s].run(() -> st.decode(input, hostIdx4, p, out));
            }
        }
        pos = p + 1;
    }

    /**
     * Copies the row at {@code offset} of {@code src} (the memory-mapped embedding table, or an image's
     * rows) into {@code row}, pinned host memory the H2D copy then reads: no view object per token.
     */
    static void stageRow(MemorySegment src, long offset, MemorySegment row) {
        MemorySegment.copy(src, offset, row, 0, row.byteSize());
    }

    static float bf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** fp32 to bf16, rounded to nearest, ties to even (NaN stays NaN). */
    static short toBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((x >>> 16) | 0x40);
        }
        return (short) ((x + 0x7FFF + ((x >>> 16) & 1)) >>> 16);
    }

    /** The bf16 logits of the last step (the post model's pinned output buffer; at least {@code vocab} values). */
    MemorySegment logits() {
        return stages[stages.length - 1].logits();
    }

    /** The AXCL calls made on this engine's cards so far, summed ({@link AxDevice#callCounts()}). */
    AxCallCounts calls() {
        AxCallCounts total = AxCallCounts.ZERO;
        for (AxLlmStage s : stages) {
            if (s != null) {
                total = total.plus(s.device().callCounts());
            }
        }
        return total;
    }

    /** CMM the engines report, bytes (layers and post), plus the KV caches and the other device buffers. */
    long memoryBytes() {
        long total = 0;
        for (AxLlmStage s : stages) {
            total += s == null ? 0 : s.memoryBytes();
        }
        return total;
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException ignored) {
            // the load error is the one to report
        }
    }

    /** Closes every block on its card's thread, last first, then stops the threads. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = stages.length - 1; i >= 0; i--) {
            AxLlmStage s = stages[i];
            if (s == null) {
                continue;
            }
            stages[i] = null;
            try {
                if (workers == null || workers[i] == null) {
                    s.close();
                } else {
                    workers[i].run(s::close);
                }
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (workers != null) {
            for (DeviceWorker w : workers) {
                if (w != null) {
                    w.close();
                }
            }
        }
        if (arena.scope().isAlive()) {
            arena.close();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
