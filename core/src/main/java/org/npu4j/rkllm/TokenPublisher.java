package org.npu4j.rkllm;

import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.npu4j.llm.Token;

/**
 * One subscription of {@link RkllmModel#stream}: runs the request on a virtual thread and signals its
 * tokens to the subscriber on the runtime's thread, honouring demand by making the runtime's thread
 * wait (Reactive Streams rules: serial signals, {@code request(n <= 0)} is an error, nothing after
 * cancel or a terminal signal).
 */
final class TokenPublisher implements Flow.Subscription, GenerationListener {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final RkllmModel model;
    private final Flow.Subscriber<? super Token> subscriber;
    private final CancelToken token = new CancelToken();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition demandOrCancel = lock.newCondition();
    private long demand;
    private volatile boolean cancelled;
    private volatile boolean terminated;

    private TokenPublisher(RkllmModel model, Flow.Subscriber<? super Token> subscriber) {
        this.model = model;
        this.subscriber = subscriber;
    }

    static void subscribe(RkllmModel model, GenerationRequest request, Flow.Subscriber<? super Token> subscriber) {
        subscribe(model, request, subscriber, l -> l);
    }

    /** As above, the publisher's listener seen through {@code wrap} (stop sequences of the LLM API). */
    static void subscribe(RkllmModel model, GenerationRequest request, Flow.Subscriber<? super Token> subscriber,
            UnaryOperator<GenerationListener> wrap) {
        Objects.requireNonNull(subscriber, "subscriber");
        TokenPublisher p = new TokenPublisher(model, subscriber);
        GenerationListener listener = wrap.apply(p);
        subscriber.onSubscribe(p);
        Thread.ofVirtual().name("npu4j-rkllm-stream-" + THREADS.incrementAndGet()).start(() -> p.run(request, listener));
    }

    private void run(GenerationRequest request, GenerationListener listener) {
        Throwable error = null;
        try {
            if (!cancelled) {
                model.generate(request, listener, token);
            }
        } catch (Throwable t) {
            error = t;
        }
        if (cancelled || terminated) {
            return;
        }
        terminated = true;
        if (error != null) {
            subscriber.onError(error);
        } else {
            subscriber.onComplete();
        }
    }

    @Override
    public void onToken(String text, int tokenId) {
        lock.lock();
        try {
            // Wait for demand; also wake when the run is stopped from elsewhere (abort, close), which
            // otherwise would wait for this thread forever.
            while (demand == 0 && !cancelled && !token.runStopped()) {
                try {
                    demandOrCancel.await(20, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (cancelled || demand == 0) {
                return; // cancelled, or the run stops: this token is not delivered
            }
            if (demand != Long.MAX_VALUE) {
                demand--;
            }
        } finally {
            lock.unlock();
        }
        subscriber.onNext(new Token(text, tokenId));
    }

    @Override
    public void request(long n) {
        if (n <= 0) {
            IllegalArgumentException e = new IllegalArgumentException(
                    "Subscription.request(" + n + "): accepted n > 0 (Reactive Streams rule 3.9)");
            cancelRun();
            if (!terminated) {
                terminated = true;
                subscriber.onError(e);
            }
            return;
        }
        lock.lock();
        try {
            long d = demand + n;
            demand = d < 0 ? Long.MAX_VALUE : d;
            demandOrCancel.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void cancel() {
        cancelRun();
    }

    private void cancelRun() {
        lock.lock();
        try {
            cancelled = true;
            demandOrCancel.signalAll();
        } finally {
            lock.unlock();
        }
        token.cancel(model);
    }
}
