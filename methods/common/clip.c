/* clip.c — per-vector norm clipping (formula and sources in clip.h). Nothing else. */
#include <math.h>

#include "methods/common/clip.h"

size_t bb_clip_norms(double *v, size_t n_vec, int D, double cap) {
    size_t clipped = 0;
    for (size_t i = 0; i < n_vec; i++) {
        double *vi = v + i * (size_t)D;
        double nn = 0.0;
        for (int d = 0; d < D; d++) nn += vi[d] * vi[d];
        const double f = cap / (sqrt(nn) + BB_CLIP_EPS);
        if (f < 1.0) {
            for (int d = 0; d < D; d++) vi[d] *= f;
            clipped++;
        }
    }
    return clipped;
}
