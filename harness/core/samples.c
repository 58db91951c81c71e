/* samples.c — see samples.h. */
#include "harness/core/samples.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/bb.h"

int bb_samples_alloc(bb_samples *s, size_t n, size_t dof, int weighted) {
    s->n = 0;
    s->dof = 0;
    s->x = NULL;
    s->logw = NULL;
    if (dof != 0 && n > SIZE_MAX / sizeof(double) / dof) return BB_ENOMEM;
    double *x = calloc((n && dof) ? n * dof : 1, sizeof *x);
    double *w = weighted ? calloc(n ? n : 1, sizeof *w) : NULL;
    if (!x || (weighted && !w)) {
        free(x);
        free(w);
        return BB_ENOMEM;
    }
    s->n = n;
    s->dof = dof;
    s->x = x;
    s->logw = w;
    return BB_OK;
}

void bb_samples_free(bb_samples *s) {
    if (!s) return;
    BB_FREE_ALL(s->x, s->logw);
    memset(s, 0, sizeof *s);
}

void bb_samples_truncate(bb_samples *s, size_t n) {
    if (n < s->n) s->n = n;
}
