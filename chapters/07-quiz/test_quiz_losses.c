/* test_quiz_losses.c - question 3's four losses: values by hand, their gradients with respect
 * to the logits, the image and through a network against central differences, and the
 * bounds that decide what minimising each one does. */
#include <criterion/criterion.h>
#include <math.h>

#include "quiz_losses.h"

static const quiz_loss ALL[4] = {QUIZ_A, QUIZ_B, QUIZ_C, QUIZ_D};

/* A 2-pixel "cat" [1, 0] of class 0 and "iguana" [0, 1] of class 2, three classes. */
static const float CAT[2] = {1, 0}, IGUANA[2] = {0, 1};
static const quiz_pair PAIR = {CAT, IGUANA, 0, 2};

Test(quiz_losses, values_by_hand) {
    const float x[2] = {0.5f, 0.5f};
    /* softmax of (0, 0, 0): yhat = 1/3 each; ||yhat - onehot||^2 = (2/3)^2 + 2 (1/3)^2 = 2/3 */
    const float z[3] = {0, 0, 0};
    for (int k = 0; k < 4; k++) {
        double dist, pred;
        double l = quiz_loss_value(&(quiz_variant){ALL[k], QUIZ_SOFTMAX, 1}, &PAIR, x, 2, z, 3,
                                   NULL, NULL, &dist, &pred);
        cr_assert_float_eq(dist, 0.5, 1e-12);
        cr_assert_float_eq(pred, 2.0 / 3, 1e-12);
        cr_assert_float_eq(l, k < 2 ? 0.5 + 2.0 / 3 : 0.5 - 2.0 / 3, 1e-12, "loss %s",
                           quiz_loss_name(ALL[k]));
    }
    /* A at the cat with the iguana's one-hot as logits-prediction is 0; B there is 2 + 2. */
    const float yig[3] = {0, 0, 1};
    cr_assert_float_eq(quiz_loss_value(&(quiz_variant){QUIZ_A, QUIZ_LOGITS, 1}, &PAIR, CAT, 2, yig,
                                       3, NULL, NULL, NULL, NULL),
                       0.0, 1e-12);
    cr_assert_float_eq(quiz_loss_value(&(quiz_variant){QUIZ_B, QUIZ_LOGITS, 1}, &PAIR, CAT, 2, yig,
                                       3, NULL, NULL, NULL, NULL),
                       4.0, 1e-12);
    cr_assert_str_eq(quiz_loss_name(QUIZ_C), "C");
    /* The weight multiplies the prediction term only. */
    double dist, pred;
    double l3 = quiz_loss_value(&(quiz_variant){QUIZ_D, QUIZ_SOFTMAX, 3}, &PAIR, x, 2, z, 3, NULL,
                                NULL, &dist, &pred);
    cr_assert_float_eq(l3, 0.5 - 3 * 2.0 / 3, 1e-12);
    /* Cross-entropy: -log(1/3) at equal logits; far from the label it grows linearly. */
    cr_assert_float_eq(quiz_loss_value(&(quiz_variant){QUIZ_A, QUIZ_XENT, 1}, &PAIR, x, 2, z, 3,
                                       NULL, NULL, &dist, &pred),
                       0.5 + log(3.0), 1e-12);
    const float sure[3] = {40, 0, 0};
    float dz[3];
    quiz_loss_value(&(quiz_variant){QUIZ_A, QUIZ_XENT, 1}, &PAIR, x, 2, sure, 3, NULL, dz, &dist,
                    &pred);
    cr_assert_float_eq(pred, 40.0, 1e-9);
    cr_assert_float_eq(dz[2], -1.0, 1e-6, "no saturation: the gradient stays -1");
    /* The question's squared error on softmax saturates there: a vanishing gradient. */
    quiz_loss_value(&(quiz_variant){QUIZ_A, QUIZ_SOFTMAX, 1}, &PAIR, x, 2, sure, 3, NULL, dz, &dist,
                    &pred);
    cr_assert_float_eq(pred, 2.0, 1e-12);
    for (int j = 0; j < 3; j++)
        cr_assert_lt(fabsf(dz[j]), 1e-15f, "softmax saturates: dz[%d] = %g", j, dz[j]);
}

/* Central differences of quiz_loss_value (double arithmetic on float inputs) with respect to
 * every logit and every pixel, for every loss, the three prediction terms, and weights 1 and
 * 7.5. */
Test(quiz_losses, gradients_match_central_differences) {
    nn_rng r;
    rng_seed(&r, 1);
    for (int trial = 0; trial < 20; trial++) {
        float x[2], z[3], dx[2], dz[3];
        for (int i = 0; i < 2; i++)
            x[i] = rng_uniform(&r);
        for (int j = 0; j < 3; j++)
            z[j] = 4 * rng_normal(&r);
        for (int k = 0; k < 4; k++)
            for (int vo = 0; vo < 6; vo++) {
                const quiz_variant v = {ALL[k], vo % 3, vo < 3 ? 1.0 : 7.5};
                const int out = v.out;
                quiz_loss_value(&v, &PAIR, x, 2, z, 3, dx, dz, NULL, NULL);
                for (int j = 0; j < 3; j++) {
                    float zp[3] = {z[0], z[1], z[2]}, zm[3] = {z[0], z[1], z[2]};
                    zp[j] += 1e-2f, zm[j] -= 1e-2f;
                    double fd = (quiz_loss_value(&v, &PAIR, x, 2, zp, 3, NULL, NULL, NULL, NULL) -
                                 quiz_loss_value(&v, &PAIR, x, 2, zm, 3, NULL, NULL, NULL, NULL)) /
                                ((double)zp[j] - zm[j]);
                    cr_assert_lt(fabs(dz[j] - fd), 1e-4 * (1 + fabs(fd)),
                                 "loss %s out %d logit %d: %g vs %g", quiz_loss_name(ALL[k]), out,
                                 j, dz[j], fd);
                }
                for (int i = 0; i < 2; i++) {
                    float xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]};
                    xp[i] += 1e-2f, xm[i] -= 1e-2f;
                    double fd = (quiz_loss_value(&v, &PAIR, xp, 2, z, 3, NULL, NULL, NULL, NULL) -
                                 quiz_loss_value(&v, &PAIR, xm, 2, z, 3, NULL, NULL, NULL, NULL)) /
                                ((double)xp[i] - xm[i]);
                    cr_assert_lt(fabs(dx[i] - fd), 1e-5 * (1 + fabs(fd)));
                }
            }
    }
}

/* The whole chain x -> network -> logits -> loss, on a small smooth network (4 pixels ->
 * 6 tanh -> 3 logits), against central differences of the composed function. */
Test(quiz_losses, gradient_through_a_network_matches_central_differences) {
    nn_err err;
    nn_model *m = nn_model_new(1, 2, 2, &err);
    nn_add_dense(m, 6);
    nn_add_activation(m, NN_TANH);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 1, &err), 0, "%s", err.msg);
    nn_rng r;
    rng_seed(&r, 2);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &r);
    for (size_t i = 0; i < nn_param_count(m); i++)
        nn_params(m)[i] *= 3;
    const float cat[4] = {1, 0, 0.5f, 0.2f}, iguana[4] = {0, 1, 0.3f, 0.9f};
    const quiz_pair pair = {cat, iguana, 1, 2};
    float x[4] = {0.4f, 0.6f, 0.1f, 0.8f}, g[4];
    for (int k = 0; k < 4; k++)
        for (int vo = 0; vo < 6; vo++) {
            const quiz_variant v = {ALL[k], vo % 3, vo < 3 ? 1.0 : 7.5};
            const int out = v.out;
            double l = quiz_loss_gradient(m, &v, &pair, x, g, NULL);
            cr_assert(isfinite(l));
            for (int i = 0; i < 4; i++) {
                double side[2];
                for (int s = 0; s < 2; s++) {
                    float xs[4] = {x[0], x[1], x[2], x[3]};
                    xs[i] += s ? -1e-2f : 1e-2f;
                    const float *z = nn_forward(m, xs, 1, 0);
                    side[s] = quiz_loss_value(&v, &pair, xs, 4, z, 3, NULL, NULL, NULL, NULL);
                }
                double fd = (side[0] - side[1]) / 2e-2;
                cr_assert_lt(fabs(g[i] - fd), 2e-3 * (1 + fabs(fd)),
                             "loss %s out %d pixel %d: %g vs %g", quiz_loss_name(ALL[k]), out, i,
                             g[i], fd);
            }
        }
    const quiz_pair bad = {cat, iguana, 1, 3};
    cr_assert(
        isnan(quiz_loss_gradient(m, &(quiz_variant){QUIZ_A, QUIZ_SOFTMAX, 1}, &bad, x, g, NULL)));
    nn_model_free(m);
}

/* With yhat a softmax output, ||yhat - y||^2 <= 2, so C and D are bounded below by -2: their
 * minimisers cannot run away. With yhat the logits, the prediction term is unbounded and so
 * C and D are unbounded below. */
Test(quiz_losses, c_and_d_are_bounded_below_by_minus_two_only_with_softmax) {
    nn_rng r;
    rng_seed(&r, 3);
    for (int t = 0; t < 1000; t++) {
        float z[3], x[2] = {rng_uniform(&r), rng_uniform(&r)};
        for (int j = 0; j < 3; j++)
            z[j] = 30 * rng_normal(&r);
        double dist, pred;
        double c = quiz_loss_value(&(quiz_variant){QUIZ_C, QUIZ_SOFTMAX, 1}, &PAIR, x, 2, z, 3,
                                   NULL, NULL, &dist, &pred);
        cr_assert_leq(pred, 2.0 + 1e-12);
        cr_assert_geq(c, -2.0 - 1e-12);
    }
    const float far[3] = {1e4f, 0, 0};
    cr_assert_lt(quiz_loss_value(&(quiz_variant){QUIZ_C, QUIZ_LOGITS, 1}, &PAIR, CAT, 2, far, 3,
                                 NULL, NULL, NULL, NULL),
                 -1e7);
    /* The softmax floor is reached where all mass is on one class other than the label. */
    cr_assert_float_eq(quiz_loss_value(&(quiz_variant){QUIZ_C, QUIZ_SOFTMAX, 1}, &PAIR, CAT, 2, far,
                                       3, NULL, NULL, NULL, NULL),
                       -2.0, 1e-9);
}
