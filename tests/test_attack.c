/* test_attack.c - targeted attacks on a classifier whose answer is known by hand: outputs
 * stay in their eps ball and in [0, 1], reach the target when they can, and the minimal-
 * perturbation attack finds a smaller change than the sign-based ones. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "attack/attack.h"

/* A linear classifier on 4 "pixels": class j's logit is pixel j (j < 3), pixel 3 is
 * ignored. So x is classified by its largest of the first three pixels. */
static nn_model *linear_model(int max_batch) {
    nn_model *m = nn_model_new(4, 1, 1, NULL);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, max_batch, NULL), 0);
    size_t len;
    float *w = nn_layer_weights(m, 0, &len);
    cr_assert_eq(len, 12);
    memset(w, 0, sizeof(float) * len);
    for (int j = 0; j < 3; j++)
        w[j * 4 + j] = 1;
    return m;
}

static const float X[8] = {0.8f, 0.12f, 0.1f, 0.5f,  /* class 0 */
                           0.2f, 0.9f,  0.3f, 0.0f}; /* class 1 */
static const uint8_t TARGET[2] = {1, 2};

static void assert_in_ball(const float *x, const float *adv, int count, float eps) {
    for (int i = 0; i < count; i++) {
        cr_assert(adv[i] >= 0 && adv[i] <= 1, "pixel %d = %g outside [0, 1]", i, adv[i]);
        cr_assert(fabsf(adv[i] - x[i]) <= eps + 1e-6f, "pixel %d moved %g > eps %g", i,
                  fabsf(adv[i] - x[i]), eps);
    }
}

Test(attack, fgsm_moves_every_pixel_by_eps_towards_the_target) {
    nn_model *m = linear_model(2);
    float adv[8];
    nn_err err;
    cr_assert_eq(attack_fgsm_targeted(m, X, TARGET, 2, 0.1f, adv, &err), 0, "%s", err.msg);
    assert_in_ball(X, adv, 8, 0.1f);
    cr_assert_float_eq(adv[0], 0.7f, 1e-6, "the current class's pixel goes down");
    cr_assert_float_eq(adv[1], 0.22f, 1e-6, "the target's pixel goes up");
    cr_assert_float_eq(adv[3], 0.5f, 1e-6, "an ignored pixel has zero gradient and stays");
    nn_model_free(m);
}

Test(attack, pgd_stays_in_the_ball_and_reaches_a_reachable_target) {
    nn_model *m = linear_model(2);
    float adv[8];
    int steps[2];
    nn_err err;
    nn_pgd_config cfg = {.eps = 0.5f, .alpha = 0.05f, .steps = 40, .early_stop = 1};
    cr_assert_eq(attack_pgd_targeted(m, X, TARGET, 2, &cfg, NULL, adv, steps, &err), 0, "%s",
                 err.msg);
    assert_in_ball(X, adv, 8, 0.5f);
    nn_attack_outcome out[2];
    cr_assert_eq(attack_measure(m, X, adv, TARGET, 2, out, &err), 0, "%s", err.msg);
    for (int k = 0; k < 2; k++) {
        cr_assert(out[k].success, "sample %d not turned into its target", k);
        cr_assert(steps[k] >= 1 && steps[k] <= 40, "steps %d", steps[k]);
        cr_assert_float_eq(out[k].linf, steps[k] * 0.05f, 1e-5,
                           "with early stop a sample moved alpha per step until success: "
                           "sample %d, linf %g, steps %d",
                           k, out[k].linf, steps[k]);
    }
    /* Sample 0: pixel 1 (0.12 + 0.05 k) passes pixel 0 (0.8 - 0.05 k) at k = 6.8. */
    cr_assert_eq(steps[0], 7);
    nn_model_free(m);
}

Test(attack, pgd_with_a_random_start_stays_in_the_ball) {
    nn_model *m = linear_model(2);
    float adv[8];
    nn_rng rng;
    rng_seed(&rng, 3);
    nn_pgd_config cfg = {.eps = 0.05f, .alpha = 0.01f, .steps = 10, .random_start = 1};
    cr_assert_eq(attack_pgd_targeted(m, X, TARGET, 2, &cfg, &rng, adv, NULL, NULL), 0);
    assert_in_ball(X, adv, 8, 0.05f);
    cr_assert_eq(attack_pgd_targeted(m, X, TARGET, 2, &cfg, NULL, adv, NULL, NULL), -1,
                 "a random start needs a generator");
    nn_model_free(m);
}

Test(attack, an_unreachable_target_is_reported_as_never_reached) {
    nn_model *m = linear_model(2);
    float adv[8];
    int steps[2];
    nn_pgd_config cfg = {.eps = 0.05f, .alpha = 0.01f, .steps = 20, .early_stop = 1};
    cr_assert_eq(attack_pgd_targeted(m, X, TARGET, 2, &cfg, NULL, adv, steps, NULL), 0);
    cr_assert_eq(steps[0], 21, "eps 0.05 cannot close a gap of 0.7");
    nn_attack_outcome out[2];
    attack_measure(m, X, adv, TARGET, 2, out, NULL);
    cr_assert_eq(out[0].success, 0);
    cr_assert_eq(out[0].predicted, 0);
    nn_model_free(m);
}

Test(attack, cw_finds_a_smaller_perturbation_than_pgd) {
    nn_model *m = linear_model(2);
    float pgd[8], cw[8];
    int steps[2];
    nn_err err;
    nn_pgd_config pcfg = {.eps = 0.6f, .alpha = 0.01f, .steps = 100, .early_stop = 1};
    cr_assert_eq(attack_pgd_targeted(m, X, TARGET, 2, &pcfg, NULL, pgd, NULL, &err), 0);
    nn_cw_config ccfg = {.c_initial = 1, .search_steps = 6, .iterations = 300, .lr = 0.02f};
    cr_assert_eq(attack_cw_targeted(m, X, TARGET, 2, &ccfg, cw, steps, &err), 0, "%s", err.msg);
    for (int i = 0; i < 8; i++)
        cr_assert(cw[i] >= 0 && cw[i] <= 1);
    nn_attack_outcome po[2], co[2];
    attack_measure(m, X, pgd, TARGET, 2, po, NULL);
    attack_measure(m, X, cw, TARGET, 2, co, NULL);
    for (int k = 0; k < 2; k++) {
        cr_assert(co[k].success, "cw failed on sample %d", k);
        cr_assert(co[k].l2 < po[k].l2, "cw l2 %g vs pgd %g", co[k].l2, po[k].l2);
        cr_assert(steps[k] >= 1 && steps[k] <= 6 * 300);
    }
    /* The minimal L2 change for sample 0 meets pixels 0 and 1 halfway: 0.34 * sqrt(2). */
    cr_assert(co[0].l2 < 0.34f * sqrtf(2.0f) * 1.1f, "cw l2 %g", co[0].l2);
    cr_assert_eq(memcmp(cw + 3, X + 3, sizeof(float)), 0, "an ignored pixel is not changed");
    nn_model_free(m);
}

Test(attack, measure_reports_norms_and_target_probability) {
    nn_model *m = linear_model(2);
    float adv[8];
    memcpy(adv, X, sizeof adv);
    adv[1] += 0.3f;     /* sample 0 */
    adv[4 + 2] -= 0.4f; /* sample 1 */
    nn_attack_outcome out[2];
    cr_assert_eq(attack_measure(m, X, adv, TARGET, 2, out, NULL), 0);
    cr_assert_float_eq(out[0].l2, 0.3f, 1e-6);
    cr_assert_float_eq(out[0].linf, 0.3f, 1e-6);
    cr_assert_float_eq(out[1].l2, 0.4f, 1e-6);
    double z[3] = {0.8, 0.42, 0.1};
    double p1 = exp(z[1]) / (exp(z[0]) + exp(z[1]) + exp(z[2]));
    cr_assert_float_eq(out[0].confidence, p1, 1e-5);
    cr_assert_eq(out[0].success, 0);
    nn_model_free(m);
}

Test(attack, bad_arguments_are_refused) {
    nn_model *m = linear_model(2);
    float adv[12];
    nn_err err = {{0}};
    uint8_t t[3] = {0, 0, 0};
    cr_assert_eq(attack_fgsm_targeted(m, X, t, 3, 0.1f, adv, &err), -1);
    cr_assert(strstr(err.msg, "1 to 2") != NULL, "%s", err.msg);
    nn_pgd_config bad = {.eps = 0.1f, .alpha = 0, .steps = 5};
    cr_assert_eq(attack_pgd_targeted(m, X, TARGET, 2, &bad, NULL, adv, NULL, &err), -1);
    nn_cw_config badcw = {.c_initial = 0, .search_steps = 1, .iterations = 1, .lr = 0.1f};
    cr_assert_eq(attack_cw_targeted(m, X, TARGET, 2, &badcw, adv, NULL, &err), -1);
    nn_model_free(m);
}

/* The binary search over c, seen from outside: a c far too small fails, and c grows tenfold
 * per failed round until it succeeds. For sample 0 the hinge can only win against the L2
 * term once c > 0.68 (the gap between pixels 0 and 1; see below), for sample 1 once
 * c > 0.6: from c = 1e-3 the rounds with c = 1e-3, 1e-2 and 0.1 fail and c = 1 is the
 * first to succeed, in round 4, so the first success comes after 3 full rounds. (For the
 * gap g, moving pixels t and j by a each costs 2a^2 + c (g - 2a), least at a = c/2: the
 * gap closes when c >= g.) */
Test(attack, cw_binary_search_grows_c_tenfold_until_it_succeeds) {
    nn_model *m = linear_model(2);
    float cw[8];
    int steps[2];
    nn_err err;
    enum { ITER = 200 };
    nn_cw_config cfg = {.c_initial = 1e-3f, .search_steps = 6, .iterations = ITER, .lr = 0.02f};
    cr_assert_eq(attack_cw_targeted(m, X, TARGET, 2, &cfg, cw, steps, &err), 0, "%s", err.msg);
    nn_attack_outcome out[2];
    attack_measure(m, X, cw, TARGET, 2, out, NULL);
    for (int k = 0; k < 2; k++) {
        cr_assert(out[k].success, "sample %d: the search never reached a large enough c", k);
        cr_assert(steps[k] > 3 * ITER && steps[k] <= 4 * ITER,
                  "sample %d first succeeded after %d iterations: not in round 4", k, steps[k]);
    }
    /* With three rounds (c up to 0.1) it cannot succeed at all. */
    cfg.search_steps = 3;
    cr_assert_eq(attack_cw_targeted(m, X, TARGET, 2, &cfg, cw, steps, &err), 0, "%s", err.msg);
    for (int k = 0; k < 2; k++) cr_assert_eq(steps[k], 3 * ITER + 1, "sample %d", k);
    cr_assert_eq(memcmp(cw, X, sizeof X), 0, "no success: x' is x itself");
    /* Starting above the threshold, the first round succeeds and later rounds (smaller c,
     * bisected) keep the best x' found: never worse than one round alone. */
    float one[8];
    cfg = (nn_cw_config){.c_initial = 10, .search_steps = 1, .iterations = ITER, .lr = 0.02f};
    cr_assert_eq(attack_cw_targeted(m, X, TARGET, 2, &cfg, one, steps, &err), 0);
    cr_assert(steps[0] <= ITER && steps[1] <= ITER);
    nn_attack_outcome first[2];
    attack_measure(m, X, one, TARGET, 2, first, NULL);
    cfg.search_steps = 6;
    cr_assert_eq(attack_cw_targeted(m, X, TARGET, 2, &cfg, cw, steps, &err), 0);
    attack_measure(m, X, cw, TARGET, 2, out, NULL);
    for (int k = 0; k < 2; k++) {
        cr_assert(first[k].success && out[k].success);
        cr_assert(out[k].l2 <= first[k].l2, "sample %d: %g after the search, %g after round 1",
                  k, out[k].l2, first[k].l2);
    }
    nn_model_free(m);
}

/* A target no input in [0, 1] can reach: class 2's logit is a constant -5 below anything
 * the other classes score. CW must report it as never reached, return x unchanged for it,
 * and still succeed on the other sample of the batch. */
Test(attack, cw_never_succeeds_on_an_unreachable_target) {
    nn_model *m = linear_model(2);
    size_t len;
    float *w = nn_layer_weights(m, 0, &len);
    w[2 * 4 + 2] = 0;
    float *b = nn_layer_bias(m, 0, &len);
    b[2] = -5;
    float cw[8];
    int steps[2];
    nn_err err;
    nn_cw_config cfg = {.c_initial = 1, .search_steps = 4, .iterations = 100, .lr = 0.05f};
    cr_assert_eq(attack_cw_targeted(m, X, TARGET, 2, &cfg, cw, steps, &err), 0, "%s", err.msg);
    nn_attack_outcome out[2];
    attack_measure(m, X, cw, TARGET, 2, out, NULL);
    cr_assert(out[0].success, "the reachable sample is attacked as usual");
    cr_assert(steps[0] <= 4 * 100);
    cr_assert_eq(out[1].success, 0);
    cr_assert_eq(steps[1], 4 * 100 + 1, "never: search_steps * iterations + 1");
    cr_assert_eq(memcmp(cw + 4, X + 4, 4 * sizeof(float)), 0, "x' is x where nothing succeeded");
    for (int i = 0; i < 8; i++) cr_assert(isfinite(cw[i]), "pixel %d = %g", i, cw[i]);
    nn_model_free(m);
}
