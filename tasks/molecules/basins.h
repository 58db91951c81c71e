/* basins.h — the one φ/ψ basin classifier of boltzbench: which conformational basin of a
 * residue's Ramachandran plane a (φ, ψ) pair lies in. Reference generation (convergence of
 * basin populations, harness/run/mdref.c) and the peptide metrics use this file, so that a
 * "population of αR" means the same region everywhere.
 *
 * The four basins partition the whole torus (every angle pair has exactly one basin), in
 * degrees, angles wrapped into (−180, 180]:
 *   αL/C7ax   φ > 0                                   (the "φ > 0" population of FAB/PITA)
 *   αR        φ ≤ 0 and −120 < ψ ≤ 50
 *   β/C5      φ ≤ −90 and (ψ > 50 or ψ ≤ −120)
 *   C7eq/PII  −90 < φ ≤ 0 and (ψ > 50 or ψ ≤ −120)
 * The α (−120 < ψ < 50), β (φ < −90, ψ > 50) and PPII (−90 < φ, ψ > 50) boxes follow
 * Best, Buchete & Hummer, "Are current molecular dynamics force fields too helical?",
 * Biophys. J. 95 (2008) L07; here they are widened to cover all of φ ≤ 0 (ψ ≤ −120 counts as
 * the wrapped-around β/PII side) and everything with φ > 0 is one basin, as in the φ > 0
 * split of Noé et al., Science 365 (2019) and FAB (Midgley et al., ICLR 2023). The catalogued
 * minima of both ALDP setups fall inside their named basin (tests/molecules/test_basins.c):
 * ff14SB PII (−67.9, 154.1), αR (−71.7, −16.5), β/C5 (−150.3, 159.7), αL (56.0, 27.2); ff96
 * C5 (−145.6, 160.9), C7ax (60.4, −72.3). C7eq (≈ −80, 75 in vacuum) is not a minimum in
 * either implicit-solvent setup and lands in C7eq/PII.
 * What it is not: a clustering or a transition-based state definition (no cores, no
 * hysteresis); per-basin populations of a trajectory are plain frame fractions.
 */
#ifndef BB_BASINS_H
#define BB_BASINS_H

#include <stddef.h>

#include "tasks/molecules/molecule.h"

typedef enum bb_basin { BB_BASIN_ALPHA_R, BB_BASIN_BETA, BB_BASIN_PII, BB_BASIN_ALPHA_L, BB_BASIN_COUNT } bb_basin;

/* Names in enum order: "alpha_R", "beta_C5", "C7eq_PII", "alpha_L_C7ax". */
extern const char *const bb_basin_names[];

/* The basin of (φ, ψ) in radians (any real values; they are wrapped into (−π, π]). */
bb_basin bb_basin_classify(double phi, double psi);

/* The k-th residue (0-based, in residue order) that has both a φ and a ψ dihedral: *phi and
 * *psi point into m's dihedral table. Returns 1 when it exists, else 0 (pointers NULL).
 * ALDP has one (phi2/psi2), AL3 one (phi2/psi2: residues 1 and 3 lack φ or ψ). */
int bb_basin_pair(const bb_molecule *m, int k, const bb_dihedral_def **phi, const bb_dihedral_def **psi);

/* Fractions of n configurations x[n][3·natom] in each basin of the k-th φ/ψ pair, into
 * pop[BB_BASIN_COUNT] (summing to 1). Returns 0, or −1 when there is no such pair or n is 0
 * (pop then all NaN). */
int bb_basin_populations(const bb_molecule *m, int k, size_t n, const double *x, double pop[BB_BASIN_COUNT]);

#endif
