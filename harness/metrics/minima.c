/* minima.c — local minimisation of configurations (L-BFGS from liblbfgs), a set of
 * distinct minima with symmetry-aware deduplication, and the coverage statistics
 * (COV-R/COV-P over a δ grid, AMR-R/AMR-P) between generated and reference minima.
 *
 * Relaxation: liblbfgs (Debian liblbfgs, Okazaki) with More–Thuente line search,
 * memory 8, stopping when ‖∇u‖ < 1e-10·max(1, ‖x‖) or at max_iter, restarted (fresh
 * memory) up to 3 times while max|∇u| > gtol; afterwards the
 * energy and gradient are re-evaluated at the returned point and the configuration
 * counts as converged when ‖∇u‖_∞ ≤ gtol (line-search "rounding error" exits at a
 * minimum are therefore accepted). Every energy call goes through bb_task_energy: it
 * is the evaluator's cost, counted in *n_evals and never charged to a method.
 *
 * Distance between minima ("RMSD"): sqrt(Σ_i ‖x_i − R y_σ(i)‖² / P) minimised over
 * what the task is invariant to: centroid removal (translation), orthogonal R with
 * reflections (rotation), particle permutations σ (permutation), via align.c; a task
 * with none of these flags uses the plain Euclidean distance / √P.
 *
 * Deduplication: two minima are the same when |Δu| ≤ utol and RMSD ≤ rtol; there the
 * alignment runs its robust pass (atom-pair frames, align.c) until the RMSD is ≤ rtol,
 * since principal axes are arbitrary for symmetric minima. Coverage uses the robust
 * pass for pairs whose radial lower bound is ≤ 0.25 (the headline δ).
 * Coverage uses an exact branch-and-bound: the RMSD is bounded below by the RMSD of
 * the sorted distances-to-centroid (‖a − b‖ ≥ |‖a‖ − ‖b‖|, sorted matching is optimal
 * in 1-D), so pairs whose bound exceeds the current best are never aligned.
 *
 * Not here: the catalogue file format (minima_io.c) and the metric (minima_metric.c).
 */
#include <lbfgs.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metric_lib.h"

/* ---- relaxation --------------------------------------------------------------- */

#define RELAX_RESTARTS   3
#define ROBUST_COV_DELTA 0.25 /* the headline δ of minima_recall */

typedef struct {
    const bb_task *task;
    const bb_relax_opts *o;
    size_t i; /* configuration index, for the bias */
    int64_t evals;
    int fail;
    bb_ctx ctx;
} relax_inst;

static lbfgsfloatval_t relax_eval(void *instance, const lbfgsfloatval_t *x, lbfgsfloatval_t *g, const int n,
                                  const lbfgsfloatval_t step) {
    (void)n;
    (void)step;
    relax_inst *ri = instance;
    double u;
    ri->evals++;
    int rc = bb_task_energy(ri->task, 1, x, &u, g, &ri->ctx);
    if (rc) {
        ri->fail = rc;
        for (int k = 0; k < n; k++) g[k] = 0.0;
        return INFINITY;
    }
    if (ri->o->bias && isfinite(u)) ri->o->bias(ri->o->bias_user, ri->i, x, &u, g);
    return u;
}

int bb_relax(const bb_task *t, size_t n, double *x, double *u, int *status, int64_t *n_evals, const bb_relax_opts *o,
             bb_ctx *ctx) {
    int dof = t->dof;
    int64_t total = 0;
    int fail = 0;
    bb_ctx fctx = {0};
#pragma omp parallel reduction(+ : total)
    {
        lbfgsfloatval_t *xb = lbfgs_malloc(dof);
        double *g = malloc((size_t)dof * sizeof *g);
        lbfgs_parameter_t par;
        lbfgs_parameter_init(&par);
        par.m = 8;
        par.epsilon = 1e-10;
        par.max_iterations = o->max_iter;
        par.max_linesearch = 40;
        if (o->backtracking) par.linesearch = LBFGS_LINESEARCH_BACKTRACKING_WOLFE;
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i++) {
            double *xi = x + i * (size_t)dof;
            relax_inst ri = {t, o, i, 0, 0, {0}};
            if (!xb || !g) {
                ri.fail = BB_ENOMEM;
            } else {
                double u0 = relax_eval(&ri, xi, g, dof, 0.0);
                if (ri.fail) {
                } else if (!isfinite(u0)) {
                    status[i] = BB_RELAX_REJECTED;
                    u[i] = INFINITY;
                } else {
                    memcpy(xb, xi, (size_t)dof * sizeof *xb);
                    lbfgsfloatval_t fx;
                    double uf = u0, gmax = INFINITY;
                    /* A line search can stop short of gtol (rounding near the
                     * minimum); a restart with fresh curvature memory usually
                     * finishes it. At most RELAX_RESTARTS restarts. */
                    for (int rs = 0; rs <= RELAX_RESTARTS && !(gmax <= o->gtol); rs++) {
                        lbfgs(dof, xb, &fx, relax_eval, NULL, &ri, &par);
                        uf = relax_eval(&ri, xb, g, dof, 0.0);
                        gmax = 0.0;
                        for (int k = 0; k < dof; k++) gmax = fmax(gmax, fabs(g[k]));
                        if (ri.fail || !isfinite(uf)) break;
                    }
                    memcpy(xi, xb, (size_t)dof * sizeof *xb);
                    u[i] = uf;
                    status[i] = (isfinite(uf) && gmax <= o->gtol) ? BB_RELAX_CONVERGED : BB_RELAX_NOT_CONVERGED;
                }
            }
            total += ri.evals;
            if (ri.fail) {
#pragma omp critical(bb_relax_fail)
                if (!fail) {
                    fail = ri.fail;
                    fctx = ri.ctx;
                }
            }
        }
        lbfgs_free(xb);
        free(g);
    }
    if (n_evals) *n_evals += total;
    if (fail) {
        if (ctx) *ctx = fctx;
        if (fail == BB_ENOMEM) return BB_ERR(ctx, BB_ENOMEM, "relax: out of memory");
        return fail;
    }
    return BB_OK;
}

/* ---- distances between minima --------------------------------------------------- */

int bb_min_dist_init(bb_min_dist *md, const bb_task *t, bb_ctx *ctx) {
    memset(md, 0, sizeof *md);
    md->P = t->n_particles;
    md->D = t->dim;
    md->dof = t->dof;
    unsigned need = BB_TASK_TRANSLATION_INV | BB_TASK_ROTATION_INV | BB_TASK_PERMUTATION_INV;
    md->aligned = (t->flags & need) == need && md->P >= 2 && md->D <= 3;
    md->opts.reflections = 1;
    md->opts.exhaustive_max_p = 7;
    md->opts.max_iter = 20;
    return BB_OK;
    (void)ctx;
}

int bb_min_rmsd(const bb_min_dist *md, const double *x, const double *y, bb_align_ws *ws, double robust, double *rmsd) {
    double sq = 0.0;
    if (md->aligned) {
        bb_align_opts o = md->opts;
        o.robust_sq = robust > 0.0 ? robust * robust * md->P : 0.0;
        int rc = bb_align_perm(&o, x, y, ws, &sq, NULL);
        if (rc) return rc;
    } else {
        for (int k = 0; k < md->dof; k++) sq += (x[k] - y[k]) * (x[k] - y[k]);
    }
    *rmsd = sqrt(fmax(sq, 0.0) / (md->P > 0 ? md->P : 1));
    return BB_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorted distances to the centroid (aligned mode) — the lower-bound signature. */
static void signature(const bb_min_dist *md, const double *x, double *sig) {
    int P = md->P, D = md->D;
    double c[3] = {0, 0, 0};
    for (int p = 0; p < P; p++)
        for (int d = 0; d < D; d++) c[d] += x[p * D + d] / P;
    for (int p = 0; p < P; p++) {
        double s = 0.0;
        for (int d = 0; d < D; d++) s += (x[p * D + d] - c[d]) * (x[p * D + d] - c[d]);
        sig[p] = sqrt(s);
    }
    qsort(sig, (size_t)P, sizeof *sig, cmp_double);
}

static double sig_bound(int P, const double *a, const double *b) {
    double s = 0.0;
    for (int p = 0; p < P; p++) s += (a[p] - b[p]) * (a[p] - b[p]);
    return sqrt(s / P);
}

/* ---- set of distinct minima ------------------------------------------------------ */

void bb_minima_init(bb_minima *m, const bb_task *t) {
    memset(m, 0, sizeof *m);
    bb_min_dist_init(&m->md, t, NULL);
    m->dof = t->dof;
}

void bb_minima_free(bb_minima *m) {
    if (!m) return;
    free(m->x);
    free(m->u);
    free(m->count);
    memset(m, 0, sizeof *m);
}

int bb_minima_add(bb_minima *m, const double *x, double u, int64_t count, double utol, double rtol, bb_align_ws *ws,
                  int *is_new, size_t *index, bb_ctx *ctx) {
    /* entries are kept sorted by u: compare only with |Δu| <= utol */
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->u[mid] < u - utol)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < m->n && m->u[k] <= u + utol; k++) {
        double r;
        int rc = bb_min_rmsd(&m->md, m->x + k * (size_t)m->dof, x, ws, rtol, &r);
        if (rc) return BB_ERR(ctx, rc, "minima: alignment failed");
        if (r <= rtol) {
            m->count[k] += count;
            if (is_new) *is_new = 0;
            if (index) *index = k;
            return BB_OK;
        }
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        if (cap > 10000000) return BB_ERR(ctx, BB_ENOMEM, "minima: more than 10 million minima");
        double *nx = realloc(m->x, cap * (size_t)m->dof * sizeof *nx);
        if (!nx) return BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
        m->x = nx;
        double *nu = realloc(m->u, cap * sizeof *nu);
        if (!nu) return BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
        m->u = nu;
        int64_t *nc = realloc(m->count, cap * sizeof *nc);
        if (!nc) return BB_ERR(ctx, BB_ENOMEM, "minima: out of memory");
        m->count = nc;
        m->cap = cap;
    }
    /* insert at the first position with u' > u (stable for equal energies) */
    size_t pos = lo;
    while (pos < m->n && m->u[pos] <= u) pos++;
    size_t dof = (size_t)m->dof;
    memmove(m->x + (pos + 1) * dof, m->x + pos * dof, (m->n - pos) * dof * sizeof *m->x);
    memmove(m->u + pos + 1, m->u + pos, (m->n - pos) * sizeof *m->u);
    memmove(m->count + pos + 1, m->count + pos, (m->n - pos) * sizeof *m->count);
    memcpy(m->x + pos * dof, x, dof * sizeof *m->x);
    m->u[pos] = u;
    m->count[pos] = count;
    m->n++;
    if (is_new) *is_new = 1;
    if (index) *index = pos;
    return BB_OK;
}

/* ---- coverage ------------------------------------------------------------------------ */

typedef struct {
    double lb;
    size_t j;
} cand;

static int cmp_cand(const void *a, const void *b) {
    double x = ((const cand *)a)->lb, y = ((const cand *)b)->lb;
    if (x != y) return (x > y) - (x < y);
    size_t i = ((const cand *)a)->j, k = ((const cand *)b)->j;
    return (i > k) - (i < k);
}

/* best[i] = min_j RMSD(A_i, B_j), exact, by branch and bound on the signature bound. */
static int min_rmsd_all(const bb_min_dist *md, size_t na, const double *A, const double *sa, size_t nb, const double *B,
                        const double *sb, double *best, int64_t *n_aligned) {
    int fail = 0;
    int64_t aligned = 0;
#pragma omp parallel reduction(+ : aligned)
    {
        bb_align_ws *ws = NULL;
        cand *cs = malloc((nb ? nb : 1) * sizeof *cs);
        if (md->aligned && bb_align_ws_alloc(md->P, md->D, &ws, NULL)) ws = NULL;
#pragma omp for schedule(dynamic, 4)
        for (size_t i = 0; i < na; i++) {
            if (!cs || (md->aligned && !ws)) {
#pragma omp atomic write
                fail = BB_ENOMEM;
                continue;
            }
            for (size_t j = 0; j < nb; j++) {
                cs[j].j = j;
                cs[j].lb = md->aligned ? sig_bound(md->P, sa + i * md->P, sb + j * md->P) : 0.0;
            }
            if (md->aligned) qsort(cs, nb, sizeof *cs, cmp_cand);
            double b = INFINITY;
            for (size_t k = 0; k < nb; k++) {
                if (cs[k].lb >= b) break;
                double r;
                /* robust alignment where the radial bound allows a match within δ = 0.25 */
                double robust = cs[k].lb <= ROBUST_COV_DELTA ? ROBUST_COV_DELTA : 0.0;
                if (bb_min_rmsd(md, A + i * md->dof, B + cs[k].j * md->dof, ws, robust, &r)) {
#pragma omp atomic write
                    fail = BB_EINTERNAL;
                    break;
                }
                aligned++;
                if (r < b) b = r;
            }
            best[i] = b;
        }
        free(cs);
        bb_align_ws_free(ws);
    }
    if (n_aligned) *n_aligned += aligned;
    return fail;
}

int bb_minima_coverage(const bb_minima *gen, const bb_minima *ref, size_t nd, const double *deltas, double *cov_r,
                       double *cov_p, double *amr_r, double *amr_p, double *min_r, double *min_p, int64_t *n_aligned,
                       bb_ctx *ctx) {
    if (ref->n == 0 || gen->n == 0) return BB_ERR(ctx, BB_EINVAL, "coverage: empty minima set");
    const bb_min_dist *md = &ref->md;
    size_t P = (size_t)(md->P > 0 ? md->P : 1);
    double *sg = malloc(gen->n * P * sizeof *sg), *sr = malloc(ref->n * P * sizeof *sr);
    double *br = min_r ? min_r : malloc(ref->n * sizeof *br), *bg = min_p ? min_p : malloc(gen->n * sizeof *bg);
    int rc = BB_OK;
    if (!sg || !sr || !br || !bg) {
        rc = BB_ERR(ctx, BB_ENOMEM, "coverage: out of memory");
        goto out;
    }
    if (md->aligned) {
        for (size_t i = 0; i < gen->n; i++) signature(md, gen->x + i * md->dof, sg + i * P);
        for (size_t j = 0; j < ref->n; j++) signature(md, ref->x + j * md->dof, sr + j * P);
    }
    rc = min_rmsd_all(md, ref->n, ref->x, sr, gen->n, gen->x, sg, br, n_aligned);
    if (!rc) rc = min_rmsd_all(md, gen->n, gen->x, sg, ref->n, ref->x, sr, bg, n_aligned);
    if (rc) {
        rc = BB_ERR(ctx, rc, "coverage: alignment failed (%s)", bb_status_name(rc));
        goto out;
    }
    double wtot = 0.0, ar = 0.0, ap = 0.0;
    for (size_t i = 0; i < gen->n; i++) wtot += (double)gen->count[i];
    for (size_t j = 0; j < ref->n; j++) ar += br[j];
    for (size_t i = 0; i < gen->n; i++) ap += (double)gen->count[i] * bg[i];
    *amr_r = ar / (double)ref->n;
    *amr_p = ap / wtot;
    for (size_t k = 0; k < nd; k++) {
        size_t c = 0;
        double w = 0.0;
        for (size_t j = 0; j < ref->n; j++) c += br[j] <= deltas[k];
        for (size_t i = 0; i < gen->n; i++) w += bg[i] <= deltas[k] ? (double)gen->count[i] : 0.0;
        cov_r[k] = (double)c / (double)ref->n;
        cov_p[k] = w / wtot;
    }
out:
    free(sg);
    free(sr);
    if (!min_r) free(br);
    if (!min_p) free(bg);
    return rc;
}
