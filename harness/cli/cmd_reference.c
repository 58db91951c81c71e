/* cmd_reference.c — `boltzbench reference [TASK] --task TASK`: generate a reference set and
 * store it in the dataset cache with its provenance. Two samplers:
 *   langevin (default for molecular tasks): BAOAB Langevin dynamics at --temperature, with
 *     replica exchange over a ladder (--ladder task|T1,T2,…), frames in time order, a state
 *     file for checkpoint/resume, one dataset <id>-<T>K per temperature with diagnostics
 *     (harness/run/mdref.h);
 *   pt (default otherwise): a long parallel-tempering run (harness/run/refgen.h).
 * This file parses and prints; the work is bb_mdref_* and bb_refgen_*. */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets/manifest.h"
#include "harness/core/fileio.h"
#include "harness/cli/cli.h"
#include "harness/run/mdref.h"
#include "harness/run/refgen.h"
#include "tasks/molecules/molecule.h"
#include "tasks/task.h"

typedef struct md_opts {
    const char *ladder, *state, *export_dir;
    double temperature, dt, friction, time_limit;
    long long interval, equilibration, frames, exchange_every, checkpoint_every, export_frames, stop_at, walkers;
    int resume;
} md_opts;

/* Parse "T1,T2,…" (ascending after sorting) into out[max]; returns the count or -1. */
static int parse_ladder(const char *s, double *out, int max) {
    int n = 0;
    while (*s && n < max) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !(v > 0.0) || !isfinite(v)) return -1;
        out[n++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    if (*s) return -1;
    for (int i = 1; i < n; i++) /* insertion sort: a handful of values */
        for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
            double t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

static int run_langevin(bb_task *t, const md_opts *o, const char *id, long long seed, int threads, FILE *progress) {
    bb_mdref_config cfg;
    bb_mdref_defaults(&cfg);
    double temps[64];
    double T0 = bb_task_temperature(t) > 0 ? bb_task_temperature(t) : 1.0;
    int n = 1;
    temps[0] = T0;
    if (o->ladder && strcmp(o->ladder, "task") == 0) {
        size_t nl;
        const double *l = bb_task_temperature_ladder(t, &nl);
        if (!l) {
            bb_cli_error("--ladder: task %s has no temperature ladder (give one: --ladder T1,T2,...)", t->id);
            return 2;
        }
        for (size_t i = 0; i < nl; i++) temps[i] = l[i];
        n = (int)nl;
    } else if (o->ladder && (n = parse_ladder(o->ladder, temps, 64)) < 1) {
        bb_cli_error("--ladder: '%s' is not a list of positive temperatures (e.g. 300,555.52,1200)", o->ladder);
        return 2;
    }
    int has_T0 = 0;
    for (int i = 0; i < n; i++) has_T0 |= fabs(temps[i] - T0) <= 1e-9 * T0;
    if (!has_T0) {
        bb_cli_error("--ladder: must contain the task's temperature %g", T0);
        return 2;
    }
    char stem[128], state[4096];
    snprintf(stem, sizeof stem, "%s", id ? id : t->type->name);
    if (id == NULL) snprintf(stem, sizeof stem, "%s-md", t->type->name);
    if (o->state) {
        snprintf(state, sizeof state, "%s", o->state);
    } else {
        bb_ctx cc = {0};
        if (bb_cache_dir(state, sizeof state - 160, &cc) || bb_mkdir_p(state, &cc)) return bb_cli_status(1, &cc);
        size_t k = strlen(state);
        snprintf(state + k, sizeof state - k, "/%s.state", stem);
    }
    cfg.stem = stem;
    cfg.state_path = state;
    cfg.n_temps = (size_t)n;
    cfg.temps = temps;
    cfg.task_temperature = T0;
    if (o->dt > 0) cfg.dt = o->dt;
    if (o->friction >= 0) cfg.friction = o->friction;
    if (o->interval) cfg.interval = o->interval;
    if (o->equilibration >= 0) cfg.equilibration = o->equilibration;
    if (o->frames) cfg.n_frames = o->frames;
    if (o->exchange_every >= 0) cfg.exchange_every = o->exchange_every;
    if (o->checkpoint_every >= 0) cfg.checkpoint_every = o->checkpoint_every;
    if (o->walkers) cfg.walkers = o->walkers;
    cfg.seed = (uint64_t)seed;
    cfg.threads = threads > 0 ? threads : omp_get_max_threads();
    cfg.time_limit = o->time_limit;
    cfg.stop_at_step = o->stop_at;
    cfg.interrupt = bb_cli_catch_interrupts(); /* SIGINT/SIGTERM: save the state, stop, exit 130 */
    cfg.resume = o->resume;
    cfg.progress = progress;
    bb_mdref_result res = {0};
    bb_ctx ctx = {0};
    int rc = bb_mdref_run(t, &cfg, &res, &ctx);
    if (!rc && res.finished) rc = bb_mdref_store(&res, &ctx);
    if (!rc && res.finished && o->export_dir) rc = bb_mdref_export(t, &res, o->export_dir, o->export_frames, &ctx);
    if (rc) {
        bb_mdref_result_free(&res);
        bb_cli_error("%s", ctx.msg);
        return rc == BB_EINVAL ? 2 : 1;
    }
    if (!res.finished)
        printf("reference %s: %s at step %lld with %lld frames per temperature; state in %s (continue with "
               "--resume)\n",
               stem, res.interrupted ? "interrupted" : "stopped", (long long)res.steps, (long long)res.n_frames, state);
    for (size_t r = 0; r < res.n_temps && res.finished; r++) {
        const cJSON *d = cJSON_GetObjectItem(res.provenance[r], "diagnostics");
        const cJSON *pp = cJSON_GetObjectItem(d, "max_half_difference_pp");
        printf(
            "reference %s: %lld frames of %s at %g, %lld evaluations (all replicas), %.0f s, energy ESS %.0f%s%.2f\n",
            res.ids[r], (long long)res.n_frames, t->id, temps[r], (long long)res.evals, res.wall_s,
            cJSON_GetNumberValue(cJSON_GetObjectItem(d, "ess")), pp ? ", halves differ by at most (pp) " : "",
            pp ? cJSON_GetNumberValue(pp) : 0.0);
    }
    int interrupted = res.interrupted;
    bb_mdref_result_free(&res);
    return interrupted ? 130 : 0;
}

static int run_pt(bb_task *t, bb_refgen_config *cfg) {
    bb_refgen_result res = {0};
    bb_ctx ctx = {0};
    int rc = bb_refgen_run(t, cfg, &res, &ctx);
    if (!rc) rc = bb_refgen_store(&res, &ctx);
    if (rc) {
        bb_cli_error("%s", ctx.msg);
        return rc == BB_EINVAL ? 2 : 1; /* a parameter or id that cannot be used is a usage error */
    }
    printf("reference %s: %zu samples of %s, %lld evaluations, mean u %.4f, energy ESS %.0f\n", res.id, res.samples.n,
           t->id, (long long)res.evaluations, cJSON_GetNumberValue(cJSON_GetObjectItem(res.provenance, "energy_mean")),
           cJSON_GetNumberValue(cJSON_GetObjectItem(res.provenance, "energy_ess")));
    bb_refgen_result_free(&res);
    return 0;
}

int bb_cmd_reference(int argc, char **argv) {
    const char *task_id = NULL, *sampler = NULL, *ci = getenv("CI");
    long long n = 10000, budget = 0, seed = 0, threads = 0;
    int quiet = 0, ret = 2;
    md_opts mo = {
        .friction = -1, .equilibration = -1, .exchange_every = -1, .checkpoint_every = -1, .export_frames = 1000};
    bb_refgen_config cfg = {0};
    bb_task *t = NULL;
    bb_ctx ctx = {0};
    const char **kvs = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *kvs); /* --param values, at most argc */
    if (!kvs) {
        bb_cli_error("reference: out of memory");
        return 1;
    }
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"task", 't', "TASK", "task id (or give it as the argument)", BB_OPT_STRING, &task_id, 0},
        {"sampler", 0, "NAME", "langevin (default for molecules) or pt (default otherwise)", BB_OPT_STRING, &sampler,
         0},
        {"seed", 's', "N", "seed (default 0)", BB_OPT_INT, &seed, 0},
        {"id", 0, "ID", "dataset id (pt: default <task>-reference; langevin: stem, sets <ID>-<T>K, default <task>-md)",
         BB_OPT_STRING, &cfg.id, 0},
        {"temperature", 'T', "K", "langevin: the task's temperature (molecules: K, default 300)", BB_OPT_REAL,
         &mo.temperature, 0},
        {"ladder", 0, "LIST", "langevin: replica exchange over 'task' (the task's ladder) or T1,T2,... (incl. T)",
         BB_OPT_STRING, &mo.ladder, 0},
        {"dt", 0, "PS", "langevin: time step (default 0.001 ps)", BB_OPT_REAL, &mo.dt, 0},
        {"friction", 0, "PER_PS", "langevin: friction (default 0.3/ps, PITA's)", BB_OPT_REAL, &mo.friction, 0},
        {"interval", 0, "STEPS", "langevin: steps between frames (default 1000)", BB_OPT_INT, &mo.interval, 1},
        {"equilibration", 0, "STEPS", "langevin: steps before the first frame (default 100000)", BB_OPT_INT,
         &mo.equilibration, 0},
        {"frames", 0, "N", "langevin: frames per temperature (default 10000)", BB_OPT_INT, &mo.frames, 4},
        {"exchange-every", 0, "STEPS", "langevin: steps between exchange attempts (default 1000)", BB_OPT_INT,
         &mo.exchange_every, 0},
        {"walkers", 0, "N", "langevin: independent copies of the ladder in one batch (default 1)", BB_OPT_INT,
         &mo.walkers, 1},
        {"state", 0, "FILE", "langevin: checkpoint file (default <cache>/<id>.state)", BB_OPT_STRING, &mo.state, 0},
        {"checkpoint-every", 0, "FRAMES", "langevin: frames between checkpoints (default 1000)", BB_OPT_INT,
         &mo.checkpoint_every, 0},
        {"resume", 0, NULL, "langevin: continue from the state file", BB_OPT_FLAG, &mo.resume, 0},
        {"time-limit", 0, "S", "langevin: save the state and stop after S wall seconds", BB_OPT_REAL, &mo.time_limit,
         0},
        {"stop-at-step", 0, "N", "langevin: save the state and stop after N steps", BB_OPT_INT, &mo.stop_at, 0},
        {"export", 0, "DIR", "langevin: also write a <f4 subsample of each temperature to DIR", BB_OPT_STRING,
         &mo.export_dir, 0},
        {"export-frames", 0, "N", "langevin: frames per exported subsample (default 1000)", BB_OPT_INT,
         &mo.export_frames, 1},
        {"n", 'n', "N", "pt: number of reference samples (default 10000)", BB_OPT_INT, &n, 2},
        {"budget", 'b', "N", "pt: energy evaluations, 1 ... 2^53 (default 2000 x N)", BB_OPT_BUDGET, &budget, 0},
        {"param", 'p', "KEY=VALUE", "pt: parameter of the pt sampler (repeatable; see 'boltzbench methods pt')",
         BB_OPT_CALLER, NULL, 0},
        BB_OPT_ROW_THREADS(&threads),
        BB_OPT_ROW_QUIET(&quiet),
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "reference [TASK] [--task TASK] [--sampler langevin|pt] [--temperature T] ...",
                "Generate a reference set for TASK and store it in the dataset cache with its provenance.\n"
                "langevin: BAOAB Langevin dynamics (1 fs, 0.3/ps, masses from the topology, no constraints),\n"
                "optionally with replica exchange over a temperature ladder; frames in time order, one set\n"
                "<id>-<T>K per temperature with convergence diagnostics (basin populations of halves,\n"
                "autocorrelation times, ESS); checkpoint/resume through --state (Ctrl-C or SIGTERM saves\n"
                "the state after the current step and exits 130). pt: a long parallel-tempering run (its\n"
                "per-task defaults, overridable with --param).");
    int id;
    while ((id = bb_cli_next(&cl)) >= 0 || id == BB_OPT_POSITIONAL) {
        if (id >= 0) {
            kvs[cfg.n_param_kv++] = cl.it.arg; /* --param, the one option returned */
        } else if (!task_id) {
            task_id = cl.it.positional;
        } else {
            bb_cli_error("reference: unexpected argument '%s'", cl.it.positional);
            id = BB_OPT_ERROR;
            break;
        }
    }
    if (id != BB_OPT_END) {
        ret = id == BB_OPT_EXIT ? cl.exit : 2;
        goto out;
    }
    if (threads) omp_set_num_threads((int)threads); /* the program's top decides the threads */
    if (!task_id) {
        bb_cli_error("--task: required");
        goto out;
    }
    const bb_task_type *tt = bb_task_type_find(task_id);
    cJSON *tp = NULL;
    if (tt && mo.temperature > 0 && tt->kT_unit && strcmp(tt->kT_unit, "kJ/mol") == 0 &&
        fabs(tt->kT - BB_R_KJ_PER_MOL_K * mo.temperature) > 1e-12 * tt->kT) {
        tp = cJSON_CreateObject(); /* the task must take it: its parameter check names the problem otherwise */
        cJSON_AddNumberToObject(tp, "temperature", mo.temperature);
    }
    int rc = bb_task_create(task_id, tp, &t, &ctx);
    cJSON_Delete(tp);
    if (rc) {
        bb_cli_error("%s", ctx.msg);
        goto out;
    }
    FILE *progress = (!quiet && isatty(fileno(stderr)) && !(ci && *ci)) ? stderr : NULL;
    if (!sampler) sampler = bb_task_molecule(t) ? "langevin" : "pt";
    if (strcmp(sampler, "langevin") == 0) {
        ret = run_langevin(t, &mo, cfg.id, seed, (int)threads, quiet ? NULL : stderr);
    } else if (strcmp(sampler, "pt") == 0) {
        cfg.n = (size_t)n;
        cfg.budget = budget;
        cfg.seed = (uint64_t)seed;
        cfg.param_kv = kvs;
        cfg.progress = progress;
        ret = run_pt(t, &cfg);
    } else {
        bb_cli_error("--sampler: '%s' is not langevin or pt", sampler);
    }
out:
    bb_task_free(t);
    free(kvs);
    return ret;
}
