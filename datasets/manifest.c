/* manifest.c — parse and validate datasets/manifest.json; cache directory helpers.
 *
 * Validation is strict about what the fetcher relies on (id, version, file name
 * without '/', URL schemes, sha256 as 64 hex digits or null, non-negative size) and
 * lenient about descriptive fields (missing ones become ""). It is not a JSON-schema
 * validator and does not check that URLs are reachable.
 */
#define _XOPEN_SOURCE 700
#include "datasets/manifest.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/jsonutil.h"
#include "harness/core/source_dir.h"

#define MANIFEST_MAX_BYTES ((size_t)4 << 20)

int bb_manifest_default_path(char *out, size_t len) {
    const char *e = getenv("BOLTZBENCH_MANIFEST");
    int w = e && *e ? snprintf(out, len, "%s", e) : snprintf(out, len, "%s/datasets/manifest.json", bb_source_dir());
    return w >= 0 && (size_t)w < len ? BB_OK : BB_EINVAL;
}

void bb_manifest_free(bb_manifest *m) {
    if (!m) return;
    free(m->d);
    m->d = NULL;
    m->n = 0;
}

static int copy_str(const cJSON *obj, const char *key, char *out, size_t cap, int required, const char *path,
                    size_t idx, bb_ctx *ctx) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
    out[0] = '\0';
    if (!j || cJSON_IsNull(j)) {
        if (required) return BB_ERR(ctx, BB_EFORMAT, "%s: datasets[%zu].%s: missing", path, idx, key);
        return BB_OK;
    }
    if (!cJSON_IsString(j)) return BB_ERR(ctx, BB_EFORMAT, "%s: datasets[%zu].%s: not a string", path, idx, key);
    if (strlen(j->valuestring) >= cap)
        return BB_ERR(ctx, BB_EFORMAT, "%s: datasets[%zu].%s: longer than %zu characters", path, idx, key, cap - 1);
    memcpy(out, j->valuestring, strlen(j->valuestring) + 1);
    return BB_OK;
}

static int is_hex64(const char *s) {
    if (strlen(s) != 64) return 0;
    for (int i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) return 0;
    return 1;
}

/* 1 if j is a whole number in [lo, hi] (checked before any integer conversion: a cast of
 * an out-of-range double is undefined behaviour). */
static int whole_in(const cJSON *j, double lo, double hi) {
    return cJSON_IsNumber(j) && j->valuedouble >= lo && j->valuedouble <= hi &&
           j->valuedouble == (double)(long long)j->valuedouble;
}

static int valid_id(const char *s) {
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.') return 0;
    return 1;
}

static int parse_entry(const cJSON *e, size_t i, const char *path, bb_dataset *d, bb_ctx *ctx) {
    memset(d, 0, sizeof *d);
    int rc;
    if (!cJSON_IsObject(e)) return BB_ERR(ctx, BB_EFORMAT, "%s: datasets[%zu]: not an object", path, i);
    if ((rc = copy_str(e, "id", d->id, sizeof d->id, 1, path, i, ctx))) return rc;
    if (!valid_id(d->id))
        return BB_ERR(ctx, BB_EFORMAT, "%s: datasets[%zu].id: '%s' (use [A-Za-z0-9._-])", path, i, d->id);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "version");
    if (!whole_in(v, 1, 2147483647.0))
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: version: not a positive integer", path, d->id);
    d->version = (int)v->valuedouble;
    if ((rc = copy_str(e, "file", d->file, sizeof d->file, 1, path, i, ctx))) return rc;
    if (!valid_id(d->file) || strcmp(d->file, ".") == 0 || strcmp(d->file, "..") == 0)
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: file: '%s' is not a plain file name", path, d->id, d->file);
    const cJSON *urls = cJSON_GetObjectItemCaseSensitive(e, "urls"), *u;
    if (!cJSON_IsArray(urls)) return BB_ERR(ctx, BB_EFORMAT, "%s: %s: urls: not an array", path, d->id);
    cJSON_ArrayForEach(u, urls) {
        if (d->n_urls >= BB_MANIFEST_MAX_URLS)
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: urls: more than %d", path, d->id, BB_MANIFEST_MAX_URLS);
        if (!cJSON_IsString(u) || strlen(u->valuestring) >= sizeof d->urls[0] ||
            (strncmp(u->valuestring, "https://", 8) != 0 && strncmp(u->valuestring, "http://", 7) != 0 &&
             strncmp(u->valuestring, "file://", 7) != 0))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: urls[%d]: not an http(s):// or file:// URL", path, d->id,
                          d->n_urls);
        snprintf(d->urls[d->n_urls++], sizeof d->urls[0], "%s", u->valuestring);
    }
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(e, "aliases"), *a;
    if (al && !cJSON_IsArray(al)) return BB_ERR(ctx, BB_EFORMAT, "%s: %s: aliases: not an array", path, d->id);
    cJSON_ArrayForEach(a, al) {
        if (d->n_aliases >= BB_MANIFEST_MAX_ALIASES || !cJSON_IsString(a) ||
            strlen(a->valuestring) >= sizeof d->aliases[0] || !valid_id(a->valuestring))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: aliases[%d]: bad alias", path, d->id, d->n_aliases);
        snprintf(d->aliases[d->n_aliases++], sizeof d->aliases[0], "%s", a->valuestring);
    }
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(e, "sha256");
    if (!sha) return BB_ERR(ctx, BB_EFORMAT, "%s: %s: sha256: missing (write null if unknown)", path, d->id);
    if (!cJSON_IsNull(sha)) {
        if (!cJSON_IsString(sha) || !is_hex64(sha->valuestring))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: sha256: not 64 lowercase hex digits", path, d->id);
        d->has_sha256 = 1;
        memcpy(d->sha256, sha->valuestring, 65);
    }
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(e, "bytes");
    d->bytes = -1;
    if (by && !cJSON_IsNull(by)) {
        if (!cJSON_IsNumber(by) || by->valuedouble < 0 || by->valuedouble > 9.0e15 ||
            by->valuedouble != (double)(long long)by->valuedouble)
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: bytes: not a non-negative integer", path, d->id);
        d->bytes = (long long)by->valuedouble;
    }
    if ((rc = copy_str(e, "format", d->format, sizeof d->format, 1, path, i, ctx))) return rc;
    if (strcmp(d->format, "npy") && strcmp(d->format, "npz") && strcmp(d->format, "pt") && strcmp(d->format, "files"))
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: format: '%s' (npy, npz, pt or files)", path, d->id, d->format);
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape"), *s;
    if (sh && !cJSON_IsNull(sh)) {
        if (!cJSON_IsArray(sh)) return BB_ERR(ctx, BB_EFORMAT, "%s: %s: shape: not an array", path, d->id);
        cJSON_ArrayForEach(s, sh) {
            if (d->ndim >= 4 || (!cJSON_IsNull(s) && !whole_in(s, 0, 9.0e15)))
                return BB_ERR(ctx, BB_EFORMAT, "%s: %s: shape: bad entry", path, d->id);
            d->shape[d->ndim++] = cJSON_IsNull(s) ? BB_SHAPE_ANY : (size_t)s->valuedouble;
        }
    }
    if ((rc = copy_str(e, "dtype", d->dtype, sizeof d->dtype, 0, path, i, ctx))) return rc;
    if ((rc = copy_str(e, "units", d->units, sizeof d->units, 0, path, i, ctx))) return rc;
    if ((rc = copy_str(e, "coordinates", d->coordinates, sizeof d->coordinates, 0, path, i, ctx))) return rc;
    if (!d->coordinates[0]) snprintf(d->coordinates, sizeof d->coordinates, "cartesian");
    if ((rc = copy_str(e, "task", d->task, sizeof d->task, 1, path, i, ctx))) return rc;
    if ((rc = copy_str(e, "energy_convention", d->energy_convention, sizeof d->energy_convention, 0, path, i, ctx)))
        return rc;
    if ((rc = copy_str(e, "license", d->license, sizeof d->license, 0, path, i, ctx))) return rc;
    if ((rc = copy_str(e, "citation", d->citation, sizeof d->citation, 0, path, i, ctx))) return rc;
    d->com_removed_on_load = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "com_removed_on_load"));
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(e, "committed");
    if (cm) {
        if ((rc = copy_str(cm, "path", d->committed_path, sizeof d->committed_path, 1, path, i, ctx))) return rc;
        if ((rc = copy_str(cm, "format", d->committed_format, sizeof d->committed_format, 1, path, i, ctx))) return rc;
        if (strcmp(d->committed_format, "npy.gz") != 0)
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: committed.format: '%s' (npy.gz only)", path, d->id,
                          d->committed_format);
    }
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(e, "generated");
    if (g) {
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(g, "seed");
        const cJSON *stream = cJSON_GetObjectItemCaseSensitive(g, "stream");
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "n");
        if (!whole_in(seed, 0, 9.0e15) || !whole_in(stream, 0, 9.0e15) || !whole_in(n, 1, 9.0e15))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: generated: needs seed, stream and n", path, d->id);
        d->generated = 1;
        d->gen_seed = (unsigned long long)seed->valuedouble;
        d->gen_stream = (unsigned long long)stream->valuedouble;
        d->gen_n = (size_t)n->valuedouble;
    }
    const cJSON *tk = cJSON_GetObjectItemCaseSensitive(e, "temperature_K");
    if (tk && (!cJSON_IsNumber(tk) || !(tk->valuedouble > 0.0) || !(tk->valuedouble < 1e5)))
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: temperature_K: not a temperature in (0, 1e5)", path, d->id);
    d->temperature_K = tk ? tk->valuedouble : 0.0;
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(e, "energy_check");
    if (ec) {
        const cJSON *mu = cJSON_GetObjectItemCaseSensitive(ec, "mean_reduced");
        const cJSON *tol = cJSON_GetObjectItemCaseSensitive(ec, "tolerance");
        if (!cJSON_IsNumber(mu) || !isfinite(mu->valuedouble) || !cJSON_IsNumber(tol) || !(tol->valuedouble > 0.0))
            return BB_ERR(ctx, BB_EFORMAT, "%s: %s: energy_check: needs a finite mean_reduced and a tolerance > 0",
                          path, d->id);
        d->has_energy_check = 1;
        d->energy_mean = mu->valuedouble;
        d->energy_tolerance = tol->valuedouble;
    }
    if (!d->generated && d->n_urls == 0 && !d->committed_path[0])
        return BB_ERR(ctx, BB_EFORMAT, "%s: %s: urls: empty for a dataset that is neither generated nor committed",
                      path, d->id);
    return BB_OK;
}

int bb_manifest_load(const char *path, bb_manifest *out, bb_ctx *ctx) {
    out->n = 0;
    out->d = NULL;
    char def[4096];
    if (!path) {
        if (bb_manifest_default_path(def, sizeof def))
            return BB_ERR(ctx, BB_EINVAL, "manifest: default path longer than %zu bytes", sizeof def);
        path = def;
    }
    cJSON *root;
    int rc = bb_json_read_file(path, MANIFEST_MAX_BYTES, &root, ctx);
    if (rc) return rc;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "datasets");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "boltzbench.manifest/1") != 0) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: schema: expected \"boltzbench.manifest/1\"", path);
        goto out;
    }
    void *items;
    size_t n;
    if ((rc = bb_json_array_calloc(list, sizeof *out->d, path, "datasets: not an array", &items, &n, ctx))) goto out;
    out->d = items;
    const cJSON *e;
    size_t i = 0;
    cJSON_ArrayForEach(e, list) {
        rc = parse_entry(e, i, path, &out->d[i], ctx);
        if (rc) goto out;
        for (size_t k = 0; k < i; k++)
            if (strcmp(out->d[k].id, out->d[i].id) == 0 && out->d[k].version == out->d[i].version) {
                rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s@%d: listed twice", path, out->d[i].id, out->d[i].version);
                goto out;
            }
        i++;
    }
    out->n = n;
out:
    cJSON_Delete(root);
    if (rc) bb_manifest_free(out);
    return rc;
}

const bb_dataset *bb_manifest_find(const bb_manifest *m, const char *id) {
    if (!m || !id) return NULL;
    char name[128];
    snprintf(name, sizeof name, "%s", id);
    int version = 0;
    char *at = strchr(name, '@');
    if (at) {
        char *end;
        long v = strtol(at + 1, &end, 10);
        if (*end || v < 1) return NULL;
        version = (int)v;
        *at = '\0';
    }
    const bb_dataset *best = NULL;
    for (size_t i = 0; i < m->n; i++) {
        const bb_dataset *d = &m->d[i];
        int match = strcmp(d->id, name) == 0;
        for (int a = 0; a < d->n_aliases && !match; a++) match = strcmp(d->aliases[a], name) == 0;
        if (!match) continue;
        if (version ? d->version == version : (!best || d->version > best->version)) best = d;
    }
    return best;
}

int bb_cache_dir(char *out, size_t cap, bb_ctx *ctx) {
    const char *c = getenv("BOLTZBENCH_CACHE"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    int n;
    if (c && *c)
        n = snprintf(out, cap, "%s", c);
    else if (x && *x)
        n = snprintf(out, cap, "%s/boltzbench", x);
    else if (h && *h)
        n = snprintf(out, cap, "%s/.cache/boltzbench", h);
    else
        return BB_ERR(ctx, BB_EINVAL, "cache: set BOLTZBENCH_CACHE (no XDG_CACHE_HOME or HOME)");
    if (n < 0 || (size_t)n >= cap) return BB_ERR(ctx, BB_EINVAL, "cache: directory path too long");
    while (n > 1 && out[n - 1] == '/') out[--n] = '\0';
    return BB_OK;
}

int bb_cache_dir_or(const char *given, char *out, size_t cap, bb_ctx *ctx) {
    if (!given) return bb_cache_dir(out, cap, ctx);
    if ((size_t)snprintf(out, cap, "%s", given) >= cap) return BB_ERR(ctx, BB_EINVAL, "cache: directory path too long");
    return BB_OK;
}

int bb_dataset_dir(const char *cache, const bb_dataset *d, char *out, size_t cap, bb_ctx *ctx) {
    int n = snprintf(out, cap, "%s/%s@%d", cache, d->id, d->version);
    if (n < 0 || (size_t)n >= cap) return BB_ERR(ctx, BB_EINVAL, "%s: cache path too long", d->id);
    return BB_OK;
}

int bb_dataset_path(const char *cache, const bb_dataset *d, char *out, size_t cap, bb_ctx *ctx) {
    int n = snprintf(out, cap, "%s/%s@%d/%s", cache, d->id, d->version, d->file);
    if (n < 0 || (size_t)n >= cap) return BB_ERR(ctx, BB_EINVAL, "%s: cache path too long", d->id);
    return BB_OK;
}

/* nftw has no user pointer: the first failure is kept here (the CLI is single-threaded;
 * clean is not meant to run concurrently with itself in one process). */
static char clean_failed[4096];

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    if (ftw->level == 0) return 0; /* keep the cache directory itself */
    if (remove(p) != 0 && !clean_failed[0]) snprintf(clean_failed, sizeof clean_failed, "%s: %s", p, strerror(errno));
    return 0;
}

int bb_cache_clean(const char *cache, bb_ctx *ctx) {
    const char *h = getenv("HOME");
    char real[4096], home[4096];
    if (!realpath(cache, real)) {
        if (errno == ENOENT) return BB_OK; /* nothing cached */
        return BB_ERR(ctx, BB_EIO, "%s: %s", cache, strerror(errno));
    }
    if (strcmp(real, "/") == 0 || (h && realpath(h, home) && strcmp(real, home) == 0))
        return BB_ERR(ctx, BB_EINVAL, "%s: refusing to clean this directory (set BOLTZBENCH_CACHE)", cache);
    clean_failed[0] = '\0';
    if (nftw(real, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return BB_ERR(ctx, BB_EIO, "%s: cannot walk the cache: %s", cache, strerror(errno));
    if (clean_failed[0]) return BB_ERR(ctx, BB_EIO, "%s", clean_failed);
    return BB_OK;
}
