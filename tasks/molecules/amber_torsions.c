/* amber_torsions.c — periodic torsions (proper and improper) in a vectorisable layout: the
 * faster variant of the grouped scalar torsion loop in amber_energy.c.
 *
 * What it is: one SIMD lane per torsion term. Each lane gathers its four atoms, computes φ's
 * cosine and sine (IUPAC sign, as OpenMM), cos/sin(kφ) for k = 1..6 by the Chebyshev recurrence
 * (a precomputed one-hot of the term's n selects one arithmetically), E = k(1 + cos(nφ − φ₀)) and the Blondel–
 * Karplus gradient pieces, which a scalar pass then adds into the gradient (lanes may share atoms).
 * Degenerate geometry (three collinear atoms) gets 1e-300 added to the vanishing norms instead of
 * a branch: no NaN, gradient 0, φ treated as 90° rather than the reference's 0° (a measure-zero
 * case). Coordinates are gathered into SoA bond vectors by a scalar pass first. Compiled with -fno-math-errno (tasks/CMakeLists.txt) so sqrt vectorises; AVX2 and SSE2
 * clones. What it is not: a kernel for periodicities above 6 (bb_amber_torsions_ok() says when
 * the scalar loop must be used).
 */
#include "tasks/molecules/amber_pairs.h"

#include <math.h>

int bb_amber_torsions_ok(const bb_amber *ff) {
    for (int t = 0; t < ff->ntors; t++)
        if (ff->tors_n[t] > 6 || ff->tors_n[t] < 1) return 0;
    return 1;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
double
bb_amber_torsions(const bb_amber *ff, const double *x, double *g, double *work) {
    const int nt = ff->ntors;
    const int *q = ff->tors_ijkl;
    const double *kk = ff->tors_k, *c0 = ff->tors_cos0, *s0 = ff->tors_sin0;
    const double *oh = ff->tors_onehot;
    double *TW = work;                  /* [nt][12]: gradient pieces of atoms i, j, k, l */
    double *V = work + 12 * (size_t)nt; /* [9][nt]: bond vectors F, G, H (gathered, SoA), then [nt] */
    for (int t = 0; t < nt; t++) {
        const int a = q[4 * t], b = q[4 * t + 1], c = q[4 * t + 2], d = q[4 * t + 3];
        for (int k = 0; k < 3; k++) {
            V[(size_t)k * nt + t] = x[3 * a + k] - x[3 * b + k];       /* F = xi − xj */
            V[(size_t)(3 + k) * nt + t] = x[3 * b + k] - x[3 * c + k]; /* G = xj − xk */
            V[(size_t)(6 + k) * nt + t] = x[3 * d + k] - x[3 * c + k]; /* H = xl − xk */
        }
    }
    const double *VF0 = V, *VF1 = V + nt, *VF2 = V + 2 * nt, *VG0 = V + 3 * nt, *VG1 = V + 4 * nt;
    const double *VG2 = V + 5 * nt, *VH0 = V + 6 * nt, *VH1 = V + 7 * nt, *VH2 = V + 8 * nt;
    double *ET = V + 9 * (size_t)nt; /* [nt] energy per term */
#pragma omp simd
    for (int t = 0; t < nt; t++) {
        double F0 = VF0[t], F1 = VF1[t], F2 = VF2[t], G0 = VG0[t], G1 = VG1[t], G2 = VG2[t];
        double H0 = VH0[t], H1 = VH1[t], H2 = VH2[t];
        double A0 = F1 * G2 - F2 * G1, A1 = F2 * G0 - F0 * G2, A2v = F0 * G1 - F1 * G0;
        double B0 = H1 * G2 - H2 * G1, B1 = H2 * G0 - H0 * G2, B2v = H0 * G1 - H1 * G0;
        double AA = A0 * A0 + A1 * A1 + A2v * A2v, BB = B0 * B0 + B1 * B1 + B2v * B2v;
        double Gn = sqrt(G0 * G0 + G1 * G1 + G2 * G2) + 1e-300;
        double iAB = 1.0 / (sqrt(AA * BB) + 1e-300), iG = 1.0 / Gn;
        double X0 = B1 * A2v - B2v * A1, X1 = B2v * A0 - B0 * A2v, X2 = B0 * A1 - B1 * A0; /* B×A */
        double c1 = (A0 * B0 + A1 * B1 + A2v * B2v) * iAB;
        double s1 = (X0 * G0 + X1 * G1 + X2 * G2) * iAB * iG;
        double c2 = c1 * c1 - s1 * s1, s2 = s1 * c1 + c1 * s1;
        double c3 = c2 * c1 - s2 * s1, s3 = s2 * c1 + c2 * s1;
        double c4 = c3 * c1 - s3 * s1, s4 = s3 * c1 + c3 * s1;
        double c5 = c4 * c1 - s4 * s1, s5 = s4 * c1 + c4 * s1;
        double c6 = c5 * c1 - s5 * s1, s6 = s5 * c1 + c5 * s1;
        /* one-hot of n (SoA [6][nt]): arithmetic select, no branch */
        double h0 = oh[t], h1 = oh[nt + t], h2 = oh[2 * nt + t], h3 = oh[3 * nt + t], h4 = oh[4 * nt + t];
        double h5 = oh[5 * nt + t];
        double cn = h0 * c1 + h1 * c2 + h2 * c3 + h3 * c4 + h4 * c5 + h5 * c6;
        double sn = h0 * s1 + h1 * s2 + h2 * s3 + h3 * s4 + h4 * s5 + h5 * s6;
        double nd = h0 + 2.0 * h1 + 3.0 * h2 + 4.0 * h3 + 5.0 * h4 + 6.0 * h5; /* n */
        double cos_arg = cn * c0[t] + sn * s0[t], sin_arg = sn * c0[t] - cn * s0[t];
        ET[t] = kk[t] * (1.0 + cos_arg);
        double dEdphi = -kk[t] * nd * sin_arg;
        double iA2 = 1.0 / (AA + 1e-300), iB2 = 1.0 / (BB + 1e-300);
        double FG = F0 * G0 + F1 * G1 + F2 * G2, HG = H0 * G0 + H1 * G1 + H2 * G2;
        double ca = dEdphi * Gn * iA2, cb = dEdphi * Gn * iB2;
        double cja = dEdphi * FG * iA2 * iG, cjb = dEdphi * HG * iB2 * iG;
        double gi0 = -ca * A0, gi1 = -ca * A1, gi2 = -ca * A2v;
        double gl0 = cb * B0, gl1 = cb * B1, gl2 = cb * B2v;
        double gj0 = (ca + cja) * A0 - cjb * B0, gj1 = (ca + cja) * A1 - cjb * B1, gj2 = (ca + cja) * A2v - cjb * B2v;
        double *w = TW + 12 * t;
        w[0] = gi0, w[1] = gi1, w[2] = gi2;
        w[3] = gj0, w[4] = gj1, w[5] = gj2;
        w[6] = -gi0 - gj0 - gl0, w[7] = -gi1 - gj1 - gl1, w[8] = -gi2 - gj2 - gl2;
        w[9] = gl0, w[10] = gl1, w[11] = gl2;
    }
    double et = 0.0;
    for (int t = 0; t < nt; t++) et += ET[t];
    if (g)
        for (int t = 0; t < nt; t++) {
            const double *w = TW + 12 * t;
            for (int m = 0; m < 4; m++) {
                double *ga = g + 3 * q[4 * t + m];
                ga[0] += w[3 * m];
                ga[1] += w[3 * m + 1];
                ga[2] += w[3 * m + 2];
            }
        }
    return et;
}
