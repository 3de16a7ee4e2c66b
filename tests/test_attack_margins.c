/* test_attack_margins.c - the attacks at the edges of float arithmetic and of their own
 * definitions:
 *   - a sample classified with near certainty still gets a gradient: the softmax of its
 *     label rounds to exactly 1, so p - e_y computed as written is exactly 0 and a sign
 *     attack would not move it;
 *   - Carlini-Wagner's confidence margin kappa is part of its success test: an adversarial
 *     counts only when the target's logit leads every other by kappa;
 *   - steps are counted the same way for PGD and CW: the updates made before the sample was
 *     first seen as its target (0: it already was). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "attack/attack.h"
#include "attack/attack_untargeted.h"

/* A linear classifier on 4 "pixels": class j's logit is gain * pixel j (j < 3); pixel 3 is
 * ignored. With gain 1000 the logits of X differ by hundreds: softmax says 1 and 0. */
static nn_model *linear_model(float gain) {
    nn_model *m = nn_model_new(4, 1, 1, NULL);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 2, NULL), 0);
    size_t len;
    float *w = nn_layer_weights(m, 0, &len);
    memset(w, 0, sizeof(float) * len);
    for (int j = 0; j < 3; j++) w[j * 4 + j] = gain;
    return m;
}

static const float X[8] = {0.8f, 0.12f, 0.1f, 0.5f,  /* class 0 */
                           0.2f, 0.9f,  0.3f, 0.0f}; /* class 1 */
static const uint8_t LABEL[2] = {0, 1};

Test(attack_margins, a_saturated_softmax_still_gives_fgsm_a_direction) {
    nn_model *m = linear_model(1000);
    float adv[8];
    nn_err err = {{0}};
    cr_assert_eq(attack_fgsm_untargeted(m, X, LABEL, 2, 0.1f, adv, &err), 0, "%s", err.msg);
    cr_assert_float_eq(adv[0], 0.7f, 1e-6, "the true class's pixel goes down");
    cr_assert_float_eq(adv[1], 0.22f, 1e-6, "the runner-up's goes up");
    cr_assert_float_eq(adv[2], 0.2f, 1e-6, "so does the third class's (exp(-680) > 0 in exact "
                                           "arithmetic, and the sign is all FGSM uses)");
    cr_assert_float_eq(adv[3], 0.5f, 1e-6, "an ignored pixel stays");
    cr_assert_float_eq(adv[4 + 1], 0.8f, 1e-6, "sample 1's true pixel goes down");
    nn_model_free(m);
}

Test(attack_margins, a_saturated_softmax_still_lets_pgd_walk_to_the_boundary) {
    nn_model *m = linear_model(1000);
    float adv[8];
    int steps[2];
    nn_err err = {{0}};
    nn_pgd_config cfg = {.eps = 0.5f, .alpha = 0.05f, .steps = 40, .early_stop = 1};
    cr_assert_eq(attack_pgd_untargeted(m, X, LABEL, 2, &cfg, NULL, adv, steps, &err), 0, "%s",
                 err.msg);
    /* Pixel 1 (0.12 + 0.05 k) passes pixel 0 (0.8 - 0.05 k) at k = 6.8, at any gain. */
    cr_assert_eq(steps[0], 7);
    nn_model_free(m);
}

Test(attack_margins, the_gradient_points_as_the_cross_entropy_does) {
    /* At gain 1 nothing saturates: the direction must be that of the plain p - e_y. */
    nn_model *m = linear_model(1);
    const float *g;
    attack_loss_gradient(m, X, LABEL, 2, &g);
    float got[8];
    memcpy(got, g, sizeof got);
    const double z[3] = {0.8, 0.12, 0.1};
    double s = exp(z[0]) + exp(z[1]) + exp(z[2]);
    double want[3] = {exp(z[0]) / s - 1, exp(z[1]) / s, exp(z[2]) / s};
    double scale = got[1] / want[1];
    cr_assert_gt(scale, 0, "a positive multiple");
    for (int j = 0; j < 3; j++)
        cr_assert_float_eq(got[j], scale * want[j], 1e-5 * fabs(scale), "pixel %d", j);
    cr_assert_eq(got[3], 0.0f);
    nn_model_free(m);
}

Test(attack_margins, cw_success_needs_the_confidence_margin) {
    nn_model *m = linear_model(1);
    const uint8_t target[2] = {1, 1}; /* sample 1 already is a 1, by a margin of 0.6 */
    float adv[8];
    int steps[2];
    nn_err err = {{0}};
    nn_cw_config cfg = {.c_initial = 1, .search_steps = 6, .iterations = 300, .lr = 0.02f,
                        .kappa = 0.3f};
    cr_assert_eq(attack_cw_targeted(m, X, target, 2, &cfg, adv, steps, &err), 0, "%s", err.msg);
    /* Sample 0: the target's logit (pixel 1) must lead pixel 0 by 0.3. */
    float margin = adv[1] - fmaxf(adv[0], adv[2]);
    cr_assert_geq(margin, 0.3f - 1e-4f, "kappa 0.3 honoured: margin %g", margin);
    cr_assert_lt(steps[0], 6 * 300 + 1);
    /* Sample 1 leads by 0.6 >= kappa before any update. */
    cr_assert_eq(steps[1], 0, "already an adversarial with margin: 0 updates");
    nn_attack_outcome out[2];
    attack_measure(m, X, adv, target, 2, out, NULL);
    cr_assert_lt(out[1].l2, 1e-4f, "and left (almost) as it was");

    /* A margin no image in [0, 1] can reach: never a success, x returned unchanged. */
    cfg.kappa = 2.0f;
    cfg.search_steps = 2;
    cfg.iterations = 50;
    cr_assert_eq(attack_cw_targeted(m, X, target, 2, &cfg, adv, steps, &err), 0, "%s", err.msg);
    for (int k = 0; k < 2; k++) cr_assert_eq(steps[k], 2 * 50 + 1, "sample %d: never", k);
    cr_assert_eq(memcmp(adv, X, sizeof X), 0, "nothing found: x itself");
    nn_model_free(m);
}

Test(attack_margins, pgd_counts_zero_steps_for_a_sample_already_at_its_target) {
    nn_model *m = linear_model(1);
    const uint8_t target[2] = {1, 1};
    float adv[8];
    int steps[2];
    nn_pgd_config cfg = {.eps = 0.5f, .alpha = 0.05f, .steps = 40, .early_stop = 1};
    cr_assert_eq(attack_pgd_targeted(m, X, target, 2, &cfg, NULL, adv, steps, NULL), 0);
    cr_assert_eq(steps[0], 7, "7 updates move sample 0 across");
    cr_assert_eq(steps[1], 0, "sample 1 already is a 1");
    cr_assert_eq(memcmp(adv + 4, X + 4, 4 * sizeof(float)), 0, "and does not move");
    nn_model_free(m);
}
