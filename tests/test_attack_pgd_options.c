/* test_attack_pgd_options.c - the two PGD options that decide *which* point PGD returns:
 *   - keep_best: without early stop a sign step of fixed size can jump into the target's
 *     region and out again, so the last iterate can have lost what an earlier one had;
 *     keep_best returns the visited point with the largest margin of the goal instead;
 *   - min_confidence: a targeted sample is done only when the model gives the target at
 *     least this probability (not merely its largest logit), so early stop can be asked for
 *     a confident adversarial. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "attack/attack.h"
#include "attack/attack_untargeted.h"
#include "nn/layers.h"

/* One pixel x, two classes: z0 = 0.1, z1 = 0.3 - |x - 0.5| (two ReLUs). Class 1 wins for
 * |x - 0.5| < 0.2, a band around 0.5 that a step of 0.45 from x = 0.1 jumps into (0.55) and,
 * stepping back towards 0.5, out of again (0.1): sign steps oscillate across it. */
static nn_model *band_model(void) {
    nn_model *m = nn_model_new(1, 1, 1, NULL);
    nn_add_dense(m, 2);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 2);
    cr_assert_eq(nn_model_build(m, 2, NULL), 0);
    size_t len;
    float *w1 = nn_layer_weights(m, 0, &len), *b1 = nn_layer_bias(m, 0, &len);
    w1[0] = 1, w1[1] = -1, b1[0] = -0.5f, b1[1] = 0.5f; /* h = relu(x - .5), relu(.5 - x) */
    float *w2 = nn_layer_weights(m, 2, &len), *b2 = nn_layer_bias(m, 2, &len);
    memset(w2, 0, sizeof(float) * len);
    w2[2] = -1, w2[3] = -1; /* z1 = -h0 - h1 + 0.3 */
    b2[0] = 0.1f, b2[1] = 0.3f;
    return m;
}

static const float X1[1] = {0.1f};
static const uint8_t ONE[1] = {1};

Test(attack_pgd_options, the_last_iterate_can_lose_the_target) {
    nn_model *m = band_model();
    float adv[1];
    nn_attack_outcome o;
    nn_pgd_config cfg = {.eps = 0.5f, .alpha = 0.45f, .steps = 2};
    cr_assert_eq(attack_pgd_targeted(m, X1, ONE, 1, &cfg, NULL, adv, NULL, NULL), 0);
    cr_assert_float_eq(adv[0], 0.1f, 1e-6, "0.1 -> 0.55 -> 0.1");
    attack_measure(m, X1, adv, ONE, 1, &o, NULL);
    cr_assert_eq(o.success, 0, "all steps spent, the target lost again");
    nn_model_free(m);
}

Test(attack_pgd_options, keep_best_returns_the_iterate_with_the_largest_margin) {
    nn_model *m = band_model();
    float adv[1];
    int steps;
    nn_attack_outcome o;
    nn_pgd_config cfg = {.eps = 0.5f, .alpha = 0.45f, .steps = 2, .keep_best = 1};
    cr_assert_eq(attack_pgd_targeted(m, X1, ONE, 1, &cfg, NULL, adv, &steps, NULL), 0);
    cr_assert_float_eq(adv[0], 0.55f, 1e-6, "the iterate inside the band");
    attack_measure(m, X1, adv, ONE, 1, &o, NULL);
    cr_assert(o.success);
    cr_assert_eq(steps, 1, "first reached after one step");
    /* Early stop reaches the same point, by stopping there. */
    cfg = (nn_pgd_config){.eps = 0.5f, .alpha = 0.45f, .steps = 2, .early_stop = 1};
    cr_assert_eq(attack_pgd_targeted(m, X1, ONE, 1, &cfg, NULL, adv, NULL, NULL), 0);
    cr_assert_float_eq(adv[0], 0.55f, 1e-6);
    nn_model_free(m);
}

Test(attack_pgd_options, keep_best_works_for_untargeted_pgd_too) {
    /* From x = 0.1 (class 0) the untargeted attack climbs the loss of class 0, i.e. raises
     * z1: 0.1 -> 0.55 (class 1, away from the label) -> 0.1 (class 0 again). */
    nn_model *m = band_model();
    const uint8_t zero[1] = {0};
    float last[1], best[1];
    nn_pgd_config cfg = {.eps = 0.5f, .alpha = 0.45f, .steps = 2};
    cr_assert_eq(attack_pgd_untargeted(m, X1, zero, 1, &cfg, NULL, last, NULL, NULL), 0);
    cfg.keep_best = 1;
    cr_assert_eq(attack_pgd_untargeted(m, X1, zero, 1, &cfg, NULL, best, NULL, NULL), 0);
    cr_assert_float_eq(last[0], 0.1f, 1e-6, "the last iterate is back at class 0");
    cr_assert_float_eq(best[0], 0.55f, 1e-6, "the best iterate is the misclassified one");
    nn_model_free(m);
}

/* Three classes, logit j = 10 * pixel j: softmax can come close to 1. */
static nn_model *steep_model(void) {
    nn_model *m = nn_model_new(3, 1, 1, NULL);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 1, NULL), 0);
    size_t len;
    float *w = nn_layer_weights(m, 0, &len);
    memset(w, 0, sizeof(float) * len);
    for (int j = 0; j < 3; j++)
        w[j * 3 + j] = 10;
    return m;
}

Test(attack_pgd_options, min_confidence_walks_on_until_the_target_is_probable_enough) {
    nn_model *m = steep_model();
    const float x[3] = {0.6f, 0.2f, 0.2f};
    float adv[3];
    int argmax_steps, p90_steps;
    nn_attack_outcome o;
    /* Every step moves pixel 0 down, pixel 1 up and pixel 2 down (to 0) by 0.06. After k
     * steps the logits are 10 (0.6 - .06k, 0.2 + .06k, max(0.2 - .06k, 0)):
     *   k = 3: (4.2, 3.8, 0.2)  class 0
     *   k = 4: (3.6, 4.4, 0)    class 1, p1 = e^4.4 / (e^3.6 + e^4.4 + 1) = 0.684
     *   k = 5: (3.0, 5.0, 0)    p1 = 0.876
     *   k = 6: (2.4, 5.6, 0)    p1 = 0.957 */
    nn_pgd_config cfg = {.eps = 0.6f, .alpha = 0.06f, .steps = 40, .early_stop = 1};
    cr_assert_eq(attack_pgd_targeted(m, x, ONE, 1, &cfg, NULL, adv, &argmax_steps, NULL), 0);
    attack_measure(m, x, adv, ONE, 1, &o, NULL);
    cr_assert(o.success, "argmax rule");
    cr_assert_eq(argmax_steps, 4);
    cr_assert_float_eq(o.confidence, 0.684f, 1e-3);
    cfg.min_confidence = 0.9f;
    cr_assert_eq(attack_pgd_targeted(m, x, ONE, 1, &cfg, NULL, adv, &p90_steps, NULL), 0);
    attack_measure(m, x, adv, ONE, 1, &o, NULL);
    cr_assert(o.success);
    cr_assert_eq(p90_steps, 6);
    cr_assert_float_eq(o.confidence, 0.957f, 1e-3);
    nn_model_free(m);
}

Test(attack_pgd_options, min_confidence_is_refused_where_it_has_no_meaning) {
    nn_model *m = steep_model();
    const float x[3] = {0.6f, 0.2f, 0.2f};
    float adv[3];
    nn_err err = {{0}};
    nn_pgd_config cfg = {.eps = 0.3f, .alpha = 0.05f, .steps = 5, .min_confidence = 1.0f};
    cr_assert_eq(attack_pgd_targeted(m, x, ONE, 1, &cfg, NULL, adv, NULL, &err), -1);
    cr_assert(strstr(err.msg, "min_confidence") != NULL, "%s", err.msg);
    cfg.min_confidence = 0.9f;
    cr_assert_eq(attack_pgd_untargeted(m, x, ONE, 1, &cfg, NULL, adv, NULL, &err), -1,
                 "an untargeted attack has no target whose probability to raise");
    nn_model_free(m);
}
