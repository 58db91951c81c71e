/* opts.c — the shared option parser, the option loop every command runs (bb_cli_next),
 * the error printer and the value parsers of the CLI (see cli.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "harness/run/run.h"

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

void bb_cli_init(bb_cli *c, int argc, char **argv, const bb_opt *opts, const char *usage, const char *summary) {
    bb_opt_init(&c->it, argc, argv);
    c->opts = opts;
    c->usage = usage;
    c->summary = summary;
    c->exit = 0;
    c->prev = c->cur = -1;
}

static int parse_real(const char *opt, const char *s, double lo, double *out) {
    char *end = NULL;
    double v = strtod(s, &end);
    if (!end || *end || !isfinite(v) || v < lo) {
        bb_cli_error("%s: '%s' is not a number >= %g", opt, s, lo);
        return BB_EINVAL;
    }
    *out = v;
    return BB_OK;
}

/* Store the value of option o (named "--<name>" in errors); 0 or an error already printed. */
static int store(const bb_opt *o, const char *arg) {
    char name[64];
    snprintf(name, sizeof name, "--%s", o->name);
    switch (o->kind) {
        case BB_OPT_FLAG: *(int *)o->dest = 1; return 0;
        case BB_OPT_STRING: *(const char **)o->dest = arg; return 0;
        case BB_OPT_INT: return bb_cli_parse_i64(name, arg, (long long)o->min, o->dest);
        case BB_OPT_REAL: return parse_real(name, arg, o->min, o->dest);
        case BB_OPT_BUDGET: return bb_cli_parse_budget(name, arg, o->dest);
        default: return 0;
    }
}

int bb_cli_next(bb_cli *c) {
    bb_ctx ctx = {0};
    for (;;) {
        int id = bb_opt_next(&c->it, c->opts, &ctx);
        c->prev = c->cur;
        c->cur = id >= 0 ? id : -1;
        if (id == BB_OPT_ERROR) bb_cli_error("%s", ctx.msg);
        if (id == BB_OPT_ERROR || (id >= 0 && c->opts[id].kind != BB_OPT_CALLER && store(&c->opts[id], c->it.arg))) {
            c->exit = 2;
            return BB_OPT_EXIT;
        }
        if (id >= 0 && c->opts[id].kind == BB_OPT_SHOW_HELP) {
            bb_opt_help(stdout, c->usage, c->summary, c->opts);
            c->exit = 0;
            return BB_OPT_EXIT;
        }
        if (id < 0 || c->opts[id].kind == BB_OPT_CALLER) return id;
    }
}

int bb_cli_no_args(bb_cli *c) {
    int id = bb_cli_next(c);
    if (id == BB_OPT_END) return -1;
    if (id == BB_OPT_EXIT) return c->exit;
    bb_cli_error("%s: unexpected argument '%s'", c->it.argv[0], c->it.positional);
    return 2;
}

int bb_cli_args(bb_cli *c, const char **pos, int n, const char *too_many, const char *missing) {
    int got = 0;
    for (int k = 0; k < n; k++) pos[k] = NULL;
    for (int id; (id = bb_cli_next(c)) != BB_OPT_END;) {
        if (id == BB_OPT_EXIT) return c->exit;
        if (id != BB_OPT_POSITIONAL || got == n) {
            bb_cli_error("%s", too_many);
            return 2;
        }
        pos[got++] = c->it.positional;
    }
    if (got < n && missing) {
        bb_cli_error("%s", missing);
        return 2;
    }
    return -1;
}

int bb_cli_one_arg(bb_cli *c, const char **positional, const char *too_many, const char *missing) {
    return bb_cli_args(c, positional, 1, too_many, missing);
}

int bb_opt_help_and_one(int argc, char **argv, const char *usage, const char *summary, const char *what,
                        const char **positional) {
    const bb_opt opts[] = {BB_OPT_ROW_HELP, BB_OPT_ROW_END};
    char too_many[128];
    bb_cli cl;
    snprintf(too_many, sizeof too_many, "%s: at most one %s", argv[0], what);
    bb_cli_init(&cl, argc, argv, opts, usage, summary);
    return bb_cli_one_arg(&cl, positional, too_many, NULL);
}

int bb_cli_status(int rc, const bb_ctx *ctx) {
    if (rc) bb_cli_error("%s", ctx->msg);
    return rc ? 1 : 0;
}

void bb_cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("boltzbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void bb_cli_metric_warnings(const char *where, const cJSON *report) {
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(report, "metric_errors");
    const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(report, "metrics");
    for (const cJSON *n = cJSON_IsArray(names) ? names->child : NULL; n; n = n->next) {
        if (!cJSON_IsString(n)) continue;
        const cJSON *e =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(metrics, n->valuestring), "error");
        bb_cli_error("%s: metric %s not computed: %s", where, n->valuestring,
                     cJSON_IsString(e) ? e->valuestring : "(no reason recorded)");
    }
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

/* The budget's text read exactly as a decimal number [+|-]digits[.digits][(e|E)[+|-]digits]:
 * its significant digits (leading and trailing zeros dropped) and the power of ten that
 * scales them, so "9007199254740992.5" is seen not to be whole and "9.3e18" to be too large,
 * which a double cannot tell. digits has room for strlen(s) characters. Returns 0 when s is
 * not such a number. */
static int decimal_parts(const char *s, int *negative, char *digits, size_t *n_digits, long *exp10) {
    const char *p = s;
    size_t n = 0, seen = 0;
    long e = 0, frac = 0;
    *negative = *p == '-';
    if (*p == '+' || *p == '-') p++;
    for (int in_frac = 0;; p++) {
        if (*p == '.' && !in_frac) {
            in_frac = 1;
            continue;
        }
        if (*p < '0' || *p > '9') break;
        seen++;
        frac += in_frac;
        if (n == 0 && *p == '0') continue; /* leading zero */
        digits[n++] = *p;
    }
    if (!seen) return 0;
    if (*p == 'e' || *p == 'E') {
        int eneg = *++p == '-', ed = 0;
        if (*p == '+' || *p == '-') p++;
        for (; *p >= '0' && *p <= '9'; p++, ed++)
            if (e < 100000) e = e * 10 + (*p - '0'); /* beyond: far outside 1 ... 2^53 either way */
        if (!ed) return 0;
        if (eneg) e = -e;
    }
    if (*p) return 0;
    e -= frac;
    while (n > 0 && digits[n - 1] == '0') n--, e++; /* trailing zeros scale instead */
    *n_digits = n;
    *exp10 = e;
    return 1;
}

int bb_cli_parse_budget(const char *opt, const char *s, long long *out) {
    const long long max = (long long)BB_RUN_MAX_BUDGET; /* 2^53: every count stays exact in a report */
    char *digits = malloc(strlen(s) + 1);
    size_t n = 0;
    long e = 0;
    if (!digits) {
        bb_cli_error("%s: out of memory", opt);
        return BB_ENOMEM;
    }
    int neg = 0, ok = decimal_parts(s, &neg, digits, &n, &e);
    long long v = 0;
    int over = ok && (long)n + e > 16; /* 2^53 has 16 digits */
    for (size_t i = 0; ok && i < n && !over; i++) v = v * 10 + (digits[i] - '0');
    free(digits);
    if (!ok) {
        bb_cli_error("%s: '%s' is not a number of energy evaluations", opt, s);
        return BB_EINVAL;
    }
    if (n > 0 && e < 0) {
        bb_cli_error("%s: %s is not a whole number of energy evaluations", opt, s);
        return BB_EINVAL;
    }
    if (n == 0 || neg) {
        bb_cli_error("%s: %s is below 1 (a budget counts energy evaluations)", opt, s);
        return BB_EINVAL;
    }
    for (long i = 0; i < e && !over; i++) v *= 10;
    if (over || v > max) {
        bb_cli_error("%s: %s exceeds the largest budget 2^53 = %lld", opt, s, max);
        return BB_EINVAL;
    }
    *out = v;
    return BB_OK;
}

/* task-param values are numbers when they parse as numbers, strings otherwise. */
int bb_cli_task_param(cJSON *obj, const char *kv) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        bb_cli_error("--task-param '%s': expected key=value", kv);
        return 2;
    }
    char *key = strndup(kv, (size_t)(eq - kv)), *end = NULL;
    double v = strtod(eq + 1, &end);
    int ok = key != NULL;
    if (ok) cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (ok && end != eq + 1 && *end == '\0')
        ok = cJSON_AddNumberToObject(obj, key, v) != NULL;
    else if (ok)
        ok = cJSON_AddStringToObject(obj, key, eq + 1) != NULL;
    free(key);
    if (!ok) bb_cli_error("--task-param '%s': out of memory", kv);
    return ok ? 0 : 2;
}
