/* test_lj.c — the Lennard-Jones tasks and kernels against values worked out by hand,
 * the known global minima, and each other.
 *
 *   - dimer and trimer energies in both conventions (arithmetic in the comments), exact
 *     to 1e-14;
 *   - the AVX2 / portable four-lane kernels agree with the plain reference kernel to
 *     1e-12 relative (energy) and 1e-12·max(1,|g|) (gradient), and lanes are independent
 *     (bitwise);
 *   - the icosahedral LJ13 and Mackay LJ55, built in code and relaxed with liblbfgs on
 *     the lj13-phys / lj55-phys tasks, have the Cambridge Cluster Database energies
 *     −44.326801 and −279.248470 to 1e-6 with |∇E| < 1e-6;
 *   - the conventions are related by u_iDEM(x) = 2 E_phys(2^{1/6} x) + ½Σ‖x_i − x̄‖²;
 *   - the soft wall of the phys tasks, the kT parameter, and +inf with zero gradient for
 *     coincident or numerically overlapping particles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lbfgs.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/jsonutil.h"
#include "tasks/lj_kernels.h"
#include "tasks/task.h"
#include "tests/tasks/tasks_testutil.h"
#include "tests/testutil.h"
#include "tests/testmain.h"

/* The four LJ tasks, both conventions. */
static const char *const lj_ids[4] = {"lj13", "lj55", "lj13-phys", "lj55-phys"};

static bb_task *make(const char *id, const char *params) {
    bb_ctx c = {0};
    bb_task *t = NULL;
    cJSON *j = params ? cJSON_Parse(params) : NULL;
    int rc = bb_task_create(id, j, &t, &c);
    cJSON_Delete(j);
    if (rc) fprintf(stderr, "%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    return t;
}

/* ---- hand-computed small clusters (kernel level; A, B as the tasks use them) ---- */

static const bb_lj_form phys_pairs = {BB_LJ_PHYS_A, BB_LJ_PHYS_B, 0.0, 0.0, 0.0};
static const bb_lj_form idem_pairs = {BB_LJ_IDEM_A, BB_LJ_IDEM_B, 0.0, 0.0, 0.0};
/* Kernel comparison: pure physical pairs, the full iDEM form, physical + a wall close
 * enough (R_c = 1.5) that most random configurations poke through it. */
static const bb_lj_form forms[3] = {{BB_LJ_PHYS_A, BB_LJ_PHYS_B, 0.0, 0.0, 0.0},
                                    {BB_LJ_PHYS_A, BB_LJ_PHYS_B, 0.0, 1.5, 1.0},
                                    {BB_LJ_IDEM_A, BB_LJ_IDEM_B, 1.0, 0.0, 0.0}};
static const char *const form_names[3] = {"phys", "phys+wall", "iDEM"};

BB_TEST(a_dimer_has_the_textbook_energies_in_both_conventions) {
    double x[6] = {0.3, -0.2, 0.1, 0.3, -0.2, 0.1}, g[6], e;
    /* Physical, r = 2^{1/6}: (σ/r)⁶ = 1/2, (σ/r)¹² = 1/4, E = 4(1/4 − 1/2) = −1, ∇E = 0. */
    x[3] += pow(2.0, 1.0 / 6.0);
    assert_int_equal(bb_lj_pairs_ref(2, x, &phys_pairs, &e, g), 0);
    assert_true(fabs(e - (-1.0)) < 1e-14);
    for (int k = 0; k < 6; k++) assert_true(fabs(g[k]) < 1e-13);
    /* Physical, r = 1: E = 4(1 − 1) = 0; dE/dr = 4(−12 + 6) = −24, so ∂E/∂x₀ = −24·(x₀−x₁)/r
     * = +24 along the axis (x₀ is left of x₁) and −24 on x₁. */
    x[3] = 0.3 + 1.0;
    assert_int_equal(bb_lj_pairs_ref(2, x, &phys_pairs, &e, g), 0);
    assert_true(fabs(e) < 1e-14);
    assert_true(fabs(g[0] - 24.0) < 1e-12 && fabs(g[3] + 24.0) < 1e-12);
    /* iDEM, r = r_m = 1: ordered pairs 2 × (1 − 2·1) = −2, gradient 0. */
    assert_int_equal(bb_lj_pairs_ref(2, x, &idem_pairs, &e, g), 0);
    assert_true(fabs(e - (-2.0)) < 1e-14);
    for (int k = 0; k < 6; k++) assert_true(fabs(g[k]) < 1e-13);
    /* iDEM, r = 2: 2 × (2⁻¹² − 2·2⁻⁶) = 2 × (1/4096 − 128/4096) = −254/4096 = −0.06201171875. */
    x[3] = 0.3 + 2.0;
    assert_int_equal(bb_lj_pairs_ref(2, x, &idem_pairs, &e, g), 0);
    assert_true(fabs(e - (-0.06201171875)) < 1e-15);
}

BB_TEST(an_equilateral_trimer_has_three_times_the_pair_energy) {
    double r = pow(2.0, 1.0 / 6.0), h = r * sqrt(3.0) / 2.0;
    double x[9] = {0.0, 0.0, 0.7, r, 0.0, 0.7, r / 2.0, h, 0.7}, g[9], e;
    /* Physical at r = 2^{1/6}: 3 pairs × (−1) = −3, every force zero. */
    assert_int_equal(bb_lj_pairs_ref(3, x, &phys_pairs, &e, g), 0);
    assert_true(fabs(e - (-3.0)) < 1e-14);
    for (int k = 0; k < 9; k++) assert_true(fabs(g[k]) < 1e-13);
    /* iDEM at side 1: 3 pairs × 2 × (1 − 2) = −6. */
    double y[9] = {0.0, 0.0, 0.7, 1.0, 0.0, 0.7, 0.5, sqrt(3.0) / 2.0, 0.7};
    assert_int_equal(bb_lj_pairs_ref(3, y, &idem_pairs, &e, g), 0);
    assert_true(fabs(e - (-6.0)) < 1e-14);
    /* Physical, side 1 (σ): every pair 4(1 − 1) = 0 and dE/dr = −24 (repulsive), so
     * ∂E/∂x₀ = Σ_j dE/dr (x₀ − x_j)/r = −24·[(−1, 0) + (−1/2, −√3/2)] = (36, 12√3). */
    assert_int_equal(bb_lj_pairs_ref(3, y, &phys_pairs, &e, g), 0);
    assert_true(fabs(e) < 1e-14);
    assert_true(fabs(g[0] - 36.0) < 1e-12 && fabs(g[1] - 12.0 * sqrt(3.0)) < 1e-12 && fabs(g[2]) < 1e-12);
}

/* ---- fast kernel vs reference ---- */

BB_TEST(the_four_lane_kernels_match_the_reference_kernel) {
    const int sizes[] = {2, 3, 4, 7, 13, 55}; /* odd and even P: rows are paired */
    printf("AVX2/FMA path on this CPU: %s\n", bb_lj_simd_available() ? "yes" : "no (portable lanes)");
#if defined(__x86_64__) || defined(__i386__)
    assert_int_equal(bb_lj_simd_available(), __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
#else
    assert_int_equal(bb_lj_simd_available(), 0);
#endif
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        int P = sizes[si], dof = 3 * P;
        double *x = malloc(sizeof(double) * 4 * dof), *gref = malloc(sizeof(double) * dof);
        double *gl = malloc(sizeof(double) * 4 * dof), *work = malloc(sizeof(double) * bb_lj_work_size(P));
        bb_rng r;
        bb_rng_init(&r, 11, (uint64_t)P);
        for (int k = 0; k < 4 * dof; k++) x[k] = 0.45 * cbrt((double)P) * bb_rng_normal(&r);
        for (int l = 0; l < 4; l++) { /* keep pairs apart: energies O(10³) at most */
            double m = tu_min_pair_distance(P, 3, x + l * dof);
            if (m < 0.8)
                for (int k = 0; k < dof; k++) x[l * dof + k] *= 0.8 / m;
        }
        const double *xl[4] = {x, x + dof, x + 2 * dof, x + 3 * dof};
        double *glp[4] = {gl, gl + dof, gl + 2 * dof, gl + 3 * dof};
        for (int variant = 0; variant < 2; variant++) {
            for (int fi = 0; fi < 3; fi++) {
                const bb_lj_form *fm = &forms[fi];
                double el[4], eref, worst_e = 0.0, worst_g = 0.0;
                int mask = variant ? bb_lj_pairs_x4_portable(P, xl, fm, el, glp, work)
                                   : bb_lj_pairs_x4(P, xl, fm, el, glp, work);
                assert_int_equal(mask, 0);
                for (int l = 0; l < 4; l++) {
                    assert_int_equal(bb_lj_pairs_ref(P, xl[l], fm, &eref, gref), 0);
                    worst_e = fmax(worst_e, tu_rel(el[l], eref));
                    double gm = 1.0;
                    for (int k = 0; k < dof; k++) gm = fmax(gm, fabs(gref[k]));
                    for (int k = 0; k < dof; k++) worst_g = fmax(worst_g, fabs(glp[l][k] - gref[k]) / gm);
                }
                printf("P=%2d %-8s %-9s lanes vs reference: energy %.2e, gradient %.2e (tol 1e-12)\n", P,
                       variant ? "portable" : "dispatch", form_names[fi], worst_e, worst_g);
                assert_true(worst_e < 1e-12);
                assert_true(worst_g < 1e-12);
            }
        }
        if (P >= 7) { /* the wall form really has particles beyond R_c (else the comparison is idle) */
            double ew, ep;
            bb_lj_pairs_ref(P, x, &forms[1], &ew, gref);
            bb_lj_pairs_ref(P, x, &forms[0], &ep, gref);
            assert_true(ew - ep > 0.1);
        }
        /* Lane independence: lane 0 of {a,b,c,d} equals lane 0 of {a,a,a,a}, bitwise. */
        double e1[4], e2[4];
        double *g2 = malloc(sizeof(double) * 4 * dof);
        double *g2p[4] = {g2, g2 + dof, g2 + 2 * dof, g2 + 3 * dof};
        const double *same[4] = {x, x, x, x};
        bb_lj_pairs_x4(P, xl, &forms[2], e1, glp, work);
        bb_lj_pairs_x4(P, same, &forms[2], e2, g2p, work);
        for (int l = 0; l < 4; l++) {
            assert_memory_equal(&e1[0], &e2[l], sizeof(double));
            assert_memory_equal(gl, g2p[l], sizeof(double) * dof);
        }
        /* Coincident particles in lane 2 only: mask bit 2. */
        memcpy(x + 2 * dof + 3, x + 2 * dof, 3 * sizeof(double));
        assert_int_equal(bb_lj_pairs_x4(P, xl, &phys_pairs, e1, glp, work), 4);
        assert_int_equal(bb_lj_pairs_x4_portable(P, xl, &phys_pairs, e1, glp, work), 4);
        assert_int_equal(bb_lj_pairs_ref(P, xl[2], &phys_pairs, &e1[0], gref), 1);
        free(g2);
        free(x);
        free(gref);
        free(gl);
        free(work);
    }
}

/* ---- global minima ---- */

typedef struct {
    bb_task *t;
} minim;

static lbfgsfloatval_t lj_eval(void *inst, const lbfgsfloatval_t *x, lbfgsfloatval_t *g, const int n,
                               const lbfgsfloatval_t step) {
    (void)n;
    (void)step;
    minim *m = inst;
    double u;
    bb_ctx c = {0};
    m->t->type->energy(m->t, 1, x, &u, g, &c);
    return u;
}

/* Icosahedron vertices: cyclic permutations of (0, ±1, ±φ); edge 2, radius √(1+φ²). */
static int icosahedron(double v[12][3]) {
    const double phi = (1.0 + sqrt(5.0)) / 2.0;
    int k = 0;
    for (int s1 = -1; s1 <= 1; s1 += 2)
        for (int s2 = -1; s2 <= 1; s2 += 2) {
            double a = s1 * 1.0, b = s2 * phi;
            v[k][0] = 0, v[k][1] = a, v[k][2] = b, k++;
            v[k][0] = a, v[k][1] = b, v[k][2] = 0, k++;
            v[k][0] = b, v[k][1] = 0, v[k][2] = a, k++;
        }
    return k;
}

/* LJ13: centre + 12 vertices at radius 1.09σ. LJ55 (Mackay): centre, 12 vertices at
 * radius R, 12 vertices at 2R and the 30 edge midpoints of that outer icosahedron. */
static int build_cluster(int P, double *x) {
    double v[12][3];
    icosahedron(v);
    const double R0 = sqrt(1.0 + pow((1.0 + sqrt(5.0)) / 2.0, 2.0)), a = 1.09 / R0;
    int p = 0;
    x[0] = x[1] = x[2] = 0.0, p++;
    for (int k = 0; k < 12; k++, p++)
        for (int d = 0; d < 3; d++) x[3 * p + d] = a * v[k][d];
    if (P == 13) return p;
    for (int k = 0; k < 12; k++, p++)
        for (int d = 0; d < 3; d++) x[3 * p + d] = 2.0 * a * v[k][d];
    for (int i = 0; i < 12; i++)
        for (int j = i + 1; j < 12; j++) {
            double r2 = 0.0;
            for (int d = 0; d < 3; d++) r2 += (v[i][d] - v[j][d]) * (v[i][d] - v[j][d]);
            if (fabs(r2 - 4.0) > 1e-9) continue; /* not an edge */
            for (int d = 0; d < 3; d++) x[3 * p + d] = a * (v[i][d] + v[j][d]);
            p++;
        }
    return p;
}

/* Solve (H + λI) d = −g in place (Cholesky; H symmetric positive semi-definite at a
 * minimum, with near-zero modes along rigid rotations whose curvature is of the order
 * of the residual gradient, so λ = 1e-4 keeps it definite and costs a factor ~1e-4
 * of convergence per step). */
static void damped_newton_step(int n, double *H, double lambda, const double *g, double *d) {
    for (int i = 0; i < n; i++) H[i * n + i] += lambda;
    for (int j = 0; j < n; j++) { /* H = L Lᵀ, L in the lower triangle */
        double s = H[j * n + j];
        for (int k = 0; k < j; k++) s -= H[j * n + k] * H[j * n + k];
        assert_true(s > 0.0);
        H[j * n + j] = sqrt(s);
        for (int i = j + 1; i < n; i++) {
            double t = H[i * n + j];
            for (int k = 0; k < j; k++) t -= H[i * n + k] * H[j * n + k];
            H[i * n + j] = t / H[j * n + j];
        }
    }
    for (int i = 0; i < n; i++) { /* L y = −g */
        double t = -g[i];
        for (int k = 0; k < i; k++) t -= H[i * n + k] * d[k];
        d[i] = t / H[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* Lᵀ d = y */
        double t = d[i];
        for (int k = i + 1; k < n; k++) t -= H[k * n + i] * d[k];
        d[i] = t / H[i * n + i];
    }
}

/* L-BFGS (liblbfgs) to convergence, then Newton polishing: near the minimum the
 * line search stalls on energy rounding (|ΔE| ~ 1e-13), while Newton steps use only
 * gradients. The Hessian is a central difference of analytic gradients (h = 1e-5). */
static void relax(bb_task *t, double *x, double *e, double *gnorm) {
    minim m = {t};
    lbfgs_parameter_t prm;
    lbfgs_parameter_init(&prm);
    prm.epsilon = 1e-12;
    prm.max_iterations = 20000;
    lbfgsfloatval_t fx;
    lbfgs(t->dof, x, &fx, lj_eval, NULL, &m, &prm);
    const int n = t->dof;
    double *g = malloc(sizeof(double) * n), *gp = malloc(sizeof(double) * n), *gm = malloc(sizeof(double) * n);
    double *H = malloc(sizeof(double) * n * n), *d = malloc(sizeof(double) * n);
    bb_ctx c = {0};
    const double h = 1e-5;
    for (int it = 0; it < 3; it++) {
        t->type->energy(t, 1, x, e, g, &c);
        for (int j = 0; j < n; j++) {
            double x0 = x[j], u;
            x[j] = x0 + h;
            t->type->energy(t, 1, x, &u, gp, &c);
            x[j] = x0 - h;
            t->type->energy(t, 1, x, &u, gm, &c);
            x[j] = x0;
            for (int i = 0; i < n; i++) H[i * n + j] = (gp[i] - gm[i]) / (2.0 * h);
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) H[i * n + j] = H[j * n + i] = 0.5 * (H[i * n + j] + H[j * n + i]);
        damped_newton_step(n, H, 1e-4, g, d);
        for (int k = 0; k < n; k++) x[k] += d[k];
    }
    t->type->energy(t, 1, x, e, g, &c);
    double s = 0.0;
    for (int k = 0; k < n; k++) s += g[k] * g[k];
    *gnorm = sqrt(s);
    free(g);
    free(gp);
    free(gm);
    free(H);
    free(d);
}

BB_TEST(the_icosahedron_and_mackay_icosahedron_are_the_known_global_minima) {
    const struct {
        const char *id;
        int P;
        double e;
    } cases[] = {
        {"lj13-phys", 13, -44.326801}, /* Cambridge Cluster Database */
        {"lj55-phys", 55, -279.248470},
    };
    for (int ci = 0; ci < 2; ci++) {
        bb_task *t = make(cases[ci].id, NULL);
        double *x = malloc(sizeof(double) * t->dof);
        assert_int_equal(build_cluster(cases[ci].P, x), cases[ci].P);
        assert_true(tu_min_pair_distance(cases[ci].P, 3, x) > 0.9);
        double e, gn;
        relax(t, x, &e, &gn);
        printf("%s: relaxed energy %.9f (reference %.6f), |grad| %.2e\n", t->id, e, cases[ci].e, gn);
        assert_true(fabs(e - cases[ci].e) < 1e-6);
        assert_true(gn < 1e-6);
        /* Convention relation on the minimum: y = x / 2^{1/6} in the iDEM task gives
         * u = 2 E_phys(x) + ½ Σ‖y_i − ȳ‖². */
        bb_task *ti = make(cases[ci].P == 13 ? "lj13" : "lj55", NULL);
        double *y = malloc(sizeof(double) * t->dof), m[3] = {0, 0, 0}, h = 0.0, u;
        for (int k = 0; k < t->dof; k++) y[k] = x[k] / pow(2.0, 1.0 / 6.0);
        for (int p = 0; p < cases[ci].P; p++)
            for (int d = 0; d < 3; d++) m[d] += y[3 * p + d] / cases[ci].P;
        for (int p = 0; p < cases[ci].P; p++)
            for (int d = 0; d < 3; d++) h += 0.5 * (y[3 * p + d] - m[d]) * (y[3 * p + d] - m[d]);
        bb_ctx c = {0};
        assert_int_equal(ti->type->energy(ti, 1, y, &u, NULL, &c), BB_OK);
        assert_true(tu_rel(u, 2.0 * e + h) < 1e-12);
        free(y);
        bb_task_free(ti);
        free(x);
        bb_task_free(t);
    }
}

/* ---- wall, kT, overlap ---- */

BB_TEST(the_soft_wall_acts_only_beyond_its_radius) {
    bb_task *t = make("lj13-phys", NULL);
    double x[39], g[39], gref[39], e, elj, u;
    build_cluster(13, x);
    bb_ctx c = {0};
    /* Compact cluster: task energy = pure LJ sum exactly (no wall contribution). */
    t->type->energy(t, 1, x, &u, g, &c);
    bb_lj_pairs_ref(13, x, &phys_pairs, &elj, gref);
    assert_true(tu_rel(u, elj) < 1e-13);
    /* Particle 5 pulled out to 4σ along its direction: the COM moves by 1/13 of the
     * displacement; the wall adds ½(r − 2.5)² for every particle beyond 2.5σ. */
    double s = 4.0 / sqrt(x[15] * x[15] + x[16] * x[16] + x[17] * x[17]);
    for (int d = 0; d < 3; d++) x[15 + d] *= s;
    t->type->energy(t, 1, x, &u, g, &c);
    bb_lj_pairs_ref(13, x, &phys_pairs, &elj, gref);
    double m[3] = {0, 0, 0}, w = 0.0;
    for (int p = 0; p < 13; p++)
        for (int d = 0; d < 3; d++) m[d] += x[3 * p + d] / 13.0;
    for (int p = 0; p < 13; p++) {
        double r2 = 0.0;
        for (int d = 0; d < 3; d++) r2 += (x[3 * p + d] - m[d]) * (x[3 * p + d] - m[d]);
        if (sqrt(r2) > 2.5) w += 0.5 * (sqrt(r2) - 2.5) * (sqrt(r2) - 2.5);
    }
    assert_true(w > 0.1);
    assert_true(tu_rel(u, elj + w) < 1e-13);
    for (int k = 0; k < 39; k++) { /* and the gradient includes it (FD, 4-point) */
        double fd = tu_fd(t, x, k, 1e-4);
        assert_true(fabs(fd - g[k]) < 1e-7 * fmax(1.0, fabs(g[k])));
    }
    /* Mixed batch (compact, beyond the wall, compact, beyond): each configuration is
     * bitwise what it is alone, whether or not its lane neighbours touch the wall. */
    double xb[5 * 39], ub[5], gb[5 * 39], u1, g1[39];
    build_cluster(13, xb);
    memcpy(xb + 39, x, sizeof x);
    memcpy(xb + 78, xb, sizeof x);
    memcpy(xb + 117, x, sizeof x);
    xb[117] += 0.37;
    memcpy(xb + 156, xb, sizeof x);
    xb[156 + 7] += 1e-9;
    t->type->energy(t, 5, xb, ub, gb, &c);
    for (int i = 0; i < 5; i++) {
        t->type->energy(t, 1, xb + 39 * i, &u1, g1, &c);
        assert_memory_equal(&u1, &ub[i], sizeof u1);
        assert_memory_equal(g1, gb + 39 * i, sizeof g1);
    }
    (void)e;
    bb_task_free(t);
}

BB_TEST(the_physical_tasks_take_a_temperature_and_reject_other_parameters) {
    bb_task *t1 = make("lj13-phys", NULL), *t2 = make("lj55-phys@1", "{\"kT\": 0.4}");
    bb_task *t3 = make("lj13-phys", "{\"kT\": 0.4}");
    assert_true(t2->kT == 0.4 && t1->kT == 1.0);
    double x[39], g1[39], g3[39], u1, u3;
    build_cluster(13, x);
    bb_ctx c = {0};
    t1->type->energy(t1, 1, x, &u1, g1, &c);
    t3->type->energy(t3, 1, x, &u3, g3, &c);
    assert_true(tu_rel(u3, u1 / 0.4) < 1e-15);
    for (int k = 0; k < 39; k++) assert_true(fabs(g3[k] - g1[k] / 0.4) <= 1e-15 * fmax(1.0, fabs(g3[k])));
    const char *bad[][2] = {{"lj13-phys", "{\"kT\": -1}"},
                            {"lj13-phys", "{\"kT\": \"hot\"}"},
                            {"lj55-phys", "{\"temperature\": 1}"},
                            {"lj13", "{\"kT\": 2}"}};
    for (int i = 0; i < 4; i++) {
        cJSON *j = cJSON_Parse(bad[i][1]);
        bb_task *t = NULL;
        bb_ctx cc = {0};
        assert_int_equal(bb_task_create(bad[i][0], j, &t, &cc), BB_EINVAL);
        assert_null(t);
        assert_true(strlen(cc.msg) > 0);
        cJSON_Delete(j);
    }
    bb_task_free(t1);
    bb_task_free(t2);
    bb_task_free(t3);
}

BB_TEST(overlapping_particles_give_infinity_and_a_zero_gradient) {
    for (int ti = 0; ti < 4; ti++) {
        bb_task *t = make(lj_ids[ti], NULL);
        size_t dof = (size_t)t->dof;
        double *x = malloc(5 * dof * sizeof *x), *g = malloc(5 * dof * sizeof *g), u[5], u1,
               *g1 = malloc(dof * sizeof *g1);
        tu_random_configs(t, 5, 0x500 + ti, 0.9, x);
        memcpy(x + 1 * dof + 9, x + 1 * dof + 3, 3 * sizeof *x);  /* particles 1 and 3 coincide */
        memcpy(x + 3 * dof + 6, x + 3 * dof + 12, 3 * sizeof *x); /* 2 and 4 almost: r = 1e-30 */
        x[3 * dof + 6] += 1e-30;
        memcpy(x + 4 * dof + 6, x + 4 * dof + 12, 3 * sizeof *x); /* r = 1e-200: r² underflows */
        x[4 * dof + 6] += 1e-200 * fmax(1.0, fabs(x[4 * dof + 6]));
        bb_ctx c = {0};
        assert_int_equal(bb_task_energy(t, 5, x, u, g, &c), BB_OK);
        const int bad[3] = {1, 3, 4}, good[2] = {0, 2};
        for (int b = 0; b < 3; b++) {
            int i = bad[b];
            assert_true(isinf(u[i]) && u[i] > 0);
            for (size_t k = 0; k < dof; k++) assert_true(g[i * dof + k] == 0.0);
        }
        for (int b = 0; b < 2; b++) { /* neighbours in the batch are unaffected */
            int i = good[b];
            assert_true(isfinite(u[i]));
            t->type->energy(t, 1, x + i * dof, &u1, g1, &c);
            assert_memory_equal(&u1, &u[i], sizeof u1);
        }
        free(x);
        free(g);
        free(g1);
        bb_task_free(t);
    }
}

/* The default initial configurations never put two particles closer than 0.9, are COM-free,
 * reproducible from the RNG stream, and have finite, moderate energies. */
BB_TEST(initial_configurations_keep_particles_apart) {
    for (int k = 0; k < 4; k++) {
        bb_task *t = bb_test_task(lj_ids[k]);
        bb_ctx c = {0};
        enum { N = 20 };
        size_t dof = (size_t)t->dof;
        double *x = malloc(N * dof * sizeof *x), *y = malloc(N * dof * sizeof *y), u[N];
        bb_rng r1, r2;
        bb_rng_init(&r1, 2385, 4);
        bb_rng_init(&r2, 2385, 4);
        assert_int_equal(bb_task_initial(t, N, &r1, x, &c), BB_OK);
        assert_int_equal(bb_task_initial(t, N, &r2, y, &c), BB_OK);
        assert_memory_equal(x, y, N * dof * sizeof *x);
        assert_int_equal(bb_task_energy(t, N, x, u, NULL, &c), BB_OK);
        for (int i = 0; i < N; i++) {
            const double *xi = x + i * dof;
            double com[3] = {0, 0, 0}, dmin = 1e300;
            for (int p = 0; p < t->n_particles; p++) {
                for (int d = 0; d < 3; d++) com[d] += xi[3 * p + d];
                for (int q = 0; q < p; q++) {
                    double r2 = 0;
                    for (int d = 0; d < 3; d++) r2 += (xi[3 * p + d] - xi[3 * q + d]) * (xi[3 * p + d] - xi[3 * q + d]);
                    if (r2 < dmin) dmin = r2;
                }
            }
            assert_true(sqrt(dmin) >= 0.9 - 1e-12);
            for (int d = 0; d < 3; d++) assert_true(fabs(com[d]) < 1e-10);
            assert_true(isfinite(u[i]) && u[i] < 1e4);
        }
        free(x);
        free(y);
        bb_task_free(t);
    }
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(a_dimer_has_the_textbook_energies_in_both_conventions),
             cmocka_unit_test(an_equilateral_trimer_has_three_times_the_pair_energy),
             cmocka_unit_test(the_four_lane_kernels_match_the_reference_kernel),
             cmocka_unit_test(the_icosahedron_and_mackay_icosahedron_are_the_known_global_minima),
             cmocka_unit_test(the_soft_wall_acts_only_beyond_its_radius),
             cmocka_unit_test(the_physical_tasks_take_a_temperature_and_reject_other_parameters),
             cmocka_unit_test(overlapping_particles_give_infinity_and_a_zero_gradient),
             cmocka_unit_test(initial_configurations_keep_particles_apart))
