/* amber.h — AMBER force field with GB-OBC1 implicit solvent: energy and analytic forces.
 *
 * What it is: the energy OpenMM 7.7 computes for AmberPrmtopFile(...).createSystem(
 * implicitSolvent=OBC1 or None, nonbondedMethod=NoCutoff or CutoffNonPeriodic, constraints=None),
 * restated in C (functional form pinned by ../shared/reference/molecules/derived/
 * amber_obc1_energy_reference.py):
 *   bonds    ½k(r−r₀)²            angles   ½k(θ−θ₀)²       torsions  k(1+cos(nφ−φ₀)) (proper+improper)
 *   LJ       4ε[(σ/r)¹²−(σ/r)⁶], Lorentz–Berthelot from the per-type diagonal of the A/B tables
 *   Coulomb  ke·qᵢqⱼ/r, ke = 138.935456 kJ mol⁻¹ nm e⁻² (NonbondedForce)
 *   1-4      Coulomb/SCEE and LJ ε/SCNB per dihedral type (defaults 1.2 / 2.0); other exclusions off
 *   GB-OBC1  Born radii Bᵢ = 1/(1/ρ̃ᵢ − tanh(0.8ψ + 2.909125ψ³)/ρᵢ), ψ = Iᵢρ̃ᵢ, ρ̃ = ρ − 0.009 nm,
 *            Iᵢ the HCT pair integral with screened radii sⱼρ̃ⱼ over all pairs (no exclusions);
 *            E = −½ke'(1 − 1/78.5)[Σᵢ qᵢ²/Bᵢ + 2Σᵢ<ⱼ qᵢqⱼ/fᵢⱼ], fᵢⱼ = √(r² + BᵢBⱼe^{−r²/4BᵢBⱼ}),
 *            ke' = 138.935485 (OpenMM's GB expressions use this constant, 7th digit differs)
 *   ACE      Σᵢ 28.3919551 (ρᵢ + 0.14)² (ρᵢ/Bᵢ)⁶ kJ/mol (ρ in nm)
 * CutoffNonPeriodic(r_c), as OpenMM applies it with implicit solvent: non-excluded pairs with
 * r < r_c get ke·qᵢqⱼ(1/r − 1/r_c) (reaction field with dielectric 1) and plain LJ (hard cut,
 * nothing beyond); the GB pair term becomes qᵢqⱼ(1/f − 1/r_c) for r < r_c; the Born integral
 * skips pairs with r ≥ r_c; 1-4 pairs are plain (no cutoff, no shift).
 * Units: positions nm, energies kJ/mol, gradients kJ/mol/nm.
 *
 * What it is not: periodic boxes, PME, constraints, CMAP, NBFIX or 10-12 terms (all refused at
 * create time with BB_EUNSUPPORTED), salt (κ = 0). The pair kernel is dense O(P²): fine for
 * peptides (≤ 2000 atoms enforced).
 *
 * Robustness: a configuration whose energy or gradient is not finite (overlapping atoms) gets
 * E = +INFINITY and a zero gradient; the caller (the task) checks NaN input.
 */
#ifndef BB_AMBER_H
#define BB_AMBER_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "tasks/molecules/prmtop.h"

#define BB_AMBER_KE_COULOMB 138.935456 /* ONE_4PI_EPS0 of NonbondedForce, OpenMM 7.7 */
#define BB_AMBER_KE_GB      138.935485 /* constant in OpenMM's customgbforces expressions */
#define BB_AMBER_MAX_ATOMS  2000

typedef enum bb_amber_term {
    BB_AMBER_TERM_BOND,
    BB_AMBER_TERM_ANGLE,
    BB_AMBER_TERM_TORSION,
    BB_AMBER_TERM_LJ,
    BB_AMBER_TERM_COULOMB,
    BB_AMBER_TERM_GB_POL,
    BB_AMBER_TERM_GB_SA_ACE,
    BB_AMBER_TERM_COUNT
} bb_amber_term;
/* "bond", "angle", "torsion", "lj", "coulomb", "gb_pol", "gb_sa_ace" (reference-energies.json names). */
extern const char *const bb_amber_term_names[BB_AMBER_TERM_COUNT];

typedef struct bb_amber_options {
    int obc1;         /* 1: GB-OBC1 + ACE (needs RADII and SCREEN); 0: vacuum */
    double cutoff_nm; /* 0: NoCutoff; > 0: CutoffNonPeriodic with this cutoff */
} bb_amber_options;

/* Parameters in OpenMM units; fields private to amber*.c by convention. */
typedef struct bb_amber {
    int natom, obc1;
    double cutoff; /* nm, 0 = none */
    int nbond, nangle, ntors, npair, n14;
    int *bond_ij;                  /* [2·nbond] */
    double *bond_k, *bond_r0;      /* kJ/mol/nm², nm */
    int *angle_ijk;                /* [3·nangle] */
    double *angle_k, *angle_t0;    /* kJ/mol/rad², rad */
    int *tors_ijkl;                /* [4·ntors] */
    double *tors_k, *tors_phase;   /* kJ/mol, rad */
    double *tors_cos0, *tors_sin0; /* cos φ₀, sin φ₀ */
    int *tors_n;
    int torsions_simd;          /* 1: vectorised torsion kernel usable (all periodicities 1..6) */
    double *tors_onehot;        /* [6][ntors]: row n−1 of each term is 1, the rest 0 */
    int ntgroup;                /* runs of consecutive torsion terms on the same four atoms */
    int *tgroup_first;          /* [ntgroup + 1] first term of each run */
    int *pair_ij;               /* [2·npair], every i < j */
    double *pair_a12, *pair_b6; /* 4εσ¹², 4εσ⁶ (0 for excluded pairs) */
    double *pair_qq;            /* ke·qᵢqⱼ (0 for excluded pairs) */
    double *pair_gbqq;          /* −ke'(1 − 1/78.5)qᵢqⱼ (all pairs) */
    int *p14_ij;                /* [2·n14] */
    double *p14_a12, *p14_b6, *p14_qq;
    double *charge, *sigma, *epsilon; /* per atom: e, nm, kJ/mol (OpenMM NonbondedForce values) */
    double *gb_or, *gb_sr, *gb_rad;   /* ρ̃ = ρ − 0.009, s·ρ̃, ρ (nm) */
    double *gb_self;                  /* −½ke'(1 − 1/78.5)qᵢ² */
    double *gb_sa;                    /* 28.3919551(ρ + 0.14)² ρ⁶ */
} bb_amber;

/* Build the force field from a topology. On failure *out is NULL and ctx names the prmtop
 * (`name`) and the flag. The topology is not referenced afterwards. */
int bb_amber_create(const bb_prmtop *top, const char *name, const bb_amber_options *opt, bb_amber **out, bb_ctx *ctx);
void bb_amber_free(bb_amber *ff); /* NULL-safe */

/* Doubles of scratch space bb_amber_energy needs (one workspace per thread). */
size_t bb_amber_work_size(const bb_amber *ff);

/* Energy (kJ/mol) of one configuration x[natom·3] (nm). grad (may be NULL) receives dE/dx
 * (kJ/mol/nm, overwritten); terms (may be NULL) receives the BB_AMBER_TERM_COUNT parts.
 * work: bb_amber_work_size doubles. Non-finite results give +INFINITY and a zero gradient.
 * Pure: safe to call concurrently with distinct work/grad buffers. */
double bb_amber_energy(const bb_amber *ff, const double *x, double *grad, double *terms, double *work);

/* Same energy by the plain reference kernel (pair-list order, scalar): kept beside the faster
 * vectorised pair kernel (amber_pairs.c) that bb_amber_energy uses; they agree to rounding. */
double bb_amber_energy_reference(const bb_amber *ff, const double *x, double *grad, double *terms, double *work);

/* Batch form: n configurations, e[n] kJ/mol, grad[n][natom·3] or NULL. Allocates its own
 * workspace; no internal threading. Fails (BB_ENAN naming the index) on NaN input. */
int bb_amber_energy_batch(const bb_amber *ff, size_t n, const double *x, double *e, double *grad, bb_ctx *ctx);

#endif
