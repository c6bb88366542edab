package org.npu4j.axcl.llm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.npu4j.Emulator;
import org.npu4j.llm.Sampling;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The Java host work of one decoded token of the AX650N runner at Qwen3-0.6B sizes, outside the engine
 * calls and copies: the embedding row copied from the memory-mapped bf16 table (151,936 x 1024) into the
 * pinned staging row the upload reads (as {@code AxLlmEngine.decode} does), the
 * position written for the {@code indices} upload and the decode mask's new column chosen, the next
 * token sampled from 151,936 bf16 logits ({@link Sampler}, the package's {@code post_config.json}:
 * greedy for Qwen3-0.6B, or {@code sampling=top-p}: temperature 0.9 and top-p 0.8, the package's values
 * with their switches on), the stop-id check and detokenizing ({@link Utf8Stream} with the model's piece
 * cache) into the answer's text, as {@code AxLlmModel}'s decode loop does. The logits are 16 buffers
 * shaped like a language model's (a bulk around 0, a few hundred plausible tokens, one to three
 * leaders), taken in turn. The emulated qwen3-0.6b package ({@link Emulator#axllmPackage}) gives the
 * embedding table, tokenizer and post config; no device is touched.
 *
 * <p>Score: ns per token; {@code -prof gc}'s {@code gc.alloc.rate.norm}: bytes per token.
 *
 * <p>In package {@code org.npu4j.axcl.llm} to reach the runner's package-private parts; this
 * module runs on the class path (the shaded jar), where that package is one.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
public class AxLlmHostTokenBenchmark {
    private static final int BUFFERS = 16;

    @Param({"package", "top-p"})
    public String sampling;

    private Arena arena;
    private LlmTokenizer tokenizer;
    private Sampler sampler;
    private MemorySegment embeddings;
    private MemorySegment[] logits;
    private MemorySegment hostIdx4;
    private MemorySegment stagedRow;
    private MemorySegment zeroColumn;
    private String[] pieces;
    private Utf8Stream utf8;
    private final StringBuilder text = new StringBuilder(1 << 16);
    private final int[] generated = new int[4096];
    private long rowBytes;
    private int vocab;
    private int count;
    private int token;
    private int step;

    /** Reads the emulated package, maps its embedding table and makes the logits. */
    @Setup(Level.Trial)
    public void open() throws IOException {
        AxLlmPackage pkg = AxLlmPackage.read(Emulator.axllmPackage("qwen3-0.6b"));
        arena = Arena.ofShared();
        vocab = pkg.vocab();
        rowBytes = 2L * pkg.hidden();
        try (FileChannel ch = FileChannel.open(pkg.embeddings(), StandardOpenOption.READ)) {
            embeddings = ch.map(FileChannel.MapMode.READ_ONLY, 0, vocab * rowBytes, arena);
        }
        tokenizer = LlmTokenizer.open(pkg.tokenizer());
        sampler = new Sampler(vocab);
        PostConfig pc = pkg.postConfig();
        if (sampling.equals("top-p")) {
            pc = new PostConfig(true, pc.temperature(), false, pc.repetitionPenalty(), pc.penaltyWindow(), true,
                    pc.topP(), false, pc.topK());
        }
        sampler.configure(pc, Sampling.DEFAULT.withSeed(1L));
        SplittableRandom r = new SplittableRandom(2);
        logits = new MemorySegment[BUFFERS];
        for (int b = 0; b < BUFFERS; b++) {
            logits[b] = arena.allocate(2L * vocab, 64);
            fill(logits[b], r);
        }
        hostIdx4 = arena.allocate(4, 4);
        stagedRow = arena.allocate(rowBytes, 2);
        zeroColumn = arena.allocate(2, 2);
        pieces = new String[Math.max(vocab, tokenizer.size())];
        utf8 = new Utf8Stream(pieces);
        token = tokenizer.encode("Hello")[0];
    }

    private static void fill(MemorySegment out, SplittableRandom r) {
        int vocab = (int) (out.byteSize() / 2);
        for (int i = 0; i < vocab; i++) {
            double g = Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
            put(out, i, (float) (g * 2.5));
        }
        for (int k = 0; k < 300; k++) {
            put(out, r.nextInt(vocab), 8f + (float) (r.nextDouble() * 8));
        }
        for (int k = 1 + r.nextInt(3); k > 0; k--) {
            put(out, r.nextInt(vocab), 17f + (float) (r.nextDouble() * 3));
        }
    }

    private static void put(MemorySegment out, int i, float v) {
        out.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) >>> 16));
    }

    @TearDown(Level.Trial)
    public void close() {
        tokenizer.close();
        arena.close();
    }

    /** One decoded token's host work. */
    @Benchmark
    public void token(Blackhole bh) {
        // the embedding row staged for the H2D copy, the position for indices, the mask's new column
        AxLlmEngine.stageRow(embeddings, token * rowBytes, stagedRow);
        hostIdx4.set(ValueLayout.JAVA_INT, 0, count);
        bh.consume(zeroColumn);
        // sampling, stop check, detokenizing
        int next = sampler.sample(logits[step++ & (BUFFERS - 1)], generated, count);
        if (!tokenizer.isStop(next)) {
            String piece = utf8.push(next, tokenizer.bytes(next));
            text.append(piece);
            bh.consume(piece);
        }
        generated[count++] = next;
        token = next;
        if (count == generated.length) { // a new answer: the run's arrays and text are reused
            count = 0;
            text.setLength(0);
        }
    }
}
