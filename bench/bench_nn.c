/* bench_nn.c — training steps per second of the nn core against the same models in
 * PyTorch (CPU, same machine, same run), written as JSON. Never asserts on times.
 *
 *   (a) EGNN 5 layers x 128 hidden, LJ-13, batch 512, vector field, MSE, Adam
 *       (the Adjoint Sampling setting)
 *   (b) EGNN 3 x 32, LJ-13, batch 512 (the PITA setting)
 *   (c) PIS: Fourier MLP (64 channels, 2 layers) on GMM-40, batch 300, 100 Euler-Maruyama
 *       steps, backprop through the path, path-KL loss (without the grad-log-density
 *       input); timed as trajectories per second too
 *   (d) PITA-style energy network: EGNN 5 x 128 with a scalar head, LJ-13, batch 512,
 *       loss on the score -grad_x U (double backward); not run by default (--cases abcd)
 *   (e-k) the paper-reproduction cases (Adjoint Sampling's EGNN on DW-4 and LJ-55, its
 *       forward-only SDE sampling, the iDEM target, PITA's energy network), with PyTorch
 *       on 1 and 2 threads and a same-computation check: bench/nn_paper.h; --cases efghijk
 * Each case runs float32 in boltzbench, then bench/bench_nn_torch.py in three thread
 * settings (torch default; OPENBLAS_NUM_THREADS=1; that and torch.set_num_threads(1))
 * unless --no-torch; the best PyTorch setting is the reference for the ratio. The C
 * side runs with 1 thread and with all OpenMP threads; the best of those is compared.
 * The machines are shared 2-core VMs: spinning OpenMP workers waste whole time slices
 * there (measured 5x slower), so unless OMP_WAIT_POLICY is set the program re-executes
 * itself with OMP_WAIT_POLICY=PASSIVE (bb_omp_wait_policy_init; the PyTorch runs inherit
 * it); the JSON records it.
 *
 * usage: bench_nn [--out bench_nn.json] [--cases abc] [--steps-a 3] [--steps-b 10]
 *                 [--steps-c 10] [--steps-d 2] [--no-torch] [--python /usr/bin/python3]
 *                 [--steps N] [--sde-steps 200] [--torch-extra]   (cases e-k)
 */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/core/clock.h"
#include "harness/core/jsonutil.h"
#include "harness/core/omp_policy.h"
#include "harness/core/rng.h"
#include "harness/core/source_dir.h"
#include "bench/nn_paper.h"
#include "methods/nn/nn.h"

/* CPU seconds per step of the last timed case (machines are shared: wall time is noisy). */
static double g_cpu_per_step;

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

#define CHECK(x)                                                                                                       \
    do {                                                                                                               \
        if ((x) < 0) {                                                                                                 \
            fprintf(stderr, "bench_nn: %s\n", c.msg);                                                                  \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

#define MAX_SHARDS 8

/* The end of one sharded training step: stop on a failed shard, sum the shards' gradient
 * buffers in shard order, one Adam step at learning rate lr. */
static void sum_and_step(int fail, const char *what, bb_nn_params *ps, void *const *buf, int shards, bb_nn_adam *opt,
                         double lr) {
    bb_ctx c = {0};
    if (fail) {
        fprintf(stderr, "bench_nn: %s step failed\n", what);
        exit(1);
    }
    bb_nn_params_zero_grad(ps);
    for (int s = 0; s < shards; s++) bb_nn_params_add_grad(ps, buf[s]);
    CHECK(bb_nn_adam_step(opt, ps, lr, &c));
}

/* The shards' arena peaks summed, in MiB; frees their graphs and gradient buffers. */
static double free_shards(bb_nn_graph **g, void **buf, int shards) {
    double mb = 0;
    for (int s = 0; s < shards; s++) {
        mb += (double)bb_nn_graph_bytes_peak(g[s]) / (1024.0 * 1024.0);
        bb_nn_graph_free(g[s]);
        free(buf[s]);
    }
    return mb;
}

/* One EGNN shard: forward, loss scaled by its share of the batch, backward into buf. */
static int egnn_shard(bb_nn_graph *gs, const bb_nn_params *ps, const bb_nn_egnn *net, const bb_nn_egnn_graph *egs,
                      const double *x, const double *y, const double *t, int s, int Bs, int B, int P, int D,
                      void *buf) {
    const size_t off = (size_t)s * Bs * P * D;
    const int64_t shp[2] = {Bs, P * D};
    bb_nn_graph_reset(gs);
    bb_nn_tensor *xt = net->cfg.out == BB_NN_EGNN_SCALAR ? bb_nn_input(gs, BB_NN_F32, 2, shp, x + off)
                                                         : bb_nn_from(gs, BB_NN_F32, 2, shp, x + off);
    bb_nn_tensor *yt = bb_nn_remove_com(gs, bb_nn_from(gs, BB_NN_F32, 2, shp, y + off), P, D);
    bb_nn_tensor *tt = bb_nn_from(gs, BB_NN_F32, 2, (const int64_t[]){Bs, 1}, t + (size_t)s * Bs);
    bb_nn_tensor *out = bb_nn_egnn_fwd(gs, ps, net, egs, xt, tt);
    if (net->cfg.out == BB_NN_EGNN_SCALAR) { /* PITA: the score -grad_x U enters the loss */
        bb_nn_tensor *gx;
        if (bb_nn_grad(gs, bb_nn_sum(gs, out), NULL, 1, &xt, &gx, 1) < 0) return -1;
        out = bb_nn_scale(gs, gx, -1.0, 0.0);
    }
    bb_nn_tensor *loss = bb_nn_scale(gs, bb_nn_mse(gs, out, yt), (double)Bs / B, 0.0);
    memset(buf, 0, sizeof(float) * ps->total);
    return bb_nn_backward_to(gs, loss, ps, buf);
}

/* EGNN training steps/s (float32); arena peak in MiB (all shards) via *arena_mb.
 * shards > 1: the batch is split into that many fixed parts, each with its own graph
 * and gradient buffer, processed in an OpenMP loop (data parallel; ops inside run
 * serially), buffers summed in shard order. */
static double bench_egnn(int L, int H, int B, int steps, int shards, int scalar, double *arena_mb) {
    enum { P = 13, D = 3 };
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_egnn net;
    bb_nn_egnn_graph eg[MAX_SHARDS];
    bb_nn_adam opt;
    bb_nn_graph *g[MAX_SHARDS];
    void *buf[MAX_SHARDS];
    const int Bs = B / shards;
    bb_nn_params_init(&ps, BB_NN_F32);
    bb_nn_egnn_config cfg = {.n_particles = P,
                             .dim = D,
                             .hidden = H,
                             .n_layers = L,
                             .t_dim = 32,
                             .normalize = 1,
                             .act = BB_NN_ACT_SILU,
                             .out = scalar ? BB_NN_EGNN_SCALAR : BB_NN_EGNN_VECTOR};
    CHECK(bb_nn_egnn_init(&net, &ps, "egnn", &cfg, &c));
    CHECK(bb_nn_params_alloc(&ps, 1, &c));
    CHECK(bb_nn_adam_init(&opt, &ps, 0.9, 0.999, 1e-8, 0.0, 0, &c));
    for (int s = 0; s < shards; s++) {
        CHECK(bb_nn_egnn_graph_init(&eg[s], Bs, P, &c));
        CHECK(bb_nn_graph_init(&g[s], 0, &c));
        buf[s] = malloc(sizeof(float) * ps.total);
    }
    double *x = malloc(sizeof(double) * B * P * D), *y = malloc(sizeof(double) * B * P * D);
    double *t = malloc(sizeof(double) * B);
    bb_rng r;
    bb_rng_init(&r, 1, 0);
    bb_rng_normal_fill(&r, (size_t)B * P * D, x);
    bb_rng_normal_fill(&r, (size_t)B * P * D, y);
    for (int b = 0; b < B; b++) t[b] = bb_rng_uniform(&r);
    double t0 = 0, c0 = 0;
    for (int st = 0; st < steps + 2; st++) {
        if (st == 2) {
            /* steps 0-1 warm up: step 0 sizes the arena, step 1 first-touches the single
             * block that replaces its blocks; from step 2 on nothing is allocated */
            t0 = bb_wall_s();
            c0 = bb_cpu_s();
        }
        int fail = 0;
        if (shards > 1) { /* threads over shards; ops inside run serially */
#pragma omp parallel for schedule(static, 1) reduction(| : fail)
            for (int s = 0; s < shards; s++)
                fail |= egnn_shard(g[s], &ps, &net, &eg[s], x, y, t, s, Bs, B, P, D, buf[s]) < 0;
        } else { /* no enclosing region, so ops can use all threads */
            fail = egnn_shard(g[0], &ps, &net, &eg[0], x, y, t, 0, Bs, B, P, D, buf[0]) < 0;
        }
        sum_and_step(fail, "egnn", &ps, buf, shards, &opt, 1e-4);
    }
    double sps = steps / (bb_wall_s() - t0);
    g_cpu_per_step = (bb_cpu_s() - c0) / steps;
    *arena_mb = free_shards(g, buf, shards);
    for (int s = 0; s < shards; s++) bb_nn_egnn_graph_free(&eg[s]);
    free(x);
    free(y);
    free(t);
    bb_nn_adam_free(&opt);
    bb_nn_params_free(&ps);
    return sps;
}

/* GMM-40 energy U(x) = -log sum_k 1/40 N(x; mu_k, s^2 I), x [B,2] -> [B,1]. */
static bb_nn_tensor *gmm_energy(bb_nn_graph *g, bb_nn_tensor *x, bb_nn_tensor *mu, double s) {
    const int64_t B = x->ne[0];
    bb_nn_tensor *d = bb_nn_sub(g, bb_nn_reshape(g, x, 3, (const int64_t[]){B, 1, 2}), mu); /* [B,40,2] */
    bb_nn_tensor *d2 = bb_nn_reshape(g, bb_nn_sum_cols(g, bb_nn_mul(g, d, d)), 2, (const int64_t[]){B, 40});
    bb_nn_tensor *logits = bb_nn_scale(g, d2, -0.5 / (s * s), -log(2 * M_PI * s * s) - log(40.0));
    return bb_nn_scale(g, bb_nn_logsumexp_cols(g, logits), -1.0, 0.0);
}

/* One PIS shard: Bs trajectories of 100 Euler-Maruyama steps, path-KL loss scaled by
 * its share of the batch, backward into buf. */
static int pis_shard(bb_nn_graph *gs, const bb_nn_params *ps, const bb_nn_fourier_mlp *net, const double *mu,
                     const double *noise, int sh, int Bs, int B, void *buf) {
    enum { K = 100 };
    const double T = 5.0, dt = T / K, sigma = sqrt(0.2), s = log1p(exp(1.0));
    bb_nn_graph_reset(gs);
    bb_nn_tensor *mut = bb_nn_from(gs, BB_NN_F32, 3, (const int64_t[]){1, 40, 2}, mu);
    bb_nn_tensor *x = bb_nn_zeros(gs, BB_NN_F32, 2, (const int64_t[]){Bs, 2});
    bb_nn_tensor *cost = NULL;
    for (int k = 0; k < K; k++) {
        bb_nn_tensor *tk = bb_nn_full(gs, BB_NN_F32, 2, (const int64_t[]){1, 1}, k * dt);
        bb_nn_tensor *u = bb_nn_fourier_mlp_fwd(gs, ps, net, tk, x);
        bb_nn_tensor *e = bb_nn_scale(gs, bb_nn_sum_cols(gs, bb_nn_mul(gs, u, u)), 0.5 * dt, 0.0);
        cost = cost ? bb_nn_add(gs, cost, e) : e;
        bb_nn_tensor *xi =
            bb_nn_from(gs, BB_NN_F32, 2, (const int64_t[]){Bs, 2}, noise + ((size_t)k * B + (size_t)sh * Bs) * 2);
        x = bb_nn_add(gs, bb_nn_add(gs, x, bb_nn_scale(gs, u, sigma * dt, 0.0)),
                      bb_nn_scale(gs, xi, sigma * sqrt(dt), 0.0));
    }
    bb_nn_tensor *logn = bb_nn_scale(gs, bb_nn_sum_cols(gs, bb_nn_mul(gs, x, x)), -1.0 / (2 * sigma * sigma * T),
                                     -log(2 * M_PI * sigma * sigma * T));
    bb_nn_tensor *tot = bb_nn_add(gs, bb_nn_add(gs, cost, gmm_energy(gs, x, mut, s)), logn);
    bb_nn_tensor *loss = bb_nn_scale(gs, bb_nn_sum(gs, tot), 1.0 / B, 0.0);
    memset(buf, 0, sizeof(float) * ps->total);
    return bb_nn_backward_to(gs, loss, ps, buf);
}

/* PIS training steps/s (float32, batch B, 100 Euler-Maruyama steps); shards as for
 * bench_egnn. */
static double bench_pis(int B, int steps, int shards, double *arena_mb) {
    enum { K = 100 };
    bb_ctx c = {0};
    bb_nn_params ps;
    bb_nn_fourier_mlp net;
    bb_nn_adam opt;
    bb_nn_graph *g[MAX_SHARDS];
    void *buf[MAX_SHARDS];
    const int Bs = B / shards;
    bb_nn_params_init(&ps, BB_NN_F32);
    CHECK(bb_nn_fourier_mlp_init(&net, &ps, "pis", 2, 2, 64, 2, &c));
    CHECK(bb_nn_params_alloc(&ps, 1, &c));
    CHECK(bb_nn_adam_init(&opt, &ps, 0.9, 0.999, 1e-8, 0.0, 0, &c));
    for (int sh = 0; sh < shards; sh++) {
        CHECK(bb_nn_graph_init(&g[sh], 0, &c));
        buf[sh] = malloc(sizeof(float) * ps.total);
    }
    double *noise = malloc(sizeof(double) * K * B * 2), mu[80];
    bb_rng r;
    bb_rng_init(&r, 1, 1);
    bb_rng_normal_fill(&r, (size_t)K * B * 2, noise);
    for (int i = 0; i < 80; i++) mu[i] = 80.0 * bb_rng_uniform(&r) - 40.0;
    double t0 = 0, c0 = 0;
    for (int st = 0; st < steps + 2; st++) {
        if (st == 2) { /* two warm-up steps, as for EGNN */
            t0 = bb_wall_s();
            c0 = bb_cpu_s();
        }
        int fail = 0;
        if (shards > 1) { /* threads over shards; ops inside run serially */
#pragma omp parallel for schedule(static, 1) reduction(| : fail)
            for (int sh = 0; sh < shards; sh++) fail |= pis_shard(g[sh], &ps, &net, mu, noise, sh, Bs, B, buf[sh]) < 0;
        } else {
            fail = pis_shard(g[0], &ps, &net, mu, noise, 0, Bs, B, buf[0]) < 0;
        }
        sum_and_step(fail, "pis", &ps, buf, shards, &opt, 5e-3);
    }
    double sps = steps / (bb_wall_s() - t0);
    g_cpu_per_step = (bb_cpu_s() - c0) / steps;
    *arena_mb = free_shards(g, buf, shards);
    free(noise);
    bb_nn_adam_free(&opt);
    bb_nn_params_free(&ps);
    return sps;
}

/* Run the PyTorch side in one thread setting; returns steps/s or -1 (reason printed). */
static double run_torch(const char *python, const char *script, char cs, int steps, const char *env, int torch_threads,
                        cJSON *into) {
    char out[256], cmd[2048];
    snprintf(out, sizeof out, "/tmp/bench_nn_torch.%d.%c.json", (int)getpid(), cs);
    snprintf(cmd, sizeof cmd, "%s %s '%s' bench --case %c --steps %d --torch-threads %d --out '%s'", env, python,
             script, cs, steps, torch_threads, out);
    fprintf(stderr, "bench_nn: %s\n", cmd);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_nn: PyTorch side failed (is python3-torch installed?)\n");
        return -1;
    }
    bb_ctx c = {0};
    cJSON *j = NULL;
    if (bb_json_read_file(out, 1 << 20, &j, &c) < 0) {
        fprintf(stderr, "bench_nn: %s\n", c.msg);
        return -1;
    }
    unlink(out);
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "steps_per_s");
    double sps = cJSON_IsNumber(v) ? v->valuedouble : -1;
    cJSON_AddItemToObject(into, env[0] ? env : "default", j);
    cJSON_AddNumberToObject(j, "torch_threads_requested", torch_threads);
    return sps;
}

int main(int argc, char **argv) {
    /* the program's top decides, as boltzbench does (harness/cli/main.c): passive OpenMP
     * waiting (must be set before libgomp starts: re-exec) and a single-threaded BLAS (the nn
     * core parallelises its products itself, methods/nn/tensor.c) */
    if (bb_omp_wait_policy_init(argv))
        fprintf(stderr, "bench_nn: cannot re-execute with OMP_WAIT_POLICY=PASSIVE; continuing\n");
    openblas_set_num_threads(1);
    const char *out = "bench_nn.json", *cases = "abc", *python = "/usr/bin/python3";
    int steps[4] = {3, 10, 10, 2}, torch = 1;
    nn_paper_opts po = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            cases = argv[++i];
        else if (!strcmp(argv[i], "--steps-a") && i + 1 < argc)
            steps[0] = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps-b") && i + 1 < argc)
            steps[1] = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps-c") && i + 1 < argc)
            steps[2] = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps-d") && i + 1 < argc)
            steps[3] = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            po.steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sde-steps") && i + 1 < argc)
            po.sde_steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--torch-extra"))
            po.torch_extra = 1;
        else if (!strcmp(argv[i], "--no-torch"))
            torch = 0;
        else if (!strcmp(argv[i], "--python") && i + 1 < argc)
            python = argv[++i];
        else {
            fprintf(stderr, "usage: bench_nn [--out f.json] [--cases abc] [--steps-a n] [--steps-b n] "
                            "[--steps-c n] [--steps-d n] [--no-torch] [--python path] [--steps n] "
                            "[--sde-steps n] [--torch-extra]\n");
            return 2;
        }
    }
    char script[4096];
    snprintf(script, sizeof script, "%s/bench/bench_nn_torch.py", bb_source_dir());
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "boltzbench.bench_nn/1");
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    cJSON_AddStringToObject(root, "host", host);
    cJSON_AddNumberToObject(root, "omp_max_threads", omp_get_max_threads());
    cJSON_AddNumberToObject(root, "cpus_online", (double)sysconf(_SC_NPROCESSORS_ONLN));
    int par = openblas_get_parallel();
    cJSON_AddStringToObject(root, "openblas", par == 0 ? "sequential" : par == 1 ? "pthread" : "openmp");
    cJSON_AddStringToObject(root, "dtype", "float32");
    cJSON_AddStringToObject(root, "omp_wait_policy", getenv("OMP_WAIT_POLICY") ? getenv("OMP_WAIT_POLICY") : "");
    cJSON_AddStringToObject(root, "note", "ratio = boltzbench / best PyTorch thread setting, same run");
    cJSON *arr = cJSON_AddArrayToObject(root, "cases");
    for (const char *p = cases; *p; p++)
        if (torch && nn_paper_is_case(*p)) { /* the ceiling the paper cases' GEMMs are measured against */
            cJSON_AddStringToObject(root, "openblas_coretype",
                                    getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "");
            cJSON_AddStringToObject(root, "openblas_core", openblas_get_corename());
            double pc1, pc2;
            cJSON_AddNumberToObject(root, "sgemm_2048_gflops_1t", nn_paper_sgemm_gflops(1, &pc1));
            cJSON_AddNumberToObject(root, "sgemm_2048_gflop_per_cpu_s_1t", pc1);
            cJSON_AddNumberToObject(root, "sgemm_2048_gflops_2t", nn_paper_sgemm_gflops(2, &pc2));
            break;
        }
    po.torch = torch;
    po.python = python;
    po.script = script;
    for (const char *p = cases; *p; p++) {
        const char cs = *p;
        if (nn_paper_is_case(cs)) {
            if (nn_paper_run(cs, &po, arr) < 0) return 1;
            continue;
        }
        if (cs < 'a' || cs > 'd') continue;
        const int k = cs - 'a';
        /* modes: 1 thread; all threads with parallel ops; all threads, one shard each */
        double arena = 0, t0 = bb_wall_s(), sps = 0, by_mode[3] = {0, 0, 0}, cpu[3] = {0, 0, 0};
        const char *name = cs == 'a'   ? "egnn_5x128_lj13_b512"
                           : cs == 'b' ? "egnn_3x32_lj13_b512"
                           : cs == 'c' ? "pis_fouriermlp64x2_gmm40_b300_em100"
                                       : "egnn_energy_5x128_double_backward_lj13_b512";
        const char *mode_name[3] = {"1 thread", "threads over ops", "threads over batch shards"};
        const int maxthr = omp_get_max_threads();
        for (int mi = 0; mi < (maxthr > 1 ? 3 : 1); mi++) {
            omp_set_num_threads(mi == 0 ? 1 : maxthr);
            const int shards = mi == 2 ? (maxthr < MAX_SHARDS ? maxthr : MAX_SHARDS) : 1;
            double v, am = 0;
            if (cs == 'a')
                v = bench_egnn(5, 128, 512, steps[k], shards, 0, &am);
            else if (cs == 'b')
                v = bench_egnn(3, 32, 512, steps[k], shards, 0, &am);
            else if (cs == 'd')
                v = bench_egnn(5, 128, 512, steps[k], shards, 1, &am);
            else
                v = bench_pis(300, steps[k], shards, &am);
            if (mi == 0) arena = am;
            by_mode[mi] = v;
            cpu[mi] = g_cpu_per_step;
            sps = v > sps ? v : sps;
            fprintf(stderr, "bench_nn: %s boltzbench %s: %.4g steps/s (%.3g CPU s/step, arena %.0f MiB)\n", name,
                    mode_name[mi], v, g_cpu_per_step, am);
        }
        omp_set_num_threads(maxthr);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddNumberToObject(o, "steps", steps[k]);
        cJSON_AddNumberToObject(o, "boltzbench_steps_per_s", sps);
        cJSON_AddNumberToObject(o, "boltzbench_steps_per_s_1_thread", by_mode[0]);
        cJSON_AddNumberToObject(o, "boltzbench_cpu_s_per_step_1_thread", cpu[0]);
        if (maxthr > 1) {
            cJSON_AddNumberToObject(o, "boltzbench_threads", maxthr);
            cJSON_AddNumberToObject(o, "boltzbench_steps_per_s_threads_over_ops", by_mode[1]);
            cJSON_AddNumberToObject(o, "boltzbench_cpu_s_per_step_threads_over_ops", cpu[1]);
            cJSON_AddNumberToObject(o, "boltzbench_steps_per_s_threads_over_shards", by_mode[2]);
            cJSON_AddNumberToObject(o, "boltzbench_cpu_s_per_step_threads_over_shards", cpu[2]);
        }
        if (cs == 'c') cJSON_AddNumberToObject(o, "boltzbench_trajectories_per_s", 300 * sps);
        /* arena of the 1-thread run (shards add their own) */
        cJSON_AddNumberToObject(o, "boltzbench_arena_peak_mib_1_thread", arena);
        cJSON_AddNumberToObject(o, "wall_s", bb_wall_s() - t0);
        fprintf(stderr, "bench_nn: %s boltzbench best %.4g steps/s (arena %.0f MiB)\n", name, sps, arena);
        if (torch) {
            cJSON *tj = cJSON_AddObjectToObject(o, "torch");
            int tsteps = steps[k] < 2 ? 1 : steps[k] / (cs == 'a' || cs == 'd' ? 1 : 2);
            double best = -1, v;
            v = run_torch(python, script, cs, tsteps, "", 0, tj);
            best = v > best ? v : best;
            v = run_torch(python, script, cs, tsteps, "OPENBLAS_NUM_THREADS=1", 0, tj);
            best = v > best ? v : best;
            v = run_torch(python, script, cs, tsteps, "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1", 1, tj);
            best = v > best ? v : best;
            if (best > 0) {
                cJSON_AddNumberToObject(o, "torch_best_steps_per_s", best);
                cJSON_AddNumberToObject(o, "ratio_vs_torch_best", sps / best);
                fprintf(stderr, "bench_nn: %s PyTorch best %.4g steps/s, ratio %.2f\n", name, best, sps / best);
            }
        }
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddNumberToObject(root, "peak_rss_mib", peak_rss_mb());
    bb_ctx c = {0};
    int rc = bb_json_write_file(out, root, &c);
    if (rc < 0)
        fprintf(stderr, "bench_nn: %s\n", c.msg);
    else
        fprintf(stderr, "bench_nn: wrote %s\n", out);
    cJSON_Delete(root);
    return rc < 0;
}
