package org.npu4j.llm.spi;

import java.nio.file.Path;
import java.util.List;
import org.npu4j.llm.LanguageModel;
import org.npu4j.llm.LoadOptions;

/**
 * A backend of {@link LanguageModel#open}: found with {@link java.util.ServiceLoader} (core registers
 * RKLLM and AXCL in its module descriptor). Implementations are thread-safe.
 */
public interface LanguageModelProvider {

    /** The backend's name as in {@link org.npu4j.llm.ModelInfo#backend()}: {@code "rkllm"}, {@code "axcl"}. */
    String backend();

    /** True if {@code path} is a model of this backend (by its name and, cheaply, its content). */
    boolean accepts(Path path);

    /**
     * Loads {@code path}.
     *
     * @throws IllegalArgumentException for a model or an option this backend cannot use, naming it
     * @throws org.npu4j.NpuException   if the runtime or the model fails to load
     */
    LanguageModel open(Path path, LoadOptions options);

    /** The emulator profiles this backend offers ({@code rk3588-qwen3-0.6b-w8a8}, ...). */
    List<String> emulatorProfiles();

    /**
     * Loads an emulator profile on npu4j's emulated runtime.
     *
     * @throws IllegalArgumentException if {@code profile} is not one of {@link #emulatorProfiles()}
     */
    LanguageModel openEmulator(String profile, LoadOptions options);
}
