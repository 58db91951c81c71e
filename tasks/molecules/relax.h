/* relax.h — polish a configuration to a nearby local minimum (steepest descent, see relax.c). */
#ifndef BB_RELAX_H
#define BB_RELAX_H

#include "tasks/molecules/amber.h"

/* Relax x[natom·3] (nm, updated in place) until max|∂E/∂x| < tol kJ/mol/nm or max_iter
 * trial steps. e_out/gmax_out (may be NULL) receive the final energy and max|gradient|.
 * Reaching max_iter is not an error (check gmax_out); a non-finite start is (BB_EINVAL). */
int bb_amber_relax(const bb_amber *ff, double *x, double tol, int max_iter, double *e_out, double *gmax_out,
                   bb_ctx *ctx);

#endif
