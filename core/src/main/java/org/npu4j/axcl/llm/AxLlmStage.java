package org.npu4j.axcl.llm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.npu4j.axcl.AxBinding;
import org.npu4j.axcl.AxDevice;
import org.npu4j.axcl.AxDeviceBuffer;
import org.npu4j.axcl.AxModel;
import org.npu4j.axcl.AxSession;
import org.npu4j.axcl.ShapeGroup;
import org.npu4j.axcl.TensorInfo;

/**
 * One device's part of an ax-llm package ({@link AxLlmEngine}): a contiguous block of decoder layers
 * {@code [first, end)} loaded on one AX650N, the device buffers they share, and, on the last block,
 * the post model. Tensor IO as ax-llm's runner has it ({@code input}, {@code indices}, {@code mask},
 * {@code K_cache}, {@code V_cache} in; {@code K_cache_out}, {@code V_cache_out}, {@code output} out;
 * names of prefill groups may carry a {@code _<group>} suffix), sizes derived from the block's first
 * layer as the vendor's G2 runner derives them from layer 0, and every layer checked against layer 0.
 *
 * <h2>What stays on the device</h2>
 * <ul>
 *   <li>The hidden state: layer {@code l} reads one of two device buffers and writes the other (bound
 *       once at load); the post model reads the last one. It leaves the device only at the end of a
 *       block that is not the last ({@link #decode}, {@link #prefillChunk}: {@code hiddenOut}).</li>
 *   <li>One {@code indices} and one {@code mask} buffer per step kind, bound to every layer of the
 *       block: uploaded once per step and block. The decode mask is updated in place: a step writes only
 *       the columns that changed (2 bytes per decoded token).</li>
 *   <li>One K and one V cache buffer {@code [C, kv]} per layer of the block, bound to every shape group
 *       of the layer at offset 0: the cache of a layer lives on the card that runs the layer. New rows
 *       reach it by a device-to-device copy from the layer's {@code K_cache_out}
 *       ({@link AxLlmEngine.KvStrategy#COPY}) or, when decoding, by binding {@code K_cache_out} at the row's
 *       offset ({@link AxLlmEngine.KvStrategy#BIND}).</li>
 * </ul>
 *
 * <p>Not thread-safe: {@link AxLlmEngine} calls it from the device's own thread (or the model's worker
 * when the package runs on one device).
 */
final class AxLlmStage implements AutoCloseable {
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
    private final AxLlmEngine.KvStrategy kvStrategy;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private final Arena arena = Arena.ofShared();

    /** The package's layers this block runs, {@code [first, end)}. */
    final int first;
    final int end;
    /** Layers of this block. */
    private final int count;
    /** Context: the decode mask has C + 1 columns, the cache C rows. */
    final int contextLength;
    final int kv;
    final int chunk;
    /** History capacity of each prefill group, index = group (caps[0] unused). */
    final int[] caps;
    /** True if the prefill {@code indices} hold three rows of positions (Qwen-VL mRoPE). */
    final boolean mrope;
    /** Positions per token in the decode {@code indices}: 1, or 3 (all equal: a text token). */
    final int decodeIdxRows;
    private final int hidden;
    final int groups;
    /** Columns of the widest prefill mask. */
    final int maxCols;
    /** The block's first layer, against which the next blocks' layers are checked. */
    private final AxModel firstModel;

    private final AxBinding[][] bind; // [layer - first][group]
    private final int[][] in; // [group][T_*] engine index
    private final int[][] out;
    private final @Nullable AxBinding post;
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
    private final MemorySegment zeros;
    /** One bf16 0 (attend): the decode mask's new column of a step that follows the previous one. */
    private final MemorySegment zeroColumn;
    private final MemorySegment masked;
    private final long rowBytes;
    private final long kvRow;

    /** Leading columns of this device's decode mask that are 0 (attend). */
    private int maskZeroCols;
    private boolean postOnDecode;

    /**
     * Loads layers {@code [first, end)} of {@code pkg} on {@code device}, and the post model if
     * {@code withPost}. On failure everything loaded so far is released.
     *
     * @param reference the first block (layer 0), whose shapes every later block's layers must have;
     *                  null for the first block itself
     * @throws IllegalArgumentException naming the file when the tensors disagree with the package or with
     *                                  layer 0
     */
    AxLlmStage(AxDevice device, AxLlmPackage pkg, AxLlmEngine.KvStrategy kvStrategy, int first, int end,
            boolean withPost, @Nullable AxLlmStage reference) {
        this.device = device;
        this.kvStrategy = kvStrategy;
        this.first = first;
        this.end = end;
        this.count = end - first;
        this.hidden = pkg.hidden();
        Path f0 = pkg.layers().get(first);
        try {
            List<AxModel> models = new ArrayList<>(count);
            AxModel l0 = load(f0);
            models.add(l0);
            firstModel = l0;
            if (reference != null) {
                checkSameShapes(reference.firstModel, l0, pkg.layers().get(0), f0);
            }
            groups = l0.shapeGroups().size();
            if (groups < 2) {
                throw new IllegalArgumentException(f0 + ": " + groups + " shape group, expected a decode"
                        + " group and at least one prefill group (an ax-llm layer built with prefill)");
            }
            in = new int[groups][IN.length];
            out = new int[groups][OUT.length];
            for (int g = 0; g < groups; g++) {
                ShapeGroup sg = l0.shapeGroup(g);
                for (int t = 0; t < IN.length; t++) {
                    in[g][t] = find(sg.inputs(), IN[t], g, f0, "input");
                }
                for (int t = 0; t < OUT.length; t++) {
                    out[g][t] = find(sg.outputs(), OUT[t], g, f0, "output");
                }
            }
            // Sizes from the first layer, as ax-llm's G2 runner (dtypes are 2 bytes but indices uint32).
            ShapeGroup g0 = l0.shapeGroup(0);
            contextLength = (int) (g0.inputs().get(in[0][T_MASK]).byteSize() / 2 - 1);
            kv = (int) (g0.outputs().get(out[0][T_KOUT]).byteSize() / 2);
            int kvRows = (int) (g0.inputs().get(in[0][T_K]).byteSize() / 2 / kv);
            TensorInfo pfIdx = l0.shapeGroup(1).inputs().get(in[1][T_INDICES]);
            int[] pfDims = pfIdx.dims();
            long idxRows = pfDims.length == 0 ? 1 : pfIdx.elementCount() / Math.max(1, pfDims[pfDims.length - 1]);
            if (idxRows != 1 && idxRows != 3) {
                throw new IllegalArgumentException(f0 + ": prefill indices " + pfIdx + " hold " + idxRows
                        + " rows of positions: expected [1, P] (one position per token) or [3, P] (Qwen-VL's mRoPE,"
                        + " multimodal RoPE: temporal, height and width rows)");
            }
            mrope = idxRows == 3;
            chunk = (int) (pfIdx.elementCount() / idxRows);
            TensorInfo decIdx = g0.inputs().get(in[0][T_INDICES]);
            decodeIdxRows = (int) decIdx.elementCount();
            if (decodeIdxRows != 1 && !(mrope && decodeIdxRows == 3)) {
                throw new IllegalArgumentException(f0 + ": decode indices " + decIdx + " hold "
                        + decodeIdxRows + " values: expected 1 (the token's position)" + (mrope ? " or 3" : ""));
            }
            for (int g = 1; g < groups; g++) {
                TensorInfo gi = l0.shapeGroup(g).inputs().get(in[g][T_INDICES]);
                if (gi.elementCount() != idxRows * chunk) {
                    throw new IllegalArgumentException(f0 + ": prefill group " + g + " indices " + gi
                            + " hold " + gi.elementCount() + " values, group 1's " + idxRows * chunk
                            + " (every prefill group has the same chunk)");
                }
            }
            caps = new int[groups];
            int widest = 0;
            for (int g = 1; g < groups; g++) {
                TensorInfo m = l0.shapeGroup(g).inputs().get(in[g][T_MASK]);
                int cols = (int) (m.elementCount() / chunk);
                caps[g] = cols - chunk;
                widest = Math.max(widest, cols);
            }
            maxCols = widest;
            long inBytes = g0.inputs().get(in[0][T_INPUT]).byteSize();
            if (inBytes != 2L * hidden) {
                throw new IllegalArgumentException(f0 + ": decode input " + g0.inputs().get(in[0][T_INPUT])
                        + " holds " + inBytes / 2 + " bf16 values, but tokens_embed_size (hidden) is " + hidden);
            }
            if (kvRows < contextLength) {
                throw new IllegalArgumentException(f0 + ": K_cache has " + kvRows + " rows for a decode mask"
                        + " of " + (contextLength + 1) + " columns (expected C rows, C + 1 columns)");
            }
            for (int i = first + 1; i < end; i++) {
                AxModel m = load(pkg.layers().get(i));
                checkSameShapes(reference != null ? reference.firstModel : l0, m, pkg.layers().get(0), pkg.layers().get(i));
                models.add(m);
            }
            AxModel postModel = null;
            if (withPost) {
                postModel = load(pkg.post());
                TensorInfo pin = postModel.inputs().get(0);
                TensorInfo pout = postModel.outputs().get(0);
                if (pin.byteSize() != 2L * hidden || pout.byteSize() < 2L * pkg.vocab()) {
                    throw new IllegalArgumentException(pkg.post() + ": input " + pin + " and output " + pout
                            + " disagree with tokens_embed_size " + hidden + " and tokens_embed_num " + pkg.vocab()
                            + " (expected " + hidden + " and at least " + pkg.vocab() + " bf16 values)");
                }
            }

            rowBytes = 2L * hidden;
            kvRow = 2L * kv;
            k = new AxDeviceBuffer[count];
            v = new AxDeviceBuffer[count];
            for (int i = 0; i < count; i++) {
                k[i] = buffer(kvRows * kvRow, "K cache of layer " + (first + i));
                v[i] = buffer(kvRows * kvRow, "V cache of layer " + (first + i));
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

            bind = new AxBinding[count][groups];
            for (int i = 0; i < count; i++) {
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
            if (postModel != null) {
                post = postModel.newSession().bind();
                post.setInput(0, hidDec[count % 2], 0);
            } else {
                post = null;
            }
            postOnDecode = true;

            zeros = arena.allocate(2L * (contextLength + 1), 2);
            zeroColumn = zeros.asSlice(0, 2);
            masked = arena.allocate(2L * (contextLength + 1), 2);
            for (long i = 0; i < contextLength + 1; i++) {
                masked.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, MASKED);
            }
            // decode mask: everything masked but the last column (the token itself)
            maskDec.write(0, masked);
            maskDec.write(2L * contextLength, zeroColumn);
            maskZeroCols = 0;
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

    /** The device this block runs on. */
    AxDevice device() {
        return device;
    }

    boolean hasPost() {
        return post != null;
    }

    /**
     * One prefill chunk through this block's layers with shape group {@code g}: uploads the block's input
     * rows, the positions and the mask, runs every layer and copies the chunk's {@code m} K/V rows into
     * the caches at row {@code h}. On the last block, {@code runPost} runs the post model on row
     * {@code m − 1} (the logits of the chunk's last token); on another block, the {@code m} output rows
     * go down to {@code hiddenOut} (the next card reads them from there: AXCL has no copy between cards).
     *
     * @param input     bf16 rows of the hidden size: {@code m} rows, or P rows zero-padded (the first block)
     * @param indices   P uint32 positions
     * @param mask      P rows of the group's mask columns, bf16
     * @param hiddenOut host memory for {@code m} rows, or null on the last block
     * @param deep      the image rows of the chunk when it holds image tokens and the package has deepstack
     *                  features ({@link AxLlmEngine.Rows#deep()}: feature k is added after package layer k),
     *                  else null
     * @param from      the prompt position of the chunk's first token (for {@code deep})
     * @param scratch   host memory for {@code m} rows (for {@code deep})
     */
    void prefillChunk(MemorySegment input, MemorySegment indices, MemorySegment mask, int h, int m, int g,
            boolean runPost, @Nullable MemorySegment hiddenOut, AxLlmEngine.@Nullable Rows deep, int from,
            MemorySegment scratch) {
        hidPf[0].write(0, input);
        idxPf.write(0, indices);
        maskPf.write(0, mask);
        for (int l = 0; l < count; l++) {
            bind[l][g].execute();
            k[l].copyFrom(h * kvRow, kOut, 0, m * kvRow);
            v[l].copyFrom(h * kvRow, vOut, 0, m * kvRow);
            if (deep != null && first + l < deep.deep().length) {
                addDeepstack(hidPf[(l + 1) % 2], deep, deep.deep()[first + l], from, m, scratch);
            }
        }
        AxDeviceBuffer last = hidPf[count % 2];
        if (hiddenOut != null) {
            last.read(0, hiddenOut.asSlice(0, m * rowBytes));
        }
        if (runPost && post != null) {
            post.setInput(0, last, (m - 1) * rowBytes);
            postOnDecode = false;
            post.run(0L, 1L);
        }
    }

    /**
     * Adds a deepstack feature to the image tokens of the chunk's hidden state in {@code hid} (the output of
     * the layer just run): down, bf16 + bf16 in fp32, rounded to nearest even bf16, up.
     */
    private void addDeepstack(AxDeviceBuffer hid, AxLlmEngine.Rows rows, MemorySegment feature, int from, int m,
            MemorySegment scratch) {
        MemorySegment host = scratch.asSlice(0, m * rowBytes);
        hid.read(0, host);
        for (int j = 0; j < m; j++) {
            int r = rows.row(from + j);
            if (r < 0) {
                continue;
            }
            for (int e = 0; e < hidden; e++) {
                long at = j * rowBytes + 2L * e;
                float a = AxLlmEngine.bf16(host.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
                float b = AxLlmEngine.bf16(feature.get(ValueLayout.JAVA_SHORT_UNALIGNED, r * rowBytes + 2L * e));
                host.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, AxLlmEngine.toBf16(a + b));
            }
        }
        hid.write(0, host);
    }

    /**
     * One decoded token at position {@code p} through this block: the input row up, the position, the
     * mask columns that changed, every layer (K/V rows into the caches), then the post model and its
     * logits down (last block) or the output row down to {@code hiddenOut}.
     *
     * @param row       one bf16 row of the hidden size, in host memory
     * @param position  the token's rotary position as uint32 (one, or three equal ones for mRoPE layers), in
     *                  host memory; {@code p} is its cache row
     * @param hiddenOut host memory for one row, or null on the last block
     */
    void decode(MemorySegment row, MemorySegment position, int p, @Nullable MemorySegment hiddenOut) {
        hidDec[0].write(0, row);
        idxDec.write(0, position);
        if (maskZeroCols == p - 1) {
            maskDec.write(2L * maskZeroCols, zeroColumn); // the usual step: one more column attends
        } else if (maskZeroCols < p) {
            maskDec.write(2L * maskZeroCols, zeros.asSlice(0, 2L * (p - maskZeroCols)));
        } else if (maskZeroCols > p) {
            maskDec.write(2L * p, masked.asSlice(0, 2L * (maskZeroCols - p)));
        }
        maskZeroCols = p;
        long at = p * kvRow;
        for (int l = 0; l < count; l++) {
            AxBinding b = bind[l][0];
            if (kvStrategy == AxLlmEngine.KvStrategy.BIND) {
                b.setOutput(out[0][T_KOUT], k[l], at);
                b.setOutput(out[0][T_VOUT], v[l], at);
                b.execute();
            } else {
                b.execute();
                k[l].copyFrom(at, kOut, 0, kvRow);
                v[l].copyFrom(at, vOut, 0, kvRow);
            }
        }
        if (hiddenOut != null) {
            hidDec[count % 2].read(0, hiddenOut.asSlice(0, rowBytes));
        }
        if (post != null) {
            if (!postOnDecode) {
                post.setInput(0, hidDec[count % 2], 0);
                postOnDecode = true;
            }
            post.run(0L, 1L);
        }
    }

    /** The bf16 logits of the last step (the post model's pinned output buffer); the last block only. */
    MemorySegment logits() {
        if (post == null) {
            throw new IllegalStateException("layers " + first + ".." + (end - 1) + " on " + device + " have no post model");
        }
        return post.output(0);
    }

    /** CMM the engines report, bytes (layers and post), plus the block's device buffers. */
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
