package org.npu4j.axcl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.npu4j.NpuException;

/** Finding libaxcl_rt.so (own class: once a library is loaded, the JVM keeps it). */
class AxclLibraryTest {

    @Test
    void aMissingLibraryListsEveryPlaceTriedAndPointsToTheEmulator() {
        String before = System.getProperty("npu4j.axcl.library");
        System.setProperty("npu4j.axcl.library", "/nonexistent/dir/libaxcl_rt.so");
        try {
            NpuException e = assertThrows(NpuException.class, () -> AxclRuntime.acquire(AxclRuntime.Options.defaults()));
            String m = e.getMessage();
            assertTrue(m.startsWith("Cannot load the AXCL runtime (libaxcl_rt.so). Tried:"), m);
            assertTrue(m.contains("/nonexistent/dir/libaxcl_rt.so (system property npu4j.axcl.library): no such file"), m);
            assertTrue(m.contains("NPU4J_AXCL_LIBRARY"), m);
            assertTrue(m.contains("/usr/lib/libaxcl_rt.so (OS search path): no such file"), m);
            assertTrue(m.contains("AxclRuntime.Options.emulator()"), m);
            assertEquals(0, AxclRuntime.openHandles());
        } finally {
            if (before == null) {
                System.clearProperty("npu4j.axcl.library");
            } else {
                System.setProperty("npu4j.axcl.library", before);
            }
        }
        // nothing was loaded by the failed attempt: the emulator loads afterwards
        try (AxclRuntime axcl = AxclRuntime.acquire(AxclRuntime.Options.emulator())) {
            assertTrue(axcl.isEmulator());
            assertEquals("the path given by the caller", axcl.library().foundBy());
        }
    }
}
