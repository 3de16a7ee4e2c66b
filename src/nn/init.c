/* init.c - weight initialisers (see init.h for the formulas and their sources). */
#include "nn/init.h"

#include <math.h>

void init_glorot_uniform(float *w, size_t len, int fan_in, int fan_out, nn_rng *rng) {
    const float a = sqrtf(6.0f / (float)(fan_in + fan_out));
    /* rng_uniform is in [0, 1), so values are in [-a, a): within the bound by construction. */
    for (size_t i = 0; i < len; i++) w[i] = a * (2.0f * rng_uniform(rng) - 1.0f);
}

void init_he_normal(float *w, size_t len, int fan_in, nn_rng *rng) {
    const float std = sqrtf(2.0f / (float)fan_in);
    for (size_t i = 0; i < len; i++) w[i] = std * rng_normal(rng);
}

void init_lecun_normal(float *w, size_t len, int fan_in, nn_rng *rng) {
    const float std = sqrtf(1.0f / (float)fan_in);
    for (size_t i = 0; i < len; i++)
        w[i] = std * rng_normal(rng);
}
