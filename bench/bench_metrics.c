/* bench_metrics.c — cost of every metric on LJ-13 for n = 1000, 5000, 10000 samples, and
 * the exact-OT kernel against POT's emd2 in the same run.
 *
 * Reference: the committed iDEM LJ-13 test split (datasets/reference/lj13-idem-test.npy.gz,
 * 10000 × 39). Samples: n configurations drawn from it with replacement plus N(0, 0.05²)
 * noise (seed 1), so every metric has work to do. Each metric of the registry is timed
 * alone through its compute() with bootstrap CIs on (what a final report costs).
 *
 * Exact OT: bb_ot_exact_w2sq (cost matrix + assignment) on the first n vs the next n
 * reference configurations (centred), n = 2000 and 1000, on 1 and 2 OpenMP threads, best
 * of 3 each; then /usr/bin/python3 with POT (python3-pot) times ot.emd2 on the same arrays
 * (written as .npy; best of 3, the cost matrix ot.dist timed apart and NOT included), and
 * the JSON gets both timings, the ratio POT emd2 / ours, the relative difference of the
 * values and the load average before and after. Without python3, numpy or POT the JSON
 * says so and still has our timings.
 *
 * Output: JSON at --out FILE.json (on stdout without it). Numbers are not asserted (bench/
 * convention). Runs with boltzbench's thread policy (harness/cli/main.c): passive OpenMP
 * waiting, single-threaded BLAS.
 * Usage: bench_metrics [--out FILE.json] [--sizes 1000,5000,10000] [--ot-only] [--no-pot]
 */
#include <cblas.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets/npy.h"
#include "harness/core/clock.h"
#include "harness/core/jsonutil.h"
#include "harness/core/omp_policy.h"
#include "harness/core/source_dir.h"
#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "harness/core/rng.h"
#include "tasks/task.h"

static int load_reference(bb_samples *ref) {
    char cmd[8192], path[4096];
    const char *root = bb_source_dir();
    snprintf(path, sizeof path, "/tmp/bench_metrics_lj13_%d.npy", (int)getpid());
    snprintf(cmd, sizeof cmd, "gzip -dc '%s/datasets/reference/lj13-idem-test.npy.gz' > '%s'", root, path);
    if (system(cmd) != 0) return -1;
    bb_ctx c = {0};
    int rc = bb_npy_read_samples(path, (size_t)1 << 30, ref, &c);
    remove(path);
    if (rc) fprintf(stderr, "bench_metrics: %s\n", c.msg);
    return rc;
}

/* POT on the first ns[k] rows of A, B (n × d, from .npy files): emd2 seconds (best of 3),
 * value, ot.dist seconds per size, and sinkhorn2 at 1000 (value, seconds). Returns 0, or
 * -1 with why[] set when python3/numpy/POT is missing or fails. */
typedef struct {
    double emd2_s[4], emd2_v[4], dist_s[4], sk_v, sk_s;
} pot_result;

static int run_pot(const double *A, const double *B, size_t n, size_t d, const size_t *ns, int nn, pot_result *p,
                   char *why, size_t wlen) {
    char pa[256], pb[256], py[256], outp[256], cmd[2048];
    int pid = (int)getpid();
    if (access("/usr/bin/python3", X_OK) != 0) {
        snprintf(why, wlen, "unavailable: /usr/bin/python3 not found");
        return -1;
    }
    if (system("/usr/bin/python3 -c 'import numpy, ot' > /dev/null 2>&1") != 0) {
        snprintf(why, wlen, "unavailable: /usr/bin/python3 has no numpy or POT (apt install python3-pot)");
        return -1;
    }
    snprintf(pa, sizeof pa, "/tmp/bench_metrics_A_%d.npy", pid);
    snprintf(pb, sizeof pb, "/tmp/bench_metrics_B_%d.npy", pid);
    snprintf(py, sizeof py, "/tmp/bench_metrics_%d.py", pid);
    snprintf(outp, sizeof outp, "/tmp/bench_metrics_%d.out", pid);
    size_t shape[2] = {n, d};
    bb_ctx c = {0};
    FILE *fp = NULL;
    if (bb_npy_write(pa, A, 2, shape, &c) || bb_npy_write(pb, B, 2, shape, &c) || !(fp = fopen(py, "w"))) {
        snprintf(why, wlen, "failed: cannot write the arrays or the script under /tmp");
        return -1;
    }
    fprintf(fp, "import sys, time\nimport numpy as np\nimport ot\n"
                "A = np.load(sys.argv[1]); B = np.load(sys.argv[2])\n"
                "for n in map(int, sys.argv[3:]):\n"
                "    t = time.perf_counter(); M = ot.dist(A[:n], B[:n]); td = time.perf_counter() - t\n"
                "    w = np.full(n, 1.0 / n); best = 1e9\n"
                "    for _ in range(3):\n"
                "        t = time.perf_counter(); v = ot.emd2(w, w, M, numItermax=10000000)\n"
                "        best = min(best, time.perf_counter() - t)\n"
                "    print(repr(float(v)), best, td)\n"
                "M = ot.dist(A[:1000], B[:1000]); w1 = np.full(1000, 1.0 / 1000)\n"
                "t = time.perf_counter(); s = ot.sinkhorn2(w1, w1, M / M.max(), 0.05); ts = time.perf_counter() - t\n"
                "print(repr(float(np.asarray(s).ravel()[0]) * M.max()), ts)\n");
    fclose(fp);
    int len = snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", py, pa, pb);
    for (int k = 0; k < nn; k++) len += snprintf(cmd + len, sizeof cmd - (size_t)len, " %zu", ns[k]);
    snprintf(cmd + len, sizeof cmd - (size_t)len, " > %s 2>/dev/null", outp);
    int rc = system(cmd) == 0 ? 0 : -1;
    fp = fopen(outp, "r");
    for (int k = 0; !rc && fp && k < nn; k++)
        if (fscanf(fp, "%lf %lf %lf", &p->emd2_v[k], &p->emd2_s[k], &p->dist_s[k]) != 3) rc = -1;
    if (!rc && fp && fscanf(fp, "%lf %lf", &p->sk_v, &p->sk_s) != 2) rc = -1;
    if (!fp) rc = -1;
    if (fp) fclose(fp);
    if (rc) snprintf(why, wlen, "failed: the POT script did not print its results");
    remove(pa);
    remove(pb);
    remove(py);
    remove(outp);
    return rc;
}

static void add_loadavg(cJSON *o, const char *name) {
    double l[3] = {NAN, NAN, NAN};
    FILE *fp = fopen("/proc/loadavg", "r");
    if (fp) {
        if (fscanf(fp, "%lf %lf %lf", &l[0], &l[1], &l[2]) != 3) l[0] = l[1] = l[2] = NAN;
        fclose(fp);
    }
    cJSON *a = cJSON_AddArrayToObject(o, name);
    for (int k = 0; k < 3; k++) cJSON_AddItemToArray(a, cJSON_CreateNumber(l[k]));
}

/* Exact OT rows: ours on 1 and 2 threads for each size, POT's emd2 alongside. */
static void bench_exact_ot(const bb_samples *ref, int use_pot, cJSON *root) {
    const size_t ns[2] = {2000, 1000}, d = ref->dof, n = ns[0];
    if (ref->n < 2 * n) return;
    double *A = malloc(n * d * sizeof *A), *B = malloc(n * d * sizeof *B);
    if (!A || !B) return;
    for (size_t i = 0; i < n; i++) {
        bb_center(13, 3, ref->x + i * d, A + i * d);
        bb_center(13, 3, ref->x + (n + i) * d, B + i * d);
    }
    cJSON *ot = cJSON_AddObjectToObject(root, "exact_ot");
    cJSON_AddStringToObject(ot, "problem",
                            "W2^2, squared Euclidean cost, 39-D centred LJ-13 reference configurations: rows 0..n-1 "
                            "vs n..2n-1; ours = bb_ot_exact_w2sq (cost matrix included), POT = ot.emd2 on a "
                            "precomputed ot.dist matrix (cost matrix NOT included); best of 3 each");
    add_loadavg(ot, "load_average_before");
    cJSON *rows = cJSON_AddArrayToObject(ot, "runs");
    double ours[2][2], val[2] = {NAN, NAN};
    int saved = omp_get_max_threads();
    bb_ctx c = {0};
    for (int k = 0; k < 2; k++)
        for (int th = 1; th <= 2; th++) {
            omp_set_num_threads(th);
            double best = INFINITY, w2sq = NAN;
            for (int rep = 0; rep < 3; rep++) {
                double t0 = bb_wall_s();
                if (bb_ot_exact_w2sq(ns[k], d, A, B, &w2sq, &c)) break;
                best = fmin(best, bb_wall_s() - t0);
            }
            ours[k][th - 1] = best;
            if (th == 1)
                val[k] = w2sq;
            else if (memcmp(&w2sq, &val[k], sizeof w2sq))
                val[k] = NAN; /* must be bit-identical */
            fprintf(stderr, "exact OT n=%zu threads=%d: %.4f s  W2^2 %.17g\n", ns[k], th, best, w2sq);
        }
    omp_set_num_threads(saved);
    pot_result pr;
    char why[256] = "not run (--no-pot)";
    int have_pot = use_pot && run_pot(A, B, n, d, ns, 2, &pr, why, sizeof why) == 0;
    for (int k = 0; k < 2; k++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "n", (double)ns[k]);
        bb_json_add_number(r, "boltzbench_seconds_1_thread", ours[k][0]);
        bb_json_add_number(r, "boltzbench_seconds_2_threads", ours[k][1]);
        cJSON_AddItemToObject(r, "boltzbench_w2sq", bb_json_exact_number(val[k]));
        cJSON_AddBoolToObject(r, "same_bits_on_1_and_2_threads", isfinite(val[k]));
        if (have_pot) {
            cJSON_AddNumberToObject(r, "pot_emd2_seconds", pr.emd2_s[k]);
            cJSON_AddNumberToObject(r, "pot_dist_seconds", pr.dist_s[k]);
            cJSON_AddItemToObject(r, "pot_emd2_w2sq", bb_json_exact_number(pr.emd2_v[k]));
            double rel = fabs(pr.emd2_v[k] - val[k]) / fabs(pr.emd2_v[k]);
            bb_json_add_number(r, "relative_difference", rel);
            cJSON_AddBoolToObject(r, "values_agree_1e-9", rel <= 1e-9);
            bb_json_add_number(r, "speedup_vs_pot_1_thread", pr.emd2_s[k] / ours[k][0]);
            bb_json_add_number(r, "speedup_vs_pot_2_threads", pr.emd2_s[k] / ours[k][1]);
            fprintf(stderr, "POT emd2 n=%zu: %.4f s (ot.dist %.4f s)  W2^2 %.17g  speedup %.2fx / %.2fx\n", ns[k],
                    pr.emd2_s[k], pr.dist_s[k], pr.emd2_v[k], pr.emd2_s[k] / ours[k][0], pr.emd2_s[k] / ours[k][1]);
        }
        cJSON_AddItemToArray(rows, r);
    }
    if (!have_pot) cJSON_AddStringToObject(ot, "pot", why);
    add_loadavg(ot, "load_average_after");
    /* the same OT through sinkhorn at n = 1000 (POT's convention: cost scaled by its max) */
    double *C = malloc(1000 * 1000 * sizeof *C), a[1000], skv = NAN, tsk = NAN;
    for (int i = 0; i < 1000; i++) a[i] = 1.0 / 1000;
    if (C && !bb_sqdist_matrix(1000, 1000, d, A, B, C, &c)) {
        double t0 = bb_wall_s();
        if (!bb_sinkhorn(1000, 1000, C, a, a, 0.05, 1000, 1e-9, &skv, NULL, NULL, &c)) tsk = bb_wall_s() - t0;
    }
    free(C);
    cJSON *sk = cJSON_AddObjectToObject(root, "sinkhorn_1000_39d");
    bb_json_add_number(sk, "boltzbench_seconds", tsk);
    bb_json_add_number(sk, "boltzbench_cost", skv);
    if (have_pot) {
        cJSON_AddNumberToObject(sk, "pot_sinkhorn2_seconds", pr.sk_s);
        cJSON_AddNumberToObject(sk, "pot_sinkhorn2_cost", pr.sk_v);
    }
    free(A);
    free(B);
}

int main(int argc, char **argv) {
    bb_omp_wait_policy_init(argv); /* as boltzbench runs (harness/cli/main.c) */
    openblas_set_num_threads(1);
    const char *out = NULL;
    size_t sizes[8] = {1000, 5000, 10000}, nsz = 3;
    int use_pot = 1, ot_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--no-pot")) {
            use_pot = 0;
        } else if (!strcmp(argv[i], "--ot-only")) {
            ot_only = 1;
        } else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
            nsz = 0;
            for (char *s = strtok(argv[++i], ","); s && nsz < 8; s = strtok(NULL, ",")) sizes[nsz++] = (size_t)atol(s);
        } else {
            fprintf(stderr, "usage: bench_metrics [--out FILE.json] [--sizes a,b,c] [--ot-only] [--no-pot]\n");
            return 2;
        }
    }
    bb_ctx c = {0};
    bb_task *t = NULL;
    bb_samples ref = {0};
    if (bb_task_create("lj13", NULL, &t, &c) || load_reference(&ref)) {
        fprintf(stderr, "bench_metrics: %s\n", c.msg[0] ? c.msg : "cannot load the LJ-13 reference set");
        return 1;
    }
    double *ur = malloc(ref.n * sizeof *ur);
    if (!ur || bb_task_energy_parallel(t, ref.n, ref.x, ur, NULL, &c)) {
        fprintf(stderr, "bench_metrics: %s\n", c.msg);
        return 1;
    }
    cJSON *root = cJSON_CreateObject(), *runs = cJSON_AddArrayToObject(root, "metric_cost");
    cJSON_AddStringToObject(root, "task", t->id);
    cJSON_AddNumberToObject(root, "n_reference", (double)ref.n);
    cJSON_AddNumberToObject(root, "threads", omp_get_max_threads());
    cJSON_AddStringToObject(root, "note", "seconds per metric with bootstrap CIs (with_ci = 1), one call each");
    if (ot_only) {
        nsz = 0;
        cJSON_AddStringToObject(root, "metric_cost_skipped", "--ot-only");
    }
    for (size_t si = 0; si < nsz; si++) {
        size_t n = sizes[si];
        bb_samples s;
        if (bb_samples_alloc(&s, n, ref.dof, 0)) return 1;
        bb_rng r;
        bb_rng_init(&r, 1, 0x50ff0000u);
        for (size_t i = 0; i < n; i++) {
            size_t j = (size_t)bb_rng_below(&r, ref.n);
            for (size_t k = 0; k < ref.dof; k++)
                s.x[i * ref.dof + k] = ref.x[j * ref.dof + k] + 0.05 * bb_rng_normal(&r);
        }
        double *us = malloc(n * sizeof *us);
        if (!us || bb_task_energy_parallel(t, n, s.x, us, NULL, &c)) return 1;
        bb_eval_input in = {t, &s, us, &ref, ur, 7, 1, 0, NULL, 0};
        cJSON *row = cJSON_CreateObject(), *tm = cJSON_AddObjectToObject(row, "seconds"),
              *vals = cJSON_AddObjectToObject(row, "values");
        cJSON_AddNumberToObject(row, "n_samples", (double)n);
        for (size_t m = 0; bb_metrics[m]; m++) {
            cJSON *o = cJSON_CreateObject();
            double t0 = bb_wall_s();
            const bb_metric_opts defaults = {0}; /* the metric's defaults */
            int rc = bb_metrics[m]->compute(&in, &defaults, o, &c);
            double dt = bb_wall_s() - t0;
            if (rc) {
                fprintf(stderr, "bench_metrics: %s: %s\n", bb_metrics[m]->name, c.msg);
                cJSON_AddStringToObject(tm, bb_metrics[m]->name, "error");
            } else if (o->child) {
                cJSON_AddNumberToObject(tm, bb_metrics[m]->name, dt);
                for (cJSON *e = o->child; e; e = e->next) {
                    cJSON *v = cJSON_GetObjectItem(e, "value");
                    if (cJSON_IsNumber(v)) cJSON_AddNumberToObject(vals, e->string, v->valuedouble);
                }
            }
            fprintf(stderr, "n=%zu %-18s %.3f s\n", n, bb_metrics[m]->name, dt);
            cJSON_Delete(o);
        }
        cJSON_AddItemToArray(runs, row);
        free(us);
        bb_samples_free(&s);
    }
    bench_exact_ot(&ref, use_pot, root);
    char *text = cJSON_Print(root);
    if (out) {
        if (bb_json_write_file(out, root, &c)) fprintf(stderr, "bench_metrics: %s\n", c.msg);
    } else {
        printf("%s\n", text);
    }
    free(text);
    cJSON_Delete(root);
    free(ur);
    bb_samples_free(&ref);
    bb_task_free(t);
    return 0;
}
