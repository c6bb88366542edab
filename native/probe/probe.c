/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * ABI probe: compiled by the C compiler from npu4j's own vendor-ABI headers,
 * it prints what the compiler made of them, so that a Java test can compare
 * the jextract-generated layouts and function descriptors with it.
 *
 * This file (the layout walk, the signature kinds and main) is built with one
 * runtime's probe, four builds in all (see CMakeLists.txt):
 *   probe_rkllm.c with include/rkllm/v1_2 or include/rkllm/v1_3 on the path
 *   probe_axcl.c  with include/axcl on the path
 *   probe_rknn.c  with include/rknn on the path
 * probe.h declares what they share.
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
#include "probe.h"

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

void probe_begin_type(const char *kw, const char *name, size_t size, size_t align, int is_union)
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

void probe_field_at(const char *path, size_t off, size_t size, size_t align)
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
void probe_open_nested(void)
{
    probe_scope s = {0, 0, last_off, last_off, last_off + last_size, last_align};
    push(s);
}

/* The members listed next belong to an anonymous union. */
void probe_open_anon_union(void)
{
    probe_scope s = {1, 0, 0, 0, 0, 1};
    push(s);
}

void probe_close_scope(void)
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

void probe_end_type(void)
{
    probe_close_scope();
    if (depth != 0) {
        fprintf(stderr, "probe: %s: %d scope(s) left open\n", cur_type, depth);
        exit(2);
    }
}

/* ---------------------------------------------------------------- signatures */

static int nparams;

void probe_print_kind(int cls, size_t size, int is_bool, const char *cname)
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

void probe_begin_fn(const char *name)
{
    printf("function %s ret=", name);
    nparams = 0;
}

void probe_next_param(void)
{
    printf(nparams++ ? "," : " params=");
}

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
