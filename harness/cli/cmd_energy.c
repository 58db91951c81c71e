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

int bb_cmd_energy(int argc, char **argv) {
    bb_ctx ctx = {0};
    const char *task_id = NULL, *xpath = NULL, *out = NULL, *fpath = NULL;
    char *fdefault = NULL;
    long long threads = omp_get_max_threads();
    int ret = 2, forces = 0;
    cJSON *tp = cJSON_CreateObject();
    bb_task *t = NULL;
    bb_samples s = {0};
    double *u = NULL, *g = NULL;
    enum { O_FORCES = 4, O_FORCES_OUT, O_TASK_PARAM };
    const bb_opt opts[] = {
        BB_OPT_ROW_HELP,
        {"task", 't', "TASK", "task id (e.g. lj13, aldp-pita@1)", BB_OPT_STRING, &task_id, 0},
        {"samples", 'x', "FILE.npy", "N configurations along the first axis (N x dof or N x P x D)", BB_OPT_STRING,
         &xpath, 0},
        {"out", 'o', "FILE.npy", "write the N reduced energies u = E/kT here (float64)", BB_OPT_STRING, &out, 0},
        [O_FORCES] = {"forces", 'f', NULL,
                      "also write the forces F = -grad u (N x dof); a file right after it names them", BB_OPT_FLAG,
                      &forces, 0},
        [O_FORCES_OUT] = {"forces-out", 0, "FILE.npy", "where the forces go (implies --forces; default <E>-forces.npy)",
                          BB_OPT_CALLER, NULL, 0},
        [O_TASK_PARAM] = BB_OPT_ROW_TASK_PARAM,
        /* the energies' threads are passed down, not set for the process */
        {"threads", 'j', "N", "OpenMP threads", BB_OPT_INT, &threads, 1},
        BB_OPT_ROW_END,
    };
    bb_cli cl;
    bb_cli_init(&cl, argc, argv, opts,
                "energy --task TASK --samples X.npy --out E.npy [--forces [F.npy]] [--forces-out F.npy] "
                "[--task-param k=v]",
                "Write the task's reduced energy u = E/kT of every configuration of X.npy (float64,\n"
                "shape N) and, with --forces, the forces F = -grad u: MINUS the gradient of u (shape\n"
                "N x dof, reduced energy per the task's length unit: multiply by kT for energy-unit\n"
                "forces; 'boltzbench tasks TASK' states kT and units), to the file named after --forces\n"
                "or by --forces-out (default <E>-forces.npy). +inf marks a configuration the\n"
                "task cannot represent. Files are written atomically; after an error neither is there.");
    for (int id; (id = bb_cli_next(&cl)) != BB_OPT_END;) {
        if (id == BB_OPT_EXIT) {
            ret = cl.exit;
            goto out;
        }
        if (id == O_TASK_PARAM) {
            if (bb_cli_task_param(tp, cl.it.arg)) goto out;
        } else if (id == O_FORCES_OUT && fpath) {
            bb_cli_error("--forces-out: the forces file is already named (%s)", fpath);
            goto out;
        } else if (id == O_FORCES_OUT || (cl.prev == O_FORCES && !fpath)) {
            fpath = id == O_FORCES_OUT ? cl.it.arg : cl.it.positional; /* --forces F.npy: the file right after it */
        } else {
            bb_cli_error("energy: unexpected argument '%s'%s", cl.it.positional,
                         forces ? " (the forces file is named once: --forces F.npy or --forces-out F.npy)" : "");
            goto out;
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
    if (bb_task_energy_threads(t, s.n, s.x, u, g, (int)threads, &ctx)) {
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
