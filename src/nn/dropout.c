/* dropout.c - inverted dropout (see layers.h).
 *
 * The mask is drawn once per forward pass, in array order, from the caller's generator, so
 * a seed fixes every mask of a run; it stores the scale factor itself (0 or 1/(1-p)), which
 * makes forward and backward the same elementwise product. */
#include "nn/layers.h"

void dropout_mask(float *mask, size_t len, float p, nn_rng *rng) {
    const float keep = 1.0f / (1.0f - p);
    /* rng_uniform is in [0, 1) with 24-bit resolution: u >= p has probability 1 - p (up to
     * 2^-24), and p = 0 keeps everything. */
    for (size_t i = 0; i < len; i++) mask[i] = rng_uniform(rng) >= p ? keep : 0.0f;
}

void dropout_forward(float *y, const float *x, const float *mask, size_t len) {
    for (size_t i = 0; i < len; i++) y[i] = x[i] * mask[i];
}

void dropout_backward(float *dx, const float *dy, const float *mask, size_t len) {
    for (size_t i = 0; i < len; i++) dx[i] = dy[i] * mask[i];
}
