/* test_features.c - the feature controls' inputs (total ink, grey-level histogram): their
 * values on images worked out by hand, their invariance under any pixel permutation (so a
 * t2 image gives exactly its clean image's features), that the input stage writes exactly
 * the model's input size, and that every model of the chapter takes what its stage gives. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "data/mnist_variants.h"
#include "shifted.h"

Test(features, ink_of_a_hundred_white_pixels_is_one) {
    uint8_t img[PIXELS] = {0};
    for (int k = 0; k < 100; k++)
        img[3 * k] = 255;
    float x;
    ink_feature(img, &x);
    cr_expect_float_eq(x, 1.0f, 1e-6f);
    img[1] = 51; /* a fifth of a pixel more */
    ink_feature(img, &x);
    cr_expect_float_eq(x, 1.002f, 1e-6f);
}

Test(features, histogram_counts_each_grey_level_on_a_log_scale) {
    uint8_t img[PIXELS] = {0};
    img[0] = 255, img[1] = 255, img[2] = 7;
    float x[HISTOGRAM_BINS];
    histogram_features(img, x);
    const double top = log1p(PIXELS);
    cr_expect_float_eq(x[0], (float)(log1p(PIXELS - 3) / top), 1e-6f);
    cr_expect_float_eq(x[255], (float)(log(3.0) / top), 1e-6f);
    cr_expect_float_eq(x[7], (float)(log(2.0) / top), 1e-6f);
    double pixels = 0;
    for (int v = 0; v < HISTOGRAM_BINS; v++) {
        cr_expect(x[v] >= 0 && x[v] <= 1);
        pixels += expm1(x[v] * top);
    }
    cr_expect(fabs(pixels - PIXELS) < 1e-2, "the counts add up to the image: %g", pixels);
}

Test(features, both_are_blind_to_any_permutation_of_the_pixels) {
    nn_rng rng;
    rng_seed(&rng, 2);
    uint8_t img[PIXELS], moved[PIXELS];
    for (int k = 0; k < PIXELS; k++)
        img[k] = rng_below(&rng, 4) ? 0 : (uint8_t)rng_below(&rng, 256);
    int perm[PIXELS];
    variant_random_permutation(perm, PIXELS, &rng);
    variant_permute(moved, img, perm, PIXELS);
    float a[HISTOGRAM_BINS], b[HISTOGRAM_BINS];
    ink_feature(img, a);
    ink_feature(moved, b);
    cr_expect_eq(a[0], b[0]);
    histogram_features(img, a);
    histogram_features(moved, b);
    cr_expect_eq(memcmp(a, b, sizeof a), 0);
    /* ... while a change of the intensities shows. */
    variant_invert(moved, img, PIXELS);
    histogram_features(moved, b);
    cr_expect_neq(memcmp(a, b, sizeof a), 0);
}

Test(features, the_stage_writes_exactly_the_input_size) {
    uint8_t img[PIXELS] = {0}, tmp[PIXELS];
    img[100] = 200;
    chapter ch = {.centre_y = 14, .centre_x = 14};
    static const char *names[] = {"ink-only", "histogram-only"};
    for (int k = 0; k < 2; k++) {
        const model_spec *spec = model_spec_named(names[k]);
        cr_assert_not_null(spec, "%s", names[k]);
        int n = input_size(spec);
        cr_expect_eq(n, k ? HISTOGRAM_BINS : 1);
        float x[HISTOGRAM_BINS + 1];
        for (int j = 0; j <= HISTOGRAM_BINS; j++)
            x[j] = -7;
        stage_and_place(&ch, spec, img, VARIANT_T2, tmp, x);
        cr_expect_eq(x[n], -7, "%s wrote past its %d inputs", names[k], n);
        cr_expect_neq(x[n - 1], -7, "%s left its last input unwritten", names[k]);
    }
}

Test(features, every_model_takes_what_its_stage_gives) {
    for (int k = 0; k < MODEL_SPEC_COUNT; k++) {
        nn_rng rng;
        rng_seed(&rng, 1);
        nn_err err = {{0}};
        nn_model *m = build_model(&MODEL_SPECS[k], 4, &rng, &err);
        cr_assert_not_null(m, "%s: %s", MODEL_SPECS[k].experiment, err.msg);
        cr_expect_eq(nn_input_size(m), input_size(&MODEL_SPECS[k]), "%s",
                     MODEL_SPECS[k].experiment);
        cr_expect_eq(nn_output_size(m), CLASSES);
        nn_model_free(m);
    }
    cr_expect_str_eq(MODEL_SPECS[0].experiment, "clean", "the clean model comes first");
}
