package org.npu4j.yolo;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The emulated RKNN runtime's live counters ({@code npu4j_rknn_emulator.h}), for leak checks. */
final class EmulatorCounters {
    private EmulatorCounters() {}

    /** Live allocations, contexts, tensor memories and output buffers of the emulated RKNN runtime. */
    static Map<String, Long> rknn() {
        org.npu4j.rknn.RknnRuntime.emulator(); // loads the emulator if no test did yet
        MethodHandle h = Linker.nativeLinker().downcallHandle(
                SymbolLookup.loaderLookup().find("npu4j_emulator_rknn_live")
                        .orElseThrow(() -> new AssertionError("npu4j_emulator_rknn_live not found: not the emulator?")),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        Map<String, Long> live = new LinkedHashMap<>();
        for (String kind : List.of("allocations", "contexts", "mems", "outputs")) {
            try (Arena a = Arena.ofConfined()) {
                live.put(kind, (long) h.invokeExact(a.allocateFrom(kind)));
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }
        return live;
    }

    /** Every counter at 0. */
    static Map<String, Long> none() {
        return Map.of("allocations", 0L, "contexts", 0L, "mems", 0L, "outputs", 0L);
    }
}
