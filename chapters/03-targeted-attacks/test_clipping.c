/* test_clipping.c - the share of an FGSM step that [0, 1] removes, by hand on four pixels,
 * and the unclipped step agreeing with the library's FGSM wherever nothing is clipped. */
#include <criterion/criterion.h>
#include <string.h>

#include "attack/attack.h"
#include "clipping.h"

Test(clipping, shares_of_the_step_lost_at_0_and_at_1_by_hand) {
    /* eps 0.1; the targeted step x - eps sign g asks pixels 0 and 1 to go down, 2 and 3 up,
     * and pixel 4 (g = 0) for nothing. Pixel 0 sits at 0 (loses 0.1, at 0), pixel 1 at 0.05
     * (loses 0.05, at 0), pixel 2 moves freely, pixel 3 sits at 1 (loses 0.1, at 1). */
    const float x[5] = {0, 0.05f, 0.5f, 1, 0.3f};
    const float g[5] = {1, 2, -3, -4, 0};
    float adv[5];
    ch_fgsm_unclipped(x, g, 5, 0.1f, adv);
    cr_assert_float_eq(adv[0], -0.1f, 1e-7, "unclipped: below black");
    cr_assert_float_eq(adv[3], 1.1f, 1e-7, "unclipped: above white");
    cr_assert_eq(adv[4], 0.3f, "no gradient, no step");
    for (int j = 0; j < 5; j++)
        adv[j] = adv[j] < 0 ? 0 : adv[j] > 1 ? 1 : adv[j];
    ch_clip_sums s = {0};
    ch_clip_accumulate(&s, x, g, adv, 1, 5, 0.1f);
    cr_assert_eq(s.images, 1);
    /* Asked-for gain 0.1 (1 + 2 + 3 + 4) = 1.0; lost 1 (0.1) + 2 (0.05) + 4 (0.1) = 0.6, of
     * which 0.2 at 0; movement asked 0.4, lost 0.25. */
    cr_assert_float_eq(s.lost_gain, 0.6, 1e-6);
    cr_assert_float_eq(s.lost_at0, 0.2, 1e-6);
    cr_assert_float_eq(s.lost_l1, 0.625, 1e-6);
}

Test(clipping, shares_are_averaged_over_images_and_empty_gradients_skipped) {
    const float x[6] = {0, 0.5f, 0.5f, /* */ 0.2f, 0.2f, 0.2f};
    const float g[6] = {1, -1, 0, /* */ 0, 0, 0}; /* image 1 asks for nothing */
    float adv[6] = {0, 0.6f, 0.5f, 0.2f, 0.2f, 0.2f};
    ch_clip_sums s = {0};
    ch_clip_accumulate(&s, x, g, adv, 2, 3, 0.1f);
    cr_assert_eq(s.images, 1);
    cr_assert_float_eq(s.lost_gain, 0.5, 1e-6, "half the gain, all of it at 0");
    cr_assert_float_eq(s.lost_at0, 0.5, 1e-6);
}

Test(clipping, the_unclipped_step_is_the_library_fgsm_before_clipping) {
    /* A linear model: class j's logit is pixel j. Targeted FGSM towards class 1. */
    nn_model *m = nn_model_new(4, 1, 1, NULL);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 1, NULL), 0);
    size_t len;
    float *w = nn_layer_weights(m, 0, &len);
    memset(w, 0, sizeof(float) * len);
    for (int j = 0; j < 3; j++)
        w[j * 4 + j] = 1;
    const float x[4] = {0.95f, 0.02f, 0.5f, 0.5f};
    const uint8_t target[1] = {1};
    float lib[4], mine[4];
    cr_assert_eq(attack_fgsm_targeted(m, x, target, 1, 0.1f, lib, NULL), 0);
    const float *g;
    attack_loss_gradient(m, x, target, 1, &g);
    ch_fgsm_unclipped(x, g, 4, 0.1f, mine);
    for (int j = 0; j < 4; j++) {
        float clipped = mine[j] < 0 ? 0 : mine[j] > 1 ? 1 : mine[j];
        cr_assert_float_eq(lib[j], clipped, 1e-7, "pixel %d", j);
    }
    nn_model_free(m);
}
