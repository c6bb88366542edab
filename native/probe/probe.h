/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Shared by the ABI probe (probe.c) and the probe of each runtime
 * (probe_rkllm.c, probe_axcl.c, probe_rknn.c): the macros that list a
 * struct's fields and a function's signature, and the functions behind them.
 * The output format and the checks are described in probe.c.
 */
#ifndef NPU4J_PROBE_H
#define NPU4J_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* Defined by the runtime's probe: every struct, then every function. */
void probe_structs(void);
void probe_functions(void);

/* ---------------------------------------------------------------- layout walk */

void probe_begin_type(const char *kw, const char *name, size_t size, size_t align, int is_union);
void probe_field_at(const char *path, size_t off, size_t size, size_t align);
/* The members listed next belong to the struct-typed member just listed. */
void probe_open_nested(void);
/* The members listed next belong to an anonymous union. */
void probe_open_anon_union(void);
void probe_close_scope(void);
void probe_end_type(void);

#define PROBE_MEMBER_TYPE(T, path) __typeof__(((T *)0)->path)
#define STRUCT(T) probe_begin_type("struct", #T, sizeof(T), _Alignof(T), 0)
#define UNION(T) probe_begin_type("union", #T, sizeof(T), _Alignof(T), 1)
#define FIELD(T, path)                                                                   \
    probe_field_at(#path, offsetof(T, path), sizeof(((T *)0)->path),                     \
                   _Alignof(PROBE_MEMBER_TYPE(T, path)))
/* A struct-typed member; its own members follow, then END(). */
#define NESTED(T, path)                                                                  \
    do {                                                                                 \
        FIELD(T, path);                                                                  \
        probe_open_nested();                                                             \
    } while (0)
/* An anonymous union; its members follow, then END(). */
#define ANON_UNION() probe_open_anon_union()
#define END() probe_close_scope()
#define END_TYPE() probe_end_type()

/* ---------------------------------------------------------------- signatures */

void probe_print_kind(int cls, size_t size, int is_bool, const char *cname);
void probe_begin_fn(const char *name);
void probe_next_param(void);

#define PROBE_KIND(T)                                                                    \
    probe_print_kind(__builtin_classify_type((T){0}), sizeof(T), _Generic((T){0}, bool : 1, default : 0), \
                     #T)

#define PROBE_PARAM(T)                                                                   \
    probe_next_param();                                                                  \
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
        probe_begin_fn(#name);                                                           \
        PROBE_KIND(R);                                                                   \
        PROBE_EACH(PROBE_PARAM, __VA_ARGS__)                                             \
        putchar('\n');                                                                   \
    } while (0)

/* FN0(name, R): R name(void) */
#define FN0(name, R)                                                                     \
    do {                                                                                 \
        PROBE_SAME_TYPE(name, R(*)(void));                                               \
        probe_begin_fn(#name);                                                           \
        PROBE_KIND(R);                                                                   \
        printf(" params=\n");                                                            \
    } while (0)

/* FNV(name, P1, ..., Pn): void name(P1, ..., Pn), n >= 1 */
#define FNV(name, ...)                                                                   \
    do {                                                                                 \
        PROBE_SAME_TYPE(name, void (*)(__VA_ARGS__));                                    \
        probe_begin_fn(#name);                                                           \
        printf("void");                                                                  \
        PROBE_EACH(PROBE_PARAM, __VA_ARGS__)                                             \
        putchar('\n');                                                                   \
    } while (0)

#endif /* NPU4J_PROBE_H */
