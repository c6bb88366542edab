package org.npu4j.axcl;

import java.util.concurrent.atomic.LongAdder;

/**
 * The running AXCL call counts of one device ({@link AxCallCounts}): incremented by the API right after
 * each call it issues, successful or not (the runtime saw it either way). Thread-safe; an increment
 * allocates nothing once the adder's cells exist.
 */
final class CallCounter {
    private final LongAdder executes = new LongAdder();
    private final LongAdder h2d = new LongAdder();
    private final LongAdder d2h = new LongAdder();
    private final LongAdder d2d = new LongAdder();
    private final LongAdder other = new LongAdder();
    private final LongAdder binds = new LongAdder();

    void execute() {
        executes.increment();
    }

    /** One copy of {@code kind} ({@link Memory#HOST_TO_DEVICE}, ...). */
    void copy(int kind) {
        if (kind == Memory.HOST_TO_DEVICE) {
            h2d.increment();
        } else if (kind == Memory.DEVICE_TO_HOST) {
            d2h.increment();
        } else if (kind == Memory.DEVICE_TO_DEVICE) {
            d2d.increment();
        } else {
            other.increment();
        }
    }

    void memset() {
        other.increment();
    }

    void bind() {
        binds.increment();
    }

    AxCallCounts snapshot() {
        return new AxCallCounts(executes.sum(), h2d.sum(), d2h.sum(), d2d.sum(), other.sum(), binds.sum());
    }
}
