/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The vision encoder of the emulated VLM packages ("compute axllm_vision
 * patch=P merge=M"): a deterministic toy, not a trained vision tower, with
 * the IO of a Qwen2.5-VL-style encoder as ax-llm runs it
 * (shared/facts/axllm.md, "VLM"): one uint8 NHWC RGB image [1, H, W, 3] in,
 * one bf16 (or fp32) tensor [1, T, E] out, T = (H / (P M)) x (W / (P M)) image tokens
 * (P x P patches, M x M of them merged into one token: 448 x 448 with P = 14,
 * M = 2 gives 256), E = the LLM's hidden size. The runner writes the rows
 * over the <|image_pad|> placeholders of the prefill.
 *
 * Token t (row-major over the merged grid) is computed from its block of
 * (P M) x (P M) pixels only, in the lane format of the toy LLM (axllm.h), so
 * the emulated LLM reads what the image shows:
 *   lanes 0..2  a pseudo token id (hash of the block's bytes, below 4096);
 *   lane 3      AXLLM_C_PLAIN;
 *   lanes 4..6  the block's mean red, green, blue as hash features k/16 in
 *               [-1, 1) (k = mean / 8 - 16);
 *   lane 7      a texture feature k/16 from the same hash;
 *   lanes 8..63 zero (the layers write them);
 *   lanes 64..  small noise in [-0.03, 0.03] from the hash.
 * The toy LLM's MEAN head averages lanes 4..7 over the context, and the
 * answer is seeded by that mean (axllm_model.c), so another image gives
 * another answer and the same image the same one.
 *
 * A Qwen3-VL-style encoder has further outputs of the same shape and type,
 * its deepstack features (`deepstack_1` ..), which the runner adds to the
 * hidden state of the image tokens after decoder layer k - 1 for output k
 * (HF transformers' Qwen3-VL text model adds feature k after layer k). Row t
 * of output k >= 1: lanes AXLLM_L_DS.. +3 hash features k/16 of the block
 * and k, lanes 64.. small noise, every other lane 0; the toy LLM's mRoPE
 * layers read the deepstack lanes (axllm_model.c).
 */
#include "axemu.h"
#include "axllm.h"

#include <string.h>

static int dim(const struct ax_tensor *t, int i) {
    return i < t->ndims[0] ? t->dims[0][i] : 1;
}

int ax_axllm_vision_check(const struct ax_desc *d, char *why, size_t whylen) {
    if (d->ngroups != 1 || d->nin != 1 || d->nout < 1 || d->nout > 8) {
        snprintf(why, whylen,
                 "compute axllm_vision: one group, one image input and one embedding output (Qwen3-VL: plus up to"
                 " 7 deepstack outputs) expected");
        return -1;
    }
    const struct ax_tensor *in = &d->in[0], *out = &d->out[0];
    int block = d->vision_patch * d->vision_merge;
    int H = dim(in, 1), W = dim(in, 2);
    if (in->type != AXCL_DATA_TYPE_UINT8 || in->layout != AXCL_DATA_LAYOUT_NHWC || in->ndims[0] != 4 ||
        dim(in, 0) != 1 || dim(in, 3) != 3 || H % block != 0 || W % block != 0) {
        snprintf(why, whylen,
                 "compute axllm_vision: input \"%s\" must be uint8 nhwc 1xHxWx3 with H and W multiples of patch x"
                 " merge = %d",
                 in->name, block);
        return -1;
    }
    int T = (H / block) * (W / block);
    if ((out->type != AXCL_DATA_TYPE_BF16 && out->type != AXCL_DATA_TYPE_FP32) || out->ndims[0] != 3 || dim(out, 0) != 1 || dim(out, 1) != T ||
        dim(out, 2) < AXLLM_MIN_HIDDEN) {
        snprintf(why, whylen,
                 "compute axllm_vision: output \"%s\" must be bf16 or fp32 1x%dxE (the %dx%d image in %d tokens of"
                 " %dx%d pixels) with E >= %d",
                 out->name, T, H, W, T, block, block, AXLLM_MIN_HIDDEN);
        return -1;
    }
    for (int k = 1; k < d->nout; k++) {
        const struct ax_tensor *o = &d->out[k];
        if (o->type != out->type || o->ndims[0] != 3 || dim(o, 0) != 1 || dim(o, 1) != T || dim(o, 2) != dim(out, 2)) {
            snprintf(why, whylen,
                     "compute axllm_vision: deepstack output \"%s\" must have the shape and type of \"%s\" (1x%dx%d)",
                     o->name, out->name, T, dim(out, 2));
            return -1;
        }
    }
    return 0;
}

int ax_axllm_vision_run(const struct ax_desc *d, const uint8_t *const *in, uint8_t *const *out) {
    const struct ax_tensor *ti = &d->in[0], *to = &d->out[0];
    int block = d->vision_patch * d->vision_merge;
    int W = dim(ti, 2), gw = W / block, T = dim(to, 1), E = dim(to, 2);
    const uint8_t *img = in[0];
    bool fp32 = to->type == AXCL_DATA_TYPE_FP32;
    for (int t = 0; t < T; t++) {
        int y0 = t / gw * block, x0 = t % gw * block;
        uint32_t sum[3] = {0, 0, 0}, h = 0x811C9DC5u;
        for (int y = y0; y < y0 + block; y++) {
            const uint8_t *p = img + ((size_t)y * (size_t)W + (size_t)x0) * 3;
            for (int x = 0; x < block * 3; x++) {
                sum[x % 3] += p[x];
                h = (h ^ p[x]) * 0x01000193u;
            }
        }
        h = axllm_mix32(h);
        float lanes[AXLLM_LANES];
        memset(lanes, 0, sizeof lanes);
        int id = (int)(h % 4096u);
        lanes[0] = (float)(id / 4096);
        lanes[1] = (float)(id / 64 % 64);
        lanes[2] = (float)(id % 64);
        lanes[AXLLM_L_CLASS] = (float)AXLLM_C_PLAIN;
        uint32_t n = (uint32_t)block * (uint32_t)block;
        for (int c = 0; c < 3; c++) {
            lanes[AXLLM_L_HASH + c] = (float)((int)(sum[c] / n / 8) - 16) / 16.0f;
        }
        lanes[AXLLM_L_HASH + 3] = (float)((int)(h >> 12 & 31) - 16) / 16.0f;
        for (int k = 0; k < d->nout; k++) {
            float ds[AXLLM_LANES];
            uint32_t hk = axllm_mix32(h ^ (uint32_t)k * 0x9E3779B1u);
            if (k > 0) {
                memset(ds, 0, sizeof ds);
                for (int m = 0; m < 4; m++) {
                    ds[AXLLM_L_DS + m] = (float)((int)(axllm_mix32(hk + (uint32_t)m) & 31) - 16) / 16.0f;
                }
            }
            const float *src = k == 0 ? lanes : ds;
            uint32_t nh = k == 0 ? h : hk;
            for (int e = 0; e < E; e++) {
                float v = e < AXLLM_LANES ? src[e]
                                          : (float)((int)(axllm_mix32(nh + (uint32_t)e) % 61u) - 30) / 1000.0f;
                size_t at = (size_t)t * (size_t)E + (size_t)e;
                if (fp32) {
                    memcpy(out[k] + at * 4, &v, sizeof v);
                } else {
                    uint16_t b = emu_float_to_bf16(v);
                    memcpy(out[k] + at * 2, &b, sizeof b);
                }
            }
        }
    }
    return 0;
}
