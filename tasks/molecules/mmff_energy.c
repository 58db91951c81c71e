/* mmff_energy.c — MMFF94s energy and its exact analytic gradient (formulas in mmff.h).
 *
 * What it is: one plain scalar kernel per term, each writing its energy and adding dE/dx into the
 * gradient (+=), in the units and with the constants of RDKit's ForceField/MMFF (so energies agree to
 * rounding). Gradients are derived here, not copied: angles and torsions go through d(cos)/dx (the
 * torsion energy is a polynomial in cos φ, so no division by sin φ is needed); the out-of-plane
 * angle through d(sin χ)/dx. Where the energy has a kink RDKit guards (sin θ → 0 in a bent angle,
 * cos χ → 0), the same floors (1e-8) are used. The pair loop is blocked so that its arithmetic
 * vectorises; the bonded terms are plain loops, angle bends and stretch-bends in one (same θ). What it is not: threaded (the task splits batches
 * over threads) or a general force-field engine.
 */
#include "tasks/molecules/mmff.h"

#include "tasks/molecules/vec3.h"

#include <math.h>
#include <string.h>

#define C1      143.9325                         /* MDYNE_A_TO_KCAL_MOL */
#define DEG2RAD (3.14159265358979323846 / 180.0) /* RDKit's M_PI / 180 */
#define RAD2DEG (180.0 / 3.14159265358979323846)
#define C2      (C1 * DEG2RAD * DEG2RAD) /* angle and out-of-plane */
#define CS      (-2.0)                   /* bond cubic, 1/Å */
#define C3      (7.0 / 12.0)             /* bond quartic */
#define CB      (-0.006981317)           /* angle cubic, 1/deg */
#define SIN_MIN 1.0e-8                   /* RDKit's floor on sin θ and cos χ */

static inline double clip1(double x) { return x > 1.0 ? 1.0 : (x < -1.0 ? -1.0 : x); }

/* d = x[b] − x[a]. */
static inline void diff(const double *x, int a, int b, double d[3]) {
    for (int k = 0; k < 3; k++) d[k] = x[3 * b + k] - x[3 * a + k];
}

static inline void add3(double *g, int a, double s, const double v[3]) {
    for (int k = 0; k < 3; k++) g[3 * a + k] += s * v[k];
}

static double bonds(const bb_mmff *ff, const double *x, double *g) {
    double e = 0.0;
    for (int t = 0; t < ff->nbond; t++) {
        int i = ff->bond_ij[2 * t], j = ff->bond_ij[2 * t + 1];
        double d[3];
        diff(x, j, i, d); /* x_i − x_j */
        double r = sqrt(bb_dot3(d, d)), dr = r - ff->bond_r0[t], dr2 = dr * dr, kb = ff->bond_kb[t];
        e += 0.5 * C1 * kb * dr2 * (1.0 + CS * dr + C3 * CS * CS * dr2);
        if (g) {
            double de = C1 * kb * dr * (1.0 + 1.5 * CS * dr + 2.0 * C3 * CS * CS * dr2) / r;
            add3(g, i, de, d);
            add3(g, j, -de, d);
        }
    }
    return e;
}

/* Add s·d(cos θ)/dx to atoms i, j, k. */
static inline void add_angle(double *g, int i, int j, int k, double s, const double dci[3], const double dck[3]) {
    for (int m = 0; m < 3; m++) {
        g[3 * i + m] += s * dci[m];
        g[3 * k + m] += s * dck[m];
        g[3 * j + m] -= s * (dci[m] + dck[m]);
    }
}

/* cos θ of i–j–k, d(cos θ)/dx_i and d(cos θ)/dx_k (dx_j = −their sum); u, v the unit vectors j→i,
 * j→k, *ru, *rv the bond lengths. */
static double cos_angle(const double *x, int i, int j, int k, double dci[3], double dck[3], double u[3], double v[3],
                        double *ru, double *rv) {
    diff(x, j, i, u);
    diff(x, j, k, v);
    double lu = sqrt(bb_dot3(u, u)), lv = sqrt(bb_dot3(v, v)), iu = 1.0 / lu, iv = 1.0 / lv;
    for (int m = 0; m < 3; m++) {
        u[m] *= iu;
        v[m] *= iv;
    }
    double c = bb_dot3(u, v);
    for (int m = 0; m < 3; m++) {
        dci[m] = (v[m] - c * u[m]) * iu;
        dck[m] = (u[m] - c * v[m]) * iv;
    }
    *ru = lu;
    *rv = lv;
    return c;
}

/* Angle bends and, on the angles that carry one (angle_stbn), the stretch-bend, computed together:
 * both depend on the same θ and bond lengths, so cos θ, acos and d(cos θ)/dx are computed once and
 * the two terms' dE/d(cos θ) added before one scatter. The energies go to *eang and *estbn (each
 * summed in the angles' order, which is the stretch-bends' order). */
static void angles_stretch_bends(const bb_mmff *ff, const double *x, double *g, double *eang, double *estbn) {
    double ea = 0.0, es = 0.0;
    for (int t = 0; t < ff->nangle; t++) {
        int i = ff->angle_ijk[3 * t], j = ff->angle_ijk[3 * t + 1], k = ff->angle_ijk[3 * t + 2];
        int sb = ff->angle_stbn[t];
        double dci[3], dck[3], u[3], v[3], lu, lv;
        double c = clip1(cos_angle(x, i, j, k, dci, dck, u, v, &lu, &lv)), ka = ff->angle_ka[t], de_dc;
        double theta = (!ff->angle_lin[t] || sb >= 0) ? RAD2DEG * acos(c) : 0.0, isin = 0.0;
        if (g && (!ff->angle_lin[t] || sb >= 0)) {
            double s2 = 1.0 - c * c;
            isin = 1.0 / fmax(s2 > 0.0 ? sqrt(s2) : 0.0, SIN_MIN); /* dθ/dcos = −1/sin θ */
        }
        if (ff->angle_lin[t]) {
            ea += C1 * ka * (1.0 + c);
            de_dc = C1 * ka;
        } else {
            double dth = theta - ff->angle_t0[t];
            ea += 0.5 * C2 * ka * dth * dth * (1.0 + CB * dth);
            de_dc = -RAD2DEG * C2 * ka * dth * (1.0 + 1.5 * CB * dth) * isin;
        }
        if (sb >= 0) {
            double dth = theta - ff->stbn_t0[sb], k1 = ff->stbn_k[2 * sb], k2 = ff->stbn_k[2 * sb + 1];
            double dr1 = lu - ff->stbn_r0[2 * sb], dr2 = lv - ff->stbn_r0[2 * sb + 1];
            double f = C1 * DEG2RAD, stretch = k1 * dr1 + k2 * dr2;
            es += f * stretch * dth;
            if (g) {
                de_dc -= f * stretch * RAD2DEG * isin;
                double a = f * k1 * dth, b = f * k2 * dth;
                add3(g, i, a, u);
                add3(g, j, -a, u);
                add3(g, k, b, v);
                add3(g, j, -b, v);
            }
        }
        if (g) add_angle(g, i, j, k, de_dc, dci, dck);
    }
    *eang = ea;
    *estbn = es;
}

/* Out-of-plane: sin χ = m·ŵ, m = (û × v̂)/|û × v̂|, û, v̂, ŵ the unit vectors j→i, j→k, j→l. */
static double oops(const bb_mmff *ff, const double *x, double *g) {
    double e = 0.0;
    for (int t = 0; t < ff->noop; t++) {
        const int *q = ff->oop_ijkl + 4 * t;
        int i = q[0], j = q[1], k = q[2], l = q[3];
        double u[3], v[3], w[3];
        diff(x, j, i, u);
        diff(x, j, k, v);
        diff(x, j, l, w);
        double iu = 1.0 / sqrt(bb_dot3(u, u)), iv = 1.0 / sqrt(bb_dot3(v, v)), iw = 1.0 / sqrt(bb_dot3(w, w));
        for (int m = 0; m < 3; m++) {
            u[m] *= iu;
            v[m] *= iv;
            w[m] *= iw;
        }
        double n[3];
        bb_cross3(u, v, n);
        double in = 1.0 / sqrt(bb_dot3(n, n));
        for (int m = 0; m < 3; m++) n[m] *= in;
        double s = clip1(bb_dot3(n, w)), chi = RAD2DEG * asin(s);
        e += 0.5 * C2 * ff->oop_k[t] * chi * chi;
        if (!g) continue;
        double c2 = 1.0 - s * s, cchi = fmax(c2 > 0.0 ? sqrt(c2) : 0.0, SIN_MIN);
        double de_ds = RAD2DEG * C2 * ff->oop_k[t] * chi / cchi; /* dE/dχ(rad) · dχ/d(sin χ) */
        double a[3], gw[3], gu[3], gv[3], tmp[3];
        for (int m = 0; m < 3; m++) {
            a[m] = (w[m] - s * n[m]) * in; /* d(sin χ)/dN, N = û × v̂ unnormalised */
            gw[m] = (n[m] - s * w[m]) * iw;
        }
        bb_cross3(v, a, tmp); /* d/dû of a·(û × v̂) */
        double p = bb_dot3(tmp, u);
        for (int m = 0; m < 3; m++) gu[m] = (tmp[m] - p * u[m]) * iu;
        bb_cross3(a, u, tmp);
        p = bb_dot3(tmp, v);
        for (int m = 0; m < 3; m++) gv[m] = (tmp[m] - p * v[m]) * iv;
        for (int m = 0; m < 3; m++) {
            g[3 * i + m] += de_ds * gu[m];
            g[3 * k + m] += de_ds * gv[m];
            g[3 * l + m] += de_ds * gw[m];
            g[3 * j + m] -= de_ds * (gu[m] + gv[m] + gw[m]);
        }
    }
    return e;
}

/* Torsion: cos φ = t̂1·t̂2, t1 = r1 × r2, t2 = r3 × r4 (RDKit's vectors: r1 = i − j, r2 = k − j,
 * r3 = j − k, r4 = l − k); E is a cubic in cos φ. Degenerate (collinear) torsions: cos φ = 0, as in
 * RDKit, and no gradient. */
static double torsions(const bb_mmff *ff, const double *x, double *g) {
    double e = 0.0;
    for (int t = 0; t < ff->ntors; t++) {
        const int *q = ff->tors_ijkl + 4 * t;
        int i = q[0], j = q[1], k = q[2], l = q[3];
        double r1[3], r2[3], r3[3], r4[3], t1[3], t2[3];
        diff(x, j, i, r1);
        diff(x, j, k, r2);
        diff(x, k, j, r3);
        diff(x, k, l, r4);
        bb_cross3(r1, r2, t1);
        bb_cross3(r3, r4, t2);
        double l1 = sqrt(bb_dot3(t1, t1)), l2 = sqrt(bb_dot3(t2, t2));
        const double *V = ff->tors_v + 3 * t;
        int degenerate = l1 < 1e-10 || l2 < 1e-10; /* RDKit isDoubleZero */
        double il1 = degenerate ? 0.0 : 1.0 / l1, il2 = degenerate ? 0.0 : 1.0 / l2;
        for (int m = 0; m < 3; m++) {
            t1[m] *= il1;
            t2[m] *= il2;
        }
        double c = degenerate ? 0.0 : clip1(bb_dot3(t1, t2)); /* t1, t2 now unit vectors */
        double c2 = 2.0 * c * c - 1.0, c3 = c * (2.0 * c2 - 1.0);
        e += 0.5 * (V[0] * (1.0 + c) + V[1] * (1.0 - c2) + V[2] * (1.0 + c3));
        if (!g || degenerate) continue;
        double de_dc = 0.5 * (V[0] - 4.0 * V[1] * c + V[2] * (12.0 * c * c - 3.0));
        double a1[3], a2[3], d1[3], d2[3], d3[3], d4[3];
        for (int m = 0; m < 3; m++) {
            a1[m] = de_dc * il1 * (t2[m] - c * t1[m]);
            a2[m] = de_dc * il2 * (t1[m] - c * t2[m]);
        }
        bb_cross3(r2, a1, d1); /* dE/dr1 */
        bb_cross3(a1, r1, d2); /* dE/dr2 */
        bb_cross3(r4, a2, d3); /* dE/dr3 */
        bb_cross3(a2, r3, d4); /* dE/dr4 */
        for (int m = 0; m < 3; m++) {
            g[3 * i + m] += d1[m];
            g[3 * j + m] += -d1[m] - d2[m] + d3[m];
            g[3 * k + m] += d2[m] - d3[m] - d4[m];
            g[3 * l + m] += d4[m];
        }
    }
    return e;
}

/* Buffered 14-7 van der Waals and buffered Coulomb over the non-bonded pairs, in blocks of PAIR_BLOCK:
 * gather the separations, then the per-pair scalar work as one loop without memory dependences (it
 * vectorises: `omp simd` with a reduction, and mmff_energy.c is built with -fno-math-errno), then
 * scatter the gradient. The order of the sums is fixed by the build, not by threads. */
#define PAIR_BLOCK 64
static void pairs(const bb_mmff *ff, const double *x, double *g, double *evdw, double *eele) {
    double ev = 0.0, ee = 0.0;
    double dx[PAIR_BLOCK], dy[PAIR_BLOCK], dz[PAIR_BLOCK], de[PAIR_BLOCK];
    for (int p0 = 0; p0 < ff->npair; p0 += PAIR_BLOCK) {
        int m = ff->npair - p0 < PAIR_BLOCK ? ff->npair - p0 : PAIR_BLOCK;
        const int *ij = ff->pair_ij + 2 * p0;
        for (int q = 0; q < m; q++) {
            const double *xi = x + 3 * ij[2 * q], *xj = x + 3 * ij[2 * q + 1];
            dx[q] = xi[0] - xj[0];
            dy[q] = xi[1] - xj[1];
            dz[q] = xi[2] - xj[2];
        }
        const double *Rs = ff->pair_rstar + p0, *Es = ff->pair_eps + p0, *Qs = ff->pair_qq + p0;
        double bv = 0.0, be = 0.0;
#pragma omp simd reduction(+ : bv, be)
        for (int q = 0; q < m; q++) {
            double r2 = dx[q] * dx[q] + dy[q] * dy[q] + dz[q] * dz[q], r = sqrt(r2);
            double R = Rs[q], R2 = R * R, R7 = R2 * R2 * R2 * R, r6 = r2 * r2 * r2, r7 = r6 * r;
            double iden = 1.0 / (r + 0.07 * R), a = 1.07 * R * iden, a2 = a * a, a7 = a2 * a2 * a2 * a;
            double iden7 = 1.0 / (r7 + 0.12 * R7), c = 1.12 * R7 * iden7, b = c - 2.0;
            double irc = 1.0 / (r + 0.05), ec = Qs[q] * irc, eps = Es[q];
            bv += eps * a7 * b;
            be += ec;
            double dv = -7.0 * eps * a7 * (iden * b + c * r6 * iden7); /* dE_vdw/dr */
            de[q] = (dv - ec * irc) / r;
        }
        ev += bv;
        ee += be;
        if (!g) continue;
        for (int q = 0; q < m; q++) {
            double *gi = g + 3 * ij[2 * q], *gj = g + 3 * ij[2 * q + 1];
            double fx = de[q] * dx[q], fy = de[q] * dy[q], fz = de[q] * dz[q];
            gi[0] += fx;
            gi[1] += fy;
            gi[2] += fz;
            gj[0] -= fx;
            gj[1] -= fy;
            gj[2] -= fz;
        }
    }
    *evdw = ev;
    *eele = ee;
}

double bb_mmff_energy(const bb_mmff *ff, const double *x, double *grad, double *terms) {
    size_t D = 3 * (size_t)ff->natom;
    if (grad) memset(grad, 0, D * sizeof *grad);
    double t[BB_MMFF_TERM_COUNT];
    t[BB_MMFF_TERM_BOND] = bonds(ff, x, grad);
    angles_stretch_bends(ff, x, grad, &t[BB_MMFF_TERM_ANGLE], &t[BB_MMFF_TERM_STRETCH_BEND]);
    t[BB_MMFF_TERM_OOP] = oops(ff, x, grad);
    t[BB_MMFF_TERM_TORSION] = torsions(ff, x, grad);
    pairs(ff, x, grad, &t[BB_MMFF_TERM_VDW], &t[BB_MMFF_TERM_ELE]);
    double e = 0.0;
    for (int k = 0; k < BB_MMFF_TERM_COUNT; k++) e += t[k];
    int bad = !isfinite(e);
    if (grad && !bad)
        for (size_t k = 0; k < D; k++)
            if (!isfinite(grad[k])) bad = 1;
    if (bad) {
        e = INFINITY;
        if (grad) memset(grad, 0, D * sizeof *grad);
    }
    if (terms) memcpy(terms, t, sizeof t);
    return e;
}

int bb_mmff_energy_batch(const bb_mmff *ff, size_t n, const double *x, double *e, double *grad, bb_ctx *ctx) {
    size_t D = 3 * (size_t)ff->natom;
    for (size_t c = 0; c < n; c++)
        for (size_t k = 0; k < D; k++)
            if (isnan(x[c * D + k])) return BB_ERR(ctx, BB_ENAN, "%s: configuration %zu: NaN coordinate", ff->name, c);
    for (size_t c = 0; c < n; c++) e[c] = bb_mmff_energy(ff, x + c * D, grad ? grad + c * D : NULL, NULL);
    return BB_OK;
}
