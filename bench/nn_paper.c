/* nn_paper.c — bench_nn's paper-reproduction cases (list and conventions: nn_paper.h).
 *
 * Threads: every case runs on 1 thread and on 2 (all OpenMP threads): for networks
 * both ways the nn core offers (threads over ops; threads over batch shards, docs/nn.md),
 * the better of the two being "ours, 2 threads". PyTorch runs in the same program
 * (bench_nn_torch.py paper) with OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(1)
 * and (2), and optionally at OpenBLAS's default threading with 2 torch threads.
 *
 * Same computation: before timing, the C side writes its initial float32 weights and
 * the inputs (float64 raw files + a JSON description) under /tmp; PyTorch loads them
 * and returns the first training loss (e, f, k), the network output on a check input
 * (g, h) or the iDEM targets of 4 points in float64 with the same noise (i, j), which
 * are compared here against a stated tolerance.
 */
#include "bench/nn_paper.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/clock.h"
#include "harness/core/jsonutil.h"
#include "harness/core/rng.h"
#include "methods/nn/nn.h"
#include "tasks/task.h"

#define MAXSH 2 /* shards of the 2-thread "threads over batch shards" mode */

typedef struct pcase {
    char id;
    const char *name;
    char kind; /* 't' training, 's' SDE sampling, 'i' iDEM target */
    const char *task;
    int P, D, L, H, B; /* B: training batch / trajectories / iDEM points per batch */
    int dem;           /* Adjoint Sampling's EGNN variant; 0: Satorras et al. */
    int scalar;        /* energy network with the double-backward loss (PITA) */
    int steps;         /* default timed steps / batches */
    const char *unit;
} pcase;

static const pcase CASES[] = {
    {'e', "as_egnn_dem_5x128_dw4_b512_train", 't', "dw4", 4, 2, 5, 128, 512, 1, 0, 5, "steps/s"},
    {'f', "as_egnn_dem_5x128_lj55_b128_train", 't', "lj55", 55, 3, 5, 128, 128, 1, 0, 1, "steps/s"},
    {'g', "as_sde_egnn_dem_5x128_dw4_512traj", 's', "dw4", 4, 2, 5, 128, 512, 1, 0, 0, "EM steps/s"},
    {'h', "as_sde_egnn_dem_5x128_lj13_512traj", 's', "lj13", 13, 3, 5, 128, 512, 1, 0, 0, "EM steps/s"},
    {'i', "idem_target_dw4_k1000_b256", 'i', "dw4", 4, 2, 0, 0, 256, 0, 0, 3, "points/s"},
    {'j', "idem_target_lj13_k1000_b256", 'i', "lj13", 13, 3, 0, 0, 256, 0, 0, 3, "points/s"},
    {'k', "pita_energy_egnn_3x32_lj13_b512_double_backward", 't', "lj13", 13, 3, 3, 32, 512, 0, 1, 5, "steps/s"},
};
#define IDEM_K  1000
#define SIG_MIN 1e-3
#define SIG_MAX 2.0

static const pcase *find_case(char c) {
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        if (CASES[i].id == c) return &CASES[i];
    return NULL;
}

int nn_paper_is_case(char c) { return find_case(c) != NULL; }

#define PCHECK(x)                                                                                                      \
    do {                                                                                                               \
        if ((x) < 0) {                                                                                                 \
            fprintf(stderr, "bench_nn: %s\n", c.msg);                                                                  \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

static int write_raw(const char *prefix, const char *sfx, const void *p, size_t bytes) {
    char path[512];
    snprintf(path, sizeof path, "%s.%s", prefix, sfx);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, bytes, f) != bytes) {
        fprintf(stderr, "bench_nn: cannot write %s\n", path);
        if (f) fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

static double *read_raw(const char *prefix, const char *sfx, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s.%s", prefix, sfx);
    FILE *f = fopen(path, "rb");
    double *v = malloc(sizeof(double) * n);
    if (!f || !v || fread(v, sizeof(double), n, f) != n) {
        fprintf(stderr, "bench_nn: cannot read %zu doubles from %s\n", n, path);
        free(v);
        v = NULL;
    }
    if (f) fclose(f);
    return v;
}

/* ------------------------------------------------------------------ networks */

typedef struct pnet {
    bb_nn_params ps;
    bb_nn_egnn net;
    bb_nn_adam opt;
} pnet;

static void pnet_init(pnet *n, const pcase *pc) {
    bb_ctx c = {0};
    bb_nn_egnn_config cfg = {.n_particles = pc->P,
                             .dim = pc->D,
                             .hidden = pc->H,
                             .n_layers = pc->L,
                             .t_dim = 32,
                             .normalize = 1,
                             .act = BB_NN_ACT_SILU,
                             .out = pc->scalar ? BB_NN_EGNN_SCALAR : BB_NN_EGNN_VECTOR};
    if (pc->dem) { /* methods/adjoint_sampling/model.c with its defaults */
        cfg.attention = 1;
        cfg.coord_range = 15.0;
        cfg.coord_sum = 1;
        cfg.edge_attr = 1;
    }
    bb_nn_params_init(&n->ps, BB_NN_F32);
    PCHECK(bb_nn_egnn_init(&n->net, &n->ps, "egnn", &cfg, &c));
    PCHECK(bb_nn_params_alloc(&n->ps, 1, &c));
    PCHECK(bb_nn_adam_init(&n->opt, &n->ps, 0.9, 0.999, 1e-8, 0.0, 0, &c));
}

static void pnet_free(pnet *n) {
    bb_nn_adam_free(&n->opt);
    bb_nn_params_free(&n->ps);
}

/* The network and the check's inputs for PyTorch: PREFIX.json (configuration, parameter
 * names, offsets and shapes), PREFIX.w.f32 (all weights), and the inputs given. */
static int export_case(const char *prefix, const pcase *pc, const pnet *n, int n_sde, const double *x, size_t nx,
                       const double *y, size_t ny, const double *t, size_t nt, double extra) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind",
                            pc->kind == 't'   ? (pc->scalar ? "pita" : "train")
                            : pc->kind == 's' ? "sde"
                                              : "idem");
    cJSON_AddStringToObject(j, "task", pc->task);
    cJSON_AddNumberToObject(j, "P", pc->P);
    cJSON_AddNumberToObject(j, "D", pc->D);
    cJSON_AddNumberToObject(j, "L", pc->L);
    cJSON_AddNumberToObject(j, "H", pc->H);
    cJSON_AddNumberToObject(j, "T", 32);
    cJSON_AddNumberToObject(j, "B", pc->B);
    cJSON_AddNumberToObject(j, "dem", pc->dem);
    cJSON_AddNumberToObject(j, "scalar", pc->scalar);
    cJSON_AddNumberToObject(j, "n_sde", n_sde);
    cJSON_AddNumberToObject(j, "sigma_min", SIG_MIN);
    cJSON_AddNumberToObject(j, "sigma_max", SIG_MAX);
    cJSON_AddNumberToObject(j, "K", IDEM_K);
    cJSON_AddNumberToObject(j, "sigma", extra);
    cJSON_AddNumberToObject(j, "nx", (double)nx);
    cJSON_AddNumberToObject(j, "ny", (double)ny);
    cJSON_AddNumberToObject(j, "nt", (double)nt);
    int rc = 0;
    if (n) {
        cJSON *pa = cJSON_AddArrayToObject(j, "params");
        for (int k = 0; k < n->ps.n; k++) {
            const bb_nn_param_info *in = &n->ps.info[k];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", in->name);
            cJSON_AddNumberToObject(o, "off", (double)in->off);
            cJSON_AddNumberToObject(o, "rows", in->ndim == 2 ? (double)in->ne[0] : 1.0);
            cJSON_AddNumberToObject(o, "cols", (double)in->ne[in->ndim - 1]);
            cJSON_AddItemToArray(pa, o);
        }
        rc |= write_raw(prefix, "w.f32", n->ps.data, sizeof(float) * n->ps.total);
    }
    if (x) rc |= write_raw(prefix, "x.f64", x, sizeof(double) * nx);
    if (y) rc |= write_raw(prefix, "y.f64", y, sizeof(double) * ny);
    if (t) rc |= write_raw(prefix, "t.f64", t, sizeof(double) * nt);
    char path[512];
    bb_ctx c = {0};
    snprintf(path, sizeof path, "%s.json", prefix);
    if (bb_json_write_file(path, j, &c) < 0) {
        fprintf(stderr, "bench_nn: %s\n", c.msg);
        rc = -1;
    }
    cJSON_Delete(j);
    return rc;
}

/* ------------------------------------------------------------------ training (e, f, k) */

/* One training shard: forward, loss scaled by its share of the batch, backward into buf. */
static int train_shard(bb_nn_graph *gs, const pnet *n, const bb_nn_egnn_graph *eg, const double *x, const double *y,
                       const double *t, int s, int Bs, int B, void *buf, double *loss) {
    const int P = n->net.cfg.n_particles, D = n->net.cfg.dim;
    const size_t off = (size_t)s * Bs * P * D;
    const int64_t shp[2] = {Bs, P * D};
    bb_nn_graph_reset(gs);
    bb_nn_tensor *xt = n->net.cfg.out == BB_NN_EGNN_SCALAR ? bb_nn_input(gs, BB_NN_F32, 2, shp, x + off)
                                                           : bb_nn_from(gs, BB_NN_F32, 2, shp, x + off);
    bb_nn_tensor *yt = bb_nn_remove_com(gs, bb_nn_from(gs, BB_NN_F32, 2, shp, y + off), P, D);
    bb_nn_tensor *tt = bb_nn_from(gs, BB_NN_F32, 2, (const int64_t[]){Bs, 1}, t + (size_t)s * Bs);
    bb_nn_tensor *out = bb_nn_egnn_fwd(gs, &n->ps, &n->net, eg, xt, tt);
    if (n->net.cfg.out == BB_NN_EGNN_SCALAR) { /* PITA: grad_x U enters the loss (double backward) */
        bb_nn_tensor *gx;
        if (bb_nn_grad(gs, bb_nn_sum(gs, out), NULL, 1, &xt, &gx, 1) < 0) return -1;
        out = bb_nn_scale(gs, gx, -1.0, 0.0);
    }
    bb_nn_tensor *l = bb_nn_scale(gs, bb_nn_mse(gs, out, yt), (double)Bs / B, 0.0);
    memset(buf, 0, sizeof(float) * n->ps.total);
    if (bb_nn_backward_to(gs, l, &n->ps, buf) < 0) return -1;
    *loss = bb_nn_get(l, 0);
    return 0;
}

static void fill_inputs(const pcase *pc, size_t B, double *x, double *y, double *t) {
    const size_t dof = (size_t)pc->P * pc->D;
    const double sx = pc->P == 4 ? 2.0 : 1.0; /* DW-4's scale */
    bb_rng r;
    bb_rng_init(&r, 1, 0);
    bb_rng_normal_fill(&r, B * dof, x);
    for (size_t k = 0; k < B * dof; k++) x[k] *= sx;
    if (y) bb_rng_normal_fill(&r, B * dof, y);
    for (size_t b = 0; b < B; b++) t[b] = bb_rng_uniform(&r);
}

/* Training steps/s on `threads` threads in `shards` shards; *loss0: the loss before the
 * first update; export != NULL: write the weights and inputs for PyTorch first. */
static double run_train(const pcase *pc, int threads, int shards, int steps, double *loss0, double *cpu_per_step,
                        const char *export) {
    bb_ctx c = {0};
    pnet n;
    pnet_init(&n, pc);
    n.opt.threads = threads;
    const int B = pc->B, Bs = B / shards;
    const size_t dof = (size_t)pc->P * pc->D;
    bb_nn_egnn_graph eg[MAXSH];
    bb_nn_graph *g[MAXSH];
    void *buf[MAXSH];
    for (int s = 0; s < shards; s++) {
        PCHECK(bb_nn_egnn_graph_init(&eg[s], Bs, pc->P, &c));
        PCHECK(bb_nn_graph_init(&g[s], 0, &c));
        bb_nn_graph_set_threads(g[s], shards > 1 ? 1 : threads);
        buf[s] = malloc(sizeof(float) * n.ps.total);
    }
    double *x = malloc(sizeof(double) * B * dof), *y = malloc(sizeof(double) * B * dof);
    double *t = malloc(sizeof(double) * B);
    fill_inputs(pc, (size_t)B, x, y, t);
    if (export && export_case(export, pc, &n, 0, x, B * dof, y, B * dof, t, (size_t)B, 0.0) < 0) exit(1);
    const int warm = 2; /* step 0 sizes the arena, step 1 first-touches its single block */
    double t0 = bb_wall_s(), c0 = bb_cpu_s();
    for (int st = 0; st < steps + warm; st++) {
        if (st == warm) {
            t0 = bb_wall_s();
            c0 = bb_cpu_s();
        }
        int fail = 0;
        double ls[MAXSH] = {0};
        if (shards > 1) {
#pragma omp parallel for schedule(static, 1) reduction(| : fail) num_threads(threads)
            for (int s = 0; s < shards; s++)
                fail |= train_shard(g[s], &n, &eg[s], x, y, t, s, Bs, B, buf[s], &ls[s]) < 0;
        } else {
            fail = train_shard(g[0], &n, &eg[0], x, y, t, 0, Bs, B, buf[0], &ls[0]) < 0;
        }
        if (fail) {
            bb_nn_graph_status(g[0], &c);
            fprintf(stderr, "bench_nn: %s: training step failed: %s\n", pc->name, c.msg);
            exit(1);
        }
        if (st == 0) {
            *loss0 = 0;
            for (int s = 0; s < shards; s++) *loss0 += ls[s];
        }
        bb_nn_params_zero_grad(&n.ps);
        for (int s = 0; s < shards; s++) bb_nn_params_add_grad(&n.ps, buf[s]);
        PCHECK(bb_nn_adam_step(&n.opt, &n.ps, 1e-4, &c));
    }
    const double sps = steps / (bb_wall_s() - t0);
    *cpu_per_step = (bb_cpu_s() - c0) / steps;
    for (int s = 0; s < shards; s++) {
        bb_nn_graph_free(g[s]);
        bb_nn_egnn_graph_free(&eg[s]);
        free(buf[s]);
    }
    BB_FREE_ALL(x, y, t);
    pnet_free(&n);
    return sps;
}

/* ------------------------------------------------------------------ SDE sampling (g, h) */

/* g(t) of the geometric schedule: sigma_min (sigma_max / sigma_min)^(1-t) sqrt(2 log(sigma_max / sigma_min)). */
static double sched_g(double t) {
    return SIG_MIN * pow(SIG_MAX / SIG_MIN, 1.0 - t) * sqrt(2.0 * log(SIG_MAX / SIG_MIN));
}

/* One Euler-Maruyama step of Bs trajectories: s = net(x, t) without a tape (as Adjoint
 * Sampling's as_model_score: doubles in, float32 network, doubles out), then
 * x += g^2 s dt + g sqrt(dt) z. */
static int sde_shard(bb_nn_graph *gs, const pnet *n, const bb_nn_egnn_graph *eg, double *x, double *s, double *z,
                     double *tb, bb_rng *r, int Bs, double t, double dt) {
    const int64_t dof = (int64_t)n->net.cfg.n_particles * n->net.cfg.dim;
    bb_nn_graph_reset(gs);
    bb_nn_graph_set_grad(gs, 0);
    for (int b = 0; b < Bs; b++) tb[b] = t;
    bb_nn_tensor *xt = bb_nn_from(gs, BB_NN_F32, 2, (const int64_t[]){Bs, dof}, x);
    bb_nn_tensor *tt = bb_nn_from(gs, BB_NN_F32, 2, (const int64_t[]){Bs, 1}, tb);
    bb_nn_tensor *out = bb_nn_egnn_fwd(gs, &n->ps, &n->net, eg, xt, tt);
    if (!out) return -1;
    bb_nn_to_double(out, s);
    bb_rng_normal_fill(r, (size_t)(Bs * dof), z);
    const double gt = sched_g(t), a = gt * gt * dt, b = gt * sqrt(dt);
    for (int64_t k = 0; k < Bs * dof; k++) x[k] += a * s[k] + b * z[k];
    return 0;
}

/* EM steps/s of B trajectories over n_sde steps from x = 0; *sq: mean |x_1|^2 (sanity);
 * check != NULL: the network output on a check input (written for PyTorch when export). */
static double run_sde(const pcase *pc, int threads, int shards, int n_sde, double *sq, double *cpu_per_step,
                      const char *export, double *check_max_rel) {
    bb_ctx c = {0};
    pnet n;
    pnet_init(&n, pc);
    const int B = pc->B, Bs = B / shards;
    const size_t dof = (size_t)pc->P * pc->D;
    bb_nn_egnn_graph eg[MAXSH];
    bb_nn_graph *g[MAXSH];
    bb_rng r[MAXSH];
    double *x = calloc((size_t)B * dof, sizeof(double)), *s = malloc(sizeof(double) * B * dof);
    double *z = malloc(sizeof(double) * B * dof), *tb = malloc(sizeof(double) * B);
    for (int k = 0; k < shards; k++) {
        PCHECK(bb_nn_egnn_graph_init(&eg[k], Bs, pc->P, &c));
        PCHECK(bb_nn_graph_init(&g[k], 0, &c));
        bb_nn_graph_set_threads(g[k], shards > 1 ? 1 : threads);
        bb_rng_init(&r[k], 3, (uint64_t)k);
    }
    if (export) { /* forward check on random inputs at mixed t: same outputs as PyTorch? */
        double *xc = malloc(sizeof(double) * B * dof), *tc = malloc(sizeof(double) * B);
        fill_inputs(pc, (size_t)B, xc, NULL, tc);
        if (export_case(export, pc, &n, n_sde, xc, B * dof, NULL, 0, tc, (size_t)B, 0.0) < 0) exit(1);
        bb_nn_graph_reset(g[0]);
        bb_nn_graph_set_grad(g[0], 0);
        bb_nn_tensor *out = bb_nn_egnn_fwd(g[0], &n.ps, &n.net, &eg[0],
                                           bb_nn_from(g[0], BB_NN_F32, 2, (const int64_t[]){B, (int64_t)dof}, xc),
                                           bb_nn_from(g[0], BB_NN_F32, 2, (const int64_t[]){B, 1}, tc));
        PCHECK(bb_nn_graph_status(g[0], &c));
        bb_nn_to_double(out, s);
        BB_FREE_ALL(xc, tc);
        *check_max_rel = -1; /* compared after the PyTorch run (nn_paper_run) */
        PCHECK(write_raw(export, "ours.f64", s, sizeof(double) * B * dof));
    }
    const double dt = 1.0 / n_sde;
    double t0 = bb_wall_s(), c0 = bb_cpu_s();
    /* two warm-up steps (not timed; the arena reaches its size, as in a run, where the
     * refill reuses the training graph's arena), then the trajectories restart at 0 */
    for (int k = -2; k < n_sde; k++) {
        if (k == 0) {
            memset(x, 0, sizeof(double) * B * dof);
            t0 = bb_wall_s();
            c0 = bb_cpu_s();
        }
        int fail = 0;
        if (shards > 1) {
#pragma omp parallel for schedule(static, 1) reduction(| : fail) num_threads(threads)
            for (int q = 0; q < shards; q++) {
                const size_t o = (size_t)q * Bs * dof;
                fail |= sde_shard(g[q], &n, &eg[q], x + o, s + o, z + o, tb + (size_t)q * Bs, &r[q], Bs,
                                  (k < 0 ? 0 : k) * dt, dt) < 0;
            }
        } else {
            fail = sde_shard(g[0], &n, &eg[0], x, s, z, tb, &r[0], B, (k < 0 ? 0 : k) * dt, dt) < 0;
        }
        if (fail) {
            bb_nn_graph_status(g[0], &c);
            fprintf(stderr, "bench_nn: %s: SDE step failed: %s\n", pc->name, c.msg);
            exit(1);
        }
    }
    const double sps = n_sde / (bb_wall_s() - t0);
    *cpu_per_step = (bb_cpu_s() - c0) / n_sde;
    double q = 0;
    for (size_t k = 0; k < (size_t)B * dof; k++) q += x[k] * x[k];
    *sq = q / B;
    for (int k = 0; k < shards; k++) {
        bb_nn_graph_free(g[k]);
        bb_nn_egnn_graph_free(&eg[k]);
    }
    BB_FREE_ALL(x, s, z, tb);
    pnet_free(&n);
    return sps;
}

/* ------------------------------------------------------------------ iDEM target (i, j) */

/* Target of one point: -sum_k softmax(-u)_k grad u(x + sigma eps_k) over K copies. */
static int idem_point(const bb_task *tk, const double *x, const double *eps, double sigma, int dof, double *xs,
                      double *u, double *gr, double *target) {
    bb_ctx c = {0};
    for (int k = 0; k < IDEM_K; k++)
        for (int q = 0; q < dof; q++) xs[(size_t)k * dof + q] = x[q] + sigma * eps[(size_t)k * dof + q];
    if (bb_task_energy(tk, IDEM_K, xs, u, gr, &c) < 0) return -1;
    double mn = INFINITY, sw = 0;
    for (int k = 0; k < IDEM_K; k++) mn = u[k] < mn ? u[k] : mn;
    for (int q = 0; q < dof; q++) target[q] = 0;
    for (int k = 0; k < IDEM_K; k++) {
        const double w = exp(-(u[k] - mn));
        sw += w;
        for (int q = 0; q < dof; q++) target[q] -= w * gr[(size_t)k * dof + q];
    }
    for (int q = 0; q < dof; q++) target[q] /= sw;
    return 0;
}

static double idem_sigma(const pcase *pc) { return pc->P == 4 ? 0.5 : 0.1; }

/* Points/s: `batches` batches of B points, each point's K noise draws from its own
 * Philox stream (results do not depend on the thread count). */
static double run_idem(const pcase *pc, int threads, int batches, double *cpu_per_step, double *tsum,
                       double *noise_cpu) {
    bb_ctx c = {0};
    bb_task *tk;
    PCHECK(bb_task_create(pc->task, NULL, &tk, &c));
    const int B = pc->B, dof = pc->P * pc->D;
    double *x = malloc(sizeof(double) * B * dof), *tg = malloc(sizeof(double) * B * dof);
    bb_rng r;
    bb_rng_init(&r, 5, 0);
    PCHECK(bb_task_initial(tk, (size_t)B, &r, x, &c));
    const double sigma = idem_sigma(pc);
    int fail = 0;
    double t0 = bb_wall_s(), c0 = bb_cpu_s();
#pragma omp parallel num_threads(threads) reduction(| : fail)
    {
        const size_t kd = (size_t)IDEM_K * dof;
        double *eps = malloc(sizeof(double) * kd), *xs = malloc(sizeof(double) * kd);
        double *gr = malloc(sizeof(double) * kd), *u = malloc(sizeof(double) * IDEM_K);
        for (int bt = 0; bt < batches; bt++) {
#pragma omp for schedule(static)
            for (int p = 0; p < B; p++) {
                bb_rng rp;
                bb_rng_init(&rp, 6, (uint64_t)bt * B + p);
                bb_rng_normal_fill_fast(&rp, kd, eps);
                fail |= idem_point(tk, x + (size_t)p * dof, eps, sigma, dof, xs, u, gr, tg + (size_t)p * dof) < 0;
            }
        }
        BB_FREE_ALL(eps, xs, gr, u);
    }
    const double pps = (double)batches * B / (bb_wall_s() - t0);
    *cpu_per_step = (bb_cpu_s() - c0) / batches;
    if (noise_cpu) { /* the same draws alone, on this thread: the RNG's share of the CPU time */
        const size_t kd = (size_t)IDEM_K * dof;
        double *eps = malloc(sizeof(double) * kd), c1 = bb_cpu_s();
        for (int bt = 0; bt < batches; bt++)
            for (int p = 0; p < B; p++) {
                bb_rng rp;
                bb_rng_init(&rp, 6, (uint64_t)bt * B + p);
                bb_rng_normal_fill_fast(&rp, kd, eps);
            }
        *noise_cpu = (bb_cpu_s() - c1) / batches;
        free(eps);
    }
    if (fail) {
        fprintf(stderr, "bench_nn: %s: energy failed\n", pc->name);
        exit(1);
    }
    double q = 0;
    for (int k = 0; k < B * dof; k++) q += tg[k] * tg[k];
    *tsum = q;
    BB_FREE_ALL(x, tg);
    bb_task_free(tk);
    return pps;
}

/* 4 points with their noise written for PyTorch (float64); our targets in PREFIX.ours.f64. */
static int export_idem(const pcase *pc, const char *prefix) {
    bb_ctx c = {0};
    bb_task *tk;
    PCHECK(bb_task_create(pc->task, NULL, &tk, &c));
    enum { NP = 4 };
    const int dof = pc->P * pc->D;
    const size_t kd = (size_t)IDEM_K * dof;
    double *x = malloc(sizeof(double) * NP * dof), *eps = malloc(sizeof(double) * NP * kd);
    double *xs = malloc(sizeof(double) * kd), *gr = malloc(sizeof(double) * kd), *u = malloc(sizeof(double) * IDEM_K);
    double *tg = malloc(sizeof(double) * NP * dof);
    bb_rng r;
    bb_rng_init(&r, 5, 1);
    PCHECK(bb_task_initial(tk, NP, &r, x, &c));
    bb_rng_normal_fill(&r, NP * kd, eps);
    int rc = 0;
    for (int p = 0; p < NP && !rc; p++)
        rc = idem_point(tk, x + (size_t)p * dof, eps + p * kd, idem_sigma(pc), dof, xs, u, gr, tg + (size_t)p * dof);
    if (!rc) rc = export_case(prefix, pc, NULL, 0, x, (size_t)NP * dof, eps, NP * kd, NULL, 0, idem_sigma(pc));
    if (!rc) rc = write_raw(prefix, "ours.f64", tg, sizeof(double) * NP * dof);
    BB_FREE_ALL(x, eps, xs, gr, u, tg);
    bb_task_free(tk);
    return rc;
}

/* GEMM floating-point operations of one EGNN forward over B configurations (the
 * products of egnn.c; elementwise work not counted). */
static double egnn_fwd_gemm_flops(const pcase *pc) {
    const double B = pc->B, N = B * pc->P, E = N * (pc->P - 1), H = pc->H, T = 32;
    double l = 2 * N * H * H * 2 /* h W_i, h W_j */ + 2 * B * T * H /* t W_t */ + 2 * E * H * H * 2 /* edge2, coord1 */
               + 2 * E * H /* coord2 */ + 2 * N * H * H * 3 /* node1 (two halves), node2 */;
    if (pc->dem) l += 2 * E * H /* attention */ + 2 * E * H /* edge attribute */;
    double f = pc->L * l + 2 * B * T * H /* embed */;
    if (pc->scalar) f += 2 * N * H * H + 2 * N * H;
    return f;
}

/* GFLOP/s of a 2048^2 cblas_sgemm on `threads` OpenBLAS threads (best of 3; OpenBLAS is
 * put back on one thread, as the program runs it); *per_cpu_s: GFLOP per CPU second
 * (on a loaded machine the 1-thread figure that does not count time slices lost). */
double nn_paper_sgemm_gflops(int threads, double *per_cpu_s) {
    enum { M = 2048 };
    float *a = malloc(sizeof(float) * M * M), *b = malloc(sizeof(float) * M * M), *cc = malloc(sizeof(float) * M * M);
    for (size_t k = 0; k < (size_t)M * M; k++) {
        a[k] = (float)((k % 7) * 0.1);
        b[k] = (float)((k % 5) * 0.1);
    }
    openblas_set_num_threads(threads);
    double best = 0;
    *per_cpu_s = 0;
    for (int r = 0; r < 4; r++) {
        double t0 = bb_wall_s(), c0 = bb_cpu_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, M, M, 1.0f, a, M, b, M, 0.0f, cc, M);
        const double gf = 2.0 * M * M * M / (bb_wall_s() - t0) / 1e9, gc = 2.0 * M * M * M / (bb_cpu_s() - c0) / 1e9;
        if (r > 0 && gf > best) best = gf; /* the first call warms OpenBLAS's buffers */
        if (r > 0 && gc > *per_cpu_s) *per_cpu_s = gc;
    }
    openblas_set_num_threads(1);
    BB_FREE_ALL(a, b, cc);
    return best;
}

/* ------------------------------------------------------------------ PyTorch and the case */

/* One PyTorch setting: its JSON object (NULL on failure). */
static cJSON *run_torch(const nn_paper_opts *o, char cs, int steps, const char *env, int threads, const char *prefix) {
    char out[512], cmd[2048];
    snprintf(out, sizeof out, "%s.torch.json", prefix);
    snprintf(cmd, sizeof cmd, "%s %s '%s' paper --case %c --steps %d --torch-threads %d --init '%s' --out '%s'", env,
             o->python, o->script, cs, steps, threads, prefix, out);
    fprintf(stderr, "bench_nn: %s\n", cmd);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_nn: PyTorch side failed (is python3-torch installed?)\n");
        return NULL;
    }
    bb_ctx c = {0};
    cJSON *j = NULL;
    if (bb_json_read_file(out, 1 << 20, &j, &c) < 0) {
        fprintf(stderr, "bench_nn: %s\n", c.msg);
        return NULL;
    }
    unlink(out);
    cJSON_AddStringToObject(j, "env", env);
    return j;
}

static double jnum(const cJSON *j, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void loadavg(double l[3]) {
    l[0] = l[1] = l[2] = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return;
    if (fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) != 3) l[0] = -1;
    fclose(f);
}

static void add_load(cJSON *o, const char *key) {
    double l[3];
    loadavg(l);
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (int k = 0; k < 3; k++) cJSON_AddItemToArray(a, cJSON_CreateNumber(l[k]));
}

/* Max |a - b| / max |b| over n values of PREFIX.ours.f64 and PREFIX.torch.f64. */
static double compare_files(const char *prefix, size_t n) {
    double *a = read_raw(prefix, "ours.f64", n), *b = read_raw(prefix, "torch.f64", n), d = -1;
    if (a && b) {
        double mx = 0, sc = 0;
        for (size_t k = 0; k < n; k++) {
            mx = fmax(mx, fabs(a[k] - b[k]));
            sc = fmax(sc, fabs(b[k]));
        }
        d = mx / (sc > 0 ? sc : 1);
    }
    BB_FREE_ALL(a, b);
    return d;
}

int nn_paper_run(char cs, const nn_paper_opts *o, cJSON *arr) {
    const pcase *pc = find_case(cs);
    if (!pc) return -1;
    char prefix[256];
    snprintf(prefix, sizeof prefix, "/tmp/bench_nn_paper.%d.%c", (int)getpid(), cs);
    const int maxthr = omp_get_max_threads() > 2 ? 2 : omp_get_max_threads();
    const int steps = o->steps > 0 ? o->steps : pc->steps, n_sde = o->sde_steps > 0 ? o->sde_steps : 200;
    const int tsteps = pc->kind == 's' ? n_sde : steps;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", pc->name);
    cJSON_AddStringToObject(c, "case", (char[]){cs, 0});
    cJSON_AddStringToObject(c, "unit", pc->unit);
    cJSON_AddNumberToObject(c, "steps", tsteps);
    add_load(c, "loadavg_before");
    const double w0 = bb_wall_s();
    /* modes: 1 thread; 2 threads over ops; 2 threads over batch shards (iDEM: points) */
    const char *mode_name[3] = {"1 thread", "2 threads over ops", "2 threads over shards"};
    double v[3] = {0, 0, 0}, cpu[3] = {0, 0, 0}, loss0 = NAN, chk = -1, noise_cpu = 0;
    for (int mi = 0; mi < (maxthr > 1 ? 3 : 1); mi++) {
        const int thr = mi == 0 ? 1 : maxthr, shards = mi == 2 ? MAXSH : 1;
        const char *ex = mi == 0 && o->torch ? prefix : NULL;
        double l = NAN;
        if (pc->kind == 't')
            v[mi] = run_train(pc, thr, shards, steps, &l, &cpu[mi], ex);
        else if (pc->kind == 's')
            v[mi] = run_sde(pc, thr, shards, n_sde, &l, &cpu[mi], ex, &chk);
        else if (mi < 2) {
            if (ex && export_idem(pc, ex) < 0) return -1;
            v[mi] = run_idem(pc, thr, steps, &cpu[mi], &l, mi == 0 ? &noise_cpu : NULL);
        }
        if (mi == 0) loss0 = l;
        if (v[mi] > 0)
            fprintf(stderr, "bench_nn: %s ours %s: %.4g %s (%.3g CPU s/step)%s%.6g\n", pc->name, mode_name[mi], v[mi],
                    pc->unit, cpu[mi],
                    pc->kind == 't'   ? ", first loss "
                    : pc->kind == 's' ? ", mean |x_1|^2 "
                                      : ", sum of squared targets ",
                    l);
    }
    const double ours1 = v[0], ours2 = fmax(v[1], v[2]), ours = fmax(ours1, ours2);
    if (pc->kind != 'i') { /* training: forward + 2 products per forward product in backward */
        const double f = egnn_fwd_gemm_flops(pc) * (pc->kind == 's' ? 1.0 : pc->scalar ? 0.0 : 3.0);
        if (f > 0) {
            cJSON_AddNumberToObject(c, "gemm_gflop_per_step", f / 1e9);
            cJSON_AddNumberToObject(c, "gemm_gflops_effective_1t", f / 1e9 * ours1);
            cJSON_AddNumberToObject(c, "gemm_gflops_effective_2t", f / 1e9 * ours2);
            if (cpu[0] > 0) cJSON_AddNumberToObject(c, "gemm_gflop_per_cpu_s_1t", f / 1e9 / cpu[0]);
        }
    }
    if (pc->kind == 'i') /* Gaussian draws (harness/core/rng.c, Box-Muller) vs energies + weighting */
        cJSON_AddNumberToObject(c, "ours_noise_cpu_share_1t", noise_cpu / cpu[0]);
    cJSON_AddNumberToObject(c, "ours_1t", ours1);
    cJSON_AddNumberToObject(c, "ours_2t_over_ops", v[1]);
    if (pc->kind != 'i') cJSON_AddNumberToObject(c, "ours_2t_over_shards", v[2]);
    cJSON_AddNumberToObject(c, "ours_2t", ours2);
    cJSON_AddNumberToObject(c, "ours_cpu_s_per_step_1t", cpu[0]);
    cJSON_AddNumberToObject(c, "ours_cpu_s_per_step_2t_ops", cpu[1]);
    if (pc->kind == 's') cJSON_AddNumberToObject(c, "ours_s_per_200_step_refill_best", 200.0 / ours);
    cJSON_AddNumberToObject(c,
                            pc->kind == 't'   ? "ours_first_loss"
                            : pc->kind == 's' ? "ours_mean_sq_x1"
                                              : "ours_sum_sq_targets",
                            loss0);
    double t1 = -1, t2 = -1;
    if (o->torch) {
        cJSON *tj = cJSON_AddObjectToObject(c, "torch");
        const int ts = pc->kind == 's' ? (n_sde / 4 > 5 ? n_sde / 4 : n_sde) : steps;
        struct {
            const char *key, *env;
            int thr;
        } set[3] = {{"1_thread", "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1", 1},
                    {"2_threads", "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=2", 2},
                    {"2_threads_openblas_default", "OMP_NUM_THREADS=2", 2}};
        for (int k = 0; k < (o->torch_extra ? 3 : 2); k++) {
            cJSON *j = run_torch(o, cs, ts, set[k].env, set[k].thr, prefix);
            if (!j) continue;
            const double r = jnum(j, "rate");
            if (k == 0 && jnum(j, "cpu_s_per_step") > 0 && cpu[0] > 0) /* load-robust: CPU time per step */
                cJSON_AddNumberToObject(c, "ratio_1t_cpu_time", jnum(j, "cpu_s_per_step") / cpu[0]);
            if (k == 0)
                t1 = r;
            else
                t2 = fmax(t2, r);
            if (k == 0 && pc->kind == 't') {
                const double tl = jnum(j, "first_loss");
                cJSON *ck = cJSON_AddObjectToObject(c, "check");
                cJSON_AddStringToObject(ck, "what", "first training loss, same float32 weights and inputs");
                cJSON_AddNumberToObject(ck, "ours", loss0);
                cJSON_AddNumberToObject(ck, "torch", tl);
                cJSON_AddNumberToObject(ck, "rel_diff", fabs(loss0 - tl) / fabs(tl));
                cJSON_AddNumberToObject(ck, "tolerance", 1e-4);
                cJSON_AddBoolToObject(ck, "ok", fabs(loss0 - tl) <= 1e-4 * fabs(tl));
                fprintf(stderr, "bench_nn: %s check: first loss ours %.8g torch %.8g\n", pc->name, loss0, tl);
            } else if (k == 0) {
                const size_t n = pc->kind == 's' ? (size_t)pc->B * pc->P * pc->D : (size_t)4 * pc->P * pc->D;
                const double d = compare_files(prefix, n), tol = pc->kind == 's' ? 1e-3 : 1e-9;
                cJSON *ck = cJSON_AddObjectToObject(c, "check");
                cJSON_AddStringToObject(ck, "what",
                                        pc->kind == 's' ? "network output on 512 random (x, t), float32"
                                                        : "iDEM targets of 4 points, same noise, float64");
                cJSON_AddNumberToObject(ck, "max_abs_diff_over_max_abs", d);
                cJSON_AddNumberToObject(ck, "tolerance", tol);
                cJSON_AddBoolToObject(ck, "ok", d >= 0 && d <= tol);
                fprintf(stderr, "bench_nn: %s check: max |ours - torch| / max |torch| = %.3g\n", pc->name, d);
            }
            fprintf(stderr, "bench_nn: %s torch %s: %.4g %s\n", pc->name, set[k].key, r, pc->unit);
            cJSON_AddItemToObject(tj, set[k].key, j);
        }
        cJSON_AddNumberToObject(c, "torch_1t", t1);
        cJSON_AddNumberToObject(c, "torch_2t", t2);
        const double tb = fmax(t1, t2);
        if (tb > 0) {
            cJSON_AddNumberToObject(c, "torch_best", tb);
            cJSON_AddNumberToObject(c, "ratio_best", ours / tb);
            cJSON_AddNumberToObject(c, "ratio_2t", t2 > 0 ? ours2 / t2 : -1);
            fprintf(stderr, "bench_nn: %s ours 1t %.4g 2t %.4g | torch 1t %.4g 2t %.4g | best/best %.2fx\n", pc->name,
                    ours1, ours2, t1, t2, ours / tb);
        }
        const char *sfx[] = {"json", "w.f32", "x.f64", "y.f64", "t.f64", "ours.f64", "torch.f64"};
        for (size_t k = 0; k < sizeof sfx / sizeof sfx[0]; k++) {
            char p[512];
            snprintf(p, sizeof p, "%s.%s", prefix, sfx[k]);
            unlink(p);
        }
    }
    cJSON_AddNumberToObject(c, "wall_s", bb_wall_s() - w0);
    add_load(c, "loadavg_after");
    cJSON_AddItemToArray(arr, c);
    return 0;
}
