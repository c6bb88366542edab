package org.npu4j.rkllm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.NativeLibrary;
import org.npu4j.NpuException;

/**
 * Loading errors, in a JVM of their own (no runtime is loaded before): a library whose ABI cannot be
 * told is refused before it enters the process, the override property is checked, a failed search
 * lists every place tried; then the override makes a library speak the ABI it is told.
 */
class RkllmRuntimeLoadingTest {

    @Test
    void loadingErrorsThenAnOverride(@TempDir Path tmp) throws IOException {
        assertTrue(RkllmRuntime.loaded().isEmpty());

        Path notRkllm = Files.write(tmp.resolve("librkllmrt.so"), "just some bytes, no version".getBytes());
        NpuException e = assertThrows(NpuException.class, () -> RkllmRuntime.load(notRkllm));
        assertTrue(e.getMessage().contains("Cannot tell the RKLLM ABI") && e.getMessage().contains("npu4j.rkllm.abi=1.2"),
                e.getMessage());
        assertTrue(RkllmRuntime.loaded().isEmpty(), "a refused file is not loaded");

        Path old = Files.write(tmp.resolve("old.so"), "\0rkllm-runtime version: 1.1.4\0".getBytes());
        e = assertThrows(NpuException.class, () -> RkllmRuntime.load(old));
        assertTrue(e.getMessage().contains("1.1.4") && e.getMessage().contains("neither 1.2.x nor 1.3.x"),
                e.getMessage());

        assertThrows(NpuException.class, () -> RkllmRuntime.load(tmp.resolve("missing.so")));

        System.setProperty(RkllmRuntime.ABI_PROPERTY, "2.0");
        try {
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> RkllmRuntime.load(old));
            assertTrue(bad.getMessage().contains(RkllmRuntime.ABI_PROPERTY), bad.getMessage());
        } finally {
            System.clearProperty(RkllmRuntime.ABI_PROPERTY);
        }

        boolean onSearchPath = NativeLibrary.searchPath().stream()
                .anyMatch(d -> Files.exists(Path.of(d, "librkllmrt.so")));
        assumeTrue(!onSearchPath && System.getenv(RkllmRuntime.LIBRARY_ENV) == null,
                "a librkllmrt.so is installed on this machine");
        System.setProperty(RkllmRuntime.LIBRARY_PROPERTY, tmp.resolve("nowhere.so").toString());
        try {
            NpuException search = assertThrows(NpuException.class, RkllmRuntime::load);
            String msg = search.getMessage();
            assertTrue(msg.contains("system property npu4j.rkllm.library") && msg.contains("nowhere.so")
                    && msg.contains("environment variable NPU4J_RKLLM_LIBRARY: not set")
                    && msg.contains("OS search path") && msg.contains("RkllmRuntime.emulator"), msg);
        } finally {
            System.clearProperty(RkllmRuntime.LIBRARY_PROPERTY);
        }

        // The 1.3 emulator told to be 1.3 by the property: loaded, the ABI not "detected".
        System.setProperty(RkllmRuntime.ABI_PROPERTY, "1.3");
        try {
            RkllmRuntime rt = RkllmRuntime.load(RkllmEmulatorTest.library(RkllmAbi.V1_3));
            assertEquals(RkllmAbi.V1_3, rt.abi());
            assertFalse(rt.abiDetected());
            assertTrue(rt.isEmulator());
        } finally {
            System.clearProperty(RkllmRuntime.ABI_PROPERTY);
        }
    }
}
