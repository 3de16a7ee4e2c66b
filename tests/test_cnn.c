/* test_cnn.c - the new layer kinds inside the model: end-to-end gradients of small CNNs
 * (conv, pools, batch norm, residual, flatten) against a double-precision reference
 * interpreter of the model's own layer descriptions, batch-norm running statistics,
 * dropout in the model, names/spans/build errors, and a CNN trained to 100% on a toy
 * image task. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "nn/metrics.h"
#include "nn/optim.h"

/* ---- a double-precision reference of any model --------------------------------------- */

/* Offsets of each layer's weights and biases in the parameter block. */
static size_t w_offset(nn_model *m, int i) {
    size_t len;
    float *w = nn_layer_weights(m, i, &len);
    return w ? (size_t)(w - nn_params(m)) : 0;
}
static size_t b_offset(nn_model *m, int i) {
    size_t len;
    float *b = nn_layer_bias(m, i, &len);
    return b ? (size_t)(b - nn_params(m)) : 0;
}

/* Runs the model described by m's layers on x (n samples) with parameters p in double;
 * returns the mean softmax cross-entropy against labels and writes the logits to out (if
 * not NULL). Batch norm uses batch statistics when training, else the model's running
 * statistics; dropout is taken as the identity (only used here with training off). */
static double ref_loss(nn_model *m, const double *p, const double *x, int n,
                       const uint8_t *labels, int training, double *out) {
    const int L = nn_layer_count(m);
    double **outs = calloc(L, sizeof *outs);
    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    for (int l = 0; l < L; l++) {
        nn_layer_desc d;
        nn_layer_describe(m, l, &d);
        const double *in = l ? outs[l - 1] : x;
        int oc, oh, ow;
        nn_layer_shape(m, l, &oc, &oh, &ow);
        const int isz = c * h * w, osz = oc * oh * ow;
        double *y = calloc((size_t)n * osz, sizeof *y);
        const double *wt = p + w_offset(m, l), *b = p + b_offset(m, l);
        for (int i = 0; i < n; i++) {
            const double *xi = in + (size_t)i * isz;
            double *yi = y + (size_t)i * osz;
            switch (d.kind) {
            case NN_LAYER_DENSE:
                for (int o = 0; o < osz; o++) {
                    double v = b[o];
                    for (int k = 0; k < isz; k++) v += wt[(size_t)o * isz + k] * xi[k];
                    yi[o] = v;
                }
                break;
            case NN_LAYER_ACTIVATION:
                for (int j = 0; j < osz; j++)
                    yi[j] = d.act == NN_RELU ? (xi[j] > 0 ? xi[j] : 0) : tanh(xi[j]);
                break;
            case NN_LAYER_CONV2D:
                for (int o = 0; o < oc; o++)
                    for (int r = 0; r < oh; r++)
                        for (int q = 0; q < ow; q++) {
                            double v = b[o];
                            for (int ch = 0; ch < c; ch++)
                                for (int u = 0; u < d.kernel; u++)
                                    for (int t = 0; t < d.kernel; t++) {
                                        int ir = r * d.stride - d.pad + u,
                                            ic = q * d.stride - d.pad + t;
                                        if (ir < 0 || ir >= h || ic < 0 || ic >= w) continue;
                                        v += wt[((o * c + ch) * d.kernel + u) * d.kernel + t] *
                                             xi[(ch * h + ir) * w + ic];
                                    }
                            yi[(o * oh + r) * ow + q] = v;
                        }
                break;
            case NN_LAYER_MAXPOOL:
            case NN_LAYER_AVGPOOL:
                for (int ch = 0; ch < c; ch++)
                    for (int r = 0; r < oh; r++)
                        for (int q = 0; q < ow; q++) {
                            double mx = -1e300, s = 0;
                            for (int u = 0; u < d.kernel; u++)
                                for (int t = 0; t < d.kernel; t++) {
                                    double e = xi[(ch * h + r * d.stride + u) * w + q * d.stride + t];
                                    mx = e > mx ? e : mx;
                                    s += e;
                                }
                            yi[(ch * oh + r) * ow + q] =
                                d.kind == NN_LAYER_MAXPOOL ? mx : s / (d.kernel * d.kernel);
                        }
                break;
            case NN_LAYER_GLOBAL_AVGPOOL:
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    for (int j = 0; j < h * w; j++) s += xi[ch * h * w + j];
                    yi[ch] = s / (h * w);
                }
                break;
            case NN_LAYER_RESIDUAL: {
                const double *other = (d.mark < 0 ? x : outs[d.mark]) + (size_t)i * osz;
                for (int j = 0; j < osz; j++) yi[j] = xi[j] + other[j];
                break;
            }
            case NN_LAYER_DROPOUT:
            case NN_LAYER_FLATTEN:
            case NN_LAYER_BATCHNORM: /* below: needs the whole batch */
                memcpy(yi, xi, sizeof(double) * osz);
                break;
            }
        }
        if (d.kind == NN_LAYER_BATCHNORM) {
            const int s = h * w;
            size_t slen;
            const float *st = nn_layer_state(m, l, &slen);
            for (int ch = 0; ch < c; ch++) {
                double mean = st[ch], var = st[c + ch];
                if (training) {
                    double sum = 0, ss = 0;
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < s; j++) sum += in[((size_t)i * c + ch) * s + j];
                    mean = sum / (n * s);
                    for (int i = 0; i < n; i++)
                        for (int j = 0; j < s; j++) {
                            double e = in[((size_t)i * c + ch) * s + j] - mean;
                            ss += e * e;
                        }
                    var = ss / (n * s);
                }
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < s; j++) {
                        size_t at = ((size_t)i * c + ch) * s + j;
                        y[at] = wt[ch] * (in[at] - mean) / sqrt(var + d.eps) + b[ch];
                    }
            }
        }
        outs[l] = y;
        c = oc, h = oh, w = ow;
    }
    const int k = c * h * w;
    double loss = 0;
    for (int i = 0; i < n; i++) {
        const double *z = outs[L - 1] + (size_t)i * k;
        double mx = z[0], s = 0;
        for (int j = 1; j < k; j++) mx = fmax(mx, z[j]);
        for (int j = 0; j < k; j++) s += exp(z[j] - mx);
        loss += mx + log(s) - z[labels[i]];
    }
    if (out) memcpy(out, outs[L - 1], sizeof(double) * n * k);
    for (int l = 0; l < L; l++) free(outs[l]);
    free(outs);
    return loss / n;
}

/* Checks the model's forward output, parameter gradients and input gradient against
 * central differences of the reference, in training mode. */
static void check_model(nn_model *m, int n, uint64_t seed) {
    nn_rng rng;
    rng_seed(&rng, seed);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    /* Non-trivial biases, scales and shifts, so every parameter matters. */
    for (int l = 0; l < nn_layer_count(m); l++) {
        size_t len;
        float *b = nn_layer_bias(m, l, &len);
        if (b) fill_uniform(&rng, b, len, -0.5f, 0.5f);
        nn_layer_desc d;
        nn_layer_describe(m, l, &d);
        if (d.kind == NN_LAYER_BATCHNORM) fill_uniform(&rng, nn_layer_weights(m, l, &len), len, 0.5f, 1.5f);
    }
    const int in = nn_input_size(m), outd = nn_output_size(m);
    float *x = malloc(sizeof(float) * n * in);
    uint8_t labels[16];
    fill_uniform(&rng, x, (size_t)n * in, -1, 1);
    for (int i = 0; i < n; i++) labels[i] = (uint8_t)rng_below(&rng, outd);

    const float *y = nn_forward(m, x, n, 1);
    cr_assert_not_null(y);
    softmax_xent(y, labels, n, outd, nn_output_grad_buffer(m));
    cr_assert_eq(nn_backward(m, nn_output_grad_buffer(m), n), 0);

    const size_t np = nn_param_count(m);
    double *p = malloc(np * sizeof *p), *g = malloc(np * sizeof *g);
    double *xd = malloc(sizeof(double) * n * in), *gx = malloc(sizeof(double) * n * in);
    double *ref_out = malloc(sizeof(double) * n * outd);
    for (size_t j = 0; j < np; j++) p[j] = nn_params(m)[j];
    for (int j = 0; j < n * in; j++) xd[j] = x[j];
    ref_loss(m, p, xd, n, labels, 1, ref_out);
    double ey = max_rel_err(y, ref_out, (size_t)n * outd, 1e-2);
    cr_assert(ey < 1e-4, "forward rel err %g", ey);

    const double h = 1e-6;
    for (size_t j = 0; j < np; j++) {
        double keep = p[j];
        p[j] = keep + h;
        double lp = ref_loss(m, p, xd, n, labels, 1, NULL);
        p[j] = keep - h;
        double lm = ref_loss(m, p, xd, n, labels, 1, NULL);
        p[j] = keep;
        g[j] = (lp - lm) / (2 * h);
    }
    for (int j = 0; j < n * in; j++) {
        double keep = xd[j];
        xd[j] = keep + h;
        double lp = ref_loss(m, p, xd, n, labels, 1, NULL);
        xd[j] = keep - h;
        double lm = ref_loss(m, p, xd, n, labels, 1, NULL);
        xd[j] = keep;
        gx[j] = (lp - lm) / (2 * h);
    }
    double ep = norm_rel_err(nn_grads(m), g, np), ex = norm_rel_err(nn_input_grad(m), gx, (size_t)n * in);
    double mp = max_rel_err(nn_grads(m), g, np, 1e-3);
    double mx = max_rel_err(nn_input_grad(m), gx, (size_t)n * in, 1e-3);
    cr_assert(ep < 1e-4 && mp < 1e-2, "parameter gradient rel err: normwise %g, max %g", ep, mp);
    cr_assert(ex < 1e-4 && mx < 1e-2, "input gradient rel err: normwise %g, max %g", ex, mx);
    /* Layer by layer (normwise), so a wrong small layer is not hidden by a big right one. */
    for (int l = 0; l < nn_layer_count(m); l++) {
        size_t len;
        float *wl = nn_layer_weights(m, l, &len);
        if (!wl) continue;
        size_t off = (size_t)(wl - nn_params(m));
        double e = norm_rel_err(nn_grads(m) + off, g + off, len);
        cr_assert(e < 1e-4, "layer %s weights: rel err %g", nn_layer_name(m, l), e);
    }
    free(x), free(p), free(g), free(xd), free(gx), free(ref_out);
}

static nn_model *new_model(int c, int h, int w) {
    nn_model *m = nn_model_new(c, h, w, NULL);
    cr_assert_not_null(m);
    return m;
}

static void build(nn_model *m, int max_batch) {
    nn_err err = {{0}};
    cr_assert_eq(nn_model_build(m, max_batch, &err), 0, "%s", err.msg);
}

Test(cnn, gradients_conv_relu_maxpool_dense) {
    nn_model *m = new_model(2, 6, 6);
    nn_add_conv2d(m, 3, 3, 1, 1);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_dense(m, 4);
    build(m, 4);
    check_model(m, 3, 1);
    nn_model_free(m);
}

Test(cnn, gradients_batchnorm_and_residual_block) {
    nn_model *m = new_model(2, 5, 5);
    nn_add_conv2d(m, 3, 3, 1, 1);
    nn_add_batchnorm(m);
    nn_add_activation(m, NN_RELU);
    int skip = nn_mark(m);
    nn_add_conv2d(m, 3, 3, 1, 1);
    nn_add_batchnorm(m);
    nn_add_residual(m, skip);
    nn_add_activation(m, NN_RELU);
    nn_add_global_avgpool(m);
    nn_add_dense(m, 3);
    build(m, 4);
    check_model(m, 4, 2);
    nn_model_free(m);
}

Test(cnn, gradients_strided_conv_avgpool_flatten_dense_batchnorm) {
    nn_model *m = new_model(1, 8, 8);
    nn_add_conv2d(m, 2, 3, 2, 1);
    nn_add_activation(m, NN_TANH);
    nn_add_avgpool(m, 2, 2);
    nn_add_flatten(m);
    nn_add_batchnorm(m); /* per feature */
    nn_add_dense(m, 3);
    build(m, 5);
    check_model(m, 5, 3);
    nn_model_free(m);
}

Test(cnn, gradients_residual_from_the_input_and_to_itself) {
    /* The model input feeds two layers (dense1 and residual1), and residual2 adds dense2's
     * output to itself: both need gradient accumulation. */
    nn_model *m = new_model(4, 1, 1);
    nn_add_dense(m, 4);
    nn_add_activation(m, NN_TANH);
    nn_add_residual(m, -1);
    nn_add_dense(m, 4);
    nn_add_residual(m, nn_mark(m));
    nn_add_dense(m, 3);
    build(m, 3);
    check_model(m, 3, 4);
    nn_model_free(m);
}

Test(cnn, frozen_conv_and_batchnorm_get_no_gradient) {
    nn_model *m = new_model(1, 6, 6);
    nn_add_conv2d(m, 2, 3, 1, 0);
    nn_add_batchnorm(m);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 2);
    build(m, 4);
    nn_rng rng;
    rng_seed(&rng, 5);
    nn_model_init(m, NN_INIT_HE_NORMAL, &rng);
    nn_freeze_layer(m, 0, 1);
    nn_freeze_layer(m, 1, 1);
    nn_set_input_grad(m, 0);
    float x[4 * 36];
    const uint8_t y[4] = {0, 1, 1, 0};
    fill_uniform(&rng, x, 4 * 36, -1, 1);
    softmax_xent(nn_forward(m, x, 4, 1), y, 4, 2, nn_output_grad_buffer(m));
    nn_backward(m, nn_output_grad_buffer(m), 4);
    const size_t frozen = 2 * 9 + 2 + 2 + 2;
    for (size_t j = 0; j < frozen; j++) cr_assert(nn_grads(m)[j] == 0, "grad %zu", j);
    nn_grad_stats st;
    nn_layer_grad_stats(m, 3, &st);
    cr_assert(st.w_l2 > 0);
    nn_layer_grad_stats(m, 0, &st);
    cr_assert(st.has_params && st.w_l2 == 0 && st.act_l2 == 0, "backward stopped above conv1");
    nn_model_free(m);
}

Test(cnn, names_shapes_spans_and_state) {
    nn_model *m = new_model(3, 8, 8);
    nn_add_conv2d(m, 4, 3, 1, 1);     /* 0 conv1     4x8x8   params 108 + 4 */
    nn_add_batchnorm(m);              /* 1 bn1                 4 + 4, state 8 */
    nn_add_activation(m, NN_RELU);    /* 2 relu1 */
    nn_add_maxpool(m, 2, 2);          /* 3 maxpool1  4x4x4 */
    int mark = nn_mark(m);
    nn_add_conv2d(m, 4, 3, 1, 1);     /* 4 conv2     4x4x4   144 + 4 */
    nn_add_residual(m, mark);         /* 5 residual1 */
    nn_add_avgpool(m, 2, 2);          /* 6 avgpool1  4x2x2 */
    nn_add_flatten(m);                /* 7 flatten1  16x1x1 */
    nn_add_dropout(m, 0.5f);          /* 8 dropout1 */
    nn_add_dense(m, 5);               /* 9 dense1    80 + 5 */
    nn_add_batchnorm(m);              /* 10 bn2      5 + 5, state 10 */
    nn_add_global_avgpool(m);         /* 11 gap1     5x1x1 */
    build(m, 2);
    cr_assert_eq(mark, 3);
    const char *names[] = {"conv1", "bn1", "relu1", "maxpool1", "conv2", "residual1",
                           "avgpool1", "flatten1", "dropout1", "dense1", "bn2", "gap1"};
    for (int l = 0; l < 12; l++) cr_assert_str_eq(nn_layer_name(m, l), names[l]);
    int c, h, w;
    nn_layer_shape(m, 3, &c, &h, &w);
    cr_assert(c == 4 && h == 4 && w == 4);
    nn_layer_shape(m, 7, &c, &h, &w);
    cr_assert(c == 16 && h == 1 && w == 1);
    cr_assert_eq(nn_param_count(m), 112 + 8 + 148 + 85 + 10);
    cr_assert_eq(nn_state_count(m), 18);
    /* Spans: conv1 w, b; bn1 scale, shift (both exempt from decay); conv2; dense1; bn2. */
    cr_assert_eq(nn_param_span_count(m), 10);
    const int is_bias[10] = {0, 1, 1, 1, 0, 1, 0, 1, 1, 1};
    for (int k = 0; k < 10; k++) cr_assert_eq(nn_param_span_at(m, k).is_bias, is_bias[k], "span %d", k);
    /* Batch norm starts as scale 1, shift 0, running mean 0, variance 1. */
    size_t len;
    float *g = nn_layer_weights(m, 1, &len), *st = nn_layer_state(m, 1, &len);
    cr_assert(g[0] == 1 && g[3] == 1 && nn_layer_bias(m, 1, &len)[0] == 0);
    cr_assert(st[0] == 0 && st[3] == 0 && st[4] == 1 && st[7] == 1);
    cr_assert_eq(st, nn_state(m));
    cr_assert_eq(nn_layer_state(m, 10, &len), nn_state(m) + 8);
    cr_assert_null(nn_layer_state(m, 0, &len));
    nn_layer_desc d;
    nn_layer_describe(m, 0, &d);
    cr_assert(d.kind == NN_LAYER_CONV2D && d.channels == 4 && d.kernel == 3 && d.pad == 1);
    char buf[64];
    nn_layer_desc_format(&d, buf, sizeof buf);
    cr_assert_str_eq(buf, "conv2d(out 4, k 3, stride 1, pad 1)");
    nn_model_free(m);
}

static void expect_build_error(nn_model *m, const char *a, const char *b) {
    nn_err err = {{0}};
    cr_assert_eq(nn_model_build(m, 4, &err), -1);
    cr_assert(strstr(err.msg, a) && strstr(err.msg, b), "%s", err.msg);
    nn_model_free(m);
}

Test(cnn, build_errors) {
    nn_model *m = new_model(1, 8, 8);
    nn_add_conv2d(m, 4, 3, 1, 1);
    int mark = nn_mark(m);
    nn_add_conv2d(m, 8, 3, 1, 1);
    nn_add_residual(m, mark);
    expect_build_error(m, "layer 2: residual", "(4, 8, 8)");

    m = new_model(1, 8, 8);
    nn_add_maxpool(m, 2, 2);
    nn_add_residual(m, -1); /* (1, 4, 4) + (1, 8, 8) */
    expect_build_error(m, "residual", "shape");

    m = new_model(1, 4, 4);
    nn_add_conv2d(m, 2, 5, 1, 0);
    expect_build_error(m, "conv2d", "does not fit");

    m = new_model(1, 4, 4);
    nn_add_conv2d(m, 2, 3, 0, 0);
    expect_build_error(m, "conv2d", "stride");

    m = new_model(1, 3, 3);
    nn_add_maxpool(m, 4, 4);
    expect_build_error(m, "maxpool", "does not fit");

    m = new_model(4, 1, 1);
    nn_add_dropout(m, 1.0f);
    expect_build_error(m, "dropout", "[0, 1)");

    m = new_model(4, 1, 1);
    nn_add_batchnorm_opts(m, 0.1f, 0);
    expect_build_error(m, "batchnorm", "eps");

    m = new_model(4, 1, 1);
    nn_add_residual(m, 3);
    expect_build_error(m, "residual", "mark 3");
}

Test(cnn, batchnorm_running_stats_and_inference) {
    /* Two features; batches with known statistics. */
    nn_model *m = new_model(2, 1, 1);
    nn_add_batchnorm_opts(m, 0.5f, 1e-5f);
    build(m, 4);
    const float x1[8] = {1, 10, 3, 20, 5, 30, 7, 40}; /* f0: mean 4, var 5; f1: 25, 125 */
    nn_forward(m, x1, 4, 1);
    const float *st = nn_state(m);
    cr_assert_float_eq(st[0], 0.5f * 4, 1e-6);
    cr_assert_float_eq(st[1], 0.5f * 25, 1e-5);
    cr_assert_float_eq(st[2], 0.5f * 1 + 0.5f * 5 * 4 / 3.0f, 1e-5, "unbiased variance");
    cr_assert_float_eq(st[3], 0.5f * 1 + 0.5f * 125 * 4 / 3.0f, 1e-3);
    /* Training output uses the batch's statistics: zero mean per feature. */
    const float *y = nn_forward(m, x1, 4, 1);
    cr_assert_float_eq(y[0] + y[2] + y[4] + y[6], 0, 1e-5);
    /* Inference uses the running ones, and does not move them. */
    float before[4];
    memcpy(before, st, sizeof before);
    const float x2[2] = {2, 3};
    y = nn_forward(m, x2, 1, 0);
    cr_assert_arr_eq(before, st, sizeof before);
    cr_assert_float_eq(y[0], (2 - st[0]) / sqrtf(st[2] + 1e-5f), 1e-5);
    cr_assert_float_eq(y[1], (3 - st[1]) / sqrtf(st[3] + 1e-5f), 1e-5);
    nn_model_free(m);
}

Test(cnn, batchnorm_inference_gradients_use_running_stats) {
    nn_model *m = new_model(2, 3, 3);
    nn_add_conv2d(m, 2, 2, 1, 0);
    nn_add_batchnorm(m);
    nn_add_dense(m, 3);
    build(m, 3);
    /* Running statistics away from (0, 1) so that using them is visible. */
    float *st = nn_state(m);
    st[0] = 0.3f, st[1] = -0.2f, st[2] = 2.0f, st[3] = 0.5f;
    nn_rng rng;
    rng_seed(&rng, 12);
    float *p = nn_params(m);
    fill_uniform(&rng, p, nn_param_count(m), -1, 1);
    float x[3 * 18];
    const uint8_t labels[3] = {0, 2, 1};
    fill_uniform(&rng, x, 54, -1, 1);
    softmax_xent(nn_forward(m, x, 3, 0), labels, 3, 3, nn_output_grad_buffer(m));
    nn_backward(m, nn_output_grad_buffer(m), 3);
    const size_t np = nn_param_count(m);
    double *pd = malloc(np * 8), *g = malloc(np * 8), xd[54];
    for (size_t j = 0; j < np; j++) pd[j] = p[j];
    for (int j = 0; j < 54; j++) xd[j] = x[j];
    for (size_t j = 0; j < np; j++) {
        double keep = pd[j];
        pd[j] = keep + 1e-6;
        double lp = ref_loss(m, pd, xd, 3, labels, 0, NULL);
        pd[j] = keep - 1e-6;
        double lm = ref_loss(m, pd, xd, 3, labels, 0, NULL);
        pd[j] = keep;
        g[j] = (lp - lm) / 2e-6;
    }
    cr_assert(norm_rel_err(nn_grads(m), g, np) < 1e-5, "%g", norm_rel_err(nn_grads(m), g, np));
    free(pd), free(g);
    nn_model_free(m);
}

Test(cnn, dropout_in_the_model) {
    nn_model *m = new_model(1000, 1, 1);
    nn_add_dropout(m, 0.5f);
    build(m, 2);
    float x[2000];
    for (int j = 0; j < 2000; j++) x[j] = 1.0f + 0.001f * j;
    /* Inference: the identity, and the gradient passes unchanged. */
    const float *y = nn_forward(m, x, 2, 0);
    cr_assert_arr_eq(y, x, sizeof x);
    float *d = nn_output_grad_buffer(m);
    for (int j = 0; j < 2000; j++) d[j] = (float)j;
    nn_backward(m, d, 2);
    for (int j = 0; j < 2000; j++) cr_assert(nn_input_grad(m)[j] == (float)j);
    /* Training: each value is dropped or doubled, and the gradient follows the same mask. */
    nn_rng r;
    rng_seed(&r, 77);
    nn_model_set_rng(m, &r);
    y = nn_forward(m, x, 2, 1);
    int dropped = 0;
    float first[2000];
    memcpy(first, y, sizeof first);
    for (int j = 0; j < 2000; j++) {
        cr_assert(y[j] == 0 || y[j] == 2 * x[j]);
        dropped += y[j] == 0;
        d[j] = 1.0f;
    }
    cr_assert(dropped > 850 && dropped < 1150, "dropped %d of 2000", dropped);
    nn_backward(m, d, 2);
    for (int j = 0; j < 2000; j++) cr_assert(nn_input_grad(m)[j] == (y[j] == 0 ? 0.0f : 2.0f));
    /* The next forward draws a new mask; re-seeding reproduces the first one. */
    y = nn_forward(m, x, 2, 1);
    cr_assert(memcmp(y, first, sizeof first) != 0);
    nn_model_set_rng(m, &r);
    y = nn_forward(m, x, 2, 1);
    cr_assert_arr_eq(y, first, sizeof first);
    nn_model_free(m);
}

/* ---- a CNN learns a toy image task --------------------------------------------------- */

/* 8x8 images holding one bar of random position, length 4..8 and brightness, plus noise:
 * label 0 for horizontal bars, 1 for vertical ones. No single pixel tells them apart; the
 * shape does. */
static void make_bars(float *x, uint8_t *y, int n, nn_rng *rng) {
    for (int i = 0; i < n; i++) {
        float *img = x + (size_t)i * 64;
        for (int j = 0; j < 64; j++) img[j] = 0.1f * rng_uniform(rng);
        const int vertical = (int)rng_below(rng, 2), at = (int)rng_below(rng, 8);
        const int len = 4 + (int)rng_below(rng, 5), start = (int)rng_below(rng, 9 - len);
        const float v = 0.5f + 0.5f * rng_uniform(rng);
        for (int t = start; t < start + len; t++) img[vertical ? t * 8 + at : at * 8 + t] += v;
        y[i] = (uint8_t)vertical;
    }
}

Test(cnn, learns_horizontal_versus_vertical_bars) {
    enum { N = 256, B = 32, TEST = 200 };
    nn_model *m = new_model(1, 8, 8);
    nn_add_conv2d(m, 8, 3, 1, 1);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_dense(m, 2);
    build(m, TEST);
    nn_set_input_grad(m, 0);
    nn_rng rng;
    rng_seed(&rng, 2024);
    nn_model_init(m, NN_INIT_HE_NORMAL, &rng);
    float *x = malloc(sizeof(float) * N * 64);
    uint8_t y[N];
    make_bars(x, y, N, &rng);
    nn_optim *o = nn_adam_new(m, nn_adam_defaults(), NULL);
    for (int epoch = 0; epoch < 30; epoch++)
        for (int b = 0; b < N / B; b++) {
            const float *out = nn_forward(m, x + (size_t)b * B * 64, B, 1);
            softmax_xent(out, y + b * B, B, 2, nn_output_grad_buffer(m));
            nn_backward(m, nn_output_grad_buffer(m), B);
            nn_optim_step(o, 0.01f);
        }
    make_bars(x, y, TEST, &rng); /* fresh images */
    float acc = nn_accuracy(nn_forward(m, x, TEST, 0), y, TEST, 2);
    cr_assert_float_eq(acc, 1.0f, 0, "test accuracy %g", acc);
    nn_optim_free(o);
    free(x);
    nn_model_free(m);
}

Test(cnn, conv_init_uses_fan_in_of_channels_times_kernel_area) {
    /* He normal: std sqrt(2 / (c k k)) = sqrt(2 / 72) = 0.1667 for 8 channels of 3x3;
     * over 16*72 = 1152 weights the sample std is within 10% with overwhelming probability
     * (its relative std is ~2%), while a fan-in of 8 or 9 would be off by a factor 3. */
    nn_model *m = new_model(8, 6, 6);
    nn_add_conv2d(m, 16, 3, 1, 1);
    build(m, 1);
    nn_rng rng;
    rng_seed(&rng, 1);
    nn_model_init(m, NN_INIT_HE_NORMAL, &rng);
    size_t len;
    const float *w = nn_layer_weights(m, 0, &len);
    cr_assert_eq(len, 1152);
    double ss = 0;
    for (size_t j = 0; j < len; j++) ss += (double)w[j] * w[j];
    double sd = sqrt(ss / len), want = sqrt(2.0 / 72);
    cr_assert(fabs(sd / want - 1) < 0.1, "std %g, want %g", sd, want);
    /* Glorot uniform: bound sqrt(6 / (72 + 144)). */
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    double bound = sqrt(6.0 / (72 + 144)), mx = 0;
    for (size_t j = 0; j < len; j++) mx = fmax(mx, fabs(w[j]));
    cr_assert(mx <= bound && mx > 0.9 * bound, "max %g, bound %g", mx, bound);
    nn_model_free(m);
}
