/* bench_metrics.c — cost of every metric on LJ-13 for n = 1000, 5000, 10000 samples, and
 * the exact-OT kernel (2000 × 2000, 39-D, squared Euclidean) against POT in the same run.
 *
 * Reference: the committed iDEM LJ-13 test split (datasets/reference/lj13-idem-test.npy.gz,
 * 10000 × 39). Samples: n configurations drawn from it with replacement plus N(0, 0.05²)
 * noise (seed 1), so every metric has work to do. Each metric of the registry is timed
 * alone through its compute() with bootstrap CIs on (what a final report costs). The
 * exact OT row times bb_ot_exact_w2sq on the first 2000 vs the next 2000 reference
 * configurations (centred) and, when /usr/bin/python3 has POT (python3-pot), ot.emd2 on
 * the same arrays (written as .npy), then checks the two values agree.
 *
 * Output: JSON at --out FILE.json (on stdout without it). Numbers are not asserted (bench/
 * convention). Runs with boltzbench's thread policy (harness/cli/main.c): passive OpenMP
 * waiting, single-threaded BLAS.
 * Usage: bench_metrics [--out FILE.json] [--sizes 1000,5000,10000] [--no-pot]
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

/* Run POT's emd2 on A, B (n × d) from .npy files; returns seconds or NAN. */
static double pot_emd2(const double *A, const double *B, size_t n, size_t d, double *value, double *sk_value,
                       double *sk_time) {
    char pa[256], pb[256], py[256], outp[256], cmd[2048];
    int pid = (int)getpid();
    snprintf(pa, sizeof pa, "/tmp/bench_metrics_A_%d.npy", pid);
    snprintf(pb, sizeof pb, "/tmp/bench_metrics_B_%d.npy", pid);
    snprintf(py, sizeof py, "/tmp/bench_metrics_%d.py", pid);
    snprintf(outp, sizeof outp, "/tmp/bench_metrics_%d.out", pid);
    size_t shape[2] = {n, d};
    bb_ctx c = {0};
    if (bb_npy_write(pa, A, 2, shape, &c) || bb_npy_write(pb, B, 2, shape, &c)) return NAN;
    FILE *fp = fopen(py, "w");
    if (!fp) return NAN;
    fprintf(fp, "import sys, time\nimport numpy as np\nimport ot\n"
                "A = np.load(sys.argv[1]); B = np.load(sys.argv[2])\n"
                "M = ot.dist(A, B)\nw = np.full(len(A), 1.0 / len(A))\n"
                "best = 1e9\nfor _ in range(3):\n    t = time.perf_counter(); v = ot.emd2(w, w, M, "
                "numItermax=10000000); best = min(best, time.perf_counter() - t)\n"
                "w1 = np.full(1000, 1.0 / 1000)\n"
                "t = time.perf_counter(); s = ot.sinkhorn2(w1, w1, M[:1000, :1000] / M[:1000, :1000].max(), 0.05); ts "
                "= time.perf_counter() - t\n"
                "print(repr(float(v)), best, repr(float(np.asarray(s).ravel()[0]) * M[:1000, :1000].max()), ts)\n");
    fclose(fp);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s > %s 2>/dev/null", py, pa, pb, outp);
    int rc = system(cmd);
    double t = NAN;
    fp = fopen(outp, "r");
    if (rc == 0 && fp) {
        if (fscanf(fp, "%lf %lf %lf %lf", value, &t, sk_value, sk_time) != 4) t = NAN;
    }
    if (fp) fclose(fp);
    remove(pa);
    remove(pb);
    remove(py);
    remove(outp);
    return t;
}

int main(int argc, char **argv) {
    bb_omp_wait_policy_init(argv); /* as boltzbench runs (harness/cli/main.c) */
    openblas_set_num_threads(1);
    const char *out = NULL;
    size_t sizes[8] = {1000, 5000, 10000}, nsz = 3;
    int use_pot = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--no-pot")) {
            use_pot = 0;
        } else if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
            nsz = 0;
            for (char *s = strtok(argv[++i], ","); s && nsz < 8; s = strtok(NULL, ",")) sizes[nsz++] = (size_t)atol(s);
        } else {
            fprintf(stderr, "usage: bench_metrics [--out FILE.json] [--sizes a,b,c] [--no-pot]\n");
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
        bb_eval_input in = {t, &s, us, &ref, ur, 7, 1};
        cJSON *row = cJSON_CreateObject(), *tm = cJSON_AddObjectToObject(row, "seconds"),
              *vals = cJSON_AddObjectToObject(row, "values");
        cJSON_AddNumberToObject(row, "n_samples", (double)n);
        for (size_t m = 0; bb_metrics[m]; m++) {
            cJSON *o = cJSON_CreateObject();
            double t0 = bb_wall_s();
            int rc = bb_metrics[m]->compute(&in, o, &c);
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
    /* exact OT 2000 × 2000, 39-D, centred LJ-13 coordinates */
    size_t n = 2000, d = ref.dof;
    if (ref.n >= 2 * n) {
        double *A = malloc(n * d * sizeof *A), *B = malloc(n * d * sizeof *B);
        for (size_t i = 0; i < n; i++) {
            bb_center(13, 3, ref.x + i * d, A + i * d);
            bb_center(13, 3, ref.x + (n + i) * d, B + i * d);
        }
        double best = INFINITY, w2sq = NAN;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = bb_wall_s();
            if (bb_ot_exact_w2sq(n, d, A, B, &w2sq, &c)) break;
            double dt = bb_wall_s() - t0;
            if (dt < best) best = dt;
        }
        /* the same OT through sinkhorn at n = 1000 (POT convention) */
        double *C = malloc(1000 * 1000 * sizeof *C), a[1000], skv = NAN, tsk = NAN;
        for (int i = 0; i < 1000; i++) a[i] = 1.0 / 1000;
        if (C && !bb_sqdist_matrix(1000, 1000, d, A, B, C, &c)) {
            double t0 = bb_wall_s();
            if (!bb_sinkhorn(1000, 1000, C, a, a, 0.05, 1000, 1e-9, &skv, NULL, NULL, &c)) tsk = bb_wall_s() - t0;
        }
        free(C);
        cJSON *ot = cJSON_AddObjectToObject(root, "exact_ot_2000x2000_39d");
        cJSON_AddNumberToObject(ot, "boltzbench_seconds", best);
        cJSON_AddNumberToObject(ot, "boltzbench_w2sq", w2sq);
        bb_json_add_number(ot, "boltzbench_sinkhorn_1000_seconds", tsk);
        bb_json_add_number(ot, "boltzbench_sinkhorn_1000_cost", skv);
        if (use_pot) {
            double pv = NAN, psk = NAN, ptsk = NAN;
            double pt = pot_emd2(A, B, n, d, &pv, &psk, &ptsk);
            if (isfinite(pt)) {
                cJSON_AddNumberToObject(ot, "pot_emd2_seconds", pt);
                cJSON_AddNumberToObject(ot, "pot_emd2_w2sq", pv);
                cJSON_AddNumberToObject(ot, "speedup_vs_pot", pt / best);
                cJSON_AddNumberToObject(ot, "relative_difference", fabs(pv - w2sq) / fabs(pv));
                cJSON_AddNumberToObject(ot, "pot_sinkhorn2_1000_seconds", ptsk);
                cJSON_AddNumberToObject(ot, "pot_sinkhorn2_1000_cost", psk);
            } else {
                cJSON_AddStringToObject(ot, "pot", "unavailable (/usr/bin/python3 with python3-pot not found)");
            }
        }
        fprintf(stderr, "exact OT 2000x2000: %.3f s\n", best);
        free(A);
        free(B);
    }
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
