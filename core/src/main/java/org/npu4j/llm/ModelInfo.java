package org.npu4j.llm;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a loaded model is and runs on.
 *
 * @param name           the model's name (the builder's, else the file or directory name)
 * @param backend        {@code "rkllm"} or {@code "axcl"}
 * @param runtimeVersion the runtime's version string as it reports it (emulators say so in it)
 * @param emulator       true on one of npu4j's emulated runtimes: its figures come from a device
 *                       profile, not from hardware
 * @param source         the model file or package directory
 * @param contextLength  the context window in tokens (prompt, history and answer)
 * @param vocabSize      the vocabulary size, or -1 if the backend does not know it
 * @param memoryBytes    memory the model takes on the NPU side (RKLLM: the runtime's reported use;
 *                       AXCL: CMM taken by its engines and KV cache), or -1 if unknown
 * @param capabilities   what it can do beyond plain generation
 * @param description    one line for people: runtime, version, ABI, devices or CPUs (the chat CLI's header)
 */
public record ModelInfo(String name, String backend, String runtimeVersion, boolean emulator, @Nullable Path source,
        int contextLength, int vocabSize, long memoryBytes, Set<Capability> capabilities, String description) {

    public ModelInfo {
        Objects.requireNonNull(name);
        Objects.requireNonNull(backend);
        Objects.requireNonNull(runtimeVersion);
        capabilities = Set.copyOf(capabilities);
        Objects.requireNonNull(description);
    }

    public boolean has(Capability c) {
        return capabilities.contains(c);
    }
}
