/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * C tests of the npu4j RKLLM emulator (helpers and runner: rkllm_test.h).
 *
 * Conversation state: keep_history, rkllm_clear_kv_cache, context shift, chat
 * templates, thinking, function tools, LoRA adapters and the prompt cache.
 */
#include "rkllm_test.h"

static void test_keep_history(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    CHECK_EQ_INT(kv_size(h), 0);
    RKLLMInferParam ip = infer_default();
    ip.keep_history = 1;
    run_prompt(h, &c, "Hello there, remember me.", &ip);
    int first = kv_size(h);
    CHECK_EQ_INT(first, c.perf.prefill_tokens + c.perf.generate_tokens);
    char *a1 = strdup(text_of(&c, 0));
    run_prompt(h, &c, "And now?", &ip);
    int second = kv_size(h);
    CHECK_EQ_INT(second, first + c.perf.prefill_tokens + c.perf.generate_tokens);
    /* The history changes the answer: the same message in a fresh
     * conversation gives another text. */
    char *with_history = strdup(text_of(&c, 0));
    ip.keep_history = 0;
    run_prompt(h, &c, "And now?", &ip);
    CHECK_EQ_INT(kv_size(h), 0); /* single turn: nothing kept (no system prompt) */
    run_prompt(h, &c, "And now?", &ip);
    CHECK(strcmp(with_history, text_of(&c, 0)) != 0, "history did not change the answer");
    free(a1);
    free(with_history);
    close_model(h);
    collector_free(&c);
}

static void test_clear_kv_cache(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    CHECK_EQ_INT(rkllm_set_chat_template(h, "<|im_start|>system\nYou are a terse helper."
                                            "<|im_end|>\n",
                                         "<|im_start|>user\n",
                                         "<|im_end|>\n<|im_start|>assistant\n"),
                 0);
    RKLLMInferParam ip = infer_default();
    ip.keep_history = 1;
    run_prompt(h, &c, "first message", &ip);
    run_prompt(h, &c, "second message", &ip);
    int full = kv_size(h);
    CHECK(full > 20, "kv %d", full);

    int start = 2, end = 5;
    CHECK_EQ_INT(rkllm_clear_kv_cache(h, 0, &start, &end), 0);
    CHECK_EQ_INT(kv_size(h), full - 3);
    start = -3;
    CHECK(rkllm_clear_kv_cache(h, 0, &start, &end) != 0, "negative start accepted");
    start = 9;
    end = 9; /* empty range: nothing happens */
    CHECK_EQ_INT(rkllm_clear_kv_cache(h, 0, &start, &end), 0);
    CHECK_EQ_INT(kv_size(h), full - 3);

    CHECK_EQ_INT(rkllm_clear_kv_cache(h, 1, NULL, NULL), 0);
    int system = kv_size(h);
    CHECK(system > 0 && system < full, "system prompt tokens %d", system);

    /* Single-turn runs keep the system prompt cached and skip its prefill. */
    ip.keep_history = 0;
    run_prompt(h, &c, "third message", &ip);
    CHECK_EQ_INT(kv_size(h), system);

    CHECK_EQ_INT(rkllm_clear_kv_cache(h, 0, NULL, NULL), 0);
    CHECK_EQ_INT(kv_size(h), 0);
    CHECK(rkllm_get_kv_cache_size(h, NULL) != 0, "NULL sizes accepted");
    close_model(h);
    collector_free(&c);
}

static void test_context_shift(void)
{
    collector c;
    collector_init(&c, 1);
    const char *model = temp_model("endless.model", "never", "10..20", 20, "auto", 4096);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 64;
    p.max_new_tokens = 300;
    p.n_keep = 8;
    LLMHandle h = open_model(model, &p, &c);
    RKLLMInferParam ip = infer_default();
    ip.keep_history = 1;
    CHECK_EQ_INT(run_prompt(h, &c, "shift please", &ip), 0);
    CHECK_EQ_INT(c.n_error, 0);
    CHECK_EQ_INT(c.tokens, 300);
    int kv = kv_size(h);
    CHECK(kv > 8 && kv <= 64, "kv %d", kv);
    /* A prompt that alone exceeds the context fails. */
    char big[2048];
    memset(big, 0, sizeof big);
    for (int i = 0; i < 100; i++) {
        strcat(big, " word");
    }
    CHECK(run_prompt(h, &c, big, &ip) != 0, "too long prompt accepted");
    CHECK_EQ_INT(c.n_error, 1);
    CHECK_EQ_INT(c.n_normal, 0);
    close_model(h);
    collector_free(&c);
}

static void test_chat_template(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    const char *q = "Which template is used?";
    run_prompt(h, &c, q, NULL);
    int plain = c.perf.prefill_tokens;
    char *a = strdup(text_of(&c, 0));
    CHECK_EQ_INT(rkllm_set_chat_template(h, "<|im_start|>system\nYou are a very patient, "
                                            "careful and precise assistant who answers every "
                                            "question about boards.<|im_end|>\n",
                                         "<|im_start|>user\n",
                                         "<|im_end|>\n<|im_start|>assistant\n"),
                 0);
    run_prompt(h, &c, q, NULL);
    int with_system = c.perf.prefill_tokens;
    CHECK(with_system > plain + 15, "prefill %d vs %d: the system prompt was not counted",
          with_system, plain);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "template does not change the answer");
    /* The demo's call: empty system prompt, other markers. */
    CHECK_EQ_INT(rkllm_set_chat_template(h, "", "<｜User｜>", "<｜Assistant｜>"), 0);
    run_prompt(h, &c, q, NULL);
    CHECK(c.perf.prefill_tokens < with_system, "prefill %d", c.perf.prefill_tokens);
    free(a);
    close_model(h);
    collector_free(&c);
}

static void test_thinking(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    RKLLMInput in = prompt_input("Think about stones, then answer.");
    RKLLMInferParam ip = infer_default();
    in.enable_thinking = true;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    const char *t = text_of(&c, 0);
    CHECK(strncmp(t, "<think>\n", 8) == 0, "no <think> at the start: %.80s", t);
    CHECK(strstr(t, "</think>\n\n") != NULL, "no </think>: %s", t);
    CHECK(strlen(strstr(t, "</think>\n\n")) > 20, "no answer after thinking");
    int think_prefill = c.perf.prefill_tokens;
    in.enable_thinking = false;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strstr(text_of(&c, 0), "<think>") == NULL, "<think> without enable_thinking");
    /* Thinking off adds the empty think block to the prompt. */
    CHECK(c.perf.prefill_tokens > think_prefill, "prefill %d vs %d", c.perf.prefill_tokens,
          think_prefill);
    /* After a custom template enable_thinking has no effect. */
    CHECK_EQ_INT(rkllm_set_chat_template(h, "", "<|im_start|>user\n",
                                         "<|im_end|>\n<|im_start|>assistant\n"),
                 0);
    in.enable_thinking = true;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strstr(text_of(&c, 0), "<think>") == NULL, "<think> after set_chat_template");
    close_model(h);
    collector_free(&c);
}

static const char *k_tools =
    "[{\"type\": \"function\", \"function\": {\"name\": \"get_current_temperature\", "
    "\"description\": \"Temperature at a place.\", \"parameters\": {\"type\": \"object\", "
    "\"properties\": {\"location\": {\"type\": \"string\"}, \"unit\": {\"type\": \"string\", "
    "\"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"location\"]}}}, "
    "{\"type\": \"function\", \"function\": {\"name\": \"get_temperature_date\", "
    "\"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": "
    "\"string\"}, \"days\": {\"type\": \"integer\"}, \"unit\": {\"type\": \"string\", "
    "\"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"location\", \"days\", "
    "\"unit\"]}}}]";

static void test_function_tools(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    CHECK(rkllm_set_function_tools(h, "sys", "[{\"name\": ", "tool_response") != 0,
          "invalid JSON accepted");
    CHECK(rkllm_set_function_tools(h, "sys", "[{\"description\": \"x\"}]", NULL) != 0,
          "tool without a name accepted");
    CHECK_EQ_INT(rkllm_set_function_tools(h, "You are Qwen.", k_tools, "tool_response"), 0);

    run_prompt(h, &c, "Please use get_current_temperature for San Francisco now.", NULL);
    const char *want = "<tool_call>\n{\"name\": \"get_current_temperature\", \"arguments\": "
                       "{\"location\": \"San Francisco\"}}\n</tool_call>";
    CHECK(strcmp(text_of(&c, 0), want) == 0, "tool call is\n%s\nexpected\n%s", text_of(&c, 0),
          want);
    CHECK_EQ_INT(c.n_finish, 1);

    run_prompt(h, &c, "What does get_temperature_date say for Paris?", NULL);
    CHECK(strstr(text_of(&c, 0), "{\"name\": \"get_temperature_date\", \"arguments\": "
                                 "{\"location\": \"Paris\", \"days\": ") != NULL,
          "second tool call: %s", text_of(&c, 0));
    CHECK(strstr(text_of(&c, 0), "\"unit\": \"celsius\"}}") != NULL, "enum argument: %s",
          text_of(&c, 0));

    /* A message that names no tool gets an ordinary answer. */
    run_prompt(h, &c, "How are you?", NULL);
    CHECK(strstr(text_of(&c, 0), "<tool_call>") == NULL, "unexpected tool call");

    /* The tool's result comes back with role "tool". */
    collector_reset(&c);
    RKLLMInput in = prompt_input("[{\"temperature\": 26.1, \"location\": \"San Francisco\", "
                                 "\"unit\": \"celsius\"}]");
    in.role = "tool";
    RKLLMInferParam ip = infer_default();
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strstr(text_of(&c, 0), "26.1") != NULL && strstr(text_of(&c, 0), "San Francisco"),
          "tool result not used: %s", text_of(&c, 0));
    CHECK(strstr(text_of(&c, 0), "<tool_call>") == NULL, "tool call after a tool result");

    in.role = "assistant";
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "unknown role accepted");
    /* Tools off again. */
    CHECK_EQ_INT(rkllm_set_function_tools(h, NULL, NULL, NULL), 0);
    run_prompt(h, &c, "Please use get_current_temperature for San Francisco now.", NULL);
    CHECK(strstr(text_of(&c, 0), "<tool_call>") == NULL, "tool call without tools");
    close_model(h);
    collector_free(&c);
}

static void test_lora(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    const char *q = "Describe the sea.";
    RKLLMInferParam ip = infer_default();
    RKLLMLoraParam lp = {"pirate"};
    ip.lora_params = &lp;
    RKLLMInput in = prompt_input(q);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "unloaded adapter accepted");

    char path[640];
    CHECK(rkllm_load_lora(h, &(RKLLMLoraAdapter){"/nonexistent/x.lora", "x", 1.0f}) != 0,
          "missing adapter file accepted");
    tmp_path(path, sizeof path, "garbage.lora");
    write_file(path, "LORA\0\1\2", 7);
    CHECK(rkllm_load_lora(h, &(RKLLMLoraAdapter){path, "x", 1.0f}) != 0, "garbage accepted");
    tmp_path(path, sizeof path, "other-base.lora");
    const char *other = "npu4j-emulator-lora rkllm 1\nbase = Llama-3\n";
    write_file(path, other, strlen(other));
    CHECK(rkllm_load_lora(h, &(RKLLMLoraAdapter){path, "x", 1.0f}) != 0, "wrong base accepted");
    CHECK(rkllm_load_lora(h, NULL) != 0, "NULL adapter accepted");

    CHECK_EQ_INT(rkllm_load_lora(h, &(RKLLMLoraAdapter){LORA_PIRATE, "pirate", 1.0f}), 0);
    CHECK_EQ_INT(rkllm_load_lora(h, &(RKLLMLoraAdapter){LORA_FORMAL, "formal", 0.5f}), 0);

    run_prompt(h, &c, q, NULL);
    char *base = strdup(text_of(&c, 0));
    run_prompt(h, &c, q, &ip);
    char *pirate = strdup(text_of(&c, 0));
    CHECK(strcmp(base, pirate) != 0, "LoRA did not change the answer");
    run_prompt(h, &c, q, &ip);
    CHECK(strcmp(pirate, text_of(&c, 0)) == 0, "LoRA answer not deterministic");
    lp.lora_adapter_name = "formal";
    run_prompt(h, &c, q, &ip);
    CHECK(strcmp(pirate, text_of(&c, 0)) != 0 && strcmp(base, text_of(&c, 0)) != 0,
          "adapters give the same answer");
    lp.lora_adapter_name = "nobody";
    collector_reset(&c);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "unknown adapter name accepted");
    CHECK_EQ_INT(c.n_calls, 0);
    free(base);
    free(pirate);
    close_model(h);
    collector_free(&c);
}

static void test_prompt_cache(void)
{
    collector c;
    collector_init(&c, 1);
    char cache[640];
    tmp_path(cache, sizeof cache, "prompt_cache.bin");
    remove(cache);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    const char *q = "A long shared instruction about rivers, stones, boards and memory. "
                    "Answer briefly.";
    RKLLMInferParam ip = infer_default();
    RKLLMPromptCacheParam pc = {1, cache};
    ip.prompt_cache_params = &pc;
    run_prompt(h, &c, q, &ip);
    int full = c.perf.prefill_tokens;
    char *first = strdup(text_of(&c, 0));
    size_t n = 0;
    char *file = read_file(cache, &n);
    CHECK(file != NULL, "no prompt cache file at %s", cache);
    CHECK(strncmp(file, "npu4j-emulator-prompt-cache rkllm 1\n", 36) == 0, "cache: %.60s",
          file);
    free(file);
    close_model(h);

    h = open_model(MODEL_06B, NULL, &c);
    CHECK_EQ_INT(rkllm_load_prompt_cache(h, cache), 0);
    run_prompt(h, &c, q, NULL);
    CHECK_EQ_INT(c.perf.prefill_tokens, 1); /* all but the last token came from the cache */
    CHECK(strcmp(first, text_of(&c, 0)) == 0, "the cache changed the answer");
    run_prompt(h, &c, "A long shared instruction about something else entirely.", NULL);
    CHECK(c.perf.prefill_tokens > 1 && c.perf.prefill_tokens < full,
          "partial reuse: %d of %d", c.perf.prefill_tokens, full);
    CHECK_EQ_INT(rkllm_release_prompt_cache(h), 0);
    run_prompt(h, &c, q, NULL);
    CHECK_EQ_INT(c.perf.prefill_tokens, full);

    char bad[640];
    CHECK(rkllm_load_prompt_cache(h, "/nonexistent/cache.bin") != 0, "missing cache accepted");
    CHECK(rkllm_load_prompt_cache(h, NULL) != 0, "NULL path accepted");
    tmp_path(bad, sizeof bad, "garbage-cache.bin");
    write_file(bad, "\x01\x02garbage", 9);
    CHECK(rkllm_load_prompt_cache(h, bad) != 0, "garbage cache accepted");
    /* A cache whose token list was tampered with. */
    file = read_file(cache, &n);
    char *tok = strstr(file, "tokens = ");
    CHECK(tok != NULL, "no tokens line");
    tok[9] = tok[9] == '1' ? '2' : '1';
    tmp_path(bad, sizeof bad, "tampered-cache.bin");
    write_file(bad, file, n);
    free(file);
    CHECK(rkllm_load_prompt_cache(h, bad) != 0, "tampered cache accepted");
    free(first);
    close_model(h);
    collector_free(&c);
}

static const test_entry k_tests[] = {
    {"keep_history", test_keep_history},
    {"clear_kv_cache", test_clear_kv_cache},
    {"context_shift", test_context_shift},
    {"chat_template", test_chat_template},
    {"thinking", test_thinking},
    {"function_tools", test_function_tools},
    {"lora", test_lora},
    {"prompt_cache", test_prompt_cache},
};

RKLLM_TEST_MAIN(k_tests)
