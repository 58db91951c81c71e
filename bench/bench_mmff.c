/* bench_mmff.c — one short, self-contained throughput measurement of a conformer task's MMFF94s
 * energy+gradient, the C side of bench/bench_mmff_rdkit.py.
 *
 * What it is: for --task (default conf-rot8_46ceda5c8b@1) configurations per second, wall clock and per
 * CPU second, of
 *   - "kernel_b1_t1": type->energy on one configuration at a time (as a sampler with one chain calls it);
 *   - "parallel_b1024_t1" / "parallel_b1024_t2": bb_task_energy_threads on a batch of 1024 on 1 and 2
 *     threads (the oracle's split: fixed chunks of BB_TASK_CHUNK configurations, results bit-identical
 *     on any thread count — checked here), in alternating trials.
 * Each number is the best of TRIALS trials of --seconds/TRIALS seconds. It is short (a few seconds) so
 * that the Python side can alternate it with RDKit's measurement many times on a loaded machine;
 * per-CPU-second rates are what a loaded machine disturbs least. Configurations: the task's initial()
 * (seed 2385). Output: JSON at --out (atomic), one line per number on stdout. Not a test.
 * Usage: bench_mmff [--task ID] [--seconds S] [--out FILE.json]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/clock.h"
#include "harness/core/jsonutil.h"
#include "harness/core/omp_policy.h"
#include "harness/core/rng.h"
#include "tasks/task.h"

#define TRIALS 3
#define NBATCH 1024

static volatile double sink;

typedef struct rate {
    double wall, cpu; /* configurations per wall second, per CPU second (all threads) */
} rate;

/* One trial of at least `seconds`: batch n (threads 0 = the kernel directly, one configuration a call). */
static int trial(const bb_task *t, size_t n, int threads, const double *x, double *u, double *g, double seconds,
                 rate *r, bb_ctx *c) {
    size_t D = (size_t)t->dof;
    long reps = 0;
    double w0 = bb_wall_s(), c0 = bb_cpu_s(), el;
    do {
        int rc = BB_OK;
        if (threads == 0)
            for (size_t i = 0; i < n && !rc; i++) rc = t->type->energy(t, 1, x + i * D, u + i, g + i * D, c);
        else
            rc = bb_task_energy_threads(t, n, x, u, g, threads, c);
        if (rc) return rc;
        reps++;
        el = bb_wall_s() - w0;
    } while (el < seconds);
    sink = u[0];
    r->wall = (double)reps * (double)n / el;
    r->cpu = (double)reps * (double)n / (bb_cpu_s() - c0);
    return BB_OK;
}

static void best(rate *b, const rate *r) {
    b->wall = fmax(b->wall, r->wall);
    b->cpu = fmax(b->cpu, r->cpu);
}

static void report(cJSON *root, const char *key, const char *task, const rate *r) {
    cJSON *o = cJSON_AddObjectToObject(root, key);
    bb_json_add_number(o, "conf_per_s", r->wall);
    bb_json_add_number(o, "conf_per_cpu_s", r->cpu);
    printf("%s %-18s %10.0f conf/s %10.0f conf/CPU s\n", task, key, r->wall, r->cpu);
}

int main(int argc, char **argv) {
    const char *id = "conf-rot8_46ceda5c8b@1", *out = "bench_mmff.json";
    double seconds = 1.5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--task") && i + 1 < argc)
            id = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc && (seconds = atof(argv[++i])) > 0)
            ;
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else {
            fprintf(stderr, "usage: bench_mmff [--task ID] [--seconds S > 0] [--out FILE.json]\n");
            return 2;
        }
    }
    bb_omp_wait_policy_init(argv); /* as boltzbench runs (harness/cli/main.c) */
    bb_ctx c = {0};
    bb_task *t = NULL;
    if (bb_task_create(id, NULL, &t, &c)) {
        fprintf(stderr, "bench_mmff: %s\n", c.msg);
        return 1;
    }
    size_t D = (size_t)t->dof;
    double *x = malloc(NBATCH * D * sizeof *x), *g = malloc(NBATCH * D * sizeof *g),
           *g2 = malloc(NBATCH * D * sizeof *g2);
    double *u = malloc(NBATCH * sizeof *u), *u2 = malloc(NBATCH * sizeof *u2);
    bb_rng r;
    bb_rng_init(&r, 2385, 0);
    int rc = (!x || !g || !g2 || !u || !u2) ? BB_ENOMEM : bb_task_initial(t, NBATCH, &r, x, &c);
    /* the split is bit-identical on 1 and 2 threads */
    if (!rc) rc = bb_task_energy_threads(t, NBATCH, x, u, g, 1, &c);
    if (!rc) rc = bb_task_energy_threads(t, NBATCH, x, u2, g2, 2, &c);
    if (!rc && (memcmp(u, u2, NBATCH * sizeof *u) || memcmp(g, g2, NBATCH * D * sizeof *g))) {
        fprintf(stderr, "bench_mmff: 1 and 2 threads differ\n");
        rc = BB_EINTERNAL;
    }
    rate k = {0, 0}, p1 = {0, 0}, p2 = {0, 0}, q;
    for (int tr = 0; tr < TRIALS && !rc; tr++) {
        double s = seconds / (3.0 * TRIALS);
        if (!(rc = trial(t, 64, 0, x, u, g, s, &q, &c))) best(&k, &q);
        if (!rc && !(rc = trial(t, NBATCH, 1, x, u, g, s, &q, &c))) best(&p1, &q);
        if (!rc && !(rc = trial(t, NBATCH, 2, x, u, g, s, &q, &c))) best(&p2, &q);
    }
    if (rc) {
        fprintf(stderr, "bench_mmff: %s\n", c.msg[0] ? c.msg : "failed");
    } else {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "schema", "boltzbench.bench_mmff/1");
        cJSON_AddStringToObject(root, "task", t->id);
        cJSON_AddNumberToObject(root, "atoms", t->n_particles);
        report(root, "kernel_b1_t1", t->id, &k);
        report(root, "parallel_b1024_t1", t->id, &p1);
        report(root, "parallel_b1024_t2", t->id, &p2);
        rc = bb_json_write_file(out, root, &c);
        if (rc) fprintf(stderr, "bench_mmff: %s\n", c.msg);
        cJSON_Delete(root);
    }
    BB_FREE_ALL(x, g, g2, u, u2);
    bb_task_free(t);
    return rc ? 1 : 0;
}
