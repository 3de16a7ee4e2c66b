/* test_generator.c - the simple generator and its two-step attack: G(1) is its parameters;
 * the composite loss's gradient with respect to G's parameters matches a double-precision
 * reference (dense classifier) and finite differences (convolutional classifier); the frozen
 * classifier's parameters and state are bit-identical after composite steps; outputs stay in
 * [0, 1]; the stopping rule and the round budget; batching changes no generator's gradient. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack/generator.h"
#include "gradcheck.h"
#include "nn/optim.h"

/* ---- the generator network ---------------------------------------------------------------- */

Test(generator, output_is_its_parameters) {
    nn_err err;
    nn_model *g = gen_model_new(5, &err);
    cr_assert_not_null(g, "%s", err.msg);
    cr_assert_eq(nn_input_size(g), 1, "one input neuron");
    cr_assert_eq(nn_output_size(g), 5);
    cr_assert_eq(nn_param_count(g), 10, "5 weights (5 x 1) and 5 biases");
    const float x[5] = {0, 0.25f, 0.5f, 0.75f, 1};
    gen_model_set(g, x);
    const float *out = gen_model_output(g);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(out[i], x[i], "G(1)[%d] = %g, not %g", i, out[i], x[i]);
    /* Any bias adds to the weight: G(1) = W * 1 + b. */
    nn_layer_bias(g, 0, &(size_t){0})[2] = 0.125f;
    cr_assert_float_eq(gen_model_output(g)[2], 0.625f, 1e-7);
    nn_model_free(g);
}

Test(generator, refuses_an_empty_image) {
    nn_err err = {{0}};
    cr_assert_null(gen_model_new(0, &err));
    cr_assert(strstr(err.msg, "at least one"), "%s", err.msg);
}

Test(generator, projection_clips_into_the_pixel_range_and_folds_the_bias) {
    nn_model *g = gen_model_new(4, NULL);
    const float x[4] = {-0.5f, 0.3f, 1.7f, 0.9f};
    gen_model_set(g, x);
    size_t n;
    float *b = nn_layer_bias(g, 0, &n);
    b[1] = 0.2f, b[3] = 0.3f; /* 0.3 + 0.2 = 0.5 stays; 0.9 + 0.3 = 1.2 is clipped */
    gen_model_project(g);
    const float want[4] = {0, 0.5f, 1, 1};
    const float *out = gen_model_output(g);
    for (int i = 0; i < 4; i++) {
        cr_assert_float_eq(out[i], want[i], 1e-7, "pixel %d: %g", i, out[i]);
        cr_assert_eq(b[i], 0.0f, "the bias is folded into W");
    }
    nn_model_free(g);
}

Test(generator, image_loss_gradient_is_the_mse_gradient_on_weights_and_biases) {
    nn_model *g = gen_model_new(3, NULL);
    const float start[3] = {0.5f, 0.2f, 0.9f}, x[3] = {0.1f, 0.2f, 1.0f};
    gen_model_set(g, start);
    float loss = gen_image_loss(g, x, 1);
    cr_assert_float_eq(loss, (0.16f + 0 + 0.01f) / 3, 1e-7);
    const float *gr = nn_grads(g);
    for (int i = 0; i < 3; i++) {
        float want = 2 * (start[i] - x[i]) / 3;
        cr_assert_float_eq(gr[i], want, 1e-7, "dW[%d]", i);
        cr_assert_float_eq(gr[3 + i], want, 1e-7, "db[%d]", i);
    }
    nn_model_free(g);
}

/* ---- the composite loss's gradient -------------------------------------------------------- */

enum { D = 6, H = 5, K = 4 };

/* C = dense(D -> H), tanh, dense(H -> K), with random weights large enough that the
 * probabilities are far from uniform. */
static nn_model *dense_classifier(int max_batch, nn_rng *rng) {
    nn_model *c = nn_model_new(D, 1, 1, NULL);
    nn_add_dense(c, H);
    nn_add_activation(c, NN_TANH);
    nn_add_dense(c, K);
    cr_assert_eq(nn_model_build(c, max_batch, NULL), 0);
    fill_uniform(rng, nn_params(c), nn_param_count(c), -1.5f, 1.5f);
    return c;
}

/* The composite loss in double, from the parameter layout of model.h (dense: weights out x
 * in, then biases) and the generator's image x. */
static double ref_loss(const float *cp, const double *x, int target, gen_loss kind) {
    const float *w1 = cp, *b1 = w1 + H * D, *w2 = b1 + H, *b2 = w2 + K * H;
    double h[H], z[K], p[K], zmax = -1e300, sum = 0;
    for (int o = 0; o < H; o++) {
        double s = b1[o];
        for (int i = 0; i < D; i++)
            s += (double)w1[o * D + i] * x[i];
        h[o] = tanh(s);
    }
    for (int o = 0; o < K; o++) {
        double s = b2[o];
        for (int i = 0; i < H; i++)
            s += (double)w2[o * H + i] * h[i];
        z[o] = s;
        if (s > zmax) zmax = s;
    }
    for (int o = 0; o < K; o++)
        sum += (p[o] = exp(z[o] - zmax));
    if (kind == GEN_LOSS_XENT) return -log(p[target] / sum);
    double loss = 0;
    for (int o = 0; o < K; o++) {
        double e = p[o] / sum - (o == target);
        loss += e * e;
    }
    return loss / K;
}

static void check_composite_gradient(gen_loss kind) {
    nn_rng rng;
    rng_seed(&rng, 11);
    nn_model *c = dense_classifier(1, &rng);
    for (int l = 0; l < nn_layer_count(c); l++)
        nn_freeze_layer(c, l, 1);
    nn_model *g = gen_model_new(D, NULL);
    float start[D];
    fill_uniform(&rng, start, D, 0.1f, 0.9f);
    gen_model_set(g, start);
    /* A non-zero bias, so that the check covers both parameter tensors of G. */
    fill_uniform(&rng, nn_layer_bias(g, 0, &(size_t){0}), D, -0.05f, 0.05f);
    for (int target = 0; target < K; target++) {
        float probs[K];
        float loss = gen_composite_loss(g, c, target, kind, 1, probs);
        const float *p = nn_params(g), *grad = nn_grads(g);
        double x[D], ref[2 * D];
        for (int i = 0; i < D; i++)
            x[i] = (double)p[i] + p[D + i];
        cr_assert_float_eq(loss, ref_loss(nn_params(c), x, target, kind), 1e-6, "loss, target %d",
                           target);
        /* Central differences of the double reference; dx/dW_i = dx/db_i = 1. */
        for (int i = 0; i < D; i++) {
            double h = 1e-5, save = x[i];
            x[i] = save + h;
            double up = ref_loss(nn_params(c), x, target, kind);
            x[i] = save - h;
            double down = ref_loss(nn_params(c), x, target, kind);
            x[i] = save;
            ref[i] = ref[D + i] = (up - down) / (2 * h);
        }
        double e = max_rel_err(grad, ref, 2 * D, 1e-6);
        cr_assert(e < 1e-4, "target %d: gradient relative error %g", target, e);
    }
    nn_model_free(g);
    nn_model_free(c);
}

Test(generator, composite_mse_gradient_matches_a_double_reference) {
    check_composite_gradient(GEN_LOSS_MSE);
}

Test(generator, composite_xent_gradient_matches_a_double_reference) {
    check_composite_gradient(GEN_LOSS_XENT);
}

Test(generator, composite_gradient_through_a_conv_net_matches_finite_differences) {
    nn_rng rng;
    rng_seed(&rng, 5);
    nn_model *c = nn_model_new(2, 5, 5, NULL);
    nn_add_conv2d(c, 3, 3, 1, 1);
    nn_add_activation(c, NN_TANH);
    nn_add_avgpool(c, 2, 2);
    nn_add_dense(c, 6);
    cr_assert_eq(nn_model_build(c, 1, NULL), 0);
    fill_uniform(&rng, nn_params(c), nn_param_count(c), -0.8f, 0.8f);
    int d = nn_input_size(c);
    nn_model *g = gen_model_new(d, NULL);
    float *x = malloc(sizeof(float) * d);
    fill_uniform(&rng, x, (size_t)d, 0.2f, 0.8f);
    gen_model_set(g, x);
    nn_set_input_grad(c, 1);
    gen_composite_loss(g, c, 4, GEN_LOSS_MSE, 1, NULL);
    size_t np = nn_param_count(g);
    float *analytic = malloc(sizeof(float) * np);
    double *fd = malloc(sizeof(double) * np);
    memcpy(analytic, nn_grads(g), sizeof(float) * np);
    float *p = nn_params(g);
    for (size_t i = 0; i < np; i++) {
        float h = 1e-2f, save = p[i];
        p[i] = save + h;
        double up = gen_composite_loss(g, c, 4, GEN_LOSS_MSE, 0, NULL);
        p[i] = save - h;
        double down = gen_composite_loss(g, c, 4, GEN_LOSS_MSE, 0, NULL);
        p[i] = save;
        fd[i] = (up - down) / (2.0 * h);
    }
    double e = norm_rel_err(analytic, fd, np);
    cr_assert(e < 1e-2, "normwise relative error %g", e);
    /* W's and b's gradients are the same: both multiply the constant input 1. */
    for (int i = 0; i < d; i++)
        cr_assert_eq(analytic[i], analytic[d + i]);
    free(analytic);
    free(fd);
    free(x);
    nn_model_free(g);
    nn_model_free(c);
}

/* ---- the attack --------------------------------------------------------------------------- */

/* A linear classifier on 4 pixels: class j's logit is 8 * pixel j (j < 3); pixel 3 is
 * ignored. The factor 8 lets a target reach probability 0.9 inside [0, 1]. */
static nn_model *linear_classifier(int max_batch) {
    nn_model *m = nn_model_new(4, 1, 1, NULL);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, max_batch, NULL), 0);
    size_t len;
    float *w = nn_layer_weights(m, 0, &len);
    memset(w, 0, sizeof(float) * len);
    for (int j = 0; j < 3; j++)
        w[j * 4 + j] = 8;
    return m;
}

static const float X[8] = {0.8f, 0.12f, 0.1f, 0.5f,  /* class 0 */
                           0.2f, 0.9f,  0.3f, 0.0f}; /* class 1 */

static void assert_pixels(const float *img, int d, const char *what) {
    for (int i = 0; i < d; i++)
        cr_assert(img[i] >= 0 && img[i] <= 1, "%s: pixel %d = %g outside [0, 1]", what, i, img[i]);
}

Test(generator, attack_turns_images_into_their_targets_and_stops) {
    nn_model *c = linear_classifier(2);
    nn_err err;
    gen_attack *a = gen_attack_new(c, 2, &err);
    cr_assert_not_null(a, "%s", err.msg);
    const uint8_t target[2] = {1, 2};
    gen_config cfg = gen_defaults();
    cfg.lr_target = 0.02f;
    cr_assert_eq(gen_attack_start(a, X, target, 2, &cfg, &err), 0, "%s", err.msg);
    for (int k = 0; k < 2; k++) {
        const gen_state *s = gen_attack_state(a, k);
        cr_assert_eq(s->round, 0);
        cr_assert(s->running && !s->done && s->l2 == 0 && s->linf == 0);
        cr_assert_eq(s->predicted, k, "the originals are classes 0 and 1");
    }
    int last[2] = {0, 0}, rounds = 0;
    while (gen_attack_running(a) > 0) {
        cr_assert_geq(gen_attack_round(a, &err), 0, "%s", err.msg);
        rounds++;
        for (int k = 0; k < 2; k++) {
            const gen_state *s = gen_attack_state(a, k);
            const float *img = gen_attack_image(a, k);
            assert_pixels(img, 4, "after a round");
            if (s->moved)
                cr_assert_eq(s->round, last[k] + 1, "a moved generator counts a round");
            else
                cr_assert_eq(s->round, last[k], "a stopped generator counts no round");
            last[k] = s->round;
            double sq = 0, mx = 0;
            for (int i = 0; i < 4; i++) {
                double dv = img[i] - X[k * 4 + i];
                sq += dv * dv, mx = fmax(mx, fabs(dv));
            }
            cr_assert_float_eq(s->l2, sqrt(sq), 1e-6);
            cr_assert_float_eq(s->linf, mx, 1e-6);
            cr_assert_float_eq(s->image_loss, sq / 4, 1e-6);
            cr_assert_float_eq(s->p_target, gen_attack_probs(a, k)[target[k]], 0);
        }
        cr_assert(rounds <= cfg.max_rounds, "the round budget bounds the loop");
    }
    for (int k = 0; k < 2; k++) {
        const gen_state *s = gen_attack_state(a, k);
        cr_assert(s->done, "generator %d did not reach its target (p %g)", k, s->p_target);
        cr_assert_eq(s->predicted, target[k]);
        cr_assert_geq(s->p_target, 0.9f);
        cr_assert(s->round > 0 && s->round < cfg.max_rounds);
        /* The ignored pixel has no composite gradient and step 1 keeps it where it was. */
        cr_assert_float_eq(gen_attack_image(a, k)[3], X[k * 4 + 3], 1e-6);
    }
    gen_attack_free(a);
    nn_model_free(c);
}

Test(generator, an_image_already_classified_as_its_target_takes_no_round) {
    nn_model *c = linear_classifier(1);
    gen_attack *a = gen_attack_new(c, 1, NULL);
    const uint8_t target[1] = {0};
    gen_config cfg = gen_defaults();
    cr_assert_eq(gen_attack_start(a, X, target, 1, &cfg, NULL), 0);
    const gen_state *s = gen_attack_state(a, 0);
    cr_assert(s->done && !s->running && s->round == 0 && s->l2 == 0);
    cr_assert_eq(gen_attack_running(a), 0);
    cr_assert_eq(gen_attack_round(a, NULL), 0);
    cr_assert_eq(s->moved, 0);
    gen_attack_free(a);
    nn_model_free(c);
}

Test(generator, an_unreachable_target_stops_at_the_round_budget) {
    nn_model *c = linear_classifier(1);
    gen_attack *a = gen_attack_new(c, 1, NULL);
    const uint8_t target[1] = {2};
    gen_config cfg = gen_defaults();
    cfg.threshold = 0.9999f; /* 8 * (1 - 0) = 8 nats: p_2 is at most ~0.9993 */
    cfg.max_rounds = 7;
    cr_assert_eq(gen_attack_start(a, X, target, 1, &cfg, NULL), 0);
    int rounds = 0;
    while (gen_attack_running(a) > 0) {
        gen_attack_round(a, NULL);
        rounds++;
    }
    const gen_state *s = gen_attack_state(a, 0);
    cr_assert_eq(rounds, 7);
    cr_assert_eq(s->round, 7);
    cr_assert(!s->done && !s->running);
    gen_attack_free(a);
    nn_model_free(c);
}

Test(generator, outputs_stay_in_the_pixel_range_with_a_huge_learning_rate) {
    nn_rng rng;
    rng_seed(&rng, 3);
    nn_model *c = dense_classifier(3, &rng);
    gen_attack *a = gen_attack_new(c, 3, NULL);
    float x[3 * D];
    fill_uniform(&rng, x, 3 * D, 0, 1);
    x[0] = 0, x[1] = 1; /* pixels at the bounds */
    const uint8_t target[3] = {0, 1, 3};
    gen_config cfg = gen_defaults();
    cfg.lr_image = cfg.lr_target = 0.7f;
    cfg.image_steps = 2, cfg.target_steps = 3;
    cfg.threshold = 1.0f; /* never reached: run the whole budget */
    cfg.max_rounds = 20;
    cr_assert_eq(gen_attack_start(a, x, target, 3, &cfg, NULL), 0);
    while (gen_attack_running(a) > 0) {
        gen_attack_round(a, NULL);
        for (int k = 0; k < 3; k++) {
            assert_pixels(gen_attack_image(a, k), D, "image");
            assert_pixels(gen_model_output(gen_attack_generator(a, k)), D, "G(1)");
        }
    }
    gen_attack_free(a);
    nn_model_free(c);
}

/* A classifier with every kind of state a step could disturb: batch-norm running
 * statistics, dropout, conv and dense parameters. */
static nn_model *stateful_classifier(nn_rng *rng) {
    nn_model *c = nn_model_new(1, 6, 6, NULL);
    nn_add_conv2d(c, 4, 3, 1, 1);
    nn_add_batchnorm(c);
    nn_add_activation(c, NN_RELU);
    nn_add_maxpool(c, 2, 2);
    nn_add_dropout(c, 0.5f);
    nn_add_dense(c, 5);
    cr_assert_eq(nn_model_build(c, 4, NULL), 0);
    nn_model_init(c, NN_INIT_HE_NORMAL, rng);
    float *st = nn_state(c);
    for (size_t i = 0; i < nn_state_count(c); i++)
        st[i] = 0.1f + 0.01f * (float)i; /* running statistics that a training pass would move */
    return c;
}

Test(generator, the_classifier_is_bit_identical_after_composite_steps) {
    nn_rng rng;
    rng_seed(&rng, 9);
    nn_model *c = stateful_classifier(&rng);
    size_t np = nn_param_count(c), ns = nn_state_count(c);
    float *params = malloc(sizeof(float) * np), *state = malloc(sizeof(float) * ns);
    memcpy(params, nn_params(c), sizeof(float) * np);
    memcpy(state, nn_state(c), sizeof(float) * ns);
    nn_err err;
    gen_attack *a = gen_attack_new(c, 4, &err);
    cr_assert_not_null(a, "%s", err.msg);
    for (int l = 0; l < nn_layer_count(c); l++)
        cr_assert(nn_layer_frozen(c, l), "layer %d of the classifier is not frozen", l);
    float x[4 * 36];
    fill_uniform(&rng, x, 4 * 36, 0, 1);
    const uint8_t target[4] = {0, 1, 2, 4};
    gen_config cfg = gen_defaults();
    cfg.lr_target = 0.05f, cfg.target_steps = 3, cfg.max_rounds = 5, cfg.threshold = 1.0f;
    cr_assert_eq(gen_attack_start(a, x, target, 4, &cfg, &err), 0, "%s", err.msg);
    float moved = 0;
    while (gen_attack_running(a) > 0) {
        cr_assert_geq(gen_attack_round(a, &err), 0);
        cr_assert_eq(memcmp(params, nn_params(c), sizeof(float) * np), 0,
                     "the classifier's parameters changed");
        cr_assert_eq(memcmp(state, nn_state(c), sizeof(float) * ns), 0,
                     "the classifier's batch-norm statistics changed");
    }
    for (int k = 0; k < 4; k++)
        moved += gen_attack_state(a, k)->l2;
    cr_assert(moved > 0, "the generators did move (the test is not vacuous)");
    /* The classifier's input gradient is on: the composite step needs it. */
    cr_assert_not_null(nn_input_grad(c));
    gen_attack_free(a);
    free(params);
    free(state);
    nn_model_free(c);
}

Test(generator, a_batch_of_generators_gets_each_ones_own_gradient) {
    nn_rng rng;
    rng_seed(&rng, 21);
    nn_model *c = dense_classifier(3, &rng);
    float x[3 * D];
    fill_uniform(&rng, x, 3 * D, 0.1f, 0.9f);
    const uint8_t target[3] = {2, 0, 3};
    gen_config cfg = gen_defaults();
    cfg.threshold = 1.0f, cfg.max_rounds = 4, cfg.lr_target = 0.05f;
    gen_attack *all = gen_attack_new(c, 3, NULL);
    cr_assert_eq(gen_attack_start(all, x, target, 3, &cfg, NULL), 0);
    for (int r = 0; r < 4; r++)
        gen_attack_round(all, NULL);
    for (int k = 0; k < 3; k++) {
        gen_attack *one = gen_attack_new(c, 1, NULL);
        cr_assert_eq(gen_attack_start(one, x + k * D, target + k, 1, &cfg, NULL), 0);
        for (int r = 0; r < 4; r++)
            gen_attack_round(one, NULL);
        const float *a = gen_attack_image(all, k), *b = gen_attack_image(one, 0);
        for (int i = 0; i < D; i++)
            cr_assert_float_eq(a[i], b[i], 1e-6, "generator %d, pixel %d: %g batched, %g alone", k,
                               i, a[i], b[i]);
        cr_assert_float_eq(gen_attack_state(all, k)->p_target, gen_attack_state(one, 0)->p_target,
                           1e-6);
        gen_attack_free(one);
    }
    gen_attack_free(all);
    nn_model_free(c);
}

Test(generator, the_image_step_pulls_back_to_the_original) {
    /* With a target the classifier already gives p ~ 1/3 at most and a strong image step, the
     * generator stays near x: step 1 is doing its job. */
    nn_model *c = linear_classifier(1);
    gen_attack *a = gen_attack_new(c, 1, NULL);
    const uint8_t target[1] = {2};
    gen_config weak = gen_defaults(), strong = gen_defaults();
    weak.image_steps = 0, strong.image_steps = 5;
    weak.max_rounds = strong.max_rounds = 30;
    weak.threshold = strong.threshold = 1.0f;
    cr_assert_eq(gen_attack_start(a, X, target, 1, &weak, NULL), 0);
    while (gen_attack_running(a) > 0)
        gen_attack_round(a, NULL);
    float l2_weak = gen_attack_state(a, 0)->l2;
    cr_assert_eq(gen_attack_start(a, X, target, 1, &strong, NULL), 0);
    while (gen_attack_running(a) > 0)
        gen_attack_round(a, NULL);
    float l2_strong = gen_attack_state(a, 0)->l2;
    cr_assert(l2_strong < 0.5f * l2_weak, "L2 %g with the image step, %g without", l2_strong,
              l2_weak);
    gen_attack_free(a);
    nn_model_free(c);
}

Test(generator, bad_calls_fail_with_a_message) {
    nn_model *c = linear_classifier(2);
    nn_err err = {{0}};
    cr_assert_null(gen_attack_new(c, 3, &err), "more generators than the classifier's batch");
    cr_assert(strstr(err.msg, "1 to 2"), "%s", err.msg);
    gen_attack *a = gen_attack_new(c, 2, &err);
    gen_config cfg = gen_defaults();
    const uint8_t bad_target[2] = {0, 3};
    cr_assert_eq(gen_attack_start(a, X, bad_target, 2, &cfg, &err), -1);
    cr_assert(strstr(err.msg, "3 classes"), "%s", err.msg);
    const uint8_t target[2] = {1, 2};
    cr_assert_eq(gen_attack_start(a, X, target, 3, &cfg, &err), -1);
    cfg.target_steps = 0;
    cr_assert_eq(gen_attack_start(a, X, target, 2, &cfg, &err), -1);
    cr_assert(strstr(err.msg, "target_steps"), "%s", err.msg);
    gen_attack_free(a);
    nn_model_free(c);
}
