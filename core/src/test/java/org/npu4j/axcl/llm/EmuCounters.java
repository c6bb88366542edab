package org.npu4j.axcl.llm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** The AXCL emulator's introspection ({@code npu4j_axcl_emulator.h}): live objects and per-kind call counts. */
final class EmuCounters {
    private EmuCounters() {}

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return Linker.nativeLinker().downcallHandle(SymbolLookup.loaderLookup().find(name)
                .orElseThrow(() -> new AssertionError(name + " not found: is the loaded libaxcl_rt.so npu4j's emulator?")), d);
    }

    /** Live objects of a kind ("device_allocations", "models", "ios", ...). */
    static long live(String kind) {
        try (Arena a = Arena.ofConfined()) {
            return (long) handle("npu4j_emulator_axcl_live", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS))
                    .invokeExact(a.allocateFrom(kind));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** AXCL calls of a kind so far ("execute", "h2d", "d2h", "d2d", "device_other", "pcie", "bind"). */
    static long calls(String kind) {
        try (Arena a = Arena.ofConfined()) {
            return (long) handle("npu4j_emulator_axcl_call_count",
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS)).invokeExact(a.allocateFrom(kind));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Every count at once: execute, h2d, d2h, d2d, device_other, pcie, bind. */
    static long[] snapshot() {
        String[] k = {"execute", "h2d", "d2h", "d2d", "device_other", "pcie", "bind"};
        long[] v = new long[k.length];
        for (int i = 0; i < k.length; i++) {
            v[i] = calls(k[i]);
        }
        return v;
    }
}
