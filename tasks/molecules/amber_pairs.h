/* amber_pairs.h — vectorisable nonbonded kernel (see amber_pairs.c); internal to tasks/molecules. */
#ifndef BB_AMBER_PAIRS_H
#define BB_AMBER_PAIRS_H

#include "tasks/molecules/amber.h"

/* Doubles of scratch space bb_amber_pairs needs. */
size_t bb_amber_pairs_work_size(const bb_amber *ff);
/* Non-excluded LJ + Coulomb (added to terms[LJ], terms[COULOMB]), GB polar and ACE (written to
 * terms[GB_POL], terms[GB_SA_ACE]); grad (may be NULL) is added to, not overwritten. */
void bb_amber_pairs(const bb_amber *ff, const double *x, double *grad, double *terms, double *work);

/* Torsion energy (kJ/mol) by the vectorised per-term kernel (amber_torsions.c); grad (may be
 * NULL) is added to; work: 22·ntors doubles. Only when bb_amber_torsions_ok (periodicities ≤ 6). */
int bb_amber_torsions_ok(const bb_amber *ff);
double bb_amber_torsions(const bb_amber *ff, const double *x, double *grad, double *work);

#endif
