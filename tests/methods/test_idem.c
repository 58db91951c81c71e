/* test_idem.c — iDEM's parts against closed forms: the Monte-Carlo score estimator on a
 * Gaussian target (its exact noised score and the estimator's own standard error), the
 * authors' score clip (whole vector and per particle), exact charging (K evaluations per
 * target, all through the oracle, stopped by the hard budget), the VE schedule against
 * DEM's formulas, the energy parameterisation's score = −∇E_θ against finite
 * differences, and the final samples' negative-time descent (exact geometric decay on the
 * Gaussian, its charged evaluations, the budget fallback).
 *
 * The target: bb_test_gauss, u(x) = Σ_d x_d² / (2 s_d²), s = (0.5, 1, 2.385). In the
 * method's coordinates y = x / a (data_scale a) it is N(0, (s_d/a)²), so the VE-noised
 * density at noise σ is N(0, (s_d/a)² + σ²) and the exact score is −y_d / ((s_d/a)² + σ²).
 *
 * Tolerance of the estimator check: S_K is a self-normalised importance-sampling estimate
 * with proposal q = N(y, σ²) and weights w = exp(−u); its asymptotic (delta-method)
 * variance is Var S_d ≈ E_q[w̃² (f_d − μ_d)²] / K, w̃ = w / E_q w, f_d = −y_kd/(s_d/a)²,
 * μ_d the exact score. For this Gaussian that expectation is closed form (the weights
 * factorise over dimensions; mc_se below), so each component must lie within 5 standard
 * errors (a false failure has probability < 1e-6 per component; the seed is fixed). The
 * estimator's O(1/K) bias is, at K = 20 000, below 1 % of that standard error's scale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harness/run/reproduce.h"
#include "methods/idem/idem.h"
#include "methods/method.h"
#include "tests/testmain.h"
#include "tests/testutil.h"

#define K_BIG 20000

/* An estimator configuration for the 3-D Gaussian task: P = 1, D = 3 (or 3 "particles"
 * of D = 1 to exercise the per-particle clip). */
static idem_config gauss_config(double data_scale, int K, double cap, int per_particle) {
    idem_config c;
    memset(&c, 0, sizeof c);
    c.net.sigma_min = 1e-3;
    c.net.sigma_max = 3.0;
    c.data_scale = data_scale;
    c.mc_samples = K;
    c.max_score_norm = cap;
    c.net.sp.P = per_particle ? 3 : 1;
    c.net.sp.D = per_particle ? 1 : 3;
    c.clip_particles = per_particle;
    return c;
}

/* 1-D moments of the SNIS estimator of one dimension (proposal N(y, v), weight
 * exp(−u²/(2 s2)) with s2 the target variance in y): returns E_q[w²]/E_q[w]² through *a
 * and E_q[w² (f − μ)²]/E_q[w]² through *b, f = −u/s2, μ = −y/(s2 + v). */
static void snis_moments(double y, double s2, double v, double *a, double *b) {
    const double ew = sqrt(s2 / (s2 + v)) * exp(-y * y / (2 * (s2 + v)));
    const double h = s2 / 2; /* w² = exp(−u²/(2 h)) */
    const double ew2 = sqrt(h / (h + v)) * exp(-y * y / (2 * (h + v)));
    const double v2 = v * h / (v + h), m2 = y * h / (v + h); /* q w² ∝ N(m2, v2) */
    const double mu_u = y * s2 / (s2 + v);                   /* f − μ = −(u − mu_u)/s2 */
    *a = ew2 / (ew * ew);
    *b = ew2 / (ew * ew) * (v2 + (m2 - mu_u) * (m2 - mu_u)) / (s2 * s2);
}

/* Standard error of S_d for K draws (delta method, weights factorise over dims). */
static void mc_se(const double *y, const double *s2, double v, int K, double *se) {
    double a[3], b[3];
    for (int d = 0; d < 3; d++) snis_moments(y[d], s2[d], v, &a[d], &b[d]);
    for (int d = 0; d < 3; d++) {
        double var = b[d];
        for (int e = 0; e < 3; e++)
            if (e != d) var *= a[e];
        se[d] = sqrt(var / K);
    }
}

static bb_oracle *gauss_oracle(bb_task **t, int64_t budget) {
    *t = bb_test_task_of(&bb_test_gauss);
    bb_oracle *o = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_oracle_create(*t, budget, &o, &c), BB_OK);
    return o;
}

BB_TEST(estimator_converges_to_the_exact_noised_gaussian_score) {
    const double scales[2] = {1.0, 2.385}; /* data_scale 1 and a non-trivial one */
    const double ts[3] = {0.37, 0.71, 0.93};
    const double ys[3][3] = {{0.31, -0.52, 1.7}, {-0.9, 0.44, -2.2}, {0.05, 1.3, 0.6}};
    for (int si = 0; si < 2; si++) {
        const double a = scales[si];
        idem_config c = gauss_config(a, K_BIG, 1e30, 0);
        bb_sde_schedule sch;
        assert_int_equal(bb_sde_schedule_geometric(&sch, c.net.sigma_min, c.net.sigma_max, NULL), BB_OK);
        bb_task *t;
        bb_oracle *o = gauss_oracle(&t, 3 * K_BIG);
        double y[9], tt[3], out[9];
        for (int r = 0; r < 3; r++) {
            tt[r] = ts[r];
            for (int d = 0; d < 3; d++) y[r * 3 + d] = ys[r][d] / a;
        }
        bb_rng rng;
        bb_rng_init(&rng, 2385, 7);
        bb_ctx ctx = {0};
        size_t rej = 99;
        assert_int_equal(idem_estimate_scores(o, &c, &sch, 3, y, tt, &rng, out, &rej, &ctx), BB_OK);
        assert_int_equal((int)rej, 0);
        for (int r = 0; r < 3; r++) {
            const double v = bb_sde_ve_var(&sch, tt[r]);
            double s2[3], se[3];
            for (int d = 0; d < 3; d++) s2[d] = bb_test_gauss_s[d] * bb_test_gauss_s[d] / (a * a);
            mc_se(y + r * 3, s2, v, K_BIG, se);
            for (int d = 0; d < 3; d++) {
                const double exact = -y[r * 3 + d] / (s2[d] + v), got = out[r * 3 + d];
                const double z = (got - exact) / se[d];
                print_message("a %.3f t %.2f d %d: S_K %+.5f exact %+.5f se %.2e z %+.2f\n", a, tt[r], d, got, exact,
                              se[d], z);
                assert_true(fabs(z) < 5.0);
            }
        }
        /* exactly K energy+gradient evaluations per target, all of them through the oracle */
        assert_int_equal(bb_oracle_used(o), 3 * K_BIG);
        assert_int_equal(bb_oracle_used_with_grad(o), 3 * K_BIG);
        assert_int_equal(bb_oracle_remaining(o), 0);
        bb_oracle_free(o);
        bb_task_free(t);
    }
}

/* Far in the tail the score is large: the clip scales the estimate to norm cap/(|S|+1e-6)·|S|
 * (the authors' factor), keeping its direction, and leaves a small one bit-for-bit alone. */
BB_TEST(estimator_clips_like_the_authors) {
    for (int pp = 0; pp < 2; pp++) {
        const double cap = 1.75;
        idem_config open = gauss_config(1.0, 64, 1e30, pp), clip = gauss_config(1.0, 64, cap, pp);
        bb_sde_schedule sch;
        assert_int_equal(bb_sde_schedule_geometric(&sch, 1e-3, 3.0, NULL), BB_OK);
        bb_task *t;
        bb_oracle *o = gauss_oracle(&t, 4 * 64);
        const double y[6] = {4.1, -7.3, 9.9, 0.01, -0.02, 0.015}, tt[2] = {0.2, 0.3};
        double s_open[6], s_clip[6];
        bb_rng r1, r2;
        bb_rng_init(&r1, 5, 1);
        bb_rng_init(&r2, 5, 1);
        assert_int_equal(idem_estimate_scores(o, &open, &sch, 2, y, tt, &r1, s_open, NULL, NULL), BB_OK);
        assert_int_equal(idem_estimate_scores(o, &clip, &sch, 2, y, tt, &r2, s_clip, NULL, NULL), BB_OK);
        const int nvec = pp ? 3 : 1, D = pp ? 1 : 3;
        for (int r = 0; r < 2; r++)
            for (int i = 0; i < nvec; i++) {
                const double *a = s_open + r * 3 + i * D, *b = s_clip + r * 3 + i * D;
                double na = 0, nb = 0;
                for (int d = 0; d < D; d++) na += a[d] * a[d], nb += b[d] * b[d];
                na = sqrt(na);
                nb = sqrt(nb);
                const double f = cap / (na + 1e-6);
                if (f < 1.0) {
                    assert_true(r == 0); /* only the tail row is clipped */
                    assert_true(fabs(nb - na * f) <= 1e-12 * na);
                    assert_true(nb < cap);
                    for (int d = 0; d < D; d++) assert_true(fabs(b[d] - a[d] * f) <= 1e-12 * fabs(a[d]) + 1e-300);
                } else {
                    assert_memory_equal(a, b, (size_t)D * sizeof(double));
                }
            }
        /* the tail row was clipped in every vector, the small one in none */
        double n0 = 0;
        for (int d = 0; d < 3; d++) n0 += s_clip[d] * s_clip[d];
        assert_true(sqrt(n0) < cap * (pp ? sqrt(3.0) : 1.0) + 1e-12);
        assert_int_equal(bb_oracle_used(o), 4 * 64);
        bb_oracle_free(o);
        bb_task_free(t);
    }
}

/* The hard budget: a batch that does not fit is refused by the oracle (BB_EBUDGET), not
 * shortened or overdrawn. */
BB_TEST(estimator_is_stopped_by_the_budget) {
    idem_config c = gauss_config(1.0, 50, 1e30, 0);
    bb_sde_schedule sch;
    assert_int_equal(bb_sde_schedule_geometric(&sch, 1e-3, 3.0, NULL), BB_OK);
    bb_task *t;
    bb_oracle *o = gauss_oracle(&t, 149);
    const double y[9] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, tt[3] = {0.5, 0.5, 0.5};
    double out[9];
    bb_rng rng;
    bb_rng_init(&rng, 1, 1);
    bb_ctx ctx = {0};
    assert_int_equal(idem_estimate_scores(o, &c, &sch, 3, y, tt, &rng, out, NULL, &ctx), BB_EBUDGET);
    assert_true(bb_oracle_used(o) <= 149);
    assert_int_equal(bb_oracle_used(o) % 50, 0);
    bb_oracle_free(o);
    bb_task_free(t);
}

/* DEM noise_schedules.py GeometricNoiseSchedule: g(t) = σmin r^t √(2 ln r),
 * h(t) = σmin² (r^(2t) − 1); h is ∫_0^t g² (checked by quadrature). */
BB_TEST(ve_schedule_matches_the_authors_formulas) {
    bb_sde_schedule s;
    assert_int_equal(bb_sde_schedule_geometric(&s, 1e-5, 3.0, NULL), BB_OK);
    const double r = 3.0 / 1e-5;
    for (double t = 0.0; t <= 1.0; t += 0.125) {
        const double g = 1e-5 * pow(r, t) * sqrt(2 * log(r)), h = 1e-10 * (pow(r, 2 * t) - 1);
        assert_true(fabs(bb_sde_ve_g(&s, t) - g) <= 1e-12 * g + 1e-300);
        assert_true(fabs(bb_sde_ve_var(&s, t) - h) <= 1e-10 * h + 1e-300);
        double q = 0; /* Simpson on [0, t] */
        const int n = 2000;
        for (int i = 0; i <= n && t > 0; i++) {
            const double u = t * i / n, gu = bb_sde_ve_g(&s, u);
            q += (i == 0 || i == n ? 1 : i % 2 ? 4 : 2) * gu * gu;
        }
        q *= t / (3.0 * n);
        assert_true(fabs(q - bb_sde_ve_var(&s, t)) <= 1e-6 * bb_sde_ve_var(&s, t) + 1e-300);
    }
    assert_true(fabs(bb_sde_ve_var(&s, 1.0) - (9.0 - 1e-10)) < 1e-12);
}

/* idem_energy: the model's score is −∇_y E_θ (central differences of E_θ in float64). */
BB_TEST(energy_network_score_is_minus_its_gradient) {
    idem_config c = gauss_config(1.0, 10, 20, 0);
    c.energy_net = 1;
    c.net.f64 = 1;
    c.net.hidden = 16;
    c.net.layers = 2;
    c.net.t_dim = 8;
    c.batch = 4;
    c.n_generate = 4;
    c.n_steps = 4;
    idem_model m;
    bb_ctx ctx = {0};
    assert_int_equal(idem_model_init(&m, &c, 17, &ctx), BB_OK);
    const double y[3] = {0.3, -1.2, 0.77}, t[1] = {0.41};
    double s[3];
    assert_int_equal(idem_model_score(&m, 1, y, t, s, &ctx), BB_OK);
    /* E_θ through the MLP directly (same parameters) */
    for (int d = 0; d < 3; d++) {
        double e[2];
        for (int k = 0; k < 2; k++) {
            double yp[3] = {y[0], y[1], y[2]};
            yp[d] += (k ? -1 : 1) * 1e-5;
            bb_nn_graph_reset(m.net.g);
            bb_nn_tensor *x = bb_nn_from(m.net.g, BB_NN_F64, 2, (const int64_t[]){1, 3}, yp);
            bb_nn_tensor *tt = bb_nn_from(m.net.g, BB_NN_F64, 2, (const int64_t[]){1, 1}, t);
            bb_nn_tensor *te =
                bb_nn_time_embed_sin(m.net.g, bb_nn_scale(m.net.g, tt, 1000.0, 0.0), c.net.t_dim, 10000.0);
            e[k] = bb_nn_get(bb_nn_mlp_fwd(m.net.g, &m.net.ps, &m.net.mlp, bb_nn_concat_cols(m.net.g, x, te)), 0);
        }
        const double fd = -(e[0] - e[1]) / 2e-5;
        print_message("d %d: score %+.8f  -dE/dy %+.8f\n", d, s[d], fd);
        assert_true(fabs(s[d] - fd) <= 1e-6 * (1 + fabs(fd)));
    }
    idem_model_free(&m);
}

/* One iDEM run on the 3-D Gaussian (tiny MLP, one regression step) with and without the
 * negative-time descent (data_scale 2, so the step is taken in y = x / 2): same seed, so the
 * same SDE samples y0 before it; unclipped, each step multiplies y_d by exactly
 * (1 − dt a² / s_d²) (score in y: −a² y_d / s_d²), so the final samples are
 * y0 (1 − dt a²/s_d²)^steps (to 1e-12), the descent charges n_samples evaluations per step
 * (reserved at init, `evaluations_negative_time`), and a budget that cannot pay for it
 * leaves it out and says so. */
static void run_gauss_idem(int steps, int64_t budget, double *x, int64_t *used, char *what, size_t what_len) {
    bb_task *t;
    bb_oracle *o = gauss_oracle(&t, budget);
    const bb_method *m = bb_method_find("idem");
    char js[512];
    snprintf(js, sizeof js,
             "{\"hidden\": 8, \"layers\": 1, \"t_dim\": 8, \"batch_size\": 4, \"n_generate\": 4, \"n_init\": 4, "
             "\"n_steps\": 4, \"mc_samples\": 5, \"max_steps\": 1, \"data_scale\": 2, \"max_score_norm\": 1e6, "
             "\"negative_time_steps\": %d, \"negative_time_dt\": 0.01}",
             steps);
    cJSON *ov = cJSON_Parse(js);
    bb_params p;
    bb_ctx c = {0};
    assert_int_equal(bb_method_resolve_params(m, t->type->name, NULL, ov, &p, &c), BB_OK);
    cJSON_Delete(ov);
    bb_method_env env = {.oracle = o, .seed = 3, .n_samples = 6, .threads = 1};
    void *st = NULL;
    assert_int_equal(m->init(&env, &p, &st, &c), BB_OK);
    bb_params_free(&p);
    for (int k = 0; k < 3; k++) {
        bb_step_info info = {0};
        assert_int_equal(m->step(st, &info, &c), BB_OK);
        if (info.stop != BB_STOP_NONE) break;
    }
    bb_samples s = {0};
    assert_int_equal(m->draw(st, &s, &c), BB_OK);
    memcpy(x, s.x, 18 * sizeof *x);
    *used = bb_oracle_used(o);
    cJSON *info = cJSON_CreateObject();
    m->describe(st, info);
    snprintf(what, what_len, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(info, "negative_time")));
    assert_int_equal((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(info, "evaluations_negative_time")),
                     strcmp(what, "final samples") ? 0 : 6 * steps);
    cJSON_Delete(info);
    bb_samples_free(&s);
    m->free(st);
    bb_oracle_free(o);
    bb_task_free(t);
}

BB_TEST(negative_time_descent_is_gradient_descent_on_the_final_samples) {
    double x0[18], x3[18], xs[18];
    int64_t u0, u3, us;
    char w0[64], w3[64], ws[64];
    run_gauss_idem(0, 1000, x0, &u0, w0, sizeof w0);
    run_gauss_idem(3, 1000, x3, &u3, w3, sizeof w3);
    assert_string_equal(w0, "off");
    assert_string_equal(w3, "final samples");
    assert_int_equal(u3 - u0, 6 * 3);
    const double a = 2.0, dt = 0.01;
    for (int r = 0; r < 6; r++)
        for (int d = 0; d < 3; d++) {
            const double sd = bb_test_gauss_s[d], f = pow(1.0 - dt * a * a / (sd * sd), 3);
            const double want = x0[r * 3 + d] * f, got = x3[r * 3 + d];
            assert_true(fabs(got - want) <= 1e-12 * (1 + fabs(want)));
        }
    /* the descent's 18 evaluations are reserved before training: a budget of 15 cannot */
    run_gauss_idem(3, 15, xs, &us, ws, sizeof ws);
    assert_string_equal(ws, "skipped: the budget cannot pay for it");
}

BB_TEST(both_variants_are_registered_with_the_authors_per_task_defaults) {
    const char *names[2] = {"idem", "idem_energy"};
    for (int i = 0; i < 2; i++) {
        const bb_method *m = bb_method_find(names[i]);
        assert_non_null(m);
        bb_params p;
        bb_ctx c = {0};
        assert_int_equal(bb_method_resolve_params(m, "gmm40", NULL, NULL, &p, &c), BB_OK);
        assert_int_equal(bb_params_int(&p, "mc_samples"), 500);
        assert_true(bb_params_double(&p, "max_score_norm") == 70);
        assert_true(bb_params_double(&p, "data_scale") == 50);
        assert_string_equal(bb_params_str(&p, "lambda"), "var");
        bb_params_free(&p);
        assert_int_equal(bb_method_resolve_params(m, "lj13", NULL, NULL, &p, &c), BB_OK);
        assert_int_equal(bb_params_int(&p, "mc_samples"), 1000);
        assert_int_equal(bb_params_int(&p, "layers"), 5);
        assert_true(bb_params_double(&p, "sigma_min") == 0.01 && bb_params_double(&p, "sigma_max") == 2);
        assert_true(bb_params_double(&p, "diffusion_scale") == 0.9);
        assert_int_equal(bb_params_int(&p, "max_steps"), 0); /* the whole budget */
        bb_params_free(&p);
        assert_int_equal(bb_method_resolve_params(m, "lj55", NULL, NULL, &p, &c), BB_OK);
        assert_int_equal(bb_params_int(&p, "mc_samples"), 100);
        assert_int_equal(bb_params_int(&p, "batch_size"), 128);
        assert_int_equal(bb_params_int(&p, "negative_time_steps"), 10); /* lj55_idem.yaml:69-70 */
        assert_true(bb_params_double(&p, "negative_time_dt") == 1e-4);
        bb_params_free(&p);
        assert_int_equal(bb_method_resolve_params(m, "dw4", NULL, NULL, &p, &c), BB_OK);
        assert_int_equal(bb_params_int(&p, "negative_time_steps"), 0); /* off elsewhere (dem.yaml:84) */
        bb_params_free(&p);
    }
}

/* The committed protocols (results/protocols/idem) load, and their parameters are idem's
 * (every key known, every value accepted) with the published values the issue quotes. */
BB_TEST(protocols_load_and_name_only_idem_parameters) {
    const char *tasks[2] = {"dw4", "lj13"};
    const double geo[2] = {0.70, 1.61}, ew2[2] = {0.55, 30.78};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        bb_ctx c = {0};
        bb_protocol p;
        assert_int_equal(bb_protocol_locate("idem", tasks[i], path, sizeof path, &c), BB_OK);
        assert_int_equal(bb_protocol_load(path, &p, &c), BB_OK);
        assert_string_equal(p.method, "idem");
        assert_int_equal(p.n_published, 2);
        assert_string_equal(p.published[0].metric, "eq_x_w2");
        assert_true(p.published[0].value == geo[i] && p.published[1].value == ew2[i]);
        bb_params rp;
        if (bb_method_resolve_params(bb_method_find("idem"), tasks[i], p.params, NULL, &rp, &c))
            fail_msg("%s: %s", path, c.msg);
        /* the protocol restates the per-task defaults: they agree */
        bb_params dp;
        assert_int_equal(bb_method_resolve_params(bb_method_find("idem"), tasks[i], NULL, NULL, &dp, &c), BB_OK);
        const char *keys[] = {"sigma_min", "sigma_max", "mc_samples", "layers", "diffusion_scale", "lr", "n_generate"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            const bb_param_spec *ps = NULL;
            for (const bb_param_spec *q = bb_method_find("idem")->params; q->name; q++)
                if (!strcmp(q->name, keys[k])) ps = q;
            assert_non_null(ps);
            if (ps->type == BB_PARAM_INT)
                assert_int_equal(bb_params_int(&rp, keys[k]), bb_params_int(&dp, keys[k]));
            else
                assert_true(bb_params_double(&rp, keys[k]) == bb_params_double(&dp, keys[k]));
        }
        bb_params_free(&rp);
        bb_params_free(&dp);
        bb_protocol_free(&p);
    }
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(estimator_converges_to_the_exact_noised_gaussian_score),
                cmocka_unit_test(estimator_clips_like_the_authors),
                cmocka_unit_test(estimator_is_stopped_by_the_budget),
                cmocka_unit_test(ve_schedule_matches_the_authors_formulas),
                cmocka_unit_test(energy_network_score_is_minus_its_gradient),
                cmocka_unit_test(negative_time_descent_is_gradient_descent_on_the_final_samples),
                cmocka_unit_test(both_variants_are_registered_with_the_authors_per_task_defaults),
                cmocka_unit_test(protocols_load_and_name_only_idem_parameters))
