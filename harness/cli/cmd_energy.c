/* cmd_energy.c — `boltzbench energy --task T --samples X.npy --out E.npy [--forces F.npy]`:
 * the task's reduced energies u = E/kT of each configuration (and forces −∇u), so users
 * can check conventions (LJ pair sums, units, kT) against their own code. Energies are
 * computed by the same task code the oracle uses; nothing is counted or scored. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "datasets/npy.h"
#include "harness/cli/cli.h"
#include "tasks/task.h"

#define ENERGY_MAX_BYTES ((size_t)4 << 30)

enum { O_HELP, O_TASK, O_SAMPLES, O_OUT, O_FORCES, O_TASK_PARAM, O_THREADS };
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_TASK] = {"task", 't', "TASK", "task id (e.g. lj13, aldp-pita@1)"},
    [O_SAMPLES] = {"samples", 'x', "FILE.npy", "N configurations along the first axis (N x dof or N x P x D)"},
    [O_OUT] = {"out", 'o', "FILE.npy", "write the N reduced energies u = E/kT here (float64)"},
    [O_FORCES] = {"forces", 'f', "FILE.npy", "also write the forces -grad u, N x dof (reduced units per length unit)"},
    [O_TASK_PARAM] = {"task-param", 0, "KEY=VALUE", "task parameter, e.g. temperature=300 (repeatable)"},
    [O_THREADS] = {"threads", 'j', "N", "OpenMP threads"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_energy(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *task_id = NULL, *xpath = NULL, *out = NULL, *fpath = NULL;
    long long v;
    int threads = omp_get_max_threads(), ret = 2;
    cJSON *tp = cJSON_CreateObject();
    bb_task *t = NULL;
    bb_samples s = {0};
    double *u = NULL, *g = NULL;
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END;) {
        switch (id) {
            case O_HELP:
                bb_opt_help(stdout, "energy --task TASK --samples X.npy --out E.npy [--forces F.npy]",
                            "Write the task's reduced energy u = E/kT of every configuration of X.npy (float64,\n"
                            "shape N) and, with --forces, the forces -grad u (shape N x dof, in reduced energy per\n"
                            "the task's length unit: 'boltzbench tasks TASK' states kT and units). +inf marks a\n"
                            "configuration the task cannot represent.",
                            opts);
                ret = 0;
                goto out;
            case O_TASK: task_id = it.arg; break;
            case O_SAMPLES: xpath = it.arg; break;
            case O_OUT: out = it.arg; break;
            case O_FORCES: fpath = it.arg; break;
            case O_TASK_PARAM:
                if (bb_cli_task_param(tp, it.arg)) goto out;
                break;
            case O_THREADS:
                if (bb_cli_parse_i64("--threads", it.arg, 1, &v)) goto out;
                threads = (int)v;
                break;
            case BB_OPT_POSITIONAL: bb_cli_error("energy: unexpected argument '%s'", it.positional); goto out;
            default: bb_cli_error("%s", ctx.msg); goto out;
        }
    }
    if (!task_id || !xpath || !out) {
        bb_cli_error("%s: required (see 'boltzbench energy --help')", !task_id ? "--task"
                                                                      : !xpath ? "--samples"
                                                                               : "--out");
        goto out;
    }
    ret = 1;
    if (bb_task_create(task_id, tp->child ? tp : NULL, &t, &ctx) ||
        bb_npy_read_samples(xpath, ENERGY_MAX_BYTES, &s, &ctx))
        goto fail;
    if (s.dof != (size_t)t->dof) {
        BB_ERR(&ctx, BB_EINVAL, "%s: %zu values per configuration, task %s needs %d (P=%d x D=%d)", xpath, s.dof, t->id,
               t->dof, t->n_particles, t->dim);
        goto fail;
    }
    u = malloc((s.n ? s.n : 1) * sizeof *u);
    g = fpath ? malloc((s.n ? s.n * s.dof : 1) * sizeof *g) : NULL;
    if (!u || (fpath && !g)) {
        BB_ERR(&ctx, BB_ENOMEM, "%s: out of memory for %zu configurations", xpath, s.n);
        goto fail;
    }
    if (bb_task_energy_threads(t, s.n, s.x, u, g, threads, &ctx)) {
        bb_ctx_prefix(&ctx, "%s", xpath);
        goto fail;
    }
    for (size_t i = 0; g && i < s.n * s.dof; i++) g[i] = -g[i];
    size_t shape_u[1] = {s.n}, shape_f[2] = {s.n, s.dof};
    if (bb_npy_write(out, u, 1, shape_u, &ctx) || (fpath && bb_npy_write(fpath, g, 2, shape_f, &ctx))) goto fail;
    printf("%s: %zu reduced energies of %s%s%s\n", out, s.n, t->id, fpath ? ", forces in " : "", fpath ? fpath : "");
    ret = 0;
    goto out;
fail:
    bb_cli_error("%s", ctx.msg);
out:
    free(u);
    free(g);
    bb_samples_free(&s);
    bb_task_free(t);
    cJSON_Delete(tp);
    return ret;
}
