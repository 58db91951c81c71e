/* xtb.h — optional GFN2-xTB energy and gradient of a molecule, through Debian's libxtb C API.
 *
 * What it is: the level of theory that produced the GEOM-DRUGS CREST conformers (GFN2-xTB in vacuum:
 * Bannwarth, Ehlert & Grimme, J. Chem. Theory Comput. 15 (2019) 1652), so that conformer samples can
 * be evaluated or relaxed there (the conformer tasks' params {"energy": "gfn2-xtb"}, conformers.h).
 * libxtb 6.5.1 (Debian 12 libxtb-dev) computes it; this file converts units and makes the calls
 * deterministic: x in Å → Bohr (CODATA 2018 a0 = 0.529177210903 Å), energy Hartree → kcal/mol
 * (627.5094740631), gradient Hartree/Bohr → kcal/mol/Å. Each evaluation starts from a fresh results
 * object (no wavefunction carried over from the previous geometry, so a value depends only on x),
 * runs with one OpenMP thread (xtb's own loops would otherwise sum in a thread-count-dependent
 * order), and calls are serialised (`omp critical`): the library is not known to be reentrant. So
 * the backend adds no parallel speed-up; it is for evaluating and relaxing, not for long sampling.
 * Built only with cmake -DBB_XTB=ON (default OFF); otherwise bb_xtb_new fails with BB_EUNSUPPORTED.
 *
 * What it is not: GFN-FF (libxtb 6.5.1 writes gfnff_topo / gfnff_adjacency into the working
 * directory, reads them back if present, and prints to stdout at muted verbosity — unfit for a
 * harness running many molecules side by side), implicit solvent, or periodic systems.
 *
 * Example:
 *   bb_xtb *xt; if (bb_xtb_new(ff->natom, ff->element, 0, ff->start, &xt, &ctx)) { puts(ctx.msg); ... }
 *   double g[3 * ff->natom], e = bb_xtb_energy(xt, x, g);   // kcal/mol, kcal/mol/Å
 *   bb_xtb_free(xt);
 */
#ifndef BB_XTB_H
#define BB_XTB_H

#include "harness/core/bb.h"

#define BB_XTB_BOHR_A       0.529177210903 /* Å per Bohr, CODATA 2018 */
#define BB_XTB_HARTREE_KCAL 627.5094740631 /* kcal/mol per Hartree, CODATA 2018 */

typedef struct bb_xtb bb_xtb;

/* 1 if this build calls libxtb (cmake -DBB_XTB=ON), else 0. */
int bb_xtb_available(void);

/* A GFN2-xTB calculator for `natom` atoms with element symbols element[i] ("C", "Cl"; H..Rn), total
 * charge `charge` (e), closed shell (an odd electron count is refused), set up at the geometry
 * x0[natom·3] (Å). Errors (one line in ctx): BB_EUNSUPPORTED without libxtb, BB_EINVAL for an unknown
 * element, an odd electron count or a setup libxtb refuses (its message quoted). */
int bb_xtb_new(int natom, const char (*element)[3], int charge, const double *x0, bb_xtb **out, bb_ctx *ctx);
void bb_xtb_free(bb_xtb *xt); /* NULL-safe */

/* GFN2-xTB energy (kcal/mol) at x[natom·3] (Å); grad (may be NULL) receives dE/dx (kcal/mol/Å,
 * overwritten). A geometry where the SCF fails (or any non-finite input or result) gives +INFINITY
 * and a zero gradient, as the MMFF94s energy does for coincident atoms. Thread-safe (serialised). */
double bb_xtb_energy(const bb_xtb *xt, const double *x, double *grad);

/* Atomic number of an element symbol ("C" → 6, "Cl" → 17; H..Rn), or 0 if unknown. */
int bb_xtb_atomic_number(const char *symbol);

#endif
