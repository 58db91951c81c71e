/* bench_adjoint.c — training throughput of Adjoint Sampling with its per-task defaults.
 *
 * What it is: for gmm40 (MLP controller), dw4 and lj13 (EGNN controller), with the
 * method's per-task default configuration (methods/adjoint_sampling, README.md):
 *   - "simulate": controlled-SDE trajectories per second (batch_size trajectories of
 *     n_steps Euler–Maruyama steps, no energy calls) and network evaluations per second;
 *   - "train": reciprocal adjoint matching gradient steps per second (train_batch rows,
 *     bridge sampling, forward, backward, clipping, Adam) from a buffer filled with
 *     base-process end points and their true forces (uncounted bb_task_energy);
 * on 1 and 2 OpenMP threads. Every number is the best of 3 trials. Output: JSON at
 * --out FILE (default bench_adjoint.json), written atomically; one summary line per
 * measurement on stdout. --tasks SUBSTRING keeps only tasks whose id contains it.
 *
 * What it is not: a test (nothing is asserted), nor a measure of sample quality.
 */
#include <cblas.h>
#include <cjson/cJSON.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_args.h"
#include "harness/core/clock.h"
#include "harness/core/jsonutil.h"
#include "harness/core/omp_policy.h"
#include "methods/adjoint_sampling/as.h"
#include "methods/method.h"
#include "tasks/task.h"

#define TRIALS 3

static int bench_task(const char *id, cJSON *res, bb_ctx *c) {
    bb_task *t = NULL;
    bb_params p = {0};
    as_model m;
    bb_replay rb;
    memset(&m, 0, sizeof m);
    memset(&rb, 0, sizeof rb);
    double *x = NULL, *u = NULL, *g = NULL, *row = NULL;
    int rc = bb_task_create(id, NULL, &t, c);
    if (rc) return rc;
    const bb_method *meth = bb_method_find("adjoint_sampling");
    rc = bb_method_resolve_params(meth, t->type->name, NULL, NULL, &p, c);
    as_config cfg;
    if (!rc) rc = as_config_from_params(&p, t, &cfg, c);
    if (!rc) rc = as_model_init(&m, &cfg, 1, c);
    const size_t dof = (size_t)t->dof, B = (size_t)cfg.batch;
    if (!rc) rc = bb_replay_init(&rb, (size_t)cfg.buffer, 2 * dof, c);
    if (rc) goto out;
    x = malloc(B * dof * sizeof(double));
    g = malloc(B * dof * sizeof(double));
    u = malloc(B * sizeof(double));
    row = malloc(2 * dof * sizeof(double));
    if (!x || !g || !u || !row) {
        rc = BB_ERR(c, BB_ENOMEM, "bench_adjoint: out of memory");
        goto out;
    }
    for (int threads = 1; threads <= 2 && !rc; threads++) {
        bb_nn_graph_set_threads(m.net.g, threads); /* the network's threads, passed down */
        m.net.opt.threads = threads;
        double best_sim = 1e300, best_train = 1e300;
        const int steps = 20;
        for (int k = 0; k < TRIALS && !rc; k++) {
            bb_rng r;
            bb_rng_init(&r, 1, (uint64_t)k);
            double t0 = bb_wall_s();
            rc = as_simulate(&m, B, &r, x, NULL, c);
            double t1 = bb_wall_s();
            if (t1 - t0 < best_sim) best_sim = t1 - t0;
            if (!rc && rb.count == 0) {
                rc = bb_task_energy_parallel(t, B, x, u, g, c);
                for (size_t i = 0; i < B && !rc; i++)
                    if (u[i] < 1e300) {
                        as_make_row(&m, x + i * dof, g + i * dof, row);
                        bb_replay_push(&rb, 1, row);
                    }
            }
            double l;
            t0 = bb_wall_s();
            for (int s = 0; s < steps && !rc; s++) rc = as_train_step(&m, &rb, &r, &l, c);
            t1 = bb_wall_s();
            if ((t1 - t0) / steps < best_train) best_train = (t1 - t0) / steps;
        }
        if (rc) break;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "task", t->id);
        cJSON_AddStringToObject(e, "controller", cfg.net.use_egnn ? "egnn" : "mlp");
        cJSON_AddNumberToObject(e, "threads", threads);
        cJSON_AddNumberToObject(e, "parameters", (double)m.net.ps.total);
        cJSON_AddNumberToObject(e, "batch_size", (double)B);
        cJSON_AddNumberToObject(e, "n_steps", cfg.n_steps);
        cJSON_AddNumberToObject(e, "train_batch", cfg.train_batch);
        cJSON_AddNumberToObject(e, "trajectories_per_s", B / best_sim);
        cJSON_AddNumberToObject(e, "network_evals_per_s", (double)B * cfg.n_steps / best_sim);
        cJSON_AddNumberToObject(e, "train_steps_per_s", 1.0 / best_train);
        cJSON_AddNumberToObject(e, "train_rows_per_s", cfg.train_batch / best_train);
        cJSON_AddItemToArray(res, e);
        printf("%-8s %-4s threads %d: %9.1f trajectories/s (%d steps), %8.2f train steps/s (batch %d)\n", t->id,
               cfg.net.use_egnn ? "egnn" : "mlp", threads, B / best_sim, cfg.n_steps, 1.0 / best_train,
               cfg.train_batch);
    }
out:
    free(x);
    free(u);
    free(g);
    free(row);
    bb_replay_free(&rb);
    as_model_free(&m);
    bb_params_free(&p);
    bb_task_free(t);
    return rc;
}

int main(int argc, char **argv) {
    /* the program's top decides, as boltzbench does (harness/cli/main.c): passive OpenMP
     * waiting and a single-threaded BLAS (the nn core parallelises its products itself) */
    bb_omp_wait_policy_init(argv);
    openblas_set_num_threads(1);
    const char *path = "bench_adjoint.json", *only = NULL;
    if (bench_parse_out_tasks(argc, argv, "bench_adjoint", &path, &only)) return 2;
    bb_ctx c = {0};
    cJSON *root = cJSON_CreateObject(), *res = cJSON_AddArrayToObject(root, "results");
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    cJSON_AddStringToObject(root, "schema", "boltzbench.bench_adjoint/1");
    cJSON_AddStringToObject(root, "host", host);
    cJSON_AddStringToObject(root, "note",
                            "Adjoint Sampling per-task defaults; best of 3 trials; simulate = "
                            "controlled SDE from X_0 = 0, train = one reciprocal adjoint matching step");
    const char *tasks[] = {"gmm40", "dw4", "lj13"};
    int rc = BB_OK;
    for (int i = 0; i < 3 && !rc; i++)
        if (!only || strstr(tasks[i], only)) rc = bench_task(tasks[i], res, &c);
    if (!rc) rc = bb_json_write_file(path, root, &c);
    cJSON_Delete(root);
    if (rc) {
        fprintf(stderr, "bench_adjoint: %s\n", c.msg);
        return 1;
    }
    return 0;
}
