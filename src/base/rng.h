/* rng.h - a small, seedable, portable pseudo-random number generator.
 *
 * Every random choice in nnlab (weight init, shuffling, dropout masks, augmentation,
 * attack starts) draws from an explicit `nn_rng` value, never from a global, so a run is
 * reproduced bit for bit by its seed. The generator is xoshiro256** (Blackman & Vigna,
 * 2018), seeded through splitmix64 so that any 64-bit seed, including 0, is fine.
 * Streams: `rng_split` derives an independent generator for a sub-task (e.g. one per
 * thread or per purpose) so that adding draws in one place does not shift another. */
#ifndef NN_RNG_H
#define NN_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct nn_rng {
    uint64_t s[4];
} nn_rng;

void rng_seed(nn_rng *r, uint64_t seed);
/* A new generator seeded from this one's seed state and `stream`; does not advance r. */
nn_rng rng_split(const nn_rng *r, uint64_t stream);
uint64_t rng_next(nn_rng *r);
/* Uniform in [0, 1) with 24 random bits, exactly representable as a float. */
float rng_uniform(nn_rng *r);
/* Uniform integer in [0, n), without modulo bias; n > 0. */
uint64_t rng_below(nn_rng *r, uint64_t n);
/* Standard normal (Box-Muller; uses two uniforms per call, no cached state). */
float rng_normal(nn_rng *r);
/* Fisher-Yates shuffle of an index array. */
void rng_shuffle(nn_rng *r, int *idx, size_t n);

#endif
