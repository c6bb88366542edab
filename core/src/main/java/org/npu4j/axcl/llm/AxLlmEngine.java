package org.npu4j.axcl.llm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.npu4j.axcl.AxBinding;
import org.npu4j.axcl.AxCallCounts;
import org.npu4j.axcl.AxDevice;
import org.npu4j.axcl.AxDeviceBuffer;
import org.npu4j.axcl.AxModel;
import org.npu4j.axcl.AxSession;
import org.npu4j.axcl.ShapeGroup;
import org.npu4j.axcl.TensorInfo;

/**
 * The device side of an ax-llm package: its decoder layers and post model loaded on one device, the
 * device buffers they share, and the two steps of generation (a prefill chunk, a decoded token). Tensor
 * IO as ax-llm's runner has it ({@code input}, {@code indices}, {@code mask}, {@code K_cache},
 * {@code V_cache} in; {@code K_cache_out}, {@code V_cache_out}, {@code output} out; names of prefill
 * groups may carry a {@code _<group>} suffix), sizes derived from layer 0 as the vendor's G2 runner does.
 *
 * <h2>What stays on the device</h2>
 * <ul>
 *   <li>The hidden state: layer {@code l} reads one of two device buffers and writes the other (bound
 *       once at load), the post model reads the last one: nothing crosses PCIe between layers.</li>
 *   <li>One {@code indices} and one {@code mask} buffer per step kind, bound to every layer: uploaded
 *       once per step. The decode mask is updated in place: a step writes only the columns that changed
 *       (2 bytes per decoded token).</li>
 *   <li>One K and one V cache buffer {@code [C, kv]} per layer, bound to every shape group of the layer
 *       at offset 0. New rows reach it by a device-to-device copy from the layer's {@code K_cache_out}
 *       ({@link KvStrategy#COPY}) or, when decoding, by binding {@code K_cache_out} at the row's offset
 *       ({@link KvStrategy#BIND}).</li>
 * </ul>
 * Per decoded token: L + 1 executes; H2D of the embedding row, the position and the mask column;
 * 2 L device-to-device copies (COPY) or 2 L host-only binds (BIND); D2H of the logits.
 *
 * <h2>Qwen-VL positions and deepstack</h2>
 * Layers whose prefill {@code indices} hold three rows ({@code [3, P]}, or any shape of 3 · P values:
 * temporal, height and width ids, one row after the other) take Qwen-VL's multimodal RoPE ids
 * ({@link MropePositions}, computed from the image spans of {@link Rows}); the decode group's
 * {@code indices} hold one id (or three equal ones), the text position, which after an image is no longer
 * the cache row (it continues from the largest id so far, as HF's {@code rope_deltas}). Qwen3-VL's
 * deepstack features ({@link Rows#deep()}) are added to the image tokens' hidden state after layers
 * 0 .. n − 1 (feature k after layer k, as HF transformers' Qwen3-VL text model does): per prefill chunk
 * that holds image tokens, one D2H and one H2D of the chunk's hidden state per deepstack layer, the
 * addition in fp32 on the host, rounded to bf16 (nearest, ties to even). Image tokens that would be
 * prefilled through the decode group (a history past every prefill group) are refused for such packages
 * before anything runs: the decode group has one position and no deepstack step.
 *
 * <p>Not thread-safe: {@link AxLlmModel} calls it under its run lock.
 */
final class AxLlmEngine implements AutoCloseable {
    /** How new K/V rows reach the cache in decode. */
    enum KvStrategy {
        /** Device-to-device copy of {@code K_cache_out}/{@code V_cache_out} into the cache (ax-llm's current way; the default). */
        COPY,
        /** {@code K_cache_out}/{@code V_cache_out} bound at the cache row of the position (ax-llm's early zero-copy way). */
        BIND
    }

    static final short MASKED = (short) 0xC780; // bf16 -65536: ax-llm's mask value for "do not attend"
    private static final String[] IN = {"input", "indices", "mask", "K_cache", "V_cache"};
    private static final String[] OUT = {"K_cache_out", "V_cache_out", "output"};
    private static final int T_INPUT = 0;
    private static final int T_INDICES = 1;
    private static final int T_MASK = 2;
    private static final int T_K = 3;
    private static final int T_V = 4;
    private static final int T_KOUT = 0;
    private static final int T_VOUT = 1;
    private static final int T_OUTPUT = 2;

    private final AxDevice device;
    private final AxLlmPackage pkg;
    private final KvStrategy kvStrategy;
    private final List<AutoCloseable> owned = new ArrayList<>();
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

    private final AxBinding[][] bind; // [layer][group]
    private final int[][] in; // [group][T_*] engine index
    private final int[][] out;
    private final AxBinding post;
    private final AxDeviceBuffer[] k;
    private final AxDeviceBuffer[] v;
    private final AxDeviceBuffer[] hidDec = new AxDeviceBuffer[2];
    private final AxDeviceBuffer[] hidPf = new AxDeviceBuffer[2];
    private final AxDeviceBuffer idxDec;
    private final AxDeviceBuffer maskDec;
    private final AxDeviceBuffer idxPf;
    private final AxDeviceBuffer maskPf;
    private final AxDeviceBuffer kOut;
    private final AxDeviceBuffer vOut;

    private final MemorySegment embeddings;
    private final MemorySegment hostIdx;
    private final MemorySegment hostIdx4;
    private final MemorySegment hostMask;
    private final MemorySegment hostEmb;
    private final MemorySegment zeros;
    /** The first row of {@link #hostEmb}: a decoded token's embedding row, staged in pinned memory. */
    private final MemorySegment hostEmbRow;
    /** One bf16 0 (attend): the decode mask's new column of a step that follows the previous one. */
    private final MemorySegment zeroColumn;
    private final MemorySegment masked;
    private final long rowBytes;
    private final long kvRow;
    /**
     * {@code ropeNext[r]}: the position of a text token at cache row {@code r}, one more than the largest
     * position of rows {@code [0, r)} ({@code r} itself without images).
     */
    private final int[] ropeNext;

    /** Tokens in the KV cache (the next token's position). */
    private int pos;
    /** Leading columns of the device's decode mask that are 0 (attend). */
    private int maskZeroCols;
    private boolean postOnDecode;

    AxLlmEngine(AxDevice device, AxLlmPackage pkg, KvStrategy kvStrategy) {
        this.device = device;
        this.pkg = pkg;
        this.kvStrategy = kvStrategy;
        this.layerCount = pkg.layers().size();
        this.hidden = pkg.hidden();
        this.vocab = pkg.vocab();
        try {
            List<AxModel> models = new ArrayList<>(layerCount);
            AxModel l0 = load(pkg.layers().get(0));
            models.add(l0);
            groups = l0.shapeGroups().size();
            if (groups < 2) {
                throw new IllegalArgumentException(pkg.layers().get(0) + ": " + groups + " shape group, expected a decode"
                        + " group and at least one prefill group (an ax-llm layer built with prefill)");
            }
            in = new int[groups][IN.length];
            out = new int[groups][OUT.length];
            for (int g = 0; g < groups; g++) {
                ShapeGroup sg = l0.shapeGroup(g);
                for (int t = 0; t < IN.length; t++) {
                    in[g][t] = find(sg.inputs(), IN[t], g, pkg.layers().get(0), "input");
                }
                for (int t = 0; t < OUT.length; t++) {
                    out[g][t] = find(sg.outputs(), OUT[t], g, pkg.layers().get(0), "output");
                }
            }
            // Sizes from layer 0, as ax-llm's G2 runner (dtypes are 2 bytes but indices uint32).
            ShapeGroup g0 = l0.shapeGroup(0);
            contextLength = (int) (g0.inputs().get(in[0][T_MASK]).byteSize() / 2 - 1);
            kv = (int) (g0.outputs().get(out[0][T_KOUT]).byteSize() / 2);
            int kvRows = (int) (g0.inputs().get(in[0][T_K]).byteSize() / 2 / kv);
            TensorInfo pfIdx = l0.shapeGroup(1).inputs().get(in[1][T_INDICES]);
            int[] pfDims = pfIdx.dims();
            long idxRows = pfDims.length == 0 ? 1 : pfIdx.elementCount() / Math.max(1, pfDims[pfDims.length - 1]);
            if (idxRows != 1 && idxRows != 3) {
                throw new IllegalArgumentException(pkg.layers().get(0) + ": prefill indices " + pfIdx + " hold " + idxRows
                        + " rows of positions: expected [1, P] (one position per token) or [3, P] (Qwen-VL's mRoPE,"
                        + " multimodal RoPE: temporal, height and width rows)");
            }
            mrope = idxRows == 3;
            chunk = (int) (pfIdx.elementCount() / idxRows);
            TensorInfo decIdx = g0.inputs().get(in[0][T_INDICES]);
            decodeIdxRows = (int) decIdx.elementCount();
            if (decodeIdxRows != 1 && !(mrope && decodeIdxRows == 3)) {
                throw new IllegalArgumentException(pkg.layers().get(0) + ": decode indices " + decIdx + " hold "
                        + decodeIdxRows + " values: expected 1 (the token's position)" + (mrope ? " or 3" : ""));
            }
            for (int g = 1; g < groups; g++) {
                TensorInfo gi = l0.shapeGroup(g).inputs().get(in[g][T_INDICES]);
                if (gi.elementCount() != idxRows * chunk) {
                    throw new IllegalArgumentException(pkg.layers().get(0) + ": prefill group " + g + " indices " + gi
                            + " hold " + gi.elementCount() + " values, group 1's " + idxRows * chunk
                            + " (every prefill group has the same chunk)");
                }
            }
            caps = new int[groups];
            int maxCols = 0;
            for (int g = 1; g < groups; g++) {
                TensorInfo m = l0.shapeGroup(g).inputs().get(in[g][T_MASK]);
                int cols = (int) (m.elementCount() / chunk);
                caps[g] = cols - chunk;
                maxCols = Math.max(maxCols, cols);
            }
            long inBytes = g0.inputs().get(in[0][T_INPUT]).byteSize();
            if (inBytes != 2L * hidden) {
                throw new IllegalArgumentException(pkg.layers().get(0) + ": decode input " + g0.inputs().get(in[0][T_INPUT])
                        + " holds " + inBytes / 2 + " bf16 values, but tokens_embed_size (hidden) is " + hidden);
            }
            if (kvRows < contextLength) {
                throw new IllegalArgumentException(pkg.layers().get(0) + ": K_cache has " + kvRows + " rows for a decode mask"
                        + " of " + (contextLength + 1) + " columns (expected C rows, C + 1 columns)");
            }
            for (int i = 1; i < layerCount; i++) {
                AxModel m = load(pkg.layers().get(i));
                checkSameShapes(l0, m, pkg.layers().get(0), pkg.layers().get(i));
                models.add(m);
            }
            AxModel postModel = load(pkg.post());
            TensorInfo pin = postModel.inputs().get(0);
            TensorInfo pout = postModel.outputs().get(0);
            if (pin.byteSize() != 2L * hidden || pout.byteSize() < 2L * vocab) {
                throw new IllegalArgumentException(pkg.post() + ": input " + pin + " and output " + pout
                        + " disagree with tokens_embed_size " + hidden + " and tokens_embed_num " + vocab
                        + " (expected " + hidden + " and at least " + vocab + " bf16 values)");
            }

            rowBytes = 2L * hidden;
            kvRow = 2L * kv;
            k = new AxDeviceBuffer[layerCount];
            v = new AxDeviceBuffer[layerCount];
            for (int i = 0; i < layerCount; i++) {
                k[i] = buffer(kvRows * kvRow, "K cache of layer " + i);
                v[i] = buffer(kvRows * kvRow, "V cache of layer " + i);
            }
            for (int i = 0; i < 2; i++) {
                hidDec[i] = buffer(rowBytes, "decode hidden state " + i);
                hidPf[i] = buffer(chunk * rowBytes, "prefill hidden state " + i);
            }
            idxDec = buffer(4L * decodeIdxRows, "decode indices");
            maskDec = buffer(2L * (contextLength + 1), "decode mask");
            idxPf = buffer(4L * idxRows * chunk, "prefill indices");
            maskPf = buffer(2L * chunk * maxCols, "prefill mask");
            kOut = buffer(chunk * kvRow, "K_cache_out");
            vOut = buffer(chunk * kvRow, "V_cache_out");

            bind = new AxBinding[layerCount][groups];
            for (int i = 0; i < layerCount; i++) {
                AxSession s = models.get(i).newSession();
                for (int g = 0; g < groups; g++) {
                    AxBinding b = s.bindExternal(g);
                    AxDeviceBuffer[] hid = g == 0 ? hidDec : hidPf;
                    b.setInput(in[g][T_INPUT], hid[i % 2], 0);
                    b.setOutput(out[g][T_OUTPUT], hid[(i + 1) % 2], 0);
                    b.setInput(in[g][T_INDICES], g == 0 ? idxDec : idxPf, 0);
                    b.setInput(in[g][T_MASK], g == 0 ? maskDec : maskPf, 0);
                    b.setInput(in[g][T_K], k[i], 0);
                    b.setInput(in[g][T_V], v[i], 0);
                    b.setOutput(out[g][T_KOUT], kOut, 0);
                    b.setOutput(out[g][T_VOUT], vOut, 0);
                    bind[i][g] = b;
                }
            }
            post = postModel.newSession().bind();
            post.setInput(0, hidDec[layerCount % 2], 0);
            postOnDecode = true;

            try (FileChannel ch = FileChannel.open(pkg.embeddings(), StandardOpenOption.READ)) {
                embeddings = ch.map(FileChannel.MapMode.READ_ONLY, 0, (long) vocab * rowBytes, arena);
            }
            hostIdx = arena.allocate(4L * idxRows * chunk, 4);
            hostIdx4 = hostIdx.asSlice(0, 4L * decodeIdxRows);
            ropeNext = new int[contextLength + 1];
            hostMask = arena.allocate(2L * chunk * maxCols, 2);
            hostEmb = arena.allocate(chunk * rowBytes, 2);
            zeros = arena.allocate(2L * (contextLength + 1), 2);
            hostEmbRow = hostEmb.asSlice(0, rowBytes);
            zeroColumn = zeros.asSlice(0, 2);
            masked = arena.allocate(2L * (contextLength + 1), 2);
            masked.fill((byte) 0);
            for (long i = 0; i < contextLength + 1; i++) {
                masked.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, MASKED);
            }
            // decode mask: everything masked but the last column (the token itself)
            maskDec.write(0, masked);
            maskDec.write(2L * contextLength, zeros.asSlice(0, 2));
            maskZeroCols = 0;
        } catch (IOException e) {
            closeQuietly();
            throw new IllegalArgumentException(pkg.embeddings() + " (filename_tokens_embed): cannot map (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    private AxModel load(Path file) {
        AxModel m = device.load(file);
        owned.add(m);
        return m;
    }

    private AxDeviceBuffer buffer(long bytes, String name) {
        AxDeviceBuffer b = device.allocate(bytes, name);
        owned.add(b);
        return b;
    }

    /** The engine index of tensor {@code name} (or {@code name_<group>}) in one group. */
    private static int find(List<TensorInfo> ts, String name, int group, Path file, String kind) {
        String suffixed = name + "_" + group;
        for (TensorInfo t : ts) {
            if (t.name().equals(name) || t.name().equals(suffixed)) {
                return t.index();
            }
        }
        throw new IllegalArgumentException(file + ": shape group " + group + " has no " + kind + " " + name + " (or "
                + suffixed + "); it has " + ts.stream().map(TensorInfo::name).toList());
    }

    private static void checkSameShapes(AxModel a, AxModel b, Path fa, Path fb) {
        if (a.shapeGroups().size() != b.shapeGroups().size()) {
            throw new IllegalArgumentException(fb + ": " + b.shapeGroups().size() + " shape groups, but " + fa + " has "
                    + a.shapeGroups().size() + " (every layer of a package has the same groups)");
        }
        for (int g = 0; g < a.shapeGroups().size(); g++) {
            List<TensorInfo> x = new ArrayList<>(a.shapeGroup(g).inputs());
            x.addAll(a.shapeGroup(g).outputs());
            List<TensorInfo> y = new ArrayList<>(b.shapeGroup(g).inputs());
            y.addAll(b.shapeGroup(g).outputs());
            for (int i = 0; i < Math.max(x.size(), y.size()); i++) {
                if (i >= x.size() || i >= y.size() || x.get(i).byteSize() != y.get(i).byteSize()) {
                    throw new IllegalArgumentException(fb + ": shape group " + g + " tensor " + i + " is "
                            + (i < y.size() ? y.get(i) : "missing") + ", but " + fa + " has "
                            + (i < x.size() ? x.get(i) : "none"));
                }
            }
        }
    }

    /** The hidden size H: values per embedding row. */
    int hidden() {
        return hidden;
    }

    /** Tokens in the KV cache. */
    int position() {
        return pos;
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
            prefillChunk(ids, i, m, g, rows, rope);
            steps++;
            i += m;
            if (i == to) {
                post.setInput(0, hidPf[layerCount % 2], (m - 1) * rowBytes);
                postOnDecode = false;
                post.run(0L, 1L);
            }
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

    private void prefillChunk(int[] ids, int from, int m, int g, @Nullable Rows rows, int @Nullable [][] rope) {
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
        for (int r = 0; r < chunk; r++) {
            long base = (long) r * cols;
            for (int c = 0; c < cols; c++) {
                boolean attend = r < m && (c < h || (c >= cap && c <= cap + r));
                hostMask.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, base + c, attend ? 0 : MASKED);
            }
        }
        hidPf[0].write(0, hostEmb);
        idxPf.write(0, hostIdx);
        maskPf.write(0, hostMask.asSlice(0, 2L * chunk * cols));
        int deep = images ? rows.deep().length : 0;
        for (int l = 0; l < layerCount; l++) {
            bind[l][g].execute();
            k[l].copyFrom(h * kvRow, kOut, 0, m * kvRow);
            v[l].copyFrom(h * kvRow, vOut, 0, m * kvRow);
            if (l < deep) {
                addDeepstack(hidPf[(l + 1) % 2], rows, rows.deep()[l], from, m);
            }
        }
        pos = h + m;
    }

    /**
     * Adds a deepstack feature to the image tokens of the chunk's hidden state in {@code hid} (the output of
     * the layer just run): down, bf16 + bf16 in fp32, rounded to nearest even bf16, up.
     */
    private void addDeepstack(AxDeviceBuffer hid, Rows rows, MemorySegment feature, int from, int m) {
        MemorySegment host = hostEmb.asSlice(0, m * rowBytes);
        hid.read(0, host);
        for (int j = 0; j < m; j++) {
            int r = rows.row(from + j);
            if (r < 0) {
                continue;
            }
            for (int e = 0; e < hidden; e++) {
                long at = j * rowBytes + 2L * e;
                float a = bf16(host.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
                float b = bf16(feature.get(ValueLayout.JAVA_SHORT_UNALIGNED, r * rowBytes + 2L * e));
                host.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, toBf16(a + b));
            }
        }
        hid.write(0, host);
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
        hidDec[0].write(0, hostEmbRow);
        for (int row = 0; row < decodeIdxRows; row++) {
            hostIdx4.setAtIndex(ValueLayout.JAVA_INT, row, position);
        }
        idxDec.write(0, hostIdx4);
        ropeNext[p + 1] = Math.max(ropeNext[p], position + 1);
        if (maskZeroCols == p - 1) {
            maskDec.write(2L * maskZeroCols, zeroColumn); // the usual step: one more column attends
        } else if (maskZeroCols < p) {
            maskDec.write(2L * maskZeroCols, zeros.asSlice(0, 2L * (p - maskZeroCols)));
        } else if (maskZeroCols > p) {
            maskDec.write(2L * p, masked.asSlice(0, 2L * (maskZeroCols - p)));
        }
        maskZeroCols = p;
        long at = p * kvRow;
        for (int l = 0; l < layerCount; l++) {
            AxBinding b = bind[l][0];
            if (kvStrategy == KvStrategy.BIND) {
                b.setOutput(out[0][T_KOUT], k[l], at);
                b.setOutput(out[0][T_VOUT], v[l], at);
                b.execute();
            } else {
                b.execute();
                k[l].copyFrom(at, kOut, 0, kvRow);
                v[l].copyFrom(at, vOut, 0, kvRow);
            }
        }
        if (!postOnDecode) {
            post.setInput(0, hidDec[layerCount % 2], 0);
            postOnDecode = true;
        }
        post.run(0L, 1L);
        pos = p + 1;
    }

    /**
     * Copies the row at {@code offset} of {@code src} (the memory-mapped embedding table, or an image's
     * rows) into {@code row}, pinned host memory the H2D copy then reads: no view object per token.
     */
    static void stageRow(MemorySegment src, long offset, MemorySegment row) {
        MemorySegment.copy(src, offset, row, 0, row.byteSize());
    }

    /** The bf16 logits of the last step (the post model's pinned output buffer; at least {@code vocab} values). */
    MemorySegment logits() {
        return post.output(0);
    }

    /** The AXCL calls made on this engine's device so far ({@link AxDevice#callCounts()}). */
    AxCallCounts calls() {
        return device.callCounts();
    }

    KvStrategy kvStrategy() {
        return kvStrategy;
    }

    /** CMM the engines report, bytes (layers and post), plus the KV cache. */
    long memoryBytes() {
        long total = 0;
        for (AutoCloseable c : owned) {
            if (c instanceof AxModel m) {
                total += m.usage().cmmBytes();
            } else if (c instanceof AxDeviceBuffer b) {
                total += b.byteSize();
            }
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

    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        owned.clear();
        if (arena.scope().isAlive()) {
            arena.close();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
