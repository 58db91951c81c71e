/* registry.c — every task type boltzbench knows. Adding a task = one line here. */
#include "tasks/task.h"

#include "tasks/molecules/conformers.h" /* bb_conformer_task_types: the conf-<hash> tasks */

extern const bb_task_type bb_task_gmm40;
extern const bb_task_type bb_task_dw4;
extern const bb_task_type bb_task_lj13;
extern const bb_task_type bb_task_lj55;
extern const bb_task_type bb_task_lj13_phys;
extern const bb_task_type bb_task_lj55_phys;
extern const bb_task_type bb_task_aldp_fab; /* tasks/molecules/peptide_tasks.c */
extern const bb_task_type bb_task_aldp_pita;
extern const bb_task_type bb_task_al3_pita;
extern const bb_task_type bb_task_funnel10; /* tasks/funnel.c */
extern const bb_task_type bb_task_funnel10_pis;
extern const bb_task_type bb_task_manywell32; /* tasks/manywell.c */
extern const bb_task_type bb_task_gmm25;      /* tasks/gmm.c */

const bb_task_type *const bb_task_types[] = {
    &bb_task_gmm40,
    &bb_task_dw4,
    &bb_task_lj13,
    &bb_task_lj55,
    &bb_task_lj13_phys,
    &bb_task_lj55_phys,
    &bb_task_aldp_fab,
    &bb_task_aldp_pita,
    &bb_task_al3_pita,
    &bb_task_funnel10,
    &bb_task_funnel10_pis,
    &bb_task_manywell32,
    &bb_task_gmm25,
#include "tasks/molecules/conformer_list.inc"
    NULL,
};
