/*
 * Copyright 2026 The npu4j authors. SPDX-License-Identifier: Apache-2.0
 *
 * Function calling in the npu4j RKLLM emulator (rkllm_set_function_tools, the
 * tool calls the emulated model writes) and the plan of an answer: thinking,
 * tool calls, a reply to a tool result, or prose.
 */

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emu_runtime.h"

void emu_tools_free(emu_handle *h)
{
    for (int i = 0; i < h->n_tools; i++) {
        emu_tool *t = &h->tools[i];
        for (int k = 0; k < t->n_args; k++) {
            emu_free(t->args[k]);
            emu_free(t->types[k]);
            emu_free(t->first_enum[k]);
        }
        emu_free(t->args);
        emu_free(t->types);
        emu_free(t->first_enum);
        emu_free(t->name);
    }
    emu_free(h->tools);
    h->tools = NULL;
    h->n_tools = 0;
    emu_free(h->tools_system);
    h->tools_system = NULL;
    emu_free(h->tool_tag);
    h->tool_tag = NULL;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0) {
        return false;
    }
    for (const char *p = hay; *p != '\0'; p++) {
        if (strncasecmp(p, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static bool mentions_tool(const char *text, const char *name)
{
    if (contains_ci(text, name)) {
        return true;
    }
    char *spaced = emu_strdup(name);
    if (spaced == NULL) {
        return false;
    }
    for (char *p = spaced; *p != '\0'; p++) {
        if (*p == '_' || *p == '-') {
            *p = ' ';
        }
    }
    bool hit = contains_ci(text, spaced);
    emu_free(spaced);
    return hit;
}

/* A plausible string argument taken from the user's message: the longest run
 * of capitalised words that does not start a sentence ("San Francisco"),
 * else the longest word, else "example". */
static char *guess_string_arg(const char *text)
{
    const char *best = NULL;
    size_t best_len = 0;
    bool sentence_start = true;
    const char *p = text;
    while (*p != '\0') {
        if (*p >= 'A' && *p <= 'Z' && !sentence_start && (p == text || p[-1] == ' ')) {
            const char *s = p;
            const char *e = p;
            for (;;) {
                while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || *e == '-') {
                    e++;
                }
                if (e[0] == ' ' && e[1] >= 'A' && e[1] <= 'Z') {
                    e++;
                    continue;
                }
                break;
            }
            if ((size_t)(e - s) > best_len) {
                best = s;
                best_len = (size_t)(e - s);
            }
            p = e;
            continue;
        }
        if (*p == '.' || *p == '!' || *p == '?') {
            sentence_start = true;
        } else if (*p != ' ' && *p != '\t' && *p != '\n') {
            sentence_start = false;
        }
        p++;
    }
    if (best == NULL) {
        /* Longest run of non-space, non-punctuation bytes. */
        const char *s = text;
        while (*s != '\0') {
            while (*s != '\0' && (unsigned char)*s <= '@' && (unsigned char)*s < 0x80) {
                s++;
            }
            const char *e = s;
            while (*e != '\0' && !((unsigned char)*e <= '@' && (unsigned char)*e < 0x80)) {
                e++;
            }
            if ((size_t)(e - s) > best_len && (size_t)(e - s) >= 3) {
                best = s;
                best_len = (size_t)(e - s);
            }
            s = e;
        }
    }
    if (best == NULL) {
        return emu_strdup("example");
    }
    /* Do not cut a UTF-8 character. */
    return emu_strndup(best, best_len - emu_utf8_incomplete_tail(best, best_len));
}

/* {"name": "...", "arguments": {...}} for a tool the message asked for. */
static void write_tool_call(emu_sb *sb, const emu_tool *t, const char *user_text, emu_rng *rng)
{
    emu_sb_puts(sb, "{\"name\": ");
    ej_write_string(sb, t->name);
    emu_sb_puts(sb, ", \"arguments\": {");
    for (int i = 0; i < t->n_args; i++) {
        if (i > 0) {
            emu_sb_puts(sb, ", ");
        }
        ej_write_string(sb, t->args[i]);
        emu_sb_puts(sb, ": ");
        const char *type = t->types[i] != NULL ? t->types[i] : "string";
        if (t->first_enum[i] != NULL) {
            emu_sb_puts(sb, t->first_enum[i]);
        } else if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
            emu_sb_printf(sb, "%d", emu_rng_range(rng, 1, 100));
        } else if (strcmp(type, "boolean") == 0) {
            emu_sb_puts(sb, "true");
        } else if (strcmp(type, "array") == 0) {
            emu_sb_puts(sb, "[]");
        } else if (strcmp(type, "object") == 0) {
            emu_sb_puts(sb, "{}");
        } else {
            char *v = guess_string_arg(user_text);
            ej_write_string(sb, v != NULL ? v : "example");
            emu_free(v);
        }
    }
    emu_sb_puts(sb, "}}");
}

/* Collects up to six "key value" pairs from a tool result for the answer. */
static void collect_values(emu_sb *sb, const ej_value *v, const char *key, int *n)
{
    if (*n >= 6) {
        return;
    }
    if (v->type == EJ_OBJECT || v->type == EJ_ARRAY) {
        for (size_t i = 0; i < v->count; i++) {
            collect_values(sb, v->items[i], v->type == EJ_OBJECT ? v->keys[i] : key, n);
        }
        return;
    }
    if (*n > 0) {
        emu_sb_puts(sb, ", ");
    }
    if (key != NULL) {
        emu_sb_puts(sb, key);
        emu_sb_putc(sb, ' ');
    }
    if (v->type == EJ_STRING || v->type == EJ_NUMBER) {
        emu_sb_puts(sb, v->text);
    } else {
        emu_sb_puts(sb, v->type == EJ_BOOL ? (v->boolean ? "true" : "false") : "null");
    }
    (*n)++;
}

/* --------------------------------------------------------- answer plan */

void emu_plan_answer(emu_handle *h, slot_run *r, const emu_request *rq, emu_script script)
{
    emu_gen *g = &r->gen;
    bool text_input = rq->type == RKLLM_INPUT_PROMPT || rq->type == RKLLM_INPUT_MULTIMODAL;
    if (text_input && emu_thinking_template(h) && rq->enable_thinking) {
        emu_gen_add(g, EMU_SEG_SPECIAL, EMU_SP_THINK, NULL, 0);
        emu_gen_add(g, EMU_SEG_LITERAL, 0, "\n", 0);
        emu_gen_add(g, EMU_SEG_PROSE, 0, NULL, emu_rng_range(&g->rng, 1, 3));
        emu_gen_add(g, EMU_SEG_LITERAL, 0, "\n", 0);
        emu_gen_add(g, EMU_SEG_SPECIAL, EMU_SP_THINK_END, NULL, 0);
        emu_gen_add(g, EMU_SEG_LITERAL, 0, "\n\n", 0);
    }
    if (rq->type == RKLLM_INPUT_PROMPT && !rq->is_tool && h->tools_system != NULL) {
        int calls = 0;
        for (int i = 0; i < h->n_tools; i++) {
            if (!mentions_tool(rq->text, h->tools[i].name)) {
                continue;
            }
            emu_sb json = {0};
            emu_sb_putc(&json, '\n');
            write_tool_call(&json, &h->tools[i], rq->text, &g->rng);
            emu_sb_putc(&json, '\n');
            if (calls > 0) {
                emu_gen_add(g, EMU_SEG_LITERAL, 0, "\n", 0);
            }
            emu_gen_add(g, EMU_SEG_SPECIAL, EMU_SP_TOOL_CALL, NULL, 0);
            if (!json.failed) {
                emu_gen_add(g, EMU_SEG_LITERAL, 0, json.buf, 0);
            }
            emu_gen_add(g, EMU_SEG_SPECIAL, EMU_SP_TOOL_CALL_END, NULL, 0);
            emu_sb_free(&json);
            calls++;
        }
        if (calls > 0) {
            emu_gen_add(g, EMU_SEG_EOS, 0, NULL, 0);
            return;
        }
    }
    if (rq->is_tool && rq->text != NULL) {
        emu_sb s = {0};
        emu_text_tool_result_intro(&s, script);
        char why[128];
        ej_value *v = ej_parse(rq->text, why, sizeof why);
        int n = 0;
        if (v != NULL) {
            collect_values(&s, v, NULL, &n);
            ej_free(v);
        } else {
            size_t l = strlen(rq->text);
            l = l > 80 ? 80 : l;
            emu_sb_append(&s, rq->text, l - emu_utf8_incomplete_tail(rq->text, l));
        }
        emu_sb_puts(&s, script == EMU_SCRIPT_CJK ? "。" : ". ");
        if (!s.failed) {
            emu_gen_add(g, EMU_SEG_LITERAL, 0, s.buf, 0);
        }
        emu_sb_free(&s);
        emu_gen_add(g, EMU_SEG_PROSE, 0, NULL, emu_rng_range(&g->rng, 1, 2));
        emu_gen_add(g, EMU_SEG_EOS, 0, NULL, 0);
        return;
    }
    if (text_input) {
        emu_gen_topic_from(g, rq->text);
    }
    emu_gen_add(g, EMU_SEG_PROSE, 0, NULL, 0);
    emu_gen_add(g, EMU_SEG_EOS, 0, NULL, 0);
}

/* -------------------------------------------- rkllm_set_function_tools */

/* Reads the tools JSON: an array of {"type": "function", "function": {...}}
 * or of bare {"name": ..., "parameters": ...} objects. */
static int parse_tools(emu_handle *h, const ej_value *v, char *err, size_t errlen)
{
    size_t n = v->type == EJ_ARRAY ? v->count : 1;
    h->tools = emu_calloc(n, sizeof *h->tools);
    if (h->tools == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const ej_value *item = v->type == EJ_ARRAY ? v->items[i] : v;
        const ej_value *fn = ej_member(item, "function");
        if (fn == NULL) {
            fn = item;
        }
        const ej_value *name = ej_member(fn, "name");
        if (name == NULL || name->type != EJ_STRING || name->text[0] == '\0') {
            snprintf(err, errlen, "tool %zu has no \"name\"", i);
            return -1;
        }
        emu_tool *t = &h->tools[h->n_tools++];
        t->name = emu_strdup(name->text);
        const ej_value *params = ej_member(fn, "parameters");
        const ej_value *props = ej_member(params, "properties");
        const ej_value *req = ej_member(params, "required");
        size_t na = 0;
        if (req != NULL && req->type == EJ_ARRAY) {
            na = req->count;
        } else if (props != NULL) {
            na = props->count;
        }
        t->args = emu_calloc(na, sizeof *t->args);
        t->types = emu_calloc(na, sizeof *t->types);
        t->first_enum = emu_calloc(na, sizeof *t->first_enum);
        if (t->name == NULL || t->args == NULL || t->types == NULL || t->first_enum == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (size_t k = 0; k < na; k++) {
            const char *arg = NULL;
            if (req != NULL && req->type == EJ_ARRAY) {
                if (req->items[k]->type == EJ_STRING) {
                    arg = req->items[k]->text;
                }
            } else {
                arg = props->keys[k];
            }
            if (arg == NULL) {
                continue;
            }
            const ej_value *schema = ej_member(props, arg);
            const ej_value *type = ej_member(schema, "type");
            const ej_value *en = ej_member(schema, "enum");
            int a = t->n_args++;
            t->args[a] = emu_strdup(arg);
            if (type != NULL && type->type == EJ_STRING) {
                t->types[a] = emu_strdup(type->text);
            }
            if (en != NULL && en->type == EJ_ARRAY && en->count > 0) {
                emu_sb sb = {0};
                ej_write_value(&sb, en->items[0]);
                t->first_enum[a] = sb.failed ? NULL : sb.buf;
                if (sb.failed) {
                    emu_sb_free(&sb);
                }
            }
            if (t->args[a] == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
    }
    return 0;
}

static int set_function_tools_locked(emu_handle *h, const char *system_prompt,
                                     const char *tools, const char *tool_response_str)
{
    if (!h->model.qwen_tools) {
        emu_log('E', "rkllm_set_function_tools: the emulated model %s has no function calling "
                     "(descriptor: tool_calls = none)",
                h->model.name);
        return -1;
    }
    emu_tools_free(h);
    emu_drop_system_only_slots(h);
    if (tools == NULL || tools[0] == '\0') {
        return 0; /* function calling off */
    }
    char err[ERRLEN];
    ej_value *v = ej_parse(tools, err, sizeof err);
    if (v == NULL || (v->type != EJ_ARRAY && v->type != EJ_OBJECT)) {
        emu_log('E', "rkllm_set_function_tools: tools must be a JSON array of function "
                     "declarations: %s",
                v == NULL ? err : "got a JSON scalar");
        ej_free(v);
        return -1;
    }
    int rc = parse_tools(h, v, err, sizeof err);
    ej_free(v);
    if (rc != 0) {
        emu_log('E', "rkllm_set_function_tools: %s", err);
        emu_tools_free(h);
        return -1;
    }
    /* The system turn the emulated model sees: the caller's system prompt and
     * the declarations, in Qwen's chat markup. */
    emu_sb sb = {0};
    emu_sb_puts(&sb, "<|im_start|>system\n");
    emu_sb_puts(&sb, system_prompt != NULL ? system_prompt : "");
    emu_sb_puts(&sb, "\n\n# Tools\n\nYou can call these functions; declarations in "
                     "<tools></tools>:\n<tools>\n");
    emu_sb_puts(&sb, tools);
    emu_sb_puts(&sb, "\n</tools>\n\nTo call one, answer with <tool_call></tool_call> around a "
                     "JSON object holding \"name\" and \"arguments\".<|im_end|>\n");
    h->tool_tag = emu_strdup(tool_response_str != NULL && tool_response_str[0] != '\0'
                                 ? tool_response_str
                                 : "tool_response");
    if (sb.failed || h->tool_tag == NULL) {
        emu_sb_free(&sb);
        emu_tools_free(h);
        emu_log('E', "rkllm_set_function_tools: out of memory");
        return -1;
    }
    h->tools_system = sb.buf;
    return 0;
}

EMU_EXPORT int rkllm_set_function_tools(LLMHandle handle, const char *system_prompt,
                                        const char *tools, const char *tool_response_str)
{
    emu_handle *h = emu_as_handle(handle, "rkllm_set_function_tools");
    if (h == NULL || !emu_lock_idle(h, "rkllm_set_function_tools")) {
        return -1;
    }
    int rc = set_function_tools_locked(h, system_prompt, tools, tool_response_str);
    pthread_mutex_unlock(&h->mu);
    return rc;
}
