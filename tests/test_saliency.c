/* test_saliency.c - dL/dx of one image: against central differences, against a double
 * reference for a confident prediction (where float arithmetic would lose it), and the
 * first-order prediction of a step along it. */
#include <criterion/criterion.h>
#include <math.h>

#include "lab/saliency.h"
#include "gradcheck.h"

/* 6 inputs -> 5 tanh -> 3 logits: smooth, so central differences converge cleanly. */
static nn_model *small_net(uint64_t seed) {
    nn_err err;
    nn_model *m = nn_model_new(1, 2, 3, &err);
    nn_add_dense(m, 5);
    nn_add_activation(m, NN_TANH);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 4, &err), 0, "%s", err.msg);
    nn_rng r;
    rng_seed(&r, seed);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &r);
    float *p = nn_params(m);
    for (size_t i = 0; i < nn_param_count(m); i++)
        p[i] *= 2; /* livelier than at init */
    return m;
}

Test(saliency, gradient_matches_central_differences_at_every_pixel) {
    nn_model *m = small_net(1);
    nn_rng r;
    rng_seed(&r, 2);
    float x[6], g[6], work[6];
    for (int label = 0; label < 3; label++) {
        fill_uniform(&r, x, 6, 0, 1);
        double loss;
        cr_assert_eq(saliency_gradient(m, x, label, g, &loss), 0);
        cr_assert_float_eq(loss, saliency_loss(m, x, label), 1e-12);
        double fd[6];
        for (int i = 0; i < 6; i++)
            fd[i] = saliency_finite_difference(m, x, label, i, 1e-2f, work, NULL);
        cr_assert_lt(max_rel_err(g, fd, 6, 1e-3), 2e-3, "label %d", label);
    }
    nn_model_free(m);
}

Test(saliency, a_wrong_gradient_fails_the_same_comparison) {
    nn_model *m = small_net(3);
    float x[6] = {0.1f, 0.9f, 0.4f, 0.3f, 0.7f, 0.2f}, g[6], work[6];
    cr_assert_eq(saliency_gradient(m, x, 1, g, NULL), 0);
    double fd[6];
    for (int i = 0; i < 6; i++)
        fd[i] = saliency_finite_difference(m, x, 1, i, 1e-2f, work, NULL);
    g[2] *= 1.1f; /* a 10% error in one pixel */
    cr_assert_gt(max_rel_err(g, fd, 6, 1e-3), 2e-2);
    nn_model_free(m);
}

/* One dense layer, z = W x + b, with the label's logit 16 above the others: p of every
 * other class is about 1e-7, so the loss (~2e-7) and its gradient exist only through the
 * other classes' probabilities. The reference is computed in double from W. */
Test(saliency, confident_predictions_keep_their_small_loss_and_gradient) {
    nn_err err;
    nn_model *m = nn_model_new(1, 1, 4, &err);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 1, &err), 0, "%s", err.msg);
    float *w = nn_layer_weights(m, 0, &(size_t){0});
    float *b = nn_layer_bias(m, 0, &(size_t){0});
    const float W[3][4] = {{1, -2, 0.5f, 3}, {-1, 4, 2, 0}, {0.25f, 1, -3, 2}};
    for (int o = 0; o < 3; o++) {
        for (int i = 0; i < 4; i++)
            w[o * 4 + i] = W[o][i];
        b[o] = o == 2 ? 16.0f : 0.0f;
    }
    float x[4] = {0.2f, 0.1f, 0.3f, 0.4f}, g[4];
    double z[3];
    for (int o = 0; o < 3; o++) {
        z[o] = b[o];
        for (int i = 0; i < 4; i++)
            z[o] += (double)W[o][i] * x[i];
    }
    double s = exp(z[0] - z[2]) + exp(z[1] - z[2]);
    double want_loss = log1p(s), ref[4] = {0};
    for (int o = 0; o < 2; o++) {
        double p = exp(z[o] - z[2]) / (1 + s);
        for (int i = 0; i < 4; i++)
            ref[i] += p * (W[o][i] - W[2][i]);
    }
    double loss;
    cr_assert_eq(saliency_gradient(m, x, 2, g, &loss), 0);
    cr_assert_lt(want_loss, 1e-6);
    cr_assert_lt(fabs(loss - want_loss) / want_loss, 1e-5, "loss %g, want %g", loss, want_loss);
    cr_assert_lt(max_rel_err(g, ref, 4, 1e-30), 1e-5);
    nn_model_free(m);
}

Test(saliency, xent_from_logits_is_stable_for_huge_logits) {
    const float z[3] = {1000.0f, 0.0f, -1000.0f};
    double d[3];
    cr_assert_float_eq(saliency_xent(z, 3, 0, d), 0.0, 1e-300);
    double l = saliency_xent(z, 3, 1, d);
    cr_assert_float_eq(l, 1000.0, 1e-9);
    cr_assert_float_eq(d[0], 1.0, 1e-12);
    cr_assert_float_eq(d[1], -1.0, 1e-12);
    cr_assert(isfinite(saliency_xent(z, 3, 2, d)));
}

/* A step of t against the gradient changes the loss by -t ||g||^2 to first order: the
 * ratio of measured to predicted change goes to 1 as the step shrinks, linearly in t. */
Test(saliency, small_steps_follow_the_first_order_prediction) {
    nn_model *m = small_net(4);
    float x[6] = {0.5f, 0.2f, 0.8f, 0.6f, 0.1f, 0.3f}, g[6], work[6];
    double loss;
    cr_assert_eq(saliency_gradient(m, x, 0, g, &loss), 0);
    double g2 = 0;
    for (int i = 0; i < 6; i++)
        g2 += (double)g[i] * g[i];
    double ts[2] = {1e-2 / sqrt(g2), 2e-2 / sqrt(g2)}, after[2];
    cr_assert_eq(saliency_step_losses(m, x, 0, g, ts, 2, after, work), 0);
    double e1 = (after[0] - loss) / (-ts[0] * g2) - 1, e2 = (after[1] - loss) / (-ts[1] * g2) - 1;
    cr_assert_lt(fabs(e1), 2e-2, "ratio off by %g", e1);
    cr_assert_lt(fabs(e2 / e1 - 2), 0.2, "the error grows linearly with t: %g vs %g", e2, e1);
    nn_model_free(m);
}

Test(saliency, misuse_returns_errors) {
    nn_model *m = small_net(5);
    float x[6] = {0}, g[6], work[6];
    cr_assert_eq(saliency_gradient(m, x, 3, g, NULL), -1);
    cr_assert(isnan(saliency_loss(m, x, -1)));
    cr_assert(isnan(saliency_finite_difference(m, x, 0, 6, 1e-2f, work, NULL)));
    cr_assert(isnan(saliency_finite_difference(m, x, 0, 0, 0.0f, work, NULL)));
    nn_model_free(m);
}

/* One input, one ReLU unit with its kink at x = 0.5, two logits: z = (relu(x - 0.5), 0).
 * A central difference across the kink averages the two slopes and is reported as such; a
 * step that stays on one side is the derivative. */
Test(saliency, a_kink_between_the_two_points_is_counted) {
    nn_err err;
    nn_model *m = nn_model_new(1, 1, 1, &err);
    nn_add_dense(m, 1);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 2);
    cr_assert_eq(nn_model_build(m, 1, &err), 0, "%s", err.msg);
    nn_layer_weights(m, 0, &(size_t){0})[0] = 1;
    nn_layer_bias(m, 0, &(size_t){0})[0] = -0.5f;
    float *w2 = nn_layer_weights(m, 2, &(size_t){0});
    w2[0] = 4, w2[1] = 0;
    float x[1] = {0.503f}, g[1], work[1];
    cr_assert_eq(saliency_gradient(m, x, 1, g, NULL), 0);
    long kinks = -1;
    double across = saliency_finite_difference(m, x, 1, 0, 1e-2f, work, &kinks);
    cr_assert_eq(kinks, 1);
    cr_assert_gt(fabs(across - g[0]) / fabs(g[0]), 0.2, "across the kink: %g vs %g", across, g[0]);
    double beside = saliency_finite_difference(m, x, 1, 0, 1e-3f, work, &kinks);
    cr_assert_eq(kinks, 0);
    cr_assert_lt(fabs(beside - g[0]) / fabs(g[0]), 1e-3, "one side: %g vs %g", beside, g[0]);
    nn_model_free(m);
}
