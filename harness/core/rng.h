/* rng.h — the one random number generator of boltzbench: Philox4x32-10.
 *
 * Counter-based (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC 2011): output = Philox(key, counter). The key is the run seed; the upper
 * 64 bits of the counter name a *stream* (a chain, a replica, a worker, a metric
 * subsample), the lower 64 bits count blocks within it. Streams never overlap,
 * so giving every independent unit of work its own stream (seed, stream id)
 * makes results bit-identical on any thread count.
 *
 * Reference (Random123 philox4x32, R=10), matched by tests/core/test_rng.c:
 *   philox4x32_10({0,0,0,0}, {0,0})                 = {6627e8d5 e169c58d bc57ac4c 9b00dbd8}
 *   philox4x32_10({ffffffff x4}, {ffffffff x2})     = {408f276d 41c83b0e a20bc7c6 6d5451fd}
 *   philox4x32_10({243f6a88 85a308d3 13198a2e 03707344}, {a4093822 299f31d0})
 *                                                   = {d16cfe09 94fdcceb 5001e420 24126ea1}
 *
 * Stream-id conventions (keep them distinct per run):
 *   0x0000_xxxx  method-internal streams (chain i uses stream i, ...)
 *   0x4000_0000+ reference-set generation        0x5000_0000+ metric subsampling/bootstrap
 *   0x6000_0000+ network initialisation          0x7000_0000+ task-owned draws (GMM means)
 */
#ifndef BB_RNG_H
#define BB_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct bb_rng {
    uint32_t key[2];
    uint32_t ctr[4]; /* ctr[0..1] block counter, ctr[2..3] stream id */
    uint32_t buf[4]; /* current output block */
    int idx;         /* next unused word of buf (4 = empty) */
    int has_spare;   /* Box–Muller keeps its second normal */
    double spare;
} bb_rng;

/* Raw block function, exposed for tests. */
void bb_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Initialise stream `stream` of generator `seed`. */
void bb_rng_init(bb_rng *r, uint64_t seed, uint64_t stream);
uint32_t bb_rng_u32(bb_rng *r);
uint64_t bb_rng_u64(bb_rng *r);
/* Uniform double in the open interval (0, 1), 53 random bits. */
double bb_rng_uniform(bb_rng *r);
/* Uniform integer in [0, n), unbiased (rejection). n > 0. */
uint64_t bb_rng_below(bb_rng *r, uint64_t n);
/* Standard normal (Box–Muller, both values used). */
double bb_rng_normal(bb_rng *r);
void bb_rng_normal_fill(bb_rng *r, size_t n, double *out);
/* The same standard normals from the same uniforms, about 10x faster (a vector loop: Philox
 * blocks, branch-free log and sin/cos of harness/core/vmath.h), equal to the libm values to
 * a few 1e-16 but not bit for bit, so a method switching to it changes its results. Each pair
 * takes a fresh block (the rest of a partly used one is skipped); a pending spare comes first
 * and an odd count leaves one. Filling n then m equals filling n + m. */
void bb_rng_normal_fill_fast(bb_rng *r, size_t n, double *out);
/* Position r so that its next bb_rng_normal is the i-th (from 0) normal of its stream, as
 * a fresh bb_rng_init of the same (seed, stream) drawing only normals would give it: each
 * pair of normals is one Philox block, so the i-th is regenerated in O(1) (a backward pass
 * replaying forward noise: PIS's stochastic adjoint). */
void bb_rng_seek_normal(bb_rng *r, uint64_t i);

#endif
