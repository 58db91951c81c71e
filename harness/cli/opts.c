/* opts.c — the shared option parser and error printer of the CLI (see cli.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/cli.h"

void bb_opt_init(bb_opt_iter *it, int argc, char **argv) {
    it->argc = argc;
    it->argv = argv;
    it->i = 1;
    it->arg = NULL;
    it->positional = NULL;
}

int bb_opt_next(bb_opt_iter *it, const bb_opt *table, bb_ctx *ctx) {
    it->arg = NULL;
    it->positional = NULL;
    if (it->i >= it->argc) return BB_OPT_END;
    char *a = it->argv[it->i++];
    if (strcmp(a, "--") == 0) {
        if (it->i >= it->argc) return BB_OPT_END;
        it->positional = it->argv[it->i++];
        return BB_OPT_POSITIONAL;
    }
    if (a[0] != '-' || a[1] == '\0') {
        it->positional = a;
        return BB_OPT_POSITIONAL;
    }
    const char *inline_arg = NULL;
    int idx = -1;
    if (a[1] == '-') {
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (int k = 0; table[k].name; k++)
            if (strlen(table[k].name) == len && strncmp(table[k].name, name, len) == 0) idx = k;
        if (eq) inline_arg = eq + 1;
    } else if (a[2] == '\0') {
        for (int k = 0; table[k].name; k++)
            if (table[k].short_name && table[k].short_name == a[1]) idx = k;
    }
    if (idx < 0) {
        BB_ERR(ctx, BB_EINVAL, "%s: unknown option (see --help)", a);
        return BB_OPT_ERROR;
    }
    if (table[idx].arg_name) {
        if (inline_arg)
            it->arg = inline_arg;
        else if (it->i < it->argc)
            it->arg = it->argv[it->i++];
        else {
            BB_ERR(ctx, BB_EINVAL, "%s: missing %s", a, table[idx].arg_name);
            return BB_OPT_ERROR;
        }
    } else if (inline_arg) {
        BB_ERR(ctx, BB_EINVAL, "%s: takes no value", a);
        return BB_OPT_ERROR;
    }
    return idx;
}

void bb_opt_help(FILE *fp, const char *usage, const char *summary, const bb_opt *table) {
    fprintf(fp, "Usage: boltzbench %s\n\n%s\n\nOptions:\n", usage, summary);
    for (int k = 0; table[k].name; k++) {
        char left[64];
        if (table[k].short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", table[k].short_name, table[k].name,
                     table[k].arg_name ? " " : "", table[k].arg_name ? table[k].arg_name : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", table[k].name, table[k].arg_name ? " " : "",
                     table[k].arg_name ? table[k].arg_name : "");
        fprintf(fp, "  %-28s %s\n", left, table[k].doc);
    }
}

int bb_opt_help_and_one(int argc, char **argv, const char *usage, const char *summary, const char *what,
                        const char **positional) {
    static const bb_opt opts[] = {
        {"help", 'h', NULL, "show this help"},
        {NULL, 0, NULL, NULL},
    };
    bb_opt_iter it;
    bb_ctx ctx = {0};
    *positional = NULL;
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        if (id == 0) {
            bb_opt_help(stdout, usage, summary, opts);
            return 0;
        }
        if (id == BB_OPT_POSITIONAL && !*positional) {
            *positional = it.positional;
            continue;
        }
        if (id == BB_OPT_POSITIONAL)
            bb_cli_error("%s: at most one %s", argv[0], what);
        else
            bb_cli_error("%s", ctx.msg);
        return 2;
    }
    return -1;
}

void bb_cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("boltzbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int bb_cli_parse_i64(const char *opt, const char *s, long long min, long long *out) {
    char *end = NULL;
    errno = 0;
    double d = 0;
    long long v = strtoll(s, &end, 10);
    if (end && (*end == 'e' || *end == 'E' || *end == '.')) { /* allow 1e6 */
        d = strtod(s, &end);
        v = (long long)d;
        if (d != (double)v) end = (char *)s;
    }
    if (end == s || *end != '\0' || errno) {
        bb_cli_error("%s: '%s' is not an integer", opt, s);
        return BB_EINVAL;
    }
    if (v < min) {
        bb_cli_error("%s: must be >= %lld (got %lld)", opt, min, v);
        return BB_EINVAL;
    }
    *out = v;
    return BB_OK;
}

int bb_cli_parse_budget(const char *opt, const char *s, long long *out) {
    const long long max = 9007199254740992LL; /* 2^53: every count stays exact in a report */
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end != '\0' || errno == EINVAL || isnan(d)) {
        bb_cli_error("%s: '%s' is not a number of energy evaluations", opt, s);
        return BB_EINVAL;
    }
    if (d != floor(d)) {
        bb_cli_error("%s: %s is not a whole number of energy evaluations", opt, s);
        return BB_EINVAL;
    }
    if (d < 1) {
        bb_cli_error("%s: %s is below 1 (a budget counts energy evaluations)", opt, s);
        return BB_EINVAL;
    }
    char *iend = NULL;
    errno = 0;
    long long iv = strtoll(s, &iend, 10); /* exact for integer text (9007199254740993 rounds as a double) */
    if (*iend == '\0' && (errno == ERANGE || iv > max)) d = (double)max + 2.0;
    if (d > (double)max) {
        bb_cli_error("%s: %s exceeds the largest budget 2^53 = %lld", opt, s, max);
        return BB_EINVAL;
    }
    /* integers beyond 2^53 written out in full are caught above; below it strtod is exact
     * for integer text, and 2e5-style values are integers by the floor check */
    *out = (long long)d;
    return BB_OK;
}

/* task-param values are numbers when they parse as numbers, strings otherwise. */
int bb_cli_task_param(cJSON *obj, const char *kv) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        bb_cli_error("--task-param '%s': expected key=value", kv);
        return 2;
    }
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    char *end = NULL;
    double v = strtod(eq + 1, &end);
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (end != eq + 1 && *end == '\0')
        cJSON_AddNumberToObject(obj, key, v);
    else
        cJSON_AddStringToObject(obj, key, eq + 1);
    return 0;
}
