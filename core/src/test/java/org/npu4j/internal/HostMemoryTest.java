package org.npu4j.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.npu4j.NpuException;
import org.npu4j.tuning.HostFiles;

/** The RKLLM backend's check of a model's size against the host's available memory. */
class HostMemoryTest {

    private static HostFiles board(Path root, String meminfo) throws Exception {
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/meminfo"), meminfo);
        return HostFiles.at(root);
    }

    @Test
    void aModelLargerThanMemAvailableIsRefusedWithBothSizes(@TempDir Path root) throws Exception {
        // an 8 GB RK3588 board with 1.5 GiB left
        HostFiles host = board(root, "MemTotal:        8055400 kB\nMemFree:          204800 kB\n"
                + "MemAvailable:    1572864 kB\nBuffers:           10240 kB\n");
        assertEquals(Optional.of(1572864L * 1024), HostMemory.available(host));
        NpuException e = assertThrows(NpuException.class,
                () -> HostMemory.checkFits("qwen3-1.7b.rkllm", 2L << 30, host));
        assertTrue(e.getMessage().contains("qwen3-1.7b.rkllm needs at least 2048.0 MiB")
                && e.getMessage().contains("1536.0 MiB available"), e.getMessage());
        assertDoesNotThrow(() -> HostMemory.checkFits("qwen3-0.6b.rkllm", 900L << 20, host));
    }

    @Test
    void withoutMeminfoNothingIsChecked(@TempDir Path root) throws Exception {
        assertEquals(Optional.empty(), HostMemory.available(HostFiles.at(root)));
        assertDoesNotThrow(() -> HostMemory.checkFits("m.rkllm", Long.MAX_VALUE, HostFiles.at(root)));
        HostFiles old = board(root, "MemTotal: 100 kB\nMemFree: 50 kB\n"); // kernels before 3.14 lack MemAvailable
        assertEquals(Optional.empty(), HostMemory.available(old));
    }
}
