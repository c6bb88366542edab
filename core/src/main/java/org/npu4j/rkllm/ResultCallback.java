package org.npu4j.rkllm;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The Java side of a model's {@code LLMResultCallback} (vendor header {@code rkllm.h}): hands each
 * callback to the model's current {@link Run} and never lets a {@link Throwable} reach the runtime. A
 * failure is recorded on the run and answered with "pause" (the ABI's only way to stop from inside the
 * callback); the run's end is signalled last, after everything it records. Called on the runtime's thread.
 */
final class ResultCallback {
    private final RkllmModel model;

    private ResultCallback(RkllmModel model) {
        this.model = model;
    }

    /**
     * The upcall stub of the result callback, one per model. On LP64 platforms (x86_64, aarch64: a
     * pointer argument travels exactly like a 64-bit integer) the two pointer parameters are declared as
     * {@code long}, so that no {@link MemorySegment} is made per callback; the declaration is checked
     * against the generated {@code LLMResultCallback} descriptor. Elsewhere the generated stub is used.
     */
    static MemorySegment stub(RkllmModel model, AbiAdapter abi, Arena arena) {
        ResultCallback cb = new ResultCallback(model);
        FunctionDescriptor generated = abi.resultCallbackDescriptor();
        boolean pointersAsLongs = ValueLayout.ADDRESS.byteSize() == Long.BYTES
                && generated.returnLayout().equals(java.util.Optional.of(ValueLayout.JAVA_INT))
                && generated.argumentLayouts().size() == 3
                && generated.argumentLayouts().get(0) instanceof AddressLayout
                && generated.argumentLayouts().get(1) instanceof AddressLayout
                && generated.argumentLayouts().get(2).equals(ValueLayout.JAVA_INT);
        if (!pointersAsLongs) {
            return abi.resultCallback((result, userdata, state) -> cb.onResult(result.address(), state), arena);
        }
        return Linker.nativeLinker().upcallStub(ON_RESULT.bindTo(cb), RAW_CALLBACK, arena);
    }

    private static final FunctionDescriptor RAW_CALLBACK = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT);
    private static final MethodHandle ON_RESULT;

    static {
        try {
            ON_RESULT = MethodHandles.lookup().findVirtual(ResultCallback.class, "onResult",
                    MethodType.methodType(int.class, long.class, long.class, int.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The result callback's Java side (pointers as addresses). Never throws. */
    private int onResult(long result, long userdata, int state) {
        return onResult(result, state);
    }

    private int onResult(long result, int state) {
        Run run = model.currentRun();
        if (run == null) {
            return Run.CONTINUE; // a callback outside any run of ours: nothing to deliver
        }
        boolean end = state == Run.STATE_FINISH || state == Run.STATE_ERROR;
        try {
            return run.onResult(result, state);
        } catch (Throwable t) {
            try {
                run.fail(t);
                run.pauseReturned = true;
                if (end) {
                    return Run.CONTINUE;
                }
            } catch (Throwable ignored) {
                // nothing more can be done without risking the runtime's thread
            }
            return Run.PAUSE;
        } finally {
            if (end) {
                run.ended(state); // last: a failure of onFinish is recorded before the caller may look
            }
        }
    }
}
