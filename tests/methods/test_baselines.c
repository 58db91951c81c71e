/* test_baselines.c — the MCMC baselines on the real tasks.
 *   quick: on GMM-40, pt finds more of the 40 modes than mala under the same budget.
 *   slow (argv[1] == "slow"): mean reduced energies match the equilibrium reference facts
 *   (../shared/reference/tasks.md): DW-4 −22.544 (PT, sd 1.90), LJ-13 −43.01 ± 0.07 (PT, sd 6.95).
 * Tolerances: 5 standard errors of the mean with the effective sample size taken as a quarter
 * of the samples (residual autocorrelation of thinned chains), plus the reference's own error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/run/driver.h"
#include "methods/method.h"
#include "tasks/task.h"
#include "tests/testmain.h"

static int slow_mode;

static void sample(const char *task, const char *method, const char *params, int64_t budget, size_t n, bb_samples *out,
                   bb_task **t_out) {
    bb_ctx c = {0};
    bb_task *t;
    assert_int_equal(bb_task_create(task, NULL, &t, &c), BB_OK);
    bb_oracle *o;
    assert_int_equal(bb_oracle_create(t, budget, &o, &c), BB_OK);
    const bb_method *m = bb_method_find(method);
    cJSON *user = cJSON_Parse(params);
    bb_params p;
    assert_int_equal(bb_method_resolve_params(m, t->type->name, NULL, user, &p, &c), BB_OK);
    int rc = bb_driver_run_plain(m, &p, o, 1, n, out, NULL, NULL, &c);
    if (rc) print_message("%s\n", c.msg);
    assert_int_equal(rc, BB_OK);
    assert_true(bb_oracle_used(o) <= budget);
    bb_params_free(&p);
    cJSON_Delete(user);
    bb_oracle_free(o);
    *t_out = t;
}

/* Modes of GMM-40 holding at least one sample within 6 (≈ 4.6 std) of their centre. The
 * centres are taken from exact draws (sample_exact), greedily: a draw farther than 6 from
 * every centre found so far opens a new one; draws land within ~3 std of their mean, so each
 * of the 40 modes yields one centre. */
static int modes_found(const bb_task *t, const bb_samples *s) {
    bb_rng r;
    bb_rng_init(&r, 42, 0x70000001);
    enum { M = 40 };
    double *ex = malloc(20000 * 2 * sizeof(double));
    bb_ctx c = {0};
    assert_int_equal(t->type->sample_exact(t, 20000, &r, ex, &c), BB_OK);
    double mean[M][2];
    int nm = 0;
    for (int i = 0; i < 20000 && nm < M; i++) {
        int close = 0;
        for (int k = 0; k < nm; k++)
            if (hypot(ex[2 * i] - mean[k][0], ex[2 * i + 1] - mean[k][1]) < 6.0) close = 1;
        if (!close) {
            mean[nm][0] = ex[2 * i];
            mean[nm][1] = ex[2 * i + 1];
            nm++;
        }
    }
    free(ex);
    assert_int_equal(nm, M);
    int covered[M] = {0}, found = 0;
    for (size_t i = 0; i < s->n; i++) {
        int best = -1;
        double bd = 1e300;
        for (int k = 0; k < nm; k++) {
            double d = hypot(s->x[2 * i] - mean[k][0], s->x[2 * i + 1] - mean[k][1]);
            if (d < bd) {
                bd = d;
                best = k;
            }
        }
        if (best >= 0 && bd < 6.0) covered[best] = 1;
    }
    for (int k = 0; k < nm; k++) found += covered[k];
    return found;
}

BB_TEST(pt_finds_more_gmm40_modes_than_mala_under_the_same_budget) {
    bb_samples a = {0}, b = {0};
    bb_task *ta, *tb;
    /* Both start every chain near the origin (init_scale 1): coverage then measures mixing,
     * not the spread of the initial states. */
    sample("gmm40", "mala", "{\"init_scale\": 1}", 200000, 2000, &a, &ta);
    sample("gmm40", "pt", "{\"init_scale\": 1}", 200000, 2000, &b, &tb);
    int fa = modes_found(ta, &a), fb = modes_found(tb, &b);
    print_message("GMM-40 modes found with 2e5 evaluations: mala %d, pt %d\n", fa, fb);
    assert_true(fb > fa);
    bb_samples_free(&a);
    bb_samples_free(&b);
    bb_task_free(ta);
    bb_task_free(tb);
}

static double mean_energy(const bb_task *t, const bb_samples *s, double *sd) {
    double *u = malloc(s->n * sizeof *u);
    bb_ctx c = {0};
    assert_int_equal(bb_task_energy(t, s->n, s->x, u, NULL, &c), BB_OK);
    double m = 0, v = 0;
    for (size_t i = 0; i < s->n; i++) m += u[i];
    m /= s->n;
    for (size_t i = 0; i < s->n; i++) v += (u[i] - m) * (u[i] - m);
    *sd = sqrt(v / (s->n - 1));
    free(u);
    return m;
}

static void check_mean(const char *task, const char *method, int64_t budget, double ref, double ref_err) {
    bb_samples s = {0};
    bb_task *t;
    sample(task, method, "{}", budget, 4000, &s, &t);
    double sd, m = mean_energy(t, &s, &sd);
    double tol = 5 * sd / sqrt(s.n / 4.0) + ref_err;
    print_message("%s %s (%lld evals): mean u %.4f (sd %.3f), reference %.4f, tolerance %.3f\n", task, method,
                  (long long)budget, m, sd, ref, tol);
    assert_true(fabs(m - ref) < tol);
    bb_samples_free(&s);
    bb_task_free(t);
}

BB_TEST(dw4_mean_energy_matches_equilibrium) {
    if (!slow_mode) skip();
    check_mean("dw4", "pt", 4000000, -22.544, 0.002);
    check_mean("dw4", "mala", 4000000, -22.544, 0.002);
}

BB_TEST(lj13_mean_energy_matches_equilibrium) {
    if (!slow_mode) skip();
    check_mean("lj13", "pt", 20000000, -43.01, 0.07);
}

int main(int argc, char **argv) {
    slow_mode = argc > 1 && strcmp(argv[1], "slow") == 0;
    const struct CMUnitTest quick[] = {
        cmocka_unit_test(pt_finds_more_gmm40_modes_than_mala_under_the_same_budget),
    };
    const struct CMUnitTest slow[] = {
        cmocka_unit_test(dw4_mean_energy_matches_equilibrium),
        cmocka_unit_test(lj13_mean_energy_matches_equilibrium),
    };
    return slow_mode ? cmocka_run_group_tests(slow, NULL, NULL) : cmocka_run_group_tests(quick, NULL, NULL);
}
