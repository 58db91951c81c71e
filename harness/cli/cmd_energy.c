/* cmd_energy.c — `boltzbench energy --task T --samples X.npy --out E.npy [--forces [F.npy]]
 * [--forces-out F.npy]`: the task's reduced energies u = E/kT of each configuration (and the
 * forces F = −∇u), so users can check conventions (LJ pair sums, units, kT) against their
 * own code. Energies are computed by the same task code the oracle uses; nothing is counted
 * or scored. Each file is written atomically; the forces first, removed again if the
 * energies cannot be written, so a failed command leaves neither. */
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/npy.h"
#include "harness/cli/cli.h"
#include "tasks/task.h"

#define ENERGY_MAX_BYTES ((size_t)4 << 30)

enum { O_HELP, O_TASK, O_SAMPLES, O_OUT, O_FORCES, O_FORCES_OUT, O_TASK_PARAM, O_THREADS };
static const bb_opt opts[] = {
    [O_HELP] = {"help", 'h', NULL, "show this help"},
    [O_TASK] = {"task", 't', "TASK", "task id (e.g. lj13, aldp-pita@1)"},
    [O_SAMPLES] = {"samples", 'x', "FILE.npy", "N configurations along the first axis (N x dof or N x P x D)"},
    [O_OUT] = {"out", 'o', "FILE.npy", "write the N reduced energies u = E/kT here (float64)"},
    [O_FORCES] = {"forces", 'f', NULL, "also write the forces F = -grad u (N x dof); a file right after it names them"},
    [O_FORCES_OUT] = {"forces-out", 0, "FILE.npy", "where the forces go (implies --forces; default <E>-forces.npy)"},
    [O_TASK_PARAM] = {"task-param", 0, "KEY=VALUE", "task parameter, e.g. temperature=300 (repeatable)"},
    [O_THREADS] = {"threads", 'j', "N", "OpenMP threads"},
    {NULL, 0, NULL, NULL},
};

int bb_cmd_energy(int argc, char **argv) {
    bb_ctx ctx = {0};
    bb_opt_iter it;
    const char *task_id = NULL, *xpath = NULL, *out = NULL, *fpath = NULL;
    char *fdefault = NULL;
    long long v;
    int threads = omp_get_max_threads(), ret = 2, forces = 0, after_forces = 0;
    cJSON *tp = cJSON_CreateObject();
    bb_task *t = NULL;
    bb_samples s = {0};
    double *u = NULL, *g = NULL;
    bb_opt_init(&it, argc, argv);
    for (int id; (id = bb_opt_next(&it, opts, &ctx)) != BB_OPT_END; after_forces = id == O_FORCES) {
        switch (id) {
            case O_HELP:
                bb_opt_help(stdout,
                            "energy --task TASK --samples X.npy --out E.npy [--forces [F.npy]] [--forces-out F.npy] "
                            "[--task-param k=v]",
                            "Write the task's reduced energy u = E/kT of every configuration of X.npy (float64,\n"
                            "shape N) and, with --forces, the forces F = -grad u: MINUS the gradient of u (shape\n"
                            "N x dof, reduced energy per the task's length unit: multiply by kT for energy-unit\n"
                            "forces; 'boltzbench tasks TASK' states kT and units), to the file named after --forces\n"
                            "or by --forces-out (default <E>-forces.npy). +inf marks a configuration the\n"
                            "task cannot represent. Files are written atomically; after an error neither is there.",
                            opts);
                ret = 0;
                goto out;
            case O_TASK: task_id = it.arg; break;
            case O_SAMPLES: xpath = it.arg; break;
            case O_OUT: out = it.arg; break;
            case O_FORCES: forces = 1; break;
            case O_FORCES_OUT:
                if (fpath) {
                    bb_cli_error("--forces-out: the forces file is already named (%s)", fpath);
                    goto out;
                }
                fpath = it.arg;
                break;
            case O_TASK_PARAM:
                if (bb_cli_task_param(tp, it.arg)) goto out;
                break;
            case O_THREADS:
                if (bb_cli_parse_i64("--threads", it.arg, 1, &v)) goto out;
                threads = (int)v;
                break;
            case BB_OPT_POSITIONAL:
                if (after_forces && !fpath) { /* --forces F.npy: the file right after the flag */
                    fpath = it.positional;
                    break;
                }
                bb_cli_error("energy: unexpected argument '%s'%s", it.positional,
                             forces ? " (the forces file is named once: --forces F.npy or --forces-out F.npy)" : "");
                goto out;
            default: bb_cli_error("%s", ctx.msg); goto out;
        }
    }
    if (!task_id || !xpath || !out) {
        bb_cli_error("%s: required (see 'boltzbench energy --help')", !task_id ? "--task"
                                                                      : !xpath ? "--samples"
                                                                               : "--out");
        goto out;
    }
    if (forces && !fpath) { /* <E without .npy>-forces.npy */
        size_t len = strlen(out), stem = len > 4 && !strcmp(out + len - 4, ".npy") ? len - 4 : len;
        if (!(fdefault = malloc(stem + sizeof "-forces.npy"))) {
            bb_cli_error("energy: out of memory");
            ret = 1;
            goto out;
        }
        snprintf(fdefault, stem + sizeof "-forces.npy", "%.*s-forces.npy", (int)stem, out);
        fpath = fdefault;
    }
    if (fpath && !strcmp(fpath, out)) {
        bb_cli_error("--forces-out: %s is also the energies' --out", fpath);
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
    if (fpath && bb_npy_write(fpath, g, 2, shape_f, &ctx)) goto fail;
    if (bb_npy_write(out, u, 1, shape_u, &ctx)) {
        if (fpath) remove(fpath); /* this command's forces alone would be half its output */
        goto fail;
    }
    printf("%s: %zu reduced energies of %s%s%s\n", out, s.n, t->id, fpath ? ", forces in " : "", fpath ? fpath : "");
    ret = 0;
    goto out;
fail:
    bb_cli_error("%s", ctx.msg);
out:
    free(fdefault);
    free(u);
    free(g);
    bb_samples_free(&s);
    bb_task_free(t);
    cJSON_Delete(tp);
    return ret;
}
