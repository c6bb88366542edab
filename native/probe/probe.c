/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * ABI probe: compiled by the C compiler from npu4j's own vendor-ABI headers,
 * it prints what the compiler made of them, so that a Java test can compare
 * the jextract-generated layouts and function descriptors with it.
 *
 * One source, three builds (see CMakeLists.txt):
 *   -DPROBE_RKLLM with include/rkllm/v1_2 or include/rkllm/v1_3 on the path
 *   -DPROBE_AXCL  with include/axcl on the path
 *   -DPROBE_RKNN  with include/rknn on the path
 *
 * Output: one record per line, fields separated by one space.
 *
 *   struct <Typedef> size=<bytes> align=<bytes>
 *   union <Typedef> size=<bytes> align=<bytes>       (a typedef'd union; none exists yet)
 *   field <Typedef> <path> offset=<bytes> size=<bytes>
 *   function <name> ret=<kind> params=<kind>,<kind>,...   (params= is empty for (void))
 *
 * <Typedef> is the C typedef name of a top-level struct or union; every one
 * the headers declare is listed. Nested struct/union types have no record of
 * their own: they are described by the field lines of their members.
 * <path> is the member designator as C spells it from the top-level type:
 *   - a member of a named nested struct: "image.image_embed";
 *   - a member of an anonymous union/struct: its plain name ("prompt_input");
 *   - a struct-typed member is listed itself and then, recursively, its own
 *     members ("extend_param", "extend_param.enabled_cpus_mask");
 *   - an array member is listed once, size = the whole array.
 * offsets are from the start of the top-level type. Records come in
 * declaration order (depth first).
 * <kind>: void, bool, i8, i16, i32, i64 (integers and enums by size,
 * signedness dropped), f32, f64, ptr (any data or function pointer),
 * struct:<Typedef> (a struct passed or returned by value).
 *
 * Checks, so that this file cannot drift from the headers:
 *   - every "function" line comes from a FN() entry whose C types are
 *     statically asserted to be exactly the declared prototype, and whose
 *     kinds are computed from those same C types;
 *   - the fields of every struct (and of every nested struct) must tile it:
 *     each listed field starts where natural alignment puts it after the
 *     previous one, and the last one ends where the size says, so a field
 *     left out or out of order fails the run (exit status 1) unless it would
 *     fit entirely in padding;
 *   - AXCL: every error-code literal equals the vendor's building rule;
 *   - RKNN: the sizes and offsets that shared/facts/rknn.md states for LP64
 *     (rknn_tensor_attr 376 bytes, ...) are asserted at compile time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(PROBE_AXCL)
#include "axcl.h"
#elif defined(PROBE_RKLLM)
#include "rkllm.h"
#elif defined(PROBE_RKNN)
#include "rknn_api.h"
#include "rknn_matmul_api.h"
#else
#error "define PROBE_AXCL, PROBE_RKLLM or PROBE_RKNN"
#endif

/* ---------------------------------------------------------------- layout walk */

typedef struct {
    int is_union;
    int started;   /* union: base known */
    size_t base;   /* offset of the scope in the top-level type */
    size_t cursor; /* struct: end of the last field; union: largest end */
    size_t end;    /* struct: base + size */
    size_t align;  /* struct: alignment; union: largest member alignment */
} probe_scope;

static probe_scope scopes[16];
static int depth;
static const char *cur_type;
static size_t last_off, last_size, last_align;
static int failures;

static size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

static void fail(const char *what, const char *path, size_t got, size_t want)
{
    fprintf(stderr, "probe: %s%s%s: %s is %zu, expected %zu\n", cur_type, path ? " " : "",
            path ? path : "", what, got, want);
    failures++;
}

static void push(probe_scope s)
{
    if (depth == (int)(sizeof scopes / sizeof scopes[0])) {
        fprintf(stderr, "probe: nesting too deep in %s\n", cur_type);
        exit(2);
    }
    scopes[depth++] = s;
}

static void begin_type(const char *kw, const char *name, size_t size, size_t align, int is_union)
{
    if (depth != 0) {
        fprintf(stderr, "probe: %s begins inside %s\n", name, cur_type);
        exit(2);
    }
    cur_type = name;
    printf("%s %s size=%zu align=%zu\n", kw, name, size, align);
    probe_scope s = {is_union, is_union, 0, 0, size, is_union ? 1 : align};
    push(s);
}

static void field_at(const char *path, size_t off, size_t size, size_t align)
{
    printf("field %s %s offset=%zu size=%zu\n", cur_type, path, off, size);
    probe_scope *s = &scopes[depth - 1];
    if (s->is_union) {
        if (!s->started) {
            s->base = off;
            s->started = 1;
        } else if (off != s->base) {
            fail("union member offset", path, off, s->base);
        }
        if (off + size > s->cursor) s->cursor = off + size;
        if (align > s->align) s->align = align;
    } else {
        size_t want = align_up(s->cursor, align);
        if (off != want) fail("offset (field missing or out of order?)", path, off, want);
        s->cursor = off + size;
    }
    last_off = off;
    last_size = size;
    last_align = align;
}

/* The members listed next belong to the struct-typed member just listed. */
__attribute__((unused)) static void open_nested(void)
{
    probe_scope s = {0, 0, last_off, last_off, last_off + last_size, last_align};
    push(s);
}

/* The members listed next belong to an anonymous union. */
__attribute__((unused)) static void open_anon_union(void)
{
    probe_scope s = {1, 0, 0, 0, 0, 1};
    push(s);
}

static void close_scope(void)
{
    probe_scope s = scopes[--depth];
    if (!s.is_union) {
        if (align_up(s.cursor, s.align) != s.end)
            fail("end of the last field, aligned (trailing field missing?)", NULL,
                 align_up(s.cursor, s.align), s.end);
        return;
    }
    size_t end = align_up(s.cursor, s.align);
    if (depth == 0) {
        if (end != scopes[0].end) fail("union size", NULL, end, scopes[0].end);
        return;
    }
    probe_scope *parent = &scopes[depth - 1];
    size_t want = align_up(parent->cursor, s.align);
    if (s.base != want) fail("anonymous union offset", NULL, s.base, want);
    parent->cursor = end;
}

static void end_type(void)
{
    close_scope();
    if (depth != 0) {
        fprintf(stderr, "probe: %s: %d scope(s) left open\n", cur_type, depth);
        exit(2);
    }
}

#define PROBE_MEMBER_TYPE(T, path) __typeof__(((T *)0)->path)
#define STRUCT(T) begin_type("struct", #T, sizeof(T), _Alignof(T), 0)
#define UNION(T) begin_type("union", #T, sizeof(T), _Alignof(T), 1)
#define FIELD(T, path)                                                                   \
    field_at(#path, offsetof(T, path), sizeof(((T *)0)->path),                          \
             _Alignof(PROBE_MEMBER_TYPE(T, path)))
/* A struct-typed member; its own members follow, then END(). */
#define NESTED(T, path)                                                                  \
    do {                                                                                 \
        FIELD(T, path);                                                                  \
        open_nested();                                                                   \
    } while (0)
/* An anonymous union; its members follow, then END(). */
#define ANON_UNION() open_anon_union()
#define END() close_scope()
#define END_TYPE() end_type()

/* ---------------------------------------------------------------- signatures */

static int nparams;

static void print_kind(int cls, size_t size, int is_bool, const char *cname)
{
    switch (cls) {
    case 1: /* integer, char, enum, bool */
    case 2:
    case 3:
    case 4:
        if (is_bool) printf("bool");
        else printf("i%zu", size * 8);
        return;
    case 5: /* pointer */
        printf("ptr");
        return;
    case 8: /* real */
        printf("f%zu", size * 8);
        return;
    case 12: /* struct by value */
        printf("struct:%s", cname);
        return;
    default:
        fprintf(stderr, "probe: type %s (class %d) has no kind\n", cname, cls);
        exit(2);
    }
}

#define PROBE_KIND(T)                                                                    \
    print_kind(__builtin_classify_type((T){0}), sizeof(T), _Generic((T){0}, bool : 1, default : 0), \
               #T)

static void begin_fn(const char *name)
{
    printf("function %s ret=", name);
    nparams = 0;
}

static void next_param(void)
{
    printf(nparams++ ? "," : " params=");
}

#define PROBE_PARAM(T)                                                                   \
    next_param();                                                                        \
    PROBE_KIND(T);

#define PROBE_NARGS(...) PROBE_NARGS_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define PROBE_NARGS_(a1, a2, a3, a4, a5, a6, a7, a8, n, ...) n
#define PROBE_CAT(a, b) PROBE_CAT_(a, b)
#define PROBE_CAT_(a, b) a##b
#define PROBE_EACH(m, ...) PROBE_CAT(PROBE_EACH_, PROBE_NARGS(__VA_ARGS__))(m, __VA_ARGS__)
#define PROBE_EACH_1(m, a) m(a)
#define PROBE_EACH_2(m, a, ...) m(a) PROBE_EACH_1(m, __VA_ARGS__)
#define PROBE_EACH_3(m, a, ...) m(a) PROBE_EACH_2(m, __VA_ARGS__)
#define PROBE_EACH_4(m, a, ...) m(a) PROBE_EACH_3(m, __VA_ARGS__)
#define PROBE_EACH_5(m, a, ...) m(a) PROBE_EACH_4(m, __VA_ARGS__)
#define PROBE_EACH_6(m, a, ...) m(a) PROBE_EACH_5(m, __VA_ARGS__)
#define PROBE_EACH_7(m, a, ...) m(a) PROBE_EACH_6(m, __VA_ARGS__)
#define PROBE_EACH_8(m, a, ...) m(a) PROBE_EACH_7(m, __VA_ARGS__)

#define PROBE_SAME_TYPE(name, fptype)                                                    \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&name), fptype),              \
                   "the probe's signature of " #name " differs from its declaration")

/* FN(name, R, P1, ..., Pn): R name(P1, ..., Pn), n >= 1 */
#define FN(name, R, ...)                                                                 \
    do {                                                                                 \
        PROBE_SAME_TYPE(name, R(*)(__VA_ARGS__));                                        \
        begin_fn(#name);                                                                 \
        PROBE_KIND(R);                                                                   \
        PROBE_EACH(PROBE_PARAM, __VA_ARGS__)                                             \
        putchar('\n');                                                                   \
    } while (0)

/* FN0(name, R): R name(void) */
#define FN0(name, R)                                                                     \
    do {                                                                                 \
        PROBE_SAME_TYPE(name, R(*)(void));                                               \
        begin_fn(#name);                                                                 \
        PROBE_KIND(R);                                                                   \
        printf(" params=\n");                                                            \
    } while (0)

/* FNV(name, P1, ..., Pn): void name(P1, ..., Pn), n >= 1 */
#define FNV(name, ...)                                                                   \
    do {                                                                                 \
        PROBE_SAME_TYPE(name, void (*)(__VA_ARGS__));                                    \
        begin_fn(#name);                                                                 \
        printf("void");                                                                  \
        PROBE_EACH(PROBE_PARAM, __VA_ARGS__)                                             \
        putchar('\n');                                                                   \
    } while (0)

/* ================================================================ RKLLM */
#ifdef PROBE_RKLLM

#if NPU4J_RKLLM_ABI_MAJOR != 1 || (NPU4J_RKLLM_ABI_MINOR != 2 && NPU4J_RKLLM_ABI_MINOR != 3)
#error "unknown RKLLM ABI version"
#endif

static void probe_structs(void)
{
    STRUCT(RKLLMExtendParam);
    FIELD(RKLLMExtendParam, base_domain_id);
    FIELD(RKLLMExtendParam, embed_flash);
    FIELD(RKLLMExtendParam, enabled_cpus_num);
    FIELD(RKLLMExtendParam, enabled_cpus_mask);
    FIELD(RKLLMExtendParam, n_batch);
    FIELD(RKLLMExtendParam, use_cross_attn);
    FIELD(RKLLMExtendParam, reserved);
    END_TYPE();

    STRUCT(RKLLMParam);
    FIELD(RKLLMParam, model_path);
    FIELD(RKLLMParam, max_context_len);
    FIELD(RKLLMParam, max_new_tokens);
    FIELD(RKLLMParam, top_k);
    FIELD(RKLLMParam, n_keep);
    FIELD(RKLLMParam, top_p);
    FIELD(RKLLMParam, temperature);
    FIELD(RKLLMParam, repeat_penalty);
    FIELD(RKLLMParam, frequency_penalty);
    FIELD(RKLLMParam, presence_penalty);
    FIELD(RKLLMParam, mirostat);
    FIELD(RKLLMParam, mirostat_tau);
    FIELD(RKLLMParam, mirostat_eta);
    FIELD(RKLLMParam, skip_special_token);
#if NPU4J_RKLLM_ABI_MINOR >= 3
    FIELD(RKLLMParam, ignore_eos_token);
#endif
    FIELD(RKLLMParam, is_async);
#if NPU4J_RKLLM_ABI_MINOR == 2
    FIELD(RKLLMParam, img_start);
    FIELD(RKLLMParam, img_end);
    FIELD(RKLLMParam, img_content);
#endif
    NESTED(RKLLMParam, extend_param);
    FIELD(RKLLMParam, extend_param.base_domain_id);
    FIELD(RKLLMParam, extend_param.embed_flash);
    FIELD(RKLLMParam, extend_param.enabled_cpus_num);
    FIELD(RKLLMParam, extend_param.enabled_cpus_mask);
    FIELD(RKLLMParam, extend_param.n_batch);
    FIELD(RKLLMParam, extend_param.use_cross_attn);
    FIELD(RKLLMParam, extend_param.reserved);
    END();
    END_TYPE();

    STRUCT(RKLLMLoraAdapter);
    FIELD(RKLLMLoraAdapter, lora_adapter_path);
    FIELD(RKLLMLoraAdapter, lora_adapter_name);
    FIELD(RKLLMLoraAdapter, scale);
    END_TYPE();

    STRUCT(RKLLMEmbedInput);
    FIELD(RKLLMEmbedInput, embed);
    FIELD(RKLLMEmbedInput, n_tokens);
    END_TYPE();

    STRUCT(RKLLMTokenInput);
    FIELD(RKLLMTokenInput, input_ids);
    FIELD(RKLLMTokenInput, n_tokens);
    END_TYPE();

    STRUCT(RKLLMMultiModalInput);
    FIELD(RKLLMMultiModalInput, prompt);
#if NPU4J_RKLLM_ABI_MINOR == 2
    FIELD(RKLLMMultiModalInput, image_embed);
    FIELD(RKLLMMultiModalInput, n_image_tokens);
    FIELD(RKLLMMultiModalInput, n_image);
    FIELD(RKLLMMultiModalInput, image_width);
    FIELD(RKLLMMultiModalInput, image_height);
#else
    NESTED(RKLLMMultiModalInput, image);
    FIELD(RKLLMMultiModalInput, image.image_embed);
    FIELD(RKLLMMultiModalInput, image.n_image_tokens);
    FIELD(RKLLMMultiModalInput, image.n_image);
    FIELD(RKLLMMultiModalInput, image.image_start);
    FIELD(RKLLMMultiModalInput, image.image_end);
    FIELD(RKLLMMultiModalInput, image.image_content);
    FIELD(RKLLMMultiModalInput, image.image_width);
    FIELD(RKLLMMultiModalInput, image.image_height);
    END();
    NESTED(RKLLMMultiModalInput, video);
    FIELD(RKLLMMultiModalInput, video.video_embed);
    FIELD(RKLLMMultiModalInput, video.n_frame_tokens);
    FIELD(RKLLMMultiModalInput, video.n_frame_per_video);
    FIELD(RKLLMMultiModalInput, video.n_video);
    FIELD(RKLLMMultiModalInput, video.video_start);
    FIELD(RKLLMMultiModalInput, video.video_end);
    FIELD(RKLLMMultiModalInput, video.video_content);
    FIELD(RKLLMMultiModalInput, video.frame_width);
    FIELD(RKLLMMultiModalInput, video.frame_height);
    END();
#endif
    END_TYPE();

    STRUCT(RKLLMInput);
    FIELD(RKLLMInput, role);
    FIELD(RKLLMInput, enable_thinking);
    FIELD(RKLLMInput, input_type);
    ANON_UNION();
    FIELD(RKLLMInput, prompt_input);
    NESTED(RKLLMInput, embed_input);
    FIELD(RKLLMInput, embed_input.embed);
    FIELD(RKLLMInput, embed_input.n_tokens);
    END();
    NESTED(RKLLMInput, token_input);
    FIELD(RKLLMInput, token_input.input_ids);
    FIELD(RKLLMInput, token_input.n_tokens);
    END();
    NESTED(RKLLMInput, multimodal_input);
    FIELD(RKLLMInput, multimodal_input.prompt);
#if NPU4J_RKLLM_ABI_MINOR == 2
    FIELD(RKLLMInput, multimodal_input.image_embed);
    FIELD(RKLLMInput, multimodal_input.n_image_tokens);
    FIELD(RKLLMInput, multimodal_input.n_image);
    FIELD(RKLLMInput, multimodal_input.image_width);
    FIELD(RKLLMInput, multimodal_input.image_height);
#else
    NESTED(RKLLMInput, multimodal_input.image);
    FIELD(RKLLMInput, multimodal_input.image.image_embed);
    FIELD(RKLLMInput, multimodal_input.image.n_image_tokens);
    FIELD(RKLLMInput, multimodal_input.image.n_image);
    FIELD(RKLLMInput, multimodal_input.image.image_start);
    FIELD(RKLLMInput, multimodal_input.image.image_end);
    FIELD(RKLLMInput, multimodal_input.image.image_content);
    FIELD(RKLLMInput, multimodal_input.image.image_width);
    FIELD(RKLLMInput, multimodal_input.image.image_height);
    END();
    NESTED(RKLLMInput, multimodal_input.video);
    FIELD(RKLLMInput, multimodal_input.video.video_embed);
    FIELD(RKLLMInput, multimodal_input.video.n_frame_tokens);
    FIELD(RKLLMInput, multimodal_input.video.n_frame_per_video);
    FIELD(RKLLMInput, multimodal_input.video.n_video);
    FIELD(RKLLMInput, multimodal_input.video.video_start);
    FIELD(RKLLMInput, multimodal_input.video.video_end);
    FIELD(RKLLMInput, multimodal_input.video.video_content);
    FIELD(RKLLMInput, multimodal_input.video.frame_width);
    FIELD(RKLLMInput, multimodal_input.video.frame_height);
    END();
#endif
    END(); /* multimodal_input */
    END(); /* anonymous union */
    END_TYPE();

    STRUCT(RKLLMLoraParam);
    FIELD(RKLLMLoraParam, lora_adapter_name);
    END_TYPE();

    STRUCT(RKLLMPromptCacheParam);
    FIELD(RKLLMPromptCacheParam, save_prompt_cache);
    FIELD(RKLLMPromptCacheParam, prompt_cache_path);
    END_TYPE();

    STRUCT(RKLLMCrossAttnParam);
    FIELD(RKLLMCrossAttnParam, encoder_k_cache);
    FIELD(RKLLMCrossAttnParam, encoder_v_cache);
    FIELD(RKLLMCrossAttnParam, encoder_mask);
    FIELD(RKLLMCrossAttnParam, encoder_pos);
    FIELD(RKLLMCrossAttnParam, num_tokens);
    END_TYPE();

#if NPU4J_RKLLM_ABI_MINOR >= 3
    STRUCT(RKLLMSamplingParam);
    FIELD(RKLLMSamplingParam, top_k);
    FIELD(RKLLMSamplingParam, top_p);
    FIELD(RKLLMSamplingParam, temperature);
    FIELD(RKLLMSamplingParam, repeat_penalty);
    FIELD(RKLLMSamplingParam, frequency_penalty);
    FIELD(RKLLMSamplingParam, presence_penalty);
    FIELD(RKLLMSamplingParam, mirostat);
    FIELD(RKLLMSamplingParam, mirostat_tau);
    FIELD(RKLLMSamplingParam, mirostat_eta);
    END_TYPE();
#endif

    STRUCT(RKLLMInferParam);
    FIELD(RKLLMInferParam, mode);
    FIELD(RKLLMInferParam, lora_params);
    FIELD(RKLLMInferParam, prompt_cache_params);
#if NPU4J_RKLLM_ABI_MINOR >= 3
    FIELD(RKLLMInferParam, sampling_params);
#endif
    FIELD(RKLLMInferParam, keep_history);
#if NPU4J_RKLLM_ABI_MINOR >= 3
    FIELD(RKLLMInferParam, max_new_tokens);
#endif
    END_TYPE();

    STRUCT(RKLLMResultLastHiddenLayer);
    FIELD(RKLLMResultLastHiddenLayer, hidden_states);
    FIELD(RKLLMResultLastHiddenLayer, embd_size);
    FIELD(RKLLMResultLastHiddenLayer, num_tokens);
    END_TYPE();

    STRUCT(RKLLMResultLogits);
    FIELD(RKLLMResultLogits, logits);
    FIELD(RKLLMResultLogits, vocab_size);
    FIELD(RKLLMResultLogits, num_tokens);
    END_TYPE();

    STRUCT(RKLLMPerfStat);
    FIELD(RKLLMPerfStat, prefill_time_ms);
    FIELD(RKLLMPerfStat, prefill_tokens);
    FIELD(RKLLMPerfStat, generate_time_ms);
    FIELD(RKLLMPerfStat, generate_tokens);
    FIELD(RKLLMPerfStat, memory_usage_mb);
    END_TYPE();

    STRUCT(RKLLMResult);
    FIELD(RKLLMResult, text);
    FIELD(RKLLMResult, token_id);
    NESTED(RKLLMResult, last_hidden_layer);
    FIELD(RKLLMResult, last_hidden_layer.hidden_states);
    FIELD(RKLLMResult, last_hidden_layer.embd_size);
    FIELD(RKLLMResult, last_hidden_layer.num_tokens);
    END();
    NESTED(RKLLMResult, logits);
    FIELD(RKLLMResult, logits.logits);
    FIELD(RKLLMResult, logits.vocab_size);
    FIELD(RKLLMResult, logits.num_tokens);
    END();
    NESTED(RKLLMResult, perf);
    FIELD(RKLLMResult, perf.prefill_time_ms);
    FIELD(RKLLMResult, perf.prefill_tokens);
    FIELD(RKLLMResult, perf.generate_time_ms);
    FIELD(RKLLMResult, perf.generate_tokens);
    FIELD(RKLLMResult, perf.memory_usage_mb);
    END();
    END_TYPE();

#if NPU4J_RKLLM_ABI_MINOR >= 3
    STRUCT(RKLLMCallback);
    FIELD(RKLLMCallback, result_callback);
    FIELD(RKLLMCallback, result_userdata);
    FIELD(RKLLMCallback, tokenizer_callback);
    FIELD(RKLLMCallback, tokenizer_userdata);
    FIELD(RKLLMCallback, embed_callback);
    FIELD(RKLLMCallback, embed_userdata);
    END_TYPE();
#endif
}

static void probe_functions(void)
{
    FN0(rkllm_createDefaultParam, RKLLMParam);
#if NPU4J_RKLLM_ABI_MINOR == 2
    FN(rkllm_init, int, LLMHandle *, RKLLMParam *, LLMResultCallback);
#else
    FN(rkllm_init, int, LLMHandle *, RKLLMParam *, RKLLMCallback *);
#endif
    FN(rkllm_load_lora, int, LLMHandle, RKLLMLoraAdapter *);
    FN(rkllm_load_prompt_cache, int, LLMHandle, const char *);
    FN(rkllm_release_prompt_cache, int, LLMHandle);
    FN(rkllm_destroy, int, LLMHandle);
    FN(rkllm_run, int, LLMHandle, RKLLMInput *, RKLLMInferParam *, void *);
    FN(rkllm_run_async, int, LLMHandle, RKLLMInput *, RKLLMInferParam *, void *);
    FN(rkllm_abort, int, LLMHandle);
    FN(rkllm_is_running, int, LLMHandle);
    FN(rkllm_clear_kv_cache, int, LLMHandle, int, int *, int *);
    FN(rkllm_get_kv_cache_size, int, LLMHandle, int *);
    FN(rkllm_set_chat_template, int, LLMHandle, const char *, const char *, const char *);
    FN(rkllm_set_function_tools, int, LLMHandle, const char *, const char *, const char *);
    FN(rkllm_set_cross_attn_params, int, LLMHandle, RKLLMCrossAttnParam *);
}

#endif /* PROBE_RKLLM */

/* ================================================================ AXCL */
#ifdef PROBE_AXCL

#if NPU4J_AXCL_ABI_MAJOR != 3
#error "unknown AXCL ABI version"
#endif

/* Each error-code literal is an int and follows the building rule. */
#define CODE(name, sub, id)                                                              \
    _Static_assert(__builtin_types_compatible_p(__typeof__(name), int) &&                \
                       (name) == AXCL_DEF_RUNTIME_ERR(sub, id),                          \
                   #name " does not follow the error-code rule")

CODE(AXCL_ERR_DEVICE_NULL_POINTER, AXCL_RUNTIME_DEVICE, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_DEVICE_OPEN, AXCL_RUNTIME_DEVICE, AXCL_ERR_OPEN);
CODE(AXCL_ERR_DEVICE_UNSUPPORT, AXCL_RUNTIME_DEVICE, AXCL_ERR_UNSUPPORT);
CODE(AXCL_ERR_DEVICE_QUERY_DEVICE, AXCL_RUNTIME_DEVICE, 0x80);
CODE(AXCL_ERR_DEVICE_NO_CONNECT, AXCL_RUNTIME_DEVICE, 0x81);
CODE(AXCL_ERR_DEVICE_PROBE, AXCL_RUNTIME_DEVICE, 0x82);
CODE(AXCL_ERR_DEVICE_NOT_ACTIVE, AXCL_RUNTIME_DEVICE, 0x83);
CODE(AXCL_ERR_DEVICE_INVALID_ID, AXCL_RUNTIME_DEVICE, 0x84);
CODE(AXCL_ERR_DEVICE_NO_ACTIVE_DEVICE, AXCL_RUNTIME_DEVICE, 0x85);
CODE(AXCL_ERR_DEVICE_PORT_ALLOCATE, AXCL_RUNTIME_DEVICE, 0x86);
CODE(AXCL_ERR_DEVICE_REBOOT, AXCL_RUNTIME_DEVICE, 0x87);
CODE(AXCL_ERR_DEVICE_PORT_DESTROY, AXCL_RUNTIME_DEVICE, 0x88);

CODE(AXCL_ERR_CONTEXT_NULL_POINTER, AXCL_RUNTIME_CONTEXT, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_CONTEXT_CREATE, AXCL_RUNTIME_CONTEXT, 0x81);
CODE(AXCL_ERR_CONTEXT_DESTROY, AXCL_RUNTIME_CONTEXT, 0x82);
CODE(AXCL_ERR_CONTEXT_BIND_THREAD, AXCL_RUNTIME_CONTEXT, 0x83);
CODE(AXCL_ERR_CONTEXT_NO_BIND_CONTEXT, AXCL_RUNTIME_CONTEXT, 0x84);

CODE(AXCL_ERR_STREAM_NULL_POINTER, AXCL_RUNTIME_STREAM, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_STREAM_TIMEOUT, AXCL_RUNTIME_STREAM, AXCL_ERR_TIMEOUT);
CODE(AXCL_ERR_STREAM_CREATE, AXCL_RUNTIME_STREAM, 0x81);
CODE(AXCL_ERR_STREAM_DESTROY, AXCL_RUNTIME_STREAM, 0x82);
CODE(AXCL_ERR_STREAM_SYNC_TIMEOUT, AXCL_RUNTIME_STREAM, 0x83);

CODE(AXCL_ERR_MEMORY_NULL_POINTER, AXCL_RUNTIME_MEMORY, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_MEMORY_ENCODE, AXCL_RUNTIME_MEMORY, AXCL_ERR_ENCODE);
CODE(AXCL_ERR_MEMORY_DECODE, AXCL_RUNTIME_MEMORY, AXCL_ERR_DECODE);
CODE(AXCL_ERR_MEMORY_UNEXPECT_RESPONSE, AXCL_RUNTIME_MEMORY, AXCL_ERR_UNEXPECT_RESPONSE);
CODE(AXCL_ERR_MEMORY_EXECUTE_FAIL, AXCL_RUNTIME_MEMORY, AXCL_ERR_EXECUTE_FAIL);
CODE(AXCL_ERR_MEMORY_NOT_DEVICE_MEMORY, AXCL_RUNTIME_MEMORY, 0x81);

CODE(AXCL_ERR_ENGINE_NULL_POINTER, AXCL_RUNTIME_ENGINE, AXCL_ERR_NULL_POINTER);
CODE(AXCL_ERR_ENGINE_ILLEGAL_PARAM, AXCL_RUNTIME_ENGINE, AXCL_ERR_ILLEGAL_PARAM);
CODE(AXCL_ERR_ENGINE_AXCL_UNSUPPORTED, AXCL_RUNTIME_ENGINE, AXCL_ERR_UNSUPPORT);
CODE(AXCL_ERR_ENGINE_ENCODE, AXCL_RUNTIME_ENGINE, AXCL_ERR_ENCODE);
CODE(AXCL_ERR_ENGINE_DECODE, AXCL_RUNTIME_ENGINE, AXCL_ERR_DECODE);
CODE(AXCL_ERR_ENGINE_UNEXPECT_RESPONSE, AXCL_RUNTIME_ENGINE, AXCL_ERR_UNEXPECT_RESPONSE);
CODE(AXCL_ERR_ENGINE_EXECUTE_FAIL, AXCL_RUNTIME_ENGINE, AXCL_ERR_EXECUTE_FAIL);
CODE(AXCL_ERR_ENGINE_INVALID_INDEX, AXCL_RUNTIME_ENGINE, 0x81);

/* The value seen from axclInit on a host without the card (boards.md). */
_Static_assert(AXCL_ERR_DEVICE_OPEN == (axclError)0x8030010Bu, "device/open code");

static void probe_structs(void)
{
    STRUCT(axclrtDeviceProperties);
    FIELD(axclrtDeviceProperties, swVersion);
    FIELD(axclrtDeviceProperties, uid);
    FIELD(axclrtDeviceProperties, pciDomain);
    FIELD(axclrtDeviceProperties, pciBusID);
    FIELD(axclrtDeviceProperties, pciDeviceID);
    FIELD(axclrtDeviceProperties, temperature);
    FIELD(axclrtDeviceProperties, totalMemSize);
    FIELD(axclrtDeviceProperties, freeMemSize);
    FIELD(axclrtDeviceProperties, totalCmmSize);
    FIELD(axclrtDeviceProperties, freeCmmSize);
    FIELD(axclrtDeviceProperties, cpuLoading);
    FIELD(axclrtDeviceProperties, npuLoading);
    FIELD(axclrtDeviceProperties, reserved);
    END_TYPE();

    STRUCT(axclrtDeviceList);
    FIELD(axclrtDeviceList, num);
    FIELD(axclrtDeviceList, devices);
    END_TYPE();

    STRUCT(axclrtEngineIODims);
    FIELD(axclrtEngineIODims, dimCount);
    FIELD(axclrtEngineIODims, dims);
    END_TYPE();
}

static void probe_functions(void)
{
    /* axcl.h */
    FN(axclInit, axclError, const char *);
    FN0(axclFinalize, axclError);
    FN(axclSetLogLevel, axclError, int32_t);

    /* axcl_rt.h */
    FN(axclrtGetVersion, axclError, int32_t *, int32_t *, int32_t *);
    FN0(axclrtGetFullVersion, const char *);
    FN0(axclrtGetSocName, const char *);

    /* axcl_rt_device.h */
    FN(axclrtSetDevice, axclError, int32_t);
    FN(axclrtResetDevice, axclError, int32_t);
    FN(axclrtGetDevice, axclError, int32_t *);
    FN(axclrtGetDeviceCount, axclError, uint32_t *);
    FN(axclrtGetDeviceList, axclError, axclrtDeviceList *);
    FN0(axclrtSynchronizeDevice, axclError);
    FN(axclrtGetDeviceProperties, axclError, int32_t, axclrtDeviceProperties *);

    /* axcl_rt_context.h */
    FN(axclrtCreateContext, axclError, axclrtContext *, int32_t);
    FN(axclrtDestroyContext, axclError, axclrtContext);
    FN(axclrtSetCurrentContext, axclError, axclrtContext);
    FN(axclrtGetCurrentContext, axclError, axclrtContext *);

    /* axcl_rt_stream.h */
    FN(axclrtCreateStream, axclError, axclrtStream *);
    FN(axclrtDestroyStream, axclError, axclrtStream);
    FN(axclrtDestroyStreamForce, axclError, axclrtStream);
    FN(axclrtSynchronizeStream, axclError, axclrtStream);
    FN(axclrtSynchronizeStreamWithTimeout, axclError, axclrtStream, int32_t);

    /* axcl_rt_memory.h */
    FN(axclrtMalloc, axclError, void **, size_t, axclrtMemMallocPolicy);
    FN(axclrtMallocCached, axclError, void **, size_t, axclrtMemMallocPolicy);
    FN(axclrtFree, axclError, void *);
    FN(axclrtMemFlush, axclError, void *, size_t);
    FN(axclrtMemInvalidate, axclError, void *, size_t);
    FN(axclrtMallocHost, axclError, void **, size_t);
    FN(axclrtFreeHost, axclError, void *);
    FN(axclrtMemset, axclError, void *, uint8_t, size_t);
    FN(axclrtMemcpy, axclError, void *, const void *, size_t, axclrtMemcpyKind);
    FN(axclrtMemcmp, axclError, const void *, const void *, size_t);
    FN(axclrtMemsetAsync, axclError, void *, uint8_t, size_t, axclrtStream);
    FN(axclrtMemcpyAsync, axclError, void *, const void *, size_t, axclrtMemcpyKind, axclrtStream);
    FN(axclrtMemcmpAsync, axclError, const void *, const void *, size_t, axclrtStream);

    /* axcl_rt_engine.h */
    FN(axclrtEngineInit, axclError, axclrtEngineVNpuKind);
    FN(axclrtEngineGetVNpuKind, axclError, axclrtEngineVNpuKind *);
    FN0(axclrtEngineFinalize, axclError);
    FN(axclrtEngineLoadFromFile, axclError, const char *, uint64_t *);
    FN(axclrtEngineLoadFromMem, axclError, const void *, uint64_t, uint64_t *);
    FN(axclrtEngineUnload, axclError, uint64_t);
    FN(axclrtEngineGetModelCompilerVersion, const char *, uint64_t);
    FN(axclrtEngineSetAffinity, axclError, uint64_t, axclrtEngineSet);
    FN(axclrtEngineGetAffinity, axclError, uint64_t, axclrtEngineSet *);
    FN(axclrtEngineSetContextAffinity, axclError, uint64_t, uint64_t, axclrtEngineSet);
    FN(axclrtEngineGetContextAffinity, axclError, uint64_t, uint64_t, axclrtEngineSet *);
    FN(axclrtEngineGetUsage, axclError, const char *, int64_t *, int64_t *);
    FN(axclrtEngineGetUsageFromMem, axclError, const void *, uint64_t, int64_t *, int64_t *);
    FN(axclrtEngineGetUsageFromModelId, axclError, uint64_t, int64_t *, int64_t *);
    FN(axclrtEngineGetModelType, axclError, const char *, axclrtEngineModelKind *);
    FN(axclrtEngineGetModelTypeFromMem, axclError, const void *, uint64_t, axclrtEngineModelKind *);
    FN(axclrtEngineGetModelTypeFromModelId, axclError, uint64_t, axclrtEngineModelKind *);
    FN(axclrtEngineGetIOInfo, axclError, uint64_t, axclrtEngineIOInfo *);
    FN(axclrtEngineDestroyIOInfo, axclError, axclrtEngineIOInfo);
    FN(axclrtEngineGetShapeGroupsCount, axclError, axclrtEngineIOInfo, int32_t *);
    FN(axclrtEngineGetNumInputs, uint32_t, axclrtEngineIOInfo);
    FN(axclrtEngineGetNumOutputs, uint32_t, axclrtEngineIOInfo);
    FN(axclrtEngineGetInputSizeByIndex, uint64_t, axclrtEngineIOInfo, uint32_t, uint32_t);
    FN(axclrtEngineGetOutputSizeByIndex, uint64_t, axclrtEngineIOInfo, uint32_t, uint32_t);
    FN(axclrtEngineGetInputNameByIndex, const char *, axclrtEngineIOInfo, uint32_t);
    FN(axclrtEngineGetOutputNameByIndex, const char *, axclrtEngineIOInfo, uint32_t);
    FN(axclrtEngineGetInputIndexByName, int32_t, axclrtEngineIOInfo, const char *);
    FN(axclrtEngineGetOutputIndexByName, int32_t, axclrtEngineIOInfo, const char *);
    FN(axclrtEngineGetInputDims, axclError, axclrtEngineIOInfo, uint32_t, uint32_t,
       axclrtEngineIODims *);
    FN(axclrtEngineGetInputDataType, axclError, axclrtEngineIOInfo, uint32_t,
       axclrtEngineDataType *);
    FN(axclrtEngineGetOutputDataType, axclError, axclrtEngineIOInfo, uint32_t,
       axclrtEngineDataType *);
    FN(axclrtEngineGetInputDataLayout, axclError, axclrtEngineIOInfo, uint32_t,
       axclrtEngineDataLayout *);
    FN(axclrtEngineGetOutputDataLayout, axclError, axclrtEngineIOInfo, uint32_t,
       axclrtEngineDataLayout *);
    FN(axclrtEngineGetOutputDims, axclError, axclrtEngineIOInfo, uint32_t, uint32_t,
       axclrtEngineIODims *);
    FN(axclrtEngineCreateIO, axclError, axclrtEngineIOInfo, axclrtEngineIO *);
    FN(axclrtEngineDestroyIO, axclError, axclrtEngineIO);
    FN(axclrtEngineSetInputBufferByIndex, axclError, axclrtEngineIO, uint32_t, const void *,
       uint64_t);
    FN(axclrtEngineSetOutputBufferByIndex, axclError, axclrtEngineIO, uint32_t, const void *,
       uint64_t);
    FN(axclrtEngineSetInputBufferByName, axclError, axclrtEngineIO, const char *, const void *,
       uint64_t);
    FN(axclrtEngineSetOutputBufferByName, axclError, axclrtEngineIO, const char *, const void *,
       uint64_t);
    FN(axclrtEngineGetInputBufferByIndex, axclError, axclrtEngineIO, uint32_t, void **,
       uint64_t *);
    FN(axclrtEngineGetOutputBufferByIndex, axclError, axclrtEngineIO, uint32_t, void **,
       uint64_t *);
    FN(axclrtEngineGetInputBufferByName, axclError, axclrtEngineIO, const char *, void **,
       uint64_t *);
    FN(axclrtEngineGetOutputBufferByName, axclError, axclrtEngineIO, const char *, void **,
       uint64_t *);
    FN(axclrtEngineSetDynamicBatchSize, axclError, axclrtEngineIO, uint32_t);
    FN(axclrtEngineCreateContext, axclError, uint64_t, uint64_t *);
    FN(axclrtEngineExecute, axclError, uint64_t, uint64_t, uint32_t, axclrtEngineIO);
    FN(axclrtEngineExecuteAsync, axclError, uint64_t, uint64_t, uint32_t, axclrtEngineIO,
       axclrtStream);
}

#endif /* PROBE_AXCL */

#ifdef PROBE_RKNN

#if NPU4J_RKNN_ABI_MAJOR != 2
#error "unknown RKNN ABI version"
#endif

/* The published LP64 layout (shared/facts/rknn.md, "Structs"): a header edit
 * that moves a field fails the build here, before any Java test runs. */
#if defined(__LP64__)
#define AT(T, f, off) _Static_assert(offsetof(T, f) == (off), #T "." #f " offset")
#define SIZE(T, n) _Static_assert(sizeof(T) == (n), #T " size")
SIZE(rknn_input_output_num, 8);
SIZE(rknn_tensor_attr, 376);
AT(rknn_tensor_attr, dims, 8);
AT(rknn_tensor_attr, name, 72);
AT(rknn_tensor_attr, n_elems, 328);
AT(rknn_tensor_attr, size, 332);
AT(rknn_tensor_attr, fmt, 336);
AT(rknn_tensor_attr, type, 340);
AT(rknn_tensor_attr, qnt_type, 344);
AT(rknn_tensor_attr, fl, 348);
AT(rknn_tensor_attr, zp, 352);
AT(rknn_tensor_attr, scale, 356);
AT(rknn_tensor_attr, w_stride, 360);
AT(rknn_tensor_attr, size_with_stride, 364);
AT(rknn_tensor_attr, pass_through, 368);
AT(rknn_tensor_attr, h_stride, 372);
SIZE(rknn_input_range, 33040);
AT(rknn_input_range, dyn_range, 268);
SIZE(rknn_perf_detail, 16);
SIZE(rknn_perf_run, 8);
SIZE(rknn_sdk_version, 512);
SIZE(rknn_mem_size, 64);
AT(rknn_mem_size, total_dma_allocated_size, 8);
AT(rknn_mem_size, total_sram_size, 16);
AT(rknn_mem_size, free_sram_size, 20);
SIZE(rknn_custom_string, 1024);
SIZE(rknn_tensor_mem, 40);
AT(rknn_tensor_mem, fd, 16);
AT(rknn_tensor_mem, size, 24);
AT(rknn_tensor_mem, priv_data, 32);
SIZE(rknn_input, 32);
AT(rknn_input, buf, 8);
AT(rknn_input, size, 16);
AT(rknn_input, pass_through, 20);
AT(rknn_input, type, 24);
AT(rknn_input, fmt, 28);
SIZE(rknn_output, 24);
AT(rknn_output, is_prealloc, 1);
AT(rknn_output, index, 4);
AT(rknn_output, buf, 8);
AT(rknn_output, size, 16);
SIZE(rknn_init_extend, 136);
AT(rknn_init_extend, real_model_offset, 8);
AT(rknn_init_extend, model_buffer_fd, 16);
AT(rknn_init_extend, model_buffer_flags, 20);
AT(rknn_init_extend, reserved, 24);
SIZE(rknn_run_extend, 24);
SIZE(rknn_output_extend, 8);
SIZE(rknn_context, 8);
SIZE(rknn_matmul_info, 64);
AT(rknn_matmul_info, B_layout, 16);
AT(rknn_matmul_info, iommu_domain_id, 24);
AT(rknn_matmul_info, group_size, 28);
AT(rknn_matmul_info, reserved, 30);
SIZE(rknn_matmul_tensor_attr, 332);
AT(rknn_matmul_tensor_attr, dims, 260);
AT(rknn_matmul_tensor_attr, size, 324);
SIZE(rknn_matmul_io_attr, 996);
SIZE(rknn_quant_params, 288);
AT(rknn_quant_params, scale, 256);
AT(rknn_quant_params, zp, 272);
SIZE(rknn_matmul_shape, 12);
#undef AT
#undef SIZE
#endif
_Static_assert(RKNN_NPU_CORE_0_1_2 == 7 && RKNN_NPU_CORE_ALL == 0xffff &&
                   RKNN_NPU_CORE_UNDEFINED == 0x10000,
               "core mask values");
_Static_assert(RKNN_QUERY_NATIVE_NHWC_OUTPUT_ATTR == 11 && RKNN_QUERY_CMD_MAX == 18,
               "query command values");
_Static_assert(RKNN_TENSOR_BFLOAT16 == 11 && RKNN_TENSOR_FORMAT_MAX == 4, "type and format values");

static void probe_structs(void)
{
    STRUCT(rknn_input_output_num);
    FIELD(rknn_input_output_num, n_input);
    FIELD(rknn_input_output_num, n_output);
    END_TYPE();

    STRUCT(rknn_tensor_attr);
    FIELD(rknn_tensor_attr, index);
    FIELD(rknn_tensor_attr, n_dims);
    FIELD(rknn_tensor_attr, dims);
    FIELD(rknn_tensor_attr, name);
    FIELD(rknn_tensor_attr, n_elems);
    FIELD(rknn_tensor_attr, size);
    FIELD(rknn_tensor_attr, fmt);
    FIELD(rknn_tensor_attr, type);
    FIELD(rknn_tensor_attr, qnt_type);
    FIELD(rknn_tensor_attr, fl);
    FIELD(rknn_tensor_attr, zp);
    FIELD(rknn_tensor_attr, scale);
    FIELD(rknn_tensor_attr, w_stride);
    FIELD(rknn_tensor_attr, size_with_stride);
    FIELD(rknn_tensor_attr, pass_through);
    FIELD(rknn_tensor_attr, h_stride);
    END_TYPE();

    STRUCT(rknn_input_range);
    FIELD(rknn_input_range, index);
    FIELD(rknn_input_range, shape_number);
    FIELD(rknn_input_range, fmt);
    FIELD(rknn_input_range, name);
    FIELD(rknn_input_range, dyn_range);
    FIELD(rknn_input_range, n_dims);
    END_TYPE();

    STRUCT(rknn_perf_detail);
    FIELD(rknn_perf_detail, perf_data);
    FIELD(rknn_perf_detail, data_len);
    END_TYPE();

    STRUCT(rknn_perf_run);
    FIELD(rknn_perf_run, run_duration);
    END_TYPE();

    STRUCT(rknn_sdk_version);
    FIELD(rknn_sdk_version, api_version);
    FIELD(rknn_sdk_version, drv_version);
    END_TYPE();

    STRUCT(rknn_mem_size);
    FIELD(rknn_mem_size, total_weight_size);
    FIELD(rknn_mem_size, total_internal_size);
    FIELD(rknn_mem_size, total_dma_allocated_size);
    FIELD(rknn_mem_size, total_sram_size);
    FIELD(rknn_mem_size, free_sram_size);
    FIELD(rknn_mem_size, reserved);
    END_TYPE();

    STRUCT(rknn_custom_string);
    FIELD(rknn_custom_string, string);
    END_TYPE();

    STRUCT(rknn_tensor_mem);
    FIELD(rknn_tensor_mem, virt_addr);
    FIELD(rknn_tensor_mem, phys_addr);
    FIELD(rknn_tensor_mem, fd);
    FIELD(rknn_tensor_mem, offset);
    FIELD(rknn_tensor_mem, size);
    FIELD(rknn_tensor_mem, flags);
    FIELD(rknn_tensor_mem, priv_data);
    END_TYPE();

    STRUCT(rknn_input);
    FIELD(rknn_input, index);
    FIELD(rknn_input, buf);
    FIELD(rknn_input, size);
    FIELD(rknn_input, pass_through);
    FIELD(rknn_input, type);
    FIELD(rknn_input, fmt);
    END_TYPE();

    STRUCT(rknn_output);
    FIELD(rknn_output, want_float);
    FIELD(rknn_output, is_prealloc);
    FIELD(rknn_output, index);
    FIELD(rknn_output, buf);
    FIELD(rknn_output, size);
    END_TYPE();

    STRUCT(rknn_init_extend);
    FIELD(rknn_init_extend, ctx);
    FIELD(rknn_init_extend, real_model_offset);
    FIELD(rknn_init_extend, real_model_size);
    FIELD(rknn_init_extend, model_buffer_fd);
    FIELD(rknn_init_extend, model_buffer_flags);
    FIELD(rknn_init_extend, reserved);
    END_TYPE();

    STRUCT(rknn_run_extend);
    FIELD(rknn_run_extend, frame_id);
    FIELD(rknn_run_extend, non_block);
    FIELD(rknn_run_extend, timeout_ms);
    FIELD(rknn_run_extend, fence_fd);
    END_TYPE();

    STRUCT(rknn_quant_params);
    FIELD(rknn_quant_params, name);
    FIELD(rknn_quant_params, scale);
    FIELD(rknn_quant_params, scale_len);
    FIELD(rknn_quant_params, zp);
    FIELD(rknn_quant_params, zp_len);
    END_TYPE();

    STRUCT(rknn_matmul_tensor_attr);
    FIELD(rknn_matmul_tensor_attr, name);
    FIELD(rknn_matmul_tensor_attr, n_dims);
    FIELD(rknn_matmul_tensor_attr, dims);
    FIELD(rknn_matmul_tensor_attr, size);
    FIELD(rknn_matmul_tensor_attr, type);
    END_TYPE();

    STRUCT(rknn_matmul_io_attr);
    NESTED(rknn_matmul_io_attr, A);
    FIELD(rknn_matmul_io_attr, A.name);
    FIELD(rknn_matmul_io_attr, A.n_dims);
    FIELD(rknn_matmul_io_attr, A.dims);
    FIELD(rknn_matmul_io_attr, A.size);
    FIELD(rknn_matmul_io_attr, A.type);
    END();
    NESTED(rknn_matmul_io_attr, B);
    FIELD(rknn_matmul_io_attr, B.name);
    FIELD(rknn_matmul_io_attr, B.n_dims);
    FIELD(rknn_matmul_io_attr, B.dims);
    FIELD(rknn_matmul_io_attr, B.size);
    FIELD(rknn_matmul_io_attr, B.type);
    END();
    NESTED(rknn_matmul_io_attr, C);
    FIELD(rknn_matmul_io_attr, C.name);
    FIELD(rknn_matmul_io_attr, C.n_dims);
    FIELD(rknn_matmul_io_attr, C.dims);
    FIELD(rknn_matmul_io_attr, C.size);
    FIELD(rknn_matmul_io_attr, C.type);
    END();
    END_TYPE();

    STRUCT(rknn_matmul_shape);
    FIELD(rknn_matmul_shape, M);
    FIELD(rknn_matmul_shape, K);
    FIELD(rknn_matmul_shape, N);
    END_TYPE();

    STRUCT(rknn_matmul_info);
    FIELD(rknn_matmul_info, M);
    FIELD(rknn_matmul_info, K);
    FIELD(rknn_matmul_info, N);
    FIELD(rknn_matmul_info, type);
    FIELD(rknn_matmul_info, B_layout);
    FIELD(rknn_matmul_info, B_quant_type);
    FIELD(rknn_matmul_info, AC_layout);
    FIELD(rknn_matmul_info, AC_quant_type);
    FIELD(rknn_matmul_info, iommu_domain_id);
    FIELD(rknn_matmul_info, group_size);
    FIELD(rknn_matmul_info, reserved);
    END_TYPE();

    STRUCT(rknn_output_extend);
    FIELD(rknn_output_extend, frame_id);
    END_TYPE();
}

static void probe_functions(void)
{
    FN(rknn_init, int, rknn_context *, void *, uint32_t, uint32_t, rknn_init_extend *);
    FN(rknn_dup_context, int, rknn_context *, rknn_context *);
    FN(rknn_destroy, int, rknn_context);
    FN(rknn_query, int, rknn_context, rknn_query_cmd, void *, uint32_t);
    FN(rknn_inputs_set, int, rknn_context, uint32_t, rknn_input *);
    FN(rknn_set_batch_core_num, int, rknn_context, int);
    FN(rknn_set_core_mask, int, rknn_context, rknn_core_mask);
    FN(rknn_run, int, rknn_context, rknn_run_extend *);
    FN(rknn_wait, int, rknn_context, rknn_run_extend *);
    FN(rknn_outputs_get, int, rknn_context, uint32_t, rknn_output *, rknn_output_extend *);
    FN(rknn_outputs_release, int, rknn_context, uint32_t, rknn_output *);
    FN(rknn_create_mem_from_phys, rknn_tensor_mem *, rknn_context, uint64_t, void *, uint32_t);
    FN(rknn_create_mem_from_fd, rknn_tensor_mem *, rknn_context, int32_t, void *, uint32_t,
       int32_t);
    FN(rknn_create_mem, rknn_tensor_mem *, rknn_context, uint32_t);
    FN(rknn_create_mem2, rknn_tensor_mem *, rknn_context, uint64_t, uint64_t);
    FN(rknn_destroy_mem, int, rknn_context, rknn_tensor_mem *);
    FN(rknn_set_weight_mem, int, rknn_context, rknn_tensor_mem *);
    FN(rknn_set_internal_mem, int, rknn_context, rknn_tensor_mem *);
    FN(rknn_set_io_mem, int, rknn_context, rknn_tensor_mem *, rknn_tensor_attr *);
    FN(rknn_set_input_shapes, int, rknn_context, uint32_t, rknn_tensor_attr *);
    FN(rknn_mem_sync, int, rknn_context, rknn_tensor_mem *, rknn_mem_sync_mode);
    FN(rknn_matmul_create, int, rknn_matmul_ctx *, rknn_matmul_info *, rknn_matmul_io_attr *);
    FN(rknn_matmul_create_dynamic_shape, int, rknn_matmul_ctx *, rknn_matmul_info *, int,
       rknn_matmul_shape *, rknn_matmul_io_attr *);
    FN(rknn_matmul_set_io_mem, int, rknn_matmul_ctx, rknn_tensor_mem *, rknn_matmul_tensor_attr *);
    FN(rknn_matmul_set_core_mask, int, rknn_matmul_ctx, rknn_core_mask);
    FN(rknn_matmul_set_quant_params, int, rknn_matmul_ctx, rknn_quant_params *);
    FN(rknn_matmul_get_quant_params, int, rknn_matmul_ctx, rknn_quant_params *, float *);
    FN(rknn_matmul_set_dynamic_shape, int, rknn_matmul_ctx, rknn_matmul_shape *);
    FN(rknn_matmul_run, int, rknn_matmul_ctx);
    FN(rknn_matmul_destroy, int, rknn_matmul_ctx);
    FN(rknn_B_normal_layout_to_native_layout, int, void *, void *, int, int, rknn_matmul_info *);
}

#endif /* PROBE_RKNN */

int main(void)
{
    probe_structs();
    probe_functions();
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "probe: write error\n");
        return 2;
    }
    if (failures) {
        fprintf(stderr, "probe: %d layout check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
