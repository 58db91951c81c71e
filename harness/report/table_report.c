/* table_report.c — `boltzbench report FILE`: one report, pretty-printed for humans
 * (what ran, how much budget it used, every scalar metric with its CI and
 * definition, the anytime curve, timing and host).
 *
 * Not a validator beyond bb_report_validate (the caller reads the file with
 * bb_report_read) and not a table over several runs (table_fmt.c).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "harness/metrics/metrics.h"
#include "harness/report/table.h"

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *str(const cJSON *o, const char *k, const char *dflt) {
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = get(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void line_num(FILE *fp, const char *label, double v, const char *unit) {
    if (isfinite(v)) fprintf(fp, "  %-14s %.10g%s\n", label, v, unit);
}

int bb_report_print(FILE *fp, const cJSON *r, bb_ctx *ctx) {
    if (!cJSON_IsObject(r)) return BB_ERR(ctx, BB_EINVAL, "report: not a JSON object");
    const cJSON *task = get(r, "task"), *method = get(r, "method"), *budget = get(r, "budget");
    const cJSON *h = get(r, "harness");
    const char *tid = str(task, "id", "?");
    char tkey[160];
    if (strchr(tid, '@') || !isfinite(num(task, "version")))
        snprintf(tkey, sizeof tkey, "%s", tid);
    else
        snprintf(tkey, sizeof tkey, "%s@%g", tid, num(task, "version"));
    fprintf(fp, "%s on %s, seed %.0f — status %s\n", str(method, "name", "?"), tkey, num(r, "seed"),
            str(r, "status", "?"));
    const char *err = str(r, "error", NULL);
    if (err) fprintf(fp, "  error: %s\n", err);
    fprintf(fp, "  %-14s %s (commit %.12s), schema %s\n", "harness", str(h, "version", "?"), str(h, "git_commit", "?"),
            str(r, "schema", "?"));
    fprintf(fp, "  %-14s %s\n", "config sha256", str(r, "config_sha256", "?"));
    fprintf(fp, "  %-14s %s v%g, params sha256 %.16s…\n", "method", str(method, "name", "?"), num(method, "version"),
            str(method, "params_sha256", "?"));
    const cJSON *mp = get(method, "params");
    if (cJSON_IsObject(mp) && mp->child) {
        char *p = cJSON_PrintUnformatted(mp);
        if (p) fprintf(fp, "  %-14s %s\n", "params", p);
        cJSON_free(p);
    }
    fprintf(fp, "  %-14s %s: %g particles × %g dims, kT %g (%s)\n", "task", str(task, "name", "?"),
            num(task, "n_particles"), num(task, "dim"), num(task, "kT"), str(task, "kT_unit", "?"));
    fprintf(fp, "\nBudget (energy evaluations)\n");
    line_num(fp, "limit", num(budget, "limit"), "");
    line_num(fp, "used", num(budget, "used"), "");
    line_num(fp, "with grad", num(budget, "with_grad"), "");
    line_num(fp, "energy only", num(budget, "energy_only"), "");
    line_num(fp, "rejected", num(budget, "rejected"), "");
    line_num(fp, "n samples", num(r, "n_samples"), "");
    const cJSON *ds = get(r, "datasets");
    for (const cJSON *d = cJSON_IsArray(ds) ? ds->child : NULL; d; d = d->next)
        fprintf(fp, "  %-14s %s (%s) sha256 %.16s…\n", "dataset", str(d, "id", "?"), str(d, "role", "?"),
                str(d, "sha256", "?"));
    const char *note = str(r, "note", NULL);
    if (note) fprintf(fp, "  note: %s\n", note);

    fprintf(fp, "\nMetrics\n  %-24s %14s  %-29s %8s  %s\n", "name", "value", "ci95", "n", "direction");
    const cJSON *ms = get(r, "metrics");
    for (const cJSON *m = cJSON_IsObject(ms) ? ms->child : NULL; m; m = m->next) {
        const cJSON *v = get(m, "value");
        if (!cJSON_IsNumber(v) && str(m, "error", NULL)) {
            fprintf(fp, "  %-24s %14s  not computed: %s\n", m->string, "error", str(m, "error", ""));
            continue;
        }
        if (!cJSON_IsNumber(v)) {
            fprintf(fp, "  %-24s %14s  (%s data, see the HTML leaderboard)\n", m->string, "-",
                    str(m, "kind", "non-scalar"));
            continue;
        }
        const cJSON *ci = get(m, "ci95");
        char cis[64] = "";
        if (cJSON_IsArray(ci) && cJSON_GetArraySize(ci) == 2 && cJSON_IsNumber(ci->child) &&
            cJSON_IsNumber(ci->child->next))
            snprintf(cis, sizeof cis, "[%.6g, %.6g]", ci->child->valuedouble, ci->child->next->valuedouble);
        const bb_metric *def = bb_metric_find(m->string);
        fprintf(fp, "  %-24s %14.6g  %-29s %8.0f  %s\n", m->string, v->valuedouble, cis, num(m, "n_samples"),
                def ? (def->higher_is_better ? "higher better" : "lower better") : "unknown (lower assumed)");
    }
    const cJSON *at = get(r, "anytime");
    if (cJSON_IsArray(at) && at->child) {
        fprintf(fp, "\nAnytime curve (cheap metrics at budget fractions)\n  %10s %12s", "fraction", "evals");
        const cJSON *m0 = get(at->child, "metrics");
        for (const cJSON *m = cJSON_IsObject(m0) ? m0->child : NULL; m; m = m->next)
            if (cJSON_IsNumber(get(m, "value"))) fprintf(fp, " %14s", m->string);
        fprintf(fp, "\n");
        for (const cJSON *pt = at->child; pt; pt = pt->next) {
            fprintf(fp, "  %10g %12.0f", num(pt, "fraction"), num(pt, "evals"));
            for (const cJSON *m = cJSON_IsObject(m0) ? m0->child : NULL; m; m = m->next) {
                if (!cJSON_IsNumber(get(m, "value"))) continue;
                double v = num(get(get(pt, "metrics"), m->string), "value");
                if (isfinite(v))
                    fprintf(fp, " %14.6g", v);
                else
                    fprintf(fp, " %14s", "-");
            }
            const char *e = str(pt, "error", NULL);
            if (e) fprintf(fp, "  (%s)", e);
            fprintf(fp, "\n");
        }
    }
    const cJSON *tm = get(r, "timing"), *host = get(r, "host");
    if (tm || host) fprintf(fp, "\nTiming and host (volatile: not part of the result)\n");
    line_num(fp, "wall", num(tm, "wall_s"), " s");
    line_num(fp, "cpu", num(tm, "cpu_s"), " s");
    line_num(fp, "method wall", num(tm, "method_wall_s"), " s");
    line_num(fp, "metrics wall", num(tm, "metrics_wall_s"), " s");
    if (host)
        fprintf(fp, "  %-14s %s, %g threads, %s\n", "host", str(host, "hostname", "?"), num(host, "threads"),
                str(host, "os", "?"));
    return ferror(fp) ? BB_ERR(ctx, BB_EIO, "report: write error") : BB_OK;
}
