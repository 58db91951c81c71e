/* amber_pairs.c — the nonbonded part of the AMBER/OBC1 energy (LJ, Coulomb, GB, ACE) in a
 * vectorisable layout: the faster variant of the reference pair passes in amber_energy.c.
 *
 * What it is: the same formulas and pass structure as the reference (distances, LJ/Coulomb and
 * Born integrals; Born radii; GB pair energy and ∂E/∂B; chain rule and forces), but looping
 * "for each atom i, for j > i" so every inner loop runs over contiguous j with per-pair
 * parameters at contiguous pair indices, and written branch-free (0/1 masks instead of ifs) so
 * `#pragma omp simd` turns it into packed arithmetic; log and exp come from vmath.h (branch-free,
 * ~2 ulp; glibc has no vector variants without -ffast-math). Built as AVX2 and SSE2 clones chosen
 * by the CPU at load time. Sums are reduced in a fixed lane order, so results are deterministic
 * and independent of threads; they differ from the reference kernel by rounding only
 * (tests/molecules/test_amber_energy.c checks 1e-12 relative). Masks multiply: a pair at r = 0
 * gives NaN → +INFINITY (bb_amber_energy's rule) even when excluded, where the reference stays
 * finite. What it is not: bonded terms or 1-4 pairs (amber_energy.c, amber_torsions.c).
 *
 * Compiled with -fno-math-errno (tasks/CMakeLists.txt): sqrt's errno path would otherwise block
 * vectorisation. That changes no result (IEEE sqrt is correctly rounded either way); the project
 * never uses -ffast-math.
 */
#include "tasks/molecules/amber_pairs.h"

#include "harness/core/vmath.h"

#include <math.h>
#include <string.h>

#define OBC_ALPHA 0.8
#define OBC_GAMMA 2.909125

size_t bb_amber_pairs_work_size(const bb_amber *ff) { return 20 * (size_t)ff->npair + 9 * (size_t)ff->natom + 8; }

/* AVX2 and baseline (SSE2) clones, picked once at load time by the CPU (GCC ifunc). Lane counts
 * differ, so sums may differ in the last bits between machines, never between runs or threads. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
void bb_amber_pairs(const bb_amber *ff, const double *x, double *grad, double *terms, double *work) {
    const int N = ff->natom, P = ff->npair, gb = ff->obc1;
    const double rc = ff->cutoff > 0.0 ? ff->cutoff : INFINITY, irc = ff->cutoff > 0.0 ? 1.0 / ff->cutoff : 0.0;
    const size_t Pz = (size_t)P;
    double *DX = work, *DY = DX + Pz, *DZ = DY + Pz, *R = DZ + Pz, *IR = R + Pz, *PF = IR + Pz;
    double *DII = PF + Pz, *DIJ = DII + Pz, *LGI = DIJ + Pz, *LGJ = LGI + Pz;
    double *ILI = LGJ + Pz, *IUI = ILI + Pz, *ILJ = IUI + Pz, *IUJ = ILJ + Pz, *DLI = IUJ + Pz, *DLJ = DLI + Pz;
    double *SI = DLJ + Pz, *SJ = SI + Pz, *EX = SJ + Pz, *IN = EX + Pz;
    double *X = IN + Pz, *Y = X + N, *Z = Y + N, *I = Z + N, *Bn = I + N, *iBn = Bn + N, *dEdB = iBn + N;
    double *GX = dEdB + N, *GY = GX + N;
    for (int a = 0; a < N; a++) {
        X[a] = x[3 * a];
        Y[a] = x[3 * a + 1];
        Z[a] = x[3 * a + 2];
        I[a] = 0.0;
    }
    const double *a12 = ff->pair_a12, *b6 = ff->pair_b6, *qqc = ff->pair_qq, *qgb = ff->pair_gbqq;
    const double *gor = ff->gb_or, *gsr = ff->gb_sr;
    double elj = 0.0, ecl = 0.0;

    /* Pass 1a: distances (vector). */
    for (int i = 0, p0 = 0; i < N - 1; p0 += N - 1 - i, i++) {
        const double xi = X[i], yi = Y[i], zi = Z[i];
#pragma omp simd
        for (int j = i + 1; j < N; j++) {
            const int p = p0 + (j - i - 1);
            double dx = X[j] - xi, dy = Y[j] - yi, dz = Z[j] - zi;
            DX[p] = dx;
            DY[p] = dy;
            DZ[p] = dz;
            R[p] = sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    /* Pass 1b: LJ + Coulomb, Born-integral bounds (vector). */
    for (int i = 0, p0 = 0; i < N - 1; p0 += N - 1 - i, i++) {
        const double ori = gor[i], sri = gsr[i];
#pragma omp simd reduction(+ : elj, ecl)
        for (int j = i + 1; j < N; j++) {
            const int p = p0 + (j - i - 1);
            double r = R[p], ir = 1.0 / r;
            double in = r < rc ? 1.0 : 0.0;
            double ir2 = ir * ir, ir6 = ir2 * ir2 * ir2;
            double e12 = a12[p] * ir6 * ir6, e6 = b6[p] * ir6, q = qqc[p];
            /* excluded pairs have a12 = b6 = q = 0; `in` (0/1) applies the cutoff */
            elj += in * (e12 - e6);
            ecl += in * q * (ir - irc);
            PF[p] = in * (-12.0 * e12 + 6.0 * e6 - q * ir) * ir2;
            IR[p] = ir;
            IN[p] = in;
            /* atom i sees j (screened radius gsr[j]) and j sees i */
            double orj = gor[j], srj = gsr[j];
            double Ui = r + srj, Uj = r + sri, Di = fabs(r - srj), Dj = fabs(r - sri);
            double Li = ori > Di ? ori : Di, Lj = orj > Dj ? orj : Dj;
            DLI[p] = ori > Di ? 0.0 : (r >= srj ? 1.0 : -1.0);
            DLJ[p] = orj > Dj ? 0.0 : (r >= sri ? 1.0 : -1.0);
            SI[p] = (Ui >= ori) ? in : 0.0;
            SJ[p] = (Uj >= orj) ? in : 0.0;
            double iUi = 1.0 / Ui, iUj = 1.0 / Uj;
            ILI[p] = 1.0 / Li;
            IUI[p] = iUi;
            ILJ[p] = 1.0 / Lj;
            IUJ[p] = iUj;
            LGI[p] = Li * iUi; /* log taken in pass 1b */
            LGJ[p] = Lj * iUj;
        }
    }
    if (gb) {
        /* Pass 1c: logarithms (vector, vmath.h; L/U is in (0, 1]). */
#pragma omp simd
        for (int p = 0; p < P; p++) {
            LGI[p] = bb_vlog(LGI[p]);
            LGJ[p] = bb_vlog(LGJ[p]);
        }
        /* Pass 1d: Born integrals and their r-derivatives (vector). */
        for (int i = 0, p0 = 0; i < N - 1; p0 += N - 1 - i, i++) {
            const double sri = gsr[i];
            double Ii = 0.0;
#pragma omp simd reduction(+ : Ii)
            for (int j = i + 1; j < N; j++) {
                const int p = p0 + (j - i - 1);
                double r = R[p], ir = IR[p], srj = gsr[j];
                /* i seeing j */
                double iL = ILI[p], iU = IUI[p], lg = LGI[p], s2r = srj * srj * ir;
                double iL2 = iL * iL, iU2 = iU * iU;
                double g = iL - iU + 0.25 * (r - s2r) * (iU2 - iL2) + 0.5 * lg * ir;
                double dg = 0.25 * (1.0 + s2r * ir) * (iU2 - iL2) - 0.5 * lg * ir * ir + iU2 -
                            0.5 * (r - s2r) * iU2 * iU - 0.5 * iU * ir +
                            (-iL2 + 0.5 * (r - s2r) * iL2 * iL + 0.5 * iL * ir) * DLI[p];
                double si = SI[p];
                Ii += si * 0.5 * g;
                DII[p] = si * 0.5 * dg;
                /* j seeing i */
                iL = ILJ[p], iU = IUJ[p], lg = LGJ[p], s2r = sri * sri * ir;
                iL2 = iL * iL, iU2 = iU * iU;
                g = iL - iU + 0.25 * (r - s2r) * (iU2 - iL2) + 0.5 * lg * ir;
                dg = 0.25 * (1.0 + s2r * ir) * (iU2 - iL2) - 0.5 * lg * ir * ir + iU2 - 0.5 * (r - s2r) * iU2 * iU -
                     0.5 * iU * ir + (-iL2 + 0.5 * (r - s2r) * iL2 * iL + 0.5 * iL * ir) * DLJ[p];
                double sj = SJ[p];
                I[j] += sj * 0.5 * g;
                DIJ[p] = sj * 0.5 * dg;
            }
            I[i] += Ii;
        }
        /* Born radii, self and ACE terms (scalar, per atom). */
        double egb = 0.0, esa = 0.0;
        for (int i = 0; i < N; i++) {
            double orr = gor[i], rad = ff->gb_rad[i];
            double psi = I[i] * orr;
            double th = tanh(OBC_ALPHA * psi + OBC_GAMMA * psi * psi * psi);
            double B = 1.0 / (1.0 / orr - th / rad);
            double iB = 1.0 / B, iB2 = iB * iB, iB6 = iB2 * iB2 * iB2;
            Bn[i] = B;
            iBn[i] = iB;
            double es = ff->gb_self[i] * iB, ea = ff->gb_sa[i] * iB6;
            egb += es;
            esa += ea;
            dEdB[i] = -es * iB - 6.0 * ea * iB;
            I[i] = B * B * (1.0 - th * th) * (OBC_ALPHA + 3.0 * OBC_GAMMA * psi * psi) * orr / rad; /* dB/dI */
        }
        /* Pass 2a: exponents (vector), 2b: exp (scalar), 1/f (vector), 2c: GB pair energy and ∂E/∂B (vector). */
        for (int i = 0, p0 = 0; i < N - 1; p0 += N - 1 - i, i++) {
            const double iBi = iBn[i];
#pragma omp simd
            for (int j = i + 1; j < N; j++) {
                const int p = p0 + (j - i - 1);
                double y = -0.25 * R[p] * R[p] * iBi * iBn[j];
                EX[p] = y < -708.0 ? -708.0 : y; /* e^−708 ≈ 3e−308: negligible next to r² in f² */
            }
        }
#pragma omp simd
        for (int p = 0; p < P; p++) EX[p] = bb_vexp(EX[p]);
        for (int i = 0, p0 = 0; i < N - 1; p0 += N - 1 - i, i++) {
            const double Bi = Bn[i];
#pragma omp simd
            for (int j = i + 1; j < N; j++) {
                const int p = p0 + (j - i - 1);
                DLI[p] = 1.0 / sqrt(R[p] * R[p] + Bi * Bn[j] * EX[p]); /* 1/f; DLI is free again */
            }
        }
        for (int i = 0, p0 = 0; i < N - 1; p0 += N - 1 - i, i++) {
            const double Bi = Bn[i], iBi = iBn[i];
            double dEdBi = 0.0;
#pragma omp simd reduction(+ : egb, dEdBi)
            for (int j = i + 1; j < N; j++) {
                const int p = p0 + (j - i - 1);
                double r = R[p], r2 = r * r, Bj = Bn[j], ex = EX[p], iF = DLI[p];
                double q = qgb[p], in = IN[p];
                double dEdf = -q * iF * iF;
                double c = dEdf * ex * 0.5 * iF * (1.0 + 0.25 * r2 * iBi * iBn[j]); /* 1 + r²/(4BᵢBⱼ) */
                egb += in * q * (iF - irc);
                dEdBi += in * c * Bj;
                dEdB[j] += in * c * Bi;
                PF[p] += in * dEdf * (1.0 - 0.25 * ex) * iF;
            }
            dEdB[i] += dEdBi;
        }
        terms[BB_AMBER_TERM_GB_POL] = egb;
        terms[BB_AMBER_TERM_GB_SA_ACE] = esa;
        /* Pass 3: chain rule through the Born integrals (vector). */
        for (int i = 0; i < N; i++) dEdB[i] *= I[i]; /* dE/dIᵢ */
        for (int i = 0, p0 = 0; i < N - 1; p0 += N - 1 - i, i++) {
            const double ei = dEdB[i];
#pragma omp simd
            for (int j = i + 1; j < N; j++) {
                const int p = p0 + (j - i - 1);
                PF[p] += (ei * DII[p] + dEdB[j] * DIJ[p]) * IR[p];
            }
        }
    } else {
        terms[BB_AMBER_TERM_GB_POL] = 0.0;
        terms[BB_AMBER_TERM_GB_SA_ACE] = 0.0;
    }
    terms[BB_AMBER_TERM_LJ] += elj;
    terms[BB_AMBER_TERM_COULOMB] += ecl;
    if (grad) {
        double *GXX = GX, *GYY = GY, *GZZ = I; /* I is free again */
        memset(GXX, 0, (size_t)N * sizeof *GXX);
        memset(GYY, 0, (size_t)N * sizeof *GYY);
        memset(GZZ, 0, (size_t)N * sizeof *GZZ);
        for (int i = 0, p0 = 0; i < N - 1; p0 += N - 1 - i, i++) {
            double gx = 0.0, gy = 0.0, gz = 0.0;
#pragma omp simd reduction(+ : gx, gy, gz)
            for (int j = i + 1; j < N; j++) {
                const int p = p0 + (j - i - 1);
                double f = PF[p], fx = f * DX[p], fy = f * DY[p], fz = f * DZ[p];
                GXX[j] += fx;
                GYY[j] += fy;
                GZZ[j] += fz;
                gx += fx;
                gy += fy;
                gz += fz;
            }
            GXX[i] -= gx;
            GYY[i] -= gy;
            GZZ[i] -= gz;
        }
        for (int a = 0; a < N; a++) {
            grad[3 * a] += GXX[a];
            grad[3 * a + 1] += GYY[a];
            grad[3 * a + 2] += GZZ[a];
        }
    }
}
