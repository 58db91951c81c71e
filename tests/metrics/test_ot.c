/* test_ot.c — exact assignment (against brute force and the 1-D sorted coupling),
 * exact OT, seeded subsampling, Kabsch and the permutation+rotation alignment
 * (against brute force over all permutations).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <omp.h>

#include "harness/metrics/metric_lib.h"
#include "harness/core/rng.h"
#include "tests/metrics/testutil.h"

/* Next permutation of p[0..n) in lexicographic order; 0 after the last one. */
static int next_permutation(int n, int *p) {
    int k = n - 2;
    while (k >= 0 && p[k] > p[k + 1]) k--;
    if (k < 0) return 0;
    int l = n - 1;
    while (p[l] < p[k]) l--;
    int t = p[k];
    p[k] = p[l];
    p[l] = t;
    for (int lo = k + 1, hi = n - 1; lo < hi; lo++, hi--) {
        t = p[lo];
        p[lo] = p[hi];
        p[hi] = t;
    }
    return 1;
}

/* Minimum over all n! permutations. */
static double brute_lap(int n, const double *C) {
    int p[8];
    for (int i = 0; i < n; i++) p[i] = i;
    double best = INFINITY;
    do {
        double s = 0.0;
        for (int k = 0; k < n; k++) s += C[k * n + p[k]];
        best = s < best ? s : best;
    } while (next_permutation(n, p));
    return best;
}

static void assignment_matches_brute_force_up_to_8(void **state) {
    (void)state;
    bb_rng r;
    bb_rng_init(&r, 2385, 9);
    bb_ctx c = {0};
    for (int trial = 0; trial < 300; trial++) {
        int n = 1 + trial % 8;
        double C[64];
        for (int k = 0; k < n * n; k++) {
            C[k] = bb_rng_uniform(&r) * 10.0;
            if (trial % 3 == 0) C[k] = floor(C[k]); /* ties */
        }
        int x[8], seen[8] = {0};
        double cost;
        assert_int_equal(bb_lap_solve(n, C, x, &cost, &c), BB_OK);
        double s = 0.0;
        for (int i = 0; i < n; i++) {
            assert_true(x[i] >= 0 && x[i] < n && !seen[x[i]]);
            seen[x[i]] = 1;
            s += C[i * n + x[i]];
        }
        double want = brute_lap(n, C);
        if (fabs(cost - want) > 1e-12 || fabs(s - cost) > 1e-12) {
            printf("trial %d n %d: lap %.15g brute %.15g\n", trial, n, cost, want);
            fail();
        }
    }
    printf("  300 random problems (n = 1..8, some with ties) match brute force to 1e-12\n");
    double C[4] = {1.0, NAN, 0.0, 1.0};
    int x[2];
    double cost;
    assert_int_equal(bb_lap_solve(2, C, x, &cost, &c), BB_ENAN);
}

/* The sparse-candidate solver must reach the dense solver's optimum on every kind of
 * problem: high- and low-dimensional squared distances, duplicated points, integer
 * costs with many ties, and a matrix whose optimum lies far outside each row's best
 * candidates (certificate + dense repair path). */
static void fast_assignment_matches_the_dense_solver(void **state) {
    (void)state;
    bb_rng r;
    bb_rng_init(&r, 2386, 9);
    bb_ctx c = {0};
    int sizes[] = {300, 520, 700, 1000}; /* 300: the dense solver; the others: lazy lists */
    int kinds = 5, checked = 0;
    for (int si = 0; si < 4; si++)
        for (int kind = 0; kind < kinds; kind++) {
            int n = sizes[si];
            size_t d = kind == 0 ? 39 : (kind == 1 ? 2 : 1);
            double *A = malloc((size_t)n * d * sizeof *A), *B = malloc((size_t)n * d * sizeof *B);
            double *C = malloc((size_t)n * n * sizeof *C);
            int *x1 = malloc((size_t)n * sizeof *x1), *x2 = malloc((size_t)n * sizeof *x2);
            for (size_t q = 0; q < (size_t)n * d; q++) {
                A[q] = bb_rng_normal(&r);
                B[q] = bb_rng_normal(&r) + 0.3;
            }
            if (kind == 2) /* duplicates: B drawn from A */
                for (int i = 0; i < n; i++) B[i] = A[bb_rng_below(&r, (uint64_t)n)];
            assert_int_equal(bb_sqdist_matrix((size_t)n, (size_t)n, d, A, B, C, &c), BB_OK);
            if (kind == 3) /* integer costs, many ties */
                for (size_t q = 0; q < (size_t)n * n; q++) C[q] = (double)bb_rng_below(&r, 5);
            if (kind == 4) /* each row's cheap columns are shared: optimum far from candidates */
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        C[(size_t)i * n + j] =
                            (j < 30 ? 0.0 : 10.0) + 0.001 * bb_rng_uniform(&r) + (double)((i * 7 + j * 13) % n) * 1e-4;
            double c1, c2;
            assert_int_equal(bb_lap_solve(n, C, x1, &c1, &c), BB_OK);
            assert_int_equal(bb_lap_solve_fast(n, C, x2, &c2, &c), BB_OK);
            int *seen = calloc((size_t)n, sizeof *seen);
            for (int i = 0; i < n; i++) {
                assert_true(x2[i] >= 0 && x2[i] < n && !seen[x2[i]]);
                seen[x2[i]] = 1;
            }
            if (fabs(c1 - c2) > 1e-10 * (1.0 + fabs(c1))) {
                printf("n %d kind %d: dense %.15g fast %.15g\n", n, kind, c1, c2);
                fail();
            }
            checked++;
            free(seen);
            free(A);
            free(B);
            free(C);
            free(x1);
            free(x2);
        }
    printf(
        "  %d problems (n = 300..1000; 39-D, 2-D, 1-D duplicates, integer ties, adversarial): fast = dense optimum\n",
        checked);
}

/* 1-D squared cost: the optimal assignment is the sorted coupling, so the assignment
 * mean equals the sort-based W2² of w1d.c (an independent algorithm). */
static void assignment_equals_sorted_coupling_in_1d(void **state) {
    (void)state;
    int n = 700;
    double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    bb_rng r;
    bb_rng_init(&r, 3, 1);
    for (int i = 0; i < n; i++) {
        a[i] = bb_rng_normal(&r);
        b[i] = 0.5 + 2.0 * bb_rng_uniform(&r);
    }
    bb_ctx c = {0};
    double ot, w1d;
    assert_int_equal(bb_ot_exact_w2sq((size_t)n, 1, a, b, &ot, &c), BB_OK);
    assert_int_equal(bb_w1d_pow((size_t)n, a, NULL, (size_t)n, b, NULL, 2.0, &w1d, &c), BB_OK);
    CHECK_CLOSE(ot, w1d, 1e-12 * w1d);
    free(a);
    free(b);
}

/* Exact OT at the metric's size class (lazy lists, dgemm cost): the same bits on 1 and 2
 * threads, and the value of the dense solver on the exact-difference cost to 1e-12. The
 * clouds are clustered (15 centres), so the assignment has near-ties between clusters. */
static void exact_ot_is_thread_independent_and_matches_the_dense_solver(void **state) {
    (void)state;
    size_t n = 1100, d = 39;
    double *pts = malloc((2 * n + 15) * d * sizeof *pts), *a = pts, *b = a + n * d, *ctr = b + n * d;
    double *costs = malloc(2 * n * n * sizeof *costs), *C = costs, *Cg = costs + n * n;
    int *x = malloc(n * sizeof *x);
    bb_rng r;
    bb_rng_init(&r, 7, 1);
    for (size_t q = 0; q < 15 * d; q++) ctr[q] = 2.0 * bb_rng_normal(&r);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < d; k++) {
            a[i * d + k] = ctr[(i % 15) * d + k] + bb_rng_normal(&r);
            b[i * d + k] = ctr[(i * 7 % 15) * d + k] + 0.2 + bb_rng_normal(&r);
        }
    bb_ctx c = {0};
    double w1, w2, dense;
    omp_set_num_threads(1);
    assert_int_equal(bb_ot_exact_w2sq(n, d, a, b, &w1, &c), BB_OK);
    assert_int_equal(bb_sqdist_matrix_gemm(n, n, d, a, b, Cg, &c), BB_OK);
    omp_set_num_threads(2);
    assert_int_equal(bb_ot_exact_w2sq(n, d, a, b, &w2, &c), BB_OK);
    assert_memory_equal(&w1, &w2, sizeof w1);
    assert_int_equal(bb_sqdist_matrix_gemm(n, n, d, a, b, C, &c), BB_OK);
    assert_memory_equal(C, Cg, n * n * sizeof *C);
    assert_int_equal(bb_sqdist_matrix(n, n, d, a, b, C, &c), BB_OK);
    double maxd = 0.0;
    for (size_t q = 0; q < n * n; q++) maxd = fmax(maxd, fabs(C[q] - Cg[q]) / (1.0 + C[q]));
    printf("  dgemm cost vs exact differences: max relative difference %.3g\n", maxd);
    assert_true(maxd < 1e-13);
    assert_int_equal(bb_lap_solve((int)n, C, x, &dense, &c), BB_OK);
    CHECK_CLOSE(w1, dense / (double)n, 1e-12 * w1);
    free(pts);
    free(costs);
    free(x);
}

/* Two point clouds in 5-D that are the same set in a different order: W2 = 0. */
static void exact_ot_of_a_permuted_copy_is_zero(void **state) {
    const size_t n = 400, d = 5;
    double *a = malloc(2 * n * d * sizeof *a), *b = a + n * d; /* b: a permuted copy of a */
    (void)state;
    bb_rng r;
    bb_rng_init(&r, 4, 1);
    for (size_t i = 0; i < n * d; i++) a[i] = bb_rng_normal(&r);
    for (size_t i = 0; i < n; i++) memcpy(b + ((i * 7) % n) * d, a + i * d, d * sizeof *a);
    bb_ctx c = {0};
    double ot;
    assert_int_equal(bb_ot_exact_w2sq(n, d, a, b, &ot, &c), BB_OK);
    CHECK_CLOSE(ot, 0.0, 0.0);
    double *C = malloc(n * n * sizeof *C), ci[2];
    assert_int_equal(bb_sqdist_matrix(n, n, d, a, b, C, &c), BB_OK);
    CHECK_CLOSE(C[1 * n + 7], 0.0, 0.0);
    for (size_t k = 0; k < d; k++) b[k] += 1.0; /* move one point by 1 along every axis */
    assert_int_equal(bb_sqdist_matrix(n, n, d, a, b, C, &c), BB_OK);
    double mean;
    assert_int_equal(bb_ot_assign_mean((int)n, C, &mean, &c), BB_OK);
    assert_true(mean > 0.0 && mean <= (double)d / (double)n);
    /* the matched-pairs CI: same mean, interval around sqrt(mean) */
    double mean2, cim[2];
    assert_int_equal(bb_ot_assign_mean_ci((int)n, C, 200, 5, 0x50060000u, &mean2, cim, &c), BB_OK);
    CHECK_CLOSE(mean2, mean, 1e-15);
    assert_true(cim[0] <= sqrt(mean) && sqrt(mean) <= cim[1]);
    assert_int_equal(bb_ot_assign_mean_ci((int)n, C, 1, 5, 0, &mean2, cim, &c), BB_EINVAL);
    /* bootstrap of a fixed cost matrix: same on 1 and 2 threads, brackets the value */
    double ci2[2];
    omp_set_num_threads(1);
    assert_int_equal(bb_ot_bootstrap_sqrt(60, C, 20, 1, 0x50060000u, ci, &c), BB_OK);
    omp_set_num_threads(2);
    assert_int_equal(bb_ot_bootstrap_sqrt(60, C, 20, 1, 0x50060000u, ci2, &c), BB_OK);
    assert_memory_equal(ci, ci2, sizeof ci);
    assert_true(ci[0] <= ci[1] && ci[1] > 0.0);
    free(C);
    free(a);
}

static void subsampling_is_seeded_and_follows_weights(void **state) {
    size_t idx[50], idx2[50];
    bb_ctx c = {0};
    (void)state;
    assert_int_equal(bb_subsample_indices(100, 50, NULL, 8, 0x5000ffffu, idx, &c), BB_OK);
    assert_int_equal(bb_subsample_indices(100, 50, NULL, 8, 0x5000ffffu, idx2, &c), BB_OK);
    assert_memory_equal(idx, idx2, sizeof idx);
    int seen[100] = {0};
    for (int i = 0; i < 50; i++) {
        assert_true(idx[i] < 100 && !seen[idx[i]]);
        seen[idx[i]] = 1;
    }
    /* systematic resampling: item counts are floor or ceil of k·w_i/Σw */
    double w[4] = {1.0, 0.0, 3.0, 6.0};
    size_t k = 1000, *id = malloc(k * sizeof *id);
    assert_int_equal(bb_subsample_indices(4, k, w, 8, 1, id, &c), BB_OK);
    int cnt[4] = {0};
    for (size_t i = 0; i < k; i++) cnt[id[i]]++;
    printf("  systematic counts %d %d %d %d (want 100 0 300 600 +-1)\n", cnt[0], cnt[1], cnt[2], cnt[3]);
    assert_true(abs(cnt[0] - 100) <= 1 && cnt[1] == 0 && abs(cnt[2] - 300) <= 1 && abs(cnt[3] - 600) <= 1);
    free(id);
    assert_int_equal(bb_subsample_indices(10, 11, NULL, 8, 1, idx, &c), BB_EINVAL);
}

static void random_rotation(bb_rng *r, double R[9]) {
    /* unit quaternion → rotation matrix */
    double q[4], s = 0.0;
    for (int k = 0; k < 4; k++) {
        q[k] = bb_rng_normal(r);
        s += q[k] * q[k];
    }
    s = sqrt(s);
    for (int k = 0; k < 4; k++) q[k] /= s;
    double a = q[0], b = q[1], c = q[2], d = q[3];
    double M[9] = {a * a + b * b - c * c - d * d, 2 * (b * c - a * d),           2 * (b * d + a * c),
                   2 * (b * c + a * d),           a * a - b * b + c * c - d * d, 2 * (c * d - a * b),
                   2 * (b * d - a * c),           2 * (c * d + a * b),           a * a - b * b - c * c + d * d};
    memcpy(R, M, sizeof M);
}

static double resid(int P, const double *x, const double *y, const double *R) {
    double s = 0.0;
    for (int i = 0; i < P; i++)
        for (int a = 0; a < 3; a++) {
            double v = x[i * 3 + a];
            for (int b = 0; b < 3; b++) v -= R[a * 3 + b] * y[i * 3 + b];
            s += v * v;
        }
    return s;
}

/* Kabsch recovers an exact rotation, beats 2000 random rotations on noisy data, and
 * the det fix separates a mirror image from its rotations. */
static void kabsch_is_optimal_and_respects_the_det_fix(void **state) {
    (void)state;
    bb_rng r;
    bb_rng_init(&r, 5, 1);
    int P = 7;
    double y[21], x[21], Rt[9], R[9], sq;
    for (int k = 0; k < 21; k++) y[k] = bb_rng_normal(&r);
    bb_center(P, 3, y, y);
    random_rotation(&r, Rt);
    for (int i = 0; i < P; i++)
        for (int a = 0; a < 3; a++) {
            x[i * 3 + a] = 0.0;
            for (int b = 0; b < 3; b++) x[i * 3 + a] += Rt[a * 3 + b] * y[i * 3 + b];
        }
    assert_int_equal(bb_kabsch(P, 3, x, y, NULL, 0, R, &sq), BB_OK);
    CHECK_CLOSE(sq, 0.0, 1e-20);
    for (int k = 0; k < 9; k++) assert_true(fabs(R[k] - Rt[k]) < 1e-12);
    for (int k = 0; k < 21; k++) x[k] += 0.3 * bb_rng_normal(&r);
    bb_center(P, 3, x, x);
    assert_int_equal(bb_kabsch(P, 3, x, y, NULL, 0, R, &sq), BB_OK);
    CHECK_CLOSE(resid(P, x, y, R), sq, 1e-12);
    for (int t = 0; t < 2000; t++) {
        double Rr[9];
        random_rotation(&r, Rr);
        assert_true(resid(P, x, y, Rr) >= sq - 1e-12);
    }
    /* mirror image: x = −y (inversion, det −1) */
    for (int k = 0; k < 21; k++) x[k] = -y[k];
    assert_int_equal(bb_kabsch(P, 3, x, y, NULL, 1, R, &sq), BB_OK);
    CHECK_CLOSE(sq, 0.0, 1e-20);
    double sq_rot;
    assert_int_equal(bb_kabsch(P, 3, x, y, NULL, 0, R, &sq_rot), BB_OK);
    double det =
        R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
    CHECK_CLOSE(det, 1.0, 1e-12);
    assert_true(sq_rot > 0.1);
    /* 2-D closed form: an exact rotation by 2.385 rad and a mirror image */
    double y2[10], x2[10], R2[4];
    for (int k = 0; k < 10; k++) y2[k] = bb_rng_normal(&r);
    bb_center(5, 2, y2, y2);
    double cs = cos(2.385), sn = sin(2.385);
    for (int i = 0; i < 5; i++) {
        x2[2 * i] = cs * y2[2 * i] - sn * y2[2 * i + 1];
        x2[2 * i + 1] = sn * y2[2 * i] + cs * y2[2 * i + 1];
    }
    assert_int_equal(bb_kabsch(5, 2, x2, y2, NULL, 0, R2, &sq), BB_OK);
    CHECK_CLOSE(sq, 0.0, 1e-20);
    CHECK_CLOSE(R2[2], sn, 1e-14);
    for (int i = 0; i < 5; i++) x2[2 * i] = -x2[2 * i];
    assert_int_equal(bb_kabsch(5, 2, x2, y2, NULL, 1, R2, &sq), BB_OK);
    CHECK_CLOSE(sq, 0.0, 1e-20);
}

/* Brute force over all 5! permutations with Kabsch for each; the alignment must
 * agree both in exhaustive mode and in the multi-start heuristic mode. */
static void permutation_alignment_matches_brute_force_for_5_atoms(void **state) {
    (void)state;
    bb_rng r;
    bb_rng_init(&r, 6, 1);
    const int P = 5;
    bb_align_ws *ws = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_align_ws_alloc(P, 3, &ws, &c), BB_OK);
    int heur_exact = 0;
    for (int t = 0; t < 60; t++) {
        double x[15], y[15], xc[15], yc[15], Rt[9];
        for (int k = 0; k < 15; k++) x[k] = 1.5 * bb_rng_normal(&r);
        /* y = permuted, rotated, noisy, shifted copy of x (noise grows with t) */
        random_rotation(&r, Rt);
        int perm[5] = {3, 0, 4, 1, 2};
        double noise = 0.01 * (t % 20);
        for (int i = 0; i < P; i++)
            for (int a = 0; a < 3; a++) {
                double v = 0.0;
                for (int b = 0; b < 3; b++) v += Rt[a * 3 + b] * x[perm[i] * 3 + b];
                y[i * 3 + a] = v + noise * bb_rng_normal(&r) + 0.7;
            }
        bb_center(P, 3, x, xc);
        bb_center(P, 3, y, yc);
        for (int refl = 0; refl <= 1; refl++) {
            /* brute force over all 5! permutations */
            double best = INFINITY, R[9], sq;
            int p[5] = {0, 1, 2, 3, 4};
            do {
                bb_kabsch(P, 3, xc, yc, p, refl, R, &sq);
                best = sq < best ? sq : best;
            } while (next_permutation(P, p));
            bb_align_opts ex = {refl, 8, 20, 0.0}, he = {refl, 0, 20, 0.0};
            double s_ex, s_he;
            int pe[5];
            assert_int_equal(bb_align_perm(&ex, x, y, ws, &s_ex, pe), BB_OK);
            assert_int_equal(bb_align_perm(&he, x, y, ws, &s_he, NULL), BB_OK);
            assert_true(fabs(s_ex - best) <= 1e-10 * (1.0 + best));
            assert_true(s_he >= best - 1e-10 * (1.0 + best)); /* an upper bound, never below */
            heur_exact += fabs(s_he - best) <= 1e-10 * (1.0 + best);
        }
    }
    printf("  exhaustive = brute force in 120/120 cases; multi-start heuristic exact in %d/120\n", heur_exact);
    assert_true(heur_exact >= 114); /* small noise: the principal-axes starts reach the optimum */
    bb_align_ws_free(ws);
    bb_align_ws_free(NULL);
    assert_int_equal(bb_align_ws_alloc(3, 4, &ws, &c), BB_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(assignment_matches_brute_force_up_to_8),
        cmocka_unit_test(fast_assignment_matches_the_dense_solver),
        cmocka_unit_test(assignment_equals_sorted_coupling_in_1d),
        cmocka_unit_test(exact_ot_is_thread_independent_and_matches_the_dense_solver),
        cmocka_unit_test(exact_ot_of_a_permuted_copy_is_zero),
        cmocka_unit_test(subsampling_is_seeded_and_follows_weights),
        cmocka_unit_test(kabsch_is_optimal_and_respects_the_det_fix),
        cmocka_unit_test(permutation_alignment_matches_brute_force_for_5_atoms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
