/* minima_io.c — the minima catalogue file: gzip-compressed JSON, schema
 * "boltzbench.minima/1", written atomically, read with size limits.
 *
 *   {"schema": "boltzbench.minima/1", "task": "lj13-phys@1", "utol": 1e-3, "rtol": 0.05,
 *    "provenance": {...free-form object: command, seed, commit, steps, time...},
 *    "minima": [{"u": -44.326801, "count": 12, "x": [39 numbers]}, ...]}   (u ascending)
 *
 * Energies and coordinates are printed with "%.17g" (cJSON's own printer may drop
 * the last bit), so they round-trip exactly and a resumed build continues bit-exactly. It is not a general npz/npy container (datasets/ has those).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zlib.h>

#include "harness/core/fileio.h"
#include "harness/metrics/metric_lib.h"

#define CATALOGUE_MAX_GZ   (64u << 20)  /* compressed bytes */
#define CATALOGUE_MAX_JSON (512u << 20) /* decompressed bytes */

cJSON *bb_json_exact_number(double v) {
    char buf[40];
    if (!isfinite(v)) return cJSON_CreateNull();
    snprintf(buf, sizeof buf, "%.17g", v);
    return cJSON_CreateRaw(buf);
}

cJSON *bb_json_exact_doubles(const double *x, int n) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        cJSON *v = bb_json_exact_number(x[i]);
        if (!v || !cJSON_AddItemToArray(a, v)) {
            cJSON_Delete(v);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static int gz_inflate(const unsigned char *in, size_t len, char **out, size_t limit) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) return BB_ENOMEM;
    size_t cap = len * 4 + 1024, n = 0;
    char *buf = malloc(cap);
    int rc = buf ? BB_OK : BB_ENOMEM;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    while (!rc) {
        if (cap - n < 2) {
            if (cap >= limit) {
                rc = BB_ENOMEM;
                break;
            }
            size_t nc = cap * 2 > limit ? limit : cap * 2;
            char *nb = realloc(buf, nc);
            if (!nb) {
                rc = BB_ENOMEM;
                break;
            }
            buf = nb;
            cap = nc;
        }
        zs.next_out = (Bytef *)buf + n;
        zs.avail_out = (uInt)(cap - n - 1);
        int zr = inflate(&zs, Z_NO_FLUSH);
        n = cap - 1 - zs.avail_out;
        if (zr == Z_STREAM_END) break;
        if (zr != Z_OK && zr != Z_BUF_ERROR) rc = BB_EFORMAT;
        if (zr == Z_BUF_ERROR && zs.avail_in == 0) rc = BB_EFORMAT; /* truncated */
    }
    inflateEnd(&zs);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    return BB_OK;
}

int bb_minima_write(const char *path, const bb_minima *m, const char *task_id, double utol, double rtol,
                    const cJSON *provenance, bb_ctx *ctx) {
    cJSON *root = cJSON_CreateObject(), *arr = NULL;
    int rc = BB_OK;
    if (!root) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    int ok = cJSON_AddStringToObject(root, "schema", "boltzbench.minima/1") &&
             cJSON_AddStringToObject(root, "task", task_id) && cJSON_AddNumberToObject(root, "utol", utol) &&
             cJSON_AddNumberToObject(root, "rtol", rtol) && cJSON_AddNumberToObject(root, "n_minima", (double)m->n);
    if (ok && provenance) {
        cJSON *p = cJSON_Duplicate(provenance, 1);
        ok = p && cJSON_AddItemToObject(root, "provenance", p);
    }
    if (ok) ok = (arr = cJSON_AddArrayToObject(root, "minima")) != NULL;
    for (size_t k = 0; ok && k < m->n; k++) {
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(arr, o);
        if (!ok) {
            cJSON_Delete(o);
            break;
        }
        cJSON *xs = bb_json_exact_doubles(m->x + k * (size_t)m->dof, m->dof), *uj = bb_json_exact_number(m->u[k]);
        ok = uj && cJSON_AddItemToObject(o, "u", uj);
        if (!ok) cJSON_Delete(uj);
        ok = ok && xs && cJSON_AddNumberToObject(o, "count", (double)m->count[k]) && cJSON_AddItemToObject(o, "x", xs);
        if (!ok) cJSON_Delete(xs); /* not attached: AddItemToObject is the last step */
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    unsigned char *gz = NULL;
    size_t gz_len = 0;
    rc = bb_deflate(text, strlen(text), 9, 15 + 16, &gz, &gz_len); /* gzip, level 9 */
    free(text);
    if (rc) return BB_ERR(ctx, rc, "%s: compression failed", path);
    rc = bb_write_file_atomic(path, gz, gz_len, ctx);
    free(gz);
    return rc;
}

int bb_minima_read(const char *path, const bb_task *t, bb_minima *m, cJSON **meta, bb_ctx *ctx) {
    bb_minima_init(m, t);
    if (meta) *meta = NULL;
    char *raw = NULL, *text = NULL;
    size_t raw_len = 0;
    int rc = bb_read_file(path, CATALOGUE_MAX_GZ, &raw, &raw_len, ctx);
    if (rc) return rc;
    rc = gz_inflate((unsigned char *)raw, raw_len, &text, CATALOGUE_MAX_JSON);
    free(raw);
    if (rc) return BB_ERR(ctx, rc, "%s: not a readable gzip file (or larger than %u bytes)", path, CATALOGUE_MAX_JSON);
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) return BB_ERR(ctx, BB_EFORMAT, "%s: malformed JSON", path);
    cJSON *schema = cJSON_GetObjectItem(root, "schema"), *arr = cJSON_GetObjectItem(root, "minima");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "boltzbench.minima/1") != 0) {
        cJSON_Delete(root);
        return BB_ERR(ctx, BB_EFORMAT, "%s: schema is not boltzbench.minima/1 (HINT: rebuild with 'boltzbench minima')",
                      path);
    }
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return BB_ERR(ctx, BB_EFORMAT, "%s: 'minima' is not an array", path);
    }
    size_t n = (size_t)cJSON_GetArraySize(arr), k = 0;
    m->x = malloc((n ? n : 1) * (size_t)m->dof * sizeof *m->x);
    m->u = malloc((n ? n : 1) * sizeof *m->u);
    m->count = malloc((n ? n : 1) * sizeof *m->count);
    if (!m->x || !m->u || !m->count) {
        cJSON_Delete(root);
        bb_minima_free(m);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for %zu minima", path, n);
    }
    m->cap = n ? n : 1;
    cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        cJSON *u = cJSON_GetObjectItem(it, "u"), *c = cJSON_GetObjectItem(it, "count"),
              *x = cJSON_GetObjectItem(it, "x");
        if (!cJSON_IsNumber(u) || !cJSON_IsArray(x) || cJSON_GetArraySize(x) != m->dof ||
            (k > 0 && u->valuedouble < m->u[k - 1])) {
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: minima[%zu]: need 'u' (ascending) and 'x' with %d numbers", path, k,
                        m->dof);
            break;
        }
        if (cJSON_IsNumber(c) && !(c->valuedouble >= 0 && c->valuedouble <= 9.0e15 &&
                                   c->valuedouble == floor(c->valuedouble))) { /* before the int64 cast */
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: minima[%zu].count: not a non-negative integer", path, k);
            break;
        }
        m->u[k] = u->valuedouble;
        m->count[k] = cJSON_IsNumber(c) ? (int64_t)c->valuedouble : 1;
        int d = 0;
        cJSON *xv;
        cJSON_ArrayForEach(xv, x) {
            if (!cJSON_IsNumber(xv) || !isfinite(xv->valuedouble)) {
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: minima[%zu].x[%d] is not a finite number", path, k, d);
                break;
            }
            m->x[k * (size_t)m->dof + (size_t)d++] = xv->valuedouble;
        }
        if (rc) break;
        k++;
    }
    m->n = k;
    if (rc) {
        cJSON_Delete(root);
        bb_minima_free(m);
        return rc;
    }
    if (meta) {
        cJSON_DeleteItemFromObject(root, "minima");
        *meta = root;
    } else {
        cJSON_Delete(root);
    }
    return BB_OK;
}
