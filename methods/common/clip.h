/* clip.h — norm clipping of score-like vectors, shared by the neural samplers (Adjoint
 * Sampling's adjoint targets, iDEM's Monte-Carlo score targets).
 *
 * The authors of both (DEM components/clipper.py Clipper.clip_scores, adjoint_samplers'
 * GraphScoreGradTermCost) scale each D-vector v_i by min(1, cap / (|v_i| + 1e-6)): a
 * vector already inside the ball is left bit-for-bit alone, a longer one ends just inside
 * it. Particle systems clip each particle's D-vector; a task without particles passes its
 * whole configuration as one vector (n_vec = 1, D = dof). It does NOT clip a global norm
 * over a batch (that is bb_nn_clip_grad_norm for network gradients).
 */
#ifndef BB_CLIP_H
#define BB_CLIP_H

#include <stddef.h>

/* The authors' epsilon in the clip factor cap / (|v| + eps). */
#define BB_CLIP_EPS 1e-6

/* v[n_vec][D]: each D-vector scaled down to norm <= cap (factor cap / (|v_i| + 1e-6),
 * applied only when below 1). Returns the number of vectors that were scaled. */
size_t bb_clip_norms(double *v, size_t n_vec, int D, double cap);

#endif
