/* compare.c — the regression gate behind `boltzbench compare` (see compare.h):
 * tolerance file, per-value verdicts, and run matching by configuration hash.
 *
 * Not here: loading report directories (table_load.c) or any statistics over
 * seeds — runs are compared one to one, since the same configuration and seed must
 * reproduce the same numbers (up to the stated tolerance across machines).
 */
#include "harness/report/compare.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/jsonutil.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/metrics.h"

const char *const bb_cmp_verdict_names[BB_CMP_VERDICT_COUNT] = {"same", "better", "worse (within tol)", "REGRESSION",
                                                                "MISSING"};

_Static_assert(sizeof bb_cmp_verdict_names / sizeof *bb_cmp_verdict_names == BB_CMP_VERDICT_COUNT,
               "one name per bb_cmp_verdict");

void bb_tolerances_free(bb_tolerances *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) free(t->names[i]);
    for (size_t i = 0; i < t->n_ignore; i++) free(t->ignore[i]);
    free(t->names);
    free(t->tols);
    free(t->ignore);
    memset(t, 0, sizeof *t);
}

static int parse_tol(const cJSON *o, const char *path, const char *what, bb_tol *out, bb_ctx *ctx) {
    if (!cJSON_IsObject(o))
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: expected an object {\"abs\": x, \"rel\": y}", path, what);
    out->abs = out->rel = 0.0;
    for (const cJSON *c = o->child; c; c = c->next) {
        double *dst = !strcmp(c->string, "abs") ? &out->abs : !strcmp(c->string, "rel") ? &out->rel : NULL;
        if (!dst) return BB_ERR(ctx, BB_EFORMAT, "%s: %s.%s: unknown field (abs, rel)", path, what, c->string);
        if (!cJSON_IsNumber(c) || !isfinite(c->valuedouble) || c->valuedouble < 0)
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s.%s: expected a finite number >= 0", path, what, c->string);
        *dst = c->valuedouble;
    }
    return BB_OK;
}

const char *bb_tolerances_default_path(char *buf, size_t cap) {
    snprintf(buf, cap, "%s/ci/tolerances.json", bb_source_dir());
    return buf;
}

int bb_tolerances_load(const char *path, bb_tolerances *t, bb_ctx *ctx) {
    memset(t, 0, sizeof *t);
    cJSON *j = NULL;
    int rc = bb_json_read_object(path, (size_t)1 << 20, &j, ctx);
    if (rc) return rc;
    for (const cJSON *c = j->child; c && !rc; c = c->next)
        if (strcmp(c->string, "default") && strcmp(c->string, "metrics") && strcmp(c->string, "ignore") &&
            strcmp(c->string, "comment"))
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s: unknown field (default, metrics, ignore, comment)", path, c->string);
    if (rc) goto out;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "default");
    if (!d) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: field 'default' missing", path);
        goto out;
    }
    if ((rc = parse_tol(d, path, "default", &t->deflt, ctx))) goto out;
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(j, "metrics");
    if (ms && !cJSON_IsObject(ms)) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: metrics: expected an object", path);
        goto out;
    }
    size_t n = 0;
    for (const cJSON *c = ms ? ms->child : NULL; c; c = c->next) n++;
    t->names = calloc(n ? n : 1, sizeof *t->names);
    t->tols = calloc(n ? n : 1, sizeof *t->tols);
    if (!t->names || !t->tols) {
        rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    for (const cJSON *c = ms ? ms->child : NULL; c; c = c->next) {
        char what[160];
        snprintf(what, sizeof what, "metrics.%s", c->string);
        if ((rc = parse_tol(c, path, what, &t->tols[t->n], ctx))) goto out;
        if (!(t->names[t->n] = strdup(c->string))) {
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
            goto out;
        }
        t->n++;
    }
    const cJSON *ig = cJSON_GetObjectItemCaseSensitive(j, "ignore");
    if (ig) {
        void *items;
        if ((rc = bb_json_array_calloc(ig, sizeof *t->ignore, path, "ignore: expected a list of metric names", &items,
                                       NULL, ctx)))
            goto out;
        t->ignore = items;
        for (const cJSON *c = ig->child; c; c = c->next) {
            if (!cJSON_IsString(c)) {
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: ignore: expected strings", path);
                goto out;
            }
            if (!(t->ignore[t->n_ignore] = strdup(c->valuestring))) {
                rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            t->n_ignore++;
        }
    }
out:
    cJSON_Delete(j);
    if (rc) bb_tolerances_free(t);
    return rc;
}

bb_tol bb_tolerances_get(const bb_tolerances *t, const char *metric) {
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->names[i], metric)) return t->tols[i];
    return t->deflt;
}

int bb_tolerances_ignored(const bb_tolerances *t, const char *metric) {
    for (size_t i = 0; i < t->n_ignore; i++)
        if (!strcmp(t->ignore[i], metric)) return 1;
    return 0;
}

bb_cmp_verdict bb_compare_value(double base, double v, int higher, bb_tol tol) {
    if (!isfinite(base)) return BB_CMP_MISSING;
    if (!isfinite(v)) return BB_CMP_REGRESSION;
    if (v == base) return BB_CMP_SAME;
    double worse = higher ? base - v : v - base; /* > 0: new is worse */
    if (worse < 0) return BB_CMP_BETTER;
    return worse <= fmax(tol.abs, tol.rel * fabs(base)) ? BB_CMP_WORSE_WITHIN : BB_CMP_REGRESSION;
}

int bb_compare_failed(const bb_cmp_summary *s) {
    return s->regressions || s->missing_metrics || s->metric_errors || s->missing_runs || s->failed_runs ||
           s->version_mismatches || s->unusable_reports;
}

static void run_label(const bb_rset_run *r, char *buf, size_t len);

/* 1 and a reason when a report cannot take part in the gate: it did not finish ("ok") or
 * it scored nothing (empty metrics, e.g. a reference set that was silently skipped). */
static int unusable(const bb_rset_run *r, char *why, size_t cap) {
    if (!r->ok) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(r->report, "status");
        const char *err = bb_rset_run_error(r);
        snprintf(why, cap, "status \"%.40s\", not \"ok\"%s%.300s%s", cJSON_IsString(st) ? st->valuestring : "?",
                 err[0] ? " (error: " : "", err, err[0] ? ")" : "");
        return 1;
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->report, "metrics");
    if (!cJSON_IsObject(m) || !m->child) {
        snprintf(why, cap, "metrics: empty, nothing to compare");
        return 1;
    }
    return 0;
}

static void check_reports(const bb_rset *rs, const char *which, FILE *out, bb_cmp_summary *s) {
    char why[512], label[256], verdict[800];
    for (size_t i = 0; i < rs->n; i++) {
        const bb_rset_run *r = &rs->runs[i];
        if (!unusable(r, why, sizeof why)) continue;
        if (s->unusable_reports++ == 0)
            snprintf(s->first_unusable, sizeof s->first_unusable, "%.500s: %.400s; compare cannot pass on it", r->path,
                     why);
        if (out) {
            run_label(r, label, sizeof label);
            snprintf(verdict, sizeof verdict, "UNUSABLE %.10s report %.200s: %.400s", which, r->path, why);
            fprintf(out, "%-40s %s\n", label, verdict);
        }
    }
}

static const bb_rset_run *find_run(const bb_rset *rs, const char *sha) {
    for (size_t i = 0; sha && i < rs->n; i++)
        if (rs->runs[i].config_sha256 && !strcmp(rs->runs[i].config_sha256, sha)) return &rs->runs[i];
    return NULL;
}

static void run_label(const bb_rset_run *r, char *buf, size_t len) {
    snprintf(buf, len, "%s/%s b=%lld s=%llu", r->task, r->method, (long long)r->budget, (unsigned long long)r->seed);
}

static const cJSON *value_of(const bb_rset_run *r, const char *metric, int *present) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->report, "metrics"), metric);
    *present = m != NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");
    return cJSON_IsNumber(v) ? v : NULL;
}

#define ROW_FMT "%-40s %-22s %13s %13s %11s %10s  %s\n"

static void row(FILE *out, const char *run, const char *metric, double b, double n, double tol, const char *verdict) {
    if (!out) return;
    char sb[32] = "-", sn[32] = "-", sd[32] = "-", st[32] = "-";
    if (isfinite(b)) snprintf(sb, sizeof sb, "%.6g", b);
    if (isfinite(n)) snprintf(sn, sizeof sn, "%.6g", n);
    if (isfinite(b) && isfinite(n)) snprintf(sd, sizeof sd, "%+.3g", n - b);
    if (isfinite(tol)) snprintf(st, sizeof st, "%.3g", tol);
    fprintf(out, ROW_FMT, run, metric, sb, sn, sd, st, verdict);
}

int bb_compare_sets(const bb_rset *base, const bb_rset *fresh, const bb_tolerances *tol, FILE *out, int verbose,
                    bb_cmp_summary *s, bb_ctx *ctx) {
    (void)ctx;
    memset(s, 0, sizeof *s);
    char label[256];
    if (out) fprintf(out, ROW_FMT, "run", "metric", "baseline", "new", "delta", "tolerance", "verdict");
    check_reports(base, "baseline", out, s);
    check_reports(fresh, "new", out, s);
    if (strcmp(base->harness_version, fresh->harness_version) != 0) {
        s->version_mismatches++;
        if (out)
            fprintf(out, "VERSION: baseline harness %s, new harness %s: regenerate the baseline (ci/leaderboard.sh)\n",
                    base->harness_version, fresh->harness_version);
    }
    for (size_t i = 0; i < base->n; i++) {
        const bb_rset_run *b = &base->runs[i];
        run_label(b, label, sizeof label);
        const bb_rset_run *n = find_run(fresh, b->config_sha256);
        if (!n) {
            s->missing_runs++;
            row(out, label, "*", NAN, NAN, NAN, "MISSING RUN");
            continue;
        }
        s->runs_compared++;
        if (strcmp(b->task, n->task) || strcmp(b->method, n->method)) {
            s->version_mismatches++;
            char msg[256];
            snprintf(msg, sizeof msg, "VERSION (now %s/%s)", n->task, n->method);
            row(out, label, "*", NAN, NAN, NAN, msg);
            continue;
        }
        if (b->ok && !n->ok) {
            s->failed_runs++;
            row(out, label, "status", NAN, NAN, NAN, "FAILED");
        }
        const cJSON *bm = cJSON_GetObjectItemCaseSensitive(b->report, "metrics");
        for (const cJSON *m = bm ? bm->child : NULL; m; m = m->next) {
            int pb, pn;
            const cJSON *vb = value_of(b, m->string, &pb);
            if (!vb || !isfinite(vb->valuedouble) || bb_tolerances_ignored(tol, m->string)) continue;
            const cJSON *vn = value_of(n, m->string, &pn);
            const bb_metric *def = bb_metric_find(m->string);
            int higher = def ? def->higher_is_better : 0;
            bb_tol t = bb_tolerances_get(tol, m->string);
            double bv = vb->valuedouble, allowed = fmax(t.abs, t.rel * fabs(bv));
            s->metrics_compared++;
            if (!pn) {
                s->missing_metrics++;
                row(out, label, m->string, bv, NAN, allowed, "MISSING");
                continue;
            }
            const cJSON *err = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(n->report, "metrics"), m->string),
                "error");
            if (cJSON_IsString(err)) { /* the new run could not compute it: never a silent pass */
                char vt[600];
                s->metric_errors++;
                snprintf(vt, sizeof vt, "ERROR: %.560s", err->valuestring);
                row(out, label, m->string, bv, NAN, allowed, vt);
                continue;
            }
            double nv = vn ? vn->valuedouble : NAN;
            bb_cmp_verdict v = bb_compare_value(bv, nv, higher, t);
            if (v == BB_CMP_REGRESSION) s->regressions++;
            if (v == BB_CMP_BETTER) s->improvements++;
            if (verbose || v != BB_CMP_SAME) {
                char vt[96];
                snprintf(vt, sizeof vt, "%s%s", bb_cmp_verdict_names[v],
                         def ? "" : " (unknown metric: lower assumed better)");
                row(out, label, m->string, bv, nv, allowed, vt);
            }
        }
    }
    for (size_t i = 0; i < fresh->n; i++)
        if (!find_run(base, fresh->runs[i].config_sha256)) {
            s->new_runs++;
            run_label(&fresh->runs[i], label, sizeof label);
            row(out, label, "*", NAN, NAN, NAN, "new run (not in baseline)");
        }
    if (out)
        fprintf(out,
                "\n%zu runs compared, %zu metrics: %zu regression(s), %zu missing metric(s), %zu metric error(s), "
                "%zu missing run(s), %zu failed run(s), %zu version mismatch(es), %zu unusable report(s), %zu "
                "improvement(s), %zu new run(s) -> %s\n",
                s->runs_compared, s->metrics_compared, s->regressions, s->missing_metrics, s->metric_errors,
                s->missing_runs, s->failed_runs, s->version_mismatches, s->unusable_reports, s->improvements,
                s->new_runs, bb_compare_failed(s) ? "FAIL" : "PASS");
    return BB_OK;
}
