/* test_tica.c — features (distances, IUPAC dihedrals) against hand values, the TICA
 * estimator on a synthetic reversible linear process with a known slow mode, and the
 * TICA metric (tica_w2 = 0 for identical sets, > 0 for a shifted set), and the reference's
 * own floor between its time halves (bb_tica_halves_w2) against a brute-force W2, and fits on
 * several independent trajectories (segments) that never pair frames across them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "harness/metrics/metric_lib.h"
#include "harness/metrics/metrics.h"
#include "harness/core/rng.h"
#include "tasks/molecules/molecule.h"
#include "tasks/task.h"
#include "tests/metrics/testutil.h"
#include "tests/testmain.h"

/* a-b-c-d with b = 0, c = ẑ, a = x̂, d = ŷ + ẑ: looking along b→c, a is turned +90°
 * (clockwise) onto d → +90° (IUPAC; MDTraj gives the same). */
BB_TEST(features_match_hand_values) {
    double x[12] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1};
    int pairs[4] = {0, 1, 0, 3}, quads[4] = {0, 1, 2, 3};
    bb_feature_spec f = {2, pairs, 1, quads};
    assert_int_equal(bb_features_dim(&f), 4);
    double F[4];
    bb_ctx c = {0};
    assert_int_equal(bb_features_compute(&f, 4, 3, 1, x, F, &c), BB_OK);
    CHECK_CLOSE(F[0], 1.0, 1e-15);
    CHECK_CLOSE(F[1], sqrt(3.0), 1e-15);
    CHECK_CLOSE(F[2], 1.0, 1e-15); /* sin(+90°) */
    CHECK_CLOSE(F[3], 0.0, 1e-15);
    x[10] = -1.0; /* d = −ŷ + ẑ → −90° */
    assert_int_equal(bb_features_compute(&f, 4, 3, 1, x, F, &c), BB_OK);
    CHECK_CLOSE(F[2], -1.0, 1e-15);
    x[9] = -1.0, x[10] = 0.0; /* d = −x̂ + ẑ → 180° (trans) */
    assert_int_equal(bb_features_compute(&f, 4, 3, 1, x, F, &c), BB_OK);
    CHECK_CLOSE(F[3], -1.0, 1e-15);
    int bad[4] = {0, 1, 2, 9};
    bb_feature_spec g = {0, NULL, 1, bad};
    assert_int_equal(bb_features_compute(&g, 4, 3, 1, x, F, &c), BB_EINVAL);
}

/* x_{t+1} = A x_t + ξ, A = Q diag(0.99, 0.6, 0.3) Qᵀ (symmetric: reversible), ξ ~ N(0, I).
 * TICA at lag τ must return λ_i = a_i^τ with eigenvectors ∝ Σ⁻¹-whitened Q columns:
 * since Σ commutes with A, the slow TIC direction R_1 ∝ Σ⁻¹ q_1 ∝ q_1. */
BB_TEST(tica_recovers_the_slow_mode_of_a_linear_process) {
    const size_t T = 200000;
    const int k = 3, lag = 5;
    double Q[9] = {2.0 / 3, -2.0 / 3, 1.0 / 3, 2.0 / 3, 1.0 / 3, -2.0 / 3, 1.0 / 3, 2.0 / 3, 2.0 / 3}; /* orthogonal */
    double a[3] = {0.99, 0.6, 0.3}, A[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            A[i * 3 + j] = 0.0;
            for (int m = 0; m < 3; m++) A[i * 3 + j] += Q[i * 3 + m] * a[m] * Q[j * 3 + m];
        }
    double *F = malloc(T * (size_t)k * sizeof *F);
    assert_non_null(F);
    bb_rng r;
    bb_rng_init(&r, 31, 1);
    double x[3] = {0, 0, 0};
    for (size_t t = 0; t < T; t++) {
        double y[3];
        for (int i = 0; i < 3; i++)
            y[i] = A[i * 3] * x[0] + A[i * 3 + 1] * x[1] + A[i * 3 + 2] * x[2] + bb_rng_normal(&r);
        memcpy(x, y, sizeof x);
        for (int i = 0; i < 3; i++) F[t * 3 + (size_t)i] = x[i] + 2.385; /* an offset the mean must remove */
    }
    bb_tica m;
    bb_ctx c = {0};
    assert_int_equal(bb_tica_fit(T, k, F, lag, 1e-6, 40, &m, &c), BB_OK);
    assert_int_equal(m.k_out, 3);
    printf("  eigenvalues %.4f %.4f %.4f (want %.4f %.4f %.4f); timescale %.2f (want %.2f)\n", m.eig[0], m.eig[1],
           m.eig[2], pow(0.99, lag), pow(0.6, lag), pow(0.3, lag), m.timescales[0], -1.0 / log(0.99));
    CHECK_CLOSE(m.eig[0], pow(0.99, lag), 0.01);
    CHECK_CLOSE(m.eig[1], pow(0.6, lag), 0.02);
    CHECK_CLOSE(m.timescales[0], -1.0 / log(0.99), 0.1 * (-1.0 / log(0.99)));
    /* direction of the first TIC vs q_1 (first column of Q) */
    double v[3] = {m.proj[0 * 3 + 0], m.proj[1 * 3 + 0], m.proj[2 * 3 + 0]}, nv = 0.0, dot = 0.0;
    for (int i = 0; i < 3; i++) {
        nv += v[i] * v[i];
        dot += v[i] * Q[i * 3 + 0];
    }
    CHECK_CLOSE(fabs(dot) / sqrt(nv), 1.0, 0.01);
    CHECK_CLOSE(m.mean[1], 2.385, 0.2);
    /* projection: unit variance per TIC before kinetic-map scaling */
    double *Y = malloc(T * 2 * sizeof *Y), s2 = 0.0, mean = 0.0;
    assert_int_equal(bb_tica_project(&m, T, F, 2, 0, Y, &c), BB_OK);
    for (size_t t = 0; t < T; t++) mean += Y[2 * t + 1] / (double)T;
    for (size_t t = 0; t < T; t++) s2 += (Y[2 * t + 1] - mean) * (Y[2 * t + 1] - mean) / (double)T;
    CHECK_CLOSE(s2, 1.0, 0.02);
    assert_int_equal(bb_tica_project(&m, T, F, 4, 0, Y, &c), BB_EINVAL);
    bb_tica_free(&m);
    bb_tica_free(NULL);
    bb_tica bad;
    assert_int_equal(bb_tica_fit(10, k, F, 10, 1e-6, 40, &bad, &c), BB_EINVAL);
    assert_null(bad.mean); /* nothing to free after a failure */
    free(Y);
    free(F);
}

/* A bare task of 4 "atoms" in 3-D (no energy): what the TICA metric reads of a task. */
static bb_task four_atoms(void) {
    bb_task t;
    memset(&t, 0, sizeof t);
    t.n_particles = 4;
    t.dim = 3;
    t.dof = 12;
    return t;
}

/* Metric: 4 "atoms" in 3-D performing a random walk on a distance; samples = the
 * reference itself → tica_w2 = 0; samples stretched → > 0. */
BB_TEST(tica_metric_is_zero_for_the_reference_itself) {
    size_t n = 600;
    bb_samples ref, s;
    assert_int_equal(bb_samples_alloc(&ref, n, 12, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&s, n, 12, 0), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 32, 1);
    double z[12];
    for (int i = 0; i < 12; i++) z[i] = bb_rng_normal(&r);
    for (size_t t = 0; t < n; t++) {
        for (int i = 0; i < 12; i++) z[i] = 0.95 * z[i] + 0.3 * bb_rng_normal(&r) + 0.05 * (i % 3);
        memcpy(ref.x + t * 12, z, sizeof z);
    }
    memcpy(s.x, ref.x, n * 12 * sizeof(double));
    int pairs[6] = {0, 1, 1, 2, 2, 3}, quads[4] = {0, 1, 2, 3};
    bb_tica_task_spec spec = {"test", {3, pairs, 1, quads}, 3, 2};
    bb_task t = four_atoms();
    bb_eval_input in = {&t, &s, NULL, &ref, NULL, 7, 1, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    bb_ctx c = {0};
    assert_int_equal(bb_tica_metric_run(&in, &spec, BB_TICA_W2 | BB_TICA_W1, out, &c), BB_OK);
    cJSON *o = cJSON_GetObjectItem(out, "tica_w2");
    assert_non_null(o);
    CHECK_CLOSE(cJSON_GetObjectItem(o, "value")->valuedouble, 0.0, 1e-12);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "tica_w2_ic1"), "value")->valuedouble, 0.0, 1e-12);
    assert_int_equal(
        cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "tica_histogram"), "density_reference")), 50);
    cJSON_Delete(out);
    for (size_t i = 0; i < n * 12; i++) s.x[i] *= 1.3;
    out = cJSON_CreateObject();
    assert_int_equal(bb_tica_metric_run(&in, &spec, BB_TICA_W2 | BB_TICA_W1, out, &c), BB_OK);
    double v = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "tica_w2"), "value")->valuedouble;
    printf("  stretched samples: tica_w2 %.4f\n", v);
    assert_true(v > 0.05);
    cJSON_Delete(out);
    /* three components: tica_w2 on all three, one 1-D entry each */
    bb_tica_task_spec spec3 = spec;
    spec3.n_components = 3;
    out = cJSON_CreateObject();
    assert_int_equal(bb_tica_metric_run(&in, &spec3, BB_TICA_W2, out, &c), BB_OK);
    assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(out, "tica_w2"), "n_components")->valuedouble, 3);
    for (int k = 1; k <= 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "tica_w2_ic%d", k);
        assert_true(isfinite(cJSON_GetObjectItem(cJSON_GetObjectItem(out, name), "value")->valuedouble));
    }
    assert_null(cJSON_GetObjectItem(out, "tica_w2_ic4"));
    assert_non_null(cJSON_GetObjectItem(out, "tica_histogram"));
    cJSON_Delete(out);
    /* a reference too short for the lag: tica_w2 is there, null, saying why (never silent) */
    bb_samples short_ref = ref;
    short_ref.n = 4;
    bb_eval_input in_short = in;
    in_short.reference = &short_ref;
    out = cJSON_CreateObject();
    assert_int_equal(bb_tica_metric_run(&in_short, &spec, BB_TICA_W2 | BB_TICA_W1, out, &c), BB_OK);
    o = cJSON_GetObjectItem(out, "tica_w2");
    assert_non_null(o);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "value")));
    assert_non_null(strstr(cJSON_GetObjectItem(o, "note")->valuestring, "lag"));
    cJSON_Delete(out);
    /* the registered metric skips tasks without a TICA spec */
    out = cJSON_CreateObject();
    bb_tica_task_spec none;
    assert_int_equal(bb_tica_spec_for(&t, &none), 0);
    assert_int_equal(bb_tica_metric_run(&in, NULL, BB_TICA_W2, out, &c), BB_OK);
    assert_null(out->child);
    cJSON_Delete(out);
    bb_samples_free(&ref);
    bb_samples_free(&s);
}

/* The registered metric runs for every task that declares a TICA spec (the peptides) and
 * for no other: scoring peptide samples through the metric suite (bb_metrics_compute_only,
 * the path run and eval take) against a time-ordered trajectory must yield finite tica_w2,
 * tica_w2_ic1, tica_w2_ic2 and the histogram (this failed silently while the spec table was
 * empty). */
BB_TEST(tica_runs_for_every_task_that_declares_it) {
    const char *with[] = {"aldp-pita", "aldp-fab", "al3-pita"}, *without[] = {"dw4", "lj13"};
    const char *const only[] = {"tica_w2"};
    for (int k = 0; k < 5; k++) {
        const char *id = k < 3 ? with[k] : without[k - 3];
        bb_ctx c = {0};
        bb_task *t;
        assert_int_equal(bb_task_create(id, NULL, &t, &c), BB_OK);
        bb_tica_task_spec spec;
        assert_int_equal(bb_tica_spec_for(t, &spec), k < 3);
        if (k < 3) {
            assert_int_equal(spec.n_components, 2);
            assert_int_equal(spec.lag, k < 2 ? 100 : 10);
            assert_int_equal(bb_features_dim(&spec.features), k < 2 ? 28 + 2 * 2 : 66 + 2 * 6);
        }
        const size_t T = 600, n = 300, dof = (size_t)t->dof;
        bb_samples ref = {0}, s = {0};
        assert_int_equal(bb_samples_alloc(&ref, T, dof, 0), BB_OK);
        assert_int_equal(bb_samples_alloc(&s, n, dof, 0), BB_OK);
        bb_rng r;
        bb_rng_init(&r, 11, (uint64_t)k);
        /* reference: a slow random walk from the task's initial structure (time-ordered) */
        assert_int_equal(bb_task_initial(t, 1, &r, ref.x, &c), BB_OK);
        for (size_t i = 1; i < T; i++)
            for (size_t d = 0; d < dof; d++) ref.x[i * dof + d] = ref.x[(i - 1) * dof + d] + 0.002 * bb_rng_normal(&r);
        assert_int_equal(bb_task_initial(t, n, &r, s.x, &c), BB_OK);
        double *us = malloc(n * sizeof *us), *ur = malloc(T * sizeof *ur);
        assert_int_equal(bb_task_energy(t, n, s.x, us, NULL, &c), BB_OK);
        assert_int_equal(bb_task_energy(t, T, ref.x, ur, NULL, &c), BB_OK);
        bb_eval_input in = {t, &s, us, &ref, ur, 3, 0, 0, NULL, 0};
        cJSON *out = cJSON_CreateObject();
        assert_int_equal(bb_metrics_compute_only(&in, 0, only, 1, out, &c), BB_OK);
        if (k < 3) {
            const char *names[] = {"tica_w2", "tica_w2_ic1", "tica_w2_ic2"};
            for (int q = 0; q < 3; q++) {
                const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(out, names[q]), "value");
                print_message("%s %s\n", id, names[q]);
                assert_true(cJSON_IsNumber(v));
                assert_true(isfinite(v->valuedouble) && v->valuedouble >= 0.0);
            }
            assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(out, "tica_w2"), "n_samples")->valuedouble,
                             300);
            assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "tica_histogram"), "density_samples"));
            /* the samples (noisy copies of the minimum) differ from the walk: W2 > 0 */
            assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "tica_w2"), "value")->valuedouble > 0.0);
        } else {
            assert_null(out->child);
        }
        cJSON_Delete(out);
        free(us);
        free(ur);
        bb_samples_free(&ref);
        bb_samples_free(&s);
        bb_task_free(t);
    }
}

/* The peptides' TICA specs are PITA's features (taraak/pita tica.py `tica_features`), derived
 * here independently from each task's topology by MDTraj's rules: the atoms of "symbol == C or
 * symbol == N or symbol == S" (element = first letter of the AMBER atom name for these
 * peptides), every pair i < j of them, and phi (-C N CA C), psi (N CA C +N), omega (CA C +N +CA)
 * found by literal atom name within one chain (MDTraj's _atom_sequence: a cap's methyl carbon
 * is not named CA, so ALDP has no omega). The spec must list exactly those pairs (in order) and
 * those quadruples (as a set). */
static int atom_in_residue(const bb_molecule *m, int res, const char *name) {
    if (res < 0 || res >= m->nres) return -1;
    for (int a = 0; a < m->natom; a++)
        if (m->atom_residue[a] == res && strcmp(m->atom_name[a], name) == 0) return a;
    return -1;
}

static int quad_cmp(const void *a, const void *b) { return memcmp(a, b, 4 * sizeof(int)); }

BB_TEST(tica_specs_are_pitas_mdtraj_features) {
    const char *ids[] = {"aldp-pita", "aldp-fab", "al3-pita"};
    const int want_pairs[] = {28, 28, 66}, want_quads[] = {2, 2, 6};
    static const char *const pattern[3][4] = {{"C", "N", "CA", "C"}, {"N", "CA", "C", "N"}, {"CA", "C", "N", "CA"}};
    static const int offset[3][4] = {{-1, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 1, 1}};
    for (int k = 0; k < 3; k++) {
        bb_ctx c = {0};
        bb_task *t;
        assert_int_equal(bb_task_create(ids[k], NULL, &t, &c), BB_OK);
        const bb_molecule *m = bb_task_molecule(t);
        bb_tica_task_spec spec;
        assert_non_null(m);
        assert_int_equal(bb_tica_spec_for(t, &spec), 1);
        int sel[64], ns = 0;
        for (int a = 0; a < m->natom; a++)
            if (strchr("CNS", m->atom_name[a][0])) sel[ns++] = a;
        int np = 0;
        for (int i = 0; i < ns; i++)
            for (int j = i + 1; j < ns; j++, np++) {
                assert_true(np < spec.features.n_pairs);
                assert_int_equal(spec.features.pairs[2 * np], sel[i]);
                assert_int_equal(spec.features.pairs[2 * np + 1], sel[j]);
            }
        assert_int_equal(np, spec.features.n_pairs);
        assert_int_equal(np, want_pairs[k]);
        int quads[16][4], nq = 0;
        for (int d = 0; d < 3; d++)
            for (int r = 0; r < m->nres; r++) {
                int q[4], ok = 1;
                for (int i = 0; i < 4 && ok; i++)
                    ok = (q[i] = atom_in_residue(m, r + offset[d][i], pattern[d][i])) >= 0;
                if (ok) memcpy(quads[nq++], q, sizeof q);
            }
        assert_int_equal(nq, spec.features.n_dihedrals);
        assert_int_equal(nq, want_quads[k]);
        int have[16][4];
        memcpy(have, spec.features.quads, (size_t)nq * sizeof have[0]);
        qsort(quads, (size_t)nq, sizeof quads[0], quad_cmp);
        qsort(have, (size_t)nq, sizeof have[0], quad_cmp);
        assert_memory_equal(quads, have, (size_t)nq * sizeof quads[0]);
        bb_task_free(t);
    }
}

/* bb_tica_halves_w2 against a brute-force W2 over all 6! assignments of two 6-frame halves
 * (TICA fitted on all 12 frames with bb_tica_fit, lag 1): same value to 1e-12; a reference whose
 * second half repeats its first gives exactly 0; the metric carries the value as floor_halves;
 * a reference too short for the lag is refused. */
static double w_brute(int n, int d, const double *A, const double *B, int power) {
    int p[6] = {0, 1, 2, 3, 4, 5}, c[6] = {0};
    double best = INFINITY;
    for (int i = 0;;) { /* Heap's algorithm over all n! permutations */
        double s = 0.0;
        for (int a = 0; a < n; a++) {
            double q = 0.0;
            for (int k = 0; k < d; k++) q += pow(A[a * d + k] - B[p[a] * d + k], 2);
            s += power == 1 ? sqrt(q) : q;
        }
        best = fmin(best, s / n);
        while (i < n && c[i] >= i) c[i++] = 0;
        if (i >= n) break;
        int j = i % 2 ? c[i] : 0, tmp = p[j];
        p[j] = p[i];
        p[i] = tmp;
        c[i]++;
        i = 0;
    }
    return power == 1 ? best : sqrt(best);
}

BB_TEST(tica_halves_w2_is_the_exact_w2_between_the_time_halves) {
    const size_t n = 12;
    bb_samples ref;
    assert_int_equal(bb_samples_alloc(&ref, n, 12, 0), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 33, 1);
    for (size_t i = 0; i < n * 12; i++) ref.x[i] = bb_rng_normal(&r) + (i >= n * 6 ? 0.4 : 0.0);
    int pairs[6] = {0, 1, 1, 2, 2, 3}, quads[4] = {0, 1, 2, 3};
    bb_tica_task_spec spec = {"test", {3, pairs, 1, quads}, 1, 2};
    bb_task t = four_atoms();
    bb_ctx c = {0};
    double F[12 * 5], Y[12 * 2], w2;
    size_t nh;
    bb_tica m;
    memset(&m, 0, sizeof m);
    assert_int_equal(bb_features_compute(&spec.features, 4, 3, n, ref.x, F, &c), BB_OK);
    assert_int_equal(bb_tica_fit(n, 5, F, 1, 1e-6, 40, &m, &c), BB_OK);
    assert_true(m.k_out >= 2);
    assert_int_equal(bb_tica_project(&m, n, F, 2, 1, Y, &c), BB_OK);
    bb_tica_free(&m);
    double want = w_brute(6, 2, Y, Y + 12, 2);
    assert_int_equal(bb_tica_halves_w2(&spec, &t, &ref, NULL, 0, &w2, &nh, &c), BB_OK);
    printf("  halves: %.6f (brute force %.6f)\n", w2, want);
    assert_int_equal(nh, 6);
    assert_true(want > 0.01);
    CHECK_CLOSE(w2, want, 1e-12);
    /* the metric reports it next to tica_w2 */
    bb_eval_input in = {&t, &ref, NULL, &ref, NULL, 7, 0, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    assert_int_equal(bb_tica_metric_run(&in, &spec, BB_TICA_W2 | BB_TICA_W1, out, &c), BB_OK);
    const cJSON *o = cJSON_GetObjectItem(out, "tica_w2");
    CHECK_CLOSE(cJSON_GetObjectItem(o, "floor_halves")->valuedouble, want, 1e-12);
    assert_int_equal((int)cJSON_GetObjectItem(o, "floor_halves_n")->valuedouble, 6);
    cJSON_Delete(out);
    /* second half = first half: 0 */
    memcpy(ref.x + 6 * 12, ref.x, 6 * 12 * sizeof(double));
    assert_int_equal(bb_tica_halves_w2(&spec, &t, &ref, NULL, 0, &w2, &nh, &c), BB_OK);
    CHECK_CLOSE(w2, 0.0, 1e-12);
    /* shorter than lag + 2 */
    ref.n = 2;
    assert_int_equal(bb_tica_halves_w2(&spec, &t, &ref, NULL, 0, &w2, &nh, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "lag"));
    assert_true(isnan(w2) && nh == 0);
    bb_samples_free(&ref);
}

/* Independent trajectories stored one after another (a reference run's walkers): lagged
 * pairs stay inside a segment. Exact check: two copies of one trajectory as two segments
 * give the model of the single trajectory (the same pairs, each twice: equal to rounding,
 * 1e-10), while fitting the concatenation as one trajectory does not (its junction pairs
 * join the end of the first copy to the start of the second: the test can fail). */
BB_TEST(tica_segments_never_pair_frames_of_different_trajectories) {
    const size_t T = 300;
    const int k = 2, lag = 20;
    double *F = malloc(2 * T * (size_t)k * sizeof *F);
    assert_non_null(F);
    bb_rng r;
    bb_rng_init(&r, 77, 2);
    double x0 = 5.0, x1 = -3.0; /* far from equilibrium at the start: the junction is visible */
    for (size_t t = 0; t < T; t++) {
        x0 = 0.98 * x0 + 0.2 * bb_rng_normal(&r);
        x1 = 0.5 * x1 + bb_rng_normal(&r);
        F[2 * t] = x0 + 0.3 * x1;
        F[2 * t + 1] = x1;
    }
    memcpy(F + T * (size_t)k, F, T * (size_t)k * sizeof *F);
    bb_tica one, two, glued;
    bb_ctx c = {0};
    const size_t seg[2] = {T, T};
    assert_int_equal(bb_tica_fit(T, k, F, lag, 1e-6, 40, &one, &c), BB_OK);
    assert_int_equal(bb_tica_fit_segments(2 * T, seg, 2, k, F, lag, 1e-6, 40, &two, &c), BB_OK);
    assert_int_equal(bb_tica_fit(2 * T, k, F, lag, 1e-6, 40, &glued, &c), BB_OK);
    assert_int_equal(one.k_out, two.k_out);
    double dmax = 0.0, dglued = 0.0;
    for (int i = 0; i < one.k_out; i++) {
        dmax = fmax(dmax, fabs(one.eig[i] - two.eig[i]));
        dglued = fmax(dglued, fabs(one.eig[i] - glued.eig[i]));
    }
    for (int i = 0; i < k; i++) dmax = fmax(dmax, fabs(one.mean[i] - two.mean[i]));
    for (int i = 0; i < k * one.k_out; i++) dmax = fmax(dmax, fabs(one.proj[i] - two.proj[i]));
    printf("  segments vs one copy: max difference %.2e; unsegmented concatenation: eigenvalues off by %.3g\n", dmax,
           dglued);
    assert_true(dmax < 1e-10);
    assert_true(dglued > 1e-3);
    /* one segment = no segments */
    bb_tica same;
    const size_t whole = 2 * T;
    assert_int_equal(bb_tica_fit_segments(2 * T, &whole, 1, k, F, lag, 1e-6, 40, &same, &c), BB_OK);
    assert_true(same.eig[0] == glued.eig[0] && same.eig[1] == glued.eig[1]);
    /* lengths that do not add up, or no segment longer than the lag: clear errors, empty model */
    const size_t wrong[2] = {T, T - 1}, short_[3] = {200, 200, 200};
    bb_tica bad;
    assert_int_equal(bb_tica_fit_segments(2 * T, wrong, 2, k, F, lag, 1e-6, 40, &bad, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "add up"));
    assert_null(bad.mean);
    assert_int_equal(bb_tica_fit_segments(600, short_, 3, k, F, 200, 1e-6, 40, &bad, &c), BB_EINVAL);
    assert_non_null(strstr(c.msg, "longer than the lag"));
    bb_tica_free(&one);
    bb_tica_free(&two);
    bb_tica_free(&glued);
    bb_tica_free(&same);
    free(F);
}

/* tica_w1 (PITA's TICA-W1) against a brute force over all 6! assignments: 6 reference frames
 * (TICA fitted on them at lag 1, kinetic map) and 6 stretched, shifted samples projected on the
 * first 2 components; the metric's value is the exact mean Euclidean matching cost (1e-12), its
 * tica_w2 the exact W2 of the same sets, and W1 <= W2 (Jensen). */
BB_TEST(tica_w1_is_the_exact_w1_of_the_projections) {
    const size_t n = 6;
    bb_samples ref, s;
    assert_int_equal(bb_samples_alloc(&ref, n, 12, 0), BB_OK);
    assert_int_equal(bb_samples_alloc(&s, n, 12, 0), BB_OK);
    bb_rng r;
    bb_rng_init(&r, 41, 2);
    for (size_t i = 0; i < n * 12; i++) ref.x[i] = bb_rng_normal(&r);
    for (size_t i = 0; i < n * 12; i++) s.x[i] = 1.3 * ref.x[(i + 12) % (n * 12)] + 0.2;
    int pairs[6] = {0, 1, 1, 2, 2, 3}, quads[4] = {0, 1, 2, 3};
    bb_tica_task_spec spec = {"test", {3, pairs, 1, quads}, 1, 2};
    bb_task t = four_atoms();
    bb_ctx c = {0};
    int k = bb_features_dim(&spec.features);
    double Fr[6 * 5], Fs[6 * 5], Yr[12], Ys[12];
    assert_int_equal(bb_features_compute(&spec.features, 4, 3, n, ref.x, Fr, &c), BB_OK);
    assert_int_equal(bb_features_compute(&spec.features, 4, 3, n, s.x, Fs, &c), BB_OK);
    bb_tica m;
    assert_int_equal(bb_tica_fit(n, k, Fr, 1, 1e-6, 40, &m, &c), BB_OK);
    assert_true(m.k_out >= 2);
    assert_int_equal(bb_tica_project(&m, n, Fr, 2, 1, Yr, &c), BB_OK);
    assert_int_equal(bb_tica_project(&m, n, Fs, 2, 1, Ys, &c), BB_OK);
    bb_tica_free(&m);
    double w1 = w_brute(6, 2, Ys, Yr, 1), w2 = w_brute(6, 2, Ys, Yr, 2);
    bb_eval_input in = {&t, &s, NULL, &ref, NULL, 7, 1, 0, NULL, 0};
    cJSON *out = cJSON_CreateObject();
    assert_int_equal(bb_tica_metric_run(&in, &spec, BB_TICA_W2 | BB_TICA_W1, out, &c), BB_OK);
    const cJSON *o1 = cJSON_GetObjectItem(out, "tica_w1"), *o2 = cJSON_GetObjectItem(out, "tica_w2");
    assert_non_null(o1);
    printf("  tica_w1 %.6f (brute %.6f), tica_w2 %.6f (brute %.6f)\n", cJSON_GetObjectItem(o1, "value")->valuedouble,
           w1, cJSON_GetObjectItem(o2, "value")->valuedouble, w2);
    CHECK_CLOSE(cJSON_GetObjectItem(o1, "value")->valuedouble, w1, 1e-12);
    CHECK_CLOSE(cJSON_GetObjectItem(o2, "value")->valuedouble, w2, 1e-12);
    assert_true(w1 > 0.0 && w1 <= w2 + 1e-15);
    const cJSON *ci = cJSON_GetObjectItem(o1, "ci95");
    assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble <= w1 + 1e-12 &&
                w1 <= cJSON_GetArrayItem(ci, 1)->valuedouble + 1e-12);
    assert_true(isfinite(cJSON_GetObjectItem(o1, "floor_ref_vs_ref")->valuedouble));
    /* the tica_w1 family alone: only its entry, the same bits */
    cJSON *alone = cJSON_CreateObject();
    assert_int_equal(bb_tica_metric_run(&in, &spec, BB_TICA_W1, alone, &c), BB_OK);
    assert_int_equal(cJSON_GetArraySize(alone), 1);
    assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(alone, "tica_w1"), "value")->valuedouble ==
                cJSON_GetObjectItem(o1, "value")->valuedouble);
    cJSON_Delete(alone);
    cJSON_Delete(out);
    /* samples = reference: 0 */
    out = cJSON_CreateObject();
    in.samples = &ref;
    assert_int_equal(bb_tica_metric_run(&in, &spec, BB_TICA_W2 | BB_TICA_W1, out, &c), BB_OK);
    CHECK_CLOSE(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "tica_w1"), "value")->valuedouble, 0.0, 1e-12);
    cJSON_Delete(out);
    bb_samples_free(&ref);
    bb_samples_free(&s);
}

BB_TEST_MAIN(NULL, NULL, cmocka_unit_test(features_match_hand_values),
             cmocka_unit_test(tica_recovers_the_slow_mode_of_a_linear_process),
             cmocka_unit_test(tica_metric_is_zero_for_the_reference_itself),
             cmocka_unit_test(tica_runs_for_every_task_that_declares_it),
             cmocka_unit_test(tica_specs_are_pitas_mdtraj_features),
             cmocka_unit_test(tica_halves_w2_is_the_exact_w2_between_the_time_halves),
             cmocka_unit_test(tica_w1_is_the_exact_w1_of_the_projections),
             cmocka_unit_test(tica_segments_never_pair_frames_of_different_trajectories))
