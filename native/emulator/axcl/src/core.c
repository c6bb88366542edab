/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Process-wide state of the AXCL emulator: axclInit/axclFinalize, versions,
 * logging, the environment knobs, emulated delays and the npu4j_emulator_axcl_*
 * introspection helpers.
 */
#include "axemu.h"
#include "npu4j_axcl_emulator.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct ax_state ax = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .log_level = AX_LOG_WARN,
};

/* Survive axclFinalize: "the Nth execute in the process". */
static uint64_t g_executes;
static char g_finalize_report[640];
static uint64_t g_calls[AX_CALL_KINDS];

void ax_count_call(enum ax_call_kind k) {
    __atomic_add_fetch(&g_calls[k], 1, __ATOMIC_RELAXED);
}

static uint64_t calls(enum ax_call_kind k) {
    return __atomic_load_n(&g_calls[k], __ATOMIC_RELAXED);
}

uint64_t ax_execute_count(void) {
    return __atomic_load_n(&g_executes, __ATOMIC_SEQ_CST);
}

uint64_t ax_execute_count_next(void) {
    return __atomic_add_fetch(&g_executes, 1, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------------------------------ */
/* Logging                                                             */
/* ------------------------------------------------------------------ */

static void vlog(int level, const char *fn, const char *fmt, va_list ap) {
    if (level < ax.log_level || ax.log_level >= AX_LOG_OFF) {
        return;
    }
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (fn) {
        fprintf(stderr, AX_LOG_PREFIX "%s: %s\n", fn, msg);
    } else {
        fprintf(stderr, AX_LOG_PREFIX "%s\n", msg);
    }
}

void ax_log(int level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(level, NULL, fmt, ap);
    va_end(ap);
}

axclError ax_fail(axclError code, const char *fn, const char *fmt, ...) {
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ax_log(AX_LOG_ERROR, "%s: %s (0x%08X)", fn, msg, (unsigned)code);
    return code;
}

/* ------------------------------------------------------------------ */
/* Links, profiles, environment                                        */
/* ------------------------------------------------------------------ */

/* Nominal link figures: the CM3588 M.2 slot trains Gen2 x1 (~500 MB/s) and a
 * small transfer costs ~0.3 ms round trip (shared/facts/boards.md). */
static const struct ax_link_params LINKS[AX_LINK_COUNT] = {
    [AX_LINK_GEN2X1] = {"gen2x1", 500e6, 300e3},
    [AX_LINK_GEN2X2] = {"gen2x2", 1000e6, 300e3},
    [AX_LINK_NATIVE] = {"native", 0, 0},
    [AX_LINK_SLOW] = {"slow", 50e6, 3000e3},
};

static const char *const PROFILES[AX_PROFILE_COUNT] = {"default", "tuned", "native"};

/* The fixed cost of a call that crosses the link, relative to the link's
 * nominal round trip (0.3 ms on gen2x1): 0.495 ms with the CM3588's default
 * host setup (IRQ on a little core, ondemand governor) and 0.2155 ms tuned,
 * solved so that the vendor's call pattern gives the published Qwen3-0.6B
 * rows (7.3 / 11.0 tok/s, with 1 ms of host work per token;
 * shared/facts/boards.md; README.md "Calibration").
 * The native profile runs on the card (link "native" costs nothing anyway). */
double ax_profile_call_factor(ax_profile p) {
    switch (p) {
    case AX_PROFILE_DEFAULT: return 0.495 / 0.3;
    case AX_PROFILE_TUNED: return 0.2155 / 0.3;
    default: return 0.2155 / 0.3;
    }
}

const struct ax_link_params *ax_link_params(ax_link link) {
    return &LINKS[link < AX_LINK_COUNT ? link : AX_LINK_GEN2X1];
}

int ax_link_parse(const char *s, ax_link *out) {
    for (int i = 0; i < AX_LINK_COUNT; i++) {
        if (strcmp(s, LINKS[i].name) == 0) {
            *out = (ax_link)i;
            return 0;
        }
    }
    return -1;
}

int ax_profile_parse(const char *s, ax_profile *out) {
    for (int i = 0; i < AX_PROFILE_COUNT; i++) {
        if (strcmp(s, PROFILES[i]) == 0) {
            *out = (ax_profile)i;
            return 0;
        }
    }
    return -1;
}

const char *ax_profile_name(ax_profile p) {
    return p < AX_PROFILE_COUNT ? PROFILES[p] : "?";
}

/* Warns once per variable about an unusable value. */
static void warn_env_once(const char *name, const char *value, const char *expect) {
    static char warned[8][48];
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < 8; i++) {
        if (strcmp(warned[i], name) == 0) {
            pthread_mutex_unlock(&mu);
            return;
        }
        if (warned[i][0] == '\0') {
            snprintf(warned[i], sizeof warned[i], "%s", name);
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    fprintf(stderr, AX_LOG_PREFIX "ignoring %s=\"%s\": expected %s\n", name, value, expect);
}

/* The knobs are re-read on every API call, so that a test may change them with
 * setenv between calls. The snapshot is process-wide and refreshed under
 * ax.lock by ax_device_lost(), which every API call goes through first; a value
 * is parsed again only when its string changed (setenv always installs a new
 * string), and while environ's pointer array is unchanged nothing is scanned.
 * Strings edited in place after putenv() are not noticed: use setenv. */
struct env_knob {
    const char *name; /* after the common prefix */
    const char *raw;  /* the value string last parsed, NULL if unset */
};

enum { K_SPEED, K_LINK, K_PROFILE, K_FAIL, K_LOST, K_NO_CARD, K_CATCH_UP, K_COUNT };

#define ENV_SEEN_MAX 512

struct env_snapshot {
    char **seen_array;
    size_t seen_n; /* (size_t)-1: nothing remembered */
    char *seen[ENV_SEEN_MAX];
    struct env_knob knob[K_COUNT];
    double speed; /* read outside the lock too: accessed atomically */
    bool has_link, has_profile;
    ax_link link;
    ax_profile profile;
    long long fail_execute, device_lost;
    bool no_card;
    int catch_up; /* read outside the lock too: accessed atomically */
};

static struct env_snapshot g_env = {
    .seen_n = (size_t)-1,
    .knob = {{"SPEED", NULL}, {"AXCL_LINK", NULL}, {"AXCL_PROFILE", NULL}, {"AXCL_FAIL_EXECUTE", NULL},
             {"AXCL_DEVICE_LOST", NULL}, {"AXCL_NO_CARD", NULL}, {"CATCH_UP", NULL}},
    .speed = 1.0,
    .fail_execute = -1,
    .device_lost = -1,
};

extern char **environ;

static long long parse_count(const char *name, const char *s) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < 0) {
        warn_env_once(name, s, "a non-negative integer");
        return -1;
    }
    return v;
}

static void parse_knob(struct env_snapshot *e, int k, const char *v) {
    switch (k) {
    case K_SPEED: {
        double speed = 1.0;
        if (v && *v) {
            char *end;
            errno = 0;
            double d = strtod(v, &end);
            if (errno || end == v || *end != '\0' || !(d >= 0) || isinf(d)) {
                warn_env_once("NPU4J_EMULATOR_SPEED", v, "a non-negative number (1 = board timing, 0 = no delays)");
            } else {
                speed = d;
            }
        }
        __atomic_store(&e->speed, &speed, __ATOMIC_RELAXED);
        break;
    }
    case K_LINK:
        e->has_link = v && *v && ax_link_parse(v, &e->link) == 0;
        if (v && *v && !e->has_link) {
            warn_env_once("NPU4J_EMULATOR_AXCL_LINK", v, "gen2x1, gen2x2, native or slow");
        }
        break;
    case K_PROFILE:
        e->has_profile = v && *v && ax_profile_parse(v, &e->profile) == 0;
        if (v && *v && !e->has_profile) {
            warn_env_once("NPU4J_EMULATOR_AXCL_PROFILE", v, "default, tuned or native");
        }
        break;
    case K_FAIL: e->fail_execute = v && *v ? parse_count("NPU4J_EMULATOR_AXCL_FAIL_EXECUTE", v) : -1; break;
    case K_LOST: e->device_lost = v && *v ? parse_count("NPU4J_EMULATOR_AXCL_DEVICE_LOST", v) : -1; break;
    case K_CATCH_UP: {
        int on = v && strcmp(v, "1") == 0;
        if (v && *v && strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
            warn_env_once("NPU4J_EMULATOR_CATCH_UP", v, "0 or 1");
        }
        __atomic_store_n(&e->catch_up, on, __ATOMIC_RELAXED);
        break;
    }
    case K_NO_CARD: e->no_card = v && *v && parse_count("NPU4J_EMULATOR_AXCL_NO_CARD", v) > 0; break;
    }
}

static bool environ_unchanged(const struct env_snapshot *e) {
    char **ep = environ;
    if (!ep || ep != e->seen_array || e->seen_n == (size_t)-1) {
        return false;
    }
    size_t i = 0;
    for (; i < e->seen_n; i++) {
        if (ep[i] != e->seen[i]) {
            return false;
        }
    }
    return ep[i] == NULL;
}

static void remember_environ(struct env_snapshot *e) {
    char **ep = environ;
    size_t n = 0;
    while (ep && ep[n] && n < ENV_SEEN_MAX) {
        e->seen[n] = ep[n];
        n++;
    }
    /* Too many variables to remember: scan every time. */
    e->seen_n = ep && ep[n] == NULL ? n : (size_t)-1;
    e->seen_array = ep;
}

void ax_env_refresh(void) {
    struct env_snapshot *e = &g_env;
    if (environ_unchanged(e)) {
        return;
    }
    static const char prefix[] = "NPU4J_EMULATOR_";
    const size_t plen = sizeof prefix - 1;
    const char *found[K_COUNT] = {NULL};
    for (char **ep = environ; ep && *ep; ep++) {
        const char *kv = *ep;
        if (kv[0] != 'N' || strncmp(kv, prefix, plen) != 0) {
            continue;
        }
        const char *rest = kv + plen;
        for (int k = 0; k < K_COUNT; k++) {
            size_t n = strlen(e->knob[k].name);
            if (strncmp(rest, e->knob[k].name, n) == 0 && rest[n] == '=') {
                found[k] = rest + n + 1;
                break;
            }
        }
    }
    for (int k = 0; k < K_COUNT; k++) {
        if (found[k] != e->knob[k].raw) {
            e->knob[k].raw = found[k];
            parse_knob(e, k, found[k]);
        }
    }
    remember_environ(e);
}

double ax_env_speed(void) {
    double v;
    __atomic_load(&g_env.speed, &v, __ATOMIC_RELAXED);
    return v;
}

bool ax_env_link(ax_link *out) {
    if (g_env.has_link) {
        *out = g_env.link;
    }
    return g_env.has_link;
}

bool ax_env_profile(ax_profile *out) {
    if (g_env.has_profile) {
        *out = g_env.profile;
    }
    return g_env.has_profile;
}

long long ax_env_fail_execute(void) {
    return g_env.fail_execute;
}

bool ax_env_no_card(void) {
    return g_env.no_card;
}

bool ax_no_card_uninitialised(void) {
    ax_env_refresh();
    return !ax.initialized && (g_env.no_card || ax.init_found_no_card);
}

bool ax_device_lost(void) {
    ax_env_refresh();
    long long n = g_env.device_lost;
    return n >= 0 && ax_execute_count() >= (uint64_t)n;
}

axclError ax_enter(int need, const char *fn, struct ax_ctx **ctx) {
    if (ctx) {
        *ctx = NULL;
    }
    if (!ax.initialized) {
        return ax_fail(AX_E_NOT_INIT, fn, "the AXCL runtime is not initialised (axclInit not called, or axclFinalize already was)");
    }
    if (ax_device_lost()) {
        static bool told;
        if (!told) {
            told = true;
            ax_log(AX_LOG_ERROR,
                   "NPU4J_EMULATOR_AXCL_DEVICE_LOST: the emulated card dropped off the PCIe bus after %llu executes;"
                   " every call now fails with 0x%08X",
                   (unsigned long long)ax_execute_count(), (unsigned)AX_E_LOST);
        }
        return AX_E_LOST;
    }
    if (need & AX_NEED_CTX) {
        struct ax_ctx *c = ax_current_ctx();
        if (!c) {
            return ax_fail(AX_E_NO_CTX, fn,
                           "the calling thread has no current context (call axclrtSetDevice or axclrtSetCurrentContext"
                           " in this thread first)");
        }
        if (ctx) {
            *ctx = c;
        }
    }
    return AXCL_SUCC;
}

/* ------------------------------------------------------------------ */
/* Delays                                                              */
/* ------------------------------------------------------------------ */

uint64_t ax_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t ax_work_start(void) {
    return ax_env_speed() > 0 ? ax_now_ns() : 0;
}

/* Sleeps until deadline: the kernel sleep stops ~150 us early (timer slack
 * and wake-up latency) and the rest is spun, so sub-millisecond delays come
 * out close to nominal. */
static void sleep_until(uint64_t deadline) {
    const uint64_t spin = 150000;
    uint64_t now = ax_now_ns();
    if (deadline > now + spin) {
        uint64_t wake = deadline - spin;
        struct timespec ts = {(time_t)(wake / 1000000000ull), (long)(wake % 1000000000ull)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
    }
    while (ax_now_ns() < deadline) {
    }
}

/* Scaled duration in ns, 0 when nothing should happen. */
static uint64_t scaled(double nominal_ns) {
    if (!(nominal_ns > 0)) {
        return 0;
    }
    double ns = nominal_ns * ax_env_speed();
    return ns >= 1.0 ? (uint64_t)ns : 0;
}

/* Host time already spent on the call's own work (copying, computing). */
static uint64_t spent_since(uint64_t started_ns) {
    uint64_t now = ax_now_ns();
    return started_ns && now > started_ns ? now - started_ns : 0;
}

/* Waits out what is left of ns once the serialising lock is held; waiting for
 * the lock itself (another transfer or job in progress) does not count.
 * With NPU4J_EMULATOR_CATCH_UP=1 a thread that woke up late (a loaded machine
 * schedules it late) owes that lateness to its next waits, up to DEBT_MAX, so
 * that a run of many short calls keeps the emulated rate instead of adding the
 * host's wake-up latency to every call (throughput benchmarks); off by
 * default, every call then lasts at least its own time. Returns the emulated
 * duration. */
#define DEBT_MAX 10000000ull
static __thread uint64_t t_debt_ns;

static uint64_t wait_rest(uint64_t ns, uint64_t spent) {
    if (spent >= ns) {
        return spent;
    }
    uint64_t want = ns - spent;
    if (!__atomic_load_n(&g_env.catch_up, __ATOMIC_RELAXED)) {
        t_debt_ns = 0;
    }
    uint64_t cut = t_debt_ns < want ? t_debt_ns : want;
    t_debt_ns -= cut;
    want -= cut;
    if (want > 0) {
        uint64_t deadline = ax_now_ns() + want;
        sleep_until(deadline);
        uint64_t late = ax_now_ns() - deadline;
        if (__atomic_load_n(&g_env.catch_up, __ATOMIC_RELAXED)) {
            t_debt_ns = t_debt_ns + late > DEBT_MAX ? DEBT_MAX : t_debt_ns + late;
        }
    }
    return ns;
}

void ax_delay(double nominal_ns, pthread_mutex_t *serial, uint64_t started_ns) {
    uint64_t ns = scaled(nominal_ns);
    if (!ns) {
        return;
    }
    uint64_t spent = spent_since(started_ns);
    if (serial) {
        pthread_mutex_lock(serial);
    }
    wait_rest(ns, spent);
    if (serial) {
        pthread_mutex_unlock(serial);
    }
}

void ax_delay_npu(double nominal_ns, struct ax_device *dev, uint64_t started_ns) {
    uint64_t ns = scaled(nominal_ns);
    if (!ns || !dev) {
        return;
    }
    uint64_t spent = spent_since(started_ns);
    pthread_mutex_lock(&dev->npu_lock);
    uint64_t busy = wait_rest(ns, spent);
    __atomic_add_fetch(&dev->busy_ns, busy, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&dev->npu_lock);
}

/* ------------------------------------------------------------------ */
/* Live objects                                                        */
/* ------------------------------------------------------------------ */

void ax_live_counts_locked(struct ax_live *out) {
    memset(out, 0, sizeof *out);
    out->device_allocations = (long long)ax.ndalloc;
    out->host_allocations = (long long)ax.nhalloc;
    for (struct ax_ctx *c = ax.contexts; c; c = c->next) {
        out->contexts += !c->is_default;
    }
    for (struct ax_stream *s = ax.streams; s; s = s->next) {
        out->streams += !s->is_default;
    }
    for (struct ax_model *m = ax.models; m; m = m->next) {
        out->models++;
        for (struct ax_engine_ctx *e = m->contexts; e; e = e->next) {
            out->engine_contexts++;
        }
    }
    for (struct ax_ioinfo *i = ax.ioinfos; i; i = i->next) {
        out->io_infos++;
    }
    for (struct ax_io *i = ax.ios; i; i = i->next) {
        out->ios++;
    }
}

static long long active_devices_locked(void) {
    long long n = 0;
    for (int i = 0; i < ax.ndev; i++) {
        n += ax.dev[i].set_refs > 0;
    }
    return n;
}

static long long engine_inits_locked(void) {
    long long n = 0;
    for (int i = 0; i < ax.ndev; i++) {
        n += ax.dev[i].engine_refs;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* axclInit / axclFinalize                                             */
/* ------------------------------------------------------------------ */

static void banner(void) {
    char devs[1024];
    size_t n = 0;
    for (int i = 0; i < ax.ndev && n < sizeof devs - 128; i++) {
        const struct ax_device *d = &ax.dev[i];
        n += (size_t)snprintf(devs + n, sizeof devs - n, "%s[id %d] %s %04x:%02x:%02x.%x cmm=%lluMiB link=%s profile=%s",
                              i ? "; " : "", d->id, d->cfg.soc, d->cfg.domain, d->cfg.bus, d->cfg.slot,
                              d->cfg.function, (unsigned long long)(d->cfg.cmm_bytes >> 20),
                              ax_link_params(ax_device_link(d))->name, ax_profile_name(ax_device_profile(d)));
    }
    const char *speed = getenv("NPU4J_EMULATOR_SPEED");
    fprintf(stderr,
            AX_LOG_PREFIX "this is the npu4j AXCL emulator (libaxcl_rt.so emulating runtime V%d.%d.%d), NOT Axera"
                          " hardware; %d emulated device(s): %s; NPU4J_EMULATOR_SPEED=%s\n",
            AX_VERSION_MAJOR, AX_VERSION_MINOR, AX_VERSION_PATCH, ax.ndev, devs, speed && *speed ? speed : "1");
}

axclError axclInit(const char *config) {
    AX_LOCK();
    if (ax.initialized) {
        AX_UNLOCK();
        ax_log(AX_LOG_WARN, "axclInit: already initialised; call it once per process (this call changes nothing)");
        return AXCL_SUCC;
    }
    if (ax_device_lost()) {
        AX_UNLOCK();
        return ax_fail(AX_E_LOST, "axclInit", "the emulated card is lost (NPU4J_EMULATOR_AXCL_DEVICE_LOST)");
    }
    if (ax_env_no_card()) {
        ax.init_found_no_card = true;
        AX_UNLOCK();
        /* What the real host runtime returns on a machine without the card (shared/facts/boards.md). */
        return ax_fail(AXCL_ERR_DEVICE_OPEN, "axclInit",
                       "no AXCL device (NPU4J_EMULATOR_AXCL_NO_CARD), like the real runtime without a card");
    }
    struct ax_config cfg;
    axclError rc = ax_config_load(config, &cfg);
    if (rc != AXCL_SUCC) {
        AX_UNLOCK();
        return rc;
    }
    if (cfg.log_level >= 0) {
        ax.log_level = cfg.log_level;
    }
    if (cfg.ndev == 0) {
        ax.init_found_no_card = true;
        AX_UNLOCK();
        /* What the real host runtime returns on a machine without the card. */
        return ax_fail(AXCL_ERR_DEVICE_OPEN, "axclInit",
                       "no AXCL device (the config asks for device_count 0), like the real runtime without a card");
    }
    ax.ndev = cfg.ndev;
    for (int i = 0; i < cfg.ndev; i++) {
        struct ax_device *d = &ax.dev[i];
        memset(d, 0, sizeof *d);
        d->cfg = cfg.dev[i];
        d->id = (int32_t)cfg.dev[i].bus;
        pthread_mutex_init(&d->npu_lock, NULL);
        pthread_mutex_init(&d->link_lock, NULL);
        d->load_mark_ns = ax_now_ns();
    }
    rc = ax_memory_setup_locked();
    if (rc != AXCL_SUCC) {
        for (int i = 0; i < ax.ndev; i++) {
            pthread_mutex_destroy(&ax.dev[i].npu_lock);
            pthread_mutex_destroy(&ax.dev[i].link_lock);
        }
        ax.ndev = 0;
        AX_UNLOCK();
        return rc;
    }
    ax.generation++;
    ax.next_id = 1;
    ax.warned_host_model = false;
    ax.init_found_no_card = false;
    ax.initialized = true;
    banner();
    AX_UNLOCK();
    return AXCL_SUCC;
}

axclError axclFinalize(void) {
    AX_LOCK();
    if (ax_no_card_uninitialised()) {
        /* The real 3.10.2 runtime without a card: finalize succeeds, before and after a failed axclInit. */
        AX_UNLOCK();
        return AXCL_SUCC;
    }
    if (!ax.initialized) {
        AX_UNLOCK();
        return ax_fail(AX_E_NOT_INIT, "axclFinalize", "the runtime is not initialised");
    }
    /* What the application did not release, before the emulator reclaims it. */
    struct ax_live live;
    ax_live_counts_locked(&live);
    snprintf(g_finalize_report, sizeof g_finalize_report,
             "finalize live_device_allocations=%lld live_host_allocations=%lld live_contexts=%lld"
             " live_streams=%lld live_models=%lld live_engine_contexts=%lld live_io_infos=%lld live_ios=%lld"
             " active_devices=%lld engine_inits=%lld executes=%llu calls_execute=%llu calls_h2d=%llu"
             " calls_d2h=%llu calls_d2d=%llu calls_device_other=%llu calls_bind=%llu",
             live.device_allocations, live.host_allocations, live.contexts, live.streams, live.models,
             live.engine_contexts, live.io_infos, live.ios, active_devices_locked(), engine_inits_locked(),
             (unsigned long long)ax_execute_count(), (unsigned long long)calls(AX_CALL_EXECUTE),
             (unsigned long long)calls(AX_CALL_H2D), (unsigned long long)calls(AX_CALL_D2H),
             (unsigned long long)calls(AX_CALL_D2D), (unsigned long long)calls(AX_CALL_OTHER_DEVICE),
             (unsigned long long)calls(AX_CALL_BIND));
    fprintf(stderr, AX_LOG_PREFIX "%s\n", g_finalize_report);

    ax_devices_release_all_locked(); /* streams (joins their threads) and contexts */
    ax_engine_release_all_locked();
    ax_memory_release_all_locked();
    for (int i = 0; i < ax.ndev; i++) {
        pthread_mutex_destroy(&ax.dev[i].npu_lock);
        pthread_mutex_destroy(&ax.dev[i].link_lock);
    }
    ax.ndev = 0;
    ax.initialized = false;
    AX_UNLOCK();
    /* The host side is always released, even when the card is gone. */
    return AXCL_SUCC;
}

axclError axclSetLogLevel(int32_t lv) {
    if (lv < AX_LOG_TRACE || lv > AX_LOG_OFF) {
        return ax_fail(AX_E_SYSLOG(AXCL_ERR_ILLEGAL_PARAM), "axclSetLogLevel", "level %d is not in 0..6", lv);
    }
    AX_LOCK();
    ax.log_level = lv;
    AX_UNLOCK();
    return AXCL_SUCC;
}

/* ------------------------------------------------------------------ */
/* Versions                                                            */
/* ------------------------------------------------------------------ */

axclError axclrtGetVersion(int32_t *major, int32_t *minor, int32_t *patch) {
    if (!major || !minor || !patch) {
        return ax_fail(AXCL_ERR_DEVICE_NULL_POINTER, "axclrtGetVersion", "NULL output pointer");
    }
    *major = AX_VERSION_MAJOR;
    *minor = AX_VERSION_MINOR;
    *patch = AX_VERSION_PATCH;
    return AXCL_SUCC;
}

const char *axclrtGetFullVersion(void) {
    return AX_FULL_VERSION;
}

const char *axclrtGetSocName(void) {
    return AX_SOC_NAME;
}

/* ------------------------------------------------------------------ */
/* npu4j introspection                                                 */
/* ------------------------------------------------------------------ */

AX_EXPORT int64_t npu4j_emulator_axcl_live(const char *what) {
    if (!what) {
        return -1;
    }
    AX_LOCK();
    struct ax_live l;
    ax_live_counts_locked(&l);
    int64_t r = -1;
    if (strcmp(what, "device_allocations") == 0) {
        r = l.device_allocations;
    } else if (strcmp(what, "host_allocations") == 0) {
        r = l.host_allocations;
    } else if (strcmp(what, "contexts") == 0) {
        r = l.contexts;
    } else if (strcmp(what, "streams") == 0) {
        r = l.streams;
    } else if (strcmp(what, "models") == 0) {
        r = l.models;
    } else if (strcmp(what, "engine_contexts") == 0) {
        r = l.engine_contexts;
    } else if (strcmp(what, "io_infos") == 0) {
        r = l.io_infos;
    } else if (strcmp(what, "ios") == 0) {
        r = l.ios;
    } else if (strcmp(what, "active_devices") == 0) {
        r = active_devices_locked();
    } else if (strcmp(what, "engine_inits") == 0) {
        r = engine_inits_locked();
    }
    AX_UNLOCK();
    return r;
}

AX_EXPORT int64_t npu4j_emulator_axcl_live_allocations(void) {
    AX_LOCK();
    int64_t n = (int64_t)(ax.ndalloc + ax.nhalloc);
    AX_UNLOCK();
    return n;
}

AX_EXPORT uint64_t npu4j_emulator_axcl_execute_count(void) {
    return ax_execute_count();
}

AX_EXPORT const char *npu4j_emulator_axcl_finalize_report(void) {
    return g_finalize_report;
}

AX_EXPORT int npu4j_emulator_axcl_is_device_pointer(const void *p) {
    AX_LOCK();
    int r = ax.initialized && ax_dalloc_find(p, 1) != NULL;
    AX_UNLOCK();
    return r;
}

AX_EXPORT int64_t npu4j_emulator_axcl_call_count(const char *kind) {
    if (!kind) {
        return -1;
    }
    static const char *const NAMES[AX_CALL_KINDS] = {"execute", "h2d", "d2h", "d2d", "bind", "device_other"};
    for (int k = 0; k < AX_CALL_KINDS; k++) {
        if (strcmp(kind, NAMES[k]) == 0) {
            return (int64_t)calls((enum ax_call_kind)k);
        }
    }
    if (strcmp(kind, "pcie") == 0) {
        return (int64_t)(calls(AX_CALL_EXECUTE) + calls(AX_CALL_H2D) + calls(AX_CALL_D2H) + calls(AX_CALL_D2D) +
                         calls(AX_CALL_OTHER_DEVICE));
    }
    return -1;
}
