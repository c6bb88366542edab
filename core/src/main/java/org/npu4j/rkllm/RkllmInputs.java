package org.npu4j.rkllm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * The inputs of one model's runs: checks a {@link GenerationRequest} against the model (batch entries,
 * ABI, LoRA names, token ids below the vocabulary, embedding, image and video shapes against the hidden
 * size) before anything native happens, and writes it into the ABI's {@code RKLLMInput} array and
 * {@code RKLLMInferParam}. The shape rules are the vendor header's ({@code rkllm.h}: one row of hidden
 * size floats per token; image rows per image times tokens per image). Thread-safe (stateless apart from
 * the model's own volatile sizes); the native memory is the caller's arena.
 */
final class RkllmInputs {
    private final RkllmModel model;
    private final AbiAdapter abi;
    private final RkllmAbi abiVersion;
    private final int nBatch;
    private final @Nullable VisionEncoder vision;
    private final String name;

    RkllmInputs(RkllmModel model, AbiAdapter abi, RkllmAbi abiVersion, int nBatch, @Nullable VisionEncoder vision) {
        this.model = model;
        this.abi = abi;
        this.abiVersion = abiVersion;
        this.nBatch = nBatch;
        this.vision = vision;
        this.name = model.name();
    }

    /**
     * Checks {@code r} for a run with {@code nListeners} listeners.
     *
     * @throws IllegalArgumentException naming what does not fit and what was expected
     */
    void validate(GenerationRequest r, int nListeners) {
        RkllmAbi a = abiVersion;
        if (r.inputs().size() != nBatch) {
            throw new IllegalArgumentException("request has " + r.inputs().size() + " input(s); " + name
                    + " was loaded with nBatch " + nBatch + " (one input per batch entry)");
        }
        if (nListeners != r.inputs().size()) {
            throw new IllegalArgumentException(nListeners + " listeners for " + r.inputs().size() + " inputs");
        }
        if (a == RkllmAbi.V1_2 && r.sampling() != null) {
            throw new IllegalArgumentException("per-run sampling (RKLLMInferParam.sampling_params) needs RKLLM ABI 1.3;"
                    + " this runtime speaks 1.2: set sampling when loading the model");
        }
        if (a == RkllmAbi.V1_2 && r.maxNewTokens() > 0) {
            throw new IllegalArgumentException("per-run maxNewTokens (RKLLMInferParam.max_new_tokens) needs RKLLM ABI"
                    + " 1.3; this runtime speaks 1.2: set maxNewTokens when loading the model");
        }
        if (r.lora() != null && !model.loadedLoras().contains(r.lora())) {
            throw new IllegalArgumentException("LoRA adapter '" + r.lora() + "' is not loaded in " + name
                    + " (loaded: " + model.loadedLoras() + "): call loadLora first");
        }
        for (int i = 0; i < r.inputs().size(); i++) {
            validate(r.inputs().get(i), a, r.inputs().size() > 1 ? "input " + i + ": " : "");
        }
    }

    private void validate(Input in, RkllmAbi a, String where) {
        switch (in) {
            case Input.Prompt p -> { }
            case Input.Tokens t -> {
                int vocab = model.vocabSize().orElse(0);
                if (vocab > 0) {
                    for (int id : t.ids()) {
                        if (id >= vocab) {
                            throw new IllegalArgumentException(where + "token id " + id + " is not below the vocabulary"
                                    + " size " + vocab + " of " + name);
                        }
                    }
                }
            }
            case Input.Embeddings e -> {
                int h = requireHiddenSize("embedding input");
                if (e.rowLength() != h) {
                    throw new IllegalArgumentException(where + "embedding input has " + e.data().length + " floats for "
                            + e.nTokens() + " tokens (" + e.rowLength() + " per token); " + name + " has hidden size "
                            + h + ": expected nTokens * " + h + " = " + (long) e.nTokens() * h + " floats");
                }
            }
            case Input.Multimodal m -> {
                ImageInput img = m.image();
                VideoInput vid = m.video();
                if (a == RkllmAbi.V1_2 && vid != null) {
                    throw new IllegalArgumentException(where + "video input needs RKLLM ABI 1.3; this runtime speaks 1.2");
                }
                if (a == RkllmAbi.V1_2 && img != null && img.hasTags()) {
                    throw new IllegalArgumentException(where + "image tags per input need RKLLM ABI 1.3; on 1.2 they are"
                            + " model parameters: RkllmModelBuilder.imageTags");
                }
                if (img != null) {
                    int h = requireHiddenSize("image input");
                    int blocks = vision != null ? vision.outputs() : 1;
                    long want = img.rows() * h * blocks;
                    if (img.embeddings().length != want) {
                        throw new IllegalArgumentException(where + "image embeddings have " + img.embeddings().length
                                + " floats; " + img.nImages() + " image(s) x " + img.tokensPerImage() + " tokens x hidden"
                                + " size " + h + (blocks > 1 ? " x " + blocks + " encoder outputs" : "") + " = " + want);
                    }
                }
                if (vid != null) {
                    int h = requireHiddenSize("video input");
                    long want = vid.rows() * h;
                    if (vid.embeddings().length != want) {
                        throw new IllegalArgumentException(where + "video embeddings have " + vid.embeddings().length
                                + " floats; " + vid.nVideos() + " video(s) x " + vid.framesPerVideo() + " frames x "
                                + vid.tokensPerFrame() + " tokens x hidden size " + h + " = " + want);
                    }
                }
            }
        }
    }

    private int requireHiddenSize(String what) {
        int h = model.hiddenSize().orElse(0);
        if (h <= 0) {
            throw new IllegalArgumentException("the hidden size of " + name + " is not known, so the shape of the " + what
                    + " cannot be checked: give it with RkllmModelBuilder.hiddenSize (hidden_size in the model's"
                    + " config.json), or run InferMode.LAST_HIDDEN_LAYER once");
        }
        return h;
    }

    MemorySegment inputs(Arena a, GenerationRequest r) {
        MemorySegment array = abi.inputArray(a, r.inputs().size());
        MemorySegment role = a.allocateFrom(r.role());
        for (int i = 0; i < r.inputs().size(); i++) {
            MemorySegment in = abi.inputAt(array, i);
            switch (r.inputs().get(i)) {
                case Input.Prompt p -> {
                    abi.inputHeader(in, role, r.enableThinking(), abi.inputPrompt());
                    abi.promptInput(in, a.allocateFrom(p.text()));
                }
                case Input.Tokens t -> {
                    abi.inputHeader(in, role, r.enableThinking(), abi.inputToken());
                    abi.tokenInput(in, a.allocateFrom(ValueLayout.JAVA_INT, t.ids()), t.ids().length);
                }
                case Input.Embeddings e -> {
                    abi.inputHeader(in, role, r.enableThinking(), abi.inputEmbed());
                    abi.embedInput(in, a.allocateFrom(ValueLayout.JAVA_FLOAT, e.data()), e.nTokens());
                }
                case Input.Multimodal m -> {
                    abi.inputHeader(in, role, r.enableThinking(), abi.inputMultimodal());
                    ImageInput img = m.image();
                    VideoInput vid = m.video();
                    AbiAdapter.NativeImage ni = img == null ? null : new AbiAdapter.NativeImage(
                            a.allocateFrom(ValueLayout.JAVA_FLOAT, img.embeddings()), img.tokensPerImage(),
                            img.nImages(), img.width(), img.height(), Strings.cString(a, img.start()),
                            Strings.cString(a, img.end()), Strings.cString(a, img.content()));
                    AbiAdapter.NativeVideo nv = vid == null ? null : new AbiAdapter.NativeVideo(
                            a.allocateFrom(ValueLayout.JAVA_FLOAT, vid.embeddings()), vid.tokensPerFrame(),
                            vid.framesPerVideo(), vid.nVideos(), vid.frameWidth(), vid.frameHeight(),
                            Strings.cString(a, vid.start()), Strings.cString(a, vid.end()),
                            Strings.cString(a, vid.content()));
                    abi.multimodalInput(in, a.allocateFrom(m.prompt()), ni, nv);
                }
            }
        }
        return array;
    }

    MemorySegment inferParam(Arena a, GenerationRequest r) {
        int mode = switch (r.mode()) {
            case GENERATE -> abi.modeGenerate();
            case LAST_HIDDEN_LAYER -> abi.modeLastHiddenLayer();
            case LOGITS -> abi.modeLogits();
        };
        MemorySegment lora = r.lora() == null ? MemorySegment.NULL : abi.loraParam(a, a.allocateFrom(r.lora()));
        Path cache = r.savePromptCache();
        MemorySegment pc = cache == null ? MemorySegment.NULL
                : abi.promptCacheParam(a, true, a.allocateFrom(cache.toAbsolutePath().toString()));
        return abi.inferParam(a, mode, lora, pc, r.sampling(), r.keepHistory(), r.maxNewTokens());
    }
}
