/* model.c — PITA's two EDM-preconditioned networks in one parameter group (score network
 * D_S and energy network U_θ, the same architecture: the authors' DiT for peptides, an EGNN for
 * other particle systems, an MLP otherwise, each conditioned on c_noise = ln(σ)/4 and the inverse temperature β as the
 * authors' EGNN_dynamics node features), one Adam, one EMA, and the fields an annealing step
 * needs (s_E, s_S, ∇·s_S, ∂U/∂t) through the nn core's tape. Costs no energy evaluations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "methods/pita/pita.h"

static size_t dof_of(const pita_config *c) { return (size_t)c->net.sp.P * (size_t)c->net.sp.D; }
static bb_nn_dtype dtype_of(const pita_config *c) { return c->net.f64 ? BB_NN_F64 : BB_NN_F32; }

int pita_model_init(pita_model *m, const pita_config *cfg, uint64_t seed, bb_ctx *ctx) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const bb_scorenet_config *nc = &cfg->net;
    int rc = bb_edm_schedule_init(&m->sch, nc->sigma_min, nc->sigma_max, cfg->rho, cfg->p_mean, cfg->p_std, ctx);
    if (rc) return rc;
    bb_nn_params_init(&m->ps, dtype_of(cfg));
    static const char *const names[2] = {"score", "energy"};
    for (int w = 0; w < 2 && !rc; w++) {
        if (cfg->transformer) {
            const bb_nn_dit_config dc = {.n_tokens = nc->sp.P,
                                         .token_dim = nc->sp.D,
                                         .hidden = nc->hidden,
                                         .heads = cfg->heads,
                                         .blocks = nc->layers,
                                         .cond_dim = cfg->cond_dim,
                                         .freq_dim = cfg->freq_dim,
                                         .cond_temp = cfg->train_all,
                                         .rope_base = 10000.0};
            rc = bb_nn_dit_init(&m->dit[w], &m->ps, names[w], &dc, ctx);
        } else if (nc->use_egnn) {
            bb_nn_egnn_config ec = bb_scorenet_egnn_config(nc, BB_NN_EGNN_VECTOR);
            ec.n_cond = 2; /* c_noise, β */
            rc = bb_nn_egnn_init(&m->egnn[w], &m->ps, names[w], &ec, ctx);
        } else if (nc->layers + 2 > BB_NN_MLP_MAX_LAYERS + 1) {
            rc = BB_ERR(ctx, BB_EINVAL, "method pita: parameter 'layers': at most %d for the MLP",
                        BB_NN_MLP_MAX_LAYERS - 1);
        } else {
            int sizes[BB_NN_MLP_MAX_LAYERS + 1];
            sizes[0] = (int)dof_of(cfg) + nc->t_dim + 2;
            for (int l = 1; l <= nc->layers; l++) sizes[l] = nc->hidden;
            sizes[nc->layers + 1] = (int)dof_of(cfg);
            rc = bb_nn_mlp_init(&m->mlp[w], &m->ps, names[w], nc->layers + 2, sizes, BB_NN_ACT_SILU, ctx);
        }
    }
    if (!rc) rc = bb_nn_params_alloc(&m->ps, seed, ctx);
    if (!rc) rc = bb_nn_adam_init(&m->opt, &m->ps, 0.9, 0.999, 1e-8, 0.0, 0, ctx);
    if (!rc) rc = bb_nn_ema_init(&m->ema, &m->ps, cfg->ema_decay, ctx);
    if (!rc) rc = bb_nn_graph_init(&m->g, 0, ctx);
    if (!rc && nc->use_egnn) rc = bb_nn_egnn_graph_init(&m->eg_train, cfg->batch, nc->sp.P, ctx);
    if (rc) pita_model_free(m);
    return rc;
}

void pita_model_free(pita_model *m) {
    if (!m) return;
    bb_nn_graph_free(m->g);
    bb_nn_adam_free(&m->opt);
    bb_nn_ema_free(&m->ema);
    bb_nn_params_free(&m->ps);
    bb_nn_egnn_graph_free(&m->eg_train);
    bb_nn_egnn_graph_free(&m->eg_inf);
    memset(m, 0, sizeof *m);
}

/* F_w(y, c_noise, β) [B, dof] of network w (0 score, 1 energy). */
static bb_nn_tensor *net_F(pita_model *m, int w, const bb_nn_egnn_graph *eg, bb_nn_tensor *y, bb_nn_tensor *cnoise,
                           double beta) {
    const pita_config *c = &m->cfg;
    bb_nn_graph *g = m->g;
    const int64_t B = bb_nn_rows(y);
    bb_nn_tensor *bt = bb_nn_full(g, dtype_of(c), 2, (const int64_t[]){B, 1}, beta);
    if (c->transformer) return bb_nn_dit_fwd(g, &m->ps, &m->dit[w], y, cnoise, c->train_all ? bt : NULL);
    bb_nn_tensor *cond = bb_nn_concat_cols(g, cnoise, bt);
    if (c->net.use_egnn) return bb_nn_egnn_fwd_cond(g, &m->ps, &m->egnn[w], eg, y, c->net.t_dim ? cnoise : NULL, cond);
    bb_nn_tensor *in = bb_nn_concat_cols(g, y, cond);
    if (c->net.t_dim)
        in = bb_nn_concat_cols(g, in, bb_nn_time_embed_sin(g, bb_nn_scale(g, cnoise, 1000.0, 0.0), c->net.t_dim, 1e4));
    return bb_nn_mlp_fwd(g, &m->ps, &m->mlp[w], in);
}

/* The preconditioning as tensors of σ [B,1]: 1 + σ², c_in, c_noise. */
typedef struct precond {
    bb_nn_tensor *onep, *c_in, *c_noise;
} precond;
static precond precond_of(bb_nn_graph *g, bb_nn_tensor *sigma) {
    precond p;
    p.onep = bb_nn_scale(g, bb_nn_mul(g, sigma, sigma), 1.0, 1.0);
    p.c_in = bb_nn_unary(g, bb_nn_unary(g, p.onep, BB_NN_FN_SQRT, 0), BB_NN_FN_RECIP, 0);
    p.c_noise = bb_nn_scale(g, bb_nn_unary(g, sigma, BB_NN_FN_LOG, 0), 0.25, 0.0);
    return p;
}

bb_nn_tensor *pita_denoiser(pita_model *m, const bb_nn_egnn_graph *eg, bb_nn_tensor *x, bb_nn_tensor *sigma,
                            double beta) {
    bb_nn_graph *g = m->g;
    const precond p = precond_of(g, sigma);
    bb_nn_tensor *F = net_F(m, 0, eg, bb_nn_mul(g, x, p.c_in), p.c_noise, beta);
    bb_nn_tensor *c_skip = bb_nn_unary(g, p.onep, BB_NN_FN_RECIP, 0), *c_out = bb_nn_mul(g, sigma, p.c_in);
    return bb_nn_add(g, bb_nn_mul(g, x, c_skip), bb_nn_mul(g, F, c_out));
}

bb_nn_tensor *pita_energy(pita_model *m, const bb_nn_egnn_graph *eg, bb_nn_tensor *x, bb_nn_tensor *sigma,
                          double beta) {
    bb_nn_graph *g = m->g;
    const precond p = precond_of(g, sigma);
    bb_nn_tensor *y = bb_nn_mul(g, x, p.c_in);
    bb_nn_tensor *F = net_F(m, 1, eg, y, p.c_noise, beta);
    bb_nn_tensor *quad = bb_nn_div(g, bb_nn_sum_cols(g, bb_nn_mul(g, x, x)), bb_nn_scale(g, p.onep, 2.0, 0.0));
    return bb_nn_sub(g, quad, bb_nn_div(g, bb_nn_sum_cols(g, bb_nn_mul(g, F, y)), sigma));
}

/* The EGNN graph for n inference rows. */
static int inf_graph(pita_model *m, size_t n, bb_ctx *ctx) {
    if (!m->cfg.net.use_egnn || m->eg_inf.B == (int64_t)n) return BB_OK;
    bb_nn_egnn_graph_free(&m->eg_inf);
    return bb_nn_egnn_graph_init(&m->eg_inf, (int64_t)n, m->cfg.net.sp.P, ctx);
}

static int all_finite(const double *v, size_t n, const char *what, bb_ctx *ctx) {
    for (size_t k = 0; k < n; k++)
        if (!isfinite(v[k])) return BB_ERR(ctx, BB_ENAN, "pita: %s of the network is not finite", what);
    return BB_OK;
}

/* Probe p of the divergence for every row: exact (e_p, projected on the centre-of-mass-free
 * subspace, so Σ_p v_pᵀ J v_p is the trace of J on that subspace) or Rademacher signs
 * (projected; each row its own) from rng. */
static void probe(const pita_config *c, int p, size_t n, bb_rng *rng, double *v) {
    const size_t dof = dof_of(c);
    const int P = c->net.sp.P, D = c->net.sp.D;
    for (size_t r = 0; r < n; r++) {
        double *vr = v + r * dof;
        if (c->div_probes == 0) {
            memset(vr, 0, dof * sizeof *vr);
            vr[p] = 1.0;
        } else {
            for (size_t k = 0; k < dof; k++) vr[k] = bb_rng_uniform(rng) < 0.5 ? -1.0 : 1.0;
        }
        if (c->net.sp.com_free) bb_sde_centre_row(P, D, vr);
    }
}

int pita_fields(pita_model *m, size_t n, const double *x, double t, double beta, bb_rng *rng, double *score_e,
                double *score_s, double *div_s, double *dudt, bb_ctx *ctx) {
    const pita_config *c = &m->cfg;
    const size_t dof = dof_of(c);
    const bb_nn_dtype dt = dtype_of(c);
    int rc = inf_graph(m, n, ctx);
    if (rc) return rc;
    const double var = bb_edm_var(&m->sch, t), sigma = sqrt(var), dsig_dt = bb_edm_g2(&m->sch, t) / (2.0 * sigma);
    bb_nn_graph *g = m->g;
    double *buf = malloc((n * dof + n) * sizeof(double));
    if (!buf) return BB_ERR(ctx, BB_ENOMEM, "pita: cannot allocate field scratch for %zu rows", n);
    for (size_t r = 0; r < n; r++) buf[r] = sigma;
    bb_nn_graph_reset(g);
    bb_nn_tensor *xt = bb_nn_input(g, dt, 2, (const int64_t[]){(int64_t)n, (int64_t)dof}, x);
    bb_nn_tensor *sg = bb_nn_input(g, dt, 2, (const int64_t[]){(int64_t)n, 1}, buf);
    if (score_e || dudt) {
        bb_nn_tensor *U = pita_energy(m, &m->eg_inf, xt, sg, beta), *gr[2] = {NULL, NULL};
        bb_nn_tensor *const in[2] = {xt, sg};
        if (U && bb_nn_grad(g, bb_nn_sum(g, U), NULL, 2, in, gr, 0) == 0) {
            if (score_e) {
                bb_nn_to_double(gr[0], score_e);
                for (size_t k = 0; k < n * dof; k++) score_e[k] = -score_e[k];
            }
            if (dudt) {
                bb_nn_to_double(gr[1], dudt);
                for (size_t r = 0; r < n; r++) dudt[r] *= dsig_dt;
            }
        }
    }
    if (!(rc = bb_nn_graph_status(g, ctx)) && (score_s || div_s)) {
        bb_nn_tensor *sS = bb_nn_scale(g, bb_nn_sub(g, pita_denoiser(m, &m->eg_inf, xt, sg, beta), xt), 1.0 / var, 0.0);
        if (score_s && sS) bb_nn_to_double(sS, score_s);
        if (div_s) {
            const int probes = c->div_probes ? c->div_probes : (int)dof;
            double *v = buf; /* [n][dof] probes, then their vector-Jacobian products */
            double *jv = malloc(n * dof * sizeof(double));
            if (!jv) rc = BB_ERR(ctx, BB_ENOMEM, "pita: cannot allocate divergence scratch");
            for (size_t r = 0; r < n && !rc; r++) div_s[r] = 0.0;
            for (int p = 0; p < probes && !rc; p++) {
                probe(c, p, n, rng, v);
                bb_nn_tensor *seed = bb_nn_from(g, dt, 2, (const int64_t[]){(int64_t)n, (int64_t)dof}, v), *gv = NULL;
                if (bb_nn_grad(g, sS, seed, 1, &xt, &gv, 0) < 0) break;
                bb_nn_to_double(gv, jv);
                for (size_t r = 0; r < n; r++) {
                    double s = 0.0;
                    for (size_t k = 0; k < dof; k++) s += v[r * dof + k] * jv[r * dof + k];
                    div_s[r] += c->div_probes ? s / probes : s;
                }
            }
            free(jv);
        }
        if (!rc) rc = bb_nn_graph_status(g, ctx);
    }
    free(buf);
    if (!rc && c->transformer && c->net.sp.com_free) /* the DiT's fields are not COM-free by construction */
        for (size_t r = 0; r < n; r++) {
            if (score_e) bb_sde_centre_row(c->net.sp.P, c->net.sp.D, score_e + r * dof);
            if (score_s) bb_sde_centre_row(c->net.sp.P, c->net.sp.D, score_s + r * dof);
        }
    if (!rc && score_e) rc = all_finite(score_e, n * dof, "energy score", ctx);
    if (!rc && dudt) rc = all_finite(dudt, n, "energy time derivative", ctx);
    if (!rc && score_s) rc = all_finite(score_s, n * dof, "score", ctx);
    if (!rc && div_s) rc = all_finite(div_s, n, "score divergence", ctx);
    return rc;
}

int pita_model_energy(pita_model *m, size_t n, const double *x, double sigma, double beta, double *u, bb_ctx *ctx) {
    const size_t dof = dof_of(&m->cfg);
    const bb_nn_dtype dt = dtype_of(&m->cfg);
    int rc = inf_graph(m, n, ctx);
    if (rc) return rc;
    bb_nn_graph *g = m->g;
    bb_nn_graph_reset(g);
    bb_nn_graph_set_grad(g, 0);
    bb_nn_tensor *xt = bb_nn_from(g, dt, 2, (const int64_t[]){(int64_t)n, (int64_t)dof}, x);
    bb_nn_tensor *sg = bb_nn_full(g, dt, 2, (const int64_t[]){(int64_t)n, 1}, sigma);
    bb_nn_tensor *U = pita_energy(m, &m->eg_inf, xt, sg, beta);
    if ((rc = bb_nn_graph_status(g, ctx))) return rc;
    bb_nn_to_double(U, u);
    return all_finite(u, n, "energy", ctx);
}
