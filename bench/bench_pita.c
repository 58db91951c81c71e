/* bench_pita.c — PITA's training throughput at the authors' LJ-13 setting (two EGNNs 3 × 32
 * conditioned on c_noise and β, batch 512, the three losses with double backward, Adam, EMA:
 * methods/pita/train.c as the method runs it) and the cost of one annealing chunk's fields
 * (512 rows, exact divergence: 39 backward passes), on the nn threads given.
 *
 *   bench_pita [--out FILE.json] [--steps N] [--threads T] [--export PREFIX]
 *
 * --export writes the networks' float32 weights (PREFIX.w.f32 with the parameter table in
 * PREFIX.json), the first step's batch, noise levels and noise (PREFIX.{x0,e0,sigma,z}.f64)
 * and the loss that step computed, so bench/bench_pita_torch.py can run the same networks
 * and loss in PyTorch, check its loss against ours and time it side by side. The σ and z of
 * that step are drawn here from the same stream in the order train.c draws them. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <cjson/cJSON.h>

#include "harness/core/jsonutil.h"
#include "methods/method.h"
#include "methods/pita/pita.h"
#include "tasks/task.h"

#define CHECK(x)                                                                                                       \
    do {                                                                                                               \
        if ((x) != BB_OK) {                                                                                            \
            fprintf(stderr, "bench_pita: %s\n", c.msg);                                                                \
            return 1;                                                                                                  \
        }                                                                                                              \
    } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int write_raw(const char *prefix, const char *ext, const void *p, size_t bytes) {
    char path[512];
    snprintf(path, sizeof path, "%s.%s", prefix, ext);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, bytes, f) != bytes) {
        if (f) fclose(f);
        fprintf(stderr, "bench_pita: cannot write %s\n", path);
        return 1;
    }
    return fclose(f) != 0;
}

static int export_model(const char *prefix, const pita_model *m, size_t B, size_t dof, const double *x0,
                        const double *e0, uint64_t seed, double loss, const double l3[3]) {
    bb_rng rng;
    bb_rng_init(&rng, seed, 0);
    double *sig = malloc(B * sizeof(double)), *z = malloc(B * dof * sizeof(double));
    if (!sig || !z) return 1;
    for (size_t r = 0; r < B; r++) sig[r] = bb_edm_sample_sigma(&m->sch, &rng); /* train.c's order */
    bb_sde_noise(&m->cfg.net.sp, B, &rng, z);
    cJSON *j = cJSON_CreateObject();
    const pita_config *cf = &m->cfg;
    cJSON_AddNumberToObject(j, "P", cf->net.sp.P);
    cJSON_AddNumberToObject(j, "D", cf->net.sp.D);
    cJSON_AddNumberToObject(j, "H", cf->net.hidden);
    cJSON_AddNumberToObject(j, "L", cf->net.layers);
    cJSON_AddNumberToObject(j, "B", (double)B);
    cJSON_AddNumberToObject(j, "beta", cf->beta[0]);
    cJSON_AddNumberToObject(j, "sigma_min", cf->net.sigma_min);
    cJSON_AddNumberToObject(j, "lr", cf->lr);
    cJSON_AddNumberToObject(j, "max_grad_norm", cf->max_grad_norm);
    cJSON_AddNumberToObject(j, "energy_mask", cf->energy_mask);
    cJSON_AddNumberToObject(j, "loss", loss);
    cJSON *lp = cJSON_AddArrayToObject(j, "loss_parts");
    for (int k = 0; k < 3; k++) cJSON_AddItemToArray(lp, cJSON_CreateNumber(l3[k]));
    cJSON *pa = cJSON_AddArrayToObject(j, "params");
    for (int k = 0; k < m->ps.n; k++) {
        const bb_nn_param_info *in = &m->ps.info[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", in->name);
        cJSON_AddNumberToObject(o, "off", (double)in->off);
        cJSON_AddNumberToObject(o, "rows", in->ndim == 2 ? (double)in->ne[0] : 1.0);
        cJSON_AddNumberToObject(o, "cols", (double)in->ne[in->ndim - 1]);
        cJSON_AddItemToArray(pa, o);
    }
    int rc = write_raw(prefix, "w.f32", m->ps.data, sizeof(float) * m->ps.total) ||
             write_raw(prefix, "x0.f64", x0, B * dof * sizeof(double)) ||
             write_raw(prefix, "e0.f64", e0, B * sizeof(double)) ||
             write_raw(prefix, "sigma.f64", sig, B * sizeof(double)) ||
             write_raw(prefix, "z.f64", z, B * dof * sizeof(double));
    char path[512];
    bb_ctx c = {0};
    snprintf(path, sizeof path, "%s.json", prefix);
    if (!rc && bb_json_write_file(path, j, &c) < 0) rc = 1;
    cJSON_Delete(j);
    free(sig);
    free(z);
    return rc;
}

int main(int argc, char **argv) {
    const char *out = NULL, *prefix = NULL;
    int steps = 10, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--export") && i + 1 < argc)
            prefix = argv[++i];
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_pita [--out FILE.json] [--steps N] [--threads T] [--export PREFIX]\n");
            return 2;
        }
    }
    if (steps < 1 || threads < 1) return 2;
    openblas_set_num_threads(1);
    bb_ctx c = {0};
    bb_task *task = NULL;
    CHECK(bb_task_create("lj13", NULL, &task, &c));
    bb_params p;
    CHECK(bb_method_resolve_params(bb_method_find("pita"), "lj13", NULL, NULL, &p, &c));
    pita_config cfg;
    CHECK(pita_config_from_params(&p, task, &cfg, &c));
    pita_model m;
    CHECK(pita_model_init(&m, &cfg, 1, &c));
    bb_nn_graph_set_threads(m.g, threads);
    m.opt.threads = threads;
    const size_t B = (size_t)cfg.batch, dof = (size_t)task->dof;
    /* a batch of LJ-13 configurations near a cluster: the task's initial states, energies from the task */
    double *x0 = malloc(B * dof * sizeof(double)), *e0 = malloc(B * sizeof(double));
    bb_rng rng;
    bb_rng_init(&rng, 7, 0);
    CHECK(bb_task_initial(task, B, &rng, x0, &c));
    CHECK(bb_task_energy(task, B, x0, e0, NULL, &c));
    for (size_t r = 0; r < B; r++) e0[r] /= cfg.tau[0];
    double loss, l3[4];
    const uint64_t seed = 99;
    if (prefix) {
        /* the step whose loss PyTorch checks, on a copy of the initial networks */
        pita_model probe;
        CHECK(pita_model_init(&probe, &cfg, 1, &c));
        bb_rng_init(&rng, seed, 0);
        CHECK(pita_train_step(&probe, B, x0, e0, NULL, cfg.beta[0], &rng, &loss, l3, &c));
        int rc = export_model(prefix, &probe, B, dof, x0, e0, seed, loss, l3);
        pita_model_free(&probe);
        if (rc) return 1;
        /* export_model wrote the weights after the step: write the initial ones (same seed) */
        CHECK(pita_model_init(&probe, &cfg, 1, &c));
        if (write_raw(prefix, "w.f32", probe.ps.data, sizeof(float) * probe.ps.total)) return 1;
        pita_model_free(&probe);
    }
    bb_rng_init(&rng, seed, 0);
    CHECK(pita_train_step(&m, B, x0, e0, NULL, cfg.beta[0], &rng, &loss, l3, &c)); /* warm-up (arena, first use) */
    double t0 = now();
    clock_t c0 = clock();
    for (int s = 0; s < steps; s++) {
        bb_rng_init(&rng, seed + 1 + (uint64_t)s, 0);
        CHECK(pita_train_step(&m, B, x0, e0, NULL, cfg.beta[0], &rng, &loss, l3, &c));
    }
    const double train_s = (now() - t0) / steps, train_cpu = (double)(clock() - c0) / CLOCKS_PER_SEC / steps;
    /* one annealing chunk: 512 rows, all four fields, exact divergence */
    double *se = malloc(B * dof * sizeof(double)), *ss = malloc(B * dof * sizeof(double));
    double *dv = malloc(B * sizeof(double)), *du = malloc(B * sizeof(double));
    CHECK(pita_fields(&m, B, x0, 0.5, cfg.beta[0], &rng, se, ss, dv, du, &c));
    t0 = now();
    CHECK(pita_fields(&m, B, x0, 0.5, cfg.beta[0], &rng, se, ss, dv, du, &c));
    const double fields_s = now() - t0;
    printf("pita lj13 (EGNN 3x32, batch %zu, %d nn threads): %.3f s per Adam step (%.3f CPU s), "
           "%.3f s per annealing chunk of %zu rows with exact divergence\n",
           B, threads, train_s, train_cpu, fields_s, B);
    if (out) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "bench", "bench_pita");
        cJSON_AddStringToObject(j, "setting", "pita lj13 defaults: EGNN 3x32 x2, batch 512, float32");
        cJSON_AddNumberToObject(j, "threads", threads);
        cJSON_AddNumberToObject(j, "steps", steps);
        cJSON_AddNumberToObject(j, "train_s_per_step", train_s);
        cJSON_AddNumberToObject(j, "train_cpu_s_per_step", train_cpu);
        cJSON_AddNumberToObject(j, "anneal_chunk_fields_s", fields_s);
        cJSON_AddNumberToObject(j, "last_loss", loss);
        if (bb_json_write_file(out, j, &c) < 0) {
            fprintf(stderr, "bench_pita: %s\n", c.msg);
            return 1;
        }
        cJSON_Delete(j);
    }
    BB_FREE_ALL(se, ss, dv, du, x0, e0);
    pita_model_free(&m);
    bb_params_free(&p);
    bb_task_free(task);
    return 0;
}
