/* molecule.h — what a molecular task exposes about its topology: atoms, residues, masses and
 * backbone dihedral definitions, for metrics (TICA features, Ramachandran plots) and docs.
 *
 * What it is: read-only descriptors owned by the task instance (valid until bb_task_free),
 * plus a dihedral-angle helper with the IUPAC sign convention OpenMM uses. Backbone dihedrals
 * are found by atom name from the residue layout (N, CA, C; caps ACE and NME use CH3 as the
 * α carbon): φᵢ = C(i−1)–N(i)–CA(i)–C(i), ψᵢ = N(i)–CA(i)–C(i)–N(i+1),
 * ω(i,i+1) = CA(i)–C(i)–N(i+1)–CA(i+1). Names are "phi", "psi", "omega" followed by the
 * 1-based residue number (omega: of the first residue), e.g. ALDP (ACE1-ALA2-NME3):
 * phi2 = (4,6,8,14), psi2 = (6,8,14,16), omega1 = (1,4,6,8), omega2 = (8,14,16,18) (0-based atoms).
 * What it is not: a general chemistry model (no elements, bonds graph or residue templates).
 *
 * Example:
 *   const bb_molecule *m = bb_task_molecule(task);           // NULL for non-molecular tasks
 *   const bb_dihedral_def *phi = bb_molecule_find_dihedral(m, "phi2");
 *   double a = bb_dihedral_angle(x, phi->atoms);              // radians in (−π, π]
 */
#ifndef BB_MOLECULE_H
#define BB_MOLECULE_H

#include <stddef.h>

#include "harness/core/bb.h"

typedef struct bb_task bb_task;
typedef struct bb_prmtop bb_prmtop;

typedef enum bb_dihedral_kind {
    BB_DIHEDRAL_PHI,
    BB_DIHEDRAL_PSI,
    BB_DIHEDRAL_OMEGA,
    BB_DIHEDRAL_KIND_COUNT
} bb_dihedral_kind;

typedef struct bb_dihedral_def {
    char name[16]; /* "phi2" */
    bb_dihedral_kind kind;
    int residue;  /* 1-based residue number in the name */
    int atoms[4]; /* 0-based atom indices */
} bb_dihedral_def;

typedef struct bb_molecule {
    int natom, nres;
    const char (*atom_name)[5]; /* [natom], e.g. "CA" */
    const int *atom_residue;    /* [natom], 0-based residue index */
    const char (*res_name)[5];  /* [nres], e.g. "ALA" */
    const double *mass;         /* [natom], amu */
    const double *charge;       /* [natom], e */
    int ndihedral;
    const bb_dihedral_def *dihedral; /* backbone φ, ψ, ω in residue order */
    int nbackbone;
    const int *backbone; /* heavy backbone atoms (N, CA/CH3, C) in order, 0-based */
} bb_molecule;

/* The molecule of a task, or NULL if the task is not molecular. */
const bb_molecule *bb_task_molecule(const bb_task *t);

/* Gas constant of the molecular tasks (OpenMM 7.7): kT = R·T in kJ/mol. */
#define BB_R_KJ_PER_MOL_K 0.00831446261815324

/* Temperature (K) of a molecular task instance, or 0 if t is not molecular. */
double bb_task_temperature(const bb_task *t);

/* The temperature ladder (K, ascending) the task's paper anneals or tempers over, with its
 * length in *n: PITA's [300, 555.52, 755.95, 1200] for aldp-pita, [300, 408.24, 555.52, 755.95,
 * 1200] for al3-pita; NULL and *n = 0 for a task without one (aldp-fab, non-molecular). */
const double *bb_task_temperature_ladder(const bb_task *t, size_t *n);

/* Dihedral angle (radians, (−π, π], IUPAC sign as OpenMM) of atoms a[0..3] in x[natom·3]. */
double bb_dihedral_angle(const double *x, const int a[4]);

/* Dihedral by name ("psi1"), or NULL. */
const bb_dihedral_def *bb_molecule_find_dihedral(const bb_molecule *m, const char *name);

/* The noise scale of a molecular task's initial(): σ = √((D − 6)·kT / tr H), tr H the Hessian trace
 * at the minimum xmin[D] by central differences (step 1e-5 in the task's length unit) of the gradient
 * `grad(arg, x, g)` writes; in the harmonic approximation the mean energy above the minimum is then
 * (D − 6)·kT/2, equipartition over the internal degrees of freedom. BB_EINTERNAL (naming `name`) when
 * tr H is not positive and finite; BB_ENOMEM. */
int bb_equipartition_sigma(size_t D, const double *xmin, double kT, void (*grad)(void *arg, const double *x, double *g),
                           void *arg, const char *name, double *sigma, bb_ctx *ctx);

/* A force field's energies in its physical unit to the task's reduced energy: u[i] and, when grad
 * is not NULL, grad[i·D .. i·D+D) of n configurations are multiplied by 1/kT (kT in the same
 * unit), as every molecular task's energy() does. */
void bb_molecule_reduce(size_t n, size_t D, double kT, double *u, double *grad);

/* Owned storage behind a bb_molecule (used by the molecular tasks). */
typedef struct bb_molecule_store {
    bb_molecule mol;
    char (*atom_name)[5];
    int *atom_residue;
    char (*res_name)[5];
    double *mass, *charge;
    bb_dihedral_def *dihedral;
    int *backbone;
} bb_molecule_store;

/* Fill `s` from a topology; on failure everything is freed and ctx names `name`. */
int bb_molecule_store_init(bb_molecule_store *s, const bb_prmtop *top, const char *name, bb_ctx *ctx);
void bb_molecule_store_free(bb_molecule_store *s); /* NULL-safe, leaves *s zeroed */

#endif
