/* peptide.c — dihedral tables, periodic histograms, KL / Jensen-Shannon divergences and Cα
 * chirality for the peptide metrics (see peptide.h for the conventions).
 *
 * KL/JS are of binned distributions: they depend on the grid (60 × 60 for the Ramachandran
 * plots) and are not estimates of the divergence between the continuous densities.
 */
#include "harness/metrics/peptide.h"

#include <math.h>
#include <string.h>

void bb_pep_dihedrals(const bb_molecule *m, size_t n, const double *x, double *ang) {
    size_t dof = 3 * (size_t)m->natom, K = (size_t)m->ndihedral;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < K; k++) ang[i * K + k] = bb_dihedral_angle(x + i * dof, m->dihedral[k].atoms);
}

int bb_periodic_bin(double a, int nbins) {
    double t = (a + M_PI) / (2.0 * M_PI); /* [0, 1] for a in [−π, π] */
    t -= floor(t);                        /* periodic: π ≡ −π, and angles outside wrap */
    int b = (int)(t * nbins);
    return b >= nbins ? nbins - 1 : b; /* t just below 1 may round up */
}

static int normalise(size_t C, double *mass, double tot, bb_ctx *ctx) {
    if (!isfinite(tot)) return BB_ERR(ctx, BB_EINVAL, "histogram: total weight is not finite");
    for (size_t c = 0; c < C; c++) mass[c] = tot > 0.0 ? mass[c] / tot : 0.0;
    return BB_OK;
}

int bb_periodic_hist2d(size_t n, const double *a, const double *b, size_t stride, const double *w, int nbins,
                       double *mass, bb_ctx *ctx) {
    size_t C = (size_t)nbins * (size_t)nbins;
    memset(mass, 0, C * sizeof *mass);
    double tot = 0.0;
    for (size_t i = 0; i < n; i++) {
        double ai = a[i * stride], bi = b[i * stride], wi = w ? w[i] : 1.0;
        if (!isfinite(ai) || !isfinite(bi) || !(wi >= 0.0))
            return BB_ERR(ctx, BB_EINVAL, "histogram: angle or weight %zu is not finite", i);
        mass[(size_t)bb_periodic_bin(bi, nbins) * (size_t)nbins + (size_t)bb_periodic_bin(ai, nbins)] += wi;
        tot += wi;
    }
    return normalise(C, mass, tot, ctx);
}

int bb_periodic_hist1d(size_t n, const double *a, size_t stride, const double *w, int nbins, double *mass,
                       bb_ctx *ctx) {
    memset(mass, 0, (size_t)nbins * sizeof *mass);
    double tot = 0.0;
    for (size_t i = 0; i < n; i++) {
        double ai = a[i * stride], wi = w ? w[i] : 1.0;
        if (!isfinite(ai) || !(wi >= 0.0))
            return BB_ERR(ctx, BB_EINVAL, "histogram: angle or weight %zu is not finite", i);
        mass[bb_periodic_bin(ai, nbins)] += wi;
        tot += wi;
    }
    return normalise((size_t)nbins, mass, tot, ctx);
}

double bb_kl_divergence(size_t C, const double *p, const double *q, double eps) {
    double z = 1.0 + (double)C * eps, s = 0.0;
    for (size_t c = 0; c < C; c++) {
        double pc = (p[c] + eps) / z, qc = (q[c] + eps) / z;
        if (pc > 0.0) s += qc > 0.0 ? pc * log(pc / qc) : INFINITY;
    }
    return s;
}

double bb_js_divergence(size_t C, const double *p, const double *q) {
    double s = 0.0;
    for (size_t c = 0; c < C; c++) {
        double m = 0.5 * (p[c] + q[c]);
        if (p[c] > 0.0) s += 0.5 * p[c] * log(p[c] / m);
        if (q[c] > 0.0) s += 0.5 * q[c] * log(q[c] / m);
    }
    return s;
}

/* First atom of residue r named `name`, or −1. */
static int atom_of(const bb_molecule *m, int r, const char *name) {
    for (int i = 0; i < m->natom; i++)
        if (m->atom_residue[i] == r && !strcmp(m->atom_name[i], name)) return i;
    return -1;
}

int bb_pep_chiral_centres(const bb_molecule *m, int *quads) {
    int n = 0;
    for (int r = 0; r < m->nres; r++) {
        int q[4] = {atom_of(m, r, "N"), atom_of(m, r, "CA"), atom_of(m, r, "C"), atom_of(m, r, "CB")};
        if (q[0] < 0 || q[1] < 0 || q[2] < 0 || q[3] < 0) continue;
        memcpy(quads + 4 * n++, q, sizeof q);
    }
    return n;
}

int bb_pep_all_l(int n_centres, const int *quads, const double *x) {
    for (int k = 0; k < n_centres; k++) {
        const double *N = x + 3 * quads[4 * k], *A = x + 3 * quads[4 * k + 1], *C = x + 3 * quads[4 * k + 2],
                     *B = x + 3 * quads[4 * k + 3];
        double u[3], v[3], w[3];
        for (int d = 0; d < 3; d++) u[d] = N[d] - A[d], v[d] = C[d] - A[d], w[d] = B[d] - A[d];
        double vol = u[0] * (v[1] * w[2] - v[2] * w[1]) + u[1] * (v[2] * w[0] - v[0] * w[2]) +
                     u[2] * (v[0] * w[1] - v[1] * w[0]);
        if (!(vol > 0.0)) return 0;
    }
    return 1;
}

double bb_dihedral_grad(const double *x, const int a[4], double g[12]) {
    const double *xi = x + 3 * a[0], *xj = x + 3 * a[1], *xk = x + 3 * a[2], *xl = x + 3 * a[3];
    double rij[3], rkj[3], rkl[3], m[3], n[3];
    for (int d = 0; d < 3; d++) rij[d] = xi[d] - xj[d], rkj[d] = xk[d] - xj[d], rkl[d] = xk[d] - xl[d];
    m[0] = rij[1] * rkj[2] - rij[2] * rkj[1];
    m[1] = rij[2] * rkj[0] - rij[0] * rkj[2];
    m[2] = rij[0] * rkj[1] - rij[1] * rkj[0];
    n[0] = rkj[1] * rkl[2] - rkj[2] * rkl[1];
    n[1] = rkj[2] * rkl[0] - rkj[0] * rkl[2];
    n[2] = rkj[0] * rkl[1] - rkj[1] * rkl[0];
    double m2 = m[0] * m[0] + m[1] * m[1] + m[2] * m[2], n2 = n[0] * n[0] + n[1] * n[1] + n[2] * n[2];
    double kj2 = rkj[0] * rkj[0] + rkj[1] * rkj[1] + rkj[2] * rkj[2], kj = sqrt(kj2);
    double p = (rij[0] * rkj[0] + rij[1] * rkj[1] + rij[2] * rkj[2]) / kj2;
    double q = (rkl[0] * rkj[0] + rkl[1] * rkj[1] + rkl[2] * rkj[2]) / kj2;
    for (int d = 0; d < 3; d++) {
        double gi = kj / m2 * m[d], gl = -kj / n2 * n[d]; /* ∂φ/∂x_i, ∂φ/∂x_l (GROMACS do_dih_fup) */
        g[d] = gi;
        g[3 + d] = (p - 1.0) * gi - q * gl;
        g[6 + d] = (q - 1.0) * gl - p * gi;
        g[9 + d] = gl;
    }
    return bb_dihedral_angle(x, a);
}
