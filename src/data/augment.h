/* augment.h - data augmentation of image batches, in place, from an explicit generator.
 *
 * A batch is n samples of (c, h, w) floats, NCHW (model.h). Every random choice is drawn
 * from the caller's nn_rng, one sample after the other, so a batch is augmented identically
 * given the same generator state:
 *     augment_random_crop(x, n, 3, 32, 32, 4, &rng);   CIFAR-10's usual pad-4 crop
 *     augment_random_flip(x, n, 3, 32, 32, &rng);
 *
 * Random crop with zero padding: conceptually each image is padded with p zeros on every
 * side and an h x w window is cut at a uniformly random offset (oy, ox) in [0, 2p]^2, i.e.
 * the image is shifted by (dy, dx) = (oy - p, ox - p) with zeros filling in:
 *     out[ch][r][q] = in[ch][r + dy][q + dx]   (0 outside the image)
 * It is done in place, without the padded copy, by walking the image in the direction that
 * never overwrites a value before it is read. Same shift for every channel of a sample. Two
 * draws per sample (rng_below(2p + 1), dy then dx); p = 0 draws nothing and changes nothing.
 *
 * Horizontal flip: with probability 1/2 per sample (one draw per sample), every row is
 * reversed: out[ch][r][q] = in[ch][r][w - 1 - q]. */
#ifndef NN_AUGMENT_H
#define NN_AUGMENT_H

#include "base/rng.h"

void augment_random_crop(float *x, int n, int c, int h, int w, int pad, nn_rng *rng);
void augment_random_flip(float *x, int n, int c, int h, int w, nn_rng *rng);

/* The deterministic operations under them, for one sample: shift by (dy, dx) with zero
 * fill (|dy| < h and |dx| < w not required: a shift beyond the image leaves zeros), and a
 * horizontal flip. */
void augment_shift(float *x, int c, int h, int w, int dy, int dx);
void augment_flip(float *x, int c, int h, int w);

#endif
