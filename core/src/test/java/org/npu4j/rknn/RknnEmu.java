package org.npu4j.rknn;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import org.npu4j.Emulator;

/**
 * Test access to the emulated RKNN runtime: the runtime, its example models, its live counters
 * ({@code npu4j_rknn_emulator.h}) and synthetic images of coloured rectangles.
 */
final class RknnEmu {
    private RknnEmu() {}

    static RknnRuntime runtime() {
        return System.getProperty("npu4j.rknn.library") != null ? RknnRuntime.load() : RknnRuntime.emulator();
    }

    static Path model(String name) {
        return Emulator.model("rknn", name);
    }

    /** Live objects of one kind: "allocations", "contexts", "mems", "outputs". */
    static long live(String kind) {
        MemorySegment addr = SymbolLookup.loaderLookup().find("npu4j_emulator_rknn_live")
                .orElseThrow(() -> new AssertionError("npu4j_emulator_rknn_live not found: not the emulator?"));
        MethodHandle h = Linker.nativeLinker().downcallHandle(addr,
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            return (long) h.invokeExact(a.allocateFrom(kind));
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** A solid rectangle: pixel edges (x0 ≤ x < x1), colour 0xRRGGBB. */
    record Rect(int x0, int y0, int x1, int y1, int rgb, int cls) {}

    /** An S×S RGB image (UINT8 NHWC), grey 114 with the rectangles painted in order. */
    static byte[] image(int size, Rect... rects) {
        byte[] img = new byte[size * size * 3];
        java.util.Arrays.fill(img, (byte) 114);
        for (Rect r : rects) {
            for (int y = r.y0(); y < r.y1(); y++) {
                for (int x = r.x0(); x < r.x1(); x++) {
                    int p = (y * size + x) * 3;
                    img[p] = (byte) (r.rgb() >> 16);
                    img[p + 1] = (byte) (r.rgb() >> 8);
                    img[p + 2] = (byte) r.rgb();
                }
            }
        }
        return img;
    }
}
