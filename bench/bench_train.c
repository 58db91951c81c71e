/* bench_train.c — one training iteration of PIS and of iDEM at the authors' settings,
 * driving the methods' own code, side by side with PyTorch (bench/bench_train_torch.py),
 * written as JSON. Never asserts on times.
 *
 * Cases (--cases, comma-separated; default all):
 *   pis-gmm40, pis-dw4, pis-lj13   PIS-Grad at the method's defaults (FourierMLP 2 x 64 and
 *       TimeConder control, sigma = sqrt(0.2), T = 5, 100 Euler-Maruyama steps, batch 300,
 *       grad U at every step of every path, Adam 5e-3): one iteration = the method's step
 *       (pis_step: the gradient of the path-space KL, then Adam), through the method table,
 *       for gradient = backprop (the authors') and gradient = adjoint (ours);
 *   idem-dw4, idem-lj13   iDEM at the method's per-task defaults (DEM EGNN 3 x 128 / 5 x 128,
 *       K = 1000 draws per target, batch 512, clip 20, Adam 1e-3, gradient clip 0.5): one
 *       iteration = idem_train_step (replay rows, noising, the K-draw score targets through
 *       the oracle, the regression step), what the method's step does between refills.
 * Ours runs with 1 and 2 threads (oracle and, for iDEM, the network: nn_threads = the
 * run's); PIS keeps its network on one thread as the method does. PyTorch runs float32 (as
 * the authors) with OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(1) and (2).
 *
 * Side by side on a shared machine: each case runs `--repeats` rounds, and a round times
 * every mode of ours and then PyTorch's (one process, both thread counts), so both sides
 * see the same load; medians over the rounds are reported, the ratio is ours' best median
 * over PyTorch's best median, and `uptime` is recorded before and after each case.
 *
 * Same computation: before timing, the C side exports its initial weights (and for PIS the
 * first batch's Brownian increments; for iDEM the first step's noised rows, times and
 * targets); PyTorch recomputes the first iteration's loss from them in float64 (JSON
 * `check`, tolerance 1e-9 for PIS in float64 on both sides, 1e-4 for iDEM's float32
 * network).
 *
 * usage: bench_train [--out bench_train.json] [--cases LIST] [--repeats 3] [--steps-pis 3]
 *                    [--steps-idem 1] [--no-torch] [--python /usr/bin/python3]
 */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness/core/clock.h"
#include "harness/core/jsonutil.h"
#include "harness/core/omp_policy.h"
#include "harness/core/source_dir.h"
#include "methods/idem/idem.h"
#include "methods/method.h"
#include "methods/pis/pis.h"
#include "tasks/task.h"

const double *bb_gmm40_means(void); /* tasks/gmm.c (internal; tests/tasks/test_gmm_dw.c) */

#define MAX_REPEATS 16
#define SEED        7

typedef struct opts {
    int repeats, steps_pis, steps_idem, torch;
    const char *python;
    char script[4096];
} opts;

#define DIE_IF(x)                                                                                                      \
    do {                                                                                                               \
        if (x) {                                                                                                       \
            fprintf(stderr, "bench_train: %s\n", c.msg[0] ? c.msg : #x);                                               \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

/* ------------------------------------------------------------------ small helpers */

static void add_uptime(cJSON *o, const char *key) {
    char line[256] = "";
    FILE *p = popen("uptime", "r");
    if (p) {
        if (!fgets(line, sizeof line, p)) line[0] = 0;
        pclose(p);
    }
    line[strcspn(line, "\n")] = 0;
    cJSON_AddStringToObject(o, key, line);
}

static void add_loadavg(cJSON *o, const char *key) {
    double l[3] = {-1, -1, -1};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) != 3) l[0] = -1;
        fclose(f);
    }
    cJSON_AddItemToObject(o, key, cJSON_CreateDoubleArray(l, 3));
}

static int write_f64(const char *prefix, const char *sfx, const double *v, size_t n) {
    char path[512];
    snprintf(path, sizeof path, "%s.%s", prefix, sfx);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(v, sizeof *v, n, f) == n;
    if (f && fclose(f)) ok = 0;
    if (!ok) fprintf(stderr, "bench_train: cannot write %s\n", path);
    return ok ? 0 : -1;
}

/* The parameters' layout (name, element offset, shape) and values as float64. */
static int export_params(const char *prefix, const bb_nn_params *ps, cJSON *spec) {
    cJSON *pa = cJSON_AddArrayToObject(spec, "params");
    for (int k = 0; k < ps->n; k++) {
        const bb_nn_param_info *in = &ps->info[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", in->name);
        cJSON_AddNumberToObject(o, "off", (double)in->off);
        cJSON *sh = cJSON_AddArrayToObject(o, "shape");
        for (int d = 0; d < in->ndim; d++) cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)in->ne[d]));
        cJSON_AddItemToArray(pa, o);
    }
    double *w = malloc(ps->total * sizeof *w);
    if (!w) return -1;
    for (size_t i = 0; i < ps->total; i++)
        w[i] = ps->dtype == BB_NN_F32 ? (double)((const float *)ps->data)[i] : ((const double *)ps->data)[i];
    int rc = write_f64(prefix, "w.f64", w, ps->total);
    free(w);
    return rc;
}

static int write_spec(const char *prefix, const cJSON *spec) {
    char path[512];
    bb_ctx c = {0};
    snprintf(path, sizeof path, "%s.json", prefix);
    if (bb_json_write_file(path, spec, &c) < 0) {
        fprintf(stderr, "bench_train: %s\n", c.msg);
        return -1;
    }
    return 0;
}

static void remove_exports(const char *prefix) {
    const char *sfx[] = {"json", "w.f64", "noise.f64", "means.f64", "y.f64", "t.f64", "target.f64", "torch.json"};
    for (size_t k = 0; k < sizeof sfx / sizeof *sfx; k++) {
        char p[512];
        snprintf(p, sizeof p, "%s.%s", prefix, sfx[k]);
        unlink(p);
    }
}

/* One PyTorch round: its JSON (NULL on failure, reason printed). */
static cJSON *run_torch(const opts *o, const char *prefix, int steps, int check) {
    char out[512], cmd[8192];
    snprintf(out, sizeof out, "%s.torch.json", prefix);
    snprintf(cmd, sizeof cmd,
             "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=2 %s '%s' --init '%s' --steps %d --threads 1,2%s --out '%s'",
             o->python, o->script, prefix, steps, check ? " --check" : "", out);
    fprintf(stderr, "bench_train: %s\n", cmd);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_train: PyTorch side failed (is python3-torch installed?)\n");
        return NULL;
    }
    bb_ctx c = {0};
    cJSON *j = NULL;
    if (bb_json_read_file(out, 1 << 20, &j, &c) < 0) {
        fprintf(stderr, "bench_train: %s\n", c.msg);
        return NULL;
    }
    unlink(out);
    return j;
}

static double jnum(const cJSON *j, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n) {
    double s[MAX_REPEATS];
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

static void add_check(cJSON *cs, const char *what, double ours, const cJSON *tj, double tol) {
    const double tl = jnum(tj, "check_loss"), d = fabs(ours - tl) / fmax(fabs(tl), 1e-300);
    cJSON *ck = cJSON_AddObjectToObject(cs, "check");
    cJSON_AddStringToObject(ck, "what", what);
    cJSON_AddNumberToObject(ck, "ours", ours);
    cJSON_AddNumberToObject(ck, "torch", tl);
    cJSON_AddNumberToObject(ck, "rel_diff", d);
    cJSON_AddNumberToObject(ck, "tolerance", tol);
    cJSON_AddBoolToObject(ck, "ok", d <= tol);
    fprintf(stderr, "bench_train: check %s: ours %.12g torch %.12g (rel %.2g, tolerance %g)\n", what, ours, tl, d, tol);
}

/* ------------------------------------------------------------------ the two methods */

#define MAX_MODES 4

/* One case's timed side: `modes` ways of running ours, each a (state, thread count) pair. */
typedef struct ours_side {
    int n_modes;
    const char *mode_name[MAX_MODES];
    double (*time_mode)(void *cs, int mode, int steps, double *cpu_per_step);
    void *cs;
} ours_side;

/* ---- PIS: through the method table */
typedef struct pis_case {
    bb_task *t;
    bb_oracle *o[2];
    void *st[2]; /* backprop, adjoint */
    const bb_method *m;
} pis_case;

static void pis_case_init(pis_case *pc, const char *task) {
    bb_ctx c = {0};
    memset(pc, 0, sizeof *pc);
    pc->m = bb_method_find("pis");
    DIE_IF(!pc->m || bb_task_create(task, NULL, &pc->t, &c));
    const char *route[2] = {"{\"gradient\": \"backprop\"}", "{\"gradient\": \"adjoint\"}"};
    for (int r = 0; r < 2; r++) {
        bb_params p;
        cJSON *ov = cJSON_Parse(route[r]);
        DIE_IF(bb_oracle_create(pc->t, (int64_t)1 << 60, &pc->o[r], &c));
        DIE_IF(bb_method_resolve_params(pc->m, pc->t->type->name, NULL, ov, &p, &c));
        cJSON_Delete(ov);
        bb_method_env env = {.oracle = pc->o[r], .seed = SEED, .n_samples = 1, .threads = 1};
        DIE_IF(pc->m->init(&env, &p, &pc->st[r], &c));
        bb_params_free(&p);
    }
}

static void pis_case_free(pis_case *pc) {
    for (int r = 0; r < 2; r++) {
        pc->m->free(pc->st[r]);
        bb_oracle_free(pc->o[r]);
    }
    bb_task_free(pc->t);
}

/* modes: 0 backprop 1t, 1 backprop 2t, 2 adjoint 1t, 3 adjoint 2t */
static double pis_time(void *cs, int mode, int steps, double *cpu) {
    pis_case *pc = cs;
    const int r = mode / 2;
    bb_oracle_set_threads(pc->o[r], mode % 2 ? 2 : 1);
    omp_set_num_threads(mode % 2 ? 2 : 1);
    bb_ctx c = {0};
    const double t0 = bb_wall_s(), c0 = bb_cpu_s();
    for (int s = 0; s < steps; s++) {
        bb_step_info info = {0};
        DIE_IF(pc->m->step(pc->st[r], &info, &c));
        DIE_IF(info.stop != BB_STOP_NONE);
    }
    *cpu = (bb_cpu_s() - c0) / steps;
    return steps / (bb_wall_s() - t0);
}

/* The spec, weights, GMM means and the first batch's increments for PyTorch; then the
 * first (warm-up) iteration of each route: *loss0 its backprop loss. */
static int pis_export(pis_case *pc, const char *prefix, cJSON *settings, double *loss0) {
    const pis_state *a = pc->st[0];
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddStringToObject(spec, "method", "pis");
    cJSON_AddStringToObject(spec, "task", pc->t->type->name);
    cJSON_AddNumberToObject(spec, "P", pc->t->n_particles);
    cJSON_AddNumberToObject(spec, "D", pc->t->dim);
    cJSON_AddNumberToObject(spec, "dof", (double)a->dof);
    cJSON_AddNumberToObject(spec, "batch", (double)a->B);
    cJSON_AddNumberToObject(spec, "n_steps", a->n_steps);
    cJSON_AddNumberToObject(spec, "sigma", a->sigma);
    cJSON_AddNumberToObject(spec, "t_end", a->t_end);
    cJSON_AddNumberToObject(spec, "lr", a->lr);
    cJSON_AddNumberToObject(spec, "weight_decay", a->opt.weight_decay);
    cJSON_AddNumberToObject(spec, "lgv_clip", a->lgv_clip);
    cJSON_AddNumberToObject(spec, "channels", a->net.channels);
    cJSON_AddNumberToObject(spec, "layers", a->net.n_layers);
    cJSON_AddNumberToObject(spec, "coef_layers", a->coef.n_layers);
    cJSON_AddNumberToObject(spec, "gmm_std", log1p(exp(1.0))); /* tasks/gmm.c GMM_STD */
    cJSON_AddItemToObject(settings, "pis", cJSON_Duplicate(spec, 1));
    int rc = export_params(prefix, &a->ps, spec);
    if (!rc && !strcmp(pc->t->type->name, "gmm40")) {
        rc = write_f64(prefix, "means.f64", bb_gmm40_means(), 80);
    }
    const size_t n = a->B * a->dof;
    double *xi = malloc((size_t)a->n_steps * n * sizeof *xi);
    bb_rng rng; /* pis_train_grad's stream of iteration 0, drawn step by step */
    bb_rng_init(&rng, a->seed, PIS_STREAM_TRAIN + 0);
    for (int k = 0; k < a->n_steps; k++) bb_rng_normal_fill(&rng, n, xi + (size_t)k * n);
    if (!rc) rc = write_f64(prefix, "noise.f64", xi, (size_t)a->n_steps * n);
    free(xi);
    if (!rc) rc = write_spec(prefix, spec);
    cJSON_Delete(spec);
    bb_ctx c = {0};
    for (int r = 0; r < 2 && !rc; r++) /* two warm-up iterations: the first sizes the arena, */
        for (int w = 0; w < 2; w++) {  /* the second first-touches the block that replaces it */
            bb_step_info info = {0};
            DIE_IF(pc->m->step(pc->st[r], &info, &c));
            if (r == 0 && w == 0) *loss0 = info.loss;
        }
    return rc;
}

/* ---- iDEM: the model and its training step */
typedef struct idem_case {
    bb_task *t;
    bb_oracle *o;
    bb_params p;
    idem_model m;
    bb_replay rb;
    uint64_t step;
} idem_case;

static void idem_case_init(idem_case *ic, const char *task) {
    bb_ctx c = {0};
    memset(ic, 0, sizeof *ic);
    const bb_method *m = bb_method_find("idem");
    DIE_IF(!m || bb_task_create(task, NULL, &ic->t, &c));
    DIE_IF(bb_oracle_create(ic->t, (int64_t)1 << 60, &ic->o, &c));
    DIE_IF(bb_method_resolve_params(m, ic->t->type->name, NULL, NULL, &ic->p, &c));
    idem_config cfg;
    DIE_IF(idem_config_from_params(&ic->p, ic->t, "idem", &cfg, &c));
    DIE_IF(idem_model_init(&ic->m, &cfg, SEED, &c));
    DIE_IF(bb_replay_init(&ic->rb, (size_t)cfg.buffer, (size_t)ic->t->dof, &c));
    /* the buffer as the method starts it: n_init prior samples */
    double *y0 = malloc((size_t)cfg.n_init * (size_t)ic->t->dof * sizeof *y0);
    DIE_IF(!y0);
    bb_rng rng;
    bb_rng_init(&rng, SEED, IDEM_STREAM_INIT);
    idem_prior_sample(&ic->m, (size_t)cfg.n_init, &rng, y0);
    bb_replay_push(&ic->rb, (size_t)cfg.n_init, y0);
    free(y0);
}

static void idem_case_free(idem_case *ic) {
    bb_replay_free(&ic->rb);
    idem_model_free(&ic->m);
    bb_params_free(&ic->p);
    bb_oracle_free(ic->o);
    bb_task_free(ic->t);
}

static double idem_one(idem_case *ic) {
    bb_ctx c = {0};
    bb_rng rng;
    bb_rng_init(&rng, SEED, IDEM_STREAM_TRAIN + ic->step++);
    double loss;
    DIE_IF(idem_train_step(&ic->m, ic->o, &ic->rb, (size_t)ic->m.cfg.batch, &rng, &loss, NULL, &c));
    return loss;
}

/* modes: 0 one thread, 1 two threads (oracle and network) */
static double idem_time(void *cs, int mode, int steps, double *cpu) {
    idem_case *ic = cs;
    const int th = mode ? 2 : 1;
    bb_oracle_set_threads(ic->o, th);
    bb_scorenet_set_threads(&ic->m.net, &ic->p, th);
    omp_set_num_threads(th);
    const double t0 = bb_wall_s(), c0 = bb_cpu_s();
    for (int s = 0; s < steps; s++) idem_one(ic);
    *cpu = (bb_cpu_s() - c0) / steps;
    return steps / (bb_wall_s() - t0);
}

static int idem_export(idem_case *ic, const char *prefix, cJSON *settings, double *loss0) {
    const idem_config *cf = &ic->m.cfg;
    const size_t B = (size_t)cf->batch, dof = (size_t)ic->t->dof;
    cJSON *spec = cJSON_CreateObject();
    cJSON_AddStringToObject(spec, "method", "idem");
    cJSON_AddStringToObject(spec, "task", ic->t->type->name);
    cJSON_AddNumberToObject(spec, "P", cf->net.sp.P);
    cJSON_AddNumberToObject(spec, "D", cf->net.sp.D);
    cJSON_AddNumberToObject(spec, "dof", (double)dof);
    cJSON_AddNumberToObject(spec, "H", cf->net.hidden);
    cJSON_AddNumberToObject(spec, "L", cf->net.layers);
    cJSON_AddNumberToObject(spec, "T", cf->net.t_dim);
    cJSON_AddNumberToObject(spec, "batch", (double)B);
    cJSON_AddNumberToObject(spec, "K", cf->mc_samples);
    cJSON_AddNumberToObject(spec, "n_init", cf->n_init);
    cJSON_AddNumberToObject(spec, "sigma_min", cf->net.sigma_min);
    cJSON_AddNumberToObject(spec, "sigma_max", cf->net.sigma_max);
    cJSON_AddNumberToObject(spec, "max_score_norm", cf->max_score_norm);
    cJSON_AddNumberToObject(spec, "lr", cf->lr);
    cJSON_AddNumberToObject(spec, "max_grad_norm", cf->max_grad_norm);
    cJSON_AddItemToObject(settings, "idem", cJSON_Duplicate(spec, 1));
    int rc = (!cf->net.use_egnn || cf->lambda_var || cf->energy_net || cf->data_scale != 1.0) ? -1 : 0;
    if (rc) fprintf(stderr, "bench_train: idem on %s: only the EGNN score network is mirrored\n", ic->t->id);
    if (!rc) rc = export_params(prefix, &ic->m.net.ps, spec);
    if (!rc) rc = write_spec(prefix, spec);
    cJSON_Delete(spec);
    if (rc) return rc;
    *loss0 = idem_one(ic); /* the first (warm-up) step, its inputs and targets as it used them */
    rc = write_f64(prefix, "y.f64", ic->m.net.xbuf, B * dof);
    if (!rc) rc = write_f64(prefix, "t.f64", ic->m.net.tbuf, B);
    if (!rc) rc = write_f64(prefix, "target.f64", ic->m.net.sbuf, B * dof);
    if (!rc) idem_one(ic); /* a second warm-up step: first touch of the arena's single block */
    return rc;
}

/* ------------------------------------------------------------------ one case, side by side */

static int run_case(const opts *o, const char *name, cJSON *arr) {
    char method[16] = "", task[32] = "";
    if (sscanf(name, "%15[^-]-%31s", method, task) != 2 || (strcmp(method, "pis") && strcmp(method, "idem"))) {
        fprintf(stderr, "bench_train: unknown case '%s' (pis-<task> or idem-<task>)\n", name);
        return -1;
    }
    const int is_pis = !strcmp(method, "pis"), steps = is_pis ? o->steps_pis : o->steps_idem;
    char prefix[256];
    snprintf(prefix, sizeof prefix, "/tmp/bench_train.%d.%s", (int)getpid(), name);
    cJSON *cs = cJSON_CreateObject();
    cJSON_AddStringToObject(cs, "name", name);
    cJSON_AddStringToObject(cs, "unit", "training iterations/s");
    cJSON_AddNumberToObject(cs, "steps_per_round", steps);
    add_uptime(cs, "uptime_before");
    const double w0 = bb_wall_s();
    cJSON *settings = cJSON_AddObjectToObject(cs, "settings");
    pis_case pc;
    idem_case ic;
    ours_side os = {0};
    double loss0 = NAN;
    int rc;
    if (is_pis) {
        pis_case_init(&pc, task);
        os = (ours_side){4, {"backprop_1t", "backprop_2t", "adjoint_1t", "adjoint_2t"}, pis_time, &pc};
        rc = pis_export(&pc, prefix, settings, &loss0);
        cJSON_AddNumberToObject(cs, "evaluations_per_iteration_backprop", (double)pis_iteration_cost(pc.st[0]));
        cJSON_AddNumberToObject(cs, "evaluations_per_iteration_adjoint", (double)pis_iteration_cost(pc.st[1]));
    } else {
        idem_case_init(&ic, task);
        os = (ours_side){2, {"1t", "2t"}, idem_time, &ic};
        rc = idem_export(&ic, prefix, settings, &loss0);
        cJSON_AddNumberToObject(cs, "evaluations_per_iteration", (double)ic.m.cfg.batch * (double)ic.m.cfg.mc_samples);
    }
    if (rc) return -1;
    double ours[MAX_MODES][MAX_REPEATS], ocpu[MAX_MODES][MAX_REPEATS], tr[2][MAX_REPEATS], tcpu[2][MAX_REPEATS];
    int n_torch = 0;
    cJSON *rounds = cJSON_AddArrayToObject(cs, "rounds");
    for (int r = 0; r < o->repeats; r++) {
        cJSON *ro = cJSON_CreateObject(), *oj = cJSON_AddObjectToObject(ro, "ours");
        add_loadavg(ro, "loadavg_before");
        for (int md = 0; md < os.n_modes; md++) {
            ours[md][r] = os.time_mode(os.cs, md, steps, &ocpu[md][r]);
            cJSON_AddNumberToObject(oj, os.mode_name[md], ours[md][r]);
            fprintf(stderr, "bench_train: %s round %d ours %s: %.4g it/s (%.3g CPU s/it)\n", name, r, os.mode_name[md],
                    ours[md][r], ocpu[md][r]);
        }
        if (o->torch) {
            cJSON *tj = run_torch(o, prefix, steps, r == 0);
            if (!tj) return -1;
            if (r == 0)
                add_check(cs,
                          is_pis ? "first iteration's batch-mean path KL, same weights and Brownian increments, "
                                   "float64 both sides"
                                 : "first step's regression loss, same weights, rows, times and targets "
                                   "(ours float32 network, torch float64)",
                          loss0, tj, is_pis ? 1e-9 : 1e-4);
            const cJSON *rates = cJSON_GetObjectItemCaseSensitive(tj, "rates"),
                        *cpu = cJSON_GetObjectItemCaseSensitive(tj, "cpu_s_per_step");
            for (int k = 0; k < 2; k++) {
                const char *key = k ? "2" : "1";
                tr[k][r] = jnum(rates, key);
                tcpu[k][r] = jnum(cpu, key);
                fprintf(stderr, "bench_train: %s round %d torch %st: %.4g it/s\n", name, r, key, tr[k][r]);
            }
            if (r == 0)
                cJSON_AddStringToObject(cs, "torch_version", cJSON_GetStringValue(cJSON_GetObjectItem(tj, "torch")));
            cJSON_AddItemToObject(ro, "torch", tj);
            n_torch++;
        }
        add_loadavg(ro, "loadavg_after");
        cJSON_AddItemToArray(rounds, ro);
    }
    cJSON *om = cJSON_AddObjectToObject(cs, "ours_median"), *ocm = cJSON_AddObjectToObject(cs, "ours_cpu_s_median");
    double best = 0, best_route[2] = {0, 0};
    for (int md = 0; md < os.n_modes; md++) {
        const double v = median(ours[md], o->repeats);
        cJSON_AddNumberToObject(om, os.mode_name[md], v);
        cJSON_AddNumberToObject(ocm, os.mode_name[md], median(ocpu[md], o->repeats));
        best = fmax(best, v);
        if (is_pis) best_route[md / 2] = fmax(best_route[md / 2], v);
    }
    cJSON_AddNumberToObject(cs, "ours_best_median", best);
    if (n_torch > 0) {
        cJSON *tm = cJSON_AddObjectToObject(cs, "torch_median");
        const double t1 = median(tr[0], n_torch), t2 = median(tr[1], n_torch), tb = fmax(t1, t2);
        cJSON_AddNumberToObject(tm, "1t", t1);
        cJSON_AddNumberToObject(tm, "2t", t2);
        cJSON_AddNumberToObject(cs, "torch_best_median", tb);
        cJSON_AddNumberToObject(cs, "ratio_best", best / tb);
        if (is_pis) {
            cJSON_AddNumberToObject(cs, "ratio_backprop", best_route[0] / tb);
            cJSON_AddNumberToObject(cs, "ratio_adjoint", best_route[1] / tb);
        }
        /* load-robust: CPU seconds per iteration on one thread, PyTorch over ours */
        const double c_ours = median(ocpu[0], o->repeats), c_torch = median(tcpu[0], n_torch);
        cJSON_AddNumberToObject(cs, "ratio_1t_cpu_time", c_torch / c_ours);
        fprintf(stderr, "bench_train: %s ours best %.4g it/s, torch best %.4g it/s: %.2fx (1t CPU %.2fx)\n", name, best,
                tb, best / tb, c_torch / c_ours);
    }
    cJSON_AddNumberToObject(cs, "wall_s", bb_wall_s() - w0);
    add_uptime(cs, "uptime_after");
    cJSON_AddItemToArray(arr, cs);
    remove_exports(prefix);
    if (is_pis)
        pis_case_free(&pc);
    else
        idem_case_free(&ic);
    return 0;
}

int main(int argc, char **argv) {
    if (bb_omp_wait_policy_init(argv))
        fprintf(stderr, "bench_train: cannot re-execute with OMP_WAIT_POLICY=PASSIVE; continuing\n");
    openblas_set_num_threads(1);
    const char *out = "bench_train.json", *cases = "pis-gmm40,pis-dw4,pis-lj13,idem-dw4,idem-lj13";
    opts o = {.repeats = 3, .steps_pis = 3, .steps_idem = 1, .torch = 1, .python = "/usr/bin/python3"};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            cases = argv[++i];
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            o.repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps-pis") && i + 1 < argc)
            o.steps_pis = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps-idem") && i + 1 < argc)
            o.steps_idem = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-torch"))
            o.torch = 0;
        else if (!strcmp(argv[i], "--python") && i + 1 < argc)
            o.python = argv[++i];
        else {
            fprintf(stderr, "usage: bench_train [--out f.json] [--cases pis-gmm40,...,idem-lj13] [--repeats n] "
                            "[--steps-pis n] [--steps-idem n] [--no-torch] [--python path]\n");
            return 2;
        }
    }
    if (o.repeats < 1 || o.repeats > MAX_REPEATS || o.steps_pis < 1 || o.steps_idem < 1) {
        fprintf(stderr, "bench_train: --repeats must be 1..%d and the step counts at least 1\n", MAX_REPEATS);
        return 2;
    }
    snprintf(o.script, sizeof o.script, "%s/bench/bench_train_torch.py", bb_source_dir());
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "schema", "boltzbench.bench_train/1");
    char host[256] = "unknown";
    gethostname(host, sizeof host - 1);
    cJSON_AddStringToObject(root, "host", host);
    cJSON_AddNumberToObject(root, "cpus_online", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddStringToObject(root, "omp_wait_policy", getenv("OMP_WAIT_POLICY") ? getenv("OMP_WAIT_POLICY") : "");
    cJSON_AddStringToObject(root, "openblas_coretype", getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "");
    cJSON_AddStringToObject(root, "note",
                            "rates in training iterations/s; each round times ours then PyTorch; medians over rounds; "
                            "ratio_best = ours best median / PyTorch best median");
    add_uptime(root, "uptime_start");
    cJSON *arr = cJSON_AddArrayToObject(root, "cases");
    char list[1024];
    snprintf(list, sizeof list, "%s", cases);
    int rc = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save))
        rc = run_case(&o, tok, arr);
    add_uptime(root, "uptime_end");
    bb_ctx c = {0};
    if (!rc && bb_json_write_file(out, root, &c) < 0) {
        fprintf(stderr, "bench_train: %s\n", c.msg);
        rc = -1;
    }
    if (!rc) fprintf(stderr, "bench_train: wrote %s\n", out);
    cJSON_Delete(root);
    return rc ? 1 : 0;
}
