/* cmd_minima.c — `boltzbench minima --task T`: build a task's catalogue of distinct local
 * minima by seeded, resumable basin hopping (Wales & Doye 1997). The search is
 * bb_minima_search (harness/run/minima_search.h, where the procedure is described); this
 * file parses the options and prints the summary line.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "harness/run/minima_search.h"
#include "tasks/task.h"

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
    [O_OUT] = {"out", 'o', "PATH",
               "catalogue file (default datasets/minima/<id>.json.gz, id: the catalogue the task declares, else the "
               "task id)"},
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

int bb_cmd_minima(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *task_id = NULL, *out = NULL;
    long long seed = 0, steps, walkers, every, v;
    int quiet = 0, ret;
    bb_minima_search_config cfg;
    bb_minima_search_defaults(&cfg);
    steps = cfg.steps;
    walkers = cfg.walkers;
    every = cfg.checkpoint_every;
    bb_minima_search_result res;
    bb_task *t = NULL;
    char *path = NULL;
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
                if (parse_double("--temperature", it.arg, 1e-12, &cfg.temperature)) return 2;
                break;
            case O_STEP:
                if (parse_double("--step", it.arg, 1e-12, &cfg.step)) return 2;
                break;
            case O_RESTART:
                if (parse_double("--restart", it.arg, 0.0, &cfg.restart) || cfg.restart > 1.0) {
                    bb_cli_error("--restart: must be in [0, 1]");
                    return 2;
                }
                break;
            case O_TIME:
                if (parse_double("--time-limit", it.arg, 0.0, &cfg.time_limit)) return 2;
                break;
            case O_UTOL:
                if (parse_double("--utol", it.arg, 0.0, &cfg.utol)) return 2;
                break;
            case O_RTOL:
                if (parse_double("--rtol", it.arg, 0.0, &cfg.rtol)) return 2;
                break;
            case O_RESUME: cfg.resume = 1; break;
            case O_THREADS:
                if (bb_cli_parse_i64("--threads", it.arg, 1, &v)) return 2;
                omp_set_num_threads((int)v); /* decided here, at the top, for the relaxations */
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
    cfg.seed = (uint64_t)seed;
    cfg.steps = steps;
    cfg.walkers = walkers;
    cfg.checkpoint_every = every;
    cfg.progress = quiet ? NULL : stderr;
    cfg.path = out ? out : "datasets/minima/"; /* the default is completed once the task is known */
    if (bb_minima_search_check(&cfg, &ctx)) {
        bb_cli_error("--%s", ctx.msg); /* the fields are named like the options */
        return 2;
    }
    ret = 1;
    if (bb_task_create(task_id, NULL, &t, &ctx)) goto fail;
    if (!out) {
        /* default: the catalogue the task declares (its minima metric reads it), else its id */
        const char *cat = t->type->minima_catalogue ? t->type->minima_catalogue : t->id;
        size_t len = strlen(cat) + sizeof "datasets/minima/.json.gz";
        if (!(path = malloc(len))) {
            BB_ERR(&ctx, BB_ENOMEM, "minima: out of memory");
            goto fail;
        }
        snprintf(path, len, "datasets/minima/%s.json.gz", cat);
        cfg.path = path;
    }
    if (bb_minima_search(t, &cfg, &res, &ctx)) goto fail;
    printf("minima %s: %zu distinct minima after %lld steps (%lld energy evaluations), lowest E = %.6f, "
           "%.0f minima per CPU-hour -> %s\n",
           t->id, res.n_minima, (long long)res.steps_done, (long long)res.energy_evals, res.lowest_u * t->kT,
           res.minima_per_cpu_hour, cfg.path);
    ret = 0;
    goto done;
fail:
    bb_cli_error("%s", ctx.msg);
done:
    free(path);
    bb_task_free(t);
    return ret;
}
