package org.npu4j.rkllm;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A LoRA adapter to load into a model ({@code RKLLMLoraAdapter}); a request applies it by name
 * ({@link GenerationRequest.Builder#lora}).
 *
 * @param file  the adapter file (converted with the vendor toolkit for this model)
 * @param name  the name requests use, non-empty; loading another adapter under the same name replaces it
 * @param scale how strongly it applies (1 = as trained); finite
 */
public record LoraAdapter(Path file, String name, float scale) {
    public LoraAdapter {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("LoRA adapter name '" + name + "': accepted a non-empty name");
        }
        SamplingParams.check(Float.isFinite(scale), "scale (LoRA)", scale, "any finite value (1 = as trained)");
    }

    /** Scale 1. */
    public static LoraAdapter of(Path file, String name) {
        return new LoraAdapter(file, name, 1f);
    }
}
