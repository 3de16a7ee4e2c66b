/* test_convnet.c - the shared small convolutional network: its layers in order with their
 * settings, the shapes after each stage, parameter counts worked out by hand for the two
 * sizes the chapters use, the optional dropout, its He-normal start, and refused shapes. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "nn/convnet.h"

static const nn_convnet_shape CH03 = {1, 28, 28, 32, 64, 5, 1024, 0.5f, 10};
static const nn_convnet_shape CH02 = {1, 28, 28, 8, 16, 5, 64, 0.0f, 10};

static nn_model *build(const nn_convnet_shape *s, int batch) {
    nn_err err = {{0}};
    nn_rng rng;
    rng_seed(&rng, 7);
    nn_model *m = nn_convnet_new(s, batch, &rng, &err);
    cr_assert_not_null(m, "%s", err.msg);
    return m;
}

Test(convnet, layers_in_order_with_their_settings) {
    nn_model *m = build(&CH03, 4);
    static const nn_layer_kind kinds[] = {NN_LAYER_CONV2D, NN_LAYER_ACTIVATION, NN_LAYER_MAXPOOL,
                                          NN_LAYER_CONV2D, NN_LAYER_ACTIVATION, NN_LAYER_MAXPOOL,
                                          NN_LAYER_DENSE,  NN_LAYER_ACTIVATION, NN_LAYER_DROPOUT,
                                          NN_LAYER_DENSE};
    cr_assert_eq(nn_layer_count(m), 10);
    for (int l = 0; l < 10; l++) {
        nn_layer_desc d;
        cr_assert_eq(nn_layer_describe(m, l, &d), 0);
        cr_assert_eq(d.kind, kinds[l], "layer %d", l);
        if (d.kind == NN_LAYER_ACTIVATION) cr_expect_eq(d.act, NN_RELU, "layer %d", l);
        if (d.kind == NN_LAYER_CONV2D) {
            cr_expect_eq(d.kernel, 5);
            cr_expect_eq(d.stride, 1);
            cr_expect_eq(d.pad, 2);
        }
        if (d.kind == NN_LAYER_MAXPOOL) cr_expect(d.kernel == 2 && d.stride == 2);
        if (d.kind == NN_LAYER_DROPOUT) cr_expect_float_eq(d.p, 0.5f, 1e-7f);
    }
    int c, h, w;
    nn_layer_shape(m, 0, &c, &h, &w);
    cr_expect(c == 32 && h == 28 && w == 28, "same padding keeps 28 x 28: %d %d %d", c, h, w);
    nn_layer_shape(m, 2, &c, &h, &w);
    cr_expect(c == 32 && h == 14 && w == 14);
    nn_layer_shape(m, 5, &c, &h, &w);
    cr_expect(c == 64 && h == 7 && w == 7);
    cr_expect_eq(nn_output_size(m), 10);
    nn_model_free(m);
}

/* By hand: conv1 32*1*25 + 32, conv2 64*32*25 + 64, dense 64*7*7*1024 + 1024, 1024*10 + 10;
 * and 8*25 + 8, 16*8*25 + 16, 16*7*7*64 + 64, 64*10 + 10. */
Test(convnet, parameter_counts_of_the_two_chapters) {
    nn_model *a = build(&CH03, 2), *b = build(&CH02, 2);
    cr_expect_eq(nn_param_count(a), 832 + 51264 + 3212288 + 10250);
    cr_expect_eq(nn_param_count(b), 208 + 3216 + 50240 + 650);
    cr_expect_eq(nn_layer_count(b), 9, "no dropout layer when dropout is 0");
    nn_model_free(a);
    nn_model_free(b);
}

Test(convnet, he_normal_weights_and_zero_biases) {
    nn_model *m = build(&CH02, 2);
    size_t wn, bn;
    float *w = nn_layer_weights(m, 6, &wn), *b = nn_layer_bias(m, 6, &bn);
    double sum2 = 0;
    for (size_t k = 0; k < wn; k++)
        sum2 += (double)w[k] * w[k];
    double var = sum2 / wn, want = 2.0 / (16 * 7 * 7);
    cr_expect(fabs(var / want - 1) < 0.05, "dense weight variance %g, He wants %g", var, want);
    for (size_t k = 0; k < bn; k++)
        cr_expect_eq(b[k], 0.0f);
    nn_model_free(m);
}

Test(convnet, refuses_shapes_that_do_not_fit) {
    nn_rng rng;
    rng_seed(&rng, 1);
    nn_convnet_shape bad[] = {CH02, CH02, CH02, CH02, CH02};
    bad[0].kernel = 4;
    bad[1].kernel = 0;
    bad[2].conv2 = 0;
    bad[3].h = 3;
    bad[4].dropout = 1.0f;
    const char *words[] = {"odd", "odd", "at least 1", "too small", "dropout"};
    for (int k = 0; k < 5; k++) {
        nn_err err = {{0}};
        cr_expect_null(nn_convnet_new(&bad[k], 2, &rng, &err), "shape %d", k);
        cr_expect(strstr(err.msg, words[k]) != NULL, "shape %d: %s", k, err.msg);
    }
}
