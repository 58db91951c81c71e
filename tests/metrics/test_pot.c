/* test_pot.c — optional cross-check against POT (python3-pot) through /usr/bin/python3:
 * weighted 1-D W2² (ot.wasserstein_1d), exact OT (ot.emd2) on 39-D and 2-D point sets,
 * and Sinkhorn (ot.sinkhorn2 on M/M.max(), reg 0.05). Skips cleanly, with the reason
 * printed, when python3, numpy or POT is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "datasets/npy.h"
#include "harness/metrics/metric_lib.h"
#include "harness/core/rng.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

static int have_pot(void) {
    if (access("/usr/bin/python3", X_OK) != 0) {
        printf("skip: /usr/bin/python3 not found\n");
        return 0;
    }
    if (system("/usr/bin/python3 -c 'import numpy, ot' > /dev/null 2>&1") != 0) {
        printf("skip: /usr/bin/python3 has no numpy or POT (apt install python3-pot)\n");
        return 0;
    }
    return 1;
}

/* Run POT on the arrays in dir and return the 3 numbers it prints. */
static int run_pot(const char *dir, double out[3]) {
    char py[512], cmd[1200], res[512];
    snprintf(py, sizeof py, "%s/x.py", dir);
    snprintf(res, sizeof res, "%s/out.txt", dir);
    FILE *fp = fopen(py, "w");
    if (!fp) return -1;
    fprintf(fp, "import sys, numpy as np, ot\nd = sys.argv[1]\n"
                "a = np.load(d + '/a.npy'); wa = np.load(d + '/wa.npy'); b = np.load(d + '/b.npy')\n"
                "w1 = ot.wasserstein_1d(a, b, wa / wa.sum(), np.full(len(b), 1.0 / len(b)), p=2)\n"
                "X = np.load(d + '/X.npy'); Y = np.load(d + '/Y.npy'); M = ot.dist(X, Y)\n"
                "u = np.full(len(X), 1.0 / len(X))\n"
                "e = ot.emd2(u, u, M, numItermax=10000000)\n"
                "s = ot.sinkhorn2(u, u, M / M.max(), 0.05) * M.max()\n"
                "print(repr(float(w1)), repr(float(e)), repr(float(np.asarray(s).ravel()[0])))\n");
    fclose(fp);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s > %s 2>&1", py, dir, res);
    if (system(cmd) != 0) return -1;
    fp = fopen(res, "r");
    if (!fp) return -1;
    int k = fscanf(fp, "%lf %lf %lf", &out[0], &out[1], &out[2]);
    fclose(fp);
    return k == 3 ? 0 : -1;
}

BB_TEST(metrics_agree_with_pot) {
    if (!have_pot()) skip();
    char dir[] = "/tmp/bbpotXXXXXX";
    assert_non_null(mkdtemp(dir));
    bb_rng r;
    bb_rng_init(&r, 41, 1);
    bb_ctx c = {0};
    size_t na = 700, nb = 500, shape[2];
    double *a = malloc(na * sizeof *a), *wa = malloc(na * sizeof *wa), *b = malloc(nb * sizeof *b);
    for (size_t i = 0; i < na; i++) a[i] = bb_rng_normal(&r), wa[i] = 0.2 + bb_rng_uniform(&r);
    for (size_t i = 0; i < nb; i++) b[i] = 0.5 + 1.3 * bb_rng_normal(&r);
    char p[600];
    for (int dims = 0; dims < 2; dims++) {
        size_t n = 700, d = dims == 0 ? 39 : 2; /* n >= 512: the lazy-list solver */
        double *X = malloc(n * d * sizeof *X), *Y = malloc(n * d * sizeof *Y), *C = malloc(n * n * sizeof *C);
        double *u = malloc(n * sizeof *u);
        for (size_t i = 0; i < n * d; i++) X[i] = bb_rng_normal(&r), Y[i] = 0.3 + bb_rng_normal(&r);
        for (size_t i = 0; i < n; i++) u[i] = 1.0 / (double)n;
        shape[0] = na;
        snprintf(p, sizeof p, "%s/a.npy", dir);
        assert_int_equal(bb_npy_write(p, a, 1, shape, &c), BB_OK);
        snprintf(p, sizeof p, "%s/wa.npy", dir);
        assert_int_equal(bb_npy_write(p, wa, 1, shape, &c), BB_OK);
        shape[0] = nb;
        snprintf(p, sizeof p, "%s/b.npy", dir);
        assert_int_equal(bb_npy_write(p, b, 1, shape, &c), BB_OK);
        shape[0] = n;
        shape[1] = d;
        snprintf(p, sizeof p, "%s/X.npy", dir);
        assert_int_equal(bb_npy_write(p, X, 2, shape, &c), BB_OK);
        snprintf(p, sizeof p, "%s/Y.npy", dir);
        assert_int_equal(bb_npy_write(p, Y, 2, shape, &c), BB_OK);
        double pot[3];
        if (run_pot(dir, pot) != 0) {
            printf("skip: the POT script failed\n");
            skip();
        }
        double w1, e, s;
        assert_int_equal(bb_w1d_pow(na, a, wa, nb, b, NULL, 2.0, &w1, &c), BB_OK);
        assert_int_equal(bb_ot_exact_w2sq(n, d, X, Y, &e, &c), BB_OK);
        assert_int_equal(bb_sqdist_matrix(n, n, d, X, Y, C, &c), BB_OK);
        assert_int_equal(bb_sinkhorn(n, n, C, u, u, 0.05, 1000, 1e-9, &s, NULL, NULL, &c), BB_OK);
        printf("  d=%zu: w1d W2^2 %.12g (POT %.12g)  emd2 %.12g (POT %.12g)  sinkhorn %.10g (POT %.10g)\n", d, w1,
               pot[0], e, pot[1], s, pot[2]);
        CHECK_CLOSE(w1, pot[0], 1e-10 * pot[0]);
        CHECK_CLOSE(e, pot[1], 1e-9 * pot[1]);
        CHECK_CLOSE(s, pot[2], 1e-6 * pot[2]);
        free(X);
        free(Y);
        free(C);
        free(u);
    }
    const char *files[] = {"a.npy", "wa.npy", "b.npy", "X.npy", "Y.npy", "x.py", "out.txt"};
    for (int k = 0; k < 7; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[k]);
        remove(p);
    }
    rmdir(dir);
    free(a);
    free(wa);
    free(b);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(metrics_agree_with_pot))
