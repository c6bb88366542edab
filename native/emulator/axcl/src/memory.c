/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Device and host memory.
 *
 * Device pointers are addresses inside one large mmap(PROT_NONE) reservation
 * made at axclInit (one slice per device, sized like the device's CMM), so a
 * host dereference of a device pointer faults (SIGSEGV) exactly as it would
 * with a real card, instead of silently working. The bytes of each allocation
 * live in a separate "shadow" mapping that only the emulator touches.
 * Allocations are page-aligned and placed first-fit in the device's slice;
 * their page-rounded sizes are charged to the device's CMM, so
 * axclrtGetDeviceProperties reports falling free CMM and axclrtMalloc fails
 * with MEMORY/NO_MEMORY once the card is full.
 *
 * Host memory from axclrtMallocHost is ordinary anonymous memory, mlock()ed
 * when the process may (best effort), like the runtime's pinned buffers.
 *
 * Copies honour their kind and charge the PCIe link: a fixed round trip plus
 * bytes / bandwidth for host<->device, the round trip alone for on-card
 * commands (device->device, memset, memcmp), nothing for host->host.
 */
#include "axemu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Each device slice is followed by this much unused reservation, so the
 * devices' address ranges never touch. */
#define SLICE_GAP (64ull << 20)
#define SLICE_ALIGN (2ull << 20)

static uint64_t round_up(uint64_t v, uint64_t a) {
    return (v + a - 1) / a * a;
}

axclError ax_memory_setup_locked(void) {
    uint64_t total = 0;
    for (int i = 0; i < ax.ndev; i++) {
        total += round_up(ax.dev[i].cfg.cmm_bytes, SLICE_ALIGN) + SLICE_GAP;
    }
    void *region = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (region == MAP_FAILED) {
        return ax_fail(AX_E_MEMORY(AXCL_ERR_NO_MEMORY), "axclInit",
                       "cannot reserve %llu MiB of address space for device memory: %s",
                       (unsigned long long)(total >> 20), strerror(errno));
    }
    ax.region = region;
    ax.region_size = total;
    uint64_t off = SLICE_GAP / 2; /* no device address sits at the very start either */
    for (int i = 0; i < ax.ndev; i++) {
        ax.dev[i].base = (uintptr_t)region + off;
        ax.dev[i].span = ax.dev[i].cfg.cmm_bytes;
        off += round_up(ax.dev[i].cfg.cmm_bytes, SLICE_ALIGN) + SLICE_GAP;
    }
    return AXCL_SUCC;
}

void ax_memory_release_all_locked(void) {
    for (size_t i = 0; i < ax.ndalloc; i++) {
        munmap(ax.dallocs[i].shadow, ax.dallocs[i].span);
    }
    free(ax.dallocs);
    ax.dallocs = NULL;
    ax.ndalloc = ax.capdalloc = 0;
    for (size_t i = 0; i < ax.nhalloc; i++) {
        if (ax.hallocs[i].locked) {
            munlock(ax.hallocs[i].ptr, ax.hallocs[i].span);
        }
        munmap(ax.hallocs[i].ptr, ax.hallocs[i].span);
    }
    free(ax.hallocs);
    ax.hallocs = NULL;
    ax.nhalloc = ax.caphalloc = 0;
    for (int i = 0; i < ax.ndev; i++) {
        ax.dev[i].cmm_alloc = 0;
    }
    if (ax.region) {
        munmap(ax.region, ax.region_size);
        ax.region = NULL;
        ax.region_size = 0;
    }
}

bool ax_in_device_region(const void *p) {
    uintptr_t a = (uintptr_t)p;
    return ax.region && a >= (uintptr_t)ax.region && a < (uintptr_t)ax.region + ax.region_size;
}

/* Index of the first allocation whose address is > a. */
static size_t upper_bound(uintptr_t a) {
    size_t lo = 0, hi = ax.ndalloc;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ax.dallocs[mid].addr <= a) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

struct ax_dalloc *ax_dalloc_find(const void *p, size_t count) {
    uintptr_t a = (uintptr_t)p;
    if (!ax_in_device_region(p)) {
        return NULL;
    }
    size_t i = upper_bound(a);
    if (i == 0) {
        return NULL;
    }
    struct ax_dalloc *d = &ax.dallocs[i - 1];
    uint64_t off = a - d->addr;
    if (count == 0) {
        count = 1;
    }
    if (off >= d->size || count > d->size - off) {
        return NULL;
    }
    return d;
}

uint8_t *ax_shadow(const void *p, size_t count) {
    struct ax_dalloc *d = ax_dalloc_find(p, count);
    return d ? d->shadow + ((uintptr_t)p - d->addr) : NULL;
}

/* Resolves [p, p+count) to shadow bytes, or explains why not. */
static axclError device_range(const void *p, size_t count, const char *fn, const char *what, uint8_t **shadow,
                              struct ax_device **dev) {
    struct ax_dalloc *d = ax_dalloc_find(p, count);
    if (d) {
        *shadow = d->shadow + ((uintptr_t)p - d->addr);
        if (dev) {
            *dev = &ax.dev[d->dev];
        }
        return AXCL_SUCC;
    }
    struct ax_dalloc *start = ax_dalloc_find(p, 1);
    if (start) {
        return ax_fail(AX_E_MEMORY(AXCL_ERR_ILLEGAL_PARAM), fn,
                       "%s %p + %zu bytes runs past the end of its device allocation (%p, %llu bytes)", what, p, count,
                       (void *)start->addr, (unsigned long long)start->size);
    }
    return ax_fail(AXCL_ERR_MEMORY_NOT_DEVICE_MEMORY, fn, "%s %p is not in a live device allocation", what, p);
}

/* ------------------------------------------------------------------ */
/* Device allocations                                                  */
/* ------------------------------------------------------------------ */

static axclError device_malloc(void **devPtr, size_t size, axclrtMemMallocPolicy policy, bool cached, const char *fn) {
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc != AXCL_SUCC) {
        goto out;
    }
    if (!devPtr) {
        rc = ax_fail(AXCL_ERR_MEMORY_NULL_POINTER, fn, "devPtr is NULL");
        goto out;
    }
    *devPtr = NULL;
    if (size == 0 || (unsigned)policy > AXCL_MEM_MALLOC_SIZE_ALIGN) {
        rc = ax_fail(AX_E_MEMORY(AXCL_ERR_ILLEGAL_PARAM), fn, "size %zu / policy %d not allowed", size, (int)policy);
        goto out;
    }
    struct ax_device *dev = ctx->dev;
    uint64_t span = round_up(size, AX_PAGE);
    uint64_t used = dev->cmm_alloc + dev->cmm_models;
    uint64_t free_b = used < dev->cfg.cmm_bytes ? dev->cfg.cmm_bytes - used : 0;
    if (span < size || span > free_b) {
        rc = ax_fail(AX_E_MEMORY(AXCL_ERR_NO_MEMORY), fn,
                     "%zu bytes requested, device %d has %llu bytes of CMM free (of %llu)", size, dev->id,
                     (unsigned long long)free_b, (unsigned long long)dev->cfg.cmm_bytes);
        goto out;
    }
    /* First fit inside the device's slice (allocations are sorted by address). */
    uintptr_t cursor = dev->base, end = dev->base + dev->span, place = 0;
    size_t at = upper_bound(dev->base - 1);
    size_t i = at;
    for (; i < ax.ndalloc && ax.dallocs[i].addr < end; i++) {
        if (ax.dallocs[i].addr - cursor >= span) {
            break;
        }
        cursor = ax.dallocs[i].addr + ax.dallocs[i].span;
    }
    if (end - cursor >= span) {
        place = cursor;
    }
    if (!place) {
        rc = ax_fail(AX_E_MEMORY(AXCL_ERR_NO_MEMORY), fn, "%zu bytes: device %d's CMM is too fragmented", size, dev->id);
        goto out;
    }
    if (ax.ndalloc == ax.capdalloc) {
        size_t cap = ax.capdalloc ? ax.capdalloc * 2 : 64;
        struct ax_dalloc *a = realloc(ax.dallocs, cap * sizeof *a);
        if (!a) {
            rc = ax_fail(AX_E_MEMORY(AXCL_ERR_NO_MEMORY), fn, "out of host memory");
            goto out;
        }
        ax.dallocs = a;
        ax.capdalloc = cap;
    }
    void *shadow = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (shadow == MAP_FAILED) {
        rc = ax_fail(AX_E_MEMORY(AXCL_ERR_NO_MEMORY), fn, "cannot map %llu bytes of host memory to emulate the device's: %s",
                     (unsigned long long)span, strerror(errno));
        goto out;
    }
    memmove(&ax.dallocs[i + 1], &ax.dallocs[i], (ax.ndalloc - i) * sizeof *ax.dallocs);
    ax.dallocs[i] = (struct ax_dalloc){
        .addr = place, .size = size, .span = span, .shadow = shadow, .dev = (int)(dev - ax.dev), .cached = cached};
    ax.ndalloc++;
    dev->cmm_alloc += span;
    *devPtr = (void *)place;
out:
    AX_UNLOCK();
    return rc;
}

axclError axclrtMalloc(void **devPtr, size_t size, axclrtMemMallocPolicy policy) {
    return device_malloc(devPtr, size, policy, false, "axclrtMalloc");
}

axclError axclrtMallocCached(void **devPtr, size_t size, axclrtMemMallocPolicy policy) {
    return device_malloc(devPtr, size, policy, true, "axclrtMallocCached");
}

axclError axclrtFree(void *devPtr) {
    static const char fn[] = "axclrtFree";
    AX_LOCK();
    struct ax_ctx *ctx;
    /* Freeing works on a lost card (host bookkeeping), but reports the loss. */
    bool lost = ax.initialized && ax_device_lost();
    axclError rc = lost ? AXCL_SUCC : ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC && !devPtr) {
        rc = ax_fail(AXCL_ERR_MEMORY_NULL_POINTER, fn, "devPtr is NULL");
    }
    if (rc == AXCL_SUCC) {
        struct ax_dalloc *d = ax_dalloc_find(devPtr, 1);
        if (!d) {
            rc = ax_fail(AXCL_ERR_MEMORY_NOT_DEVICE_MEMORY, fn, "%p is not a live device allocation (double free?)", devPtr);
        } else if (d->addr != (uintptr_t)devPtr) {
            rc = ax_fail(AX_E_MEMORY(AXCL_ERR_ILLEGAL_PARAM), fn, "%p points inside the allocation at %p, not at its start",
                         devPtr, (void *)d->addr);
        } else {
            size_t i = (size_t)(d - ax.dallocs);
            ax.dev[d->dev].cmm_alloc -= d->span;
            munmap(d->shadow, d->span);
            memmove(&ax.dallocs[i], &ax.dallocs[i + 1], (ax.ndalloc - i - 1) * sizeof *ax.dallocs);
            ax.ndalloc--;
        }
    }
    if (rc == AXCL_SUCC && lost) {
        rc = AX_E_LOST;
    }
    AX_UNLOCK();
    return rc;
}

static axclError cache_op(void *devPtr, size_t size, const char *fn) {
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    uint8_t *sh = NULL;
    if (rc == AXCL_SUCC && !devPtr) {
        rc = ax_fail(AXCL_ERR_MEMORY_NULL_POINTER, fn, "devPtr is NULL");
    }
    if (rc == AXCL_SUCC && size == 0) {
        rc = ax_fail(AX_E_MEMORY(AXCL_ERR_ILLEGAL_PARAM), fn, "size is 0");
    }
    if (rc == AXCL_SUCC) {
        rc = device_range(devPtr, size, fn, "devPtr", &sh, NULL);
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtMemFlush(void *devPtr, size_t size) {
    return cache_op(devPtr, size, "axclrtMemFlush");
}

axclError axclrtMemInvalidate(void *devPtr, size_t size) {
    return cache_op(devPtr, size, "axclrtMemInvalidate");
}

/* ------------------------------------------------------------------ */
/* Host allocations                                                    */
/* ------------------------------------------------------------------ */

axclError axclrtMallocHost(void **hostPtr, size_t size) {
    static const char fn[] = "axclrtMallocHost";
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC && !hostPtr) {
        rc = ax_fail(AXCL_ERR_MEMORY_NULL_POINTER, fn, "hostPtr is NULL");
    }
    if (rc == AXCL_SUCC) {
        *hostPtr = NULL;
        if (size == 0) {
            rc = ax_fail(AX_E_MEMORY(AXCL_ERR_ILLEGAL_PARAM), fn, "size is 0");
        }
    }
    if (rc == AXCL_SUCC && ax.nhalloc == ax.caphalloc) {
        size_t cap = ax.caphalloc ? ax.caphalloc * 2 : 32;
        struct ax_halloc *h = realloc(ax.hallocs, cap * sizeof *h);
        if (!h) {
            rc = ax_fail(AX_E_MEMORY(AXCL_ERR_NO_MEMORY), fn, "out of host memory");
        } else {
            ax.hallocs = h;
            ax.caphalloc = cap;
        }
    }
    if (rc == AXCL_SUCC) {
        size_t span = (size_t)round_up(size, AX_PAGE);
        void *p = span < size ? MAP_FAILED : mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            rc = ax_fail(AX_E_MEMORY(AXCL_ERR_NO_MEMORY), fn, "cannot map %zu bytes: %s", size, strerror(errno));
        } else {
            /* Pinned like the runtime's buffers, when RLIMIT_MEMLOCK allows. */
            bool locked = mlock(p, span) == 0;
            if (!locked) {
                ax_log(AX_LOG_DEBUG, "%s: mlock of %zu bytes failed (%s); the buffer is not pinned", fn, span,
                       strerror(errno));
            }
            ax.hallocs[ax.nhalloc++] = (struct ax_halloc){.ptr = p, .size = size, .span = span, .locked = locked};
            *hostPtr = p;
        }
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtFreeHost(void *hostPtr) {
    static const char fn[] = "axclrtFreeHost";
    AX_LOCK();
    struct ax_ctx *ctx;
    bool lost = ax.initialized && ax_device_lost();
    axclError rc = lost ? AXCL_SUCC : ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC && !hostPtr) {
        rc = ax_fail(AXCL_ERR_MEMORY_NULL_POINTER, fn, "hostPtr is NULL");
    }
    if (rc == AXCL_SUCC) {
        size_t i = 0;
        while (i < ax.nhalloc && ax.hallocs[i].ptr != hostPtr) {
            i++;
        }
        if (i == ax.nhalloc) {
            rc = ax_fail(AX_E_MEMORY(AXCL_ERR_ILLEGAL_PARAM), fn, "%p was not returned by axclrtMallocHost (or is freed)",
                         hostPtr);
        } else {
            if (ax.hallocs[i].locked) {
                munlock(ax.hallocs[i].ptr, ax.hallocs[i].span);
            }
            munmap(ax.hallocs[i].ptr, ax.hallocs[i].span);
            ax.hallocs[i] = ax.hallocs[--ax.nhalloc];
        }
    }
    if (rc == AXCL_SUCC && lost) {
        rc = AX_E_LOST;
    }
    AX_UNLOCK();
    return rc;
}

/* ------------------------------------------------------------------ */
/* Copies, memset, memcmp (shared by the synchronous and async calls)  */
/* When delay_ns is NULL the call only validates its arguments.        */
/* ------------------------------------------------------------------ */

static double transfer_ns(const struct ax_device *dev, size_t bytes) {
    if (!(ax_env_speed() > 0)) {
        return 0; /* delays off: skip the link lookup */
    }
    const struct ax_link_params *l = ax_link_params(ax_device_link(dev));
    double ns = l->round_trip_ns * ax_profile_call_factor(ax_device_profile(dev));
    if (l->bytes_per_s > 0) {
        ns += (double)bytes / l->bytes_per_s * 1e9;
    }
    return ns;
}

static double command_ns(const struct ax_device *dev) {
    if (!(ax_env_speed() > 0)) {
        return 0;
    }
    return ax_link_params(ax_device_link(dev))->round_trip_ns * ax_profile_call_factor(ax_device_profile(dev));
}

static const char *kind_name(axclrtMemcpyKind k) {
    switch (k) {
    case AXCL_MEMCPY_HOST_TO_HOST: return "HOST_TO_HOST";
    case AXCL_MEMCPY_HOST_TO_DEVICE: return "HOST_TO_DEVICE";
    case AXCL_MEMCPY_DEVICE_TO_HOST: return "DEVICE_TO_HOST";
    case AXCL_MEMCPY_DEVICE_TO_DEVICE: return "DEVICE_TO_DEVICE";
    case AXCL_MEMCPY_HOST_PHY_TO_DEVICE: return "HOST_PHY_TO_DEVICE";
    case AXCL_MEMCPY_DEVICE_TO_HOST_PHY: return "DEVICE_TO_HOST_PHY";
    }
    return "?";
}

axclError ax_memcpy_locked(void *dst, const void *src, size_t count, axclrtMemcpyKind kind, const char *fn,
                           double *delay_ns, struct ax_device **link_dev) {
    if (delay_ns) {
        *delay_ns = 0;
        *link_dev = NULL;
    }
    if (!dst || !src) {
        return ax_fail(AXCL_ERR_MEMORY_NULL_POINTER, fn, "%s is NULL", dst ? "src" : "dst");
    }
    bool dst_dev = ax_in_device_region(dst), src_dev = ax_in_device_region(src);
    bool want_dst_dev, want_src_dev;
    switch (kind) {
    case AXCL_MEMCPY_HOST_TO_HOST: want_dst_dev = false, want_src_dev = false; break;
    case AXCL_MEMCPY_HOST_TO_DEVICE: want_dst_dev = true, want_src_dev = false; break;
    case AXCL_MEMCPY_DEVICE_TO_HOST: want_dst_dev = false, want_src_dev = true; break;
    case AXCL_MEMCPY_DEVICE_TO_DEVICE: want_dst_dev = true, want_src_dev = true; break;
    case AXCL_MEMCPY_HOST_PHY_TO_DEVICE:
    case AXCL_MEMCPY_DEVICE_TO_HOST_PHY:
        return ax_fail(AX_E_MEMORY(AXCL_ERR_UNSUPPORT), fn,
                       "kind %s needs host physical addresses, which the emulator does not have", kind_name(kind));
    default: return ax_fail(AX_E_MEMORY(AXCL_ERR_ILLEGAL_PARAM), fn, "unknown copy kind %d", (int)kind);
    }
    if (dst_dev != want_dst_dev || src_dev != want_src_dev) {
        return ax_fail(AX_E_MEMORY(AXCL_ERR_ILLEGAL_PARAM), fn,
                       "kind %s does not match the pointers: dst %p is %s memory, src %p is %s memory", kind_name(kind),
                       dst, dst_dev ? "device" : "host", src, src_dev ? "device" : "host");
    }
    uint8_t *d = dst, *sdev = NULL;
    const uint8_t *s = src;
    struct ax_device *ddev = NULL, *srcdev = NULL;
    axclError rc;
    if (dst_dev && (rc = device_range(dst, count, fn, "dst", &d, &ddev)) != AXCL_SUCC) {
        return rc;
    }
    if (src_dev) {
        if ((rc = device_range(src, count, fn, "src", &sdev, &srcdev)) != AXCL_SUCC) {
            return rc;
        }
        s = sdev;
    }
    if (!delay_ns || count == 0) {
        return AXCL_SUCC;
    }
    memmove(d, s, count);
    switch (kind) {
    case AXCL_MEMCPY_HOST_TO_DEVICE: ax_count_call(AX_CALL_H2D); break;
    case AXCL_MEMCPY_DEVICE_TO_HOST: ax_count_call(AX_CALL_D2H); break;
    case AXCL_MEMCPY_DEVICE_TO_DEVICE: ax_count_call(AX_CALL_D2D); break;
    default: break;
    }
    switch (kind) {
    case AXCL_MEMCPY_HOST_TO_DEVICE:
        *delay_ns = transfer_ns(ddev, count);
        *link_dev = ddev;
        break;
    case AXCL_MEMCPY_DEVICE_TO_HOST:
        *delay_ns = transfer_ns(srcdev, count);
        *link_dev = srcdev;
        break;
    case AXCL_MEMCPY_DEVICE_TO_DEVICE:
        *delay_ns = command_ns(ddev);
        *link_dev = ddev;
        break;
    default: break;
    }
    return AXCL_SUCC;
}

axclError ax_memset_locked(void *dst, uint8_t value, size_t count, const char *fn, double *delay_ns,
                           struct ax_device **link_dev) {
    if (delay_ns) {
        *delay_ns = 0;
        *link_dev = NULL;
    }
    if (!dst) {
        return ax_fail(AXCL_ERR_MEMORY_NULL_POINTER, fn, "devPtr is NULL");
    }
    uint8_t *d = NULL;
    struct ax_device *dev = NULL;
    axclError rc = device_range(dst, count, fn, "devPtr", &d, &dev);
    if (rc != AXCL_SUCC || !delay_ns || count == 0) {
        return rc;
    }
    memset(d, value, count);
    ax_count_call(AX_CALL_OTHER_DEVICE);
    *delay_ns = command_ns(dev);
    *link_dev = dev;
    return AXCL_SUCC;
}

axclError ax_memcmp_locked(const void *a, const void *b, size_t count, const char *fn, double *delay_ns,
                           struct ax_device **link_dev) {
    if (delay_ns) {
        *delay_ns = 0;
        *link_dev = NULL;
    }
    if (!a || !b) {
        return ax_fail(AXCL_ERR_MEMORY_NULL_POINTER, fn, "a device pointer is NULL");
    }
    uint8_t *sa = NULL, *sb = NULL;
    struct ax_device *dev = NULL;
    axclError rc = device_range(a, count, fn, "devPtr1", &sa, &dev);
    if (rc == AXCL_SUCC) {
        rc = device_range(b, count, fn, "devPtr2", &sb, NULL);
    }
    if (rc != AXCL_SUCC || !delay_ns || count == 0) {
        return rc;
    }
    ax_count_call(AX_CALL_OTHER_DEVICE);
    *delay_ns = command_ns(dev);
    *link_dev = dev;
    /* Unequal memory is reported as a failed comparison. */
    return memcmp(sa, sb, count) == 0 ? AXCL_SUCC : AXCL_ERR_MEMORY_EXECUTE_FAIL;
}

/* ------------------------------------------------------------------ */
/* API                                                                 */
/* ------------------------------------------------------------------ */

axclError axclrtMemcpy(void *dstPtr, const void *srcPtr, size_t count, axclrtMemcpyKind kind) {
    static const char fn[] = "axclrtMemcpy";
    double delay = 0;
    struct ax_device *dev = NULL;
    uint64_t t0 = 0;
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC) {
        t0 = ax_work_start();
        rc = ax_memcpy_locked(dstPtr, srcPtr, count, kind, fn, &delay, &dev);
    }
    AX_UNLOCK();
    ax_delay(delay, dev ? &dev->link_lock : NULL, t0);
    return rc;
}

axclError axclrtMemset(void *devPtr, uint8_t value, size_t count) {
    static const char fn[] = "axclrtMemset";
    double delay = 0;
    struct ax_device *dev = NULL;
    uint64_t t0 = 0;
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC) {
        t0 = ax_work_start();
        rc = ax_memset_locked(devPtr, value, count, fn, &delay, &dev);
    }
    AX_UNLOCK();
    ax_delay(delay, dev ? &dev->link_lock : NULL, t0);
    return rc;
}

axclError axclrtMemcmp(const void *devPtr1, const void *devPtr2, size_t count) {
    static const char fn[] = "axclrtMemcmp";
    double delay = 0;
    struct ax_device *dev = NULL;
    uint64_t t0 = 0;
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC) {
        t0 = ax_work_start();
        rc = ax_memcmp_locked(devPtr1, devPtr2, count, fn, &delay, &dev);
    }
    AX_UNLOCK();
    ax_delay(delay, dev ? &dev->link_lock : NULL, t0);
    return rc;
}

/* Validates now, runs later on the stream's thread. */
static axclError enqueue(const struct ax_task *t, axclrtStream stream, const char *fn) {
    AX_LOCK();
    struct ax_ctx *ctx;
    axclError rc = ax_enter(AX_NEED_CTX, fn, &ctx);
    if (rc == AXCL_SUCC) {
        switch (t->kind) {
        case AX_TASK_MEMCPY: rc = ax_memcpy_locked(t->dst, t->src, t->count, t->copy_kind, fn, NULL, NULL); break;
        case AX_TASK_MEMSET: rc = ax_memset_locked(t->dst, t->value, t->count, fn, NULL, NULL); break;
        case AX_TASK_MEMCMP: rc = ax_memcmp_locked(t->dst, t->src, t->count, fn, NULL, NULL); break;
        default: rc = AX_E_STREAM(AXCL_ERR_ILLEGAL_PARAM); break;
        }
    }
    struct ax_stream *s = NULL;
    if (rc == AXCL_SUCC) {
        s = ax_stream_resolve(ctx, stream, &rc);
        if (!s) {
            ax_fail(rc, fn, "%p is not a live stream", stream);
        }
    }
    if (s) {
        rc = ax_stream_enqueue(s, t);
    }
    AX_UNLOCK();
    return rc;
}

axclError axclrtMemcpyAsync(void *dstPtr, const void *srcPtr, size_t count, axclrtMemcpyKind kind,
                            axclrtStream stream) {
    struct ax_task t = {.kind = AX_TASK_MEMCPY, .dst = dstPtr, .src = srcPtr, .count = count, .copy_kind = kind};
    return enqueue(&t, stream, "axclrtMemcpyAsync");
}

axclError axclrtMemsetAsync(void *devPtr, uint8_t value, size_t count, axclrtStream stream) {
    struct ax_task t = {.kind = AX_TASK_MEMSET, .dst = devPtr, .value = value, .count = count};
    return enqueue(&t, stream, "axclrtMemsetAsync");
}

axclError axclrtMemcmpAsync(const void *devPtr1, const void *devPtr2, size_t count, axclrtStream stream) {
    struct ax_task t = {.kind = AX_TASK_MEMCMP, .dst = (void *)devPtr1, .src = devPtr2, .count = count};
    return enqueue(&t, stream, "axclrtMemcmpAsync");
}
