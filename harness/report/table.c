/* table.c — statistics over seeds and the task × metric × method × budget
 * aggregation behind every leaderboard format (see table.h for the conventions).
 *
 * This file computes numbers only; the text formats live in table_fmt.c and the
 * HTML page with its plots in table_html.c / plot.c. It reads metric directions
 * from the metric registry and never knows a metric by name.
 */
#include "harness/report/table.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metrics.h"

/* t_{0.975, df} for df = 1..30 (standard tables, 8 significant digits). */
static const double t975_table[30] = {
    12.706205, 4.3026527, 3.1824463, 2.7764451, 2.5705818, 2.4469119, 2.3646243, 2.3060041, 2.2621572, 2.2281389,
    2.2009852, 2.1788128, 2.1603687, 2.1447867, 2.1314495, 2.1199053, 2.1098156, 2.1009220, 2.0930241, 2.0859634,
    2.0796138, 2.0738731, 2.0686576, 2.0638986, 2.0595386, 2.0555294, 2.0518305, 2.0484071, 2.0452296, 2.0422725,
};

double bb_t975(int df) {
    if (df < 1) return NAN;
    if (df <= 30) return t975_table[df - 1];
    /* Cornish–Fisher expansion of the t quantile in 1/df around z = Φ^{-1}(0.975)
     * (Abramowitz & Stegun 26.7.5); four terms give |error| < 1e-5 for df > 30. */
    const double z = 1.959963984540054, n = df;
    const double z2 = z * z, z3 = z2 * z, z5 = z3 * z2, z7 = z5 * z2, z9 = z7 * z2;
    return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n) +
           (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * n * n * n * n);
}

int bb_stat_compute(const double *x, size_t n, bb_stat *out, bb_ctx *ctx) {
    out->n = n;
    out->mean = out->sd = out->half = NAN;
    if (n == 0) return BB_OK;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return BB_ERR(ctx, BB_ENAN, "statistics: value %zu is not finite", i);
        s += x[i];
    }
    double mean = s / (double)n;
    out->mean = mean;
    if (n < 2) return BB_OK;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
    out->sd = sqrt(ss / (double)(n - 1));
    out->half = bb_t975((int)(n - 1)) * out->sd / sqrt((double)n);
    return BB_OK;
}

/* ---- sorted unique string / integer sets ---------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static long find_str(char **v, size_t n, const char *s) {
    char **hit = bsearch(&s, v, n, sizeof *v, cmp_str);
    return hit ? (long)(hit - v) : -1;
}

static long find_i64(const int64_t *v, size_t n, int64_t x) {
    const int64_t *hit = bsearch(&x, v, n, sizeof *v, cmp_i64);
    return hit ? (long)(hit - v) : -1;
}

/* Append s to v unless present (linear; sets are small), sorted at the end. */
static int add_str(char ***v, size_t *n, const char *s) {
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i], s) == 0) return BB_OK;
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) return BB_ENOMEM;
    *v = nv;
    if (!(nv[*n] = strdup(s))) return BB_ENOMEM;
    (*n)++;
    return BB_OK;
}

static int add_i64(int64_t **v, size_t *n, int64_t x) {
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i] == x) return BB_OK;
    int64_t *nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) return BB_ENOMEM;
    *v = nv;
    nv[(*n)++] = x;
    return BB_OK;
}

static void free_strs(char **v, size_t n) {
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

void bb_agg_free(bb_agg *a) {
    if (!a) return;
    free_strs(a->tasks, a->n_tasks);
    free_strs(a->methods, a->n_methods);
    free_strs(a->metrics, a->n_metrics);
    free(a->higher_is_better);
    free(a->known);
    free(a->ranked);
    free(a->budgets);
    free(a->cells);
    memset(a, 0, sizeof *a);
}

bb_agg_cell *bb_agg_at(const bb_agg *a, size_t t, size_t m, size_t k, size_t b) {
    return &a->cells[((t * a->n_metrics + m) * a->n_methods + k) * a->n_budgets + b];
}

int bb_agg_task_has_budget(const bb_agg *a, size_t t, size_t b) {
    for (size_t m = 0; m < a->n_metrics; m++)
        for (size_t k = 0; k < a->n_methods; k++)
            if (bb_agg_at(a, t, m, k, b)->present) return 1;
    return 0;
}

static const cJSON *metric_value(const cJSON *report, const char *name) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(report, "metrics"), name);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v : NULL;
}

void bb_agg_mark_best(bb_agg *a) {
    for (size_t t = 0; t < a->n_tasks; t++)
        for (size_t m = 0; m < a->n_metrics; m++)
            for (size_t b = 0; b < a->n_budgets; b++) {
                double best = NAN;
                for (size_t k = 0; k < a->n_methods; k++) {
                    const bb_agg_cell *c = bb_agg_at(a, t, m, k, b);
                    if (c->st.n == 0) continue;
                    int better = a->higher_is_better[m] ? c->st.mean > best : c->st.mean < best;
                    if (isnan(best) || better) best = c->st.mean;
                }
                for (size_t k = 0; k < a->n_methods; k++) {
                    bb_agg_cell *c = bb_agg_at(a, t, m, k, b);
                    c->best = (!a->ranked || a->ranked[m]) && c->st.n > 0 && c->st.mean == best;
                }
            }
}

int bb_agg_build(const bb_rset *rs, bb_agg *a, bb_ctx *ctx) {
    memset(a, 0, sizeof *a);
    int rc = BB_OK;
    double *vals = NULL;
    for (size_t i = 0; !rc && i < rs->n; i++) {
        const bb_rset_run *r = &rs->runs[i];
        if (add_str(&a->tasks, &a->n_tasks, r->task) || add_str(&a->methods, &a->n_methods, r->method) ||
            add_i64(&a->budgets, &a->n_budgets, r->budget))
            rc = BB_ENOMEM;
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(r->report, "metrics");
        for (const cJSON *m = ms ? ms->child : NULL; !rc && m; m = m->next)
            if (metric_value(r->report, m->string) && add_str(&a->metrics, &a->n_metrics, m->string)) rc = BB_ENOMEM;
    }
    if (rc) goto fail;
    /* qsort's base must not be NULL, even for zero items (a set may have no scalar metric) */
    if (a->n_tasks) qsort(a->tasks, a->n_tasks, sizeof *a->tasks, cmp_str);
    if (a->n_methods) qsort(a->methods, a->n_methods, sizeof *a->methods, cmp_str);
    if (a->n_metrics) qsort(a->metrics, a->n_metrics, sizeof *a->metrics, cmp_str);
    if (a->n_budgets) qsort(a->budgets, a->n_budgets, sizeof *a->budgets, cmp_i64);
    size_t nm = a->n_metrics ? a->n_metrics : 1;
    a->higher_is_better = calloc(nm, sizeof *a->higher_is_better);
    a->known = calloc(nm, sizeof *a->known);
    a->ranked = malloc(nm * sizeof *a->ranked);
    size_t ncell = a->n_tasks * a->n_metrics * a->n_methods * a->n_budgets;
    a->cells = calloc(ncell ? ncell : 1, sizeof *a->cells);
    vals = malloc((rs->n ? rs->n : 1) * sizeof *vals);
    if (!a->higher_is_better || !a->known || !a->ranked || !a->cells || !vals) {
        rc = BB_ENOMEM;
        goto fail;
    }
    for (size_t m = 0; m < a->n_metrics; m++) {
        const bb_metric *def = bb_metric_find(a->metrics[m]);
        a->known[m] = def != NULL;
        a->higher_is_better[m] = def ? def->higher_is_better : 0;
        a->ranked[m] = 1;
        /* what a run cost (table --cost) is shown, not ranked: its reports say "ranked": false */
        for (size_t i = 0; i < rs->n && a->ranked[m]; i++) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(rs->runs[i].report, "metrics"), a->metrics[m]);
            a->ranked[m] = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(e, "ranked"));
        }
        /* an entry of a metric family (minima_precision of minima_recall, ...): the
         * direction its reports state (bb_metric_higher_is_better wrote it) */
        for (size_t i = 0; !def && i < rs->n; i++) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(rs->runs[i].report, "metrics"), a->metrics[m]);
            const cJSON *h = cJSON_GetObjectItemCaseSensitive(e, "higher_is_better");
            if (cJSON_IsBool(h)) {
                a->known[m] = 1;
                a->higher_is_better[m] = cJSON_IsTrue(h);
                break;
            }
        }
    }
    /* Presence and failures per (task, method, budget), then values per metric. */
    for (size_t i = 0; i < rs->n; i++) {
        const bb_rset_run *r = &rs->runs[i];
        size_t t = (size_t)find_str(a->tasks, a->n_tasks, r->task);
        size_t k = (size_t)find_str(a->methods, a->n_methods, r->method);
        size_t b = (size_t)find_i64(a->budgets, a->n_budgets, r->budget);
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(r->report, "metrics");
        for (size_t m = 0; m < a->n_metrics; m++) {
            /* a cell exists when the run reports the metric (or failed): metrics that do
             * not apply to a task (no reference set, no minima) leave no empty tables */
            bb_agg_cell *c = bb_agg_at(a, t, m, k, b);
            if (!r->ok)
                c->present = 1, c->n_failed++;
            else if (cJSON_GetObjectItemCaseSensitive(ms, a->metrics[m]))
                c->present = 1;
        }
    }
    for (size_t t = 0; t < a->n_tasks; t++)
        for (size_t k = 0; k < a->n_methods; k++)
            for (size_t b = 0; b < a->n_budgets; b++)
                for (size_t m = 0; m < a->n_metrics; m++) {
                    size_t n = 0;
                    for (size_t i = 0; i < rs->n; i++) {
                        const bb_rset_run *r = &rs->runs[i];
                        if (!r->ok || r->budget != a->budgets[b] || strcmp(r->task, a->tasks[t]) ||
                            strcmp(r->method, a->methods[k]))
                            continue;
                        const cJSON *v = metric_value(r->report, a->metrics[m]);
                        if (v) vals[n++] = v->valuedouble;
                    }
                    if ((rc = bb_stat_compute(vals, n, &bb_agg_at(a, t, m, k, b)->st, ctx))) goto fail;
                }
    free(vals);
    bb_agg_mark_best(a);
    return BB_OK;
fail:
    free(vals);
    bb_agg_free(a);
    if (rc == BB_ENOMEM) return BB_ERR(ctx, BB_ENOMEM, "table: out of memory");
    return rc;
}

/* The one text of a cell, shared by every format (md/csv/latex in table_fmt.c, html in
 * table_html.c), so the formats depend on this file and not on each other. */
void bb_table_cell_text(const bb_agg_cell *c, char *buf, size_t len) {
    if (!c->present || c->st.n == 0)
        snprintf(buf, len, "—");
    else if (c->st.n < 2)
        snprintf(buf, len, "%.4g (n=1)", c->st.mean);
    else
        snprintf(buf, len, "%.4g ± %.2g", c->st.mean, c->st.half);
}
