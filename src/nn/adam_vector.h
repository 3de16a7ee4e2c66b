/* adam_vector.h - Adam on a plain float array that is not a model's parameters.
 *
 * optim.h's optimisers update a model's parameter block. Some experiments optimise other
 * things with the same rule: an input image (chapter 07 minimises losses over the pixels of
 * an image with a trained network's weights fixed). This is Adam for such an array, with the
 * update of optim.h (Kingma & Ba 2015; bias corrections in double):
 *     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  t += 1;
 *     p -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * (the config's weight_decay and decay_biases are ignored: there are no weights here).
 *
 *     nn_adam_vector a;
 *     if (adam_vector_init(&a, n, nn_adam_defaults(), &err)) ...
 *     for each step: compute g at p; adam_vector_step(&a, p, g, lr);
 *     adam_vector_free(&a);
 * Elementwise in a fixed order, single-threaded: bit-reproducible. */
#ifndef NN_ADAM_VECTOR_H
#define NN_ADAM_VECTOR_H

#include <stddef.h>

#include "base/nn_err.h"
#include "nn/optim.h"

typedef struct nn_adam_vector {
    size_t n;
    float *m, *v; /* first and second moments, n each */
    long t;       /* steps taken */
    nn_adam_config cfg;
} nn_adam_vector;

/* Zeroed moments for n > 0 elements; -1 on a bad configuration or without memory. */
int adam_vector_init(nn_adam_vector *a, size_t n, nn_adam_config cfg, nn_err *err);
/* One update of p (n floats) with gradient g and learning rate lr. */
void adam_vector_step(nn_adam_vector *a, float *p, const float *g, float lr);
/* Zero moments and step count, as if newly made. */
void adam_vector_reset(nn_adam_vector *a);
void adam_vector_free(nn_adam_vector *a);

#endif
