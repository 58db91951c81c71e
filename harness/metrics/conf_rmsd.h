/* conf_rmsd.h — symmetry-aware heavy-atom RMSD of molecular conformers (RDKit's GetBestRMS in C).
 *
 * What it is: the automorphisms of a molecule's heavy-atom graph (atoms labelled by element, bonds
 * from the force field's bond list, hydrogens dropped), enumerated once by backtracking with colour
 * refinement, and the RMSD between two conformers minimised over those automorphisms σ and proper
 * rotations R (no reflections: the Kabsch det fix), after removing each side's heavy-atom centroid:
 *   RMSD(x, y) = min_{σ, R ∈ SO(3)} sqrt( (1/H) Σ_i ‖x̃_i − R ỹ_σ(i)‖² ),  H heavy atoms, Å.
 * This is what Adjoint Sampling's evaluator gets from RDKit's GetBestRMS on Chem.RemoveAllHs
 * molecules: GetBestRMS matches the molecule onto itself by substructure search (element and bond
 * type) with conjugated terminal groups symmetrised (its default), which on every molecule shipped
 * here gives the element-labelled automorphisms (tests/metrics/test_conf_rmsd.c compares RMSDs with
 * RDKit's on committed cases to 1e-6 Å). Elements alone cannot tell a C=C from a C–C, so for a
 * molecule with a non-aromatic ring of alternating bonds the group here can be larger than RDKit's.
 *
 * Cost: per pair and automorphism one 3 × 3 correlation (O(H)) and the largest eigenvalue of Horn's
 * 4 × 4 quaternion matrix (Newton on its characteristic polynomial, Theobald's QCP); the best one is
 * re-evaluated exactly (Kabsch by SVD, residual summed directly), so a copy gives 0 to rounding.
 *
 * What it is not: stereo or validity checks, alignment with hydrogens, reflections.
 *
 * Example:
 *   bb_conf_sym *s;
 *   if (bb_conf_sym_from_mmff(ff, 0, &s, &ctx)) { puts(ctx.msg); ... }
 *   double r; bb_conf_rmsd(s, x, y, &r, &ctx);          // x, y: natom·3 Å, the task's atom order
 *   bb_conf_rmsd_matrix(s, na, A, nb, B, D, &ctx);      // D[na][nb], OpenMP over rows
 *   bb_conf_sym_free(s);
 */
#ifndef BB_CONF_RMSD_H
#define BB_CONF_RMSD_H

#include <stddef.h>

#include "harness/core/bb.h"
#include "tasks/molecules/mmff.h"

/* Default cap on the number of automorphisms (RDKit's GetBestRMS maxMatches is 10^6). */
#define BB_CONF_SYM_MAX_DEFAULT 100000

typedef struct bb_conf_sym bb_conf_sym; /* fields private to conf_rmsd.c */

/* Automorphisms of the heavy-atom graph of natom atoms (element[i] a symbol, heavy[i] 1 unless
 * hydrogen) with nbond bonds bond_ij[2k], bond_ij[2k+1] (bonds touching a hydrogen are ignored).
 * max_auto: cap (0: BB_CONF_SYM_MAX_DEFAULT); more automorphisms than that is BB_EUNSUPPORTED with
 * a message giving the cap. BB_EINVAL for a bond index out of range or no heavy atom. On failure
 * *out is NULL. */
int bb_conf_sym_build(int natom, const char (*element)[3], const unsigned char *heavy, int nbond, const int *bond_ij,
                      size_t max_auto, bb_conf_sym **out, bb_ctx *ctx);
/* The same from a force field's atoms and bonds. */
int bb_conf_sym_from_mmff(const bb_mmff *ff, size_t max_auto, bb_conf_sym **out, bb_ctx *ctx);
void bb_conf_sym_free(bb_conf_sym *s); /* NULL-safe */

int bb_conf_sym_natom(const bb_conf_sym *s);  /* all atoms (the configurations' P) */
int bb_conf_sym_nheavy(const bb_conf_sym *s); /* H: heavy atoms */
/* Index of heavy atom h (0 ≤ h < H) among all atoms (ascending). */
int bb_conf_sym_heavy_index(const bb_conf_sym *s, int h);
size_t bb_conf_sym_count(const bb_conf_sym *s); /* automorphisms, identity included (first) */
/* Automorphism k as a map of heavy-atom indices, perm[h] = σ(h), H entries; NULL if k is out of range. */
const int *bb_conf_sym_perm(const bb_conf_sym *s, size_t k);

/* Symmetry-aware heavy-atom RMSD (Å) between x and y, each natom·3 Å. BB_ENAN for non-finite input. */
int bb_conf_rmsd(const bb_conf_sym *s, const double *x, const double *y, double *rmsd, bb_ctx *ctx);
/* All pairs: D[i][j] = RMSD(A_i, B_j) for A [na][natom·3], B [nb][natom·3]; OUT D [na][nb]
 * (caller-allocated). A configuration with a non-finite coordinate gets NaN in its row/column.
 * Rows in parallel (OpenMP); entries do not depend on the thread count. */
int bb_conf_rmsd_matrix(const bb_conf_sym *s, size_t na, const double *A, size_t nb, const double *B, double *D,
                        bb_ctx *ctx);

#endif
