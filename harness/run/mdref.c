/* mdref.c — Langevin/replica-exchange reference runs: the loop, the state file, provenance and
 * storing (see mdref.h; diagnostics in mdref_diag.c, the integrator in langevin.c). */
#include "harness/run/mdref.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/generated.h"
#include "datasets/npy.h"
#include "harness/core/buf.h"
#include "harness/core/clock.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/core/rng.h"
#include "harness/metrics/metric_lib.h"
#include "harness/report/report.h"
#include "harness/run/langevin.h"
#include "tasks/molecules/molecule.h"

#ifndef BB_GIT_COMMIT
#define BB_GIT_COMMIT "unknown"
#endif

#define STATE_MAGIC     "BBMDREF1"
#define STATE_VERSION   1u
#define STREAM_INITIAL  (UINT64_C(0x4203) << 48)
#define MAX_TEMPS       64
#define STATE_MAX_BYTES ((size_t)1 << 34)

void bb_mdref_defaults(bb_mdref_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->dt = 0.001;
    cfg->friction = 0.3;
    cfg->interval = 1000;
    cfg->equilibration = 100000;
    cfg->n_frames = 10000;
    cfg->exchange_every = 1000;
    cfg->walkers = 1;
    cfg->checkpoint_every = 1000;
    cfg->threads = 1;
}

void bb_mdref_result_free(bb_mdref_result *res) {
    if (!res) return;
    for (size_t r = 0; r < res->n_temps; r++) {
        if (res->provenance) cJSON_Delete(res->provenance[r]);
        if (res->ids) free(res->ids[r]);
    }
    BB_FREE_ALL(res->frames, res->energy, res->provenance, res->ids);
    memset(res, 0, sizeof *res);
}

static int check(const bb_task *t, const bb_mdref_config *c, bb_ctx *ctx) {
    if (!c->stem || !*c->stem) return BB_ERR(ctx, BB_EINVAL, "reference: id: empty");
    if (c->n_temps < 1 || c->n_temps > MAX_TEMPS)
        return BB_ERR(ctx, BB_EINVAL, "reference: ladder: %zu temperatures, 1 ... %d allowed", c->n_temps, MAX_TEMPS);
    if (!(c->task_temperature > 0.0))
        return BB_ERR(ctx, BB_EINVAL, "reference: temperature: %g is not > 0", c->task_temperature);
    for (size_t r = 0; r < c->n_temps; r++)
        if (!(c->temps[r] > 0.0) || !isfinite(c->temps[r]) || (r && !(c->temps[r] > c->temps[r - 1])))
            return BB_ERR(ctx, BB_EINVAL, "reference: ladder: temperatures must be positive and ascending (entry %zu)",
                          r);
    if (c->interval < 1) return BB_ERR(ctx, BB_EINVAL, "reference: interval: at least 1 step");
    if (c->equilibration < 0) return BB_ERR(ctx, BB_EINVAL, "reference: equilibration: negative");
    if (c->n_frames < 4) return BB_ERR(ctx, BB_EINVAL, "reference: frames: at least 4");
    if (c->walkers < 1 || c->walkers > 4096) return BB_ERR(ctx, BB_EINVAL, "reference: walkers: 1 ... 4096");
    if (c->checkpoint_every < 0) return BB_ERR(ctx, BB_EINVAL, "reference: checkpoint_every: negative");
    if ((c->resume || c->stop_at_step || c->time_limit > 0) && !c->state_path)
        return BB_ERR(ctx, BB_EINVAL, "reference: resume, stop and time limit need a state file");
    if ((double)c->n_frames * (double)c->walkers * (double)c->n_temps * (double)t->dof * 8.0 > 16e9)
        return BB_ERR(ctx, BB_EINVAL, "reference: frames: %lld x %lld walkers x %zu temperatures x %d dof exceed 16 GB",
                      (long long)c->n_frames, (long long)c->walkers, c->n_temps, t->dof);
    return BB_OK;
}

/* The settings a state must match (everything but n_frames, which may grow). */
static void settings_line(const bb_task *t, const bb_mdref_config *c, char *out, size_t cap) {
    int k = snprintf(out, cap,
                     "task=%s T0=%.17g seed=%llu dt=%.17g gamma=%.17g interval=%lld equil=%lld exch=%lld T=", t->id,
                     c->task_temperature, (unsigned long long)c->seed, c->dt, c->friction, (long long)c->interval,
                     (long long)c->equilibration, (long long)c->exchange_every);
    for (size_t r = 0; r < c->n_temps && k > 0 && (size_t)k < cap; r++)
        k += snprintf(out + k, cap - (size_t)k, "%s%.17g", r ? "," : "", c->temps[r]);
    if (c->walkers > 1 && k > 0 && (size_t)k < cap)
        snprintf(out + k, cap - (size_t)k, " walkers=%lld", (long long)c->walkers);
}

static int save_state(const char *path, const char *settings, const bb_mdref_result *res, const bb_langevin *L,
                      bb_ctx *ctx) {
    bb_buf b = {0};
    uint32_t ver = STATE_VERSION;
    uint64_t slen = strlen(settings);
    bb_buf_put(&b, STATE_MAGIC, 8);
    bb_buf_put(&b, &ver, sizeof ver);
    bb_buf_put(&b, &slen, sizeof slen);
    bb_buf_put(&b, settings, slen);
    bb_buf_put(&b, &res->n_frames, sizeof res->n_frames);
    bb_buf_put(&b, &res->wall_s, sizeof res->wall_s);
    bb_buf_put(&b, &res->cpu_s, sizeof res->cpu_s);
    for (size_t r = 0; r < res->n_temps * res->walkers; r++) { /* series (temperature, walker) */
        bb_buf_put(&b, res->frames + r * (size_t)res->cap_frames * res->dof,
                   (size_t)res->n_frames * res->dof * sizeof(double));
        bb_buf_put(&b, res->energy + r * (size_t)res->cap_frames, (size_t)res->n_frames * sizeof(double));
    }
    bb_langevin_save(L, &b);
    uint32_t crc = b.oom ? 0 : bb_crc32(b.p, b.len);
    bb_buf_put(&b, &crc, sizeof crc);
    int rc = b.oom ? BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path) : bb_write_file_atomic(path, b.p, b.len, ctx);
    free(b.p);
    return rc;
}

static int load_state(const char *path, const char *settings, bb_mdref_result *res, bb_langevin *L, bb_ctx *ctx) {
    char *buf = NULL;
    size_t len = 0;
    int rc = bb_read_file(path, STATE_MAX_BYTES, &buf, &len, ctx);
    if (rc) return rc;
    bb_bytes r = {(const unsigned char *)buf, len > 4 ? len - 4 : 0, 0};
    uint32_t crc = 0, ver = 0;
    uint64_t slen = 0;
    char magic[8];
    int64_t n = 0;
    if (len < 4 || (memcpy(&crc, buf + len - 4, 4), crc != bb_crc32(buf, len - 4))) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: not a reference state file or damaged (crc)", path);
        goto out;
    }
    if (!bb_bytes_get(&r, magic, 8) || memcmp(magic, STATE_MAGIC, 8) || !bb_bytes_get(&r, &ver, sizeof ver) ||
        ver != STATE_VERSION || !bb_bytes_get(&r, &slen, sizeof slen) || slen != strlen(settings) ||
        slen > r.len - r.off || memcmp(r.p + r.off, settings, slen)) {
        rc = BB_ERR(ctx, BB_EFORMAT,
                    "%s: state of other settings (task, seed, ladder, dt, friction, interval, equilibration, "
                    "exchange); HINT: rerun without --resume or with the same settings",
                    path);
        goto out;
    }
    r.off += slen;
    if (!bb_bytes_get(&r, &n, sizeof n) || n < 0 || !bb_bytes_get(&r, &res->wall_s, 8) ||
        !bb_bytes_get(&r, &res->cpu_s, 8)) {
        rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated", path);
        goto out;
    }
    /* a state with more frames than asked for gives its first cap_frames (the run ends there) */
    int64_t keep = n < res->cap_frames ? n : res->cap_frames;
    res->n_frames = keep;
    for (size_t k = 0; k < res->n_temps * res->walkers && !rc; k++) {
        size_t skip_x = (size_t)(n - keep) * res->dof * 8, skip_e = (size_t)(n - keep) * 8;
        if (!bb_bytes_get(&r, res->frames + k * (size_t)res->cap_frames * res->dof, (size_t)keep * res->dof * 8) ||
            skip_x > r.len - r.off || (r.off += skip_x, 0) ||
            !bb_bytes_get(&r, res->energy + k * (size_t)res->cap_frames, (size_t)keep * 8) || skip_e > r.len - r.off ||
            (r.off += skip_e, 0))
            rc = BB_ERR(ctx, BB_EFORMAT, "%s: truncated frames", path);
    }
    if (!rc) rc = bb_langevin_load(L, &r, path, ctx);
    if (!rc && r.off != r.len) rc = BB_ERR(ctx, BB_EFORMAT, "%s: trailing bytes", path);
out:
    free(buf);
    return rc;
}

static char *temp_id(const char *stem, double T) {
    char *s = malloc(strlen(stem) + 40);
    if (s) sprintf(s, "%s-%gK", stem, T);
    return s;
}

static cJSON *provenance(const bb_task *t, const bb_mdref_config *c, const bb_mdref_result *res, const bb_langevin *L,
                         size_t r) {
    cJSON *p = cJSON_CreateObject(), *ladder = cJSON_CreateArray(), *acc = cJSON_CreateArray();
    for (size_t k = 0; k < c->n_temps; k++) cJSON_AddItemToArray(ladder, cJSON_CreateNumber(c->temps[k]));
    for (size_t k = 0; k + 1 < c->n_temps; k++) { /* pair (k, k+1), all walkers together */
        double tried = 0.0, accepted = 0.0;
        for (size_t w = 0; w < res->walkers; w++) {
            tried += (double)L->tried[w * c->n_temps + k];
            accepted += (double)L->accepted[w * c->n_temps + k];
        }
        cJSON_AddItemToArray(acc, cJSON_CreateNumber(tried > 0 ? accepted / tried : 0.0));
    }
    size_t rows = res->walkers * (size_t)res->n_frames; /* after compaction: cap_frames == n_frames */
    const bb_molecule *m = bb_task_molecule(t);
    double sim = (double)res->steps * c->dt;
    cJSON_AddStringToObject(p, "sampler",
                            c->n_temps > 1 && c->exchange_every > 0 ? "langevin-replica-exchange" : "langevin");
    cJSON_AddStringToObject(p, "integrator",
                            "BAOAB (Leimkuhler & Matthews 2013; OpenMM LangevinMiddleIntegrator's splitting), no "
                            "constraints, masses from the topology");
    cJSON_AddStringToObject(p, "task", t->id);
    cJSON_AddNumberToObject(p, "temperature", c->temps[r]);
    cJSON_AddStringToObject(p, "temperature_unit", m ? "K" : "relative to the task's kT");
    cJSON_AddItemToObject(p, "ladder", ladder);
    cJSON_AddNumberToObject(p, "exchange_every_steps", (double)(c->n_temps > 1 ? c->exchange_every : 0));
    cJSON_AddItemToObject(p, "exchange_acceptance", acc);
    cJSON_AddNumberToObject(p, "dt", c->dt);
    cJSON_AddNumberToObject(p, "friction", c->friction);
    cJSON_AddStringToObject(p, "time_unit", m ? "ps" : "task time unit");
    cJSON_AddNumberToObject(p, "interval_steps", (double)c->interval);
    cJSON_AddNumberToObject(p, "frame_interval", (double)c->interval * c->dt);
    cJSON_AddNumberToObject(p, "equilibration_steps", (double)c->equilibration);
    cJSON_AddNumberToObject(p, "steps_per_replica", (double)res->steps);
    cJSON_AddNumberToObject(p, "simulated_time_per_replica", sim);
    cJSON_AddNumberToObject(p, "simulated_time_all_replicas", sim * (double)(c->n_temps * res->walkers));
    cJSON_AddNumberToObject(p, "walkers", (double)res->walkers);
    cJSON_AddNumberToObject(p, "frames_per_walker", (double)res->n_frames);
    cJSON_AddNumberToObject(p, "seed", (double)c->seed);
    cJSON_AddStringToObject(
        p, "random_streams",
        "Philox: initial x 0x4203<<48 + walker*temperatures + replica, velocities 0x4201<<48, noise "
        "0x4200<<48 + step, exchange 0x4202<<48 + step");
    cJSON_AddNumberToObject(p, "energy_evaluations", (double)res->evals);
    cJSON_AddStringToObject(p, "energy_evaluations_note", "energy+gradient evaluations of all replicas together");
    cJSON_AddNumberToObject(p, "wall_s", res->wall_s);
    cJSON_AddNumberToObject(p, "cpu_s", res->cpu_s);
    cJSON_AddStringToObject(p, "harness_version", BB_VERSION_STRING);
    cJSON_AddStringToObject(p, "git_commit", bb_build_commit());
    cJSON_AddStringToObject(p, "order",
                            "walker-major, time order within each walker: row w*frames_per_walker + k is walker w's "
                            "configuration at this temperature at step equilibration + (k+1)*interval; walkers are "
                            "independent ladders, so the two halves of the rows are independent replicas when the "
                            "walker count is even");
    cJSON_AddStringToObject(p, "layout",
                            m ? "(N, 3*atoms) float64, nm, the task's (prmtop) atom order"
                              : "(N, dof) float64, the task's coordinates");
    if (m) {
        cJSON *names = cJSON_CreateArray();
        for (int a = 0; a < m->natom; a++) cJSON_AddItemToArray(names, cJSON_CreateString(m->atom_name[a]));
        cJSON_AddItemToObject(p, "atom_order", names);
    }
    cJSON *d = cJSON_AddObjectToObject(p, "diagnostics");
    bb_ctx dc = {0};
    double kT = t->kT * c->temps[r] / c->task_temperature;
    if (!d || bb_mdref_diagnostics(t, rows, res->frames + r * rows * res->dof, res->energy + r * rows, kT, d, &dc)) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

static void progress(FILE *fp, const bb_mdref_result *res, int64_t total, double dt) {
    if (!fp) return;
    fprintf(fp, "reference: step %lld/%lld (%.6g time units per replica), %lld frames, %lld evaluations, %.0f s\n",
            (long long)res->steps, (long long)total, (double)res->steps * dt, (long long)res->n_frames,
            (long long)res->evals, res->wall_s);
    fflush(fp);
}

int bb_mdref_run(const bb_task *t, const bb_mdref_config *cfg, bb_mdref_result *res, bb_ctx *ctx) {
    memset(res, 0, sizeof *res);
    int rc = check(t, cfg, ctx);
    if (rc) return rc;
    size_t R = cfg->n_temps, W = (size_t)cfg->walkers, RW = R * W, D = (size_t)t->dof, cap = (size_t)cfg->n_frames;
    char settings[2048];
    settings_line(t, cfg, settings, sizeof settings);
    res->n_temps = R;
    res->walkers = W;
    res->dof = D;
    res->cap_frames = cfg->n_frames;
    res->frames = malloc(RW * cap * D * sizeof *res->frames); /* series r·W + w, cap rows each */
    res->energy = malloc(RW * cap * sizeof *res->energy);
    res->provenance = calloc(R, sizeof *res->provenance);
    res->ids = calloc(R, sizeof *res->ids);
    double *kT = malloc(RW * sizeof *kT), *x0 = malloc(RW * D * sizeof *x0); /* dynamics: replica w·R + r */
    bb_langevin L = {0};
    if (!res->frames || !res->energy || !res->provenance || !res->ids || !kT || !x0) {
        rc = BB_ERR(ctx, BB_ENOMEM, "reference: out of memory for %lld frames", (long long)cfg->n_frames);
        goto out;
    }
    for (size_t r = 0; r < R && !rc; r++)
        if (!(res->ids[r] = temp_id(cfg->stem, cfg->temps[r]))) rc = BB_ERR(ctx, BB_ENOMEM, "reference: out of memory");
    for (size_t i = 0; i < RW && !rc; i++) {
        kT[i] = t->kT * cfg->temps[i % R] / cfg->task_temperature;
        bb_rng rng;
        bb_rng_init(&rng, cfg->seed, STREAM_INITIAL + i);
        rc = bb_task_initial(t, 1, &rng, x0 + i * D, ctx);
    }
    const bb_molecule *m = bb_task_molecule(t);
    bb_langevin_config lc = {cfg->dt, cfg->friction, R > 1 ? cfg->exchange_every : 0, R, cfg->seed, cfg->threads};
    if (!rc) rc = bb_langevin_init(&L, t, RW, kT, m ? m->mass : NULL, x0, &lc, ctx);
    if (!rc && cfg->resume) rc = load_state(cfg->state_path, settings, res, &L, ctx);
    if (rc) goto out;
    res->evals = L.evals;
    res->steps = L.step;
    int64_t total = cfg->equilibration + cfg->n_frames * cfg->interval;
    double wall0 = bb_wall_s(), cpu0 = bb_cpu_s(), wall_base = res->wall_s, cpu_base = res->cpu_s;
    int stop = 0;
    while (L.step < total && !stop) {
        if ((rc = bb_langevin_step(&L, ctx))) goto out;
        int64_t s = L.step - cfg->equilibration;
        int frame = s > 0 && s % cfg->interval == 0;
        if (frame) {
            for (size_t i = 0; i < RW; i++) { /* replica i = w·R + r → series r·W + w */
                size_t ser = (i % R) * W + i / R;
                memcpy(res->frames + (ser * cap + (size_t)res->n_frames) * D, L.x + i * D, D * sizeof *L.x);
                res->energy[ser * cap + (size_t)res->n_frames] = L.e[i];
            }
            res->n_frames++;
        }
        res->steps = L.step;
        res->evals = L.evals;
        res->interrupted = cfg->interrupt && *cfg->interrupt && L.step < total;
        stop = (cfg->stop_at_step && L.step >= cfg->stop_at_step) || res->interrupted ||
               (cfg->time_limit > 0 && L.step % 1000 == 0 && bb_wall_s() - wall0 >= cfg->time_limit);
        int ckpt = frame && cfg->checkpoint_every && res->n_frames % cfg->checkpoint_every == 0;
        if (ckpt || stop || L.step == total) {
            res->wall_s = wall_base + bb_wall_s() - wall0;
            res->cpu_s = cpu_base + bb_cpu_s() - cpu0;
            if (cfg->state_path && (rc = save_state(cfg->state_path, settings, res, &L, ctx))) goto out;
            progress(cfg->progress, res, total, cfg->dt);
        }
    }
    res->wall_s = wall_base + bb_wall_s() - wall0;
    res->cpu_s = cpu_base + bb_cpu_s() - cpu0;
    res->finished = L.step >= total && res->n_frames == cfg->n_frames; /* also a longer state cut to n_frames */
    for (size_t r = 0; r < R && res->finished; r++)
        if (!(res->provenance[r] = provenance(t, cfg, res, &L, r)))
            rc = BB_ERR(ctx, BB_ENOMEM, "reference %s: out of memory", res->ids[r]);
out:
    bb_langevin_free(&L);
    free(kT);
    free(x0);
    if (rc) bb_mdref_result_free(res);
    return rc;
}

int bb_mdref_store(const bb_mdref_result *res, bb_ctx *ctx) {
    if (!res->finished) return BB_ERR(ctx, BB_EINVAL, "reference: the run is not finished (resume it first)");
    int rc = BB_OK;
    for (size_t r = 0; r < res->n_temps && !rc; r++) {
        size_t rows = res->walkers * (size_t)res->n_frames; /* a finished run has cap_frames == n_frames */
        bb_samples s = {rows, res->dof, res->frames + r * rows * res->dof, NULL};
        rc = bb_dataset_store_generated(res->ids[r], &s, res->provenance[r], ctx);
    }
    return rc;
}

/* The subsample's own TICA floor (bb_tica_halves_w2 on the float32-rounded frames, as a report loads
 * them) into sub: tica_w2_halves, with the lag and frames per half; nothing for a task without TICA. */
static int add_tica_halves(const bb_task *t, double *x, size_t n, size_t D, const size_t *seg, size_t n_seg, cJSON *sub,
                           bb_ctx *ctx) {
    bb_tica_task_spec spec;
    if (!bb_tica_spec_for(t, &spec)) return BB_OK;
    for (size_t i = 0; i < n * D; i++) x[i] = (double)(float)x[i];
    bb_samples s = {n, D, x, NULL};
    double w2;
    size_t nh;
    bb_ctx hctx = {0};
    int rc = bb_tica_halves_w2(&spec, t, &s, seg, n_seg > 1 ? n_seg : 0, &w2, &nh, &hctx);
    if (rc == BB_ENOMEM) return BB_ERR(ctx, BB_ENOMEM, "reference export: out of memory");
    return bb_json_add_number(sub, "tica_w2_halves", rc ? NAN : w2) &&
                   cJSON_AddNumberToObject(sub, "tica_lag_frames", spec.lag) &&
                   cJSON_AddNumberToObject(sub, "tica_halves_n", (double)nh)
               ? BB_OK
               : BB_ERR(ctx, BB_ENOMEM, "reference export: out of memory");
}

static int export_one(const bb_task *t, const bb_mdref_result *res, size_t r, const char *dir, int64_t n_keep,
                      bb_ctx *ctx) {
    int64_t rows = (int64_t)res->walkers * res->n_frames, stride = rows / n_keep;
    size_t D = res->dof, shape[2] = {(size_t)n_keep, D};
    double *x = malloc((size_t)n_keep * D * sizeof *x);
    unsigned char *npy = NULL;
    size_t len = 0;
    char path[4096], sha[65];
    cJSON *j = cJSON_CreateObject(), *sub = cJSON_CreateObject();
    int rc = x && j && sub ? BB_OK : BB_ERR(ctx, BB_ENOMEM, "reference export: out of memory");
    /* rows (k+1)·stride − 1 in walker-major order; seg[w]: how many of them are walker w's */
    size_t *seg = calloc(res->walkers ? res->walkers : 1, sizeof *seg);
    if (!seg && !rc) rc = BB_ERR(ctx, BB_ENOMEM, "reference export: out of memory");
    for (int64_t k = 0; k < n_keep && !rc; k++) {
        int64_t row = (k + 1) * stride - 1;
        memcpy(x + (size_t)k * D, res->frames + ((size_t)r * (size_t)rows + (size_t)row) * D, D * sizeof *x);
        seg[row / res->n_frames]++;
    }
    if (!rc) rc = bb_npy_encode_as(x, 2, shape, 1, &npy, &len, ctx);
    if (!rc) {
        snprintf(path, sizeof path, "%s/%s.npy", dir, res->ids[r]);
        rc = bb_write_file_atomic(path, npy, len, ctx);
    }
    char *text = NULL;
    if (!rc) {
        const cJSON *fi = cJSON_GetObjectItem(res->provenance[r], "frame_interval");
        bb_sha256_hex(npy, len, sha);
        cJSON_AddStringToObject(j, "id", res->ids[r]);
        cJSON_AddNumberToObject(j, "n", (double)n_keep);
        cJSON_AddNumberToObject(j, "dof", (double)D);
        cJSON_AddStringToObject(j, "sha256", sha);
        cJSON_AddNumberToObject(sub, "stride_frames", (double)stride);
        cJSON_AddNumberToObject(sub, "frame_interval", (double)stride * cJSON_GetNumberValue(fi));
        cJSON_AddStringToObject(sub, "dtype", "<f4 (rounded from float64)");
        if (res->walkers > 1) { /* independent trajectories, one after another: TICA never pairs across */
            cJSON *a = cJSON_AddArrayToObject(sub, "segments");
            for (size_t w = 0; a && w < res->walkers; w++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)seg[w]));
            cJSON_AddStringToObject(sub, "segments_note",
                                    "rows of each walker (an independent trajectory), in this order; TICA fits "
                                    "lagged pairs inside a walker only");
        }
        rc = add_tica_halves(t, x, (size_t)n_keep, D, seg, res->walkers, sub, ctx);
    }
    if (!rc) {
        cJSON_AddItemToObject(j, "subsample", sub);
        sub = NULL;
        cJSON_AddItemToObject(j, "provenance", cJSON_Duplicate(res->provenance[r], 1));
        snprintf(path, sizeof path, "%s/%s.json", dir, res->ids[r]);
        text = cJSON_Print(j);
        rc = text ? bb_write_file_atomic(path, text, strlen(text), ctx) : BB_ERR(ctx, BB_ENOMEM, "out of memory");
    }
    free(text);
    free(x);
    free(seg);
    free(npy);
    cJSON_Delete(j);
    cJSON_Delete(sub);
    return rc;
}

int bb_mdref_export(const bb_task *t, const bb_mdref_result *res, const char *dir, int64_t n_keep, bb_ctx *ctx) {
    if (!res->finished) return BB_ERR(ctx, BB_EINVAL, "reference: the run is not finished (resume it first)");
    if (n_keep < 1 || n_keep > (int64_t)res->walkers * res->n_frames)
        return BB_ERR(ctx, BB_EINVAL, "reference: export frames: %lld, 1 ... %lld allowed", (long long)n_keep,
                      (long long)res->walkers * res->n_frames);
    int rc = bb_mkdir_p(dir, ctx);
    for (size_t r = 0; r < res->n_temps && !rc; r++) rc = export_one(t, res, r, dir, n_keep, ctx);
    return rc;
}
