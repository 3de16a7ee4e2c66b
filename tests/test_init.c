/* test_init.c - Glorot-uniform and He-normal: bounds, spread, zero biases, determinism. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/init.h"
#include "nn/model.h"

static nn_model *mlp(int in, int hidden, int out) {
    nn_model *m = nn_model_new(in, 1, 1, NULL);
    nn_add_dense(m, hidden);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, out);
    cr_assert_eq(nn_model_build(m, 1, NULL), 0);
    return m;
}

static void moments(const float *w, size_t n, double *mean, double *var, double *max_abs) {
    double s = 0, s2 = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        s += w[i];
        s2 += (double)w[i] * w[i];
        mx = fmax(mx, fabs(w[i]));
    }
    *mean = s / n;
    *var = s2 / n - *mean * *mean;
    *max_abs = mx;
}

Test(init, glorot_uniform_bounds_and_variance) {
    nn_model *m = mlp(784, 300, 10);
    size_t len;
    float *b = nn_layer_bias(m, 0, &len);
    for (size_t i = 0; i < len; i++) b[i] = 1; /* init must reset biases to zero */
    nn_rng rng;
    rng_seed(&rng, 1);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    const double a = sqrt(6.0 / (784 + 300));
    float *w = nn_layer_weights(m, 0, &len);
    cr_assert_eq(len, 784 * 300);
    double mean, var, mx;
    moments(w, len, &mean, &var, &mx);
    cr_assert(mx <= a, "max %g above bound %g", mx, a);
    cr_assert(mx > 0.999 * a, "max %g does not reach the bound %g", mx, a);
    cr_assert(fabs(mean) < 0.01 * a, "mean %g", mean);
    cr_assert(fabs(var / (a * a / 3) - 1) < 0.01, "var %g want %g", var, a * a / 3);
    /* The second layer has its own fan: sqrt(6 / 310). */
    w = nn_layer_weights(m, 2, &len);
    moments(w, len, &mean, &var, &mx);
    cr_assert(mx <= sqrt(6.0 / 310) && mx > 0.9 * sqrt(6.0 / 310));
    b = nn_layer_bias(m, 0, &len);
    for (size_t i = 0; i < len; i++) cr_assert(b[i] == 0.0f);
    nn_model_free(m);
}

Test(init, he_normal_std) {
    nn_model *m = mlp(500, 400, 10);
    nn_rng rng;
    rng_seed(&rng, 2);
    nn_model_init(m, NN_INIT_HE_NORMAL, &rng);
    size_t len;
    float *w = nn_layer_weights(m, 0, &len);
    double mean, var, mx;
    moments(w, len, &mean, &var, &mx);
    const double std = sqrt(2.0 / 500);
    cr_assert(fabs(mean) < 0.01 * std, "mean %g", mean);
    cr_assert(fabs(sqrt(var) / std - 1) < 0.01, "std %g want %g", sqrt(var), std);
    /* Untruncated: with 200k draws some exceed 4 std. */
    cr_assert(mx > 4 * std, "max %g: looks truncated", mx);
    float *b = nn_layer_bias(m, 2, &len);
    for (size_t i = 0; i < len; i++) cr_assert(b[i] == 0.0f);
    nn_model_free(m);
}

/* Each layer by its own fan-in: 1/500 for the first, 1/400 for the second. */
Test(init, lecun_normal_std_per_layer) {
    nn_model *m = mlp(500, 400, 10);
    nn_rng rng;
    rng_seed(&rng, 3);
    nn_model_init(m, NN_INIT_LECUN_NORMAL, &rng);
    const int fan_in[2] = {500, 400};
    for (int k = 0; k < 2; k++) {
        size_t len;
        float *w = nn_layer_weights(m, 2 * k, &len);
        double mean, var, mx;
        moments(w, len, &mean, &var, &mx);
        const double std = sqrt(1.0 / fan_in[k]);
        cr_assert(fabs(mean) < 0.02 * std, "layer %d mean %g", k, mean);
        cr_assert(fabs(sqrt(var) / std - 1) < 0.02, "layer %d std %g want %g", k, sqrt(var), std);
        if (k == 0) cr_assert(mx > 4 * std, "max %g: looks truncated (200k draws)", mx);
    }
    nn_model_free(m);
}

Test(init, same_seed_same_weights_different_seed_different) {
    nn_model *a = mlp(20, 10, 3), *b = mlp(20, 10, 3);
    nn_rng r1, r2;
    rng_seed(&r1, 77);
    rng_seed(&r2, 77);
    nn_model_init(a, NN_INIT_HE_NORMAL, &r1);
    nn_model_init(b, NN_INIT_HE_NORMAL, &r2);
    size_t n = nn_param_count(a);
    cr_assert_arr_eq(nn_params(a), nn_params(b), n * sizeof(float));
    rng_seed(&r2, 78);
    nn_model_init(b, NN_INIT_HE_NORMAL, &r2);
    cr_assert(memcmp(nn_params(a), nn_params(b), n * sizeof(float)) != 0);
    nn_model_free(a);
    nn_model_free(b);
}
