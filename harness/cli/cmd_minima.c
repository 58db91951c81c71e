/* cmd_minima.c — `boltzbench minima --task T`: build a task's catalogue of distinct local
 * minima by seeded, resumable basin hopping (Wales & Doye 1997). The search is
 * bb_minima_search (harness/run/minima_search.h, where the procedure is described); this
 * file parses the options and prints the summary line.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/cli/cli.h"
#include "harness/run/minima_search.h"
#include "harness/run/pepmin_search.h"
#include "tasks/molecules/molecule.h"
#include "tasks/task.h"

int bb_cmd_minima(int argc, char **argv) {
    bb_ctx ctx = {0};
    const char *task_id = NULL, *out = NULL;
    long long seed = 0, steps, walkers, every, threads = 0;
    int quiet = 0, ret;
    bb_minima_search_config cfg;
    bb_minima_search_defaults(&cfg);
    steps = -1; /* not given: the default of the kind of search (atomic or peptide) */
    walkers = cfg.walkers;
    every = cfg.checkpoint_every;
    bb_minima_search_result res;
    bb_pepmin_search_config pcfg;
    bb_pepmin_search_defaults(&pcfg);
    bb_task *t = NULL;
    char *path = NULL;
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"task", 't', "TASK", "task id (e.g. lj13-phys)", BB_OPT_STRING, &task_id, 0},
        {"out", 'o', "PATH",
         "catalogue file (default datasets/minima/<id>.json.gz, id: the catalogue the task declares, else the "
         "task id)",
         BB_OPT_STRING, &out, 0},
        {"seed", 's', "N", "seed (default 0)", BB_OPT_INT, &seed, 0},
        {"steps", 'n', "N",
         "total basin-hopping steps over all walkers, rounded up to whole rounds (default 200000; peptides 160)",
         BB_OPT_INT, &steps, 0},
        {"walkers", 'w', "N", "walkers advanced per round (default 16)", BB_OPT_INT, &walkers, 1},
        {"temperature", 'T', "X", "Metropolis temperature in reduced-energy units (default 0.8)", BB_OPT_REAL,
         &cfg.temperature, 1e-12},
        {"step", 0, "X", "maximal displacement per coordinate, task length unit (default 0.4)", BB_OPT_REAL, &cfg.step,
         1e-12},
        {"restart", 0, "P", "probability of restarting a walker from the initial distribution (default 0.02)",
         BB_OPT_REAL, &cfg.restart, 0.0},
        {"time-limit", 0, "SEC", "stop after this many wall-clock seconds (state is saved)", BB_OPT_REAL,
         &cfg.time_limit, 0.0},
        {"resume", 'r', NULL, "continue from <out>.state and the catalogue at <out>", BB_OPT_FLAG, &cfg.resume, 0},
        {"checkpoint-every", 0, "N", "rounds between catalogue/state saves (default 200)", BB_OPT_INT, &every, 1},
        {"grid-step", 0, "DEG", "peptides: spacing of the phi/psi grid starts (default 30, or 60 beyond 2 angles)",
         BB_OPT_REAL, &pcfg.grid_step_deg, 1.0},
        {"hop-deg", 0, "DEG", "peptides: largest change of each phi/psi per basin-hopping step (default 60)",
         BB_OPT_REAL, &pcfg.hop_deg, 1e-6},
        {"utol", 0, "X", "energy tolerance of deduplication (default 1e-3)", BB_OPT_REAL, &cfg.utol, 0.0},
        {"rtol", 0, "X", "RMSD tolerance of deduplication (default 0.05)", BB_OPT_REAL, &cfg.rtol, 0.0},
        BB_OPT_ROW_THREADS(&threads),
        {"quiet", 'q', NULL, "no progress lines", BB_OPT_FLAG, &quiet, 0},
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts, "minima --task TASK [--out PATH] [--steps N] [--seed S] [--resume]",
                "Build TASK's catalogue of distinct local minima by seeded, resumable basin hopping\n"
                "with the L-BFGS relaxation and symmetry-aware deduplication of the minima metric.\n"
                "Writes a gzip JSON catalogue (schema boltzbench.minima/1) with its provenance and a\n"
                "state file <out>.state for --resume. Peptide tasks: phi/psi grid starts under dihedral\n"
                "restraints, then basin hopping in phi/psi; a JSON catalogue matched by dihedrals\n"
                "(harness/run/pepmin_search.h; --temperature in units of the task's kT).");
    if ((ret = bb_cli_no_args(&cl)) >= 0) return ret;
    if (threads) omp_set_num_threads((int)threads); /* the program's top decides the threads */
    if (cfg.restart > 1.0) {
        bb_cli_error("--restart: must be in [0, 1]");
        return 2;
    }
    if (!task_id) {
        bb_cli_error("--task: required (e.g. --task lj13-phys)");
        return 2;
    }
    int rc = bb_task_create(task_id, NULL, &t, &ctx);
    if (rc) return bb_cli_status(rc, &ctx);
    int peptide = bb_task_molecule(t) != NULL;
    cfg.seed = (uint64_t)seed;
    if (steps >= 0) cfg.steps = steps;
    cfg.walkers = walkers;
    cfg.checkpoint_every = every;
    cfg.progress = quiet ? NULL : stderr;
    cfg.path = out ? out : "datasets/minima/"; /* the default is completed below */
    if (!peptide && bb_minima_search_check(&cfg, &ctx)) {
        bb_task_free(t);
        bb_cli_error("--%s", ctx.msg); /* the fields are named like the options */
        return 2;
    }
    if (!out) {
        /* default: the catalogue the task declares (its minima metric reads it), else its id; peptide
         * catalogues are plain JSON (harness/metrics/peptide.h) */
        const char *cat = t->type->minima_catalogue ? t->type->minima_catalogue : t->id;
        size_t len = strlen(cat) + sizeof "datasets/minima/.json.gz";
        if (!(path = malloc(len))) rc = BB_ERR(&ctx, BB_ENOMEM, "minima: out of memory");
        if (path) snprintf(path, len, "datasets/minima/%s.json%s", cat, peptide ? "" : ".gz");
        cfg.path = path;
    }
    if (!rc && peptide) {
        pcfg.path = cfg.path;
        pcfg.seed = cfg.seed;
        if (steps >= 0) pcfg.steps = steps;
        pcfg.walkers = (int)(walkers < 4096 ? walkers : 4096);
        pcfg.temperature = cfg.temperature;
        pcfg.progress = cfg.progress;
        bb_pepmin_search_result pr;
        rc = bb_pepmin_search(t, &pcfg, &pr, &ctx);
        if (!rc)
            printf("minima %s: %zu distinct minima from %lld grid starts and %lld basin-hopping steps (%lld energy "
                   "evaluations, %.1f s), lowest E = %.6f kJ/mol -> %s\n",
                   t->id, pr.n_minima, (long long)pr.grid_starts, (long long)pcfg.steps, (long long)pr.energy_evals,
                   pr.wall_s, pr.lowest_E, cfg.path);
    } else if (!rc) {
        rc = bb_minima_search(t, &cfg, &res, &ctx);
        if (!rc)
            printf("minima %s: %zu distinct minima after %lld steps (%lld energy evaluations), lowest E = %.6f, "
                   "%.0f minima per CPU-hour -> %s\n",
                   t->id, res.n_minima, (long long)res.steps_done, (long long)res.energy_evals, res.lowest_u * t->kT,
                   res.minima_per_cpu_hour, cfg.path);
    }
    free(path);
    bb_task_free(t);
    return bb_cli_status(rc, &ctx);
}
