/* samples.h — a set of configurations: N × dof float64, row-major, optional log-weights.
 *
 * Methods return their samples in one; metrics accept weighted samples (logw != NULL,
 * unnormalised natural-log importance weights). The struct owns x and logw.
 */
#ifndef BB_SAMPLES_H
#define BB_SAMPLES_H

#include <stddef.h>

typedef struct bb_samples {
    size_t n;     /* N configurations */
    size_t dof;   /* P particles × D dimensions */
    double *x;    /* [N][dof], owned */
    double *logw; /* [N] or NULL (equal weights), owned */
} bb_samples;

/* Allocate n × dof (zeroed) and, if weighted, n log-weights (zero). On failure
 * returns BB_ENOMEM and leaves *s empty. A previous content of *s is NOT freed. */
int bb_samples_alloc(bb_samples *s, size_t n, size_t dof, int weighted);
/* Free x and logw and zero the struct; NULL-safe. */
void bb_samples_free(bb_samples *s);
/* Keep the first n rows (n <= s->n); no reallocation. */
void bb_samples_truncate(bb_samples *s, size_t n);

#endif
