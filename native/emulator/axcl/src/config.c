/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * The axclInit configuration: the vendor's log keys plus an "npu4j_emulator"
 * object describing the emulated cards. Unknown keys are ignored (the vendor
 * file puts comments in "//" keys); a malformed file or a bad value is an
 * error. See README.md for the keys.
 */
#include "axemu.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The default card: an AX650N M.2 card on bus 1 of a CM3588 (Gen2 x1). 945 MiB
 * of device system memory and 7040 MiB of CMM, as axcl-smi reports for it. */
static void device_defaults(struct ax_device_config *d, uint32_t bus) {
    memset(d, 0, sizeof *d);
    d->domain = 0;
    d->bus = bus;
    snprintf(d->soc, sizeof d->soc, "AX650N");
    d->mem_bytes = 945ull << 20;
    d->cmm_bytes = 7040ull << 20;
    d->temperature_mc = 42000;
}

axclError ax_config_defaults(struct ax_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->log_level = -1;
    cfg->ndev = 1;
    device_defaults(&cfg->dev[0], 1);
    return AXCL_SUCC;
}

static axclError bad(const char *path, const char *what) {
    ax_log(AX_LOG_ERROR, "axclInit: config %s: %s", path, what);
    return AX_E_CONFIG(AXCL_ERR_ILLEGAL_PARAM);
}

/* Reads an integer member in [lo, hi]; absent members leave *out alone. */
static axclError get_int(const char *path, const ax_json *obj, const char *key, long long lo, long long hi,
                         long long *out, bool *present) {
    const ax_json *v = ax_json_get(obj, key);
    if (present) {
        *present = v != NULL;
    }
    if (!v) {
        return AXCL_SUCC;
    }
    char msg[160];
    if (v->type != AX_JSON_NUMBER || v->number != floor(v->number) || v->number < (double)lo ||
        v->number > (double)hi) {
        snprintf(msg, sizeof msg, "\"%s\" must be an integer in [%lld, %lld]", key, lo, hi);
        return bad(path, msg);
    }
    *out = (long long)v->number;
    return AXCL_SUCC;
}

static axclError get_string(const char *path, const ax_json *obj, const char *key, const char **out) {
    const ax_json *v = ax_json_get(obj, key);
    *out = NULL;
    if (!v) {
        return AXCL_SUCC;
    }
    if (v->type != AX_JSON_STRING) {
        char msg[128];
        snprintf(msg, sizeof msg, "\"%s\" must be a string", key);
        return bad(path, msg);
    }
    *out = v->string;
    return AXCL_SUCC;
}

static axclError get_link_profile(const char *path, const ax_json *obj, bool *has_link, ax_link *link,
                                  bool *has_profile, ax_profile *profile) {
    const char *s;
    axclError rc = get_string(path, obj, "link", &s);
    if (rc) {
        return rc;
    }
    if (s) {
        if (ax_link_parse(s, link) != 0) {
            return bad(path, "\"link\" must be one of gen2x1, gen2x2, native, slow");
        }
        *has_link = true;
    }
    rc = get_string(path, obj, "profile", &s);
    if (rc) {
        return rc;
    }
    if (s) {
        if (ax_profile_parse(s, profile) != 0) {
            return bad(path, "\"profile\" must be one of default, tuned, native");
        }
        *has_profile = true;
    }
    return AXCL_SUCC;
}

/* "DDDD:BB:SS.F" (hex, as lspci prints it). */
static int parse_bdf(const char *s, struct ax_device_config *d) {
    unsigned dom, bus, slot, fn;
    char tail;
    if (sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &tail) != 4) {
        return -1;
    }
    if (dom > 0xFFFF || bus > 0xFF || slot > 0x1F || fn > 7) {
        return -1;
    }
    d->domain = dom;
    d->bus = bus;
    d->slot = slot;
    d->function = fn;
    return 0;
}

static axclError parse_device(const char *path, const ax_json *o, struct ax_device_config *d, int index) {
    char msg[160];
    if (o->type != AX_JSON_OBJECT) {
        snprintf(msg, sizeof msg, "npu4j_emulator.devices[%d] must be an object", index);
        return bad(path, msg);
    }
    const char *s;
    axclError rc = get_string(path, o, "bdf", &s);
    if (rc) {
        return rc;
    }
    if (s && parse_bdf(s, d) != 0) {
        snprintf(msg, sizeof msg, "npu4j_emulator.devices[%d].bdf \"%s\" is not DDDD:BB:SS.F", index, s);
        return bad(path, msg);
    }
    long long v;
    bool present;
    if ((rc = get_int(path, o, "bus", 1, 255, &v, &present))) {
        return rc;
    }
    if (present) {
        if (s && (uint32_t)v != d->bus) {
            snprintf(msg, sizeof msg, "npu4j_emulator.devices[%d]: \"bus\" and \"bdf\" disagree", index);
            return bad(path, msg);
        }
        d->bus = (uint32_t)v;
    }
    if (d->bus == 0) {
        snprintf(msg, sizeof msg, "npu4j_emulator.devices[%d]: bus 0 is the root complex, not a card", index);
        return bad(path, msg);
    }
    if ((rc = get_string(path, o, "soc", &s))) {
        return rc;
    }
    if (s) {
        if (strlen(s) == 0 || strlen(s) >= sizeof d->soc) {
            return bad(path, "\"soc\" must be 1..31 characters");
        }
        snprintf(d->soc, sizeof d->soc, "%s", s);
    }
    if ((rc = get_int(path, o, "memory_mib", 64, 65536, &v, &present))) {
        return rc;
    }
    if (present) {
        d->mem_bytes = (uint64_t)v << 20;
    }
    if ((rc = get_int(path, o, "cmm_mib", 1, 65536, &v, &present))) {
        return rc;
    }
    if (present) {
        d->cmm_bytes = (uint64_t)v << 20;
    }
    if ((rc = get_int(path, o, "temperature_c", -40, 125, &v, &present))) {
        return rc;
    }
    if (present) {
        d->temperature_mc = (int)v * 1000;
    }
    return get_link_profile(path, o, &d->has_link, &d->link, &d->has_profile, &d->profile);
}

/* Reads the whole file (configs are small; anything over 1 MiB is refused). */
static char *read_small_file(const char *path, size_t *len, int *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
        if (n == cap) {
            if (cap >= (1u << 20)) {
                free(buf);
                buf = NULL;
                *err = EFBIG;
                break;
            }
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                *err = ENOMEM;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        *err = EIO;
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

axclError ax_config_load(const char *path, struct ax_config *cfg) {
    ax_config_defaults(cfg);
    if (!path || !*path) {
        return AXCL_SUCC;
    }
    size_t len = 0;
    int err = 0;
    char *text = read_small_file(path, &len, &err);
    if (!text) {
        /* The vendor runtime falls back to its defaults here; the emulator refuses,
         * because its config describes the emulated cards and a typo would silently
         * give the user other devices than the ones they asked for. */
        ax_log(AX_LOG_ERROR, "axclInit: cannot read config %s: %s", path, strerror(err));
        return AX_E_CONFIG(AXCL_ERR_OPEN);
    }
    ax_json *root = NULL;
    char why[256];
    if (ax_json_parse(text, len, &root, why, sizeof why) != 0) {
        free(text);
        ax_log(AX_LOG_ERROR, "axclInit: config %s is not valid JSON: %s", path, why);
        return AX_E_CONFIG(AXCL_ERR_DECODE);
    }
    free(text);
    axclError rc = AXCL_SUCC;
    if (root->type != AX_JSON_OBJECT) {
        rc = bad(path, "the top level must be an object");
        goto out;
    }

    /* Vendor keys: log.host.level (0 trace .. 6 off). */
    const ax_json *host = ax_json_get(ax_json_get(root, "log"), "host");
    if (host) {
        long long lv;
        bool present;
        if ((rc = get_int(path, host, "level", 0, 6, &lv, &present))) {
            goto out;
        }
        if (present) {
            cfg->log_level = (int)lv;
        }
    }

    const ax_json *emu = ax_json_get(root, "npu4j_emulator");
    if (!emu) {
        goto out;
    }
    if (emu->type != AX_JSON_OBJECT) {
        rc = bad(path, "\"npu4j_emulator\" must be an object");
        goto out;
    }
    bool has_link = false, has_profile = false;
    ax_link link = AX_LINK_GEN2X1;
    ax_profile profile = AX_PROFILE_DEFAULT;
    if ((rc = get_link_profile(path, emu, &has_link, &link, &has_profile, &profile))) {
        goto out;
    }
    long long count = 1;
    bool has_count = false;
    if ((rc = get_int(path, emu, "device_count", 0, AX_MAX_DEVICES, &count, &has_count))) {
        goto out;
    }
    const ax_json *devs = ax_json_get(emu, "devices");
    if (devs) {
        if (devs->type != AX_JSON_ARRAY) {
            rc = bad(path, "\"npu4j_emulator.devices\" must be an array");
            goto out;
        }
        if (devs->count > AX_MAX_DEVICES) {
            rc = bad(path, "too many devices (at most 64)");
            goto out;
        }
        if (has_count && (size_t)count != devs->count) {
            rc = bad(path, "\"device_count\" disagrees with the length of \"devices\"");
            goto out;
        }
        cfg->ndev = (int)devs->count;
        for (int i = 0; i < cfg->ndev; i++) {
            device_defaults(&cfg->dev[i], (uint32_t)(i + 1));
            if ((rc = parse_device(path, &devs->items[i], &cfg->dev[i], i))) {
                goto out;
            }
        }
    } else {
        cfg->ndev = (int)count;
        for (int i = 0; i < cfg->ndev; i++) {
            device_defaults(&cfg->dev[i], (uint32_t)(i + 1));
        }
    }
    for (int i = 0; i < cfg->ndev; i++) {
        if (!cfg->dev[i].has_link && has_link) {
            cfg->dev[i].has_link = true;
            cfg->dev[i].link = link;
        }
        if (!cfg->dev[i].has_profile && has_profile) {
            cfg->dev[i].has_profile = true;
            cfg->dev[i].profile = profile;
        }
        for (int j = 0; j < i; j++) {
            if (cfg->dev[j].bus == cfg->dev[i].bus) {
                rc = bad(path, "two devices on the same PCI bus");
                goto out;
            }
        }
    }
out:
    ax_json_free(root);
    return rc;
}
