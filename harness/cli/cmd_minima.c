/* cmd_minima.c — `boltzbench minima --task T`: build a task's catalogue of distinct
 * local minima by basin hopping (Wales & Doye 1997), seeded and resumable, with the
 * same L-BFGS relaxation and symmetry-aware deduplication the minima metric uses
 * (harness/metrics/minima.c). The catalogue is what minima_recall compares against.
 *
 * Procedure: W walkers advance in lock-step rounds. In a round every walker displaces
 * each coordinate of its current minimum by U(−step, step) (or, with probability
 * --restart, draws a fresh configuration from the task's initial distribution), all
 * W trial configurations are relaxed in parallel (OpenMP), then, in walker order, each
 * relaxed minimum is added to the catalogue and accepted with the Metropolis rule
 * min(1, exp(−Δu/T)). Step k (= round·W + walker) draws all its random numbers from
 * Philox stream 0x4100_0000 + k of --seed (its Metropolis draw from that stream
 * id | 2^40), so a run resumed from its state file
 * continues exactly as an uninterrupted one, on any thread count.
 *
 * It is not a proof of completeness: the count of minima grows with the steps spent
 * (reported per CPU-hour in the provenance).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "harness/core/clock.h"
#include "harness/core/fileio.h"
#include "harness/core/jsonutil.h"
#include "harness/metrics/metric_lib.h"
#include "harness/core/rng.h"
#include "tasks/task.h"

#define STREAM_BH UINT64_C(0x41000000)

enum {
    O_HELP,
    O_TASK,
    O_OUT,
    O_SEED,
    O_STEPS,
    O_WALKERS,
    O_TEMP,
    O_STEP,
    O_RESTART,
    O_TIME,
    O_RESUME,
    O_EVERY,
    O_UTOL,
    O_RTOL,
    O_THREADS,
    O_QUIET
};
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_TASK] = {"task", 't', "TASK", "task id (e.g. lj13-phys)"},
    [O_OUT] = {"out", 'o', "PATH", "catalogue file (default datasets/minima/<task id>.json.gz)"},
    [O_SEED] = {"seed", 's', "N", "seed (default 0)"},
    [O_STEPS] = {"steps", 'n', "N",
                 "total basin-hopping steps over all walkers, rounded up to whole rounds (default 200000)"},
    [O_WALKERS] = {"walkers", 'w', "N", "walkers advanced per round (default 16)"},
    [O_TEMP] = {"temperature", 'T', "X", "Metropolis temperature in reduced-energy units (default 0.8)"},
    [O_STEP] = {"step", 0, "X", "maximal displacement per coordinate, task length unit (default 0.4)"},
    [O_RESTART] = {"restart", 0, "P",
                   "probability of restarting a walker from the initial distribution (default 0.02)"},
    [O_TIME] = {"time-limit", 0, "SEC", "stop after this many wall-clock seconds (state is saved)"},
    [O_RESUME] = {"resume", 'r', NULL, "continue from <out>.state and the catalogue at <out>"},
    [O_EVERY] = {"checkpoint-every", 0, "N", "rounds between catalogue/state saves (default 200)"},
    [O_UTOL] = {"utol", 0, "X", "energy tolerance of deduplication (default 1e-3)"},
    [O_RTOL] = {"rtol", 0, "X", "RMSD tolerance of deduplication (default 0.05)"},
    [O_THREADS] = {"threads", 'j', "N", "OpenMP threads"},
    [O_QUIET] = {"quiet", 'q', NULL, "no progress lines"},
    {NULL, 0, NULL, NULL},
};

static int parse_double(const char *opt, const char *s, double lo, double *out) {
    char *end = NULL;
    double v = strtod(s, &end);
    if (!end || *end || !isfinite(v) || v < lo) {
        bb_cli_error("%s: '%s' is not a number >= %g", opt, s, lo);
        return 2;
    }
    *out = v;
    return 0;
}

typedef struct {
    long long seed, rounds, steps_done, evals, accepted, restarts, failed;
    double temperature, step, restart, utol, rtol, cpu_s, wall_s;
    int walkers;
} bh_state;

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
    cJSON_AddNumberToObject(j, "energy_evals", (double)st->evals);
    cJSON_AddNumberToObject(j, "accepted", (double)st->accepted);
    cJSON_AddNumberToObject(j, "restarts", (double)st->restarts);
    cJSON_AddNumberToObject(j, "failed_relaxations", (double)st->failed);
    cJSON_AddNumberToObject(j, "temperature", st->temperature);
    cJSON_AddNumberToObject(j, "step", st->step);
    cJSON_AddNumberToObject(j, "restart", st->restart);
    cJSON_AddNumberToObject(j, "cpu_seconds", st->cpu_s);
    cJSON_AddNumberToObject(j, "wall_seconds", st->wall_s);
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
    cJSON_AddNumberToObject(p, "energy_evals", (double)st->evals);
    cJSON_AddNumberToObject(p, "accepted", (double)st->accepted);
    cJSON_AddNumberToObject(p, "restarts", (double)st->restarts);
    cJSON_AddNumberToObject(p, "failed_relaxations", (double)st->failed);
    cJSON_AddNumberToObject(p, "cpu_seconds", st->cpu_s);
    cJSON_AddNumberToObject(p, "wall_seconds", st->wall_s);
    cJSON_AddNumberToObject(p, "minima_per_cpu_hour", st->cpu_s > 0 ? (double)m->n / (st->cpu_s / 3600.0) : 0.0);
    cJSON_AddStringToObject(p, "procedure",
                            "W walkers in lock-step rounds; trial = current minimum + U(-step, step) per "
                            "coordinate (or a fresh initial configuration with probability restart), L-BFGS "
                            "relaxation (liblbfgs), dedup by |du| <= utol and symmetry-aware RMSD <= rtol, "
                            "Metropolis acceptance at the given temperature; step k uses Philox stream "
                            "0x41000000 + k of the seed");
    return p;
}

int bb_cmd_minima(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *task_id = NULL, *out = NULL;
    long long seed = 0, steps = 200000, walkers = 16, every = 200, v;
    double temp = 0.8, step = 0.4, restart = 0.02, tlimit = 0.0, utol = 1e-3, rtol = 0.05;
    int resume = 0, quiet = 0, ret = 1;
    bb_opt_init(&it, argc, argv);
    for (int oid; (oid = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        switch (oid) {
            case O_HELP:
                bb_opt_help(stdout, "minima --task TASK [--out PATH] [--steps N] [--seed S] [--resume]",
                            "Build TASK's catalogue of distinct local minima by seeded, resumable basin hopping\n"
                            "with the L-BFGS relaxation and symmetry-aware deduplication of the minima metric.\n"
                            "Writes a gzip JSON catalogue (schema boltzbench.minima/1) with its provenance and a\n"
                            "state file <out>.state for --resume.",
                            opts);
                return 0;
            case O_TASK: task_id = it.arg; break;
            case O_OUT: out = it.arg; break;
            case O_SEED:
                if (bb_cli_parse_i64("--seed", it.arg, 0, &seed)) return 2;
                break;
            case O_STEPS:
                if (bb_cli_parse_i64("--steps", it.arg, 1, &steps)) return 2;
                break;
            case O_WALKERS:
                if (bb_cli_parse_i64("--walkers", it.arg, 1, &walkers)) return 2;
                break;
            case O_EVERY:
                if (bb_cli_parse_i64("--checkpoint-every", it.arg, 1, &every)) return 2;
                break;
            case O_TEMP:
                if (parse_double("--temperature", it.arg, 1e-12, &temp)) return 2;
                break;
            case O_STEP:
                if (parse_double("--step", it.arg, 1e-12, &step)) return 2;
                break;
            case O_RESTART:
                if (parse_double("--restart", it.arg, 0.0, &restart) || restart > 1.0) {
                    bb_cli_error("--restart: must be in [0, 1]");
                    return 2;
                }
                break;
            case O_TIME:
                if (parse_double("--time-limit", it.arg, 0.0, &tlimit)) return 2;
                break;
            case O_UTOL:
                if (parse_double("--utol", it.arg, 0.0, &utol)) return 2;
                break;
            case O_RTOL:
                if (parse_double("--rtol", it.arg, 0.0, &rtol)) return 2;
                break;
            case O_RESUME: resume = 1; break;
            case O_THREADS:
                if (bb_cli_parse_i64("--threads", it.arg, 1, &v)) return 2;
                omp_set_num_threads((int)v);
                break;
            case O_QUIET: quiet = 1; break;
            case BB_OPT_POSITIONAL: bb_cli_error("minima: unexpected argument '%s'", it.positional); return 2;
            default: bb_cli_error("%s", ctx.msg); return 2;
        }
    }
    if (!task_id) {
        bb_cli_error("--task: required (e.g. --task lj13-phys)");
        return 2;
    }
    if (walkers > 4096) {
        bb_cli_error("--walkers: at most 4096");
        return 2;
    }
    steps = (steps + walkers - 1) / walkers * walkers; /* whole rounds */
    bb_task *t = NULL;
    bb_minima cat;
    memset(&cat, 0, sizeof cat);
    double *cur = NULL, *ucur = NULL, *trial = NULL, *utr = NULL;
    int *status = NULL;
    bb_align_ws *ws = NULL;
    cJSON *prov = NULL;
    char path[4096], spath[4200];
    if (bb_task_create(task_id, NULL, &t, &ctx)) goto fail;
    if (out)
        snprintf(path, sizeof path, "%s", out);
    else
        snprintf(path, sizeof path, "datasets/minima/%s.json.gz", t->id);
    snprintf(spath, sizeof spath, "%s.state", path);
    size_t W = (size_t)walkers, dof = (size_t)t->dof;
    cur = malloc(W * dof * sizeof *cur);
    trial = malloc(W * dof * sizeof *trial);
    ucur = malloc(W * sizeof *ucur);
    utr = malloc(W * sizeof *utr);
    status = malloc(W * sizeof *status);
    if (!cur || !trial || !ucur || !utr || !status) {
        BB_ERR(&ctx, BB_ENOMEM, "minima: out of memory");
        goto fail;
    }
    bh_state st = {.seed = seed,
                   .temperature = temp,
                   .step = step,
                   .restart = restart,
                   .utol = utol,
                   .rtol = rtol,
                   .walkers = (int)walkers};
    bb_relax_opts ro = {1e-6, 20000};
    bb_minima_init(&cat, t);
    if (cat.md.aligned && bb_align_ws_alloc(cat.md.P, cat.md.D, &ws, &ctx)) goto fail;
    int64_t evals = 0;
    if (resume) {
        bb_minima_free(&cat);
        bb_minima loaded;
        if (bb_minima_read(path, t, &loaded, NULL, &ctx)) goto fail;
        /* deduplicate the loaded catalogue again (with the current, possibly more
         * thorough alignment); counts of merged minima add up */
        bb_minima_init(&cat, t);
        for (size_t k = 0; k < loaded.n; k++)
            if (bb_minima_add(&cat, loaded.x + k * dof, loaded.u[k], loaded.count[k], utol, rtol, ws, NULL, NULL,
                              &ctx)) {
                bb_minima_free(&loaded);
                goto fail;
            }
        if (!quiet && cat.n != loaded.n) fprintf(stderr, "minima: %zu duplicates merged on resume\n", loaded.n - cat.n);
        bb_minima_free(&loaded);
        if (load_state(spath, &st, t, cur, ucur, &ctx)) goto fail;
        evals = st.evals;
        if (!quiet) fprintf(stderr, "minima: resumed %s at step %lld with %zu minima\n", path, st.steps_done, cat.n);
    } else {
        /* walkers start from relaxed draws of the initial distribution (step streams −1…) */
        for (size_t k = 0; k < W; k++) {
            bb_rng r;
            bb_rng_init(&r, (uint64_t)seed, STREAM_BH - 1 - k);
            if (bb_task_initial(t, 1, &r, cur + k * dof, &ctx)) goto fail;
        }
        if (bb_relax(t, W, cur, ucur, status, &evals, &ro, &ctx)) goto fail;
        for (size_t k = 0; k < W; k++)
            if (status[k] == BB_RELAX_CONVERGED &&
                bb_minima_add(&cat, cur + k * dof, ucur[k], 1, utol, rtol, ws, NULL, NULL, &ctx))
                goto fail;
    }
    double w0 = bb_wall_s(), c0 = bb_cpu_s(), wbase = st.wall_s, cbase = st.cpu_s;
    while (st.steps_done < steps) {
        size_t nw = W; /* whole rounds only, so a resumed run steps exactly like an uninterrupted one */
        int restart_flag[4096] = {0};
        for (size_t k = 0; k < nw; k++) {
            bb_rng r;
            bb_rng_init(&r, (uint64_t)seed, STREAM_BH + (uint64_t)st.steps_done + k);
            double *x = trial + k * dof;
            if (bb_rng_uniform(&r) < restart || !isfinite(ucur[k])) {
                restart_flag[k] = 1;
                if (bb_task_initial(t, 1, &r, x, &ctx)) goto fail;
            } else {
                for (size_t d = 0; d < dof; d++) x[d] = cur[k * dof + d] + step * (2.0 * bb_rng_uniform(&r) - 1.0);
            }
        }
        if (bb_relax(t, nw, trial, utr, status, &evals, &ro, &ctx)) goto fail;
        for (size_t k = 0; k < nw; k++) {
            bb_rng r;
            st.restarts += restart_flag[k];
            if (status[k] != BB_RELAX_CONVERGED) {
                st.failed++;
                continue;
            }
            if (bb_minima_add(&cat, trial + k * dof, utr[k], 1, utol, rtol, ws, NULL, NULL, &ctx)) goto fail;
            /* the acceptance draw uses its own stream: step stream | 2^40 */
            bb_rng_init(&r, (uint64_t)seed, (STREAM_BH + (uint64_t)st.steps_done + k) | (UINT64_C(1) << 40));
            double du = utr[k] - ucur[k];
            if (restart_flag[k] || du <= 0.0 || bb_rng_uniform(&r) < exp(-du / temp)) {
                memcpy(cur + k * dof, trial + k * dof, dof * sizeof *cur);
                ucur[k] = utr[k];
                st.accepted++;
            }
        }
        st.steps_done += (long long)nw;
        st.rounds++;
        st.evals = evals;
        st.wall_s = wbase + (bb_wall_s() - w0);
        st.cpu_s = cbase + (bb_cpu_s() - c0);
        int stop = tlimit > 0 && bb_wall_s() - w0 >= tlimit;
        if (st.rounds % every == 0 || st.steps_done >= steps || stop) {
            cJSON_Delete(prov);
            prov = provenance(&st, t, &ro, &cat);
            if (!prov) {
                BB_ERR(&ctx, BB_ENOMEM, "minima: out of memory");
                goto fail;
            }
            if (bb_minima_write(path, &cat, t->id, utol, rtol, prov, &ctx)) goto fail;
            if (save_state(spath, &st, t, cur, ucur, &ctx)) goto fail;
            if (!quiet)
                fprintf(stderr, "minima: step %lld/%lld  %zu minima  lowest %.6f  %.0f minima/CPU-h  %.0f s\n",
                        st.steps_done, steps, cat.n, cat.n ? cat.u[0] * t->kT : NAN,
                        st.cpu_s > 0 ? (double)cat.n / (st.cpu_s / 3600.0) : 0.0, st.wall_s);
        }
        if (stop) break;
    }
    printf("minima %s: %zu distinct minima after %lld steps (%lld energy evaluations), lowest E = %.6f, "
           "%.0f minima per CPU-hour -> %s\n",
           t->id, cat.n, st.steps_done, st.evals, cat.n ? cat.u[0] * t->kT : NAN,
           st.cpu_s > 0 ? (double)cat.n / (st.cpu_s / 3600.0) : 0.0, path);
    ret = 0;
    goto out;
fail:
    bb_cli_error("%s", ctx.msg);
out:
    cJSON_Delete(prov);
    bb_align_ws_free(ws);
    bb_minima_free(&cat);
    free(cur);
    free(ucur);
    free(trial);
    free(utr);
    free(status);
    bb_task_free(t);
    return ret;
}
