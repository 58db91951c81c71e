/* test_pita.c — PITA's parts against independent computations: the fields of an annealing
 * step (s_E = −∇U_θ, ∂U_θ/∂t, the exact divergence of s_S over the centre-of-mass-free
 * subspace) against central finite differences of the networks' own outputs, Hutchinson's
 * estimate against the exact divergence, the energy network's denoiser x − σ²∇U_θ against
 * its closed form c_skip x + c_out ∇_y⟨F_E, y⟩ (checked through the definition of U_θ),
 * a training loop that lowers the loss, the EGNN's conditioning inputs, and the parameter
 * checks with their messages.
 *
 * Tolerances: float64 networks, central differences with h = 1e-5 have truncation error
 * O(h²·f''') ≈ 1e-10 and rounding error O(ε/h) ≈ 1e-11 relative; 1e-6 relative leaves a wide
 * margin while any missing term (a projection, a factor σ, a sign) is O(1). Hutchinson's
 * estimate with N Rademacher probes has standard error sqrt(2 Σ_{i≠j} J_ij²/N); the check
 * is 5 standard errors with that variance computed from the exact Jacobian (fixed seed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "methods/method.h"
#include "methods/pita/pita.h"
#include "tasks/task.h"
#include "tests/testmain.h"
#include "tests/testutil.h"

/* A small float64 configuration: EGNN on 4 particles in 2-D (COM-free) or MLP on 3-D. */
static pita_config small_config(int egnn) {
    pita_config c;
    memset(&c, 0, sizeof c);
    c.net.use_egnn = egnn;
    c.net.f64 = 1;
    c.net.hidden = 8;
    c.net.layers = 2;
    c.net.sigma_min = 0.05;
    c.net.sigma_max = 80;
    c.net.egnn_attention = 1;
    c.net.egnn_coord_range = 15;
    c.net.egnn_coord_sum = 1;
    c.net.egnn_edge_attr = 1;
    c.data_scale = 1;
    c.net.sp = egnn ? (bb_sde_space){4, 2, 1} : (bb_sde_space){1, 3, 0};
    c.rho = 7;
    c.p_mean = -1.2;
    c.p_std = 1.2;
    c.n_levels = 2;
    c.tau[0] = 2;
    c.tau[1] = 1;
    c.beta[0] = 1;
    c.beta[1] = 2;
    c.steps[0] = 1;
    c.batch = 16;
    c.w_escore = c.w_score = c.w_match = 1;
    c.energy_mask = 1e3;
    c.lr = 1e-3;
    c.max_grad_norm = 0.5;
    c.ema_decay = 0.999;
    c.sde_steps = 10;
    c.clip_q = 0.9;
    c.chunk = 16;
    return c;
}

static size_t dof_of(const pita_config *c) { return (size_t)c->net.sp.P * (size_t)c->net.sp.D; }

/* n random rows (COM-free for particle spaces) of scale s. */
static void random_rows(const pita_config *c, size_t n, uint64_t seed, double s, double *x) {
    bb_rng r;
    bb_rng_init(&r, seed, 0);
    bb_sde_noise(&c->net.sp, n, &r, x);
    for (size_t k = 0; k < n * dof_of(c); k++) x[k] *= s;
}

/* Row r of x moved by h along u (dof values). */
static void shift(const double *x, size_t dof, size_t r, const double *u, double h, double *out) {
    memcpy(out, x + r * dof, dof * sizeof *out);
    for (size_t k = 0; k < dof; k++) out[k] += h * u[k];
}

static void check_fields(int egnn) {
    pita_config c = small_config(egnn);
    const size_t n = 3, dof = dof_of(&c);
    pita_model m;
    bb_ctx ctx = {0};
    assert_int_equal(pita_model_init(&m, &c, 5, &ctx), BB_OK);
    double x[3 * 8], se[3 * 8], ss[3 * 8], div[3], dudt[3];
    random_rows(&c, n, 9, 1.3, x);
    const double t = 0.37, beta = 1.33, h = 1e-5;
    bb_rng rng;
    bb_rng_init(&rng, 1, 1);
    if (pita_fields(&m, n, x, t, beta, &rng, se, ss, div, dudt, &ctx)) fail_msg("%s", ctx.msg);
    const double sig = sqrt(bb_edm_var(&m.sch, t));
    for (size_t r = 0; r < n; r++) {
        double xp[8], xm[8], up, um, e[8], sp_[8], sm_[8], fd_div = 0.0;
        /* s_E = −∇U: each coordinate */
        for (size_t k = 0; k < dof; k++) {
            memset(e, 0, sizeof e);
            e[k] = 1.0;
            shift(x, dof, r, e, h, xp);
            shift(x, dof, r, e, -h, xm);
            assert_int_equal(pita_model_energy(&m, 1, xp, sig, beta, &up, &ctx), BB_OK);
            assert_int_equal(pita_model_energy(&m, 1, xm, sig, beta, &um, &ctx), BB_OK);
            const double fd = -(up - um) / (2 * h);
            if (fabs(se[r * dof + k] - fd) > 1e-6 * (1 + fabs(fd)))
                fail_msg("row %zu coord %zu: s_E %.10g, finite difference %.10g", r, k, se[r * dof + k], fd);
        }
        /* ∂U/∂t through σ(t) */
        assert_int_equal(pita_model_energy(&m, 1, x + r * dof, sqrt(bb_edm_var(&m.sch, t + h)), beta, &up, &ctx), 0);
        assert_int_equal(pita_model_energy(&m, 1, x + r * dof, sqrt(bb_edm_var(&m.sch, t - h)), beta, &um, &ctx), 0);
        const double fdt = (up - um) / (2 * h);
        if (fabs(dudt[r] - fdt) > 1e-6 * (1 + fabs(fdt)))
            fail_msg("row %zu: dU/dt %.10g, finite difference %.10g", r, dudt[r], fdt);
        /* ∇·s_S on the subspace: Σ_k u_kᵀ (s(x + h u_k) − s(x − h u_k)) / 2h, u_k = Π e_k */
        for (size_t k = 0; k < dof; k++) {
            memset(e, 0, sizeof e);
            e[k] = 1.0;
            if (c.net.sp.com_free) bb_sde_centre_row(c.net.sp.P, c.net.sp.D, e);
            shift(x, dof, r, e, h, xp);
            shift(x, dof, r, e, -h, xm);
            assert_int_equal(pita_fields(&m, 1, xp, t, beta, NULL, NULL, sp_, NULL, NULL, &ctx), BB_OK);
            assert_int_equal(pita_fields(&m, 1, xm, t, beta, NULL, NULL, sm_, NULL, NULL, &ctx), BB_OK);
            for (size_t j = 0; j < dof; j++) fd_div += e[j] * (sp_[j] - sm_[j]) / (2 * h);
        }
        print_message("row %zu: div %.10g (finite differences %.10g), dU/dt %.6g\n", r, div[r], fd_div, dudt[r]);
        if (fabs(div[r] - fd_div) > 1e-6 * (1 + fabs(fd_div)))
            fail_msg("row %zu: divergence %.10g, finite differences %.10g", r, div[r], fd_div);
        /* s_S is what the denoiser says: (D_S − x)/σ² with D_S → c_skip x for an output of 0 is
         * not checkable without the network; the score of one row equals the batched one */
        assert_int_equal(pita_fields(&m, 1, x + r * dof, t, beta, NULL, NULL, sp_, NULL, NULL, &ctx), BB_OK);
        for (size_t j = 0; j < dof; j++) assert_true(fabs(sp_[j] - ss[r * dof + j]) <= 1e-12 * (1 + fabs(sp_[j])));
    }
    pita_model_free(&m);
}

BB_TEST(fields_match_finite_differences_egnn) { check_fields(1); }
BB_TEST(fields_match_finite_differences_mlp) { check_fields(0); }

/* An annealing saved after 3 of 6 SDE steps and read back continues bit for bit (its
 * randomness is (seed, stream + step)); the weights stay finite and the particles COM-free. */
BB_TEST(annealing_resumes_bit_for_bit) {
    pita_config c = small_config(1);
    c.sde_steps = 6;
    c.end_resampling = 5;
    c.resample_ess = 0.5;
    c.div_probes = 2;
    c.chunk = 7;
    const size_t n = 20, dof = dof_of(&c);
    pita_model m;
    bb_ctx ctx = {0};
    assert_int_equal(pita_model_init(&m, &c, 5, &ctx), BB_OK);
    pita_anneal a, b;
    assert_int_equal(pita_anneal_begin(&a, &m, n, 0, 1.0, 42, 1000, &ctx), BB_OK);
    assert_true(a.gamma == 2.0);
    for (int s = 0; s < 3; s++) assert_int_equal(pita_anneal_step(&a, &m, &ctx), BB_OK);
    FILE *fp = tmpfile();
    assert_non_null(fp);
    assert_int_equal(pita_anneal_write(fp, &a, dof, &ctx), BB_OK);
    rewind(fp);
    assert_int_equal(pita_anneal_read(fp, &b, dof, &ctx), BB_OK);
    fclose(fp);
    for (int s = 0; s < 3; s++) {
        assert_int_equal(pita_anneal_step(&a, &m, &ctx), BB_OK);
        assert_int_equal(pita_anneal_step(&b, &m, &ctx), BB_OK);
    }
    assert_int_equal(a.step, 6);
    assert_memory_equal(a.x, b.x, n * dof * sizeof(double));
    assert_memory_equal(a.logw, b.logw, n * sizeof(double));
    assert_int_equal((int)a.resamplings, (int)b.resamplings);
    for (size_t r = 0; r < n; r++) {
        assert_true(isfinite(a.logw[r]));
        double com[2] = {0, 0};
        for (int p = 0; p < 4; p++)
            for (int d = 0; d < 2; d++) com[d] += a.x[r * dof + (size_t)(2 * p + d)];
        assert_true(fabs(com[0]) < 1e-9 && fabs(com[1]) < 1e-9);
    }
    /* without an oracle the end only summarises: no correction, the particles as they are */
    assert_int_equal(pita_anneal_end(&a, &m, NULL, &ctx), BB_OK);
    assert_memory_equal(a.x, b.x, n * dof * sizeof(double));
    assert_true(isfinite(a.log_z));
    /* a truncated record is refused */
    fp = tmpfile();
    assert_int_equal(pita_anneal_write(fp, &b, dof, &ctx), BB_OK);
    fflush(fp);
    assert_int_equal(ftruncate(fileno(fp), 100), 0);
    rewind(fp);
    pita_anneal t;
    assert_int_equal(pita_anneal_read(fp, &t, dof, &ctx), BB_EFORMAT);
    print_message("%s\n", ctx.msg);
    fclose(fp);
    pita_anneal_free(&a);
    pita_anneal_free(&b);
    pita_model_free(&m);
}

/* Hutchinson's estimate is unbiased: N probes within 5 standard errors of the exact trace. */
BB_TEST(hutchinson_divergence_is_unbiased) {
    pita_config c = small_config(1);
    const size_t dof = dof_of(&c);
    pita_model m;
    bb_ctx ctx = {0};
    assert_int_equal(pita_model_init(&m, &c, 5, &ctx), BB_OK);
    double x[8], ex, est, J[8][8], sp_[8], sm_[8], e[8], xp[8], xm[8];
    random_rows(&c, 1, 4, 1.0, x);
    const double t = 0.5, beta = 1, h = 1e-5;
    assert_int_equal(pita_fields(&m, 1, x, t, beta, NULL, NULL, NULL, &ex, NULL, &ctx), BB_OK);
    /* the Jacobian on the subspace basis u_k (finite differences) for the variance */
    for (size_t k = 0; k < dof; k++) {
        memset(e, 0, sizeof e);
        e[k] = 1.0;
        bb_sde_centre_row(c.net.sp.P, c.net.sp.D, e);
        shift(x, dof, 0, e, h, xp);
        shift(x, dof, 0, e, -h, xm);
        assert_int_equal(pita_fields(&m, 1, xp, t, beta, NULL, NULL, sp_, NULL, NULL, &ctx), BB_OK);
        assert_int_equal(pita_fields(&m, 1, xm, t, beta, NULL, NULL, sm_, NULL, NULL, &ctx), BB_OK);
        for (size_t j = 0; j < dof; j++) J[j][k] = (sp_[j] - sm_[j]) / (2 * h);
    }
    /* projected Rademacher v = Π z: var(vᵀJv) ≤ 2 Σ_ij (ΠJΠ)_ij² (a bound: Gaussian-probe variance) */
    double ss2 = 0.0;
    for (size_t i = 0; i < dof; i++)
        for (size_t j = 0; j < dof; j++) ss2 += J[i][j] * J[i][j];
    const int N = 4000;
    m.cfg.div_probes = N;
    bb_rng rng;
    bb_rng_init(&rng, 3, 3);
    assert_int_equal(pita_fields(&m, 1, x, t, beta, &rng, NULL, NULL, &est, NULL, &ctx), BB_OK);
    const double se = sqrt(2.0 * ss2 / N);
    print_message("exact %.8g, Hutchinson (%d probes) %.8g, standard error <= %.3g\n", ex, N, est, se);
    assert_true(fabs(est - ex) <= 5 * se);
    pita_model_free(&m);
}

/* The energy network's denoiser: x − σ²∇U_θ = c_skip x + c_out ∇_y⟨F_E, y⟩, i.e. the score
 * −∇U_θ has the quadratic term's part −x/(1+σ²); with the output layer of F_E zeroed the
 * energy is exactly |x|²/(2(1+σ²)) and the score −x/(1+σ²). */
BB_TEST(energy_network_with_zero_output_is_the_gaussian) {
    pita_config c = small_config(0);
    const size_t dof = dof_of(&c);
    pita_model m;
    bb_ctx ctx = {0};
    assert_int_equal(pita_model_init(&m, &c, 5, &ctx), BB_OK);
    const bb_nn_linear *lo = &m.mlp[1].lin[m.mlp[1].n_layers - 1];
    double zero[64] = {0};
    bb_nn_params_set(&m.ps, lo->w, zero);
    bb_nn_params_set(&m.ps, lo->b, zero);
    double x[3], se[3], u, dudt;
    random_rows(&c, 1, 2, 1.5, x);
    const double t = 0.6, v = bb_edm_var(&m.sch, t);
    assert_int_equal(pita_fields(&m, 1, x, t, 2.0, NULL, se, NULL, NULL, &dudt, &ctx), BB_OK);
    assert_int_equal(pita_model_energy(&m, 1, x, sqrt(v), 2.0, &u, &ctx), BB_OK);
    const double q = (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    assert_true(fabs(u - q / (2 * (1 + v))) <= 1e-12 * q);
    for (size_t k = 0; k < dof; k++) assert_true(fabs(se[k] + x[k] / (1 + v)) <= 1e-12);
    /* ∂U/∂t = −|x|² g²/(2(1+σ²)²) */
    const double want = -q * bb_edm_g2(&m.sch, t) / (2 * (1 + v) * (1 + v));
    assert_true(fabs(dudt - want) <= 1e-9 * fabs(want));
    pita_model_free(&m);
}

/* 400 Adam steps on a fixed two-cluster data set with energies: the loss falls. */
BB_TEST(training_lowers_the_loss) {
    pita_config c = small_config(0);
    c.net.hidden = 32;
    c.batch = 64;
    const size_t dof = dof_of(&c), N = 256;
    pita_model m;
    bb_ctx ctx = {0};
    assert_int_equal(pita_model_init(&m, &c, 7, &ctx), BB_OK);
    double *data = malloc(N * dof * sizeof(double)), *en = malloc(N * sizeof(double));
    double *xb = malloc((size_t)c.batch * dof * sizeof(double)), *eb = malloc((size_t)c.batch * sizeof(double));
    bb_rng r;
    bb_rng_init(&r, 1, 2);
    for (size_t i = 0; i < N; i++) {
        const double mu = i % 2 ? 2.0 : -2.0;
        en[i] = 0.0;
        for (size_t k = 0; k < dof; k++) {
            const double z = bb_rng_normal(&r) * 0.5;
            data[i * dof + k] = mu + z;
            en[i] += z * z / (2 * 0.25);
        }
    }
    double first = 0, last = 0;
    const int S = 400, W = 50;
    for (int s = 0; s < S; s++) {
        for (int b = 0; b < c.batch; b++) {
            const size_t i = (size_t)bb_rng_below(&r, N);
            memcpy(xb + (size_t)b * dof, data + i * dof, dof * sizeof(double));
            eb[b] = en[i];
        }
        double loss;
        if (pita_train_step(&m, (size_t)c.batch, xb, eb, NULL, 1.0, &r, &loss, NULL, &ctx)) fail_msg("%s", ctx.msg);
        if (s < W) first += loss / W;
        if (s >= S - W) last += loss / W;
    }
    print_message("mean loss: first %d steps %.4g, last %d steps %.4g\n", W, first, W, last);
    assert_true(last < 0.5 * first);
    BB_FREE_ALL(data, en, xb, eb);
    pita_model_free(&m);
}

/* The EGNN's conditioning inputs change the output, keep it equivariant (rotation) and leave
 * the parameters of a network without them as before (same count). */
BB_TEST(egnn_conditioning_inputs) {
    bb_nn_params ps, ps0;
    bb_nn_egnn net, net0;
    bb_ctx ctx = {0};
    bb_nn_egnn_config cfg = {.n_particles = 3,
                             .dim = 2,
                             .hidden = 8,
                             .n_layers = 2,
                             .normalize = 1,
                             .act = BB_NN_ACT_SILU,
                             .out = BB_NN_EGNN_VECTOR,
                             .n_cond = 2};
    bb_nn_params_init(&ps, BB_NN_F64);
    assert_int_equal(bb_nn_egnn_init(&net, &ps, "e", &cfg, &ctx), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&ps, 3, &ctx), BB_OK);
    bb_nn_egnn_config c0 = cfg;
    c0.n_cond = 0;
    bb_nn_params_init(&ps0, BB_NN_F64);
    assert_int_equal(bb_nn_egnn_init(&net0, &ps0, "e", &c0, &ctx), BB_OK);
    assert_int_equal(bb_nn_params_alloc(&ps0, 3, &ctx), BB_OK);
    /* with conditioning: the embedding Linear(2, H) replaces the learned start vector [1, H] */
    assert_int_equal((long long)ps.total, (long long)(ps0.total - 8 + 2 * 8 + 8));
    bb_nn_egnn_graph eg;
    assert_int_equal(bb_nn_egnn_graph_init(&eg, 1, 3, &ctx), BB_OK);
    bb_nn_graph *g;
    assert_int_equal(bb_nn_graph_init(&g, 0, &ctx), BB_OK);
    const double x[6] = {0.1, 0.5, -0.7, 0.2, 0.6, -0.7}, c1[2] = {0.1, 1.0}, c2[2] = {0.1, 2.0};
    const double a = 0.7, ca = cos(a), sa = sin(a);
    double xr[6], o1[6], o2[6], orot[6];
    for (int p = 0; p < 3; p++) {
        xr[2 * p] = ca * x[2 * p] - sa * x[2 * p + 1];
        xr[2 * p + 1] = sa * x[2 * p] + ca * x[2 * p + 1];
    }
    const double *ins[3] = {x, x, xr};
    const double *cs[3] = {c1, c2, c1};
    double *outs[3] = {o1, o2, orot};
    for (int k = 0; k < 3; k++) {
        bb_nn_graph_reset(g);
        bb_nn_tensor *xt = bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){1, 6}, ins[k]);
        bb_nn_tensor *ct = bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){1, 2}, cs[k]);
        bb_nn_tensor *o = bb_nn_egnn_fwd_cond(g, &ps, &net, &eg, xt, NULL, ct);
        assert_int_equal(bb_nn_graph_status(g, &ctx), BB_OK);
        bb_nn_to_double(o, outs[k]);
    }
    double diff = 0;
    for (int k = 0; k < 6; k++) diff += fabs(o1[k] - o2[k]);
    assert_true(diff > 1e-8); /* β matters */
    for (int p = 0; p < 3; p++) {
        assert_true(fabs(ca * o1[2 * p] - sa * o1[2 * p + 1] - orot[2 * p]) < 1e-12);
        assert_true(fabs(sa * o1[2 * p] + ca * o1[2 * p + 1] - orot[2 * p + 1]) < 1e-12);
    }
    /* a missing or mis-shaped cond is refused */
    bb_nn_graph_reset(g);
    bb_nn_tensor *xt = bb_nn_from(g, BB_NN_F64, 2, (const int64_t[]){1, 6}, x);
    assert_null(bb_nn_egnn_fwd_cond(g, &ps, &net, &eg, xt, NULL, NULL));
    assert_int_equal(bb_nn_graph_status(g, &ctx), BB_EINVAL);
    bb_nn_graph_free(g);
    bb_nn_egnn_graph_free(&eg);
    bb_nn_params_free(&ps);
    bb_nn_params_free(&ps0);
}

/* Parameters: the authors' LJ-13 defaults resolve; a ladder that does not end at 1, does not
 * decrease or does not match level_steps is refused naming the parameter. */
BB_TEST(parameters_and_their_checks) {
    const bb_method *me = bb_method_find("pita");
    assert_non_null(me);
    bb_task *task = NULL;
    bb_ctx c = {0};
    assert_int_equal(bb_task_create("lj13", NULL, &task, &c), BB_OK);
    bb_params p;
    pita_config cfg;
    assert_int_equal(bb_method_resolve_params(me, "lj13", NULL, NULL, &p, &c), BB_OK);
    assert_int_equal(pita_config_from_params(&p, task, &cfg, &c), BB_OK);
    assert_int_equal(cfg.n_levels, 6);
    const double beta[6] = {1, 1.33, 2, 2.67, 3.33, 4};
    for (int k = 0; k < 6; k++) assert_true(cfg.beta[k] == beta[k]);
    int64_t total = 0;
    for (int k = 0; k < 5; k++) total += cfg.steps[k];
    assert_int_equal(total, 250000);
    assert_true(cfg.net.use_egnn && cfg.net.hidden == 32 && cfg.net.layers == 3 && cfg.net.sp.com_free);
    assert_true(cfg.net.sigma_min == 0.05 && cfg.net.sigma_max == 80 && cfg.rho == 7);
    assert_true(cfg.sde_steps == 1000 && cfg.end_resampling == 900 && cfg.clip_q == 0.9);
    bb_params_free(&p);
    static const struct {
        const char *json, *msg;
    } bad[] = {{"{\"temperatures\": [4, 2, 1.5]}", "the last must be 1"},
               {"{\"temperatures\": [2, 3, 1], \"level_steps\": [1, 1]}", "must decrease strictly"},
               {"{\"temperatures\": [2, 1], \"level_steps\": [1, 1]}", "needs 1 entries"},
               {"{\"level_steps\": [1, 1, 1, 1, 1.5]}", "not a whole number"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cJSON *o = cJSON_Parse(bad[i].json);
        assert_int_equal(bb_method_resolve_params(me, "lj13", o, NULL, &p, &c), BB_OK);
        assert_int_not_equal(pita_config_from_params(&p, task, &cfg, &c), BB_OK);
        print_message("%s -> %s\n", bad[i].json, c.msg);
        assert_non_null(strstr(c.msg, bad[i].msg));
        bb_params_free(&p);
        cJSON_Delete(o);
    }
    bb_task_free(task);
}

BB_TEST_MAIN_NN(NULL, NULL, cmocka_unit_test(fields_match_finite_differences_egnn),
                cmocka_unit_test(fields_match_finite_differences_mlp),
                cmocka_unit_test(hutchinson_divergence_is_unbiased),
                cmocka_unit_test(energy_network_with_zero_output_is_the_gaussian),
                cmocka_unit_test(training_lowers_the_loss), cmocka_unit_test(egnn_conditioning_inputs),
                cmocka_unit_test(annealing_resumes_bit_for_bit), cmocka_unit_test(parameters_and_their_checks))
