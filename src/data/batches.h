/* batches.h - mini-batches of an image set, as floats, in a shuffled or fixed order.
 *
 *     nn_batches b;
 *     if (batches_init(&b, &train, 64, &err)) ...      allocates once: order, x, y
 *     for each epoch:
 *         batches_shuffle(&b, &rng);                    (skip for evaluation: file order)
 *         int n;
 *         while ((n = batches_next(&b)) > 0)            b.x: n images as floats in [0, 1]
 *             train on b.x, b.y, n;                     b.y: their n labels
 *     batches_free(&b);
 *
 * The last batch of an epoch may be smaller than the batch size (no sample is dropped).
 * No allocation after batches_init, so a training loop built on it allocates nothing. */
#ifndef NN_BATCHES_H
#define NN_BATCHES_H

#include <stdint.h>

#include "data/images.h"
#include "base/nn_err.h"
#include "base/rng.h"

typedef struct nn_batches {
    const nn_images *data;
    int batch_size;
    int *order;   /* data->n sample indices, the order of this epoch */
    int position; /* next index into order */
    float *x;     /* batch_size * c*h*w floats */
    uint8_t *y;   /* batch_size labels */
    int count;    /* samples in the current batch */
    int first;    /* position in order of the current batch's first sample */
} nn_batches;

int batches_init(nn_batches *b, const nn_images *data, int batch_size, nn_err *err);
/* Starts a new epoch in a random order drawn from rng. */
void batches_shuffle(nn_batches *b, nn_rng *rng);
/* Starts a new epoch in file order (for evaluation and for fixed probe batches). */
void batches_rewind(nn_batches *b);
/* Fills b->x and b->y with the next batch; returns its size, 0 at the end of the epoch. */
int batches_next(nn_batches *b);
/* Number of batches in one epoch. */
int batches_per_epoch(const nn_batches *b);
void batches_free(nn_batches *b);

#endif
