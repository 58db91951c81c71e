/* lj.c — Lennard-Jones clusters LJ-13 and LJ-55 in two conventions (four task types).
 *
 * What it is:
 *   lj13, lj55 (iDEM / PITA / Adjoint Sampling convention, r_m = ε = 1, kT = 1):
 *     u(x) = Σ_{i≠j} ε[(r_m/r_ij)¹² − 2(r_m/r_ij)⁶] + ½ Σ_i ‖x_i − x̄‖²
 *   (ordered pairs: each pair counted twice, exactly as their code sums the full
 *   distance matrix; the harmonic term ties the particles to their centre x̄).
 *   lj13-phys, lj55-phys (physical convention, Cambridge Cluster Database, σ = ε = 1):
 *     E(x) = 4ε Σ_{i<j} [(σ/r_ij)¹² − (σ/r_ij)⁶] + W(x),  u = E/kT, kT = 1 by default
 *   (task parameter {"kT": value} in units of ε). W is a soft spherical wall about the
 *   centre of mass, W = Σ_i ½ k (‖x_i − x̄‖ − R_c)² for ‖x_i − x̄‖ > R_c and 0 inside,
 *   with k = 1 ε/σ² and R_c = 2.5σ (LJ-13) or 3.5σ (LJ-55).
 *
 * Why the wall: a free cluster has no normalisable Boltzmann density (exp(−E/kT) → 1
 * as particles fly apart, and at kT = ε the cluster evaporates), so a sampler needs a
 * confinement. W is zero wherever every particle is within R_c of the centre of mass —
 * which holds for every compact cluster and for the known minima (outer radius ≈ 1.1σ
 * for LJ-13, ≈ 2.1σ for LJ-55) — so energies of minima are exactly the pure LJ sum
 * (LJ13 −44.326801, LJ55 −279.248470). W is C¹ (value and gradient continuous at R_c)
 * and translation/rotation/permutation invariant. It is the usual constraining
 * sphere of cluster simulations, made soft so gradients stay finite.
 *
 * Relation between the conventions: with r_m = 2^{1/6} σ each unordered pair has the
 * same shape; iDEM uses r_m = 1 and counts pairs twice, so its LJ part is
 * E_iDEM,LJ(x) = 2 · E_phys,LJ(2^{1/6} x) (plus its harmonic term).
 *
 * Overlap: two coincident particles give u = +INFINITY and a zero gradient; so does
 * any configuration whose energy or gradient overflows. A NaN coordinate is BB_ENAN.
 *
 * What it is not: a cutoff, periodic or neighbour-list LJ; it never clips energies
 * (clipping in some codebases is a training trick, not part of the target). The
 * arithmetic (pairs, harmonic tie, wall) lives in lj_kernels.c; this file holds the
 * conventions, the parameters, the kT scaling and the task types.
 */
#include "tasks/lj_kernels.h"
#include "tasks/task.h"

#include "harness/core/jsonutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The energies (terms in lj_kernels.h); the wall: k = 1 ε/σ², R_c = 2.5σ / 3.5σ. */
static const bb_lj_form lj_idem = {BB_LJ_IDEM_A, BB_LJ_IDEM_B, 1.0, 0.0, 0.0};
static const bb_lj_form lj13_phys_form = {BB_LJ_PHYS_A, BB_LJ_PHYS_B, 0.0, 2.5, 1.0};
static const bb_lj_form lj55_phys_form = {BB_LJ_PHYS_A, BB_LJ_PHYS_B, 0.0, 3.5, 1.0};

/* Instance state of the phys tasks: the temperature. */
typedef struct lj_state {
    double kT;
} lj_state;

/* Finish one configuration: 1/kT, and +inf with a zero gradient for a configuration
 * the kernel flagged (overlap or overflow) or that overflows when divided by kT. A NaN
 * coordinate is the only error. kT = 1 (every task but a phys task given another kT)
 * leaves the kernel's result as it is. g is always the lane's gradient (scratch when the
 * caller wants none), so u is the same with or without a gradient request. */
static int lj_finish(int P, double kT, size_t idx, const double *x, int flagged, double e, double *u, double *g,
                     const char *id, bb_ctx *ctx) {
    const int dof = 3 * P;
    if (!flagged) {
        int finite = 1;
        if (kT != 1.0) {
            e /= kT;
            finite &= isfinite(e);
            if (g)
                for (int k = 0; k < dof; k++) {
                    g[k] /= kT;
                    finite &= isfinite(g[k]);
                }
        }
        if (finite) {
            *u = e;
            return BB_OK;
        }
    }
    for (int k = 0; k < dof; k++)
        if (isnan(x[k])) return BB_ERR(ctx, BB_ENAN, "task %s: configuration %zu: NaN coordinate", id, idx);
    *u = INFINITY;
    if (g)
        for (int k = 0; k < dof; k++) g[k] = 0.0;
    return BB_OK;
}

#define LJ_STACK_P 64

static int lj_energy(const bb_task *t, const bb_lj_form *c, double kT, size_t n, const double *x, double *u,
                     double *grad, bb_ctx *ctx) {
    const int P = t->n_particles;
    const size_t dof = (size_t)P * 3;
    double stack_work[2 * LJ_STACK_P * 3 * BB_LJ_LANES];
    double stack_g[BB_LJ_LANES][LJ_STACK_P * 3]; /* lane gradients when grad is NULL or padding */
    double *work = stack_work, *heap = NULL;
    double *scratch[BB_LJ_LANES];
    if (P > LJ_STACK_P) {
        heap = malloc(sizeof(double) * (size_t)(bb_lj_work_size(P) + (long)BB_LJ_LANES * 3 * P));
        if (!heap) return BB_ERR(ctx, BB_ENOMEM, "task %s: out of memory", t->id);
        work = heap;
        for (int l = 0; l < BB_LJ_LANES; l++) scratch[l] = heap + bb_lj_work_size(P) + (size_t)l * dof;
    } else {
        for (int l = 0; l < BB_LJ_LANES; l++) scratch[l] = stack_g[l];
    }
    int rc = BB_OK;
    for (size_t i0 = 0; i0 < n && rc == BB_OK; i0 += BB_LJ_LANES) {
        size_t nl = n - i0 < BB_LJ_LANES ? n - i0 : BB_LJ_LANES;
        const double *xl[BB_LJ_LANES];
        double *gl[BB_LJ_LANES];
        double el[BB_LJ_LANES];
        for (size_t l = 0; l < BB_LJ_LANES; l++) {
            size_t src = l < nl ? i0 + l : i0; /* pad a short tail with copies of its first */
            xl[l] = x + src * dof;
            gl[l] = (grad && l < nl) ? grad + (i0 + l) * dof : scratch[l];
        }
        int mask = bb_lj_pairs_x4(P, xl, c, el, gl, work);
        for (size_t l = 0; l < nl && rc == BB_OK; l++)
            rc = lj_finish(P, kT, i0 + l, xl[l], (mask >> l) & 1, el[l], &u[i0 + l], gl[l], t->id, ctx);
    }
    free(heap);
    return rc;
}

static int lj13_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    return lj_energy(t, &lj_idem, 1.0, n, x, u, g, ctx);
}
static int lj55_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    return lj_energy(t, &lj_idem, 1.0, n, x, u, g, ctx);
}
static int lj13_phys_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    return lj_energy(t, &lj13_phys_form, ((const lj_state *)t->state)->kT, n, x, u, g, ctx);
}
static int lj55_phys_energy(const bb_task *t, size_t n, const double *x, double *u, double *g, bb_ctx *ctx) {
    return lj_energy(t, &lj55_phys_form, ((const lj_state *)t->state)->kT, n, x, u, g, ctx);
}

/* Parameters of the phys tasks: {"kT": positive number, in units of ε}; default 1. */
static int lj_phys_init(bb_task *t, const cJSON *params, bb_ctx *ctx) {
    lj_state *s = t->state;
    s->kT = t->type->kT;
    if (params) {
        if (!cJSON_IsObject(params)) return BB_ERR(ctx, BB_EINVAL, "task %s: parameters must be an object", t->id);
        const cJSON *it;
        cJSON_ArrayForEach(it, params) {
            if (!it->string || strcmp(it->string, "kT") != 0)
                return BB_ERR(ctx, BB_EINVAL, "task %s: parameter '%s': unknown (only \"kT\")", t->id,
                              it->string ? it->string : "");
            if (!cJSON_IsNumber(it) || !(it->valuedouble > 0.0) || !isfinite(it->valuedouble))
                return BB_ERR(ctx, BB_EINVAL, "task %s: parameter 'kT': must be a positive finite number", t->id);
            s->kT = it->valuedouble;
        }
    }
    t->kT = s->kT;
    return BB_OK;
}

/* Default initial configurations of every LJ task: random sequential addition of the P
 * particles, uniformly in a ball of radius R = (3P / (4 pi rho))^(1/3) at density rho = 0.8,
 * each at least 0.9 (length units) from those already placed; after 1000 failed attempts the
 * ball grows by 5 %. Then the centre of mass is removed. Unlike a Gaussian cloud this never
 * starts a chain with two particles nearly on top of each other (energies of 1e10 and
 * gradients no MCMC step size can handle). Deterministic given the RNG stream. */
#define LJ_INIT_DENSITY 0.8
#define LJ_INIT_DMIN    0.9
static int lj_initial(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx) {
    (void)ctx;
    int P = t->n_particles;
    for (size_t c = 0; c < n; c++) {
        double *xc = x + c * (size_t)t->dof;
        double R = cbrt(3.0 * P / (4.0 * M_PI * LJ_INIT_DENSITY));
        for (int i = 0; i < P; i++) {
            for (int tries = 0;; tries++) {
                if (tries > 0 && tries % 1000 == 0) R *= 1.05;
                double p[3];
                do {
                    for (int d = 0; d < 3; d++) p[d] = R * (2.0 * bb_rng_uniform(rng) - 1.0);
                } while (p[0] * p[0] + p[1] * p[1] + p[2] * p[2] > R * R);
                int ok = 1;
                for (int j = 0; j < i && ok; j++) {
                    double r2 = 0;
                    for (int d = 0; d < 3; d++) r2 += (p[d] - xc[3 * j + d]) * (p[d] - xc[3 * j + d]);
                    ok = r2 >= LJ_INIT_DMIN * LJ_INIT_DMIN;
                }
                if (ok) {
                    for (int d = 0; d < 3; d++) xc[3 * i + d] = p[d];
                    break;
                }
            }
        }
    }
    bb_remove_com(n, P, 3, x);
    return BB_OK;
}

#define LJ_FLAGS (BB_TASK_TRANSLATION_INV | BB_TASK_ROTATION_INV | BB_TASK_PERMUTATION_INV | BB_TASK_COM_FREE)

/* What the two types of each convention share: all but the cluster size, the energy
 * function, the initial scale and (physical convention) the wall radius and the global
 * minimum named in the description. */
#define LJ_IDEM_COMMON(N)                                                                                              \
    .name = "lj" #N, .version = 1,                                                                                     \
    .description = "LJ-" #N ", iDEM/PITA/Adjoint Sampling convention: " #N " particles in 3-D, u = sum over ordered "  \
                   "pairs i!=j of eps[(r_m/r)^12 - 2(r_m/r)^6] + 0.5 sum_i |x_i - mean(x)|^2, eps = r_m = 1, "         \
                   "kT = 1 (reduced). Each pair counted twice; equals 2 E_phys(2^(1/6) x) + harmonic. "                \
                   "Invariant under translation, rotation, permutation; centre-of-mass free. Initial "                 \
                   "configurations: random sequential addition in a ball (density 0.8, min distance 0.9), COM "        \
                   "removed. Overlapping particles: +inf.",                                                            \
    .n_particles = N, .dim = 3, .kT = 1.0, .kT_unit = "reduced", .length_unit = "reduced (r_m = 1)",                   \
    .flags = LJ_FLAGS, .reference_dataset = "lj" #N "-idem-test@1", .initial = lj_initial

#define LJ_PHYS_COMMON(N, RC, GMIN)                                                                                    \
    .name = "lj" #N "-phys", .version = 1,                                                                             \
    .description = "LJ-" #N ", physical convention (Cambridge Cluster Database): " #N " particles in 3-D, "            \
                   "E = 4 eps sum_{i<j} [(sigma/r)^12 - (sigma/r)^6] + W, eps = sigma = 1, u = E/kT with "             \
                   "kT = 1 eps by default (parameter {\"kT\": value}). W = sum_i 0.5 k (|x_i - x_com| - R_c)^2 "       \
                   "beyond R_c = " RC " sigma, k = 1: a soft spherical wall that makes exp(-u) normalisable and "      \
                   "is zero for compact clusters, so minima energies are the pure LJ sum (global minimum " GMIN        \
                   "). Invariant under translation, rotation, permutation; centre-of-mass free. Initial "              \
                   "configurations: random sequential addition in a ball (density 0.8, min distance 0.9), COM "        \
                   "removed. Overlap: +inf.",                                                                          \
    .n_particles = N, .dim = 3, .kT = 1.0, .kT_unit = "reduced (epsilon)", .length_unit = "reduced (sigma = 1)",       \
    .flags = LJ_FLAGS, .state_size = sizeof(lj_state), .init = lj_phys_init, .initial = lj_initial

const bb_task_type bb_task_lj13 = {
    LJ_IDEM_COMMON(13),
    .minima_catalogue = "lj13@1", /* datasets/minima/lj13@1.json.gz (basin hopping, see its README) */
    .init_scale = 0.55,
    .energy = lj13_energy,
};

const bb_task_type bb_task_lj55 = {
    LJ_IDEM_COMMON(55),
    .init_scale = 0.92,
    .energy = lj55_energy,
};

const bb_task_type bb_task_lj13_phys = {
    LJ_PHYS_COMMON(13, "2.5", "-44.326801, icosahedron"),
    .minima_catalogue = "lj13-phys@1",
    .init_scale = 0.6,
    .energy = lj13_phys_energy,
};

const bb_task_type bb_task_lj55_phys = {
    LJ_PHYS_COMMON(55, "3.5", "-279.248470, Mackay icosahedron"),
    .init_scale = 1.03,
    .energy = lj55_phys_energy,
};
