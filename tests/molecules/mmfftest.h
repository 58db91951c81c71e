/* mmfftest.h — helpers shared by the conformer-molecule test programs (test_mmff.c, test_xtb.c):
 * loading a shipped molecule's MMFF94s parameters and reading its reference geometries
 * (datasets/conformers/mmff94s/<hash>.ref.gz: the first CREST conformers, the first MMFF94s-minimised,
 * the first with noise; RDKit's energies and gradients there). Test-only: failures abort the test
 * through cmocka asserts. Include after cmocka.h. */
#ifndef BB_MMFFTEST_H
#define BB_MMFFTEST_H

#include "tasks/molecules/conformers.h"
#include "tasks/molecules/mmff.h"

/* Full path of datasets/conformers/mmff94s/<hash>.params.gz (static buffer). */
const char *mt_mmff_params_path(const char *hash);
/* The molecule's force field, sha256-checked; asserts success. */
bb_mmff *mt_mmff_load(const bb_conformer_molecule *m);

/* One reference geometry. */
typedef struct mt_ref_geom {
    char label[128]; /* "crest-0", "mmff94s-minimised crest-0", "noise-0.05A crest-0", ... */
    double e, terms[BB_MMFF_TERM_COUNT];
    double *x, *g; /* [3N] Å, RDKit's gradient kcal/mol/Å */
} mt_ref_geom;

/* Read <hash>.ref.gz: up to 8 geometries into r[]; returns their number (mt_free_ref them). */
int mt_read_ref(const char *hash, int natom, mt_ref_geom *r);
void mt_free_ref(mt_ref_geom *r, int n);

#endif
