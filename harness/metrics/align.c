/* align.c — rigid alignment of two particle configurations: Kabsch (optimal
 * rotation, optionally with reflections) and the joint minimisation over particle
 * permutations and rotations used by eq_x_w2 and by the minima deduplication.
 *
 * Kabsch: for centred x, y (P × D), H = Σ_i y_i x_iᵀ = U S Vᵀ (LAPACKE dgesvd), the
 * orthogonal R minimising Σ‖x_i − R y_i‖² is V Uᵀ; restricting to proper rotations
 * flips the last column of V when det(V Uᵀ) < 0 (the "det fix"). D = 2 uses the
 * exact closed form (rotation angle from atan2) instead of an SVD.
 *
 * Permutations: for P ≤ opts->exhaustive_max_p every permutation is tried with its
 * optimal rotation (exact). Above that the joint problem is non-convex; we run
 * alternating Hungarian (exact assignment of x_i to R y_j, lap.c) ↔ Kabsch from
 * 1 + 2^D starts: the identity and the 2^D sign choices of the principal-axes frame
 * map (only proper ones unless reflections are allowed), each until the permutation
 * stops changing or max_iter rounds, keeping the lowest cost. This is a heuristic
 * upper bound on the true minimum (it is exact when it reaches the global basin).
 * Principal axes are arbitrary for symmetric clusters (the icosahedron is a spherical
 * top), so with opts->robust_sq > 0 a cost still above robust_sq triggers further
 * starts from frames built on matching atom pairs (pair_frames) — used where a missed
 * match matters most: deduplicating minima.
 *
 * bb_align_dem reproduces the DEM / Adjoint Sampling evaluators' pair alignment instead:
 * one Hungarian on the unsquared particle distances of the centred, unrotated clouds,
 * then Kabsch on that matching without the det fix (reflections allowed).
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metric_lib.h"

struct bb_align_ws {
    int P, D;
    double *xc, *yc, *yp, *cost, *lapws_d;
    int *perm, *prev, *best, *heap_c, *heap_p;
    void *lapws;
};

int bb_align_ws_alloc(int P, int D, bb_align_ws **out, bb_ctx *ctx) {
    *out = NULL;
    if (P < 1 || D < 1 || D > 3)
        return BB_ERR(ctx, BB_EINVAL, "align: need P >= 1 and 1 <= D <= 3 (got P=%d, D=%d)", P, D);
    bb_align_ws *w = calloc(1, sizeof *w);
    if (!w) return BB_ERR(ctx, BB_ENOMEM, "align: out of memory");
    size_t pd = (size_t)P * D;
    w->P = P;
    w->D = D;
    w->xc = malloc(pd * sizeof(double));
    w->yc = malloc(pd * sizeof(double));
    w->yp = malloc(pd * sizeof(double));
    w->cost = malloc((size_t)P * P * sizeof(double));
    w->perm = malloc((size_t)P * sizeof(int));
    w->prev = malloc((size_t)P * sizeof(int));
    w->best = malloc((size_t)P * sizeof(int));
    w->heap_c = malloc((size_t)P * sizeof(int));
    w->heap_p = malloc((size_t)P * sizeof(int));
    w->lapws = malloc(bb_lap_ws_size(P));
    if (!w->xc || !w->yc || !w->yp || !w->cost || !w->perm || !w->prev || !w->best || !w->heap_c || !w->heap_p ||
        !w->lapws) {
        bb_align_ws_free(w);
        return BB_ERR(ctx, BB_ENOMEM, "align: out of memory for P = %d", P);
    }
    *out = w;
    return BB_OK;
}

void bb_align_ws_free(bb_align_ws *w) {
    if (!w) return;
    BB_FREE_ALL(w->xc, w->yc, w->yp, w->cost, w->perm, w->prev, w->best, w->heap_c, w->heap_p, w->lapws, w);
}

void bb_center(int P, int D, const double *x, double *out) {
    for (int d = 0; d < D; d++) {
        double m = 0.0;
        for (int p = 0; p < P; p++) m += x[p * D + d];
        m /= P;
        for (int p = 0; p < P; p++) out[p * D + d] = x[p * D + d] - m;
    }
}

/* Σ‖x_i − R y_{σ(i)}‖² (σ = NULL: identity). */
static double residual(int P, int D, const double *x, const double *y, const int *perm, const double *R) {
    double s = 0.0;
    for (int i = 0; i < P; i++) {
        const double *yi = y + (size_t)(perm ? perm[i] : i) * D;
        for (int a = 0; a < D; a++) {
            double r = x[i * D + a];
            for (int b = 0; b < D; b++) r -= R[a * D + b] * yi[b];
            s += r * r;
        }
    }
    return s;
}

int bb_kabsch(int P, int D, const double *x, const double *y, const int *perm, int reflections, double *R,
              double *sqdist) {
    double H[9] = {0};
    for (int i = 0; i < P; i++) {
        const double *yi = y + (size_t)(perm ? perm[i] : i) * D;
        for (int a = 0; a < D; a++)
            for (int b = 0; b < D; b++) H[a * D + b] += yi[a] * x[i * D + b];
    }
    if (D == 1) {
        R[0] = (reflections && H[0] < 0.0) ? -1.0 : 1.0;
    } else if (D == 2) {
        /* max over rotations of tr(R H) = ‖(A, B)‖, A = H00 + H11, B = H01 − H10;
         * over reflections [[c, s], [s, −c]]: A' = H00 − H11, B' = H01 + H10. */
        double A = H[0] + H[3], B = H[1] - H[2], r = hypot(A, B);
        double A2 = H[0] - H[3], B2 = H[1] + H[2], r2 = hypot(A2, B2);
        if (reflections && r2 > r) {
            double c = r2 > 0.0 ? A2 / r2 : 1.0, s = r2 > 0.0 ? B2 / r2 : 0.0;
            R[0] = c, R[1] = s, R[2] = s, R[3] = -c;
        } else {
            double c = r > 0.0 ? A / r : 1.0, s = r > 0.0 ? B / r : 0.0;
            R[0] = c, R[1] = -s, R[2] = s, R[3] = c;
        }
    } else {
        /* column-major call of the _work variant: no transposition or allocation inside
         * LAPACKE (this runs millions of times in eq_x_w2) */
        double Hc[9], S[3], U[9], VT[9], work[64];
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) Hc[a + 3 * b] = H[a * 3 + b];
        lapack_int info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'A', 'A', 3, 3, Hc, 3, S, U, 3, VT, 3, work, 64);
        if (info != 0) return BB_EINTERNAL;
        /* R = V Uᵀ: R[a][b] = Σ_k V[a][k] U[b][k], V[a][k] = VT(k, a) = VT[k + 3a], U(b, k) = U[b + 3k] */
        double sgn = 1.0;
        if (!reflections) {
            double Rt[9];
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) {
                    double s = 0.0;
                    for (int k = 0; k < 3; k++) s += VT[k + 3 * a] * U[b + 3 * k];
                    Rt[a * 3 + b] = s;
                }
            double det = Rt[0] * (Rt[4] * Rt[8] - Rt[5] * Rt[7]) - Rt[1] * (Rt[3] * Rt[8] - Rt[5] * Rt[6]) +
                         Rt[2] * (Rt[3] * Rt[7] - Rt[4] * Rt[6]);
            if (det < 0.0) sgn = -1.0;
        }
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                double s = 0.0;
                for (int k = 0; k < 3; k++) s += (k == 2 ? sgn : 1.0) * VT[k + 3 * a] * U[b + 3 * k];
                R[a * D + b] = s;
            }
    }
    if (sqdist) *sqdist = residual(P, D, x, y, perm, R);
    return BB_OK;
}

/* Exact: every permutation (Heap's algorithm) with its optimal rotation. */
static int align_exhaustive(bb_align_ws *w, int reflections, double *best_sq) {
    int P = w->P, D = w->D;
    int *p = w->perm, *c = w->heap_c;
    double R[9], sq;
    for (int i = 0; i < P; i++) p[i] = i, c[i] = 0;
    int rc = bb_kabsch(P, D, w->xc, w->yc, p, reflections, R, &sq);
    if (rc) return rc;
    *best_sq = sq;
    memcpy(w->best, p, (size_t)P * sizeof(int));
    int i = 1;
    while (i < P) {
        if (c[i] < i) {
            int j = (i & 1) ? c[i] : 0, t = p[j];
            p[j] = p[i];
            p[i] = t;
            rc = bb_kabsch(P, D, w->xc, w->yc, p, reflections, R, &sq);
            if (rc) return rc;
            if (sq < *best_sq) {
                *best_sq = sq;
                memcpy(w->best, p, (size_t)P * sizeof(int));
            }
            c[i]++;
            i = 1;
        } else {
            c[i] = 0;
            i++;
        }
    }
    return BB_OK;
}

/* Eigenvectors (columns of E, row-major D × D) of Σ_i z_i z_iᵀ. */
static int principal_axes(int P, int D, const double *z, double *E) {
    double ev[3];
    memset(E, 0, sizeof(double) * (size_t)D * D);
    for (int i = 0; i < P; i++)
        for (int a = 0; a < D; a++)
            for (int b = 0; b < D; b++) E[a * D + b] += z[i * D + a] * z[i * D + b];
    return LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', D, E, D, ev) ? BB_EINTERNAL : BB_OK;
}

/* w->cost[i][j] = ‖x̃_i − yy_j‖² (its square root when root). */
static void particle_costs(bb_align_ws *w, const double *yy, int root) {
    int P = w->P, D = w->D;
    for (int i = 0; i < P; i++)
        for (int j = 0; j < P; j++) {
            double s = 0.0;
            for (int a = 0; a < D; a++) {
                double d = w->xc[i * D + a] - yy[j * D + a];
                s += d * d;
            }
            w->cost[i * P + j] = root ? sqrt(s) : s;
        }
}

/* Alternating Hungarian ↔ Kabsch from rotation R (in/out); returns the final cost. */
static int alternate(bb_align_ws *w, const bb_align_opts *o, double *R, double *sq_out) {
    int P = w->P, D = w->D;
    double sq = INFINITY;
    for (int i = 0; i < P; i++) w->prev[i] = -1;
    for (int it = 0; it < o->max_iter; it++) {
        for (int j = 0; j < P; j++)
            for (int a = 0; a < D; a++) {
                double s = 0.0;
                for (int b = 0; b < D; b++) s += R[a * D + b] * w->yc[j * D + b];
                w->yp[j * D + a] = s;
            }
        particle_costs(w, w->yp, 0);
        double lapc;
        bb_lap_solve_ws(P, w->cost, w->perm, &lapc, w->lapws);
        int same = memcmp(w->perm, w->prev, (size_t)P * sizeof(int)) == 0;
        if (same) break;
        int rc = bb_kabsch(P, D, w->xc, w->yc, w->perm, o->reflections, R, &sq);
        if (rc) return rc;
        memcpy(w->prev, w->perm, (size_t)P * sizeof(int));
    }
    *sq_out = sq;
    return BB_OK;
}

/* Orthonormal frame (rows e1, e2, e3) from two vectors: e1 ∥ a, e2 ⟂ e1 in span(a, b). */
static int frame2(const double *a, const double *b, double F[9]) {
    double na = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
    if (!(na > 1e-12)) return 0;
    for (int k = 0; k < 3; k++) F[k] = a[k] / na;
    double d = b[0] * F[0] + b[1] * F[1] + b[2] * F[2], e[3], ne = 0.0;
    for (int k = 0; k < 3; k++) {
        e[k] = b[k] - d * F[k];
        ne += e[k] * e[k];
    }
    ne = sqrt(ne);
    if (!(ne > 1e-6 * (1.0 + na))) return 0;
    for (int k = 0; k < 3; k++) F[3 + k] = e[k] / ne;
    F[6] = F[1] * F[5] - F[2] * F[4];
    F[7] = F[2] * F[3] - F[0] * F[5];
    F[8] = F[0] * F[4] - F[1] * F[3];
    return 1;
}

/* x's frame: atom a farthest from the centroid, atom b maximising |x_a × x_b|. Each y
 * pair (c, d) whose radii and separation match (a, b) within PAIR_TOL gives a start
 * R0 = Fxᵀ Fy (and its mirror image when reflections are allowed). Stops as soon as
 * the cost drops to robust_sq. */
#define PAIR_TOL 0.25
static int pair_frames(bb_align_ws *w, const bb_align_opts *o, double *best) {
    int P = w->P;
    const double *xc = w->xc, *yc = w->yc;
    int a = 0, b = -1;
    double ra = -1.0, cb = -1.0;
    for (int i = 0; i < P; i++) {
        double r = sqrt(xc[3 * i] * xc[3 * i] + xc[3 * i + 1] * xc[3 * i + 1] + xc[3 * i + 2] * xc[3 * i + 2]);
        if (r > ra) ra = r, a = i;
    }
    for (int i = 0; i < P; i++) {
        if (i == a) continue;
        const double *u = xc + 3 * a, *v = xc + 3 * i;
        double c0 = u[1] * v[2] - u[2] * v[1], c1 = u[2] * v[0] - u[0] * v[2], c2 = u[0] * v[1] - u[1] * v[0];
        double cr = c0 * c0 + c1 * c1 + c2 * c2;
        if (cr > cb) cb = cr, b = i;
    }
    double Fx[9];
    if (b < 0 || !frame2(xc + 3 * a, xc + 3 * b, Fx)) return BB_OK;
    double rb = sqrt(xc[3 * b] * xc[3 * b] + xc[3 * b + 1] * xc[3 * b + 1] + xc[3 * b + 2] * xc[3 * b + 2]), dab = 0.0;
    for (int k = 0; k < 3; k++) dab += (xc[3 * a + k] - xc[3 * b + k]) * (xc[3 * a + k] - xc[3 * b + k]);
    dab = sqrt(dab);
    for (int c = 0; c < P; c++) {
        const double *yc_c = yc + 3 * c;
        double rc_ = sqrt(yc_c[0] * yc_c[0] + yc_c[1] * yc_c[1] + yc_c[2] * yc_c[2]);
        if (fabs(rc_ - ra) > PAIR_TOL) continue;
        for (int d = 0; d < P; d++) {
            if (d == c) continue;
            const double *yd = yc + 3 * d;
            double rd = sqrt(yd[0] * yd[0] + yd[1] * yd[1] + yd[2] * yd[2]), dcd = 0.0;
            for (int k = 0; k < 3; k++) dcd += (yc_c[k] - yd[k]) * (yc_c[k] - yd[k]);
            if (fabs(rd - rb) > PAIR_TOL || fabs(sqrt(dcd) - dab) > PAIR_TOL) continue;
            double Fy[9];
            if (!frame2(yc_c, yd, Fy)) continue;
            for (int mirror = 0; mirror <= o->reflections; mirror++) {
                /* R = Fxᵀ diag(1, 1, ±1) Fy maps y's frame rows onto x's */
                double R[9], sq;
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++) {
                        double v = 0.0;
                        for (int k = 0; k < 3; k++)
                            v += Fx[3 * k + i] * (k == 2 && mirror ? -1.0 : 1.0) * Fy[3 * k + j];
                        R[3 * i + j] = v;
                    }
                int rc = alternate(w, o, R, &sq);
                if (rc) return rc;
                if (sq < *best) {
                    *best = sq;
                    memcpy(w->best, w->prev, (size_t)P * sizeof(int));
                }
                if (*best <= o->robust_sq) return BB_OK;
            }
        }
    }
    return BB_OK;
}

int bb_align_perm(const bb_align_opts *o, const double *x, const double *y, bb_align_ws *w, double *sqdist,
                  int *perm_out) {
    int P = w->P, D = w->D;
    bb_center(P, D, x, w->xc);
    bb_center(P, D, y, w->yc);
    double best = INFINITY;
    int rc;
    if (P <= o->exhaustive_max_p) {
        rc = align_exhaustive(w, o->reflections, &best);
        if (rc) return rc;
    } else {
        double Ex[9], Ey[9], R[9];
        rc = principal_axes(P, D, w->xc, Ex);
        if (!rc) rc = principal_axes(P, D, w->yc, Ey);
        if (rc) return rc;
        int nstart = 1 + (1 << D);
        for (int s = 0; s < nstart; s++) {
            if (s == 0) {
                for (int a = 0; a < D; a++)
                    for (int b = 0; b < D; b++) R[a * D + b] = a == b;
            } else {
                /* R0 = Ex diag(σ) Eyᵀ maps y's principal frame onto x's. */
                int mask = s - 1;
                double sig[3], det = 1.0;
                for (int k = 0; k < D; k++) sig[k] = (mask >> k & 1) ? -1.0 : 1.0;
                for (int a = 0; a < D; a++)
                    for (int b = 0; b < D; b++) {
                        double v = 0.0;
                        for (int k = 0; k < D; k++) v += Ex[a * D + k] * sig[k] * Ey[b * D + k];
                        R[a * D + b] = v;
                    }
                if (D == 3)
                    det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) +
                          R[2] * (R[3] * R[7] - R[4] * R[6]);
                else if (D == 2)
                    det = R[0] * R[3] - R[1] * R[2];
                else
                    det = R[0];
                if (!o->reflections && det < 0.0) continue;
            }
            double sq;
            rc = alternate(w, o, R, &sq);
            if (rc) return rc;
            if (sq < best) {
                best = sq;
                memcpy(w->best, w->prev, (size_t)P * sizeof(int));
            }
        }
    }
    /* Robust pass (D = 3, opts->robust_sq > 0): when the starts above leave the cost
     * above robust_sq, try frames built on atom pairs, which do not depend on the
     * principal axes (degenerate for symmetric clusters such as the icosahedron). */
    if (D == 3 && P > o->exhaustive_max_p && o->robust_sq > 0.0 && best > o->robust_sq) {
        rc = pair_frames(w, o, &best);
        if (rc) return rc;
    }
    *sqdist = best;
    if (perm_out) memcpy(perm_out, w->best, (size_t)P * sizeof(int));
    return BB_OK;
}

int bb_align_dem(const double *x, const double *y, bb_align_ws *w, double *sqdist, int *perm_out) {
    int P = w->P, D = w->D;
    bb_center(P, D, x, w->xc);
    bb_center(P, D, y, w->yc);
    particle_costs(w, w->yc, 1);
    double lapc, R[9];
    bb_lap_solve_ws(P, w->cost, w->perm, &lapc, w->lapws);
    int rc = bb_kabsch(P, D, w->xc, w->yc, w->perm, 1, R, sqdist);
    if (!rc && perm_out) memcpy(perm_out, w->perm, (size_t)P * sizeof(int));
    return rc;
}
