/* init.h - weight initialisers as plain functions over a float array.
 *
 * The model (model.h) calls these per layer with the layer's fan-in and fan-out; they are
 * separate so conv layers and tests can use them directly. Draws come from the given
 * generator in array order, so a seed fixes every value. */
#ifndef NN_INIT_H
#define NN_INIT_H

#include <stddef.h>

#include "base/rng.h"

/* Glorot & Bengio (2010), "uniform" variant, Keras' default: U(-a, a) with
 * a = sqrt(6 / (fan_in + fan_out)), so that Var = 2 / (fan_in + fan_out). */
void init_glorot_uniform(float *w, size_t len, int fan_in, int fan_out, nn_rng *rng);
/* He et al. (2015): N(0, std^2) with std = sqrt(2 / fan_in), keeping the variance of ReLU
 * activations constant through depth. Untruncated (PyTorch's kaiming_normal_; Keras'
 * he_normal truncates at 2 std and rescales). */
void init_he_normal(float *w, size_t len, int fan_in, nn_rng *rng);
/* LeCun et al. (1998, "Efficient BackProp", section 4.6): N(0, std^2) with
 * std = sqrt(1 / fan_in), so that inputs of unit variance give pre-activations of unit
 * variance: the forward-direction choice for tanh-like activations (Glorot's averages fan-in
 * and fan-out instead). Untruncated. */
void init_lecun_normal(float *w, size_t len, int fan_in, nn_rng *rng);

#endif
