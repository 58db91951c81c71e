/* mmff.h — the MMFF94s force field of one molecule: parameter file reader, energy and exact gradient.
 *
 * What it is: the MMFF94s energy (Halgren, J. Comput. Chem. 17 (1996) 490–641; the "s" variant of
 * J. Comput. Chem. 20 (1999) 720, planar delocalised nitrogens) exactly as RDKit computes it
 * (its Code/ForceField/MMFF sources, MMFFGetMoleculeForceField with its defaults), restated in C, for a molecule
 * whose types and parameters RDKit assigned once (datasets/conformers/prepare_mmff.py writes the
 * file). Units: Å, kcal/mol, kcal/mol/Å. With c1 = 143.9325 (mdyn·Å → kcal/mol), c2 = c1(π/180)²,
 * Δr = r − r0 (Å), Δθ = θ − θ0 (degrees), χ the Wilson out-of-plane angle (degrees):
 *   bond          ½c1·kb·Δr²(1 + cs·Δr + 7/12·cs²·Δr²),            cs = −2 Å⁻¹
 *   angle         ½c2·ka·Δθ²(1 + cb·Δθ),                          cb = −0.006981317 deg⁻¹
 *                 linear central atom (MMFF types 4, 53, 61): c1·ka(1 + cos θ)
 *   stretch-bend  c1(π/180)·(kIJK·Δr_ij + kKJI·Δr_kj)·Δθ           (not at linear centres)
 *   out-of-plane  ½c2·koop·χ², sin χ = n̂(i,j,k)·ê(j→l); three terms per trivalent centre j
 *   torsion       ½(V1(1 + cos φ) + V2(1 − cos 2φ) + V3(1 + cos 3φ))
 *   vdW (14-7)    ε(1.07R⁎ ∕ (r + 0.07R⁎))⁷(1.12R⁎⁷ ∕ (r⁷ + 0.12R⁎⁷) − 2), R⁎ and ε per MMFF type pair
 *                 (combining rules and donor–acceptor scaling applied by RDKit, stored per pair)
 *   electrostatic 332.0716·qᵢqⱼ/(ε_d(r + 0.05)), constant dielectric ε_d = 1 (RDKit's default),
 *                 ×0.75 for 1-4 pairs; a pair is skipped when a charge is zero (|q| < 1e-10)
 * Non-bonded pairs are those 3 or more bonds apart (shortest path; 1-4 = exactly 3), within one
 * connected fragment — RDKit's rule; its 100 Å non-bonded threshold on the starting geometry is
 * not applied (no molecule here is that large).
 *
 * What it is not: atom typing or parameter assignment (done by RDKit at preparation time), other
 * dielectric models, cut-offs, or MMFF94 (the file says which variant; only "mmff94s" is read).
 *
 * Parameter file (text, usually gzip-compressed; written by prepare_mmff.py), one record a line:
 *   boltzbench-mmff94s 1 · molecule <name> · smiles <s> · source <s> · rotatable_bonds <n> ·
 *   dielectric constant 1 · atoms N, then N lines "index element mass mmff_type charge" ·
 *   bonds n: "i j kb r0" · angles n: "i j k ka theta0 linear" · stretch_bends n:
 *   "i j k kIJK kKJI r0_ij r0_kj theta0" (each on a listed angle with the same i j k, one per angle) ·
 *   oops n: "i j k l koop" (j central, l out of plane) ·
 *   torsions n: "i j k l V1 V2 V3" · vdw_types n: "type_a type_b R* eps" · start N: N lines "x y z"
 *   (Å, a geometry near a minimum: the tasks' starting structure) · end
 * Errors: one line "<file>: line <n>: <field>: <what>" (BB_EFORMAT), never a crash on hostile input.
 *
 * Example:
 *   bb_mmff *ff; if (bb_mmff_read("x.params.gz", &ff, &ctx)) { puts(ctx.msg); ... }
 *   double g[3 * ff->natom], e = bb_mmff_energy(ff, x, g, NULL);   // x: natom·3 Å
 *   bb_mmff_free(ff);
 */
#ifndef BB_MMFF_H
#define BB_MMFF_H

#include <stddef.h>

#include "harness/core/bb.h"

#define BB_MMFF_MAX_ATOMS 1000
#define BB_MMFF_MAX_BYTES ((size_t)16 << 20) /* a parameter file, decompressed */

typedef enum bb_mmff_term {
    BB_MMFF_TERM_BOND,
    BB_MMFF_TERM_ANGLE,
    BB_MMFF_TERM_STRETCH_BEND,
    BB_MMFF_TERM_OOP,
    BB_MMFF_TERM_TORSION,
    BB_MMFF_TERM_VDW,
    BB_MMFF_TERM_ELE,
    BB_MMFF_TERM_COUNT
} bb_mmff_term;
/* "bond", "angle", "stretch_bend", "oop", "torsion", "vdw", "ele" (the reference files' order). */
extern const char *const bb_mmff_term_names[BB_MMFF_TERM_COUNT];

/* Parameters of one molecule; fields private to mmff*.c by convention, except the read-only atom
 * data (element, mass, type, charge, heavy) and the descriptive fields. */
typedef struct bb_mmff {
    char name[64]; /* the file's "molecule" record */
    char smiles[512];
    int rotatable_bonds;
    int natom;
    char (*element)[3];   /* [natom] "C", "Cl" */
    double *mass;         /* [natom] amu (RDKit's average atomic masses) */
    int *type;            /* [natom] MMFF atom type 1..99 */
    double *charge;       /* [natom] MMFF partial charge, e */
    unsigned char *heavy; /* [natom] 1 unless hydrogen */
    int nbond, nangle, nstbn, noop, ntors, npair;
    int *bond_ij;                  /* [2·nbond] */
    double *bond_kb, *bond_r0;     /* mdyn/Å, Å */
    int *angle_ijk;                /* [3·nangle], j central */
    double *angle_ka, *angle_t0;   /* mdyn·Å/rad², degrees */
    unsigned char *angle_lin;      /* 1: linear form c1·ka(1 + cos θ) */
    int *angle_stbn;               /* [nangle] the stretch-bend on the same i, j, k, or −1 */
    int *stbn_ijk;                 /* [3·nstbn] */
    double *stbn_k;                /* [2·nstbn] kIJK, kKJI (mdyn/rad) */
    double *stbn_r0;               /* [2·nstbn] r0_ij, r0_kj (Å) */
    double *stbn_t0;               /* degrees */
    int *oop_ijkl;                 /* [4·noop] */
    double *oop_k;                 /* mdyn·Å/rad² */
    int *tors_ijkl;                /* [4·ntors] */
    double *tors_v;                /* [3·ntors] V1, V2, V3 (kcal/mol) */
    int *pair_ij;                  /* [2·npair], i < j, 3+ bonds apart */
    double *pair_rstar, *pair_eps; /* Å, kcal/mol */
    double *pair_qq;               /* 332.0716·qᵢqⱼ/ε_d (×0.75 for 1-4), 0 when skipped */
    double *start;                 /* [natom·3] the file's start geometry, Å */
} bb_mmff;

/* Parse parameter-file text of `len` bytes (need not be NUL-terminated); `name` labels errors.
 * On success *out owns everything (bb_mmff_free); on failure *out is NULL and ctx has one line
 * naming `name`, the line and the field. */
int bb_mmff_parse(const char *text, size_t len, const char *name, bb_mmff **out, bb_ctx *ctx);
/* Read a parameter file (gzip-compressed or plain text, at most BB_MMFF_MAX_BYTES) and parse it. If
 * sha256 is not NULL the file's bytes (as stored) must hash to it (BB_EHASH naming the file). */
int bb_mmff_read(const char *path, const char *sha256, bb_mmff **out, bb_ctx *ctx);
void bb_mmff_free(bb_mmff *ff); /* NULL-safe */

/* Energy (kcal/mol) of one configuration x[natom·3] (Å). grad (may be NULL) receives dE/dx
 * (kcal/mol/Å, overwritten); terms (may be NULL) receives the BB_MMFF_TERM_COUNT parts. A
 * non-finite result (coincident atoms) gives +INFINITY and a zero gradient. Pure and thread-safe. */
double bb_mmff_energy(const bb_mmff *ff, const double *x, double *grad, double *terms);

/* Batch form: n configurations, e[n] kcal/mol, grad[n][natom·3] or NULL. Fails (BB_ENAN naming the
 * index) on NaN input. No internal threading. */
int bb_mmff_energy_batch(const bb_mmff *ff, size_t n, const double *x, double *e, double *grad, bb_ctx *ctx);

#endif
