/* table_select.c — narrow a loaded report set before aggregation (`boltzbench table
 * --tasks --methods --budgets --metrics`) and add what a run cost as three more columns
 * (`--cost`: evaluations_used from budget.used, method_wall_s and wall_s from timing: the
 * method's own time and the run's, scoring included), so that a
 * method README's side-by-side table is generated from the committed reports instead of
 * copied by hand. It edits the in-memory reports only; it is not the aggregation
 * (table.c) and knows no metric by name besides the two it adds. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/report/table.h"

#define MAX_TOKEN 128

/* The i-th comma-separated token of list into tok (spaces trimmed); 0 past the end. */
static int token(const char *list, size_t i, char *tok, size_t cap) {
    const char *p = list;
    for (size_t k = 0; k < i; k++) {
        p = strchr(p, ',');
        if (!p) return 0;
        p++;
    }
    while (*p == ' ') p++;
    size_t n = strcspn(p, ",");
    while (n > 0 && p[n - 1] == ' ') n--;
    if (n >= cap) n = cap - 1;
    memcpy(tok, p, n);
    tok[n] = '\0';
    return 1;
}

/* key "dw4@1" matches token "dw4@1" or "dw4". */
static int name_matches(const char *tok, const char *key) {
    if (!strcmp(tok, key)) return 1;
    size_t n = strcspn(key, "@");
    return strlen(tok) == n && !strncmp(tok, key, n);
}

/* Budget token "100000" or "1e5": the integer, or -1 when it is not one. */
static int64_t budget_of(const char *tok) {
    char *end;
    double v = strtod(tok, &end);
    if (end == tok || *end || !(v >= 1) || v > 9007199254740992.0 || v != floor(v)) return -1;
    return (int64_t)v;
}

static int token_matches(const char *opt, const char *tok, const bb_rset_run *r) {
    if (!strcmp(opt, "--tasks")) return name_matches(tok, r->task);
    if (!strcmp(opt, "--methods")) return name_matches(tok, r->method);
    return budget_of(tok) == r->budget;
}

/* 1 if run r passes list (NULL: everything passes). */
static int run_passes(const char *opt, const char *list, const bb_rset_run *r) {
    char tok[MAX_TOKEN];
    if (!list) return 1;
    for (size_t i = 0; token(list, i, tok, sizeof tok); i++)
        if (token_matches(opt, tok, r)) return 1;
    return 0;
}

/* Every token of list must match some run: a misspelt name is an error, not an empty table. */
static int check_list(const bb_rset *rs, const char *opt, const char *list, bb_ctx *ctx) {
    char tok[MAX_TOKEN];
    for (size_t i = 0; list && token(list, i, tok, sizeof tok); i++) {
        if (!tok[0]) return BB_ERR(ctx, BB_EINVAL, "%s: empty entry in '%s'", opt, list);
        if (!strcmp(opt, "--budgets") && budget_of(tok) < 0)
            return BB_ERR(ctx, BB_EINVAL, "%s: '%s' is not an evaluation budget", opt, tok);
        size_t hit = 0;
        for (size_t k = 0; k < rs->n && !hit; k++) hit = token_matches(opt, tok, &rs->runs[k]);
        if (!hit) return BB_ERR(ctx, BB_ENOTFOUND, "%s: '%s' matches no report", opt, tok);
    }
    return BB_OK;
}

/* Every metric listed must be in some report (before keep_metrics drops the others). */
static int check_metrics(const bb_rset *rs, const char *metrics, bb_ctx *ctx) {
    char tok[MAX_TOKEN];
    for (size_t i = 0; metrics && token(metrics, i, tok, sizeof tok); i++) {
        size_t hit = 0;
        for (size_t k = 0; k < rs->n && !hit; k++)
            hit = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rs->runs[k].report, "metrics"),
                                                   tok) != NULL;
        if (!hit) return BB_ERR(ctx, BB_ENOTFOUND, "--metrics: '%s' is in no report", tok);
    }
    return BB_OK;
}

/* metrics.<name> = {value, higher_is_better: false, ranked: false} when the number exists:
 * a cost column is shown beside the metrics but never marked best. */
static void add_cost(cJSON *report, const char *name, const char *obj, const char *field) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(report, obj), field);
    cJSON *ms = cJSON_GetObjectItemCaseSensitive(report, "metrics");
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || !cJSON_IsObject(ms)) return;
    cJSON_DeleteItemFromObjectCaseSensitive(ms, name);
    cJSON *e = cJSON_AddObjectToObject(ms, name);
    if (e)
        cJSON_AddNumberToObject(e, "value", v->valuedouble), cJSON_AddBoolToObject(e, "higher_is_better", 0),
            cJSON_AddBoolToObject(e, "ranked", 0);
}

/* Drop the metrics entries of a report that metrics (a list) does not name; the cost
 * entries stay when cost is set. */
static void keep_metrics(cJSON *report, const char *metrics, int cost) {
    cJSON *ms = cJSON_GetObjectItemCaseSensitive(report, "metrics");
    char tok[MAX_TOKEN];
    for (cJSON *m = ms ? ms->child : NULL, *next; m; m = next) {
        next = m->next;
        int keep = cost && (!strcmp(m->string, "evaluations_used") || !strcmp(m->string, "method_wall_s") ||
                            !strcmp(m->string, "wall_s"));
        for (size_t i = 0; !keep && token(metrics, i, tok, sizeof tok); i++) keep = !strcmp(tok, m->string);
        if (!keep) cJSON_Delete(cJSON_DetachItemViaPointer(ms, m));
    }
}

int bb_rset_select(bb_rset *rs, const bb_table_select *sel, bb_ctx *ctx) {
    int rc = check_list(rs, "--tasks", sel->tasks, ctx);
    if (!rc) rc = check_list(rs, "--methods", sel->methods, ctx);
    if (!rc) rc = check_list(rs, "--budgets", sel->budgets, ctx);
    if (!rc) rc = check_metrics(rs, sel->metrics, ctx);
    if (rc) return rc;
    size_t kept = 0;
    for (size_t i = 0; i < rs->n; i++) {
        bb_rset_run *r = &rs->runs[i];
        if (!run_passes("--tasks", sel->tasks, r) || !run_passes("--methods", sel->methods, r) ||
            !run_passes("--budgets", sel->budgets, r)) {
            free(r->path);
            cJSON_Delete(r->report);
            continue;
        }
        const cJSON *grp =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->report, "task"), "group");
        if (sel->by_group && cJSON_IsString(grp) && grp->valuestring[0])
            snprintf(r->task, sizeof r->task, "%s", grp->valuestring);
        if (sel->cost) {
            add_cost(r->report, "evaluations_used", "budget", "used");
            add_cost(r->report, "method_wall_s", "timing", "method_wall_s");
            add_cost(r->report, "wall_s", "timing", "wall_s");
        }
        if (sel->metrics) keep_metrics(r->report, sel->metrics, sel->cost);
        rs->runs[kept++] = *r;
    }
    rs->n = kept;
    if (kept == 0)
        return BB_ERR(ctx, BB_ENOTFOUND, "table: no report passes --tasks, --methods and --budgets together");
    return BB_OK;
}
