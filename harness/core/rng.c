/* rng.c — Philox4x32-10 (see rng.h for the reference vectors). */
#include "harness/core/rng.h"

#include <math.h>

#include "harness/core/vmath.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t *hi) {
    uint64_t p = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

/* One Philox block on scalars (always inlined, so the vector loop of bb_rng_normal_fill_fast keeps
 * its words in registers). */
static inline __attribute__((always_inline)) void philox_block(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                                               uint32_t k0, uint32_t k1, uint32_t out[4]) {
#pragma GCC unroll 10
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = mulhilo(PHILOX_M0, c0, &hi0);
        uint32_t lo1 = mulhilo(PHILOX_M1, c2, &hi1);
        uint32_t n0 = hi1 ^ c1 ^ k0;
        uint32_t n1 = lo1;
        uint32_t n2 = hi0 ^ c3 ^ k1;
        uint32_t n3 = lo0;
        c0 = n0;
        c1 = n1;
        c2 = n2;
        c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void bb_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    philox_block(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1], out);
}

void bb_rng_init(bb_rng *r, uint64_t seed, uint64_t stream) {
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = 0;
    r->ctr[1] = 0;
    r->ctr[2] = (uint32_t)stream;
    r->ctr[3] = (uint32_t)(stream >> 32);
    r->idx = 4;
    r->has_spare = 0;
    r->spare = 0.0;
}

uint32_t bb_rng_u32(bb_rng *r) {
    if (r->idx >= 4) {
        bb_philox4x32_10(r->ctr, r->key, r->buf);
        if (++r->ctr[0] == 0) ++r->ctr[1];
        r->idx = 0;
    }
    return r->buf[r->idx++];
}

uint64_t bb_rng_u64(bb_rng *r) {
    uint64_t hi = bb_rng_u32(r);
    uint64_t lo = bb_rng_u32(r);
    return (hi << 32) | lo;
}

double bb_rng_uniform(bb_rng *r) {
    /* (k + 0.5) / 2^53 lies strictly inside (0, 1). */
    uint64_t k = bb_rng_u64(r) >> 11;
    return ((double)k + 0.5) * (1.0 / 9007199254740992.0);
}

uint64_t bb_rng_below(bb_rng *r, uint64_t n) {
    /* Reject the 2^64 mod n smallest values so every residue is equally likely. */
    uint64_t thresh = (0 - n) % n;
    uint64_t x;
    do {
        x = bb_rng_u64(r);
    } while (x < thresh);
    return x % n;
}

double bb_rng_normal(bb_rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = bb_rng_uniform(r);
    double u2 = bb_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586476925286766559 * u2;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}

void bb_rng_normal_fill(bb_rng *r, size_t n, double *out) {
    for (size_t i = 0; i < n; i++) out[i] = bb_rng_normal(r);
}

/* 53-bit uniform in (0, 1) from two words, bit for bit bb_rng_uniform's (first word high). The
 * integer k < 2^53 becomes a double exactly without an int64 conversion (which AVX2 lacks): its
 * low 52 bits under the exponent of 2^52, minus 2^52, plus 2^52 when bit 52 is set. */
static inline __attribute__((always_inline)) double uniform_of(uint32_t hi, uint32_t lo) {
    const uint64_t k = (((uint64_t)hi << 32) | lo) >> 11;
    const double low = bb_bits2d(0x4330000000000000ULL | (k & 0x000fffffffffffffULL)) - 4503599627370496.0;
    const double top = bb_bits2d((0 - (k >> 52)) & 0x4330000000000000ULL); /* 0 or 2^52 */
    return ((low + top) + 0.5) * (1.0 / 9007199254740992.0);
}

/* (cos, sin) Box–Muller pair of the block's two uniforms, branch-free */
static inline __attribute__((always_inline)) void box_muller(const uint32_t w[4], double z[2]) {
    const double rad = sqrt(-2.0 * bb_vlog(uniform_of(w[0], w[1])));
    double sn, cs;
    bb_vsincos2pi(uniform_of(w[2], w[3]), &sn, &cs);
    z[0] = rad * cs;
    z[1] = rad * sn;
}

/* m pairs into o from blocks c … c + m − 1 of stream (c2, c3). Cloned for AVX-512F, AVX2 and
 * baseline x86-64 (picked at load time); -ffp-contract=off and IEEE sqrt make every clone give
 * the same bits. */
__attribute__((target_clones("avx512f", "avx2", "default"))) static void
normal_pairs(uint64_t c, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1, size_t m, double *restrict o) {
#pragma omp simd
    for (size_t j = 0; j < m; j++) {
        uint32_t w[4];
        const uint64_t cj = c + j;
        philox_block((uint32_t)cj, (uint32_t)(cj >> 32), c2, c3, k0, k1, w);
        box_muller(w, o + 2 * j);
    }
}

void bb_rng_normal_fill_fast(bb_rng *r, size_t n, double *out) {
    size_t i = 0;
    if (n && r->has_spare) {
        out[i++] = r->spare;
        r->has_spare = 0;
    }
    r->idx = 4; /* every pair starts a block of its own */
    const size_t m = (n - i) / 2;
    const uint64_t c = ((uint64_t)r->ctr[1] << 32) | r->ctr[0];
    normal_pairs(c, r->ctr[2], r->ctr[3], r->key[0], r->key[1], m, out + i);
    r->ctr[0] = (uint32_t)(c + m);
    r->ctr[1] = (uint32_t)((c + m) >> 32);
    i += 2 * m;
    if (i < n) { /* a fresh block by the same formula; its sine is the spare */
        uint32_t w[4];
        double z[2];
        for (int k = 0; k < 4; k++) w[k] = bb_rng_u32(r);
        box_muller(w, z);
        out[i] = z[0];
        r->spare = z[1];
        r->has_spare = 1;
    }
}

void bb_rng_seek_normal(bb_rng *r, uint64_t i) {
    const uint64_t block = i / 2; /* bb_rng_normal: two uniforms = one block per pair */
    r->ctr[0] = (uint32_t)block;
    r->ctr[1] = (uint32_t)(block >> 32);
    r->idx = 4;
    r->has_spare = 0;
    if (i & 1) (void)bb_rng_normal(r); /* the pair's first; its second is now the spare */
}
