/* minima_search.c — basin hopping into a catalogue of distinct minima (see minima_search.h). */
#include "harness/run/minima_search.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/clock.h"
#include "harness/core/jsonutil.h"
#include "harness/core/rng.h"
#include "harness/metrics/metric_lib.h"

#define STREAM_BH UINT64_C(0x41000000)

/* What the state file keeps besides the walkers' current minima. */
typedef struct bh_state {
    long long seed, rounds, steps_done, evals, accepted, restarts, failed;
    double temperature, step, restart, cpu_s, wall_s;
    int walkers;
} bh_state;

void bb_minima_search_defaults(bb_minima_search_config *cfg) {
    *cfg = (bb_minima_search_config){.steps = 200000,
                                     .walkers = 16,
                                     .temperature = 0.8,
                                     .step = 0.4,
                                     .restart = 0.02,
                                     .utol = 1e-3,
                                     .rtol = 0.05,
                                     .checkpoint_every = 200};
}

int bb_minima_search_check(const bb_minima_search_config *c, bb_ctx *ctx) {
    if (!c->path || !*c->path) return BB_ERR(ctx, BB_EINVAL, "path: the catalogue file is required");
    if (c->steps < 1) return BB_ERR(ctx, BB_EINVAL, "steps: %lld, at least 1", (long long)c->steps);
    if (c->walkers < 1 || c->walkers > BB_MINIMA_SEARCH_MAX_WALKERS)
        return BB_ERR(ctx, BB_EINVAL, "walkers: %lld is outside 1 ... %d", (long long)c->walkers,
                      BB_MINIMA_SEARCH_MAX_WALKERS);
    if (!(c->temperature > 0.0) || !isfinite(c->temperature))
        return BB_ERR(ctx, BB_EINVAL, "temperature: %g is not a positive number", c->temperature);
    if (!(c->step > 0.0) || !isfinite(c->step))
        return BB_ERR(ctx, BB_EINVAL, "step: %g is not a positive number", c->step);
    if (!(c->restart >= 0.0 && c->restart <= 1.0))
        return BB_ERR(ctx, BB_EINVAL, "restart: %g must be in [0, 1]", c->restart);
    if (!(c->utol >= 0.0) || !isfinite(c->utol))
        return BB_ERR(ctx, BB_EINVAL, "utol: %g is not a number >= 0", c->utol);
    if (!(c->rtol >= 0.0) || !isfinite(c->rtol))
        return BB_ERR(ctx, BB_EINVAL, "rtol: %g is not a number >= 0", c->rtol);
    if (!(c->time_limit >= 0.0)) return BB_ERR(ctx, BB_EINVAL, "time_limit: %g must be >= 0", c->time_limit);
    if (c->checkpoint_every < 1)
        return BB_ERR(ctx, BB_EINVAL, "checkpoint_every: %lld, at least 1", (long long)c->checkpoint_every);
    if (c->steps > INT64_MAX - c->walkers)
        return BB_ERR(ctx, BB_EINVAL, "steps: %lld is too many", (long long)c->steps);
    return BB_OK;
}

/* The search's running tallies, as both the state file and the catalogue's provenance keep them. */
static void add_tallies(cJSON *o, const bh_state *st) {
    cJSON_AddNumberToObject(o, "energy_evals", (double)st->evals);
    cJSON_AddNumberToObject(o, "accepted", (double)st->accepted);
    cJSON_AddNumberToObject(o, "restarts", (double)st->restarts);
    cJSON_AddNumberToObject(o, "failed_relaxations", (double)st->failed);
    cJSON_AddNumberToObject(o, "cpu_seconds", st->cpu_s);
    cJSON_AddNumberToObject(o, "wall_seconds", st->wall_s);
}

static int save_state(const char *path, const bh_state *st, const bb_task *t, const double *cur, const double *ucur,
                      bb_ctx *ctx) {
    cJSON *j = cJSON_CreateObject(), *w;
    if (!j) return BB_ERR(ctx, BB_ENOMEM, "%s: out of memory", path);
    cJSON_AddStringToObject(j, "schema", "boltzbench.minima-state/1");
    cJSON_AddStringToObject(j, "task", t->id);
    cJSON_AddNumberToObject(j, "seed", (double)st->seed);
    cJSON_AddNumberToObject(j, "walkers", st->walkers);
    cJSON_AddNumberToObject(j, "rounds", (double)st->rounds);
    cJSON_AddNumberToObject(j, "steps_done", (double)st->steps_done);
    cJSON_AddNumberToObject(j, "temperature", st->temperature);
    cJSON_AddNumberToObject(j, "step", st->step);
    cJSON_AddNumberToObject(j, "restart", st->restart);
    add_tallies(j, st);
    cJSON_AddItemToObject(j, "current", w = cJSON_CreateArray());
    for (int k = 0; k < st->walkers; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(w, o);
        cJSON_AddItemToObject(o, "u", bb_json_exact_number(ucur[k]));
        cJSON_AddItemToObject(o, "x", bb_json_exact_doubles(cur + (size_t)k * t->dof, t->dof));
    }
    int rc = bb_json_write_file(path, j, ctx);
    cJSON_Delete(j);
    return rc;
}

static int load_state(const char *path, bh_state *st, const bb_task *t, double *cur, double *ucur, bb_ctx *ctx) {
    cJSON *j = NULL;
    int rc = bb_json_read_file(path, 64u << 20, &j, ctx);
    if (rc) return rc;
    cJSON *task = cJSON_GetObjectItem(j, "task"), *w = cJSON_GetObjectItem(j, "current");
    if (!cJSON_IsString(task) || strcmp(task->valuestring, t->id) != 0 || !cJSON_IsArray(w) ||
        cJSON_GetArraySize(w) != st->walkers ||
        (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "seed")) != st->seed) {
        cJSON_Delete(j);
        return BB_ERR(ctx, BB_EFORMAT,
                      "%s: state is for another task, seed or walker count (HINT: rerun without --resume)", path);
    }
    st->rounds = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "rounds"));
    st->steps_done = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "steps_done"));
    st->evals = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "energy_evals"));
    st->accepted = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "accepted"));
    st->restarts = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "restarts"));
    st->failed = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "failed_relaxations"));
    st->cpu_s = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "cpu_seconds"));
    st->wall_s = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "wall_seconds"));
    int k = 0;
    cJSON *o;
    cJSON_ArrayForEach(o, w) {
        cJSON *x = cJSON_GetObjectItem(o, "x");
        if (cJSON_GetArraySize(x) != t->dof) {
            cJSON_Delete(j);
            return BB_ERR(ctx, BB_EFORMAT, "%s: current[%d].x: expected %d numbers", path, k, t->dof);
        }
        cJSON *uj = cJSON_GetObjectItem(o, "u");
        ucur[k] = cJSON_IsNumber(uj) ? uj->valuedouble : INFINITY;
        int d = 0;
        cJSON *v;
        cJSON_ArrayForEach(v, x) cur[(size_t)k * t->dof + (size_t)d++] = cJSON_GetNumberValue(v);
        k++;
    }
    cJSON_Delete(j);
    return BB_OK;
}

static double per_cpu_hour(size_t n, double cpu_s) { return cpu_s > 0 ? (double)n / (cpu_s / 3600.0) : 0.0; }

static cJSON *provenance(const bh_state *st, const bb_task *t, const bb_relax_opts *ro, const bb_minima *m) {
    cJSON *p = cJSON_CreateObject();
    if (!p) return NULL;
    cJSON_AddStringToObject(p, "builder", "boltzbench minima (basin hopping)");
    cJSON_AddStringToObject(p, "harness_version", BB_VERSION_STRING);
    cJSON_AddStringToObject(p, "task", t->id);
    cJSON_AddNumberToObject(p, "kT", t->kT);
    cJSON_AddStringToObject(p, "energy", "u = E/kT (reduced) as computed by the task; E = u * kT");
    cJSON_AddNumberToObject(p, "seed", (double)st->seed);
    cJSON_AddNumberToObject(p, "walkers", st->walkers);
    cJSON_AddNumberToObject(p, "steps", (double)st->steps_done);
    cJSON_AddNumberToObject(p, "temperature", st->temperature);
    cJSON_AddNumberToObject(p, "step", st->step);
    cJSON_AddNumberToObject(p, "restart_probability", st->restart);
    cJSON_AddNumberToObject(p, "relax_gtol", ro->gtol);
    cJSON_AddNumberToObject(p, "relax_max_iter", ro->max_iter);
    add_tallies(p, st);
    cJSON_AddNumberToObject(p, "minima_per_cpu_hour", per_cpu_hour(m->n, st->cpu_s));
    cJSON_AddStringToObject(p, "procedure",
                            "W walkers in lock-step rounds; trial = current minimum + U(-step, step) per "
                            "coordinate (or a fresh initial configuration with probability restart), L-BFGS "
                            "relaxation (liblbfgs), dedup by |du| <= utol and symmetry-aware RMSD <= rtol, "
                            "Metropolis acceptance at the given temperature; step k uses Philox stream "
                            "0x41000000 + k of the seed");
    return p;
}

/* The catalogue at cfg->path deduplicated again (with the current, possibly more thorough
 * alignment; counts of merged minima add up) into cat, initialised by the caller. */
static int reload_catalogue(const bb_task *t, const bb_minima_search_config *cfg, bb_align_ws *ws, bb_minima *cat,
                            size_t *merged, bb_ctx *ctx) {
    bb_minima loaded;
    int rc = bb_minima_read(cfg->path, t, &loaded, NULL, ctx);
    if (rc) return rc;
    for (size_t k = 0; k < loaded.n && !rc; k++)
        rc = bb_minima_add(cat, loaded.x + k * (size_t)t->dof, loaded.u[k], loaded.count[k], cfg->utol, cfg->rtol, ws,
                           NULL, NULL, ctx);
    *merged = loaded.n - cat->n;
    bb_minima_free(&loaded);
    return rc;
}

/* Walkers from relaxed draws of the initial distribution (streams STREAM_BH − 1 − k). */
static int start_walkers(const bb_task *t, const bb_minima_search_config *cfg, const bb_relax_opts *ro, bb_align_ws *ws,
                         double *cur, double *ucur, int *status, int64_t *evals, bb_minima *cat, bb_ctx *ctx) {
    size_t W = (size_t)cfg->walkers, dof = (size_t)t->dof;
    int rc = BB_OK;
    for (size_t k = 0; k < W && !rc; k++) {
        bb_rng r;
        bb_rng_init(&r, cfg->seed, STREAM_BH - 1 - k);
        rc = bb_task_initial(t, 1, &r, cur + k * dof, ctx);
    }
    if (!rc) rc = bb_relax(t, W, cur, ucur, status, evals, ro, ctx);
    for (size_t k = 0; k < W && !rc; k++)
        if (status[k] == BB_RELAX_CONVERGED)
            rc = bb_minima_add(cat, cur + k * dof, ucur[k], 1, cfg->utol, cfg->rtol, ws, NULL, NULL, ctx);
    return rc;
}

int bb_minima_search(const bb_task *t, const bb_minima_search_config *cfg, bb_minima_search_result *res, bb_ctx *ctx) {
    int rc = bb_minima_search_check(cfg, ctx);
    if (rc) return rc;
    size_t W = (size_t)cfg->walkers, dof = (size_t)t->dof, plen = strlen(cfg->path) + sizeof ".state";
    int64_t steps = (cfg->steps + cfg->walkers - 1) / cfg->walkers * cfg->walkers; /* whole rounds */
    bb_minima cat;
    bb_minima_init(&cat, t);
    bb_align_ws *ws = NULL;
    cJSON *prov = NULL;
    double *cur = malloc(W * dof * sizeof *cur), *trial = malloc(W * dof * sizeof *trial);
    double *ucur = malloc(W * sizeof *ucur), *utr = malloc(W * sizeof *utr);
    int *status = malloc(W * sizeof *status), *restarted = malloc(W * sizeof *restarted);
    char *spath = malloc(plen);
    if (!cur || !trial || !ucur || !utr || !status || !restarted || !spath) {
        rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory for %zu walkers", W);
        goto out;
    }
    snprintf(spath, plen, "%s.state", cfg->path);
    bh_state st = {.seed = (long long)cfg->seed,
                   .temperature = cfg->temperature,
                   .step = cfg->step,
                   .restart = cfg->restart,
                   .walkers = (int)cfg->walkers};
    bb_relax_opts ro = {1e-6, 20000, NULL, NULL, 0};
    if (cat.md.aligned && (rc = bb_align_ws_alloc(cat.md.P, cat.md.D, &ws, ctx))) goto out;
    int64_t evals = 0;
    size_t merged = 0;
    if (cfg->resume) {
        if ((rc = reload_catalogue(t, cfg, ws, &cat, &merged, ctx))) goto out;
        if (cfg->progress && merged) fprintf(cfg->progress, "minima: %zu duplicates merged on resume\n", merged);
        if ((rc = load_state(spath, &st, t, cur, ucur, ctx))) goto out;
        evals = st.evals;
        if (cfg->progress)
            fprintf(cfg->progress, "minima: resumed %s at step %lld with %zu minima\n", cfg->path, st.steps_done,
                    cat.n);
    } else if ((rc = start_walkers(t, cfg, &ro, ws, cur, ucur, status, &evals, &cat, ctx))) {
        goto out;
    }
    double w0 = bb_wall_s(), c0 = bb_cpu_s(), wbase = st.wall_s, cbase = st.cpu_s;
    int stop = 0;
    while (st.steps_done < steps && !stop) {
        /* whole rounds only, so a resumed run steps exactly like an uninterrupted one */
        for (size_t k = 0; k < W && !rc; k++) {
            bb_rng r;
            bb_rng_init(&r, cfg->seed, STREAM_BH + (uint64_t)st.steps_done + k);
            double *x = trial + k * dof;
            restarted[k] = bb_rng_uniform(&r) < cfg->restart || !isfinite(ucur[k]);
            if (restarted[k])
                rc = bb_task_initial(t, 1, &r, x, ctx);
            else
                for (size_t d = 0; d < dof; d++) x[d] = cur[k * dof + d] + cfg->step * (2.0 * bb_rng_uniform(&r) - 1.0);
        }
        if (!rc) rc = bb_relax(t, W, trial, utr, status, &evals, &ro, ctx);
        for (size_t k = 0; k < W && !rc; k++) {
            st.restarts += restarted[k];
            if (status[k] != BB_RELAX_CONVERGED) {
                st.failed++;
                continue;
            }
            if ((rc = bb_minima_add(&cat, trial + k * dof, utr[k], 1, cfg->utol, cfg->rtol, ws, NULL, NULL, ctx)))
                break;
            /* the acceptance draw uses its own stream: step stream | 2^40 */
            bb_rng r;
            bb_rng_init(&r, cfg->seed, (STREAM_BH + (uint64_t)st.steps_done + k) | (UINT64_C(1) << 40));
            double du = utr[k] - ucur[k];
            if (restarted[k] || du <= 0.0 || bb_rng_uniform(&r) < exp(-du / cfg->temperature)) {
                memcpy(cur + k * dof, trial + k * dof, dof * sizeof *cur);
                ucur[k] = utr[k];
                st.accepted++;
            }
        }
        if (rc) goto out;
        st.steps_done += (long long)W;
        st.rounds++;
        st.evals = evals;
        st.wall_s = wbase + (bb_wall_s() - w0);
        st.cpu_s = cbase + (bb_cpu_s() - c0);
        stop = cfg->time_limit > 0 && bb_wall_s() - w0 >= cfg->time_limit;
        if (st.rounds % cfg->checkpoint_every == 0 || st.steps_done >= steps || stop) {
            cJSON_Delete(prov);
            if (!(prov = provenance(&st, t, &ro, &cat))) {
                rc = BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
                goto out;
            }
            if ((rc = bb_minima_write(cfg->path, &cat, t->id, cfg->utol, cfg->rtol, prov, ctx))) goto out;
            if ((rc = save_state(spath, &st, t, cur, ucur, ctx))) goto out;
            if (cfg->progress)
                fprintf(cfg->progress, "minima: step %lld/%lld  %zu minima  lowest %.6f  %.0f minima/CPU-h  %.0f s\n",
                        st.steps_done, (long long)steps, cat.n, cat.n ? cat.u[0] * t->kT : NAN,
                        per_cpu_hour(cat.n, st.cpu_s), st.wall_s);
        }
    }
    if (res) {
        *res = (bb_minima_search_result){.n_minima = cat.n,
                                         .lowest_u = cat.n ? cat.u[0] : NAN,
                                         .steps_target = steps,
                                         .steps_done = st.steps_done,
                                         .rounds = st.rounds,
                                         .energy_evals = st.evals,
                                         .accepted = st.accepted,
                                         .restarts = st.restarts,
                                         .failed = st.failed,
                                         .merged_on_resume = merged,
                                         .cpu_s = st.cpu_s,
                                         .wall_s = st.wall_s,
                                         .minima_per_cpu_hour = per_cpu_hour(cat.n, st.cpu_s),
                                         .stopped_by_time = stop && st.steps_done < steps};
    }
out:
    cJSON_Delete(prov);
    bb_align_ws_free(ws);
    bb_minima_free(&cat);
    free(cur);
    free(ucur);
    free(trial);
    free(utr);
    free(status);
    free(restarted);
    free(spath);
    return rc;
}
