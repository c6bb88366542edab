package org.npu4j.rkllm;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.npu4j.Emulator;
import org.npu4j.llm.Outcome;
import org.npu4j.llm.PerfStats;
import org.npu4j.llm.Token;

/**
 * One forked JVM of {@code org.npu4j.StressTest} on one emulated RKLLM ABI: rounds of generation with
 * random stops (abort, future cancel, subscription cancel, close from another thread, abort or close
 * from the listener) at random moments around the run's start, listener exceptions in every callback
 * ({@code onToken}, {@code onHiddenStates}, {@code onLogits}, {@code onFinish}), the emulator's fault
 * variables ({@code NPU4J_EMULATOR_FAIL_RUN}, {@code DIE_AFTER_TOKENS}, {@code STALL_MS}, changed with
 * {@code setenv} between rounds, while no run is active), sync and {@code async(true)} models.
 *
 * <p>Checked per round: the round ends (no hang); a stop takes effect within {@link #STOP_BOUND_MS}
 * and at most one token (the callback in flight) comes after it; the outcome is one the plan allows
 * (a listener's exception reaches the caller, a fault gives {@link RkllmException}, ABORTED only after a
 * stop...); a finished run with nothing injected answers exactly what the same request answered on a
 * fresh model (a stopped or failed run left the KV cache clean). After the process: every model
 * closed and the emulator owns no heap block.
 *
 * <p>Usage: {@code RkllmStress <1.2|1.3> <seed> <budget ms>}. Prints {@code npu4j-stress ...} lines;
 * exits 0 when every check held, 1 otherwise.
 */
final class RkllmStress {
    /** A stop must have taken effect this long after it was issued (target: 100 ms; room for a loaded CI). */
    static final long STOP_BOUND_MS = 1000;
    static final long ROUND_TIMEOUT_S = 20;
    static final String[] PROMPTS = {"Why is the sky blue?", "Name three rivers.", "Count to five.", "Hello there"};

    enum Stop { NONE, ABORT, CANCEL_FUTURE, CANCEL_SUBSCRIPTION, CLOSE, LISTENER_ABORT, LISTENER_CLOSE }

    enum Throw { NONE, ON_TOKEN, ON_HIDDEN, ON_LOGITS, ON_FINISH }

    enum Fault { NONE, FAIL_RUN, DIE_AFTER_TOKENS, STALL }

    /** The exception a listener throws on purpose. */
    static final class Planned extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Planned(String where) {
            super("planned listener failure in " + where, null, false, false);
        }
    }

    private final RkllmRuntime runtime;
    private final Random rnd;
    private final List<String> violations = new ArrayList<>();
    private final Map<String, String> reference = new HashMap<>();
    private final RkllmModel[] pool = new RkllmModel[2]; // [0] sync, [1] async(true)
    private long maxStopMs;
    private String slowestStop = "none";
    private final Map<Stop, Long> maxStopMsByKind = new java.util.EnumMap<>(Stop.class);
    private int stops;
    private int rounds;
    private final Map<String, Integer> seen = new HashMap<>();

    RkllmStress(RkllmRuntime runtime, long seed) {
        this.runtime = runtime;
        this.rnd = new Random(seed);
    }

    RkllmModel load(boolean async) {
        return RkllmModel.builder(Emulator.model("rkllm", RkllmEmulatorTest.MODEL)).runtime(runtime)
                .maxContextLen(1024).maxNewTokens(16).hiddenSize(RkllmEmulatorTest.HIDDEN).async(async).load();
    }

    public static void main(String[] args) throws Exception {
        RkllmAbi abi = "1.2".equals(args[0]) ? RkllmAbi.V1_2 : RkllmAbi.V1_3;
        long seed = Long.parseLong(args[1]);
        long budgetMs = Long.parseLong(args[2]);
        RkllmRuntime rt = RkllmRuntime.load(RkllmEmulatorTest.library(abi));
        RkllmStress s = new RkllmStress(rt, seed);
        int rc;
        try {
            s.run(budgetMs);
            rc = s.report(abi, seed);
        } catch (Throwable t) {
            System.out.println("npu4j-stress FAILED rkllm " + abi + " seed " + seed + ": " + t);
            t.printStackTrace(System.out);
            rc = 1;
        }
        System.out.flush();
        System.exit(rc);
    }

    void run(long budgetMs) throws Exception {
        pool[0] = load(false);
        pool[1] = load(true);
        for (String p : PROMPTS) {
            reference.put(p, pool[0].generate(p).text());
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMs);
        while (System.nanoTime() < end) {
            round();
            rounds++;
        }
        for (RkllmModel m : pool) {
            m.close();
        }
        long live = NativeEnv.emulatorLiveAllocations();
        if (live != 0) {
            violations.add("after closing every model the emulator still owns " + live + " heap blocks");
        }
    }

    int report(RkllmAbi abi, long seed) {
        System.out.printf("npu4j-stress rkllm %s seed %d: %d rounds, %d stops issued by another thread, max stop"
                + " to end %d ms (bound %d ms; per kind %s; slowest: %s), live_allocations=%d, plans %s%n", abi, seed,
                rounds, stops, maxStopMs, STOP_BOUND_MS, maxStopMsByKind, slowestStop,
                NativeEnv.emulatorLiveAllocations(), seen);
        for (String v : violations) {
            System.out.println("npu4j-stress VIOLATION " + v);
        }
        return violations.isEmpty() ? 0 : 1;
    }

    private <T extends Enum<T>> T pick(T[] values, int... weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int r = rnd.nextInt(total);
        for (int i = 0; i < values.length; i++) {
            r -= weights[i];
            if (r < 0) {
                return values[i];
            }
        }
        throw new AssertionError();
    }

    /** One round's listener: throws, aborts or closes at the planned callback; records token times. */
    final class Listener implements GenerationListener {
        final Throw throwAt;
        final int atToken;
        final Stop stop;
        final RkllmModel model;
        final Planned planned;
        volatile boolean threw;
        final AtomicInteger tokens = new AtomicInteger();
        final AtomicLong lastTokenNanos = new AtomicLong();
        volatile long stopNanos;
        final AtomicInteger tokensAfterStop = new AtomicInteger();

        Listener(Throw throwAt, int atToken, Stop stop, RkllmModel model, String round) {
            this.throwAt = throwAt;
            this.atToken = atToken;
            this.stop = stop;
            this.model = model;
            this.planned = new Planned(round + " " + throwAt);
        }

        @Override
        public void onToken(String text, int tokenId) {
            int n = tokens.incrementAndGet();
            long now = System.nanoTime();
            lastTokenNanos.set(now);
            long s = stopNanos;
            if (s != 0 && now > s) {
                tokensAfterStop.incrementAndGet();
            }
            if (n == atToken) {
                if (stop == Stop.LISTENER_ABORT) {
                    model.abort();
                } else if (stop == Stop.LISTENER_CLOSE) {
                    model.close();
                }
                if (throwAt == Throw.ON_TOKEN) {
                    threw = true;
                    throw planned;
                }
            }
        }

        @Override
        public void onHiddenStates(MemorySegment states, int numTokens, int embdSize) {
            if (throwAt == Throw.ON_HIDDEN) {
                threw = true;
                throw planned;
            }
        }

        @Override
        public void onLogits(MemorySegment logits, int numTokens, int vocabSize) {
            if (throwAt == Throw.ON_LOGITS) {
                threw = true;
                throw planned;
            }
        }

        @Override
        public void onFinish(PerfStats perf) {
            if (throwAt == Throw.ON_FINISH) {
                threw = true;
                throw planned;
            }
        }
    }

    private void round() throws Exception {
        String id = "round " + rounds;
        Stop stop = pick(Stop.values(), 4, 3, 3, 2, 2, 1, 1);
        Throw thr = pick(Throw.values(), 6, 2, 1, 1, 2);
        Fault fault = pick(Fault.values(), 5, 1, 1, 2);
        boolean async = rnd.nextBoolean();
        String prompt = PROMPTS[rnd.nextInt(PROMPTS.length)];
        InferMode mode = thr == Throw.ON_HIDDEN ? InferMode.LAST_HIDDEN_LAYER
                : thr == Throw.ON_LOGITS ? InferMode.LOGITS : InferMode.GENERATE;
        int stallMs = 1200 + rnd.nextInt(800); // longer than STOP_BOUND_MS: a lost stop shows
        int dieAfter = rnd.nextInt(6);
        long delayMicros = switch (rnd.nextInt(3)) {
            case 0 -> 0; // as the run starts
            case 1 -> rnd.nextInt(2000); // while it is being handed to the runtime
            default -> rnd.nextInt(20_000); // during the prefill (stall) or the first tokens
        };
        int atToken = 1 + rnd.nextInt(4);
        seen.merge(stop + "/" + thr + "/" + fault, 1, Integer::sum);
        id += " " + stop + " " + thr + " " + fault + (async ? " async" : "") + " " + mode + " delay " + delayMicros
                + " us";

        // A model closed in this round, or that must fail its first run, is a fresh one.
        boolean fresh = stop == Stop.CLOSE || stop == Stop.LISTENER_CLOSE || fault == Fault.FAIL_RUN;
        switch (fault) {
            case FAIL_RUN -> NativeEnv.set(NativeEnv.FAIL_RUN, "1");
            case DIE_AFTER_TOKENS -> NativeEnv.set(NativeEnv.DIE_AFTER_TOKENS, Integer.toString(dieAfter));
            case STALL -> NativeEnv.set(NativeEnv.STALL_MS, Integer.toString(stallMs));
            case NONE -> { }
        }
        RkllmModel m = fresh ? load(async) : pool[async ? 1 : 0];
        Listener listener = new Listener(thr, atToken, stop, m, id);
        GenerationRequest request = GenerationRequest.builder(Input.prompt(prompt)).mode(mode).build();
        Object result; // a GenerationResult or a Throwable
        long stopNanos = 0;
        long endNanos;
        try {
            switch (stop) {
                case NONE, LISTENER_ABORT, LISTENER_CLOSE -> {
                    result = outcome(m.generateAsync(request, listener));
                    endNanos = System.nanoTime();
                }
                case ABORT -> {
                    CompletableFuture<GenerationResult> f = m.generateAsync(request, listener);
                    RkllmStopTest.pause(delayMicros);
                    while (!f.isDone() && stopNanos == 0) {
                        long t = System.nanoTime();
                        if (m.abort()) {
                            stopNanos = t;
                            listener.stopNanos = System.nanoTime(); // tokens count as late from the return on
                        } else {
                            Thread.onSpinWait(); // not registered yet
                        }
                    }
                    result = outcome(f);
                    endNanos = System.nanoTime();
                }
                case CANCEL_FUTURE -> {
                    CompletableFuture<GenerationResult> f = m.generateAsync(request, listener);
                    RkllmStopTest.pause(delayMicros);
                    long t = System.nanoTime();
                    if (f.cancel(rnd.nextBoolean())) {
                        stopNanos = t;
                        listener.stopNanos = System.nanoTime();
                    } // else the run had already ended (this thread may lose the CPU for milliseconds)
                    m.clearKvCache(true); // waits for the cancelled run to end
                    endNanos = System.nanoTime();
                    result = outcome(f);
                }
                case CANCEL_SUBSCRIPTION -> {
                    CompletableFuture<Flow.Subscription> sub = new CompletableFuture<>();
                    CompletableFuture<Object> done = new CompletableFuture<>();
                    m.stream(request).subscribe(new Flow.Subscriber<Token>() {
                        @Override
                        public void onSubscribe(Flow.Subscription s) {
                            s.request(Long.MAX_VALUE);
                            sub.complete(s);
                        }

                        @Override
                        public void onNext(Token item) {
                            listener.onToken(item.text(), item.tokenId());
                        }

                        @Override
                        public void onError(Throwable e) {
                            done.complete(e);
                        }

                        @Override
                        public void onComplete() {
                            done.complete("complete");
                        }
                    });
                    Flow.Subscription s = sub.get(ROUND_TIMEOUT_S, TimeUnit.SECONDS);
                    RkllmStopTest.pause(delayMicros);
                    stopNanos = System.nanoTime();
                    s.cancel();
                    listener.stopNanos = System.nanoTime();
                    m.clearKvCache(true);
                    endNanos = System.nanoTime();
                    result = done.isDone() ? done.get() : new CancellationException("subscription cancelled");
                }
                case CLOSE -> {
                    CompletableFuture<GenerationResult> f = new CompletableFuture<>();
                    Thread.ofPlatform().name("stress-generate").start(() -> {
                        try {
                            f.complete(m.generate(request, listener));
                        } catch (Throwable t) {
                            f.completeExceptionally(t);
                        }
                    });
                    RkllmStopTest.pause(delayMicros);
                    stopNanos = System.nanoTime();
                    m.close(); // from this thread, while the other one generates; returns when the run ended
                    endNanos = System.nanoTime();
                    result = outcome(f);
                }
                default -> throw new AssertionError(stop);
            }
        } finally {
            for (String v : List.of(NativeEnv.FAIL_RUN, NativeEnv.DIE_AFTER_TOKENS, NativeEnv.STALL_MS)) {
                NativeEnv.unset(v);
            }
        }
        // A stop is measured from its call; tokens count as late once the call returned (before that, this
        // thread may have lost the CPU while the run went on).
        if (stopNanos != 0) {
            stops++;
            long ms = TimeUnit.NANOSECONDS.toMillis(endNanos - stopNanos);
            if (ms > maxStopMs) {
                maxStopMs = ms;
                slowestStop = id;
            }
            maxStopMsByKind.merge(stop, ms, Math::max);
            if (ms > STOP_BOUND_MS) {
                violations.add(id + ": the stop took " + ms + " ms to take effect");
            }
            if (listener.tokensAfterStop.get() > 1) {
                violations.add(id + ": " + listener.tokensAfterStop.get() + " of " + listener.tokens.get()
                        + " tokens after the stop, the last " + TimeUnit.NANOSECONDS.toMicros(
                                listener.lastTokenNanos.get() - stopNanos) + " us after it; the caller got "
                        + describe(result));
            }
        }
        check(id, stop, thr, fault, mode, prompt, listener, result);
        if (fresh) {
            m.close();
            // After a close from the listener the handle goes once the run has ended: a new model now
            // loads beside nothing.
        }
    }

    private static Object outcome(CompletableFuture<GenerationResult> f) throws InterruptedException {
        try {
            return f.get(ROUND_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (CancellationException e) {
            return e;
        } catch (TimeoutException e) {
            throw new IllegalStateException("a run did not end within " + ROUND_TIMEOUT_S + " s (hang)", e);
        }
    }

    private void check(String id, Stop stop, Throw thr, Fault fault, InferMode mode, String prompt, Listener l,
            Object result) {
        boolean stopped = stop != Stop.NONE;
        boolean cancel = stop == Stop.CANCEL_FUTURE || stop == Stop.CANCEL_SUBSCRIPTION;
        boolean closes = stop == Stop.CLOSE || stop == Stop.LISTENER_CLOSE;
        if (l.threw && !cancel && !(result instanceof Planned)) {
            violations.add(id + ": the listener threw, the caller got " + describe(result));
            return;
        }
        switch (result) {
            case Planned p -> {
                if (p != l.planned) {
                    violations.add(id + ": another round's exception: " + p.getMessage());
                }
            }
            case GenerationResult r -> {
                if (r.outcome() == Outcome.ABORTED && !stopped) {
                    violations.add(id + ": ABORTED without a stop");
                }
                if (r.outcome() == Outcome.FINISHED && !stopped && fault == Fault.NONE && mode == InferMode.GENERATE
                        && !r.text().equals(reference.get(prompt))) {
                    violations.add(id + ": answered '" + r.text() + "', a fresh model '" + reference.get(prompt) + "'");
                }
            }
            case RkllmException e -> {
                if (fault != Fault.FAIL_RUN && fault != Fault.DIE_AFTER_TOKENS) {
                    violations.add(id + ": RkllmException without an injected fault: " + e.getMessage());
                }
            }
            case CancellationException e -> {
                if (!cancel) {
                    violations.add(id + ": cancelled without a cancel: " + e);
                }
            }
            case IllegalStateException e -> {
                if (!closes || !e.getMessage().contains("closed")) {
                    violations.add(id + ": " + e);
                }
            }
            case String s -> { } // a subscription completed before the cancel
            case Throwable t -> violations.add(id + ": unexpected " + t);
            default -> violations.add(id + ": unexpected result " + result);
        }
    }

    private static String describe(Object result) {
        return result instanceof GenerationResult r ? "a result " + r.outcome() : String.valueOf(result);
    }

    /** For a single process by hand: the library of an ABI, as the tests find it. */
    static Path library(RkllmAbi abi) {
        return RkllmEmulatorTest.library(abi);
    }
}
