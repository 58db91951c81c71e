/* conformers.h — the drug-like conformer tasks conf-<hash>@1: Boltzmann densities of MMFF94s.
 *
 * What it is: one task per molecule of datasets/conformers/molecules.tsv (the 80 GEOM-DRUGS test
 * molecules of Adjoint Sampling, and a 10-molecule fast set with 0..8 rotatable bonds), each
 * p(x) ∝ exp(−E(x)/kT) with E the MMFF94s energy in vacuum (tasks/molecules/mmff.h; MMFF94s, not
 * MMFF94), kT = R·300 K in kcal/mol, x in Å in the atom order of the molecule's CREST xyz file
 * (GEOM-DRUGS) or of RDKit's SMILES + hydrogens order (SPICE fast-set molecules). Parameters are
 * read at task creation from datasets/conformers/mmff94s/<hash>.params.gz under bb_source_dir(),
 * checked against the sha256 compiled into the table. initial(): the file's MMFF94s-minimised
 * structure + isotropic Gaussian noise with the equipartition scale of the peptide tasks.
 * Parameters: {"energy": "mmff94s"} (the default) or {"energy": "gfn2-xtb"}: the same molecule, atoms,
 * units, kT and initial() (MMFF94s start and noise scale), but E = the GFN2-xTB energy in vacuum
 * (absolute, kcal/mol; tasks/molecules/xtb.h) at the molecule's total charge (the sum of its MMFF
 * partial charges, an integer: +1 for the protonated amines) — the level of the CREST references,
 * for evaluating and relaxing samples there. Only in builds with
 * cmake -DBB_XTB=ON (else a one-line BB_EUNSUPPORTED error); evaluations are serialised.
 * What it is not: conformer metrics or reference minima (harness/metrics/confmin.h, conf_rmsd.h).
 *
 * Example:
 *   const bb_mmff *ff = bb_task_conformer_ff(task);   // NULL unless a conformer task
 *   for (int i = 0; i < ff->natom; i++) printf("%s %g %d\n", ff->element[i], ff->mass[i], ff->heavy[i]);
 */
#ifndef BB_CONFORMERS_H
#define BB_CONFORMERS_H

#include "tasks/molecules/conformer_count.h"
#include "tasks/molecules/mmff.h"
#include "tasks/task.h"

/* kcal/mol per K: OpenMM's R (molecule.h) / 4.184. */
#define BB_R_KCAL_PER_MOL_K        (0.00831446261815324 / 4.184)
#define BB_CONFORMER_TEMPERATURE_K 300.0

/* One molecule of the table (tasks/molecules/conformer_list.c, generated). */
typedef struct bb_conformer_molecule {
    const char *hash;          /* "rot8_46ceda5c8b" (the list files' Hash_Name) */
    int in_drugs;              /* 1: one of the 80 GEOM-DRUGS test molecules */
    int in_fast;               /* 1: in the 10-molecule fast set */
    int rotatable_bonds;       /* the list file's count */
    int natom, nheavy;         /* atoms with hydrogens, heavy atoms */
    int n_crest;               /* CREST reference conformers mirrored (0 for SPICE molecules) */
    const char *params_sha256; /* of datasets/conformers/mmff94s/<hash>.params.gz */
} bb_conformer_molecule;

extern const bb_conformer_molecule bb_conformer_molecules[BB_CONFORMER_COUNT];
extern const bb_task_type bb_conformer_task_types[BB_CONFORMER_COUNT];

/* The table row of a task type, or NULL if tt is not a conformer task. */
const bb_conformer_molecule *bb_conformer_of_type(const bb_task_type *tt);
/* The force field (elements, masses, heavy-atom flags, charges, start geometry) of a conformer task
 * instance, or NULL for any other task. Valid until bb_task_free. */
const bb_mmff *bb_task_conformer_ff(const bb_task *t);

/* Everything but name and description of a conformer task type (conformer_list.c). */
int bb_conformer_init(bb_task *t, const cJSON *params, bb_ctx *ctx);
void bb_conformer_cleanup(bb_task *t);
int bb_conformer_energy(const bb_task *t, size_t n, const double *x, double *u, double *grad, bb_ctx *ctx);
int bb_conformer_initial(const bb_task *t, size_t n, bb_rng *rng, double *x, bb_ctx *ctx);

#define BB_CONFORMER_DESCRIPTION                                                                                       \
    "Drug-like molecule in vacuum under MMFF94s (not MMFF94): RDKit 2022.09 types and parameters "                     \
    "(MMFFGetMoleculeProperties, mmffVariant MMFF94s), energy and exact gradient in C matching RDKit's "               \
    "CalcEnergy/CalcGrad; constant dielectric 1, 1-4 electrostatics x0.75. u = E/(R T), E in kcal/mol, "               \
    "T = 300 K (kT = 0.596 kcal/mol), x in Angstrom. initial(): the MMFF94s-minimised structure + "                    \
    "equipartition-scaled Gaussian noise. "

/* One conformer task type; `natom_` atoms, `what_` the molecule's own sentence. */
#define BB_CONFORMER_TASK(name_, natom_, what_)                                                                        \
    {                                                                                                                  \
        .name = name_, .version = 1, .description = BB_CONFORMER_DESCRIPTION what_, .n_particles = natom_, .dim = 3,   \
        .kT = BB_R_KCAL_PER_MOL_K * BB_CONFORMER_TEMPERATURE_K, .kT_unit = "kcal/mol", .length_unit = "Angstrom",      \
        .flags = BB_TASK_TRANSLATION_INV | BB_TASK_ROTATION_INV, .init_scale = 0.0,                                    \
        .state_size = sizeof(struct bb_conformer_state_layout), .init = bb_conformer_init,                             \
        .cleanup = bb_conformer_cleanup, .energy = bb_conformer_energy, .initial = bb_conformer_initial,               \
        .pair_cost = 3.0 /* per atom pair: 14-7 vdW + Coulomb + bonded share (bench_energy) */                         \
    }

/* The state's layout (public only for sizeof in the table; fields private to conformers.c). */
struct bb_conformer_state_layout {
    bb_mmff *ff;
    struct bb_xtb *xtb; /* params {"energy": "gfn2-xtb"}: the energy is GFN2-xTB's (xtb.h); NULL: MMFF94s */
    double sigma;       /* Å, initial() noise */
};

#endif
