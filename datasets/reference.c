/* reference.c — resolve and load a task's reference samples (see reference.h).
 *
 * Order: (1) committed copy datasets/reference/<id>.npy.gz — decompressed, its sha256 must
 * equal the manifest's (for the iDEM sets that is the upstream file's hash: the bytes are
 * unchanged); (2) a fetched file in the cache, size-checked and re-hashed at every load, and
 * when that fails moved aside and fetched again (try_fetched); (3) a generated set in
 * the cache (<cache>/<id>.npy + sidecar, generated.h); (4) exact samples when the task has
 * sample_exact, with the manifest's seed and stream (defaults below otherwise). A hash
 * mismatch is an error, never a silent fall-through to the next source.
 * A pt file (torch.save, FAB's format) loads like an npy; any file is checked against the
 * manifest's shape and dtype. Afterwards: dof must equal the task's; COM_FREE tasks get the centre of mass removed
 * per configuration (as the iDEM code does on load); at most max_n rows are kept.
 * Only the "task declares no reference set" outcome is BB_ENOTFOUND (reference.h).
 * Not here: the transfer itself (fetch.h) and running samplers to generate sets.
 */
#include "datasets/reference.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "datasets/fetch.h"
#include "datasets/generated.h"
#include "harness/core/gz.h"
#include "datasets/manifest.h"
#include "datasets/npy.h"
#include "datasets/pt.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/core/source_dir.h"
#include "tasks/molecules/molecule.h"

#define REF_MAX_BYTES        ((size_t)1 << 31)
#define EXACT_DEFAULT_SEED   20240401u
#define EXACT_DEFAULT_STREAM 0x40000000u
#define EXACT_DEFAULT_N      10000u

void bb_reference_free(bb_reference *r) {
    if (!r) return;
    bb_samples_free(&r->samples);
    memset(r, 0, sizeof *r);
}

int bb_reference_exact(const bb_task *task, size_t n, uint64_t seed, uint64_t stream, bb_samples *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    if (!task->type->sample_exact) return BB_ERR(ctx, BB_EUNSUPPORTED, "%s: task cannot draw exact samples", task->id);
    if (n == 0) return BB_ERR(ctx, BB_EINVAL, "%s: exact samples: n must be positive", task->id);
    if (bb_samples_alloc(out, n, (size_t)task->dof, 0))
        return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for %zu exact samples", task->id, n);
    bb_rng r;
    bb_rng_init(&r, seed, stream);
    int rc = task->type->sample_exact(task, n, &r, out->x, ctx);
    if (rc) {
        bb_samples_free(out);
        return rc;
    }
    if (task->flags & BB_TASK_COM_FREE) bb_remove_com(n, task->n_particles, task->dim, out->x);
    return BB_OK;
}

/* A file format that holds one sample array (npy, or pt: a torch.save tensor) of Cartesian
 * configurations; other coordinates (FAB's internal coordinates) are never loaded as samples. */
static int sample_set(const bb_dataset *d) {
    return d && (!strcmp(d->format, "npy") || !strcmp(d->format, "pt")) && !strcmp(d->coordinates, "cartesian");
}

static void shape_str(int ndim, const size_t *shape, char *out, size_t cap) {
    size_t l = (size_t)snprintf(out, cap, "(");
    for (int k = 0; k < ndim && l < cap; k++)
        l += shape[k] == BB_SHAPE_ANY ? (size_t)snprintf(out + l, cap - l, "%snull", k ? ", " : "")
                                      : (size_t)snprintf(out + l, cap - l, "%s%zu", k ? ", " : "", shape[k]);
    if (l < cap) snprintf(out + l, cap - l, ")");
}

/* Hash buf against want (if non-NULL), parse it as an N × … npy (format "pt": a torch.save
 * tensor) into samples and, when d is given, check shape and dtype against the manifest's
 * (null entries match anything): for files without a sha256 this is what is left to catch a
 * wrong file, with the zip CRC-32 of a pt file and the energy check. */
static int samples_from_bytes(const unsigned char *buf, size_t len, const char *what, const char *format,
                              const bb_dataset *d, const char *want, bb_samples *out, char sha[65], bb_ctx *ctx) {
    bb_sha256_hex(buf, len, sha);
    if (want && strcmp(sha, want) != 0) return BB_ERR(ctx, BB_EHASH, "%s: sha256 %s, expected %s", what, sha, want);
    bb_array a;
    int rc = !strcmp(format, "pt") ? bb_pt_parse(buf, len, what, REF_MAX_BYTES, &a, ctx)
                                   : bb_npy_parse(buf, len, what, REF_MAX_BYTES, &a, ctx);
    if (rc) return rc;
    if (a.ndim < 1) {
        bb_array_free(&a);
        return BB_ERR(ctx, BB_EFORMAT, "%s: a scalar is not a sample set", what);
    }
    int same = !d || !d->ndim || d->ndim == a.ndim;
    for (int k = 0; same && d && k < d->ndim; k++) same = d->shape[k] == BB_SHAPE_ANY || d->shape[k] == a.shape[k];
    if (!same || (d && d->dtype[0] && strcmp(d->dtype, a.dtype))) {
        char got[160], exp[160];
        shape_str(a.ndim, a.shape, got, sizeof got);
        shape_str(d->ndim, d->shape, exp, sizeof exp);
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: %s %s, the manifest's %s@%d says %s %s", what, a.dtype, got, d->id,
                    d->version, d->dtype[0] ? d->dtype : "(any dtype)", d->ndim ? exp : "(any shape)");
        bb_array_free(&a);
        return rc;
    }
    out->n = a.shape[0];
    out->dof = 1;
    for (int k = 1; k < a.ndim; k++) out->dof *= a.shape[k];
    out->x = a.data;
    out->logw = NULL;
    return BB_OK;
}

/* A set for `task` at temperature T found without a declared id: the task's name, a committed
 * copy or a generation recipe, or per-temperature data (temperature_K stated) that can be
 * fetched; when temperature_K is stated it must be T (molecular tasks: one set per temperature). */
static int candidate(const bb_dataset *e, const bb_task *task, double T) {
    if (strcmp(e->task, task->type->name) != 0 || strcmp(e->coordinates, "cartesian") != 0) return 0;
    if (!(e->committed_path[0] || e->generated || (e->temperature_K > 0.0 && e->n_urls > 0))) return 0;
    return !(e->temperature_K > 0.0) || fabs(e->temperature_K - T) <= 1e-9 * e->temperature_K;
}

/* The next candidate after `after` (NULL: the first) in manifest order. */
static const bb_dataset *next_candidate(const bb_manifest *m, const bb_task *task, const bb_dataset *after) {
    double T = bb_task_temperature(task);
    for (size_t i = after ? (size_t)(after - m->d) + 1 : 0; i < m->n; i++)
        if (candidate(&m->d[i], task, T)) return &m->d[i];
    return NULL;
}

/* The task's declared set when it is Cartesian samples (npy, pt); else the first candidate
 * (above); else the declared entry (an archive or other coordinates: "declares no loadable
 * set") or NULL. A declared id missing from the manifest is NULL. */
static const bb_dataset *pick(const bb_manifest *m, const bb_task *task) {
    const char *id = task->type->reference_dataset;
    const bb_dataset *d = id ? bb_manifest_find(m, id) : NULL;
    if ((id && !d) || sample_set(d)) return d;
    const bb_dataset *c = next_candidate(m, task, NULL);
    return c ? c : d;
}

int bb_dataset_check_energy(const bb_dataset *d, const bb_task *task, const bb_samples *s, bb_ctx *ctx) {
    if (!d->has_energy_check) return BB_OK;
    double *u = malloc((s->n ? s->n : 1) * sizeof *u), sum = 0.0;
    if (!u) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory for the energy check", d->id);
    int rc = bb_task_energy_parallel(task, s->n, s->x, u, NULL, ctx);
    for (size_t i = 0; i < s->n && !rc; i++) sum += u[i];
    free(u);
    if (rc) return rc;
    double mean = sum / (double)s->n;
    if (!(fabs(mean - d->energy_mean) <= d->energy_tolerance))
        return BB_ERR(ctx, BB_EFORMAT,
                      "%s: mean reduced energy %.6g under task %s differs from the manifest's %.6g by more than %g "
                      "(wrong units, atom order or temperature?)",
                      d->id, mean, task->id, d->energy_mean, d->energy_tolerance);
    return BB_OK;
}

/* What the provenance sidecar of a trajectory-ordered set (the .json that `boltzbench
 * reference` writes beside a generated set and that its --export writes beside a committed
 * subsample) says about the rows; only a sidecar naming the sha256 of the very bytes loaded
 * counts.
 * - frame_interval_ps: "subsample"."frame_interval" when present, else "provenance".
 *   "frame_interval", in "provenance"."time_unit" which must be "ps"; 0 when absent or
 *   unusable: the TICA metric then reports the interval as null with a note, never a guess.
 * - segments: the rows of each independent trajectory (walker), stored one after another:
 *   "subsample"."segments" of an exported subsample, else "provenance"."walkers" W > 1 blocks
 *   of "frames_per_walker" rows of a whole generated set; none: one trajectory. Segments that
 *   do not add up to the rows loaded are an error (a sidecar that misdescribes its data). */
static int read_sidecar(const char *json_path, const char *what, bb_reference *out, bb_ctx *ctx) {
    cJSON *j = NULL;
    bb_ctx jc = {0};
    if (access(json_path, F_OK) != 0 || bb_json_read_object(json_path, (size_t)1 << 24, &j, &jc)) return BB_OK;
    const cJSON *sha = cJSON_GetObjectItem(j, "sha256"), *prov = cJSON_GetObjectItem(j, "provenance");
    if (!cJSON_IsString(sha) || strcmp(sha->valuestring, out->sha256) != 0) {
        cJSON_Delete(j);
        return BB_OK;
    }
    const cJSON *unit = cJSON_GetObjectItem(prov, "time_unit"), *sub = cJSON_GetObjectItem(j, "subsample");
    const cJSON *fi = cJSON_GetObjectItem(sub, "frame_interval");
    if (!fi) fi = cJSON_GetObjectItem(prov, "frame_interval");
    if (cJSON_IsString(unit) && !strcmp(unit->valuestring, "ps") && cJSON_IsNumber(fi) && isfinite(fi->valuedouble) &&
        fi->valuedouble > 0.0)
        out->frame_interval_ps = fi->valuedouble;
    const cJSON *seg = cJSON_GetObjectItem(sub, "segments");
    double W = cJSON_GetNumberValue(cJSON_GetObjectItem(prov, "walkers"));
    double F = cJSON_GetNumberValue(cJSON_GetObjectItem(prov, "frames_per_walker"));
    size_t n = 0, total = 0;
    int bad = 0;
    if (cJSON_IsArray(seg)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, seg) {
            if (n == BB_REFERENCE_MAX_SEGMENTS || !cJSON_IsNumber(e) || !(e->valuedouble >= 1.0) ||
                e->valuedouble != floor(e->valuedouble) || e->valuedouble > 1e15) {
                bad = 1;
                break;
            }
            out->segments[n++] = (size_t)e->valuedouble;
        }
    } else if (!sub && W > 1.0 && W <= BB_REFERENCE_MAX_SEGMENTS && W == floor(W) && F >= 1.0 && F == floor(F) &&
               F <= 1e15) {
        for (n = 0; n < (size_t)W; n++) out->segments[n] = (size_t)F;
    } else if (!sub && W > BB_REFERENCE_MAX_SEGMENTS) {
        bad = 1;
    }
    for (size_t i = 0; i < n; i++) total += out->segments[i];
    cJSON_Delete(j);
    if (bad || (n > 0 && total != out->samples.n)) {
        out->n_segments = 0;
        return BB_ERR(ctx, BB_EFORMAT,
                      "%s: the walker segments of its sidecar %s do not describe its %zu rows (at most %d segments "
                      "adding up to the rows)",
                      what, json_path, out->samples.n, BB_REFERENCE_MAX_SEGMENTS);
    }
    out->n_segments = n > 1 ? n : 0;
    return BB_OK;
}

/* 1 = loaded, 0 = not available here, < 0 = error. */
static int try_committed(const bb_dataset *d, bb_reference *out, bb_ctx *ctx) {
    if (!d->committed_path[0]) return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", bb_source_dir(), d->committed_path);
    if (access(path, F_OK) != 0) return 0;
    if (!d->has_sha256)
        return BB_ERR(ctx, BB_EFORMAT, "%s: committed copy %s has no sha256 in the manifest", d->id, path);
    unsigned char *buf;
    size_t len;
    bb_ctx lc = {0};
    int rc = bb_gunzip_file(path, REF_MAX_BYTES, &buf, &len, &lc);
    if (rc == BB_OK) {
        rc = samples_from_bytes(buf, len, path, "npy", d, d->sha256, &out->samples, out->sha256, &lc);
        free(buf);
    }
    if (rc) /* a damaged copy in the source tree is an error, never a fall-through to the cache */
        return BB_ERR(ctx, rc == BB_ENOTFOUND ? BB_EIO : rc, "%s; HINT: restore it with `git checkout -- %s`", lc.msg,
                      d->committed_path);
    snprintf(out->source, sizeof out->source, "committed %.300s (licence: %.60s)", d->committed_path,
             d->license[0] ? d->license : "see datasets/README.md");
    size_t pl = strlen(path); /* the sidecar: <stem>.json beside <stem>.npy.gz */
    if (pl > 7 && !strcmp(path + pl - 7, ".npy.gz")) {
        snprintf(path + pl - 7, sizeof path - (pl - 7), ".json");
        if (read_sidecar(path, d->id, out, ctx)) return BB_EFORMAT;
    }
    return 1;
}

/* Read the cached file of d and check it against the manifest: size first (a truncated
 * file is caught without reading it), then the sha256 of the very bytes that are parsed.
 * BB_EHASH when it is corrupt. */
static int load_cached(const bb_dataset *d, const char *path, bb_reference *out, bb_ctx *ctx) {
    struct stat st;
    if (stat(path, &st) != 0) return BB_ERR(ctx, BB_EIO, "%s: cannot stat: %s", path, strerror(errno));
    if (d->bytes >= 0 && (long long)st.st_size != d->bytes)
        return BB_ERR(ctx, BB_EHASH, "%s: size %lld bytes, expected %lld", path, (long long)st.st_size, d->bytes);
    char *buf;
    size_t len;
    int rc = bb_read_file(path, REF_MAX_BYTES, &buf, &len, ctx);
    if (rc == BB_ENOTFOUND) rc = ctx->code = BB_EIO; /* it was there a moment ago */
    if (rc) return rc;
    rc = samples_from_bytes((const unsigned char *)buf, len, path, d->format, d, d->has_sha256 ? d->sha256 : NULL,
                            &out->samples, out->sha256, ctx);
    free(buf);
    return rc;
}

/* A fetched file in the cache, verified at every load. A corrupt or truncated one is moved
 * aside and fetched again (bb_fetch_dataset re-verifies under its lock, renames the bad
 * file to <file>.corrupt and prints the one-line note on stderr); the fresh copy is then
 * loaded and verified like any other. */
static int try_fetched(const bb_dataset *d, const char *cache, bb_reference *out, bb_ctx *ctx) {
    if (d->generated || d->n_urls == 0) return 0;
    char path[4096];
    int rc = bb_dataset_path(cache, d, path, sizeof path, ctx);
    if (rc) return rc;
    if (access(path, F_OK) != 0) return 0;
    bb_ctx lc = {0};
    rc = load_cached(d, path, out, &lc);
    if (rc == BB_EHASH) {
        bb_samples_free(&out->samples);
        bb_fetch_opts o;
        bb_fetch_opts_init(&o);
        o.cache_dir = cache;
        o.notes = stderr;
        o.trust_unverified = !d->has_sha256; /* only a size check failed: the user accepted this file before */
        bb_ctx fc = {0};
        char got[4096];
        rc = bb_fetch_dataset(d, &o, got, sizeof got, &fc);
        if (rc) {
            if (rc == BB_ENOTFOUND) rc = BB_ENET;
            return BB_ERR(ctx, rc, "%s; fetching it again failed: %s", lc.msg, fc.msg);
        }
        bb_ctx_clear(&lc);
        rc = load_cached(d, path, out, &lc);
    }
    if (rc) {
        /* no sha256: the content checks (zip CRC-32, structure, shape) are what caught it; a
         * refetch above could not tell the damaged copy from a good one */
        if ((rc == BB_EFORMAT || rc == BB_EHASH) && !d->has_sha256)
            return BB_ERR(ctx, rc,
                          "%s (unverified: the manifest has no sha256); HINT: remove it and run `boltzbench fetch %s "
                          "--trust-unverified`",
                          lc.msg, d->id);
        return BB_ERR(ctx, rc, "%s", lc.msg);
    }
    snprintf(out->source, sizeof out->source, "cache %.300s (fetched%s; licence: %.60s)", path,
             d->has_sha256 ? ", sha256 verified" : ", UNVERIFIED", d->license[0] ? d->license : "unknown");
    return 1;
}

static int try_generated(const char *id, const char *cache, bb_reference *out, bb_ctx *ctx) {
    bb_ctx gc = {0};
    int rc = bb_generated_load(cache, id, REF_MAX_BYTES, &out->samples, out->sha256, &gc);
    if (rc == BB_ENOTFOUND) return 0;
    if (rc) return BB_ERR(ctx, rc, "%s", gc.msg);
    snprintf(out->source, sizeof out->source, "generated %.200s/%.120s.npy (provenance in %.120s.json)", cache, id, id);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", cache, id);
    if (read_sidecar(path, id, out, ctx)) return BB_EFORMAT;
    return 1;
}

int bb_reference_load(const bb_task *task, size_t max_n, bb_reference *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    bb_manifest m = {0};
    bb_ctx mc = {0};
    int mrc = bb_manifest_load(NULL, &m, &mc), rc, declares_none = 0;
    if (mrc && mrc != BB_ENOTFOUND) return BB_ERR(ctx, mrc, "%s", mc.msg);
    /* No cache directory (no HOME, XDG_CACHE_HOME or BOLTZBENCH_CACHE) only rules out the
     * cached sources: committed and exact reference sets still load. */
    char cache[4096];
    bb_ctx cc = {0};
    int have_cache = bb_cache_dir(cache, sizeof cache, &cc) == BB_OK;
    if (!have_cache) snprintf(cache, sizeof cache, "no cache directory: %.200s", cc.msg);
    const bb_dataset *d = pick(&m, task);
    const char *want = task->type->reference_dataset;
    /* Only an npy or pt file of Cartesian configurations is a sample set; a task that names a
     * whole-dataset archive ("files") declares no reference set this harness can load. */
    int is_set = sample_set(d);
    if (d)
        snprintf(out->dataset_id, sizeof out->dataset_id, "%s@%d", d->id, d->version);
    else if (want)
        snprintf(out->dataset_id, sizeof out->dataset_id, "%s", want);
    rc = 0;
    if (is_set) rc = try_committed(d, out, ctx);
    if (have_cache && is_set && rc == 0) rc = try_fetched(d, cache, out, ctx);
    /* a later candidate of the same task and temperature (e.g. the committed MD set when the
     * real data listed first has not been fetched) */
    const bb_dataset *declared = want ? bb_manifest_find(&m, want) : NULL;
    for (const bb_dataset *e = d && d != declared ? next_candidate(&m, task, d) : NULL; rc == 0 && e;
         e = next_candidate(&m, task, e)) {
        if (!sample_set(e)) continue;
        rc = try_committed(e, out, ctx);
        if (have_cache && rc == 0) rc = try_fetched(e, cache, out, ctx);
        if (rc == 1) {
            d = e;
            snprintf(out->dataset_id, sizeof out->dataset_id, "%s@%d", d->id, d->version);
        }
    }
    if (have_cache && rc == 0 && d) rc = try_generated(out->dataset_id, cache, out, ctx);
    if (have_cache && rc == 0 && d) rc = try_generated(d->id, cache, out, ctx);
    if (have_cache && rc == 0 && !d && want) rc = try_generated(want, cache, out, ctx);
    if (have_cache && rc == 0) { /* the conventional id of `boltzbench reference --task T` */
        char gid[128];
        snprintf(gid, sizeof gid, "%s%s", task->type->name, BB_REFERENCE_GENERATED_SUFFIX);
        rc = try_generated(gid, cache, out, ctx);
        if (rc == 1) snprintf(out->dataset_id, sizeof out->dataset_id, "%s", gid);
    }
    if (rc == 0 && task->type->sample_exact) {
        size_t n = max_n ? max_n : (d && d->gen_n ? d->gen_n : EXACT_DEFAULT_N);
        uint64_t seed = d && d->generated ? d->gen_seed : EXACT_DEFAULT_SEED;
        uint64_t stream = d && d->generated ? d->gen_stream : EXACT_DEFAULT_STREAM;
        rc = bb_reference_exact(task, n, seed, stream, &out->samples, ctx);
        if (rc == BB_OK) {
            unsigned char *buf;
            size_t len, shape[2] = {out->samples.n, out->samples.dof};
            if ((rc = bb_npy_encode(out->samples.x, 2, shape, &buf, &len, ctx)) == BB_OK) {
                bb_sha256_hex(buf, len, out->sha256);
                free(buf);
            }
            if (!out->dataset_id[0]) snprintf(out->dataset_id, sizeof out->dataset_id, "%s-exact", task->type->name);
            snprintf(out->source, sizeof out->source,
                     "exact samples of %s (sample_exact, seed %llu, stream 0x%llx, n %zu)", task->id,
                     (unsigned long long)seed, (unsigned long long)stream, n);
            rc = rc ? rc : 1;
        }
    }
    if (rc == 0) {
        /* Nothing loaded. Only "the task declares no reference set" is BB_ENOTFOUND; a set
         * that is declared but absent here is a failure of its own (reference.h). */
        if (is_set && !d->generated && d->n_urls)
            rc = BB_ERR(ctx, BB_EIO,
                        "%s: reference set %s@%d is not in the cache (%.200s); "
                        "HINT: run `boltzbench fetch %s%s` or generate one with `boltzbench reference "
                        "--task %s --n N`",
                        task->id, d->id, d->version, cache, d->id, d->has_sha256 ? "" : " --trust-unverified",
                        task->type->name);
        else if (is_set)
            rc = BB_ERR(ctx, BB_EIO, "%s: reference set %s@%d: committed copy %s/%s is missing", task->id, d->id,
                        d->version, bb_source_dir(), d->committed_path[0] ? d->committed_path : "(none)");
        else if (want && !d && mrc)
            rc = BB_ERR(ctx, BB_EIO, "%s: reference set %s: %s", task->id, want, mc.msg);
        else if (want && !d) {
            char mpath[4096];
            if (bb_manifest_default_path(mpath, sizeof mpath)) snprintf(mpath, sizeof mpath, "(path too long)");
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: reference set %s is not in the manifest %s", task->id, want, mpath);
        } else {
            declares_none = 1;
            if (d)
                rc = BB_ERR(ctx, BB_ENOTFOUND,
                            "%s: no reference set (%s@%d is a '%s' dataset of %s coordinates, not Cartesian npy/pt "
                            "samples); HINT: run `boltzbench reference --task %s --n N`",
                            task->id, d->id, d->version, d->format, d->coordinates, task->type->name);
            else
                rc = BB_ERR(ctx, BB_ENOTFOUND, "%s: no reference set; HINT: run `boltzbench reference --task %s --n N`",
                            task->id, task->type->name);
        }
        goto out;
    }
    if (rc < 0) goto out;
    rc = BB_OK;
    if (out->samples.dof != (size_t)task->dof) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: reference set has %zu degrees of freedom, task %s has %d", out->dataset_id,
                    out->samples.dof, task->id, task->dof);
        goto out;
    }
    if (task->flags & BB_TASK_COM_FREE) bb_remove_com(out->samples.n, task->n_particles, task->dim, out->samples.x);
    if (d && (rc = bb_dataset_check_energy(d, task, &out->samples, ctx))) goto out;
    if (max_n && max_n < out->samples.n) { /* the first max_n rows: the segments they span, the last cut */
        bb_samples_truncate(&out->samples, max_n);
        size_t kept = 0, i = 0;
        for (; i < out->n_segments && kept < max_n; i++) {
            if (out->segments[i] > max_n - kept) out->segments[i] = max_n - kept;
            kept += out->segments[i];
        }
        out->n_segments = i > 1 ? i : 0;
    }
out:
    if (rc == BB_ENOTFOUND && !declares_none) { /* e.g. a file that vanished while being read */
        rc = BB_EIO;
        if (ctx) ctx->code = rc;
    }
    bb_manifest_free(&m);
    if (rc) bb_reference_free(out);
    return rc;
}
