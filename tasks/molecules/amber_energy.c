/* amber_energy.c — energy and analytic gradient of one configuration under a bb_amber force
 * field (formulas in amber.h), plus the batch wrapper.
 *
 * What it is: a single-threaded, allocation-free kernel over precomputed SoA parameter lists.
 * The GB part needs the Born radii of all atoms before any pair energy, so the pair loop runs
 * three times: (1) distances, LJ + Coulomb, Born integrals Iᵢ and their r-derivatives; (2) after
 * the per-atom Born radii, the GB pair energy and ∂E/∂Bᵢ; (3) chain rule ∂E/∂Bᵢ·∂Bᵢ/∂Iᵢ·∂Iᵢ/∂r
 * folded into one scalar force per pair, applied once. Bonded terms follow (torsion gradient:
 * Blondel & Karplus, J. Comput. Chem. 17, 1132 (1996)). Reductions accumulate in double.
 * What it is not: threaded (the oracle parallelises over configurations) or periodic.
 */
#include "tasks/molecules/amber.h"

#include "tasks/molecules/amber_pairs.h"
#include "tasks/molecules/vec3.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OBC_ALPHA 0.8
#define OBC_GAMMA 2.909125

/* HCT pair integral contribution to Iᵢ from a sphere of screened radius sr at distance r,
 * for an atom of offset radius orr (OpenMM GBSAOBC1Force "I" expression), and d/dr of it. */
static inline double born_integral(double r, double ir, double orr, double sr, double *dIdr) {
    double U = r + sr;
    if (U < orr) { /* step(r + sr − or) = 0 */
        *dIdr = 0.0;
        return 0.0;
    }
    double D = fabs(r - sr);
    double L = orr > D ? orr : D;
    double dL = orr > D ? 0.0 : (r >= sr ? 1.0 : -1.0);
    double iL = 1.0 / L, iU = 1.0 / U;
    double iL2 = iL * iL, iU2 = iU * iU;
    double lg = log(L * iU);
    double s2r = sr * sr * ir;
    double g = iL - iU + 0.25 * (r - s2r) * (iU2 - iL2) + 0.5 * lg * ir;
    double dg_r = 0.25 * (1.0 + s2r * ir) * (iU2 - iL2) - 0.5 * lg * ir * ir;
    double dg_U = iU2 - 0.5 * (r - s2r) * iU2 * iU - 0.5 * iU * ir;
    double dg_L = -iL2 + 0.5 * (r - s2r) * iL2 * iL + 0.5 * iL * ir;
    *dIdr = 0.5 * (dg_r + dg_U + dg_L * dL);
    return 0.5 * g;
}

/* Bonds, angles and torsions; twork (12·ntors doubles) selects the vectorised torsion kernel,
 * NULL the scalar grouped loop (the reference). */
static double bonded(const bb_amber *ff, const double *x, double *g, double *terms, double *twork) {
    double eb = 0.0, ea = 0.0, et = 0.0;
    for (int b = 0; b < ff->nbond; b++) {
        int i = ff->bond_ij[2 * b], j = ff->bond_ij[2 * b + 1];
        double d[3] = {x[3 * j] - x[3 * i], x[3 * j + 1] - x[3 * i + 1], x[3 * j + 2] - x[3 * i + 2]};
        double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        double dr = r - ff->bond_r0[b];
        eb += 0.5 * ff->bond_k[b] * dr * dr;
        if (g && r > 0.0) {
            double f = ff->bond_k[b] * dr / r;
            for (int k = 0; k < 3; k++) {
                g[3 * j + k] += f * d[k];
                g[3 * i + k] -= f * d[k];
            }
        }
    }
    for (int a = 0; a < ff->nangle; a++) {
        int i = ff->angle_ijk[3 * a], j = ff->angle_ijk[3 * a + 1], l = ff->angle_ijk[3 * a + 2];
        double u[3], v[3];
        for (int k = 0; k < 3; k++) {
            u[k] = x[3 * i + k] - x[3 * j + k];
            v[k] = x[3 * l + k] - x[3 * j + k];
        }
        double c[3];
        bb_cross3(u, v, c);
        double cn = sqrt(bb_dot3(c, c));
        double dot = bb_dot3(u, v);
        double th = atan2(cn, dot);
        double dth = th - ff->angle_t0[a];
        ea += 0.5 * ff->angle_k[a] * dth * dth;
        if (g && cn > 0.0) {
            /* dθ/du = −(v − (u·v)u/|u|²)/|u×v|, dθ/dv likewise */
            double uu = bb_dot3(u, u), vv = bb_dot3(v, v);
            double f = ff->angle_k[a] * dth / cn, du = dot / uu, dv = dot / vv;
            for (int k = 0; k < 3; k++) {
                double gu = -f * (v[k] - du * u[k]), gv = -f * (u[k] - dv * v[k]);
                g[3 * i + k] += gu;
                g[3 * l + k] += gv;
                g[3 * j + k] -= gu + gv;
            }
        }
    }
    if (twork) {
        et = bb_amber_torsions(ff, x, g, twork);
        goto done;
    }
    /* Torsions: the terms of one atom quadruplet (consecutive in the prmtop: multi-periodicity
     * dihedrals) share the geometry, computed once per group. */
    for (int tg = 0; tg < ff->ntgroup; tg++) {
        const int t0 = ff->tgroup_first[tg], t1 = ff->tgroup_first[tg + 1];
        const int *q = ff->tors_ijkl + 4 * t0;
        double F[3], G[3], H[3];
        for (int k = 0; k < 3; k++) {
            F[k] = x[3 * q[0] + k] - x[3 * q[1] + k];
            G[k] = x[3 * q[1] + k] - x[3 * q[2] + k];
            H[k] = x[3 * q[3] + k] - x[3 * q[2] + k];
        }
        double A[3], B[3];
        bb_cross3(F, G, A);
        bb_cross3(H, G, B);
        double A2 = bb_dot3(A, A), B2 = bb_dot3(B, B);
        double Gn = sqrt(bb_dot3(G, G));
        /* IUPAC sign, as OpenMM: sin φ ∝ ((B×A)·G)/|G|, cos φ ∝ A·B, both scaled by |A||B|.
         * cos(nφ − φ₀) comes from the Chebyshev recurrence on (cos φ, sin φ): no atan2/sincos. */
        double BxA[3];
        bb_cross3(B, A, BxA);
        double AB = sqrt(A2 * B2);
        int ok = AB > 0.0 && Gn > 0.0;
        double c1 = 1.0, s1 = 0.0; /* collinear atoms: φ undefined, take φ = 0 (finite energy, no gradient) */
        if (ok) {
            double iAB = 1.0 / AB;
            c1 = bb_dot3(A, B) * iAB;
            s1 = bb_dot3(BxA, G) * iAB / Gn;
        }
        double dEdphi = 0.0;
        for (int t = t0; t < t1; t++) {
            double cn = c1, sn = s1;
            for (int m = 1; m < ff->tors_n[t]; m++) {
                double c2 = cn * c1 - sn * s1;
                sn = sn * c1 + cn * s1;
                cn = c2;
            }
            double cos_arg = cn * ff->tors_cos0[t] + sn * ff->tors_sin0[t]; /* cos(nφ − φ₀) */
            double sin_arg = sn * ff->tors_cos0[t] - cn * ff->tors_sin0[t]; /* sin(nφ − φ₀) */
            et += ff->tors_k[t] * (1.0 + cos_arg);
            dEdphi -= ff->tors_k[t] * ff->tors_n[t] * sin_arg;
        }
        if (g && ok) {
            double FG = F[0] * G[0] + F[1] * G[1] + F[2] * G[2], HG = H[0] * G[0] + H[1] * G[1] + H[2] * G[2];
            double iA2 = 1.0 / A2, iB2 = 1.0 / B2, iG = 1.0 / Gn;
            double ca = dEdphi * Gn * iA2, cb = dEdphi * Gn * iB2;
            double cja = dEdphi * FG * iA2 * iG, cjb = dEdphi * HG * iB2 * iG;
            for (int k = 0; k < 3; k++) {
                double gi = -ca * A[k], gl = cb * B[k];
                double gj = ca * A[k] + cja * A[k] - cjb * B[k];
                g[3 * q[0] + k] += gi;
                g[3 * q[1] + k] += gj;
                g[3 * q[2] + k] += -gi - gj - gl;
                g[3 * q[3] + k] += gl;
            }
        }
    }
done:
    terms[BB_AMBER_TERM_BOND] = eb;
    terms[BB_AMBER_TERM_ANGLE] = ea;
    terms[BB_AMBER_TERM_TORSION] = et;
    return eb + ea + et;
}

/* 1-4 pairs: plain LJ and Coulomb, scaled parameters, no cutoff. */
static void pairs14(const bb_amber *ff, const double *x, double *g, double *elj, double *ecoul) {
    double lj = 0.0, cl = 0.0;
    for (int p = 0; p < ff->n14; p++) {
        int i = ff->p14_ij[2 * p], j = ff->p14_ij[2 * p + 1];
        double d[3] = {x[3 * j] - x[3 * i], x[3 * j + 1] - x[3 * i + 1], x[3 * j + 2] - x[3 * i + 2]};
        double r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        double ir2 = 1.0 / r2, ir = sqrt(ir2), ir6 = ir2 * ir2 * ir2;
        double e12 = ff->p14_a12[p] * ir6 * ir6, e6 = ff->p14_b6[p] * ir6, ec = ff->p14_qq[p] * ir;
        lj += e12 - e6;
        cl += ec;
        if (g) {
            double f = (-12.0 * e12 + 6.0 * e6 - ec) * ir2; /* (dE/dr)/r */
            for (int k = 0; k < 3; k++) {
                g[3 * j + k] += f * d[k];
                g[3 * i + k] -= f * d[k];
            }
        }
    }
    *elj += lj;
    *ecoul += cl;
}

/* The reference nonbonded passes (pair-list order, scalar): adds LJ/Coulomb of non-excluded
 * pairs to terms, writes the GB terms, adds to grad (zeroed by the caller). */
static void nonbonded_reference(const bb_amber *ff, const double *x, double *grad, double *terms, double *work) {
    const int N = ff->natom, P = ff->npair;
    const double rc = ff->cutoff, irc = rc > 0.0 ? 1.0 / rc : 0.0;
    double *pd = work;                /* [P][4] dx dy dz r */
    double *pdI = pd + 4 * (size_t)P; /* [P][2] dIᵢ/dr, dIⱼ/dr */
    double *pf = pdI + 2 * (size_t)P; /* [P] (dE/dr)/r */
    double *I = pf + P, *Bn = I + N, *dBdI = Bn + N, *dEdB = dBdI + N, *iBn = dEdB + N;
    if (ff->obc1) memset(I, 0, (size_t)N * sizeof *I);

    /* Pass 1: distances, LJ + Coulomb, Born integrals. */
    double elj = 0.0, ecl = 0.0;
    for (int p = 0; p < P; p++) {
        int i = ff->pair_ij[2 * p], j = ff->pair_ij[2 * p + 1];
        double dx = x[3 * j] - x[3 * i], dy = x[3 * j + 1] - x[3 * i + 1], dz = x[3 * j + 2] - x[3 * i + 2];
        double r2 = dx * dx + dy * dy + dz * dz, r = sqrt(r2), ir = 1.0 / r;
        double *q = pd + 4 * (size_t)p;
        q[0] = dx;
        q[1] = dy;
        q[2] = dz;
        q[3] = r;
        double f = 0.0;
        int inside = rc <= 0.0 || r < rc;
        if (inside && (ff->pair_a12[p] != 0.0 || ff->pair_qq[p] != 0.0)) {
            double ir2 = ir * ir, ir6 = ir2 * ir2 * ir2;
            double e12 = ff->pair_a12[p] * ir6 * ir6, e6 = ff->pair_b6[p] * ir6;
            double qq = ff->pair_qq[p];
            elj += e12 - e6;
            ecl += qq * (ir - irc);
            f = (-12.0 * e12 + 6.0 * e6 - qq * ir) * ir2;
        }
        pf[p] = f;
        if (ff->obc1) {
            double di = 0.0, dj = 0.0;
            if (inside) {
                I[i] += born_integral(r, ir, ff->gb_or[i], ff->gb_sr[j], &di);
                I[j] += born_integral(r, ir, ff->gb_or[j], ff->gb_sr[i], &dj);
            }
            pdI[2 * (size_t)p] = di;
            pdI[2 * (size_t)p + 1] = dj;
        }
    }
    terms[BB_AMBER_TERM_LJ] += elj;
    terms[BB_AMBER_TERM_COULOMB] += ecl;

    if (ff->obc1) {
        /* Born radii, self and ACE terms. */
        double egb = 0.0, esa = 0.0;
        for (int i = 0; i < N; i++) {
            double orr = ff->gb_or[i], rad = ff->gb_rad[i];
            double psi = I[i] * orr;
            double th = tanh(OBC_ALPHA * psi + OBC_GAMMA * psi * psi * psi);
            double B = 1.0 / (1.0 / orr - th / rad);
            Bn[i] = B;
            dBdI[i] = B * B * (1.0 - th * th) * (OBC_ALPHA + 3.0 * OBC_GAMMA * psi * psi) * orr / rad;
            double iB = 1.0 / B, iB2 = iB * iB, iB6 = iB2 * iB2 * iB2;
            iBn[i] = iB;
            double es = ff->gb_self[i] * iB, ea = ff->gb_sa[i] * iB6;
            egb += es;
            esa += ea;
            dEdB[i] = -es * iB - 6.0 * ea * iB;
        }
        /* Pass 2: GB pair energy. */
        for (int p = 0; p < P; p++) {
            const double *q = pd + 4 * (size_t)p;
            double r = q[3];
            if (rc > 0.0 && r >= rc) continue;
            int i = ff->pair_ij[2 * p], j = ff->pair_ij[2 * p + 1];
            double Bi = Bn[i], Bj = Bn[j], BB = Bi * Bj, r2 = r * r;
            double r2_4BB = 0.25 * r2 * iBn[i] * iBn[j]; /* r²/(4BᵢBⱼ) */
            double ex = exp(-r2_4BB);
            double f2 = r2 + BB * ex, f = sqrt(f2), iF = 1.0 / f;
            double qq = ff->pair_gbqq[p];
            egb += qq * (iF - irc);
            double dEdf = -qq * iF * iF;
            double c = dEdf * ex * 0.5 * iF * (1.0 + r2_4BB);
            dEdB[i] += c * Bj;
            dEdB[j] += c * Bi;
            pf[p] += dEdf * (1.0 - 0.25 * ex) * iF; /* (dE/df)(df/dr)/r with df/dr = r(1 − e/4)/f */
        }
        terms[BB_AMBER_TERM_GB_POL] = egb;
        terms[BB_AMBER_TERM_GB_SA_ACE] = esa;
        /* Pass 3: chain rule through the Born integrals. */
        for (int i = 0; i < N; i++) dEdB[i] *= dBdI[i]; /* now dE/dIᵢ */
        for (int p = 0; p < P; p++) {
            int i = ff->pair_ij[2 * p], j = ff->pair_ij[2 * p + 1];
            double r = pd[4 * (size_t)p + 3];
            if (r > 0.0) pf[p] += (dEdB[i] * pdI[2 * (size_t)p] + dEdB[j] * pdI[2 * (size_t)p + 1]) * (1.0 / r);
        }
    }
    if (grad)
        for (int p = 0; p < P; p++) {
            int i = ff->pair_ij[2 * p], j = ff->pair_ij[2 * p + 1];
            const double *q = pd + 4 * (size_t)p;
            double f = pf[p];
            for (int k = 0; k < 3; k++) {
                grad[3 * j + k] += f * q[k];
                grad[3 * i + k] -= f * q[k];
            }
        }
}

/* 1-4 pairs, bonded terms, total, and the non-finite → +INFINITY rule. */
static double finish(const bb_amber *ff, const double *x, double *grad, double *terms, double *terms_out,
                     double *twork) {
    const int N = ff->natom;
    pairs14(ff, x, grad, &terms[BB_AMBER_TERM_LJ], &terms[BB_AMBER_TERM_COULOMB]);
    double e = bonded(ff, x, grad, terms, twork);
    for (int k = BB_AMBER_TERM_LJ; k < BB_AMBER_TERM_COUNT; k++) e += terms[k];

    int ok = isfinite(e);
    if (ok && grad)
        for (int k = 0; k < 3 * N; k++)
            if (!isfinite(grad[k])) {
                ok = 0;
                break;
            }
    if (!ok) {
        e = INFINITY;
        if (grad) memset(grad, 0, 3 * (size_t)N * sizeof *grad);
    }
    if (terms_out) memcpy(terms_out, terms, BB_AMBER_TERM_COUNT * sizeof *terms);
    return e;
}

double bb_amber_energy_reference(const bb_amber *ff, const double *x, double *grad, double *terms_out, double *work) {
    double terms[BB_AMBER_TERM_COUNT] = {0};
    if (grad) memset(grad, 0, 3 * (size_t)ff->natom * sizeof *grad);
    nonbonded_reference(ff, x, grad, terms, work);
    return finish(ff, x, grad, terms, terms_out, NULL);
}

double bb_amber_energy(const bb_amber *ff, const double *x, double *grad, double *terms_out, double *work) {
    double terms[BB_AMBER_TERM_COUNT] = {0};
    if (grad) memset(grad, 0, 3 * (size_t)ff->natom * sizeof *grad);
    bb_amber_pairs(ff, x, grad, terms, work);
    double *twork = ff->torsions_simd ? work + bb_amber_pairs_work_size(ff) : NULL;
    return finish(ff, x, grad, terms, terms_out, twork);
}

int bb_amber_energy_batch(const bb_amber *ff, size_t n, const double *x, double *e, double *grad, bb_ctx *ctx) {
    size_t dof = 3 * (size_t)ff->natom;
    for (size_t c = 0; c < n; c++)
        for (size_t k = 0; k < dof; k++)
            if (isnan(x[c * dof + k]))
                return BB_ERR(ctx, BB_ENAN, "configuration %zu: NaN coordinate (atom %zu)", c, k / 3 + 1);
    double *work = malloc((bb_amber_work_size(ff) + 1) * sizeof *work);
    if (!work) return BB_ERR(ctx, BB_ENOMEM, "amber energy: out of memory");
    for (size_t c = 0; c < n; c++) e[c] = bb_amber_energy(ff, x + c * dof, grad ? grad + c * dof : NULL, NULL, work);
    free(work);
    return BB_OK;
}
