/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The emulated VLM package's vision encoder (axllm_vision.c): the package
 * names it in config.json, its IO is that of a Qwen2.5-VL-style encoder, its
 * rows are a deterministic function of the image, each token of its own
 * pixel block, and descriptors with inconsistent shapes are refused at load.
 * The Qwen3-VL-shaped package's layers take three rows of indices and its
 * encoder gives three deepstack outputs in the deepstack lanes.
 */
#include "axtest.h"

#define S 448
#define T 256
#define E 128

static uint8_t img[S * S * 3];
static uint16_t rows_a[T * E], rows_b[T * E], rows_c[T * E];

static void fill(uint8_t r, uint8_t g, uint8_t b) {
    for (int i = 0; i < S * S; i++) {
        img[3 * i] = r, img[3 * i + 1] = g, img[3 * i + 2] = b;
    }
}

static void encode(struct model_run *m, uint16_t *rows) {
    OK(axclrtMemcpy(m->in[0], img, sizeof img, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtEngineExecute(m->id, m->ctx, 0, m->io));
    OK(axclrtMemcpy(rows, m->out[0], (size_t)T * E * 2, AXCL_MEMCPY_DEVICE_TO_HOST));
}

static int differing_tokens(const uint16_t *a, const uint16_t *b) {
    int n = 0;
    for (int t = 0; t < T; t++) {
        n += memcmp(a + (size_t)t * E, b + (size_t)t * E, E * 2) != 0;
    }
    return n;
}

static float bf16(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

int main(void) {
    const char *dir = tmp_path("vision-pkg");
    CHECK(npu4j_emu_axllm_write_package(dir, "tiny-vl") == 0);
    char path[1200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    const char *cfg = read_all(path);
    CHECK(strstr(cfg, "\"filename_image_encoder_axmodel\": \"tiny_vl_vision_448.axmodel\"") != NULL);
    CHECK(strstr(cfg, "\"vlm_type\": \"Qwen2_5VL\"") != NULL);
    CHECK(strstr(cfg, "\"vision_width\": 448") != NULL);
    snprintf(path, sizeof path, "%s/tiny_vl_vision_448.axmodel", dir);

    setup_engine();
    struct model_run m;
    model_open(&m, path, 0, 1);
    CHECK(m.nin == 1 && m.nout == 1);
    CHECK(strcmp(axclrtEngineGetInputNameByIndex(m.info, 0), "hidden_states") == 0);
    CHECK(axclrtEngineGetInputSizeByIndex(m.info, 0, 0) == (uint64_t)S * S * 3);
    CHECK(axclrtEngineGetOutputSizeByIndex(m.info, 0, 0) == (uint64_t)T * E * 2);
    axclrtEngineIODims dims;
    OK(axclrtEngineGetOutputDims(m.info, 0, 0, &dims));
    CHECK(dims.dimCount == 3 && dims.dims[0] == 1 && dims.dims[1] == T && dims.dims[2] == E);
    axclrtEngineDataType dt;
    OK(axclrtEngineGetOutputDataType(m.info, 0, &dt));
    CHECK(dt == AXCL_DATA_TYPE_BF16);

    fill(255, 0, 0);
    encode(&m, rows_a);
    encode(&m, rows_c);
    CHECK(differing_tokens(rows_a, rows_c) == 0); /* deterministic */
    fill(0, 0, 255);
    encode(&m, rows_b);
    CHECK(differing_tokens(rows_a, rows_b) == T); /* another image: every token differs */
    /* lane 4 = mean red as k/16: 255 -> (31 - 16) / 16, 0 -> -1 */
    CHECK(bf16(rows_a[4]) == 15.0f / 16.0f);
    CHECK(bf16(rows_b[4]) == -1.0f);
    CHECK(bf16(rows_b[6]) == 15.0f / 16.0f);
    /* one pixel at (35, 33): block row 1, column 1 of 16 per row, so token 17 */
    fill(255, 0, 0);
    img[((28 + 5) * S + 28 + 7) * 3 + 1] = 9;
    encode(&m, rows_c);
    CHECK(differing_tokens(rows_a, rows_c) == 1);
    CHECK(memcmp(rows_a + 17 * E, rows_c + 17 * E, E * 2) != 0);
    model_close(&m);

    /* The Qwen3-VL-shaped package: mRoPE layers, a 196-token encoder with 3 deepstack outputs. */
    const char *qdir = tmp_path("vision-qwen3-vl");
    CHECK(npu4j_emu_axllm_write_package(qdir, "tiny-qwen3-vl") == 0);
    snprintf(path, sizeof path, "%s/config.json", qdir);
    cfg = read_all(path);
    CHECK(strstr(cfg, "\"vlm_type\": \"Qwen3VL\"") != NULL);
    CHECK(strstr(cfg, "\"vision_patch_size\": 16") != NULL);
    snprintf(path, sizeof path, "%s/tiny_qwen3_vl_p128_l0_together.axmodel", qdir);
    const char *layer = read_all(path);
    CHECK(strstr(layer, "input indices uint32 none 1x1\n") != NULL);   /* decode: one position */
    CHECK(strstr(layer, "input indices uint32 none 3x128\n") != NULL); /* prefill: t, h, w rows */
    snprintf(path, sizeof path, "%s/tiny_qwen3_vl_vision_448.axmodel", qdir);
    model_open(&m, path, 0, 1);
    CHECK(m.nout == 4);
    CHECK(strcmp(axclrtEngineGetOutputNameByIndex(m.info, 3), "deepstack_3") == 0);
    enum { QT = 196 };
    static uint16_t q[4][QT * E];
    fill(255, 0, 0);
    OK(axclrtMemcpy(m.in[0], img, sizeof img, AXCL_MEMCPY_HOST_TO_DEVICE));
    OK(axclrtEngineExecute(m.id, m.ctx, 0, m.io));
    for (int k = 0; k < 4; k++) {
        CHECK(axclrtEngineGetOutputSizeByIndex(m.info, 0, k) == (uint64_t)QT * E * 2);
        OK(axclrtMemcpy(q[k], m.out[k], (size_t)QT * E * 2, AXCL_MEMCPY_DEVICE_TO_HOST));
    }
    CHECK(bf16(q[0][4]) == 15.0f / 16.0f); /* the embeddings as tiny-vl's, of 32x32 blocks */
    for (int k = 1; k < 4; k++) {
        int ds_nonzero = 0, other_nonzero = 0;
        for (int t = 0; t < QT; t++) {
            for (int e = 0; e < 64; e++) {
                bool ds = e >= 54 && e < 58;
                bool nz = q[k][t * E + e] != 0;
                ds_nonzero += ds && nz;
                other_nonzero += !ds && nz;
            }
        }
        CHECK(ds_nonzero > QT);   /* deepstack lanes carry the features */
        CHECK(other_nonzero == 0); /* the toy's other lanes are left alone */
        CHECK(memcmp(q[k], q[k - 1], (size_t)QT * E * 2) != 0);
    }
    model_close(&m);

    /* Inconsistent descriptors are refused at load. */
    static const char *const BAD[] = {
        /* 255 tokens for a 448 x 448 image of 28-pixel blocks */
        "npu4j-emulator-model axcl 1\nname bad\ncompute axllm_vision patch=14 merge=2\n"
        "input hidden_states uint8 nhwc 1x448x448x3\noutput image_embeds bf16 none 1x255x128\n",
        /* fp16 output */
        "npu4j-emulator-model axcl 1\nname bad\ncompute axllm_vision patch=14 merge=2\n"
        "input hidden_states uint8 nhwc 1x448x448x3\noutput image_embeds fp16 none 1x256x128\n",
        /* a side that is not a multiple of 28 */
        "npu4j-emulator-model axcl 1\nname bad\ncompute axllm_vision patch=14 merge=2\n"
        "input hidden_states uint8 nhwc 1x440x448x3\noutput image_embeds bf16 none 1x256x128\n",
        /* a deepstack output of another width */
        "npu4j-emulator-model axcl 1\nname bad\ncompute axllm_vision patch=14 merge=2\n"
        "input hidden_states uint8 nhwc 1x448x448x3\noutput image_embeds bf16 none 1x256x128\n"
        "output deepstack_1 bf16 none 1x256x96\n",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        uint64_t id = 0;
        CHECK(axclrtEngineLoadFromMem(BAD[i], strlen(BAD[i]), &id) != AXCL_SUCC);
        CHECK(id == 0);
    }
    teardown_engine();
    CHECK(npu4j_emulator_axcl_live("device_allocations") == 0);
    CHECK(npu4j_emulator_axcl_live("models") == 0);
    printf("axcl vision encoder: ok\n");
    return 0;
}
