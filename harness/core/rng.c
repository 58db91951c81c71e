/* rng.c — Philox4x32-10 (see rng.h for the reference vectors). */
#include "harness/core/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t *hi) {
    uint64_t p = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

void bb_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
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
