package org.npu4j.internal;

import java.util.Locale;
import java.util.Optional;
import org.npu4j.NpuException;
import org.npu4j.tuning.HostFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a model fits the host memory a Rockchip NPU works from. The RK3588/RK3576 NPU has no memory of
 * its own: RKLLM reads the whole {@code .rkllm} file into DDR (its weights; the KV cache and runtime
 * buffers come on top), so a model larger than the memory the kernel can still hand out
 * ({@code MemAvailable} in {@code /proc/meminfo}) cannot load and would push the board into swap or the
 * OOM killer. Stateless.
 */
final class HostMemory {
    private static final Logger LOG = LoggerFactory.getLogger(HostMemory.class);

    private HostMemory() {}

    /** {@code MemAvailable} in bytes, or empty when {@code /proc/meminfo} is absent or lacks it (not Linux). */
    static Optional<Long> available(HostFiles host) {
        Optional<String> info = host.readIfPresent("/proc/meminfo");
        if (info.isEmpty()) {
            return Optional.empty();
        }
        for (String line : info.get().split("\n")) {
            if (line.startsWith("MemAvailable:")) {
                String[] f = line.substring("MemAvailable:".length()).trim().split("\\s+");
                try {
                    return Optional.of(Long.parseLong(f[0]) * 1024);
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Refuses a model of {@code modelBytes} that does not fit the available host memory.
     *
     * @param what names the model in the message
     * @throws NpuException naming both sizes and where the available memory was read
     */
    static void checkFits(String what, long modelBytes, HostFiles host) {
        Optional<Long> free = available(host);
        if (free.isEmpty()) {
            LOG.debug("{}: no MemAvailable in {}: memory fit not checked", what, host.resolve("/proc/meminfo"));
            return;
        }
        if (modelBytes > free.get()) {
            throw new NpuException(what + " needs at least " + mib(modelBytes) + " MiB of memory (its weights, which"
                    + " RKLLM loads into the DDR the NPU shares), the host has " + mib(free.get()) + " MiB available"
                    + " (MemAvailable, " + host.resolve("/proc/meminfo") + "): close another model or use a smaller"
                    + " quantization");
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
    }
}
