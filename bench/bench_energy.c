/* bench_energy.c — energy + gradient throughput of every registered task.
 *
 * What it is: for each task in bb_task_types (so tasks added later appear without
 * edits) and batch sizes 1, 64, 1024, configurations per second of energy AND
 * gradient evaluation
 *   - "kernel": the task's type->energy called directly on the whole batch, 1 thread
 *     (the per-thread kernel number);
 *   - "parallel": the oracle's own split, bb_task_energy_threads (OpenMP over chunks
 *     of BB_TASK_CHUNK = 16 configurations), on 1 and 2 threads in interleaved trials
 *     (best of 5 each), idle and busy;
 * plus, for every 3-D task of 13 or 55 particles (the LJ tasks), the plain reference
 * loop of ../shared/reference/baselines.md (E = Σ_{i<j} 4(r⁻¹² − r⁻⁶) and forces, the
 * straightforward double loop, compiled with the project's -O2) on the same
 * configurations, with trials of the two interleaved so that both see the same
 * machine load, and the ratio kernel / plain loop. Machines are noisy: every number
 * is the best of its trials (≥ 0.2 s each; 3, or 5 interleaved pairs), and only
 * ratios measured side by side should be compared across machines.
 *
 * Configurations come from the task's initial distribution (seed 2385) — throughput
 * does not depend on the values. Output: JSON at --out FILE (default bench_energy.json),
 * written atomically; a one-line summary per measurement on stdout. --tasks SUBSTRING
 * keeps only the tasks whose id contains it (e.g. "lj13"); the plain loop always runs.
 *
 * Threads: "parallel" runs bb_task_energy_threads on exactly 1 and 2 threads, side by
 * side, twice: on the machine as it is ("parallel") and beside one spinning background
 * process that the bench forks itself ("parallel_busy"); "two_over_one_thread" holds the
 * ratios. Run it as boltzbench runs (OMP_WAIT_POLICY=PASSIVE, see harness/cli/main.c): the
 * bench re-executes itself with it unless a policy is set.
 *
 * What it is not: a test. Nothing is asserted on times.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench_args.h"
#include "harness/core/clock.h"
#include "harness/core/jsonutil.h"
#include "harness/core/omp_policy.h"
#include "harness/core/rng.h"
#include "tasks/task.h"

#define TRIALS        3
#define PAIRED_TRIALS 5
#define MIN_SECONDS   0.2

static const size_t batches[] = {1, 64, 1024};
#define N_BATCHES (sizeof batches / sizeof *batches)

static volatile double sink; /* keeps results observable */

/* The plain reference of baselines.md: one configuration x[P][3] → energy, forces f. */
static double ref_lj(int P, const double *x, double *f) {
    double e = 0.0;
    for (int k = 0; k < 3 * P; k++) f[k] = 0.0;
    for (int i = 0; i < P; i++) {
        for (int j = i + 1; j < P; j++) {
            double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
            double r2 = dx * dx + dy * dy + dz * dz;
            double ir2 = 1.0 / r2, ir6 = ir2 * ir2 * ir2;
            e += 4.0 * (ir6 * ir6 - ir6);
            double fs = (48.0 * ir6 * ir6 - 24.0 * ir6) * ir2;
            f[3 * i] += fs * dx, f[3 * i + 1] += fs * dy, f[3 * i + 2] += fs * dz;
            f[3 * j] -= fs * dx, f[3 * j + 1] -= fs * dy, f[3 * j + 2] -= fs * dz;
        }
    }
    return e;
}

/* Rescale one LJ-like configuration so no pair is closer than 0.8 (random draws can
 * put two particles almost on top of each other; the speed is the same, but the plain
 * loop would then time overflowing arithmetic). */
static void spread(int P, double *x) {
    double m2 = INFINITY;
    for (int i = 0; i < P; i++)
        for (int j = i + 1; j < P; j++) {
            double dx = x[3 * i] - x[3 * j], dy = x[3 * i + 1] - x[3 * j + 1], dz = x[3 * i + 2] - x[3 * j + 2];
            double r2 = dx * dx + dy * dy + dz * dz;
            if (r2 < m2) m2 = r2;
        }
    if (m2 < 0.64)
        for (int k = 0; k < 3 * P; k++) x[k] *= 0.8 / sqrt(m2);
}

enum mode { MODE_KERNEL, MODE_PARALLEL, MODE_REF };

typedef struct job {
    enum mode mode;
    const bb_task *t;
    int P; /* MODE_REF */
    size_t n, dof;
    const double *x;
    double *u, *g;
    int threads; /* MODE_PARALLEL */
} job;

static int run_once(const job *j, bb_ctx *c) {
    switch (j->mode) {
        case MODE_KERNEL: return j->t->type->energy(j->t, j->n, j->x, j->u, j->g, c);
        case MODE_PARALLEL: return bb_task_energy_threads(j->t, j->n, j->x, j->u, j->g, j->threads, c);
        case MODE_REF:
            for (size_t i = 0; i < j->n; i++) j->u[i] = ref_lj(j->P, j->x + i * j->dof, j->g + i * j->dof);
            return BB_OK;
    }
    return BB_EINTERNAL;
}

/* Configurations/s of one trial of at least MIN_SECONDS. */
static int trial(const job *j, double *rate, bb_ctx *c) {
    long reps = 0;
    double t0 = bb_wall_s(), el;
    do {
        int rc = run_once(j, c);
        if (rc) return rc;
        reps++;
        el = bb_wall_s() - t0;
    } while (el < MIN_SECONDS);
    sink = j->u[0];
    *rate = (double)reps * (double)j->n / el;
    return BB_OK;
}

/* Best configurations/s over TRIALS trials. */
static int measure(const job *j, double *rate, bb_ctx *c) {
    *rate = 0.0;
    for (int k = 0; k < TRIALS; k++) {
        double r;
        int rc = trial(j, &r, c);
        if (rc) return rc;
        if (r > *rate) *rate = r;
    }
    return BB_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Best rates of two jobs over PAIRED_TRIALS interleaved trials (a, b, a, b, ...), and (if
 * median_ba) the median over the pairs of rate b / rate a: the two trials of a pair are
 * adjacent in time, so their ratio is the least disturbed by the rest of the machine. */
static int measure_pair(const job *a, const job *b, double *ra, double *rb, double *median_ba, bb_ctx *c) {
    double q[PAIRED_TRIALS];
    *ra = *rb = 0.0;
    for (int k = 0; k < PAIRED_TRIALS; k++) {
        double r, r2;
        int rc = trial(a, &r, c);
        if (rc) return rc;
        if (r > *ra) *ra = r;
        if ((rc = trial(b, &r2, c))) return rc;
        if (r2 > *rb) *rb = r2;
        q[k] = r2 / r;
    }
    if (median_ba) {
        qsort(q, PAIRED_TRIALS, sizeof *q, cmp_double);
        *median_ba = q[PAIRED_TRIALS / 2];
    }
    return BB_OK;
}

static cJSON *entry(const char *task, int P, size_t n, const char *mode, int threads, double rate) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "task", task);
    cJSON_AddNumberToObject(o, "n_particles", P);
    cJSON_AddNumberToObject(o, "batch", (double)n);
    cJSON_AddStringToObject(o, "mode", mode);
    cJSON_AddNumberToObject(o, "threads", threads);
    bb_json_add_number(o, "conf_per_s", rate);
    if (P > 1) bb_json_add_number(o, "pairs_per_s", rate * P * (P - 1) / 2.0);
    printf("%-12s P=%-3d batch %-5zu %-9s %d thread%s %12.0f conf/s\n", task, P, n, mode, threads,
           threads > 1 ? "s" : " ", rate);
    fflush(stdout);
    return o;
}

/* The 1-, 5- and 15-minute load averages (as `uptime` prints them) under `key`. */
static void add_loadavg(cJSON *root, const char *key) {
    double la[3];
    if (getloadavg(la, 3) != 3) return;
    cJSON *a = cJSON_AddArrayToObject(root, key);
    for (int i = 0; i < 3; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(la[i]));
    printf("%s: %.2f %.2f %.2f\n", key, la[0], la[1], la[2]);
}

/* A background process that only spins (the "busy" machine): forked, killed after. */
static pid_t busy_start(void) {
    pid_t pid = fork();
    if (pid == 0) {
        volatile unsigned long spin = 0;
        for (;;) spin++;
    }
    return pid;
}

static void busy_stop(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv) {
    const char *path = "bench_energy.json", *only = NULL;
    if (bench_parse_out_tasks(argc, argv, "bench_energy", &path, &only)) return 2;
    bb_omp_wait_policy_init(argv); /* as boltzbench runs (harness/cli/main.c) */
    bb_ctx c = {0};
    int rc = BB_OK;
    cJSON *root = cJSON_CreateObject(), *res = cJSON_AddArrayToObject(root, "results");
    cJSON *ratios = cJSON_AddArrayToObject(root, "ratios_to_plain_loop");
    cJSON *thread_ratios = cJSON_AddArrayToObject(root, "two_over_one_thread");
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    cJSON_AddStringToObject(root, "schema", "boltzbench.bench_energy/1");
    cJSON_AddStringToObject(root, "host", host);
    cJSON_AddNumberToObject(root, "omp_max_threads", omp_get_max_threads());
    cJSON_AddStringToObject(root, "note",
                            "energy+gradient configurations/s, best of 3 trials >= 0.2 s; kernel = type->energy "
                            "on the whole batch (1 thread); parallel = bb_task_energy_threads (chunks of 16), 1 "
                            "and 2 threads in 5 interleaved trial pairs, parallel_busy = the same beside one forked "
                            "spinning process; "
                            "plain_loop = baselines.md reference loop (-O2, 1 thread)");
    add_loadavg(root, "loadavg_start");
    /* lowest 2-thread / 1-thread ratio (median of pairs), idle and busy, of the batches that are
     * split over the threads; and the band of the ratio where they are not (one thread either
     * way: the spread is the machine's noise) */
    double worst[2] = {INFINITY, INFINITY}, noise_lo = INFINITY, noise_hi = -INFINITY;
    size_t max_dof = 0;
    for (size_t ti = 0; bb_task_types[ti]; ti++) {
        size_t d = (size_t)bb_task_types[ti]->n_particles * (size_t)bb_task_types[ti]->dim;
        if (d > max_dof) max_dof = d;
    }
    if (max_dof < 3 * 55) max_dof = 3 * 55;
    size_t nmax = batches[N_BATCHES - 1];
    double *x = malloc(sizeof(double) * nmax * max_dof), *g = malloc(sizeof(double) * nmax * max_dof);
    double *u = malloc(sizeof(double) * nmax);
    if (!x || !g || !u) {
        fprintf(stderr, "bench_energy: out of memory\n");
        return 1;
    }

    for (size_t ti = 0; bb_task_types[ti] && !rc; ti++) {
        bb_task *t = NULL;
        char id[80];
        snprintf(id, sizeof id, "%s@%d", bb_task_types[ti]->name, bb_task_types[ti]->version);
        if (only && !strstr(id, only)) continue;
        rc = bb_task_create(id, NULL, &t, &c);
        if (rc) break;
        bb_rng r;
        bb_rng_init(&r, 2385, 0x7100 + ti);
        rc = bb_task_initial(t, nmax, &r, x, &c);
        if (!rc && t->dim == 3 && (t->n_particles == 13 || t->n_particles == 55)) /* finite energies */
            for (size_t i = 0; i < nmax; i++) spread(t->n_particles, x + i * (size_t)t->dof);
        for (size_t bi = 0; bi < N_BATCHES && !rc; bi++) {
            size_t n = batches[bi];
            double rate;
            job j = {MODE_KERNEL, t, t->n_particles, n, (size_t)t->dof, x, u, g, 1};
            const int lj_like = t->dim == 3 && (t->n_particles == 13 || t->n_particles == 55);
            if (lj_like) {
                double ref;
                job jr = {MODE_REF, NULL, t->n_particles, n, (size_t)t->dof, x, u, g, 1};
                rc = measure_pair(&j, &jr, &rate, &ref, NULL, &c);
                if (rc) break;
                cJSON_AddItemToArray(res, entry(t->id, t->n_particles, n, "kernel", 1, rate));
                cJSON_AddItemToArray(res, entry("plain_loop", t->n_particles, n, "plain", 1, ref));
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "task", t->id);
                cJSON_AddNumberToObject(o, "batch", (double)n);
                bb_json_add_number(o, "kernel_conf_per_s", rate);
                bb_json_add_number(o, "plain_loop_conf_per_s", ref);
                bb_json_add_number(o, "kernel_over_plain_loop_1thread", rate / ref);
                cJSON_AddItemToArray(ratios, o);
                printf("%-12s batch %-5zu kernel / plain loop = %.2fx (interleaved trials)\n", t->id, n, rate / ref);
            } else {
                rc = measure(&j, &rate, &c);
                if (rc) break;
                cJSON_AddItemToArray(res, entry(t->id, t->n_particles, n, "kernel", 1, rate));
            }
            /* 1 and 2 threads side by side, on an idle machine and beside one busy process */
            for (int busy = 0; busy <= 1 && !rc; busy++) {
                pid_t spinner = busy ? busy_start() : 0;
                double r12[2] = {0, 0}, med = 0.0;
                /* 1 and 2 threads in interleaved trials (1, 2, 1, 2, ...), so that both see the
                 * same load from the rest of the machine */
                job j1 = {MODE_PARALLEL, t, t->n_particles, n, (size_t)t->dof, x, u, g, 1};
                job j2 = j1;
                j2.threads = 2;
                rc = measure_pair(&j1, &j2, &r12[0], &r12[1], &med, &c);
                for (int nt = 1; nt <= 2 && !rc; nt++)
                    cJSON_AddItemToArray(
                        res, entry(t->id, t->n_particles, n, busy ? "parallel_busy" : "parallel", nt, r12[nt - 1]));
                busy_stop(spinner);
                if (!rc) {
                    cJSON *o = cJSON_CreateObject();
                    cJSON_AddStringToObject(o, "task", t->id);
                    cJSON_AddNumberToObject(o, "batch", (double)n);
                    cJSON_AddBoolToObject(o, "busy", busy);
                    bb_json_add_number(o, "two_over_one_thread", r12[1] / r12[0]);
                    bb_json_add_number(o, "two_over_one_thread_median_pair", med);
                    const double pc = t->type->pair_cost > 0 ? t->type->pair_cost : 1.0;
                    const int split = (double)n * t->n_particles * t->n_particles * pc >= BB_TASK_PARALLEL_MIN_WORK &&
                                      n > BB_TASK_CHUNK;
                    cJSON_AddBoolToObject(o, "split", split);
                    cJSON_AddItemToArray(thread_ratios, o);
                    if (split && med < worst[busy]) worst[busy] = med;
                    if (!split) noise_lo = fmin(noise_lo, med), noise_hi = fmax(noise_hi, med);
                    printf("%-12s batch %-5zu %s: 2 threads / 1 thread = %.2fx best/best, %.2fx median of pairs\n",
                           t->id, n, busy ? "busy " : "idle ", r12[1] / r12[0], med);
                }
            }
        }
        bb_task_free(t);
    }
    add_loadavg(root, "loadavg_end");
    /* the verdict: do 2 threads fall below 1 thread (median of pairs, by more than 5%), idle or
     * busy, where the batch is split over them? */
    cJSON *sum = cJSON_AddObjectToObject(root, "two_over_one_thread_summary");
    if (isfinite(noise_lo)) {
        bb_json_add_number(sum, "one_thread_rows_min", noise_lo);
        bb_json_add_number(sum, "one_thread_rows_max", noise_hi);
        printf("rows that stay on one thread (noise): 2 threads / 1 thread = %.2f .. %.2fx\n", noise_lo, noise_hi);
    }
    for (int busy = 0; busy <= 1; busy++) {
        if (!isfinite(worst[busy])) continue;
        bb_json_add_number(sum, busy ? "split_rows_min_busy" : "split_rows_min_idle", worst[busy]);
        cJSON_AddBoolToObject(sum, busy ? "two_below_one_busy" : "two_below_one_idle", worst[busy] < 0.95);
        printf("%s: lowest 2 threads / 1 thread of the split batches = %.2fx -> 2 threads %s 1 thread\n",
               busy ? "busy" : "idle", worst[busy], worst[busy] < 0.95 ? "FALL BELOW" : "do not fall below");
    }
    if (!rc) rc = bb_json_write_file(path, root, &c);
    if (rc)
        fprintf(stderr, "bench_energy: %s\n", c.msg);
    else
        printf("wrote %s\n", path);
    cJSON_Delete(root);
    free(x);
    free(g);
    free(u);
    return rc ? 1 : 0;
}
