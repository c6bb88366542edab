package org.npu4j.rkllm;

import org.jspecify.annotations.Nullable;

/**
 * Work a request does under the model's lock, on the thread that runs it: before the runtime call
 * (setting the template and KV cache up for a conversation) and after it (recording what the KV cache
 * now holds). Used by {@link RkllmConversation}.
 */
interface RunHooks {

    /**
     * Before {@code rkllm_run}, after the model's lock was taken; may call the model's locked methods.
     *
     * @return the request to run (decided now, from the state the KV cache is in)
     */
    GenerationRequest beforeRun();

    /** After the run: its result, or null if it failed (the KV cache's content is then unknown). */
    void afterRun(@Nullable GenerationResult result);
}
