/* test_depth_activations.c - the claims of the chapter on depth and activations, checked
 * on the library's own kernels and models:
 *   - the derivative ranges the chapter derives: ReLU' in {0, 1}, tanh' in (0, 1] with its
 *     maximum at 0, sigmoid' in (0, 1/4] with its maximum at 0, and LeCun's
 *     f(x) = 1.7159 tanh(2x/3) + 0.01x with f' in (0.01, 1.7159 * 2/3 + 0.01];
 *   - LeCun's activation and its derivative against central finite differences over a wide
 *     grid, including the saturated tails where only the linear term is left;
 *   - LeCun's design points (f(+-1) close to +-1, odd symmetry);
 *   - the vanishing gradient itself: in an untrained 40-layer, 32-unit sigmoid network with
 *     Glorot-uniform weights (the chapter's set-up) the first layer's largest weight gradient
 *     is many orders of magnitude below the output layer's, while a tanh network of the same
 *     shape keeps them within one order of magnitude. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "lab/experiment.h"
#include "nn/layers.h"
#include "nn/model.h"

#define LECUN_MAX_SLOPE (1.7159 * 2.0 / 3.0 + 0.01)

enum { GRID = 40001 }; /* x from -20 to 20 in steps of 1e-3; includes x = 0 exactly */

static float grid_x(int i) { return (float)((i - GRID / 2) * 1e-3); }

/* f'(x) over the grid as the library computes it: the backward pass with dy = 1. */
static void slopes(nn_activation kind, float *x, float *d) {
    static float y[GRID], ones[GRID];
    for (int i = 0; i < GRID; i++) {
        x[i] = grid_x(i);
        ones[i] = 1;
    }
    activation_forward(kind, y, x, 1, GRID);
    activation_backward(kind, d, ones, x, y, 1, GRID);
}

typedef struct range {
    double lo, hi;
    float argmax;
} range;

static range slope_range(nn_activation kind) {
    static float x[GRID], d[GRID];
    slopes(kind, x, d);
    range r = {INFINITY, -INFINITY, 0};
    for (int i = 0; i < GRID; i++) {
        if (d[i] < r.lo) r.lo = d[i];
        if (d[i] > r.hi) r.hi = d[i], r.argmax = x[i];
    }
    return r;
}

Test(depth_activations, relu_slope_is_zero_or_one) {
    static float x[GRID], d[GRID];
    slopes(NN_RELU, x, d);
    for (int i = 0; i < GRID; i++)
        cr_assert(d[i] == (x[i] > 0 ? 1.0f : 0.0f), "relu'(%g) = %g", (double)x[i], (double)d[i]);
}

Test(depth_activations, tanh_slope_in_zero_one_with_max_at_zero) {
    range r = slope_range(NN_TANH);
    cr_assert(r.lo >= 0 && r.lo < 1e-6, "min tanh' %g", r.lo); /* (0, 1]: -> 0 in the tails */
    cr_assert_float_eq(r.hi, 1.0, 1e-7);
    cr_assert_eq(r.argmax, 0.0f);
}

Test(depth_activations, sigmoid_slope_at_most_a_quarter) {
    range r = slope_range(NN_SIGMOID);
    cr_assert(r.lo >= 0 && r.lo < 1e-6, "min sigmoid' %g", r.lo);
    cr_assert_float_eq(r.hi, 0.25, 1e-7);
    cr_assert_eq(r.argmax, 0.0f);
}

/* The chapter's bound on 40 layers: back-propagated through 40 sigmoids by the library's own
 * backward, a gradient shrinks at least by (1/4)^40 < 1e-24, whatever the input; at every
 * input it is the product of the local slopes, computed here in double from the forward
 * values. */
Test(depth_activations, forty_sigmoids_shrink_a_gradient_by_the_product_of_their_slopes) {
    enum { N = 257, DEPTH = 40 };
    static float h[DEPTH + 1][N], d[N];
    double want[N];
    for (int i = 0; i < N; i++) {
        h[0][i] = (float)((i - N / 2) * 0.05); /* -6.4 .. 6.4, includes 0 */
        d[i] = 1;
        want[i] = 1;
    }
    for (int k = 0; k < DEPTH; k++) activation_forward(NN_SIGMOID, h[k + 1], h[k], 1, N);
    for (int k = DEPTH - 1; k >= 0; k--) {
        activation_backward(NN_SIGMOID, d, d, h[k], h[k + 1], 1, N);
        for (int i = 0; i < N; i++) want[i] *= (double)h[k + 1][i] * (1 - (double)h[k + 1][i]);
    }
    for (int i = 0; i < N; i++) {
        cr_assert(d[i] > 0 && d[i] <= pow(0.25, DEPTH) * (1 + 1e-5), "x = %g: gradient %g",
                  (double)h[0][i], (double)d[i]);
        cr_assert(fabs(d[i] - want[i]) <= 1e-4 * want[i], "x = %g: %g, product of slopes %g",
                  (double)h[0][i], (double)d[i], want[i]);
    }
}

Test(depth_activations, lecun_slope_between_linear_term_and_peak) {
    range r = slope_range(NN_LECUN_TANH);
    cr_assert(r.lo >= 0.01 - 1e-7, "min LeCun' %g below 0.01", r.lo);
    cr_assert(r.lo < 0.01 + 1e-6, "min LeCun' %g: the tails should reach 0.01", r.lo);
    cr_assert_float_eq(r.hi, LECUN_MAX_SLOPE, 1e-6);
    cr_assert_eq(r.argmax, 0.0f);
    /* At the design points +-1 the slope is 1.7159 (2/3) (1 - tanh^2(2/3)) + 0.01, about
     * 0.7718: the library's backward, not the constant, is what is checked. */
    float x[2] = {1, -1}, y[2], ones[2] = {1, 1}, d[2];
    activation_forward(NN_LECUN_TANH, y, x, 1, 2);
    activation_backward(NN_LECUN_TANH, d, ones, x, y, 1, 2);
    double t = tanh(2.0 / 3.0), want = 1.7159 * 2.0 / 3.0 * (1 - t * t) + 0.01;
    cr_assert_float_eq(d[0], want, 1e-6, "f'(1) = %g, want %g", (double)d[0], want);
    cr_assert_float_eq(d[1], want, 1e-6, "f' is even");
}

/* Central differences of the float forward pass, in steps of h = 1e-2: the truncation
 * error is h^2 f'''/6 (below 1e-4 here) and the rounding error about 1e-7 * |f| / h. */
Test(depth_activations, lecun_slope_matches_finite_differences_of_forward) {
    static float x[GRID], d[GRID];
    slopes(NN_LECUN_TANH, x, d);
    const float h = 1e-2f;
    double worst = 0;
    for (int i = 0; i < GRID; i += 7) {
        float xs[2] = {x[i] + h, x[i] - h}, ys[2];
        activation_forward(NN_LECUN_TANH, ys, xs, 1, 2);
        double fd = ((double)ys[0] - ys[1]) / ((double)xs[0] - xs[1]);
        double e = fabs(fd - d[i]);
        if (e > worst) worst = e;
    }
    cr_assert(worst < 5e-4, "LeCun' differs from finite differences by %g", worst);
}

Test(depth_activations, lecun_design_points) {
    float x[4] = {1, -1, 0, 10}, y[4];
    activation_forward(NN_LECUN_TANH, y, x, 1, 4);
    /* LeCun chose 1.7159 so that f(1) = 1; the linear term adds 0.01. Checked on the
     * library's output, to the 4 digits of the constant. */
    cr_assert_float_eq(y[0], 1.7159 * tanh(2.0 / 3.0) + 0.01, 1e-6);
    cr_assert_float_eq(y[0], 1.01f, 1e-4, "f(1) = %g", (double)y[0]);
    cr_assert_eq(y[1], -y[0]);
    cr_assert_eq(y[2], 0.0f);
    cr_assert_float_eq(y[3], 1.7159 * tanh(20.0 / 3.0) + 0.1, 1e-5);
}

/* max |dL/dW| of the first and last dense layers of an untrained depth x 32 network on 32
 * random "images" with pixels in [0, 1] and random labels. */
static void first_last_grad(nn_activation act, int depth, uint64_t seed, double *first,
                            double *last) {
    nn_rng rng;
    rng_seed(&rng, seed);
    nn_model *m = nn_model_new(1, 28, 28, NULL);
    for (int k = 0; k < depth; k++) {
        nn_add_dense(m, 32);
        nn_add_activation(m, act);
    }
    nn_add_dense(m, 10);
    cr_assert_eq(nn_model_build(m, 32, NULL), 0);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    float *x = malloc(sizeof(float) * 32 * 784);
    uint8_t y[32];
    for (int i = 0; i < 32 * 784; i++) x[i] = rng_uniform(&rng);
    for (int i = 0; i < 32; i++) y[i] = (uint8_t)rng_below(&rng, 10);
    cr_assert_eq(experiment_probe_gradients(m, x, y, 32, NULL, NULL), 0);
    nn_grad_stats s;
    cr_assert_eq(nn_layer_grad_stats(m, 0, &s), 0);
    *first = s.w_max_abs;
    cr_assert_eq(nn_layer_grad_stats(m, nn_layer_count(m) - 1, &s), 0);
    *last = s.w_max_abs;
    free(x);
    nn_model_free(m);
}

Test(depth_activations, sigmoid_gradient_vanishes_through_40_layers_tanh_does_not) {
    for (uint64_t seed = 1; seed <= 3; seed++) {
        double f, l;
        first_last_grad(NN_SIGMOID, 40, seed, &f, &l);
        cr_assert(l > 0 && f / l < 1e-12, "sigmoid seed %d: first/last = %g", (int)seed, f / l);
        first_last_grad(NN_TANH, 40, seed, &f, &l);
        cr_assert(f / l > 0.1 && f / l < 10, "tanh seed %d: first/last = %g", (int)seed, f / l);
    }
}
