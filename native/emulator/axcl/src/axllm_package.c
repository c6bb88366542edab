/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Writes an emulated ax-llm (G3 layout) model package: one descriptor per
 * decoder layer with the real IO names, shapes and shape groups, the post
 * model, the headerless bf16 embedding table, config.json, post_config.json
 * and the tokenizer in both formats (README.md, "Emulated LLM packages").
 *
 * Timing (descriptor group times) is calibrated so that the vendor's
 * mid-2025 call pattern reproduces the published CM3588 rows; the
 * arithmetic is in README.md, "Calibration".
 */
#include "axemu.h"
#include "axllm.h"
#include "npu4j_axcl_emulator.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct llm_profile {
    const char *name;
    const char *model_name;
    const char *arch;     /* file name prefix */
    int layers, hidden, kv;
    int capacity;         /* decode context capacity C (mask C + 1) */
    int chunk;            /* prefill chunk P */
    int ncaps;
    int caps[8];          /* prefill groups' history capacities (group 1 first) */
    int rows;             /* embedding rows (tokens_embed_num); 0 = just above the vocabulary */
    int special_base;     /* id of <|endoftext|>; 0 = right after the regular tokens */
    bool suffixed;        /* prefill tensor names carry "_<group>" */
    const char *layer_usage, *post_usage;
    /* ms: decode layer, prefill layer (per chunk), post; default / tuned / native */
    double decode_ms[3], prefill_ms[3], post_ms[3];
    const char *tokenizer_type; /* NULL: Qwen3 */
    /* VLM: a vision encoder of vision_size x vision_size pixels (0: none) */
    const char *vlm_type;
    int vision_size, vision_patch, vision_merge;
    const char *vision_usage;
    double vision_ms[3];
    bool mrope;           /* prefill indices [3, P]: temporal, height, width rows (Qwen-VL) */
    int deepstack;        /* encoder outputs after the first: Qwen3-VL deepstack features */
};

/* Qwen3-0.6B as Axera's current HF package (shared/facts/axllm.md); times
 * from shared/facts/boards.md and the calibration in README.md. */
static const struct llm_profile PROFILES[] = {
    {
        .name = "qwen3-0.6b",
        .model_name = "Qwen3-0.6B (npu4j emulator package)",
        .arch = "qwen3",
        .layers = 28, .hidden = 1024, .kv = 1024,
        .capacity = 2559, .chunk = 128,
        .ncaps = 5, .caps = {0, 512, 1024, 1536, 2048},
        .rows = 151936, .special_base = 151643,
        .suffixed = false,
        .layer_usage = "sys=1M cmm=16M", .post_usage = "sys=2M cmm=160M",
        .decode_ms = {2.03, 1.80, 1.51},
        .prefill_ms = {14.50, 11.23, 5.92},
        .post_ms = {8.0, 8.0, 7.9},
    },
    {
        .name = "tiny",
        .model_name = "tiny toy LLM (npu4j emulator package)",
        .arch = "tiny",
        .layers = 4, .hidden = 128, .kv = 64,
        .capacity = 255, .chunk = 16,
        .ncaps = 4, .caps = {0, 64, 128, 192},
        .rows = 0, .special_base = 0,
        .suffixed = true,
        .layer_usage = "sys=64K cmm=256K", .post_usage = "sys=64K cmm=512K",
        .decode_ms = {0.2, 0.18, 0.15},
        .prefill_ms = {0.6, 0.5, 0.3},
        .post_ms = {0.3, 0.3, 0.25},
    },
    /* The tiny toy LLM (context 1023 and P 128, as the Qwen2.5-0.5B build of
     * shared/facts/axllm.md, so 256 image tokens fit) with a Qwen2.5-VL-style
     * vision encoder: 448 x 448 uint8 NHWC in, (448 / 14 / 2)^2 = 256 bf16
     * rows of the hidden size out (axllm_vision.c). config.json carries the
     * VLM keys of ax-llm's docs/configuration.md. Encoder time: no AX650N
     * figure for a Qwen-VL encoder is in the facts; 454 ms is the published
     * cost of image preprocessing plus the 448 x 448 vision encoder of
     * AXERA-TECH/MiniCPM-V-4.6 on an AX650 (its README: image-prompt TTFT
     * 729.89 ms minus text-prompt TTFT 275.88 ms, both one 128-token prefill
     * chunk), used for all three profiles. */
    {
        .name = "tiny-vl",
        .model_name = "tiny toy VLM (npu4j emulator package)",
        .arch = "tiny_vl",
        .layers = 4, .hidden = 128, .kv = 64,
        .capacity = 1023, .chunk = 128,
        .ncaps = 5, .caps = {0, 128, 256, 384, 512},
        .rows = 0, .special_base = 0,
        .suffixed = false,
        .layer_usage = "sys=64K cmm=512K", .post_usage = "sys=64K cmm=512K",
        .decode_ms = {0.2, 0.18, 0.15},
        .prefill_ms = {1.2, 1.0, 0.6},
        .post_ms = {0.3, 0.3, 0.25},
        .tokenizer_type = "Qwen2_5",
        .vlm_type = "Qwen2_5VL",
        .vision_size = 448, .vision_patch = 14, .vision_merge = 2,
        .vision_usage = "sys=1M cmm=8M",
        .vision_ms = {454, 454, 454},
    },
    /* A Qwen3-VL-shaped toy VLM: 6 layers of the toy LLM whose prefill
     * indices carry Qwen-VL's three mRoPE rows [3, P] (the decode group's one
     * position serves all three, as ax-llm's G3 picks decode groups by a
     * 1-element indices), and a Qwen3-VL-style encoder: 448 x 448 uint8 NHWC
     * in, patch 16 merged 2 x 2, so (448 / 32)^2 = 196 tokens as Qwen3-VL-2B's
     * (shared/facts/rknn.md, "VLM encoders"), 4 outputs: the embeddings and 3
     * deepstack features, added after layers 0, 1, 2. Times as tiny-vl. */
    {
        .name = "tiny-qwen3-vl",
        .model_name = "tiny toy Qwen3-VL-shaped VLM (npu4j emulator package)",
        .arch = "tiny_qwen3_vl",
        .layers = 6, .hidden = 128, .kv = 64,
        .capacity = 1023, .chunk = 128,
        .ncaps = 5, .caps = {0, 128, 256, 384, 512},
        .rows = 0, .special_base = 0,
        .suffixed = false,
        .layer_usage = "sys=64K cmm=512K", .post_usage = "sys=64K cmm=512K",
        .decode_ms = {0.2, 0.18, 0.15},
        .prefill_ms = {1.2, 1.0, 0.6},
        .post_ms = {0.3, 0.3, 0.25},
        .tokenizer_type = "Qwen3VL",
        .vlm_type = "Qwen3VL",
        .vision_size = 448, .vision_patch = 16, .vision_merge = 2,
        .vision_usage = "sys=1M cmm=8M",
        .vision_ms = {454, 454, 454},
        .mrope = true,
        .deepstack = 3,
    },
};

static __thread char g_error[512];

AX_EXPORT const char *npu4j_emu_axllm_error(void) {
    return g_error;
}

static int fail(const char *fmt, const char *a, const char *b) {
    snprintf(g_error, sizeof g_error, fmt, a, b);
    return -1;
}

/* mkdir -p */
static int make_dirs(const char *dir) {
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                return -1;
            }
            buf[i] = c;
        }
    }
    return 0;
}

static const struct llm_profile *profile_find(const char *name) {
    for (size_t i = 0; i < sizeof PROFILES / sizeof PROFILES[0]; i++) {
        if (strcmp(PROFILES[i].name, name) == 0) {
            return &PROFILES[i];
        }
    }
    return NULL;
}

static void sizes(const struct llm_profile *p, int *special_base, int *rows) {
    const struct axllm_vocab *v = axllm_vocab();
    *special_base = p->special_base ? p->special_base : v->n;
    *rows = p->rows ? p->rows : (*special_base + AXLLM_NSPECIAL + 63) / 64 * 64;
}

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s) {
        snprintf(s, n, "%s/%s", dir, name);
    }
    return s;
}

static void tensor(FILE *f, bool in, const char *name, int group, bool suffixed, const char *type, const char *dims) {
    if (suffixed && group > 0) {
        fprintf(f, "%s %s_%d %s none %s\n", in ? "input" : "output", name, group, type, dims);
    } else {
        fprintf(f, "%s %s %s none %s\n", in ? "input" : "output", name, type, dims);
    }
}

static int write_layer(const struct llm_profile *p, const char *path, int layer) {
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    int H = p->hidden, kv = p->kv, C = p->capacity, P = p->chunk;
    fprintf(f, "npu4j-emulator-model axcl 1\n");
    fprintf(f, "# Emulated ax-llm decoder layer %d of %d: a deterministic toy transformer layer, not a trained model\n",
            layer, p->layers);
    fprintf(f, "# (npu4j AXCL emulator, README.md \"Emulated LLM packages\"). Group 0 decodes one token, groups 1..%d\n",
            p->ncaps);
    fprintf(f, "# prefill chunks of %d tokens with history capacities", P);
    for (int g = 0; g < p->ncaps; g++) {
        fprintf(f, " %d", p->caps[g]);
    }
    fprintf(f, " (group 1's K_cache is a 1-row dummy).\n");
    fprintf(f, "name %s layer %d (npu4j emulator)\n", p->arch, layer);
    fprintf(f, "compiler npu4j emulator descriptor v1 (ax-llm package)\nmodel_type 3core\nusage %s\n", p->layer_usage);
    fprintf(f, "compute axllm_layer layer=%d\n", layer);
    char d[64];
    for (int g = 0; g <= p->ncaps; g++) {
        int T = g == 0 ? 1 : P, hist = g == 0 ? C : p->caps[g - 1], rows = g == 0 ? C : (hist > 0 ? hist : 1);
        int cols = g == 0 ? C + 1 : hist + P;
        const double *t = g == 0 ? p->decode_ms : p->prefill_ms;
        if (g == 0) {
            fprintf(f, "group decode default=%g tuned=%g native=%g\n", t[0], t[1], t[2]);
        } else {
            fprintf(f, "group prefill_%d default=%g tuned=%g native=%g\n", hist, t[0], t[1], t[2]);
        }
        snprintf(d, sizeof d, "1x%dx%d", T, H);
        tensor(f, true, "input", g, p->suffixed, "bf16", d);
        snprintf(d, sizeof d, "%dx%d", p->mrope && g > 0 ? 3 : 1, T);
        tensor(f, true, "indices", g, p->suffixed, "uint32", d);
        snprintf(d, sizeof d, "1x%dx%d", T, cols);
        tensor(f, true, "mask", g, p->suffixed, "bf16", d);
        snprintf(d, sizeof d, "1x%dx%d", rows, kv);
        tensor(f, true, "K_cache", g, p->suffixed, "bf16", d);
        tensor(f, true, "V_cache", g, p->suffixed, "bf16", d);
        snprintf(d, sizeof d, "1x%dx%d", T, kv);
        tensor(f, false, "K_cache_out", g, p->suffixed, "bf16", d);
        tensor(f, false, "V_cache_out", g, p->suffixed, "bf16", d);
        snprintf(d, sizeof d, "1x%dx%d", T, H);
        tensor(f, false, "output", g, p->suffixed, "bf16", d);
    }
    bool bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

static int write_post(const struct llm_profile *p, const char *path, int special_base, int rows) {
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    fprintf(f, "npu4j-emulator-model axcl 1\n");
    fprintf(f, "# Emulated ax-llm post model (final norm + lm_head): bf16 logits of the toy model's next token\n");
    fprintf(f, "name %s post (npu4j emulator)\n", p->arch);
    fprintf(f, "compiler npu4j emulator descriptor v1 (ax-llm package)\nmodel_type 3core\nusage %s\n", p->post_usage);
    fprintf(f, "compute axllm_post special_base=%d\n", special_base);
    fprintf(f, "time_ms default=%g tuned=%g native=%g\n", p->post_ms[0], p->post_ms[1], p->post_ms[2]);
    fprintf(f, "input input bf16 none 1x1x%d\noutput output bf16 none 1x1x%d\n", p->hidden, rows);
    bool bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

static void vision_file(const struct llm_profile *p, char *name, size_t n) {
    snprintf(name, n, "%s_vision_%d.axmodel", p->arch, p->vision_size);
}

static int write_vision(const struct llm_profile *p, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    int S = p->vision_size, B = p->vision_patch * p->vision_merge, T = (S / B) * (S / B);
    fprintf(f, "npu4j-emulator-model axcl 1\n");
    fprintf(f, "# Emulated %s vision encoder: a deterministic toy, not a trained vision tower (npu4j AXCL\n",
            p->vlm_type);
    fprintf(f, "# emulator, README.md \"Emulated LLM packages\"). uint8 NHWC RGB %dx%d in; %d bf16 rows of the\n", S, S,
            T);
    fprintf(f, "# LLM's hidden size %d out (patch %d, %dx%d patches merged per token), each from its own\n",
            p->hidden, p->vision_patch, p->vision_merge, p->vision_merge);
    fprintf(f, "# %dx%d pixel block. Time: see axllm_package.c (the 448x448 encoder of MiniCPM-V-4.6 on AX650).\n",
            B, B);
    if (p->deepstack > 0) {
        fprintf(f, "# Outputs 2..%d: Qwen3-VL deepstack features, added to the image tokens' hidden state after\n"
                   "# decoder layers 0..%d.\n", p->deepstack + 1, p->deepstack - 1);
    }
    fprintf(f, "name %s vision encoder (npu4j emulator)\n", p->arch);
    fprintf(f, "compiler npu4j emulator descriptor v1 (ax-llm package)\nmodel_type 3core\nusage %s\n", p->vision_usage);
    fprintf(f, "time_ms default=%g tuned=%g native=%g\n", p->vision_ms[0], p->vision_ms[1], p->vision_ms[2]);
    fprintf(f, "max_batch 1\n");
    fprintf(f, "compute axllm_vision patch=%d merge=%d\n", p->vision_patch, p->vision_merge);
    fprintf(f, "input hidden_states uint8 nhwc 1x%dx%dx3\n", S, S);
    fprintf(f, "output image_embeds bf16 none 1x%dx%d\n", T, p->hidden);
    for (int k = 1; k <= p->deepstack; k++) {
        fprintf(f, "output deepstack_%d bf16 none 1x%dx%d\n", k, T, p->hidden);
    }
    bool bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

static uint32_t xorshift(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Row t: lanes of the toy model (id digits, class, hash features), zeros for
 * the lanes the layers write, then small noise. */
static int write_embedding(const struct llm_profile *p, const char *path, int special_base, int rows) {
    const struct axllm_vocab *v = axllm_vocab();
    FILE *f = fopen(path, "wb");
    if (!f) {
        return -1;
    }
    int H = p->hidden;
    uint16_t *row = malloc(sizeof *row * (size_t)H);
    if (!row) {
        fclose(f);
        errno = ENOMEM;
        return -1;
    }
    for (int t = 0; t < rows; t++) {
        uint32_t s = (uint32_t)t * 2654435761u + 12345u;
        float lanes[AXLLM_LANES] = {0};
        lanes[0] = (float)(t / 4096);
        lanes[1] = (float)(t / 64 % 64);
        lanes[2] = (float)(t % 64);
        lanes[AXLLM_L_CLASS] = (float)axllm_token_class(v, t, special_base);
        for (int m = 0; m < 4; m++) {
            lanes[AXLLM_L_HASH + m] = (float)((int)(xorshift(&s) & 31) - 16) / 16.0f;
        }
        for (int e = 0; e < H; e++) {
            float val = e < AXLLM_LANES ? lanes[e] : (float)((int)(xorshift(&s) % 61) - 30) / 1000.0f;
            row[e] = emu_float_to_bf16(val);
        }
        if (fwrite(row, sizeof *row, (size_t)H, f) != (size_t)H) {
            break;
        }
    }
    free(row);
    bool bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

static int write_config(const struct llm_profile *p, const char *path, int rows) {
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    fprintf(f, "{\n");
    fprintf(f, "  \"model_name\": \"%s\",\n", p->model_name);
    fprintf(f, "  \"tokenizer_type\": \"%s\",\n", p->tokenizer_type ? p->tokenizer_type : "Qwen3");
    fprintf(f, "  \"url_tokenizer_model\": \"%s_tokenizer.txt\",\n", p->arch);
    fprintf(f, "  \"template_filename_axmodel\": \"%s_p%d_l%%d_together.axmodel\",\n", p->arch, p->chunk);
    fprintf(f, "  \"axmodel_num\": %d,\n", p->layers);
    fprintf(f, "  \"filename_post_axmodel\": \"%s_post.axmodel\",\n", p->arch);
    fprintf(f, "  \"filename_tokens_embed\": \"model.embed_tokens.weight.bfloat16.bin\",\n");
    fprintf(f, "  \"tokens_embed_num\": %d,\n", rows);
    fprintf(f, "  \"tokens_embed_size\": %d,\n", p->hidden);
    fprintf(f, "  \"system_prompt\": \"You are a helpful assistant.\",\n");
    fprintf(f, "  \"post_config_path\": \"post_config.json\",\n");
    fprintf(f, "  \"use_mmap_load_embed\": true,\n");
    if (p->vision_size > 0) {
        char enc[128];
        vision_file(p, enc, sizeof enc);
        fprintf(f, "  \"vlm_type\": \"%s\",\n", p->vlm_type);
        fprintf(f, "  \"filename_image_encoder_axmodel\": \"%s\",\n", enc);
        fprintf(f, "  \"vision_width\": %d,\n  \"vision_height\": %d,\n", p->vision_size, p->vision_size);
        fprintf(f, "  \"vision_patch_size\": %d,\n  \"vision_temporal_patch_size\": 2,\n", p->vision_patch);
        fprintf(f, "  \"vision_spatial_merge_size\": %d,\n", p->vision_merge);
    } else {
        fprintf(f, "  \"enable_thinking\": true,\n");
    }
    fprintf(f, "  \"bos\": false,\n  \"eos\": false,\n");
    fprintf(f, "  \"devices\": [0],\n");
    fprintf(f, "  \"npu4j_emulator\": \"emulated package written by the npu4j AXCL emulator (profile %s): a toy"
               " model for libaxcl_rt.so built from native/emulator/axcl, not Axera's model\"\n", p->name);
    fprintf(f, "}\n");
    bool bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

static int write_post_config(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    /* As the Qwen3-0.6B package: every switch off (greedy), the values kept. */
    fprintf(f, "{\n  \"enable_temperature\": false,\n  \"temperature\": 0.9,\n"
               "  \"enable_repetition_penalty\": false,\n  \"repetition_penalty\": 1.2,\n  \"penalty_window\": 20,\n"
               "  \"enable_top_p_sampling\": false,\n  \"top_p\": 0.8,\n"
               "  \"enable_top_k_sampling\": false,\n  \"top_k\": 10\n}\n");
    bool bad = ferror(f);
    return fclose(f) != 0 || bad ? -1 : 0;
}

AX_EXPORT int npu4j_emu_axllm_write_package(const char *dir, const char *profile) {
    g_error[0] = '\0';
    if (!dir || !profile) {
        return fail("npu4j_emu_axllm_write_package: %s%s is NULL", dir ? "" : "dir", dir || profile ? "" : " / profile");
    }
    const struct llm_profile *p = profile_find(profile);
    if (!p) {
        return fail("npu4j_emu_axllm_write_package: unknown profile \"%s\" (expected qwen3-0.6b, tiny, tiny-vl or tiny-qwen3-vl)%s", profile, "");
    }
    if (!axllm_vocab()) {
        return fail("npu4j_emu_axllm_write_package: out of memory building the vocabulary%s%s", "", "");
    }
    struct stat st;
    if (make_dirs(dir) != 0) {
        return fail("npu4j_emu_axllm_write_package: cannot create %s: %s", dir, strerror(errno));
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return fail("npu4j_emu_axllm_write_package: cannot create %s: %s", dir, "it exists and is not a directory");
    }
    int special_base, rows;
    sizes(p, &special_base, &rows);
    char name[128];
    int rc = 0;
    for (int i = 0; i <= p->layers + 7 && rc == 0; i++) {
        if (i < p->layers) {
            snprintf(name, sizeof name, "%s_p%d_l%d_together.axmodel", p->arch, p->chunk, i);
        } else if (i == p->layers) {
            snprintf(name, sizeof name, "%s_post.axmodel", p->arch);
        } else {
            static const char *const FILES[] = {"model.embed_tokens.weight.bfloat16.bin", "config.json",
                                                "post_config.json", "tokenizer.txt", "tokenizer.json",
                                                "tokenizer_config.json", "README.txt"};
            snprintf(name, sizeof name, "%s", FILES[i - p->layers - 1]);
            if (strcmp(name, "tokenizer.txt") == 0) {
                snprintf(name, sizeof name, "%s_tokenizer.txt", p->arch);
            }
        }
        char *path = join(dir, name);
        if (!path) {
            errno = ENOMEM;
            rc = -1;
            break;
        }
        int k = i - p->layers - 1;
        if (i < p->layers) {
            rc = write_layer(p, path, i);
        } else if (i == p->layers) {
            rc = write_post(p, path, special_base, rows);
        } else if (k == 0) {
            rc = write_embedding(p, path, special_base, rows);
        } else if (k == 1) {
            rc = write_config(p, path, rows);
        } else if (k == 2) {
            rc = write_post_config(path);
        } else if (k == 3) {
            rc = axllm_write_tokenizer_txt(path, special_base);
        } else if (k == 4) {
            rc = axllm_write_tokenizer_json(path, special_base);
        } else if (k == 5) {
            rc = axllm_write_tokenizer_config(path, special_base);
        } else {
            FILE *f = fopen(path, "w");
            rc = f ? 0 : -1;
            if (f) {
                fprintf(f, "Emulated ax-llm model package (profile %s), written by the npu4j AXCL emulator.\n"
                           "Its .axmodel files are emulator descriptors that only the emulated libaxcl_rt.so runs;\n"
                           "the model is a deterministic toy (see native/emulator/axcl/README.md), not %s.\n",
                        p->name, p->name);
                rc = fclose(f) == 0 ? 0 : -1;
            }
        }
        if (rc != 0) {
            fail("npu4j_emu_axllm_write_package: cannot write %s: %s", path, strerror(errno ? errno : EIO));
        }
        free(path);
    }
    if (rc == 0 && p->vision_size > 0) {
        vision_file(p, name, sizeof name);
        char *path = join(dir, name);
        rc = path ? write_vision(p, path) : -1;
        if (rc != 0) {
            fail("npu4j_emu_axllm_write_package: cannot write %s: %s", path ? path : name, strerror(errno ? errno : EIO));
        }
        free(path);
    }
    return rc;
}
