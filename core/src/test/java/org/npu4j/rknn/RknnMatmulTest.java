package org.npu4j.rknn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link RknnMatmul} on the emulated runtime's host matmul, against products computed here. */
class RknnMatmulTest {
    private static RknnRuntime rknn;

    @BeforeAll
    static void load() {
        rknn = RknnEmu.runtime();
    }

    @AfterEach
    void nothingLeaks() {
        assertEquals(0, RknnEmu.live("matmuls"), "live matmul contexts");
        assertEquals(0, RknnEmu.live("mems"), "live tensor memories");
        assertEquals(0, RknnEmu.live("allocations"), "live emulator allocations");
    }

    private static byte a8(int i, int k) {
        return (byte) ((i * 37 + k * 11) % 251 - 125);
    }

    private static byte b8(int k, int j) {
        return (byte) ((k * 13 + j * 29 + 7) % 253 - 126);
    }

    @Test
    void int8ProductIsExact() {
        int m = 3, k = 64, n = 32;
        try (RknnMatmul mm = rknn.matmul(m, k, n, RknnMatmul.Type.INT8_TO_INT32)) {
            assertEquals((long) m * k, mm.a().byteSize());
            assertEquals((long) k * n, mm.b().byteSize());
            assertEquals((long) m * n * 4, mm.c().byteSize());
            for (int i = 0; i < m; i++) {
                for (int x = 0; x < k; x++) {
                    mm.a().set(ValueLayout.JAVA_BYTE, (long) i * k + x, a8(i, x));
                }
            }
            for (int x = 0; x < k; x++) {
                for (int j = 0; j < n; j++) {
                    mm.b().set(ValueLayout.JAVA_BYTE, (long) x * n + j, b8(x, j));
                }
            }
            mm.run();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int want = 0;
                    for (int x = 0; x < k; x++) {
                        want += a8(i, x) * b8(x, j);
                    }
                    assertEquals(want, mm.c().getAtIndex(ValueLayout.JAVA_INT, (long) i * n + j), "C[" + i + "][" + j + "]");
                }
            }
        }
    }

    @Test
    void float16ProductsToFloat32AndFloat16() {
        int m = 2, k = 32, n = 16;
        for (RknnMatmul.Type t : new RknnMatmul.Type[] {RknnMatmul.Type.FLOAT16_TO_FLOAT32,
            RknnMatmul.Type.FLOAT16_TO_FLOAT16}) {
            try (RknnMatmul mm = rknn.matmul(m, k, n, t)) {
                float[] a = new float[m * k];
                float[] b = new float[k * n];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (i % 9) * 0.125f - 0.5f;
                    mm.a().setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(a[i]));
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = (i % 5) * 0.25f - 0.5f;
                    mm.b().setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(b[i]));
                }
                mm.run();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        float want = 0;
                        for (int x = 0; x < k; x++) {
                            want += a[i * k + x] * b[x * n + j];
                        }
                        float got = t == RknnMatmul.Type.FLOAT16_TO_FLOAT32
                                ? mm.c().getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + j)
                                : Float.float16ToFloat(mm.c().getAtIndex(ValueLayout.JAVA_SHORT, (long) i * n + j));
                        assertEquals(want, got, t == RknnMatmul.Type.FLOAT16_TO_FLOAT32 ? 1e-5 : 4e-3,
                                t + " C[" + i + "][" + j + "]");
                    }
                }
            }
        }
    }

    @Test
    void shapesOutsideTheRuntimeLimitsAreRefusedWithTheirCode() {
        RknnException e = assertThrows(RknnException.class, () -> rknn.matmul(4, 48, 32, RknnMatmul.Type.INT8_TO_INT32));
        assertEquals(RknnError.PARAM_INVALID, e.error());
        assertEquals("rknn_matmul_create", e.function());
        assertTrue(e.getMessage().contains("K=48") && e.getMessage().contains("multiple of 32"), e.getMessage());
        IllegalArgumentException z = assertThrows(IllegalArgumentException.class,
                () -> rknn.matmul(0, 32, 32, RknnMatmul.Type.INT8_TO_INT32));
        assertTrue(z.getMessage().contains("M=0"), z.getMessage());
    }

    @Test
    void useAfterCloseIsRefusedAndCloseIsIdempotent() {
        RknnMatmul mm = rknn.matmul(1, 32, 32, RknnMatmul.Type.INT8_TO_INT32);
        mm.run();
        mm.close();
        mm.close();
        assertThrows(IllegalStateException.class, mm::run);
        assertThrows(IllegalStateException.class, mm::a);
    }

    @Test
    void theMatmulFunctionsAreLookedUpAndAMissingOneIsUnsupported() {
        for (String f : RknnMatmul.FUNCTIONS) {
            assertTrue(rknn.supports(f), f);
        }
        // A build without one of them (as some librknnrt builds lack the matmul API) reports it by name
        // and version; nothing failed at load time.
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> RknnNative.require("rknn_matmul_absent_from_this_build", "The RKNN matmul API"));
        assertTrue(e.getMessage().contains("rknn_matmul_absent_from_this_build"), e.getMessage());
        assertTrue(e.getMessage().contains("2.3.2"), e.getMessage());
        assertTrue(e.getMessage().startsWith("The RKNN matmul API is not supported by "), e.getMessage());
    }
}
