/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * C tests of the npu4j RKLLM emulator (helpers and runner: rkllm_test.h).
 *
 * Input and output kinds: token and embedding input, multimodal input, vision
 * encoder outputs, last hidden layer and logits.
 */
#include "rkllm_test.h"

static void test_token_input(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    int32_t ids[] = {9707, 11, 1879, 0, 151643};
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.input_type = RKLLM_INPUT_TOKEN;
    in.token_input.input_ids = ids;
    in.token_input.n_tokens = 5;
    RKLLMInferParam ip = infer_default();
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK_EQ_INT(c.perf.prefill_tokens, 5); /* token input bypasses the template */
    char *a = strdup(text_of(&c, 0));
    CHECK(strlen(a) > 0, "empty answer");
    collector_reset(&c);
    rkllm_run(h, &in, &ip, &c);
    CHECK(strcmp(a, text_of(&c, 0)) == 0, "not deterministic");
    ids[4] = 151642;
    collector_reset(&c);
    rkllm_run(h, &in, &ip, &c);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "last id not read");
    in.token_input.n_tokens = 0;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "n_tokens 0 accepted");
    in.token_input.n_tokens = 5;
    in.token_input.input_ids = NULL;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NULL ids accepted");
    in.token_input.input_ids = ids;
    ids[2] = 151936;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "id outside the vocabulary accepted");
    ids[2] = -1;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "negative id accepted");
    free(a);
    close_model(h);
    collector_free(&c);
}

static void test_embed_input(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    enum { N = 3, HS = 1024 };
    float *e = malloc(sizeof(float) * N * HS);
    for (int i = 0; i < N * HS; i++) {
        e[i] = sinf((float)i * 0.01f);
    }
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.input_type = RKLLM_INPUT_EMBED;
    in.embed_input.embed = e;
    in.embed_input.n_tokens = N;
    RKLLMInferParam ip = infer_default();
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK_EQ_INT(c.perf.prefill_tokens, N);
    char *a = strdup(text_of(&c, 0));
    /* Every float counts: change only the very last one. */
    e[N * HS - 1] += 1e-3f;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "last float of the embedding was not read");
    e[N * HS - 1] -= 1e-3f;
    collector_reset(&c);
    rkllm_run(h, &in, &ip, &c);
    CHECK(strcmp(a, text_of(&c, 0)) == 0, "not deterministic");
    e[17] = NAN;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NaN accepted");
    e[17] = INFINITY;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "inf accepted");
    e[17] = 0.0f;
    in.embed_input.n_tokens = 0;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "n_tokens 0 accepted");
    in.embed_input.n_tokens = N;
    in.embed_input.embed = NULL;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NULL embed accepted");
    free(a);
    free(e);
    close_model(h);
    collector_free(&c);
}

static void set_image(RKLLMInput *in, float *embed, size_t n_image, size_t tokens)
{
#if ABI13
    in->multimodal_input.image.image_embed = embed;
    in->multimodal_input.image.n_image = n_image;
    in->multimodal_input.image.n_image_tokens = tokens;
    in->multimodal_input.image.image_start = "<|vision_start|>";
    in->multimodal_input.image.image_end = "<|vision_end|>";
    in->multimodal_input.image.image_content = "<|image_pad|>";
    in->multimodal_input.image.image_width = 392;
    in->multimodal_input.image.image_height = 392;
#else
    in->multimodal_input.image_embed = embed;
    in->multimodal_input.n_image = n_image;
    in->multimodal_input.n_image_tokens = tokens;
    in->multimodal_input.image_width = 392;
    in->multimodal_input.image_height = 392;
#endif
}

static void test_multimodal_input(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    enum { T = 4, HS = 1024 };
    float *img = malloc(sizeof(float) * 2 * T * HS);
    for (int i = 0; i < 2 * T * HS; i++) {
        img[i] = cosf((float)i * 0.003f);
    }
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.role = "user";
    in.input_type = RKLLM_INPUT_MULTIMODAL;
    in.multimodal_input.prompt = "<image>What is in the image?";
    set_image(&in, img, 1, T);
    RKLLMInferParam ip = infer_default();
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    int with_image = c.perf.prefill_tokens;
    char *a = strdup(text_of(&c, 0));
    run_prompt(h, &c, "What is in the image?", NULL);
    CHECK(with_image >= c.perf.prefill_tokens + T, "image tokens not counted: %d vs %d",
          with_image, c.perf.prefill_tokens);
    img[T * HS - 1] = 0.5f; /* the last float of the image */
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "last image float not read");
    /* Two images. */
    in.multimodal_input.prompt = "<image><image>Compare them.";
    set_image(&in, img, 2, T);
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    /* Inconsistent inputs. */
    in.multimodal_input.prompt = "<image>One tag, two images.";
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "tag count mismatch accepted");
    in.multimodal_input.prompt = "<image>x";
    set_image(&in, img, 1, 0);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "n_image_tokens 0 accepted");
    set_image(&in, NULL, 1, T);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NULL image_embed accepted");
    set_image(&in, img, 0, T);
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "image_embed with n_image 0 accepted");
    set_image(&in, img, 1, T);
    img[3] = NAN;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NaN accepted");
    img[3] = 0.0f;
    in.multimodal_input.prompt = NULL;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NULL prompt accepted");
#if ABI13
    /* Video: 1 video of 2 frames with 3 tokens each. */
    float *vid = malloc(sizeof(float) * 2 * 3 * HS);
    for (int i = 0; i < 2 * 3 * HS; i++) {
        vid[i] = (float)(i % 13) * 0.1f;
    }
    memset(&in, 0, sizeof in);
    in.input_type = RKLLM_INPUT_MULTIMODAL;
    in.multimodal_input.prompt = "<video>What happens?";
    in.multimodal_input.video.video_embed = vid;
    in.multimodal_input.video.n_video = 1;
    in.multimodal_input.video.n_frame_per_video = 2;
    in.multimodal_input.video.n_frame_tokens = 3;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    char *v1 = strdup(text_of(&c, 0));
    vid[2 * 3 * HS - 1] = 9.0f;
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strcmp(v1, text_of(&c, 0)) != 0, "last video float not read");
    in.multimodal_input.video.n_frame_tokens = 0;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "n_frame_tokens 0 accepted");
    free(v1);
    free(vid);
#endif
    free(a);
    free(img);
    close_model(h);
    collector_free(&c);
}

/* vision_outputs = 4 (Qwen3-VL deepstack): an image token is 4 x hidden_size
 * floats, and every one of them, up to the last, reaches the answer. */
static void test_vision_outputs(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_VL, NULL, &c);
    enum { T = 4, HS = 2048, K = 4 };
    float *img = malloc(sizeof(float) * T * HS * K);
    for (int i = 0; i < T * HS * K; i++) {
        img[i] = sinf((float)i * 0.001f);
    }
    RKLLMInput in;
    memset(&in, 0, sizeof in);
    in.role = "user";
    in.input_type = RKLLM_INPUT_MULTIMODAL;
    in.multimodal_input.prompt = "<image>Describe the image.";
    set_image(&in, img, 1, T);
    RKLLMInferParam ip = infer_default();
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    char *a = strdup(text_of(&c, 0));
    img[T * HS * K - 1] = 0.25f; /* in the last deepstack block of the last token */
    collector_reset(&c);
    CHECK_EQ_INT(rkllm_run(h, &in, &ip, &c), 0);
    CHECK(strcmp(a, text_of(&c, 0)) != 0, "last deepstack float not read");
    img[T * HS * K - 1] = NAN;
    CHECK(rkllm_run(h, &in, &ip, &c) != 0, "NaN in the last deepstack block accepted");
    free(a);
    free(img);
    close_model(h);
    collector_free(&c);
}

static void test_hidden_layer(void)
{
    collector c;
    collector_init(&c, 1);
    LLMHandle h = open_model(MODEL_06B, NULL, &c);
    RKLLMInferParam ip = infer_default();
    ip.mode = RKLLM_INFER_GET_LAST_HIDDEN_LAYER;
    run_prompt(h, &c, "Embed this sentence.", &ip);
    CHECK_EQ_INT(c.hidden_calls, 1);
    CHECK_EQ_INT(c.hidden_embd, 1024);
    CHECK_EQ_INT(c.hidden_tokens, c.perf.prefill_tokens);
    CHECK(c.hidden_finite, "non-finite hidden state");
    CHECK_EQ_INT(c.tokens, 0);
    CHECK_EQ_INT(c.n_finish, 1);
    double sum = c.hidden_sum;
    c.release_buffers = 1; /* return 2: release the buffer at once */
    run_prompt(h, &c, "Embed this sentence.", &ip);
    CHECK(c.hidden_sum == sum, "hidden states not deterministic");
    run_prompt(h, &c, "Embed another sentence.", &ip);
    CHECK(c.hidden_sum != sum, "hidden states do not depend on the input");
    c.release_buffers = 0;
    close_model(h);
    collector_free(&c);
}

static void test_logits(void)
{
    collector c;
    collector_init(&c, 1);
    RKLLMParam p = rkllm_createDefaultParam();
    p.max_context_len = 1024;
    p.max_new_tokens = 4;
    LLMHandle h = open_model(MODEL_06B, &p, &c);
    RKLLMInferParam ip = infer_default();
    ip.mode = RKLLM_INFER_GET_LOGITS;
    run_prompt(h, &c, "Logits, please.", &ip);
    CHECK_EQ_INT(c.logits_vocab, 151936);
    CHECK_EQ_INT(c.logits_rows_first, c.perf.prefill_tokens);
    CHECK_EQ_INT(c.logits_argmax_last_row, c.first_token_id);
    CHECK_EQ_INT(c.tokens, 4);
    CHECK_EQ_INT(c.logits_single_rows, 4);
    CHECK_EQ_INT(c.n_finish, 1);
    close_model(h);
    CHECK_EQ_INT(npu4j_emulator_live_allocations(), 0);
    collector_free(&c);
}

static const test_entry k_tests[] = {
    {"token_input", test_token_input},
    {"embed_input", test_embed_input},
    {"multimodal_input", test_multimodal_input},
    {"vision_outputs", test_vision_outputs},
    {"hidden_layer", test_hidden_layer},
    {"logits", test_logits},
};

RKLLM_TEST_MAIN(k_tests)
