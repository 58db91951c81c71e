/* moltest.h — helpers shared by the molecule test programs: paths of the committed data,
 * loading a force field, reading the reference JSON (tests/molecules/data/, copied from
 * ../shared/reference/molecules/derived with provenance in tests/molecules/data/README.md).
 * Test-only code: failures abort the test through cmocka asserts. */
#ifndef BB_MOLTEST_H
#define BB_MOLTEST_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "tasks/molecules/amber.h"
#include "tasks/molecules/prmtop.h"

/* Full path of tasks/molecules/data/<file> or tests/molecules/data/<file> (static buffer). */
const char *mt_task_data(const char *file);
const char *mt_test_data(const char *file);
/* Force field from tasks/molecules/data/<prmtop>; asserts success. */
bb_amber *mt_load_ff(const char *prmtop, int obc1, double cutoff_nm);
/* Parse tests/molecules/data/<file> (cJSON_Delete it). */
cJSON *mt_read_json(const char *file);
/* Copy an array of [x,y,z] rows into out[3·n]; asserts the shape. */
void mt_rows(const cJSON *arr, size_t n, double *out);
/* Force-field setup of a case of reference-energies.json by name (prmtop file, obc1, cutoff). */
void mt_case_setup(const char *case_name, const char **prmtop, int *obc1, double *cutoff);

/* Positions (nm) from the ATOM/HETATM records of a PDB file (Å, columns 31-54). */
void mt_pdb_positions(const char *file, size_t n, double *x);
/* Positions (nm) from a torch .pt zip whose entry "<dir>/data/0" holds n·3 stored float64. */
void mt_pt_positions(const char *file, size_t n, double *x);
#endif
