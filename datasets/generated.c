/* generated.c — write and read generated reference sets in the cache (see generated.h). */
#include "datasets/generated.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/manifest.h"
#include "datasets/npy.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"

static int valid_id(const char *id) {
    if (!id || !*id || strlen(id) > 128 || id[0] == '.') return 0;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.' && *p != '@') return 0;
    return 1;
}

int bb_dataset_store_generated(const char *id, const bb_samples *s, const cJSON *provenance, bb_ctx *ctx) {
    if (!valid_id(id)) return BB_ERR(ctx, BB_EINVAL, "generated set id '%s': use [A-Za-z0-9._@-]", id ? id : "(null)");
    if (!s || !s->x || s->n == 0 || s->dof == 0) return BB_ERR(ctx, BB_EINVAL, "%s: no samples to store", id);
    if (s->logw) return BB_ERR(ctx, BB_EINVAL, "%s: reference sets are unweighted (resample first)", id);
    char cache[4096], npy[4400], js[4400], sha[65];
    int rc = bb_cache_dir(cache, sizeof cache, ctx);
    if (rc) return rc;
    if ((rc = bb_mkdir_p(cache, ctx))) return rc;
    snprintf(npy, sizeof npy, "%s/%s.npy", cache, id);
    snprintf(js, sizeof js, "%s/%s.json", cache, id);
    unsigned char *buf;
    size_t len, shape[2] = {s->n, s->dof};
    if ((rc = bb_npy_encode(s->x, 2, shape, &buf, &len, ctx))) return rc;
    bb_sha256_hex(buf, len, sha);
    remove(js); /* the set is incomplete until the sidecar is back */
    rc = bb_write_file_atomic(npy, buf, len, ctx);
    free(buf);
    if (rc) return rc;
    cJSON *j = cJSON_CreateObject();
    cJSON *prov = provenance ? cJSON_Duplicate(provenance, 1) : cJSON_CreateObject();
    if (!j || !prov || !cJSON_AddStringToObject(j, "schema", "boltzbench.generated/1") ||
        !cJSON_AddStringToObject(j, "id", id) || !cJSON_AddNumberToObject(j, "n", (double)s->n) ||
        !cJSON_AddNumberToObject(j, "dof", (double)s->dof) || !cJSON_AddStringToObject(j, "sha256", sha) ||
        !cJSON_AddItemToObject(j, "provenance", prov)) {
        if (!cJSON_GetObjectItemCaseSensitive(j, "provenance")) cJSON_Delete(prov);
        cJSON_Delete(j);
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", js);
    }
    rc = bb_json_write_file(js, j, ctx);
    cJSON_Delete(j);
    return rc;
}

int bb_generated_load(const char *cache, const char *id, size_t max_bytes, bb_samples *out, char sha256_out[65],
                      bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    if (!valid_id(id)) return BB_ERR(ctx, BB_EINVAL, "generated set id '%s': use [A-Za-z0-9._@-]", id ? id : "(null)");
    char npy[4400], js[4400], sha[65];
    snprintf(npy, sizeof npy, "%s/%s.npy", cache, id);
    snprintf(js, sizeof js, "%s/%s.json", cache, id);
    cJSON *j;
    bb_ctx jc = {0};
    int rc = bb_json_read_file(js, (size_t)1 << 24, &j, &jc);
    if (rc == BB_ENOTFOUND) return BB_ERR(ctx, BB_ENOTFOUND, "%s: no generated set in the cache", js);
    if (rc) return BB_ERR(ctx, rc, "%s", jc.msg);
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(j, "sha256");
    if (!cJSON_IsString(want) || strlen(want->valuestring) != 64) {
        cJSON_Delete(j);
        return BB_ERR(ctx, BB_EFORMAT, "%s: sha256: missing or malformed", js);
    }
    /* hash and parse the same bytes: no window between check and use */
    char *buf;
    size_t len;
    bb_ctx fc = {0};
    if ((rc = bb_read_file(npy, max_bytes + ((size_t)1 << 16), &buf, &len, &fc))) {
        cJSON_Delete(j);
        if (rc == BB_ENOTFOUND) /* the sidecar says the set is complete: its data is gone */
            return BB_ERR(ctx, BB_EIO, "%s: missing, but %s says the set is complete", npy, js);
        return BB_ERR(ctx, rc, "%s", fc.msg);
    }
    bb_sha256_hex(buf, len, sha);
    if (strcmp(sha, want->valuestring) != 0) {
        rc = BB_ERR(ctx, BB_EHASH, "%s: sha256 %s does not match %s (%s)", npy, sha, want->valuestring, js);
        cJSON_Delete(j);
        free(buf);
        return rc;
    }
    const cJSON *jn = cJSON_GetObjectItemCaseSensitive(j, "n"), *jd = cJSON_GetObjectItemCaseSensitive(j, "dof");
    double want_n = cJSON_IsNumber(jn) ? jn->valuedouble : -1, want_dof = cJSON_IsNumber(jd) ? jd->valuedouble : -1;
    cJSON_Delete(j);
    bb_array a;
    rc = bb_npy_parse(buf, len, npy, max_bytes, &a, ctx);
    free(buf);
    if (rc) return rc;
    if (a.ndim != 2) {
        bb_array_free(&a);
        return BB_ERR(ctx, BB_EFORMAT, "%s: expected a 2-D array [N][dof]", npy);
    }
    if ((double)a.shape[0] != want_n || (double)a.shape[1] != want_dof) {
        bb_array_free(&a);
        return BB_ERR(ctx, BB_EFORMAT, "%s: shape [%zu][%zu], but %s records n %.0f, dof %.0f", npy, a.shape[0],
                      a.shape[1], js, want_n, want_dof);
    }
    out->n = a.shape[0];
    out->dof = a.shape[1];
    out->x = a.data;
    if (sha256_out) memcpy(sha256_out, sha, 65);
    return BB_OK;
}
