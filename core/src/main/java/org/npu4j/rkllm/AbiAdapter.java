package org.npu4j.rkllm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;

/**
 * The only code that touches the generated bindings: one implementation per ABI
 * ({@link AbiV12}, {@link AbiV13}), each a line per field or function over its own generated
 * package. Everything that is the same for both ABIs (validation, strings, arrays, the result
 * callback, the run protocol) lives once, above this interface.
 *
 * <p>Pointers passed in are native segments owned by the caller; nothing here allocates except
 * the structs it is asked to build, in the arena it is given.
 */
sealed interface AbiAdapter permits AbiV12, AbiV13 {

    static AbiAdapter of(RkllmAbi abi) {
        return switch (abi) {
            case V1_2 -> new AbiV12();
            case V1_3 -> new AbiV13();
        };
    }

    RkllmAbi abi();

    // ---- RKLLMParam ---------------------------------------------------------------------------

    /** {@code rkllm_createDefaultParam()}, the struct allocated in {@code arena}. */
    MemorySegment defaultParam(Arena arena);

    /** Every field of {@code param} as Java values (strings are not read, only the numbers and flags). */
    ParamValues readParam(MemorySegment param);

    /**
     * Writes every field of {@code v} into {@code param}; strings are allocated in {@code arena}, which
     * must outlive the model handle (the runtime may keep the pointers).
     */
    void writeParam(MemorySegment param, ParamValues v, Arena arena);

    /**
     * {@code rkllm_init}. 1.2 passes {@code resultCallback} itself, 1.3 an {@code RKLLMCallback} struct
     * allocated in {@code arena} (result callback only, user data NULL).
     */
    int init(MemorySegment handleOut, MemorySegment param, MemorySegment resultCallback, Arena arena);

    /** An upcall stub for {@code LLMResultCallback} calling {@code handler}, living as long as {@code arena}. */
    MemorySegment resultCallback(ResultHandler handler, Arena arena);

    /** The generated descriptor of {@code LLMResultCallback}: {@code int (void *, void *, int)}. */
    FunctionDescriptor resultCallbackDescriptor();

    /** {@code int (*LLMResultCallback)(RKLLMResult *result, void *userdata, LLMCallState state)}. */
    @FunctionalInterface
    interface ResultHandler {
        int apply(MemorySegment result, MemorySegment userdata, int state);
    }

    /** Byte offsets of the fields of {@code RKLLMResult} (the same struct in both ABIs, read by offset). */
    ResultOffsets resultOffsets();

    record ResultOffsets(long size, long text, long tokenId, long hiddenStates, long embdSize, long hiddenTokens, long logits,
            long vocabSize, long logitsTokens, long prefillTimeMs, long prefillTokens, long generateTimeMs,
            long generateTokens, long memoryUsageMb) {}

    // ---- RKLLMInput ---------------------------------------------------------------------------

    /** {@code n} zeroed {@code RKLLMInput} structs, one per batch entry. */
    MemorySegment inputArray(Arena arena, int n);

    /** Entry {@code i} of an array from {@link #inputArray}. */
    MemorySegment inputAt(MemorySegment array, int i);

    /** Sets the header fields of one {@code RKLLMInput}. */
    void inputHeader(MemorySegment input, MemorySegment role, boolean enableThinking, int inputType);

    void promptInput(MemorySegment input, MemorySegment text);

    void tokenInput(MemorySegment input, MemorySegment ids, long nTokens);

    void embedInput(MemorySegment input, MemorySegment embed, long nTokens);

    /**
     * Multimodal input. {@code image} and {@code video} are NULL-able blocks; the image and video tags
     * exist in 1.3 only (1.2 takes them from {@code RKLLMParam}; the caller has checked that none is
     * given on 1.2, and that no video is given on 1.2).
     */
    void multimodalInput(MemorySegment input, MemorySegment prompt, @Nullable NativeImage image,
            @Nullable NativeVideo video);

    record NativeImage(MemorySegment embed, long nImageTokens, long nImage, long width, long height,
            MemorySegment start, MemorySegment end, MemorySegment content) {}

    record NativeVideo(MemorySegment embed, long nFrameTokens, long nFramePerVideo, long nVideo, long width,
            long height, MemorySegment start, MemorySegment end, MemorySegment content) {}

    // ---- RKLLMInferParam and what it points to ------------------------------------------------

    /**
     * An {@code RKLLMInferParam}. {@code sampling} and {@code maxNewTokens > 0} exist in 1.3 only (the
     * caller has checked).
     */
    MemorySegment inferParam(Arena arena, int mode, MemorySegment loraParam, MemorySegment promptCacheParam,
            @Nullable SamplingParams sampling, boolean keepHistory, int maxNewTokens);

    MemorySegment loraParam(Arena arena, MemorySegment name);

    MemorySegment promptCacheParam(Arena arena, boolean save, MemorySegment path);

    MemorySegment loraAdapter(Arena arena, MemorySegment path, MemorySegment name, float scale);

    MemorySegment crossAttnParam(Arena arena, MemorySegment kCache, MemorySegment vCache, MemorySegment mask,
            MemorySegment pos, int numTokens);

    // ---- functions ----------------------------------------------------------------------------

    int run(MemorySegment handle, MemorySegment input, MemorySegment inferParam);

    int runAsync(MemorySegment handle, MemorySegment input, MemorySegment inferParam);

    int abort(MemorySegment handle);

    /** {@code rkllm_is_running}, with the ABI's meaning of the return value applied. */
    boolean isRunning(MemorySegment handle);

    int destroy(MemorySegment handle);

    int loadLora(MemorySegment handle, MemorySegment adapter);

    int loadPromptCache(MemorySegment handle, MemorySegment path);

    int releasePromptCache(MemorySegment handle);

    int clearKvCache(MemorySegment handle, boolean keepSystemPrompt, MemorySegment startPos, MemorySegment endPos);

    int kvCacheSize(MemorySegment handle, MemorySegment sizes);

    int setChatTemplate(MemorySegment handle, MemorySegment system, MemorySegment prefix, MemorySegment postfix);

    int setFunctionTools(MemorySegment handle, MemorySegment system, MemorySegment tools, MemorySegment toolResponse);

    int setCrossAttnParams(MemorySegment handle, MemorySegment params);

    /** Input type and infer mode constants (the same values in both ABIs; read from the bindings). */
    int inputPrompt();

    int inputToken();

    int inputEmbed();

    int inputMultimodal();

    int modeGenerate();

    int modeLastHiddenLayer();

    int modeLogits();
}
