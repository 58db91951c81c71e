/* tica.c — time-lagged independent component analysis (TICA) with deeptime's
 * estimator, and the molecular features it is usually fitted on.
 *
 * Features (bb_feature_spec): Euclidean distances between given atom pairs, and
 * (sin φ, cos φ) of the dihedral angles of given atom quadruples (IUPAC sign, the
 * atan2 form of Blondel & Karplus). D = 3 for dihedrals.
 *
 * Estimator (deeptime TICA, "symmetrised" covariances), trajectory F [T][k], lag τ:
 *   X = F[0:T−τ], Y = F[τ:T], N = T − τ, μ = (ΣX + ΣY) / 2N,
 *   C00 = (X0ᵀX0 + Y0ᵀY0) / 2N,  C0t = (X0ᵀY0 + Y0ᵀX0) / 2N  (X0 = X − μ, Y0 = Y − μ);
 *   C00 = V diag(s) Vᵀ (LAPACKE dsyev), keep s > ε (ε = max(eps, −min(s) + 1e-16)),
 *   L = V_kept diag(s^−½); LᵀC0tL = W diag(λ) Wᵀ sorted by |λ| descending, each column of W
 *   sign-fixed so its largest-magnitude entry is positive; R = L W.
 *   Projection with kinetic-map scaling: y = (f − μ) R diag(λ); at most max_dim components.
 *   Implied timescales t_i = −τ / ln|λ_i|.
 *   Several independent trajectories (segments, e.g. the walkers of a reference run stored one
 *   after another): X and Y take the pairs (t, t+τ) inside each segment only, pooled, as
 *   deeptime's fit on a list of trajectories does; a pair never straddles two segments.
 * Not here: Koopman reweighting (non-equilibrium data) or VAMP.
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/metrics/metric_lib.h"

int bb_features_dim(const bb_feature_spec *f) { return f->n_pairs + 2 * f->n_dihedrals; }

/* IUPAC dihedral of a-b-c-d in (−π, π]: atan2(|b2| b1·(b2×b3), (b1×b2)·(b2×b3)),
 * b1 = b − a, b2 = c − b, b3 = d − c (as MDTraj / Blondel & Karplus). */
static double dihedral(const double *a, const double *b, const double *c, const double *d) {
    double b1[3], b2[3], b3[3], n1[3], n2[3];
    for (int k = 0; k < 3; k++) {
        b1[k] = b[k] - a[k];
        b2[k] = c[k] - b[k];
        b3[k] = d[k] - c[k];
    }
    n1[0] = b1[1] * b2[2] - b1[2] * b2[1];
    n1[1] = b1[2] * b2[0] - b1[0] * b2[2];
    n1[2] = b1[0] * b2[1] - b1[1] * b2[0];
    n2[0] = b2[1] * b3[2] - b2[2] * b3[1];
    n2[1] = b2[2] * b3[0] - b2[0] * b3[2];
    n2[2] = b2[0] * b3[1] - b2[1] * b3[0];
    double nb2 = sqrt(b2[0] * b2[0] + b2[1] * b2[1] + b2[2] * b2[2]);
    double y = nb2 * (b1[0] * n2[0] + b1[1] * n2[1] + b1[2] * n2[2]);
    double x = n1[0] * n2[0] + n1[1] * n2[1] + n1[2] * n2[2];
    return atan2(y, x);
}

int bb_features_compute(const bb_feature_spec *f, int n_atoms, int dim, size_t n, const double *x, double *F,
                        bb_ctx *ctx) {
    int k = bb_features_dim(f);
    for (int p = 0; p < 2 * f->n_pairs; p++)
        if (f->pairs[p] < 0 || f->pairs[p] >= n_atoms)
            return BB_ERR(ctx, BB_EINVAL, "features: pair atom %d out of range", f->pairs[p]);
    for (int q = 0; q < 4 * f->n_dihedrals; q++)
        if (f->quads[q] < 0 || f->quads[q] >= n_atoms)
            return BB_ERR(ctx, BB_EINVAL, "features: dihedral atom %d out of range", f->quads[q]);
    if (f->n_dihedrals && dim != 3) return BB_ERR(ctx, BB_EINVAL, "features: dihedrals need D = 3 (got %d)", dim);
    size_t dof = (size_t)n_atoms * dim;
    for (size_t i = 0; i < n; i++) {
        const double *xi = x + i * dof;
        double *fi = F + i * (size_t)k;
        for (int p = 0; p < f->n_pairs; p++) {
            const double *a = xi + (size_t)f->pairs[2 * p] * dim, *b = xi + (size_t)f->pairs[2 * p + 1] * dim;
            double s = 0.0;
            for (int d = 0; d < dim; d++) s += (a[d] - b[d]) * (a[d] - b[d]);
            fi[p] = sqrt(s);
        }
        for (int q = 0; q < f->n_dihedrals; q++) {
            const int *ids = f->quads + 4 * q;
            double phi = dihedral(xi + ids[0] * 3, xi + ids[1] * 3, xi + ids[2] * 3, xi + ids[3] * 3);
            fi[f->n_pairs + 2 * q] = sin(phi);
            fi[f->n_pairs + 2 * q + 1] = cos(phi);
        }
    }
    return BB_OK;
}

void bb_tica_free(bb_tica *m) {
    if (!m) return;
    free(m->mean);
    free(m->proj);
    free(m->eig);
    free(m->timescales);
    memset(m, 0, sizeof *m);
}

int bb_tica_fit(size_t T, int k, const double *F, int lag, double eps, int max_dim, bb_tica *out, bb_ctx *ctx) {
    return bb_tica_fit_segments(T, NULL, 0, k, F, lag, eps, max_dim, out, ctx);
}

int bb_tica_fit_segments(size_t T, const size_t *seg, size_t n_seg, int k, const double *F, int lag, double eps,
                         int max_dim, bb_tica *out, bb_ctx *ctx) {
    memset(out, 0, sizeof *out);
    size_t whole = T, total = 0, N = 0;
    if (!seg || n_seg == 0) seg = &whole, n_seg = 1;
    for (size_t i = 0; i < n_seg; i++) {
        total += seg[i];
        if (lag >= 1 && seg[i] > (size_t)lag) N += seg[i] - (size_t)lag;
    }
    if (total != T)
        return BB_ERR(ctx, BB_EINVAL, "tica: the %zu segment lengths add up to %zu frames, not the trajectory's %zu",
                      n_seg, total, T);
    if (lag < 1 || N == 0)
        return BB_ERR(ctx, BB_EINVAL, "tica: lag %d needs a trajectory longer than the lag (T = %zu%s)", lag, T,
                      n_seg > 1 ? " in segments, none longer than the lag" : "");
    if (k < 1) return BB_ERR(ctx, BB_EINVAL, "tica: no features");
    size_t kk = (size_t)k;
    double *mu = calloc(kk, sizeof *mu), *C0 = calloc(kk * kk, sizeof *C0), *Ct = calloc(kk * kk, sizeof *Ct);
    double *s = malloc(kk * sizeof *s), *M = malloc(kk * kk * sizeof *M), *L = malloc(kk * kk * sizeof *L);
    double *lam = malloc(kk * sizeof *lam);
    int rc = BB_OK;
    if (!mu || !C0 || !Ct || !s || !M || !L || !lam) {
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory for %d features", k);
        goto out;
    }
    for (size_t i = 0, s0 = 0; i < n_seg; s0 += seg[i++])
        for (size_t t = s0; t + (size_t)lag < s0 + seg[i]; t++)
            for (size_t a = 0; a < kk; a++) mu[a] += F[t * kk + a] + F[(t + (size_t)lag) * kk + a];
    for (size_t a = 0; a < kk; a++) mu[a] /= (double)(2 * N);
    for (size_t i = 0, s0 = 0; i < n_seg; s0 += seg[i++])
        for (size_t t = s0; t + (size_t)lag < s0 + seg[i]; t++) {
            const double *x = F + t * kk, *y = F + (t + (size_t)lag) * kk;
            for (size_t a = 0; a < kk; a++) {
                double xa = x[a] - mu[a], ya = y[a] - mu[a];
                for (size_t b = 0; b < kk; b++) {
                    double xb = x[b] - mu[b], yb = y[b] - mu[b];
                    C0[a * kk + b] += xa * xb + ya * yb;
                    Ct[a * kk + b] += xa * yb + ya * xb;
                }
            }
        }
    for (size_t q = 0; q < kk * kk; q++) {
        C0[q] /= (double)(2 * N);
        Ct[q] /= (double)(2 * N);
    }
    /* C00 = V diag(s) Vᵀ; dsyev returns ascending eigenvalues, V in the columns of C0 */
    memcpy(M, C0, kk * kk * sizeof *M);
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', k, M, k, s)) {
        rc = BB_ERR(ctx, BB_EINTERNAL, "tica: eigendecomposition of C00 failed");
        goto out;
    }
    double e = eps;
    if (s[0] < 0.0 && -s[0] + 1e-16 > e) e = -s[0] + 1e-16;
    int r = 0;
    for (int j = k - 1; j >= 0; j--) { /* descending */
        if (!(s[j] > e)) break;
        for (int a = 0; a < k; a++) L[(size_t)a * kk + (size_t)r] = M[(size_t)a * kk + (size_t)j] / sqrt(s[j]);
        r++;
    }
    if (r == 0) {
        rc = BB_ERR(ctx, BB_EINVAL, "tica: every feature variance is below eps = %g (constant features?)", e);
        goto out;
    }
    /* Ct_trans = Lᵀ C0t L  (r × r) */
    double *tmp = malloc(kk * (size_t)r * sizeof *tmp), *Tr = malloc((size_t)r * r * sizeof *Tr),
           *ev = malloc((size_t)r * sizeof *ev);
    if (!tmp || !Tr || !ev) {
        free(tmp);
        free(Tr);
        free(ev);
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
        goto out;
    }
    for (size_t a = 0; a < kk; a++)
        for (int j = 0; j < r; j++) {
            double v = 0.0;
            for (size_t b = 0; b < kk; b++) v += Ct[a * kk + b] * L[b * kk + (size_t)j];
            tmp[a * (size_t)r + (size_t)j] = v;
        }
    for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++) {
            double v = 0.0;
            for (size_t a = 0; a < kk; a++) v += L[a * kk + (size_t)i] * tmp[a * (size_t)r + (size_t)j];
            Tr[i * r + j] = v;
        }
    for (int i = 0; i < r; i++) /* exact symmetry against rounding */
        for (int j = i + 1; j < r; j++) Tr[i * r + j] = Tr[j * r + i] = 0.5 * (Tr[i * r + j] + Tr[j * r + i]);
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', r, Tr, r, ev)) {
        free(tmp);
        free(Tr);
        free(ev);
        rc = BB_ERR(ctx, BB_EINTERNAL, "tica: eigendecomposition of the transformed C0t failed");
        goto out;
    }
    /* order by |λ| descending (stable on ties: higher index = larger λ first) */
    int *ord = malloc((size_t)r * sizeof *ord);
    if (!ord) {
        free(tmp);
        free(Tr);
        free(ev);
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
        goto out;
    }
    for (int i = 0; i < r; i++) ord[i] = r - 1 - i;
    for (int i = 1; i < r; i++) { /* insertion sort, r <= k is small */
        int v = ord[i], j = i - 1;
        while (j >= 0 && fabs(ev[ord[j]]) < fabs(ev[v])) {
            ord[j + 1] = ord[j];
            j--;
        }
        ord[j + 1] = v;
    }
    int nout = r < max_dim ? r : max_dim;
    out->k_in = k;
    out->k_out = nout;
    out->lag = lag;
    out->mean = mu;
    mu = NULL;
    out->proj = calloc(kk * (size_t)nout, sizeof *out->proj);
    out->eig = malloc((size_t)nout * sizeof *out->eig);
    out->timescales = malloc((size_t)nout * sizeof *out->timescales);
    if (!out->proj || !out->eig || !out->timescales) {
        rc = BB_ERR(ctx, BB_ENOMEM, "tica: out of memory");
    } else {
        for (int c = 0; c < nout; c++) {
            int src = ord[c];
            /* sign fix: largest-magnitude entry of the eigenvector positive */
            double big = 0.0;
            for (int i = 0; i < r; i++)
                if (fabs(Tr[i * r + src]) > fabs(big)) big = Tr[i * r + src];
            double sg = big < 0.0 ? -1.0 : 1.0;
            for (size_t a = 0; a < kk; a++) {
                double v = 0.0;
                for (int i = 0; i < r; i++) v += L[a * kk + (size_t)i] * Tr[i * r + src];
                out->proj[a * (size_t)nout + (size_t)c] = sg * v;
            }
            out->eig[c] = ev[src];
            double al = fabs(ev[src]);
            out->timescales[c] = (al > 0.0 && al < 1.0) ? -(double)lag / log(al) : INFINITY;
        }
    }
    free(ord);
    free(tmp);
    free(Tr);
    free(ev);
    if (rc) bb_tica_free(out);
out:
    free(mu);
    free(C0);
    free(Ct);
    free(s);
    free(M);
    free(L);
    free(lam);
    return rc;
}

int bb_tica_project(const bb_tica *m, size_t n, const double *F, int n_comp, int kinetic_map, double *Y, bb_ctx *ctx) {
    if (n_comp < 1 || n_comp > m->k_out)
        return BB_ERR(ctx, BB_EINVAL, "tica: %d components requested, model has %d", n_comp, m->k_out);
    size_t kk = (size_t)m->k_in, ko = (size_t)m->k_out;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < n_comp; c++) {
            double v = 0.0;
            for (size_t a = 0; a < kk; a++) v += (F[i * kk + a] - m->mean[a]) * m->proj[a * ko + (size_t)c];
            Y[i * (size_t)n_comp + (size_t)c] = kinetic_map ? v * m->eig[c] : v;
        }
    return BB_OK;
}
