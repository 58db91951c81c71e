/* table_load.c — load a directory tree of run reports into a bb_rset (see table.h).
 *
 * Walks the tree (no symlink following into loops: only regular files and real
 * directories, depth-limited), reads every *.json as a report through
 * bb_report_read (which validates schema and required fields) and records the keys
 * the tables and compare need. It is not the aggregation (table.c) and it does not
 * interpret metrics.
 */
#include "harness/report/table.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness/report/report.h"

#define MAX_DEPTH 16
#define MAX_FILES 100000

void bb_rset_free(bb_rset *rs) {
    if (!rs) return;
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->runs[i].path);
        cJSON_Delete(rs->runs[i].report);
    }
    free(rs->runs);
    memset(rs, 0, sizeof *rs);
}

static const char *str_at(const cJSON *o, const char *a, const char *b) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static double num_at(const cJSON *o, const char *a, const char *b, double dflt) {
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    return cJSON_IsNumber(x) ? x->valuedouble : dflt;
}

/* "id@version" from a task/method object; the version is left out when absent. */
static void key_of(const cJSON *obj, const char *idfield, char *out, size_t len) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, idfield);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "version");
    const char *s = cJSON_IsString(id) ? id->valuestring : "?";
    if (strchr(s, '@') || !cJSON_IsNumber(v))
        snprintf(out, len, "%s", s);
    else if (v->valuedouble >= -2147483648.0 && v->valuedouble <= 2147483647.0) /* before the int cast */
        snprintf(out, len, "%s@%d", s, (int)v->valuedouble);
    else
        snprintf(out, len, "%s@%g", s, v->valuedouble);
}

int bb_rset_add_file(bb_rset *rs, const char *path, bb_ctx *ctx) {
    cJSON *r = NULL;
    int rc = bb_report_read(path, &r, ctx);
    if (rc) return rc;
    const char *hv = str_at(r, "harness", "version");
    const char *hc = str_at(r, "harness", "git_commit");
    if (!hv) {
        cJSON_Delete(r);
        return BB_ERR(ctx, BB_EFORMAT, "%s: field 'harness.version' missing or not a string", path);
    }
    if (rs->n == 0) {
        snprintf(rs->harness_version, sizeof rs->harness_version, "%s", hv);
        snprintf(rs->harness_commit, sizeof rs->harness_commit, "%s", hc ? hc : "unknown");
    } else if (strcmp(rs->harness_version, hv) != 0) {
        rc = BB_ERR(ctx, BB_EFORMAT,
                    "%s: harness version %s differs from %s in %s; reports of different harness versions "
                    "are not mixed (put them in separate directories)",
                    path, hv, rs->harness_version, rs->runs[0].path);
        cJSON_Delete(r);
        return rc;
    } else if (strcmp(rs->harness_commit, hc ? hc : "unknown") != 0) {
        snprintf(rs->harness_commit, sizeof rs->harness_commit, "mixed");
    }
    /* range-check before the integer conversions (out-of-range float->int is undefined) */
    double limit = num_at(r, "budget", "limit", -1), seed = num_at(r, "seed", NULL, -1);
    if (!(limit >= 0 && limit <= 9007199254740992.0 && limit == floor(limit))) {
        cJSON_Delete(r);
        return BB_ERR(ctx, BB_EFORMAT, "%s: budget.limit: not an integer in [0, 2^53]", path);
    }
    if (!(seed >= 0 && seed < 18446744073709551616.0 && seed == floor(seed))) {
        cJSON_Delete(r);
        return BB_ERR(ctx, BB_EFORMAT, "%s: seed: not an integer in [0, 2^64)", path);
    }
    if (rs->n >= MAX_FILES) {
        cJSON_Delete(r);
        return BB_ERR(ctx, BB_ENOMEM, "%s: more than %d reports in one set", path, MAX_FILES);
    }
    bb_rset_run *nr = realloc(rs->runs, (rs->n + 1) * sizeof *nr);
    char *p = strdup(path);
    if (!nr || !p) {
        if (nr) rs->runs = nr;
        free(p);
        cJSON_Delete(r);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    }
    rs->runs = nr;
    bb_rset_run *run = &rs->runs[rs->n++];
    memset(run, 0, sizeof *run);
    run->path = p;
    run->report = r;
    key_of(cJSON_GetObjectItemCaseSensitive(r, "task"), "id", run->task, sizeof run->task);
    key_of(cJSON_GetObjectItemCaseSensitive(r, "method"), "name", run->method, sizeof run->method);
    run->budget = (int64_t)limit;
    run->seed = (uint64_t)seed;
    const char *st = str_at(r, "status", NULL);
    run->ok = st && strcmp(st, "ok") == 0;
    run->config_sha256 = str_at(r, "config_sha256", NULL);
    return BB_OK;
}

typedef struct path_list {
    char **p;
    size_t n, cap;
} path_list;

static int push_path(path_list *l, const char *dir, const char *name, bb_ctx *ctx) {
    if (l->n >= MAX_FILES) return BB_ERR(ctx, BB_ENOMEM, "%s: more than %d files", dir, MAX_FILES);
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 64;
        char **np = realloc(l->p, nc * sizeof *np);
        if (!np) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", dir);
        l->p = np;
        l->cap = nc;
    }
    size_t len = strlen(dir) + strlen(name) + 2;
    char *s = malloc(len);
    if (!s) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", dir);
    snprintf(s, len, "%s/%s", dir, name);
    l->p[l->n++] = s;
    return BB_OK;
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int walk(const char *dir, int depth, path_list *l, bb_ctx *ctx) {
    if (depth > MAX_DEPTH) return BB_ERR(ctx, BB_EINVAL, "%s: directories nested deeper than %d", dir, MAX_DEPTH);
    DIR *d = opendir(dir);
    if (!d) return BB_ERR(ctx, BB_EIO, "%s: cannot open directory", dir);
    int rc = BB_OK;
    for (struct dirent *e; !rc && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *full = malloc(len);
        if (!full) {
            rc = BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", dir);
            break;
        }
        snprintf(full, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(full, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = walk(full, depth + 1, l, ctx);
            else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".json"))
                rc = push_path(l, dir, e->d_name, ctx);
        }
        free(full);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int bb_rset_load_dir(const char *dir, bb_rset *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return BB_ERR(ctx, BB_ENOTFOUND, "%s: no such directory", dir);
    path_list l = {0};
    int rc = walk(dir, 0, &l, ctx);
    if (!rc && l.n == 0) rc = BB_ERR(ctx, BB_ENOTFOUND, "%s: no report (*.json) found", dir);
    if (!rc) qsort(l.p, l.n, sizeof *l.p, cmp_str);
    for (size_t i = 0; !rc && i < l.n; i++) rc = bb_rset_add_file(out, l.p[i], ctx);
    for (size_t i = 0; i < l.n; i++) free(l.p[i]);
    free(l.p);
    if (rc) bb_rset_free(out);
    return rc;
}

const char *bb_rset_run_error(const bb_rset_run *r) {
    const char *e = r ? str_at(r->report, "error", NULL) : NULL;
    return e ? e : "";
}
