/* test_model.c - the model API: shapes, layout, misuse, end-to-end gradients through a
 * whole MLP against a double-precision reference, frozen layers, gradient statistics. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "nn/model.h"

/* A net described as data, so the test can build it through the API and also evaluate an
 * independent double-precision reference of it. units > 0: dense; else activation `act`. */
typedef struct {
    int units;
    nn_activation act;
} spec;

static nn_model *build(const spec *s, int count, int c, int h, int w, int max_batch) {
    nn_err err = {{0}};
    nn_model *m = nn_model_new(c, h, w, &err);
    cr_assert_not_null(m, "%s", err.msg);
    for (int i = 0; i < count; i++) {
        if (s[i].units > 0) nn_add_dense(m, s[i].units);
        else nn_add_activation(m, s[i].act);
    }
    cr_assert_eq(nn_model_build(m, max_batch, &err), 0, "%s", err.msg);
    return m;
}

enum { MAXD = 16, MAXN = 4 };

/* Reference forward of the whole net in double, reading parameters in the documented layout
 * (each dense: weights out x in row-major, then biases); returns the output width. */
static int ref_forward(const spec *s, int count, const double *p, const double *x, int n,
                       int in, double *out) {
    double a[MAXN * MAXD], b[MAXN * MAXD];
    memcpy(a, x, sizeof(double) * n * in);
    size_t off = 0;
    int d = in;
    for (int l = 0; l < count; l++) {
        if (s[l].units > 0) {
            int o = s[l].units;
            const double *w = p + off, *bias = p + off + (size_t)o * d;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < o; j++) {
                    double v = bias[j];
                    for (int k = 0; k < d; k++) v += w[j * d + k] * a[i * d + k];
                    b[i * o + j] = v;
                }
            off += (size_t)o * d + o;
            d = o;
        } else {
            for (int i = 0; i < n; i++) {
                double *r = a + i * d, *y = b + i * d;
                if (s[l].act == NN_SOFTMAX) {
                    double mx = r[0], sum = 0;
                    for (int j = 1; j < d; j++) mx = fmax(mx, r[j]);
                    for (int j = 0; j < d; j++) sum += exp(r[j] - mx);
                    for (int j = 0; j < d; j++) y[j] = exp(r[j] - mx) / sum;
                    continue;
                }
                for (int j = 0; j < d; j++) {
                    double v = r[j];
                    switch (s[l].act) {
                    case NN_RELU: y[j] = v > 0 ? v : 0; break;
                    case NN_TANH: y[j] = tanh(v); break;
                    case NN_SIGMOID: y[j] = 1 / (1 + exp(-v)); break;
                    case NN_LECUN_TANH: y[j] = 1.7159 * tanh(2 * v / 3) + 0.01 * v; break;
                    case NN_TANH_LINEAR: y[j] = tanh(v) + 0.01 * v; break;
                    case NN_SCALED_TANH: y[j] = 1.7159 * tanh(2 * v / 3); break;
                    default: break;
                    }
                }
            }
        }
        memcpy(a, b, sizeof(double) * n * d);
    }
    memcpy(out, a, sizeof(double) * n * d);
    return d;
}

/* Loss of the reference: softmax cross-entropy (targets == NULL) or MSE against targets. */
static double ref_loss(const spec *s, int count, const double *p, const double *x, int n,
                       int in, const uint8_t *labels, const float *targets) {
    double out[MAXN * MAXD], l = 0;
    int d = ref_forward(s, count, p, x, n, in, out);
    for (int i = 0; i < n; i++) {
        double *r = out + i * d;
        if (targets) {
            for (int j = 0; j < d; j++) l += (r[j] - targets[i * d + j]) * (r[j] - targets[i * d + j]);
        } else {
            double mx = r[0], sum = 0;
            for (int j = 1; j < d; j++) mx = fmax(mx, r[j]);
            for (int j = 0; j < d; j++) sum += exp(r[j] - mx);
            l += mx + log(sum) - r[labels[i]];
        }
    }
    return targets ? l / (n * d) : l / n;
}

/* Checks nn_backward's parameter and input gradients against central differences of the
 * double reference. */
static void check_net(const spec *s, int count, int c, int h, int w, int use_mse, uint64_t seed) {
    const int n = 3;
    nn_model *m = build(s, count, c, h, w, MAXN);
    nn_rng rng;
    rng_seed(&rng, seed);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    /* Non-zero biases so that their role is exercised too. */
    for (int l = 0; l < nn_layer_count(m); l++) {
        size_t len;
        float *b = nn_layer_bias(m, l, &len);
        if (b) fill_uniform(&rng, b, len, -0.5f, 0.5f);
    }
    const int in = nn_input_size(m), outd = nn_output_size(m);
    float x[MAXN * MAXD], targets[MAXN * MAXD];
    uint8_t labels[MAXN];
    fill_uniform(&rng, x, (size_t)n * in, -1, 1);
    fill_uniform(&rng, targets, (size_t)n * outd, 0, 1);
    for (int i = 0; i < n; i++) labels[i] = (uint8_t)rng_below(&rng, outd);

    const float *y = nn_forward(m, x, n, 1);
    cr_assert_not_null(y);
    float *d = nn_output_grad_buffer(m);
    if (use_mse) mse_loss(y, targets, n, outd, d);
    else softmax_xent(y, labels, n, outd, d);
    cr_assert_eq(nn_backward(m, d, n), 0);

    size_t np = nn_param_count(m);
    double *p = malloc(np * sizeof *p), *g = malloc(np * sizeof *g);
    for (size_t i = 0; i < np; i++) p[i] = nn_params(m)[i];
    double xd[MAXN * MAXD], gx[MAXN * MAXD];
    for (int i = 0; i < n * in; i++) xd[i] = x[i];

    /* The float forward agrees with the reference. */
    double ref_out[MAXN * MAXD];
    ref_forward(s, count, p, xd, n, in, ref_out);
    double ey = max_rel_err(y, ref_out, (size_t)n * outd, 1e-3);
    cr_assert(ey < 1e-5, "forward rel err %g", ey);

    const float *tg = use_mse ? targets : NULL;
    const double hstep = 1e-6;
    for (size_t j = 0; j < np; j++) {
        double keep = p[j];
        p[j] = keep + hstep;
        double lp = ref_loss(s, count, p, xd, n, in, labels, tg);
        p[j] = keep - hstep;
        double lm = ref_loss(s, count, p, xd, n, in, labels, tg);
        p[j] = keep;
        g[j] = (lp - lm) / (2 * hstep);
    }
    for (int j = 0; j < n * in; j++) {
        double keep = xd[j];
        xd[j] = keep + hstep;
        double lp = ref_loss(s, count, p, xd, n, in, labels, tg);
        xd[j] = keep - hstep;
        double lm = ref_loss(s, count, p, xd, n, in, labels, tg);
        xd[j] = keep;
        gx[j] = (lp - lm) / (2 * hstep);
    }
    double ep = max_rel_err(nn_grads(m), g, np, 1e-4);
    double ex = max_rel_err(nn_input_grad(m), gx, (size_t)n * in, 1e-4);
    cr_assert(ep < 1e-3, "parameter gradient rel err %g", ep);
    cr_assert(ex < 1e-3, "input gradient rel err %g", ex);
    /* And normwise, far tighter: one wrong entry among many shows up above this. */
    cr_assert(norm_rel_err(nn_grads(m), g, np) < 1e-5, "normwise %g", norm_rel_err(nn_grads(m), g, np));
    free(p);
    free(g);
    nn_model_free(m);
}

Test(model, mlp_gradients_all_activations_xent) {
    const spec s[] = {{5, 0}, {0, NN_RELU},        {5, 0}, {0, NN_TANH}, {5, 0},
                      {0, NN_SIGMOID}, {4, 0}, {0, NN_LECUN_TANH}, {3, 0}};
    check_net(s, 9, 2, 3, 1, 0, 31);
}

/* The ablations of LeCun's activation (chapter 01) are accepted by the model and
 * back-propagated like the others. */
Test(model, mlp_gradients_tanh_ablations_xent) {
    const spec s[] = {{5, 0}, {0, NN_TANH_LINEAR}, {4, 0}, {0, NN_SCALED_TANH}, {3, 0}};
    check_net(s, 5, 2, 3, 1, 0, 33);
}

Test(model, mlp_gradients_softmax_layer_mse) {
    const spec s[] = {{6, 0}, {0, NN_TANH}, {4, 0}, {0, NN_SOFTMAX}};
    check_net(s, 4, 5, 1, 1, 1, 32);
}

Test(model, shapes_names_and_layout) {
    const spec s[] = {{5, 0}, {0, NN_TANH}, {3, 0}};
    nn_model *m = build(s, 3, 1, 2, 2, 8);
    cr_assert_eq(nn_input_size(m), 4);
    cr_assert_eq(nn_output_size(m), 3);
    cr_assert_eq(nn_max_batch(m), 8);
    cr_assert_eq(nn_layer_count(m), 3);
    cr_assert_str_eq(nn_layer_name(m, 0), "dense1");
    cr_assert_str_eq(nn_layer_name(m, 1), "tanh1");
    cr_assert_str_eq(nn_layer_name(m, 2), "dense2");
    cr_assert_null(nn_layer_name(m, 3));
    int c, h, w;
    cr_assert_eq(nn_layer_shape(m, 0, &c, &h, &w), 0);
    cr_assert(c == 5 && h == 1 && w == 1);
    cr_assert_eq(nn_param_count(m), 4 * 5 + 5 + 5 * 3 + 3);
    cr_assert_eq(nn_param_span_count(m), 4);
    const size_t offs[4] = {0, 20, 25, 40}, lens[4] = {20, 5, 15, 3};
    const int layers[4] = {0, 0, 2, 2};
    for (int k = 0; k < 4; k++) {
        nn_param_span sp = nn_param_span_at(m, k);
        cr_assert_eq(sp.offset, offs[k]);
        cr_assert_eq(sp.count, lens[k]);
        cr_assert_eq(sp.layer, layers[k]);
        cr_assert_eq(sp.is_bias, k % 2);
        cr_assert_eq(sp.frozen, 0);
    }
    size_t len;
    cr_assert_eq(nn_layer_weights(m, 2, &len), nn_params(m) + 25);
    cr_assert_eq(len, 15);
    cr_assert_null(nn_layer_weights(m, 1, &len));
    cr_assert_eq(len, 0);
    /* Built parameters start at zero; so do gradients. */
    for (size_t i = 0; i < nn_param_count(m); i++)
        cr_assert(nn_params(m)[i] == 0 && nn_grads(m)[i] == 0);
    nn_model_free(m);
}

Test(model, forward_equals_kernels_composed_by_hand) {
    const spec s[] = {{7, 0}, {0, NN_RELU}, {3, 0}};
    nn_model *m = build(s, 3, 10, 1, 1, 4);
    nn_rng rng;
    rng_seed(&rng, 5);
    nn_model_init(m, NN_INIT_HE_NORMAL, &rng);
    float x[40], h1[28], h2[28], y[12];
    fill_uniform(&rng, x, 40, -1, 1);
    size_t len;
    dense_forward(h1, x, nn_layer_weights(m, 0, &len), nn_layer_bias(m, 0, &len), 4, 10, 7);
    activation_forward(NN_RELU, h2, h1, 4, 7);
    dense_forward(y, h2, nn_layer_weights(m, 2, &len), nn_layer_bias(m, 2, &len), 4, 7, 3);
    const float *out = nn_forward(m, x, 4, 0);
    cr_assert_arr_eq(out, y, sizeof y);
    cr_assert_arr_eq(nn_layer_output(m, 1), h2, sizeof h2);
    nn_model_free(m);
}

Test(model, build_reports_problems) {
    nn_err err = {{0}};
    cr_assert_null(nn_model_new(0, 28, 28, &err));
    cr_assert(strstr(err.msg, "shape") != NULL, "%s", err.msg);

    nn_model *m = nn_model_new(4, 1, 1, &err);
    cr_assert_eq(nn_model_build(m, 8, &err), -1);
    cr_assert(strstr(err.msg, "no layers") != NULL, "%s", err.msg);
    nn_model_free(m);

    m = nn_model_new(4, 1, 1, &err);
    nn_add_dense(m, 3);
    nn_add_dense(m, 0); /* recorded, reported at build */
    nn_add_dense(m, 2);
    cr_assert_eq(nn_model_build(m, 8, &err), -1);
    cr_assert(strstr(err.msg, "layer 1") != NULL && strstr(err.msg, "units") != NULL, "%s",
              err.msg);
    nn_model_free(m);

    m = nn_model_new(4, 1, 1, &err);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 0, &err), -1);
    cr_assert(strstr(err.msg, "batch") != NULL, "%s", err.msg);
    nn_model_free(m);
    nn_model_free(NULL);
}

Test(model, misuse_returns_errors_without_side_effects) {
    const spec s[] = {{3, 0}};
    nn_model *unbuilt = nn_model_new(2, 1, 1, NULL);
    float x[10] = {0}, d[6] = {0};
    cr_assert_null(nn_forward(unbuilt, x, 1, 0));
    nn_model_free(unbuilt);

    nn_model *m = build(s, 1, 2, 1, 1, 2);
    cr_assert_eq(nn_backward(m, d, 1), -1, "backward before any forward");
    cr_assert_null(nn_forward(m, x, 3, 0), "batch above max_batch");
    cr_assert_null(nn_forward(m, x, 0, 0));
    cr_assert_not_null(nn_forward(m, x, 2, 0));
    cr_assert_eq(nn_backward(m, d, 1), -1, "n differs from the forward's");
    cr_assert_eq(nn_backward(m, d, 2), 0);
    cr_assert_eq(nn_freeze_layer(m, 5, 1), -1);
    nn_grad_stats st;
    cr_assert_eq(nn_layer_grad_stats(m, -1, &st), -1);
    nn_model_free(m);
}

Test(model, output_grad_buffer_and_copy_agree) {
    const spec s[] = {{4, 0}, {0, NN_TANH}, {3, 0}};
    nn_model *m = build(s, 3, 5, 1, 1, 4);
    nn_rng rng;
    rng_seed(&rng, 8);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    float x[20], d[12];
    const uint8_t y[4] = {0, 1, 2, 1};
    fill_uniform(&rng, x, 20, -1, 1);
    softmax_xent(nn_forward(m, x, 4, 1), y, 4, 3, d);
    nn_backward(m, d, 4);
    size_t np = nn_param_count(m);
    float *g1 = malloc(np * sizeof *g1);
    memcpy(g1, nn_grads(m), np * sizeof *g1);
    softmax_xent(nn_forward(m, x, 4, 1), y, 4, 3, nn_output_grad_buffer(m));
    nn_backward(m, nn_output_grad_buffer(m), 4);
    cr_assert_arr_eq(nn_grads(m), g1, np * sizeof *g1);
    free(g1);
    nn_model_free(m);
}

Test(model, frozen_layer_gets_no_gradient_and_backward_stops_early) {
    const spec s[] = {{4, 0}, {0, NN_TANH}, {3, 0}};
    nn_model *m = build(s, 3, 5, 1, 1, 4);
    nn_rng rng;
    rng_seed(&rng, 9);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    float x[20];
    const uint8_t y[4] = {0, 1, 2, 1};
    fill_uniform(&rng, x, 20, -1, 1);
    softmax_xent(nn_forward(m, x, 4, 1), y, 4, 3, nn_output_grad_buffer(m));
    nn_backward(m, nn_output_grad_buffer(m), 4);
    size_t np = nn_param_count(m);
    float *g1 = malloc(np * sizeof *g1);
    memcpy(g1, nn_grads(m), np * sizeof *g1);

    cr_assert_eq(nn_freeze_layer(m, 0, 1), 0);
    cr_assert_eq(nn_layer_frozen(m, 0), 1);
    cr_assert_eq(nn_param_span_at(m, 0).frozen, 1);
    cr_assert_eq(nn_param_span_at(m, 1).frozen, 1);
    cr_assert_eq(nn_param_span_at(m, 2).frozen, 0);
    nn_set_input_grad(m, 0);
    softmax_xent(nn_forward(m, x, 4, 1), y, 4, 3, nn_output_grad_buffer(m));
    nn_backward(m, nn_output_grad_buffer(m), 4);
    /* Layer 0 owns 5*4 weights and 4 biases: params [0, 24). */
    for (size_t i = 0; i < 24; i++) cr_assert(nn_grads(m)[i] == 0.0f, "frozen grad %zu", i);
    cr_assert_arr_eq(nn_grads(m) + 24, g1 + 24, (np - 24) * sizeof *g1);
    cr_assert_null(nn_input_grad(m));
    /* Nothing below dense2 needs a gradient (tanh1 has no parameters, dense1 is frozen, the
     * input gradient is off), so dense2 skips its dx product: the output gradients of
     * layers 0 and 1 are not computed, and their statistics say so with zeros. */
    nn_grad_stats st;
    nn_layer_grad_stats(m, 0, &st);
    cr_assert(st.has_params && st.w_l2 == 0 && st.act_l2 == 0);
    nn_layer_grad_stats(m, 1, &st);
    cr_assert(!st.has_params && st.act_l2 == 0);
    nn_layer_grad_stats(m, 2, &st);
    cr_assert(st.w_l2 > 0 && st.act_l2 > 0);
    /* Turning the input gradient back on makes the whole chain flow again. */
    nn_set_input_grad(m, 1);
    nn_backward(m, nn_output_grad_buffer(m), 4);
    nn_layer_grad_stats(m, 0, &st);
    cr_assert(st.w_l2 == 0 && st.act_l2 > 0);
    cr_assert_not_null(nn_input_grad(m));
    free(g1);
    nn_model_free(m);
}

Test(model, grad_stats_match_the_buffers) {
    const spec s[] = {{4, 0}, {0, NN_TANH}, {3, 0}};
    nn_model *m = build(s, 3, 5, 1, 1, 4);
    nn_rng rng;
    rng_seed(&rng, 10);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    float x[20], d[6];
    const uint8_t y[2] = {0, 2};
    fill_uniform(&rng, x, 20, -1, 1);
    softmax_xent(nn_forward(m, x, 2, 1), y, 2, 3, d);
    nn_backward(m, d, 2);
    nn_grad_stats st;
    /* Layer 2 (dense2): weights are grads[24, 36) (after 5*4 + 4); its output gradient is d. */
    cr_assert_eq(nn_layer_grad_stats(m, 2, &st), 0);
    double mx = 0, l2 = 0;
    for (int i = 24; i < 36; i++) {
        mx = fmax(mx, fabs(nn_grads(m)[i]));
        l2 += (double)nn_grads(m)[i] * nn_grads(m)[i];
    }
    cr_assert(st.has_params);
    cr_assert_float_eq(st.w_max_abs, mx, 1e-7);
    cr_assert_float_eq(st.w_l2, sqrt(l2), 1e-6);
    mx = 0, l2 = 0;
    for (int i = 0; i < 6; i++) {
        mx = fmax(mx, fabs(d[i]));
        l2 += (double)d[i] * d[i];
    }
    cr_assert_float_eq(st.act_max_abs, mx, 1e-7);
    cr_assert_float_eq(st.act_l2, sqrt(l2), 1e-6);
    nn_layer_grad_stats(m, 1, &st);
    cr_assert(!st.has_params && st.w_l2 == 0 && st.act_l2 > 0);
    nn_model_free(m);
}

/* Sizes a hostile model file can declare: their products overflow an int. Each must be
 * refused with a message, never wrap into a small (or negative) buffer size. */
Test(model, sizes_whose_product_overflows_are_refused) {
    nn_err err = {{0}};
    cr_assert_null(nn_model_new(65536, 65536, 1, &err), "c*h = 2^32 wrapped to 0");
    cr_assert(strstr(err.msg, "too large"), "%s", err.msg);
    cr_assert_null(nn_model_new(2, 32768, 32768, &err));

    nn_model *m = nn_model_new(1, 46341, 46341, &err); /* 2^31 + a little: c*h*w overflows */
    cr_assert_null(m);

    m = nn_model_new(1, 28, 28, &err);
    cr_assert_not_null(m, "%s", err.msg);
    nn_add_conv2d(m, 1 << 20, 3, 1, 1); /* 2^20 channels x 28 x 28: over 2^29 floats a sample */
    cr_assert_eq(nn_model_build(m, 1, &err), -1);
    cr_assert(strstr(err.msg, "too large"), "%s", err.msg);
    nn_model_free(m);

    m = nn_model_new(1, 28, 28, &err);
    nn_add_dense(m, 1 << 30);
    cr_assert_eq(nn_model_build(m, 1, &err), -1);
    cr_assert(strstr(err.msg, "too large"), "%s", err.msg);
    nn_model_free(m);
}
