/* test_unit_stats.c - the chapter's measurements of hidden units and weight matrices:
 *   - "flat" as a threshold on z agrees with the definition (slope below 1% of the largest)
 *     computed by the library's own backward, for every activation the chapter trains;
 *   - a layer pushed into its tails (or a dead ReLU layer) counts as stuck, a layer at the
 *     origin does not, and the sigmoid's mean output is read from the layer;
 *   - the spectral norm and the typical gain of known matrices, and of a 32 x 32 Glorot
 *     matrix (the chapter's bound: about 2, against a typical gain of about 1). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "nn/layers.h"
#include "nn/model.h"
#include "unit_stats.h"
#include "weight_norms.h"

static const nn_activation KINDS[] = {NN_RELU,        NN_TANH,        NN_SIGMOID,
                                      NN_LECUN_TANH,  NN_TANH_LINEAR, NN_SCALED_TANH};

Test(unit_stats, flat_rule_matches_the_slope_definition) {
    for (size_t k = 0; k < sizeof KINDS / sizeof KINDS[0]; k++) {
        nn_activation act = KINDS[k];
        unit_rule r = unit_flat_rule(act);
        const float limit = (float)(0.01 * unit_max_slope(act));
        int mismatches = 0;
        for (int i = -20000; i <= 20000; i++) {
            float z = i * 1e-3f, y, one = 1, d;
            activation_forward(act, &y, &z, 1, 1);
            activation_backward(act, &d, &one, &z, &y, 1, 1);
            int by_slope = d < limit;
            /* Right at the threshold the two may round differently. */
            if (by_slope != unit_is_flat(&r, z) && fabsf(fabsf(z) - r.z_flat) > 1e-3f) mismatches++;
        }
        cr_assert_eq(mismatches, 0, "%s: %d values disagree (threshold %g)", activation_name(act),
                     mismatches, (double)r.z_flat);
    }
    /* The thresholds themselves, from the slopes: tanh' = 0.01 at atanh(sqrt(0.99)) = 2.99. */
    unit_rule t = unit_flat_rule(NN_TANH);
    cr_assert_float_eq(t.z_flat, atanh(sqrt(0.99)), 2e-3, "tanh threshold %g", (double)t.z_flat);
    unit_rule s = unit_flat_rule(NN_SIGMOID);
    cr_assert_float_eq(s.z_flat, 2 * acosh(sqrt(1 / 0.01)), 2e-3, "sigmoid threshold %g",
                       (double)s.z_flat);
    cr_assert(unit_flat_rule(NN_RELU).relu);
}

/* A model of two hidden layers of 4 units on 3 inputs; weights 0, biases given per layer,
 * so every sample puts a layer's units at exactly its bias. */
static nn_model *two_layers(nn_activation act, float bias1, float bias2) {
    nn_model *m = nn_model_new(3, 1, 1, NULL);
    for (int k = 0; k < 2; k++) {
        nn_add_dense(m, 4);
        nn_add_activation(m, act);
    }
    nn_add_dense(m, 2);
    cr_assert_eq(nn_model_build(m, 5, NULL), 0);
    size_t len;
    float *b = nn_layer_bias(m, 0, &len);
    for (size_t i = 0; i < len; i++) b[i] = bias1;
    b = nn_layer_bias(m, 2, &len);
    for (size_t i = 0; i < len; i++) b[i] = bias2;
    /* Distinct units in layer 1: unit 0 gets its input's first value, so it varies. */
    float *w = nn_layer_weights(m, 0, &len);
    w[0] = 1;
    return m;
}

Test(unit_stats, stuck_flat_and_mean_of_layers) {
    float x[15] = {0.1f, 0.5f, 0.9f, -0.2f, 0, 1, 0.3f, 0.3f, 0.3f, 0.7f, 0.1f, 0, 0.2f, 0.4f, 0.6f};
    /* ReLU: layer 2 all dead (bias -1), layer 1 all active except unit 0 where x0 <= 0. */
    nn_model *m = two_layers(NN_RELU, 0.5f, -1.0f);
    nn_forward(m, x, 5, 0);
    unit_rule r = unit_flat_rule(NN_RELU);
    layer_units l1 = unit_stats_layer(m, 0, &r, 5, 4), l2 = unit_stats_layer(m, 1, &r, 5, 4);
    cr_assert_eq(l2.stuck, 1.0);
    cr_assert_eq(l2.flat, 1.0);
    cr_assert_eq(l2.mean, 0.0);
    cr_assert_eq(l1.stuck, 0.0, "no unit of layer 1 is flat for every sample");
    cr_assert_float_eq(l1.flat, 0.0, 1e-12, "x0 + 0.5 > 0 for every sample: %g", l1.flat);
    network_units n = unit_stats_network(m, 2, &r, 5, 4);
    cr_assert_eq(n.stuck_max, 1.0);
    cr_assert_eq(n.stuck_max_layer, 1);
    cr_assert_float_eq(n.stuck, 0.5, 1e-12);
    nn_model_free(m);

    /* Sigmoid: layer 1 deep in the upper tail (z = 10, h ~ 1), layer 2 at the origin
     * (its input is ~1 times weight 0, plus bias 0: z = 0, h = 1/2). */
    m = two_layers(NN_SIGMOID, 10.0f, 0.0f);
    float *w = nn_layer_weights(m, 0, &(size_t){0});
    w[0] = 0;
    nn_forward(m, x, 5, 0);
    r = unit_flat_rule(NN_SIGMOID);
    l1 = unit_stats_layer(m, 0, &r, 5, 4);
    l2 = unit_stats_layer(m, 1, &r, 5, 4);
    cr_assert_eq(l1.stuck, 1.0, "sigmoid(10) has slope 4.5e-5, below 0.0025");
    cr_assert_float_eq(l1.mean, 1.0 / (1.0 + exp(-10.0)), 1e-6);
    cr_assert_eq(l2.flat, 0.0);
    cr_assert_float_eq(l2.mean, 0.5, 1e-7);
    nn_model_free(m);
}

Test(weight_norms, known_matrices) {
    /* diag(3, 2, 1) padded to 3 x 4: singular values 3, 2, 1. */
    float d[12] = {3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0};
    cr_assert_float_eq(spectral_norm(d, 3, 4), 3.0, 1e-9);
    cr_assert_float_eq(rms_gain(d, 3, 4), sqrt(14.0 / 4), 1e-9);
    /* A rank-one matrix u v^T: its one singular value is |u| |v|. */
    float u[3] = {1, -2, 2}, v[2] = {3, 4}, r1[6];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) r1[i * 2 + j] = u[i] * v[j];
    cr_assert_float_eq(spectral_norm(r1, 3, 2), 15.0, 1e-9);
    /* A permutation stretches nothing. */
    float p[9] = {0, 1, 0, 0, 0, 1, 1, 0, 0};
    cr_assert_float_eq(spectral_norm(p, 3, 3), 1.0, 1e-9);
    cr_assert_float_eq(rms_gain(p, 3, 3), 1.0, 1e-9);
}

/* ||W x|| / ||x|| over random x never exceeds the spectral norm and comes close to it. */
Test(weight_norms, glorot_32_by_32) {
    nn_model *m = nn_model_new(32, 1, 1, NULL);
    nn_add_dense(m, 32);
    cr_assert_eq(nn_model_build(m, 1, NULL), 0);
    nn_rng rng;
    rng_seed(&rng, 7);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    const float *w = nn_layer_weights(m, 0, &(size_t){0});
    double s = spectral_norm(w, 32, 32), best = 0;
    for (int t = 0; t < 20000; t++) {
        double x[32], nx = 0, nwx = 0;
        for (int j = 0; j < 32; j++) x[j] = rng_uniform(&rng) - 0.5, nx += x[j] * x[j];
        for (int i = 0; i < 32; i++) {
            double r = 0;
            for (int j = 0; j < 32; j++) r += w[i * 32 + j] * x[j];
            nwx += r * r;
        }
        double ratio = sqrt(nwx / nx);
        cr_assert(ratio <= s * (1 + 1e-9), "a vector stretched by %g > %g", ratio, s);
        if (ratio > best) best = ratio;
    }
    cr_assert(best > 0.6 * s, "random vectors reach only %g of %g", best, s);
    /* The chapter's numbers: spectral norm about 2 (the edge 2 sqrt(32 var) of random
     * matrix theory, var = 1/32), typical gain about 1. */
    cr_assert(s > 1.6 && s < 2.3, "spectral norm %g", s);
    double g = rms_gain(w, 32, 32);
    cr_assert(g > 0.9 && g < 1.1, "typical gain %g", g);
    nn_model_free(m);
}
