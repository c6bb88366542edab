/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations of the npu4j AXCL emulator (libaxcl_rt.so).
 *
 * The library is built with -fvisibility=hidden. The public AXCL headers are
 * included between "visibility push(default)" and "pop" below, so every
 * function they declare (and only those) is exported once it is defined here,
 * and so are the npu4j_emulator_axcl_* introspection helpers of
 * include/npu4j_axcl_emulator.h (their definitions also say AX_EXPORT).
 *
 * Threading: one process-wide mutex (ax.lock) guards every piece of state.
 * API entry points take it, do their bookkeeping and host-side computing while
 * holding it, release it, and only then sleep for the emulated device time
 * (see ax_delay_*), so a slow emulated call never blocks unrelated threads.
 */
#ifndef NPU4J_AXCL_AXEMU_H
#define NPU4J_AXCL_AXEMU_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(default)
#include "axcl.h"
#include "npu4j_axcl_emulator.h"
#pragma GCC visibility pop

#define AX_EXPORT __attribute__((visibility("default")))
#define AX_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ------------------------------------------------------------------ */
/* Versions and names                                                  */
/* ------------------------------------------------------------------ */

#define AX_VERSION_MAJOR 3
#define AX_VERSION_MINOR 10
#define AX_VERSION_PATCH 2
#define AX_FULL_VERSION "V3.10.2 npu4j emulator (AXCL runtime 3.10.2 ABI, no hardware)"
#define AX_SOC_NAME "AX650N (npu4j emulator)"
#define AX_DEVICE_SW_VERSION "V3.10.2 npu4j emulator"
#define AX_LOG_PREFIX "npu4j-emulator axcl: "

/* ------------------------------------------------------------------ */
/* Error codes used by the emulator (all built with the real encoding) */
/* ------------------------------------------------------------------ */

#define AX_E_CONFIG(id) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_CONFIG, (id))
#define AX_E_DEVICE(id) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_DEVICE, (id))
#define AX_E_CONTEXT(id) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_CONTEXT, (id))
#define AX_E_STREAM(id) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_STREAM, (id))
#define AX_E_MEMORY(id) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_MEMORY, (id))
#define AX_E_ENGINE(id) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_ENGINE, (id))
#define AX_E_SYSLOG(id) AXCL_DEF_RUNTIME_ERR(AXCL_RUNTIME_SYSLOG, (id))

/* Runtime not initialised (before axclInit, after axclFinalize). */
#define AX_E_NOT_INIT AXCL_ERR_DEVICE_NO_ACTIVE_DEVICE
/* The card "dropped off the bus" (NPU4J_EMULATOR_AXCL_DEVICE_LOST). */
#define AX_E_LOST AXCL_ERR_DEVICE_NO_CONNECT
/* The calling thread has no current context. */
#define AX_E_NO_CTX AXCL_ERR_CONTEXT_NO_BIND_CONTEXT
/* Engine call on a device whose engine is not initialised (axclrtEngineInit). */
#define AX_E_ENGINE_NOT_INIT AXCL_ERR_ENGINE_UNEXPECT_RESPONSE

/* ------------------------------------------------------------------ */
/* Limits                                                              */
/* ------------------------------------------------------------------ */

#define AX_MAX_DEVICES 64
#define AX_MAX_GROUPS 16
#define AX_MAX_TENSORS 64
#define AX_NAME_MAX 128
#define AX_PAGE 4096u

/* ------------------------------------------------------------------ */
/* Logging (levels as axclSetLogLevel: 0 trace .. 5 critical, 6 off)   */
/* ------------------------------------------------------------------ */

enum { AX_LOG_TRACE, AX_LOG_DEBUG, AX_LOG_INFO, AX_LOG_WARN, AX_LOG_ERROR, AX_LOG_CRITICAL, AX_LOG_OFF };

void ax_log(int level, const char *fmt, ...) AX_PRINTF(2, 3);
/* Logs "<function>: <message>" at error level and returns code. */
axclError ax_fail(axclError code, const char *fn, const char *fmt, ...) AX_PRINTF(3, 4);

/* ------------------------------------------------------------------ */
/* Link and timing profiles                                            */
/* ------------------------------------------------------------------ */

typedef enum { AX_LINK_GEN2X1, AX_LINK_GEN2X2, AX_LINK_NATIVE, AX_LINK_SLOW, AX_LINK_COUNT } ax_link;
typedef enum { AX_PROFILE_DEFAULT, AX_PROFILE_TUNED, AX_PROFILE_NATIVE, AX_PROFILE_COUNT } ax_profile;

/* Bytes per second and fixed cost per transfer of each link (nominal, before speed scaling). */
struct ax_link_params {
    const char *name;
    double bytes_per_s; /* 0 = free */
    double round_trip_ns;
};
const struct ax_link_params *ax_link_params(ax_link link);
int ax_link_parse(const char *s, ax_link *out);       /* 0 on success */
int ax_profile_parse(const char *s, ax_profile *out); /* 0 on success */
const char *ax_profile_name(ax_profile p);

/* ------------------------------------------------------------------ */
/* Environment (re-read on every API call, so tests may change it at will)  */
/* ------------------------------------------------------------------ */

/* Re-reads the NPU4J_EMULATOR_* variables (call with ax.lock held).
 * ax_device_lost() does it, and every API call goes through that first. */
void ax_env_refresh(void);
double ax_env_speed(void);            /* NPU4J_EMULATOR_SPEED, default 1 */
bool ax_env_link(ax_link *out);       /* NPU4J_EMULATOR_AXCL_LINK, if set and valid */
bool ax_env_profile(ax_profile *out); /* NPU4J_EMULATOR_AXCL_PROFILE, if set and valid */
long long ax_env_fail_execute(void);  /* NPU4J_EMULATOR_AXCL_FAIL_EXECUTE, -1 if unset */
bool ax_env_no_card(void);            /* NPU4J_EMULATOR_AXCL_NO_CARD, a non-zero integer */

/* ------------------------------------------------------------------ */
/* Devices, contexts, streams                                          */
/* ------------------------------------------------------------------ */

struct ax_device_config {
    uint32_t domain, bus, slot, function;
    char soc[32];
    uint64_t mem_bytes; /* device system memory */
    uint64_t cmm_bytes; /* CMM: what axclrtMalloc and models draw from */
    bool has_link, has_profile;
    ax_link link;
    ax_profile profile;
    int temperature_mc; /* idle junction temperature, millidegrees C */
};

struct ax_config {
    int log_level; /* -1: not given */
    int ndev;
    struct ax_device_config dev[AX_MAX_DEVICES];
};

struct ax_ctx;
struct ax_stream;

struct ax_device {
    struct ax_device_config cfg;
    int32_t id; /* device id = PCI bus number, as the real runtime reports */
    /* Slice of the PROT_NONE reservation that device addresses come from. */
    uintptr_t base;
    uint64_t span;
    uint64_t cmm_alloc; /* bytes held by axclrtMalloc* (page-rounded) */
    uint64_t cmm_models;/* bytes held by loaded models */
    uint64_t sys_models;
    int set_refs;       /* axclrtSetDevice minus axclrtResetDevice */
    struct ax_ctx *default_ctx;
    int engine_refs;    /* axclrtEngineInit minus axclrtEngineFinalize */
    axclrtEngineVNpuKind vnpu;
    pthread_mutex_t npu_lock;  /* one NPU job at a time */
    pthread_mutex_t link_lock; /* one PCIe transfer at a time */
    /* NPU load bookkeeping (nanoseconds of emulated busy time). */
    uint64_t busy_ns;
    uint64_t load_mark_ns, load_mark_busy;
    uint32_t last_load; /* percent * 100 */
};

struct ax_ctx {
    uint32_t magic;
    struct ax_device *dev;
    bool is_default;
    struct ax_stream *default_stream;
    struct ax_ctx *next;
};

/* Host-side copy of a task queued on a stream. */
enum ax_task_kind { AX_TASK_MEMCPY, AX_TASK_MEMSET, AX_TASK_MEMCMP, AX_TASK_EXECUTE };
struct ax_task {
    enum ax_task_kind kind;
    void *dst;
    const void *src;
    size_t count;
    uint8_t value;
    axclrtMemcpyKind copy_kind;
    uint64_t model_id, context_id;
    uint32_t group;
    void *io;
    struct ax_task *next;
};

struct ax_stream {
    uint32_t magic;
    struct ax_ctx *ctx;
    bool is_default;
    pthread_t thread;
    pthread_cond_t wake; /* worker: tasks queued or stop */
    pthread_cond_t idle; /* waiters: pending reached 0 */
    struct ax_task *head, *tail;
    int pending; /* queued + running */
    bool stop;
    axclError sticky; /* first error of an asynchronous task, reported by the next synchronize */
    struct ax_stream *next;
};

/* ------------------------------------------------------------------ */
/* Device memory                                                       */
/* ------------------------------------------------------------------ */

struct ax_dalloc {
    uintptr_t addr;   /* device address handed out (inside the PROT_NONE reservation) */
    uint64_t size;    /* requested size */
    uint64_t span;    /* page-rounded size */
    uint8_t *shadow;  /* the real bytes */
    int dev;          /* device index */
    bool cached;
};

struct ax_halloc {
    void *ptr;
    size_t size, span;
    bool locked;
};

/* ------------------------------------------------------------------ */
/* Models (emulator descriptors, see model.c and README.md)            */
/* ------------------------------------------------------------------ */

typedef enum {
    AX_COMPUTE_IDENTITY,
    AX_COMPUTE_AFFINE,
    AX_COMPUTE_HASH,
    AX_COMPUTE_YOLO,
    AX_COMPUTE_AXLLM_LAYER, /* axllm_model.c */
    AX_COMPUTE_AXLLM_POST,
    AX_COMPUTE_AXLLM_VISION /* axllm_vision.c */
} ax_compute;
typedef enum { AX_YOLO_DFL_SPLIT, AX_YOLO_DFL_CONCAT, AX_YOLO_DECODED } ax_yolo_head;

struct ax_tensor {
    char name[AX_NAME_MAX];
    axclrtEngineDataType type;
    axclrtEngineDataLayout layout;
    int32_t ndims[AX_MAX_GROUPS];
    int32_t dims[AX_MAX_GROUPS][AXCLRT_ENGINE_MAX_DIM_CNT];
    uint64_t size[AX_MAX_GROUPS]; /* bytes for batch 1 */
    uint64_t min_size;            /* smallest size over the groups */
    bool suffixed[AX_MAX_GROUPS]; /* group g spells the name NAME_<g> (some ax-llm packages) */
};

struct ax_group {
    char name[64];
    double time_ms[AX_PROFILE_COUNT]; /* < 0: not given */
};

struct ax_desc {
    int refs;
    char name[AX_NAME_MAX];
    char compiler[AX_NAME_MAX];
    axclrtEngineModelKind model_type;
    int64_t sys_usage, cmm_usage;
    uint32_t max_batch;
    double time_ms[AX_PROFILE_COUNT]; /* model-wide; < 0: not given */
    ax_compute compute;
    double scale, bias, peak;
    int classes, reg_max;
    ax_yolo_head head;
    int llm_layer, llm_special_base; /* axllm_layer / axllm_post parameters */
    int vision_patch, vision_merge;  /* axllm_vision parameters (14, 2) */
    int ngroups;
    struct ax_group groups[AX_MAX_GROUPS];
    int nin, nout;
    struct ax_tensor in[AX_MAX_TENSORS];
    struct ax_tensor out[AX_MAX_TENSORS];
};

/* Parses a descriptor held in memory. On failure returns an engine error code
 * and writes a human-readable reason into why. */
axclError ax_desc_parse(const char *text, size_t len, struct ax_desc **out, char *why, size_t whylen);
/* Reads a file and parses it; missing/unreadable files give ENGINE/OPEN. */
axclError ax_desc_load_file(const char *path, struct ax_desc **out, char *why, size_t whylen);
void ax_desc_unref(struct ax_desc *d);
const char *ax_dtype_name(axclrtEngineDataType t);
unsigned ax_dtype_bits(axclrtEngineDataType t);
/* Emulated execute time of one batch item of group g, in nanoseconds. */
double ax_desc_time_ns(const struct ax_desc *d, int group, ax_profile profile);

struct ax_engine_ctx {
    uint64_t id;
    axclrtEngineSet affinity;
    struct ax_engine_ctx *next;
};

struct ax_model {
    uint64_t id;
    struct ax_desc *desc;
    int dev;
    axclrtEngineSet affinity;
    struct ax_engine_ctx *contexts;
    struct ax_model *next;
};

struct ax_ioinfo {
    uint32_t magic;
    struct ax_desc *desc;
    uint64_t model_id;
    struct ax_ioinfo *next;
};

struct ax_binding {
    void *ptr;
    uint64_t size;
};

struct ax_io {
    uint32_t magic;
    struct ax_desc *desc;
    uint64_t model_id;
    uint32_t batch;
    struct ax_binding in[AX_MAX_TENSORS];
    struct ax_binding out[AX_MAX_TENSORS];
    struct ax_io *next;
};

/* Runs the compute kind of a descriptor on host buffers (compute.c).
 * Returns 0, or -1 with a reason in why. */
int ax_compute_run(const struct ax_desc *d, int group, uint32_t batch, const uint8_t *const *in,
                   uint8_t *const *out, char *why, size_t whylen);
/* Checks at load time that the tensors suit the compute kind. */
int ax_compute_check(const struct ax_desc *d, char *why, size_t whylen);
/* The emulated LLM layer and post model (axllm_model.c). */
int ax_axllm_layer_check(const struct ax_desc *d, char *why, size_t whylen);
int ax_axllm_layer_run(const struct ax_desc *d, int group, const uint8_t *const *in, uint8_t *const *out, char *why,
                       size_t whylen);
int ax_axllm_post_check(const struct ax_desc *d, char *why, size_t whylen);
int ax_axllm_post_run(const struct ax_desc *d, const uint8_t *const *in, uint8_t *const *out);
/* The emulated vision encoder of the VLM packages (axllm_vision.c). */
int ax_axllm_vision_check(const struct ax_desc *d, char *why, size_t whylen);
int ax_axllm_vision_run(const struct ax_desc *d, const uint8_t *const *in, uint8_t *const *out);
/* True when name is the tensor's name, or its NAME_<g> spelling for a group g that uses it. */
bool ax_tensor_named(const struct ax_tensor *t, int ngroups, const char *name);

/* ------------------------------------------------------------------ */
/* Global state                                                        */
/* ------------------------------------------------------------------ */

#define AX_MAGIC_CTX 0x41584354u    /* "AXCT" */
#define AX_MAGIC_STREAM 0x41585354u /* "AXST" */
#define AX_MAGIC_INFO 0x4158494Eu   /* "AXIN" */
#define AX_MAGIC_IO 0x4158494Fu     /* "AXIO" */

struct ax_state {
    pthread_mutex_t lock;
    bool initialized;
    uint64_t generation; /* bumped by every axclInit, invalidates thread-local contexts */
    int log_level;

    int ndev;
    struct ax_device dev[AX_MAX_DEVICES];

    /* The PROT_NONE reservation all device addresses live in. */
    void *region;
    uint64_t region_size;

    struct ax_dalloc *dallocs; /* sorted by addr */
    size_t ndalloc, capdalloc;
    struct ax_halloc *hallocs;
    size_t nhalloc, caphalloc;

    struct ax_ctx *contexts;
    struct ax_stream *streams;
    struct ax_model *models;
    struct ax_ioinfo *ioinfos;
    struct ax_io *ios;
    uint64_t next_id;
    bool warned_host_model;
    /* The last axclInit failed for want of a device (config device_count 0); cleared by a successful one. */
    bool init_found_no_card;
};

extern struct ax_state ax;

/* AXCL calls by kind, process-wide (npu4j_emulator_axcl_call_count). */
enum ax_call_kind { AX_CALL_EXECUTE, AX_CALL_H2D, AX_CALL_D2H, AX_CALL_D2D, AX_CALL_BIND, AX_CALL_OTHER_DEVICE, AX_CALL_KINDS };
void ax_count_call(enum ax_call_kind k);
/* Per-call fixed cost factor of the timing profile on a PCIe link (core.c, README "Calibration"). */
double ax_profile_call_factor(ax_profile p);

/* Process-wide counters that survive axclFinalize (fault injection counts them). */
uint64_t ax_execute_count(void);
uint64_t ax_execute_count_next(void); /* increments and returns the new value */

#define AX_LOCK() pthread_mutex_lock(&ax.lock)
#define AX_UNLOCK() pthread_mutex_unlock(&ax.lock)

/* Entry checks, called with the lock held. */
enum { AX_NEED_INIT = 1, AX_NEED_CTX = 2 };
/* Checks initialisation, device loss and (optionally) a current context. */
axclError ax_enter(int need, const char *fn, struct ax_ctx **ctx);
/* True while NPU4J_EMULATOR_AXCL_DEVICE_LOST says the card is gone. */
bool ax_device_lost(void);
/* True when the runtime is not initialised on a machine without a card: NPU4J_EMULATOR_AXCL_NO_CARD,
 * or the last axclInit found no device. Device queries then answer as the real runtime does there. */
bool ax_no_card_uninitialised(void);

/* device.c */
struct ax_device *ax_device_by_id(int32_t id);
struct ax_ctx *ax_current_ctx(void);
void ax_set_current_ctx(struct ax_ctx *ctx);
bool ax_ctx_live(const struct ax_ctx *ctx);
struct ax_ctx *ax_ctx_create(struct ax_device *dev, bool is_default);
void ax_ctx_destroy_locked(struct ax_ctx *ctx); /* may unlock/relock to join stream threads */
bool ax_stream_live(const struct ax_stream *s);
struct ax_stream *ax_stream_resolve(struct ax_ctx *ctx, axclrtStream stream, axclError *rc);
axclError ax_stream_enqueue(struct ax_stream *s, const struct ax_task *task);
void ax_stream_destroy_locked(struct ax_stream *s, bool force);
void ax_devices_release_all_locked(void);
ax_link ax_device_link(const struct ax_device *d);
ax_profile ax_device_profile(const struct ax_device *d);

/* memory.c */
bool ax_in_device_region(const void *p);
/* Live allocation holding [p, p+count), or NULL. */
struct ax_dalloc *ax_dalloc_find(const void *p, size_t count);
uint8_t *ax_shadow(const void *p, size_t count); /* shadow address or NULL */
void ax_memory_release_all_locked(void);
axclError ax_memory_setup_locked(void);
axclError ax_memcpy_locked(void *dst, const void *src, size_t count, axclrtMemcpyKind kind,
                           const char *fn, double *delay_ns, struct ax_device **link_dev);
axclError ax_memset_locked(void *dst, uint8_t value, size_t count, const char *fn, double *delay_ns,
                           struct ax_device **link_dev);
axclError ax_memcmp_locked(const void *a, const void *b, size_t count, const char *fn, double *delay_ns,
                           struct ax_device **link_dev);

/* engine.c: lookups shared by engine.c, engine_load.c and engine_io.c (ax.lock held) */
struct ax_model *ax_model_find(uint64_t id);
struct ax_ioinfo *ax_info_find(const void *h);
struct ax_io *ax_io_find(const void *h);
int ax_tensor_index(const struct ax_desc *d, bool input, const char *name);
axclrtEngineSet ax_affinity_range(axclrtEngineVNpuKind k);
bool ax_type_fits(axclrtEngineVNpuKind k, axclrtEngineModelKind t);
const char *ax_vnpu_name(axclrtEngineVNpuKind k);
axclError ax_engine_enter(const char *fn, struct ax_ctx **ctx);
/* engine_load.c */
void ax_model_free(struct ax_model *m);
/* engine.c */
axclError ax_execute_locked(uint64_t model_id, uint64_t context_id, uint32_t group, void *io,
                            struct ax_ctx *ctx, const char *fn, double *delay_ns, struct ax_device **npu_dev);
void ax_engine_release_all_locked(void);

/* Delays: the emulated device time is nominal_ns * NPU4J_EMULATOR_SPEED,
 * counted from started_ns (ax_now_ns() when the call began its host-side
 * work, 0 for "now"), so the host time the emulator itself spent copying or
 * computing is part of it rather than added on top. The given serialising
 * mutex (NULL for none) is held while waiting. Call without ax.lock held. */
void ax_delay(double nominal_ns, pthread_mutex_t *serial, uint64_t started_ns);
/* Same, on the device's NPU lock, accounting the time as NPU busy time. */
void ax_delay_npu(double nominal_ns, struct ax_device *dev, uint64_t started_ns);
uint64_t ax_now_ns(void);
/* ax_now_ns() when delays are on (speed > 0), else 0: the started_ns of a call. */
uint64_t ax_work_start(void);

/* Live object counts (for the finalize report and introspection). */
struct ax_live {
    long long device_allocations, host_allocations, contexts, streams, models, engine_contexts, io_infos, ios;
};
void ax_live_counts_locked(struct ax_live *out);

/* json.c: a small JSON reader for the axclInit configuration. */
typedef enum { AX_JSON_NULL, AX_JSON_BOOL, AX_JSON_NUMBER, AX_JSON_STRING, AX_JSON_ARRAY, AX_JSON_OBJECT } ax_json_type;
typedef struct ax_json {
    ax_json_type type;
    bool boolean;
    double number;
    char *string;          /* AX_JSON_STRING */
    size_t count;          /* members of an array or object */
    struct ax_json *items; /* values */
    char **keys;           /* object member names, parallel to items */
} ax_json;
/* Returns 0 and a tree in *out, or -1 with a message (line:column) in err. */
int ax_json_parse(const char *text, size_t len, ax_json **out, char *err, size_t errlen);
void ax_json_free(ax_json *v);
const ax_json *ax_json_get(const ax_json *obj, const char *key);

/* config.c */
axclError ax_config_defaults(struct ax_config *cfg);
axclError ax_config_load(const char *path, struct ax_config *cfg);

/* Float conversions, shared by the emulators (native/emulator/common). */
#include "../../common/emu_float.h"

#endif /* NPU4J_AXCL_AXEMU_H */
