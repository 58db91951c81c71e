/* test_table_fixtures.c — writers of synthetic reports for the leaderboard tests
 * (see test_table_fixtures.h). Uses the product's own JSON writer, so the files are
 * exactly what bb_report_read accepts. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "test_table_fixtures.h"

#include <cjson/cJSON.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"

char *fx_tempdir(void) {
    const char *t = getenv("TMPDIR");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/bbtableXXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(buf)) return NULL;
    return strdup(buf);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

void fx_rmtree(const char *path) {
    if (path) nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static cJSON *num_array(const double *v, size_t n) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static void add_plot_data(cJSON *r, const fx_run *fr) {
    /* anytime: 3 checkpoints with each scalar metric scaled up early in the run */
    cJSON *at = cJSON_AddArrayToObject(r, "anytime");
    const double frac[3] = {0.01, 0.1, 1.0};
    for (int i = 0; i < 3; i++) {
        cJSON *pt = cJSON_CreateObject();
        cJSON_AddNumberToObject(pt, "fraction", frac[i]);
        cJSON_AddNumberToObject(pt, "evals", frac[i] * (double)fr->budget);
        cJSON *m = cJSON_AddObjectToObject(pt, "metrics");
        for (size_t k = 0; k < fr->n_metrics; k++) {
            cJSON *e = cJSON_AddObjectToObject(m, fr->metrics[k].name);
            cJSON_AddNumberToObject(e, "value", fr->metrics[k].value * (3.0 - i));
        }
        cJSON_AddItemToArray(at, pt);
    }
    cJSON *ms = cJSON_GetObjectItemCaseSensitive(r, "metrics");
    /* energy_histogram: 4 bins on [-2, 2] */
    const double edges[5] = {-2, -1, 0, 1, 2}, ds[4] = {0.05, 0.45, 0.35, 0.15}, dr[4] = {0.1, 0.4, 0.4, 0.1};
    cJSON *h = cJSON_AddObjectToObject(ms, "energy_histogram");
    cJSON_AddNullToObject(h, "value");
    cJSON_AddStringToObject(h, "kind", "histogram");
    cJSON_AddItemToObject(h, "bin_edges", num_array(edges, 5));
    cJSON_AddItemToObject(h, "density_samples", num_array(ds, 4));
    cJSON_AddItemToObject(h, "density_reference", num_array(dr, 4));
    /* a 3 × 2 (nx × ny) 2-D density */
    const double xe[4] = {0, 1, 2, 3}, ye[3] = {-1, 0, 1};
    const double d2s[6] = {0.1, 0.2, 0.3, 0.0, 0.25, 0.15}, d2r[6] = {0.2, 0.1, 0.2, 0.1, 0.2, 0.2};
    cJSON *t = cJSON_AddObjectToObject(ms, "tica_density");
    cJSON_AddNullToObject(t, "value");
    cJSON_AddStringToObject(t, "kind", "histogram2d");
    cJSON_AddStringToObject(t, "x_label", "TIC 1");
    cJSON_AddStringToObject(t, "y_label", "TIC 2");
    cJSON_AddItemToObject(t, "x_edges", num_array(xe, 4));
    cJSON_AddItemToObject(t, "y_edges", num_array(ye, 3));
    cJSON_AddItemToObject(t, "density_samples", num_array(d2s, 6));
    cJSON_AddItemToObject(t, "density_reference", num_array(d2r, 6));
}

int fx_write(const char *dir, const fx_run *fr) {
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "schema", "boltzbench.report/1");
    cJSON_AddStringToObject(r, "status", fr->failed ? "failed" : "ok");
    if (fr->failed)
        cJSON_AddStringToObject(r, "error", "synthetic failure");
    else
        cJSON_AddNullToObject(r, "error");
    cJSON *h = cJSON_AddObjectToObject(r, "harness");
    cJSON_AddStringToObject(h, "version", fr->harness_version ? fr->harness_version : "0.1.0");
    cJSON_AddStringToObject(h, "git_commit", "0123456789abcdef0123456789abcdef01234567");
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "task", fr->task);
    cJSON_AddStringToObject(cfg, "method", fr->method);
    cJSON_AddNumberToObject(cfg, "budget", (double)fr->budget);
    cJSON_AddNumberToObject(cfg, "seed", (double)fr->seed);
    char sha[65];
    bb_json_sha256(cfg, sha);
    cJSON_Delete(cfg);
    cJSON_AddStringToObject(r, "config_sha256", sha);
    cJSON *t = cJSON_AddObjectToObject(r, "task");
    cJSON_AddStringToObject(t, "id", fr->task);
    cJSON_AddStringToObject(t, "name", fr->task);
    cJSON_AddNumberToObject(t, "version", fr->task_version);
    cJSON *m = cJSON_AddObjectToObject(r, "method");
    cJSON_AddStringToObject(m, "name", fr->method);
    cJSON_AddNumberToObject(m, "version", 1);
    cJSON_AddObjectToObject(m, "params");
    cJSON_AddNumberToObject(r, "seed", (double)fr->seed);
    cJSON_AddNumberToObject(r, "n_samples", 100);
    cJSON *b = cJSON_AddObjectToObject(r, "budget");
    cJSON_AddNumberToObject(b, "limit", (double)fr->budget);
    cJSON_AddNumberToObject(b, "used", (double)fr->budget);
    cJSON *ms = cJSON_AddObjectToObject(r, "metrics");
    for (size_t k = 0; k < fr->n_metrics; k++) {
        cJSON *e = cJSON_AddObjectToObject(ms, fr->metrics[k].name);
        bb_json_add_number(e, "value", fr->metrics[k].value);
        cJSON_AddNumberToObject(e, "n_samples", 100);
    }
    if (fr->with_plots) add_plot_data(r, fr);
    char sub[4096], path[8400];
    snprintf(sub, sizeof sub, "%s/%s", dir, fr->task);
    snprintf(path, sizeof path, "%s/%s-b%lld-s%llu%s.json", sub, fr->method, (long long)fr->budget,
             (unsigned long long)fr->seed, fr->task_version == 1 ? "" : "-v");
    bb_ctx ctx = {0};
    int rc = bb_mkdir_p(sub, &ctx);
    if (!rc) rc = bb_json_write_file(path, r, &ctx);
    cJSON_Delete(r);
    return rc;
}

int fx_write_text(const char *dir, const char *name, const char *text) {
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    bb_ctx ctx = {0};
    return bb_write_file_atomic(path, text, strlen(text), &ctx);
}

char *fx_slurp(const char *path) {
    char *buf = NULL;
    size_t len = 0;
    bb_ctx ctx = {0};
    if (bb_read_file(path, (size_t)64 << 20, &buf, &len, &ctx)) return NULL;
    return buf;
}

size_t fx_count(const char *hay, const char *needle) {
    size_t n = 0, l = strlen(needle);
    for (const char *p = hay; p && (p = strstr(p, needle)) != NULL; p += l) n++;
    return n;
}
