/* test_adversarial_source.c - adversarial training batches (lab/adversarial_source.h): every
 * handed-out batch lies in the eps ball of its clean batch and in [0, 1], with the clean
 * labels; the attack leaves the parameters, the frozen flags and the input-gradient setting
 * as it found them; one FGSM step from a random start is Wong et al.'s fast variant; and
 * adversarial training through train_classifier makes the model more robust than clean
 * training does. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack_untargeted.h"
#include "lab/adversarial_source.h"
#include "test_files.h"

/* 4x4 one-channel images of 3 classes: class k has a bright row k (plus noise). */
static nn_images toy_set(int n, uint64_t seed) {
    nn_images im = {.n = n, .c = 1, .h = 4, .w = 4, .classes = 3};
    im.pixels = malloc((size_t)n * 16);
    im.labels = malloc((size_t)n);
    nn_rng rng;
    rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        int k = (int)rng_below(&rng, 3);
        im.labels[i] = (uint8_t)k;
        for (int p = 0; p < 16; p++)
            im.pixels[i * 16 + p] = (uint8_t)((p / 4 == k ? 160 : 0) + rng_below(&rng, 90));
    }
    return im;
}

static nn_model *toy_model(uint64_t seed) {
    nn_model *m = nn_model_new(1, 4, 4, NULL);
    nn_add_dense(m, 8);
    nn_add_activation(m, NN_TANH);
    nn_add_dense(m, 3);
    cr_assert_eq(nn_model_build(m, 16, NULL), 0);
    nn_rng rng;
    rng_seed(&rng, seed);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    return m;
}

Test(adversarial_source, batches_stay_in_the_ball_and_the_model_is_left_as_it_was) {
    nn_images set = toy_set(40, 3);
    nn_batches b, copy;
    cr_assert_eq(batches_init(&b, &set, 16, NULL), 0);
    cr_assert_eq(batches_init(&copy, &set, 16, NULL), 0);
    nn_rng order, order_copy, attack;
    rng_seed(&order, 1);
    order_copy = order;
    rng_seed(&attack, 2);
    nn_model *m = toy_model(4);
    nn_freeze_layer(m, 2, 1); /* the caller's own choice: must survive the attacks */
    nn_set_input_grad(m, 0);
    size_t np = nn_param_count(m);
    float *params = malloc(np * sizeof(float));
    memcpy(params, nn_params(m), np * sizeof(float));
    nn_image_source images = {.batches = &b, .order = &order};
    nn_adversarial_source s = {.inner = train_source_images(&images),
                               .model = m,
                               .pgd = {.eps = 0.1f, .alpha = 0.04f, .steps = 5, .random_start = 1},
                               .rng = &attack};
    nn_err err;
    cr_assert_eq(adversarial_source_init(&s, &err), 0, "%s", err.msg);
    nn_batch_source src = train_source_adversarial(&s);
    cr_assert_eq(src.samples_per_epoch, 40);
    src.begin_epoch(src.ctx, 1);
    batches_shuffle(&copy, &order_copy); /* the same order as the wrapped source */
    const float *x;
    const uint8_t *y;
    int n, total = 0, moved = 0;
    while ((n = src.next(src.ctx, &x, &y, &err)) > 0) {
        cr_assert_eq(batches_next(&copy), n);
        for (int k = 0; k < n; k++)
            cr_assert_eq(y[k], copy.y[k], "labels are the clean ones");
        for (int i = 0; i < n * 16; i++) {
            cr_assert(x[i] >= 0 && x[i] <= 1, "pixel %g outside [0, 1]", x[i]);
            cr_assert(fabsf(x[i] - copy.x[i]) <= 0.1f + 1e-6f, "moved %g > eps",
                      fabsf(x[i] - copy.x[i]));
            moved += x[i] != copy.x[i];
        }
        total += n;
        cr_assert_eq(memcmp(params, nn_params(m), np * sizeof(float)), 0, "parameters changed");
        cr_assert(!nn_layer_frozen(m, 0) && !nn_layer_frozen(m, 1) && nn_layer_frozen(m, 2),
                  "frozen flags restored");
        cr_assert_null(nn_input_grad(m), "the input gradient is off again");
    }
    cr_assert_eq(n, 0, "%s", err.msg);
    cr_assert_eq(total, 40);
    cr_assert_eq(s.attacked, 40);
    cr_assert_gt(moved, total * 8, "the batches were really attacked");
    adversarial_source_free(&s);
    free(params);
    nn_model_free(m);
    batches_free(&b);
    batches_free(&copy);
    images_free(&set);
}

Test(adversarial_source, bad_configurations_are_refused) {
    nn_model *m = toy_model(1);
    nn_images set = toy_set(8, 1);
    nn_batches b;
    cr_assert_eq(batches_init(&b, &set, 16, NULL), 0);
    nn_image_source images = {.batches = &b};
    nn_err err = {{0}};
    nn_adversarial_source s = {.inner = train_source_images(&images),
                               .model = m,
                               .pgd = {.eps = 0.1f, .alpha = 0.1f, .steps = 1, .random_start = 1}};
    cr_assert_eq(adversarial_source_init(&s, &err), -1, "a random start without a generator");
    cr_assert(strstr(err.msg, "generator"), "%s", err.msg);
    s.pgd.random_start = 0, s.pgd.steps = 0;
    cr_assert_eq(adversarial_source_init(&s, &err), -1);
    cr_assert(strstr(err.msg, "steps"), "%s", err.msg);
    batches_free(&b);
    images_free(&set);
    nn_model_free(m);
}

/* Accuracy of m under untargeted PGD at eps on a set (all of it in one batch of 16s). */
static double robust_accuracy(nn_model *m, const nn_images *set, float eps) {
    nn_batches b;
    cr_assert_eq(batches_init(&b, set, 16, NULL), 0);
    float adv[16 * 16];
    nn_rng rng;
    rng_seed(&rng, 77);
    nn_pgd_config pgd = {.eps = eps, .alpha = eps / 4, .steps = 10, .random_start = 1};
    long right = 0;
    int n;
    batches_rewind(&b);
    while ((n = batches_next(&b)) > 0) {
        cr_assert_eq(attack_pgd_untargeted(m, b.x, b.y, n, &pgd, &rng, adv, NULL, NULL), 0);
        const float *z = nn_forward(m, adv, n, 0);
        for (int k = 0; k < n; k++) {
            int best = 0;
            for (int j = 1; j < 3; j++)
                if (z[k * 3 + j] > z[k * 3 + best]) best = j;
            right += best == b.y[k];
        }
    }
    batches_free(&b);
    return (double)right / set->n;
}

static double train_toy(int adversarial) {
    char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
    test_mkdtemp(dir);
    nn_err err;
    nn_results *db = results_open(test_path(path, dir, "r.sqlite"), &err);
    cr_assert_not_null(db, "%s", err.msg);
    int64_t run = results_begin_run(db, &(nn_run_info){"test", "toy", "smoke", "{}", 1}, &err);
    nn_images train = toy_set(400, 5), test = toy_set(96, 6);
    nn_batches tb;
    cr_assert_eq(batches_init(&tb, &train, 16, NULL), 0);
    nn_rng order, attack;
    rng_seed(&order, 8);
    rng_seed(&attack, 9);
    nn_model *m = toy_model(10);
    nn_optim *opt = nn_adam_new(m, nn_adam_defaults(), &err);
    nn_image_source images = {.batches = &tb, .order = &order};
    nn_adversarial_source s = {.inner = train_source_images(&images),
                               .model = m,
                               .pgd = {.eps = 0.25f, .alpha = 0.1f, .steps = 5, .random_start = 1},
                               .rng = &attack};
    cr_assert_eq(adversarial_source_init(&s, &err), 0, "%s", err.msg);
    nn_train_config tc = train_defaults();
    tc.classes = 3;
    tc.epochs = 15;
    tc.schedule = (nn_schedule){NN_SCHEDULE_CONSTANT, .lr = 0.02f};
    nn_batch_source src = adversarial ? train_source_adversarial(&s) : train_source_images(&images);
    cr_assert_eq(train_classifier(db, run, m, opt, src, &tc, NULL, &err), 0, "%s", err.msg);
    double acc = robust_accuracy(m, &test, 0.25f);
    adversarial_source_free(&s);
    nn_optim_free(opt);
    nn_model_free(m);
    batches_free(&tb);
    images_free(&train);
    images_free(&test);
    results_close(db);
    test_rmtree(dir);
    return acc;
}

Test(adversarial_source, adversarial_training_beats_clean_training_under_attack) {
    double clean = train_toy(0), robust = train_toy(1);
    cr_assert(robust > clean + 0.1, "accuracy under PGD: %.3f adversarially trained, %.3f clean",
              robust, clean);
}

Test(adversarial_source, the_radius_ramps_up_linearly_then_stays) {
    nn_images set = toy_set(64, 3);
    nn_batches b;
    cr_assert_eq(batches_init(&b, &set, 16, NULL), 0);
    nn_model *m = toy_model(4);
    nn_rng attack;
    rng_seed(&attack, 2);
    nn_image_source images = {.batches = &b};
    nn_adversarial_source s = {.inner = train_source_images(&images),
                               .model = m,
                               .pgd = {.eps = 0.2f, .alpha = 0.1f, .steps = 2, .random_start = 1},
                               .rng = &attack,
                               .ramp = 32};
    cr_assert_eq(adversarial_source_init(&s, NULL), 0);
    nn_batch_source src = train_source_adversarial(&s);
    batches_rewind(&b);
    const float want[4] = {0, 0.1f, 0.2f, 0.2f}; /* after 0, 16, 32, 48 samples */
    for (int k = 0; k < 4; k++) {
        float eps = adversarial_source_eps(&s);
        cr_assert_float_eq(eps, want[k], 1e-6, "batch %d: eps %g", k, eps);
        nn_batches copy;
        const float *x;
        const uint8_t *y;
        cr_assert_eq(batches_init(&copy, &set, 16, NULL), 0);
        batches_rewind(&copy);
        for (int j = 0; j <= k; j++)
            batches_next(&copy);
        cr_assert_eq(src.next(src.ctx, &x, &y, NULL), 16);
        for (int i = 0; i < 16 * 16; i++)
            cr_assert(fabsf(x[i] - copy.x[i]) <= want[k] + 1e-6f, "batch %d moved %g > %g", k,
                      fabsf(x[i] - copy.x[i]), want[k]);
        batches_free(&copy);
    }
    adversarial_source_free(&s);
    nn_model_free(m);
    batches_free(&b);
    images_free(&set);
}

/* Goodfellow et al.'s objective, 0.5 CE(x) + 0.5 CE(x'): with with_clean every batch of n
 * clean samples is handed out as those n followed by their n adversarial examples, with the
 * labels twice. An FGSM step (one step of alpha = eps, no random start) moves every pixel
 * whose gradient is not zero by exactly eps, unless [0, 1] clips it. */
Test(adversarial_source, with_clean_hands_out_the_clean_batch_then_its_adversarials) {
    nn_images set = toy_set(40, 3);
    nn_batches b, copy;
    cr_assert_eq(batches_init(&b, &set, 8, NULL), 0); /* half the model's batch of 16 */
    cr_assert_eq(batches_init(&copy, &set, 8, NULL), 0);
    nn_model *m = toy_model(4);
    nn_set_input_grad(m, 0);
    nn_image_source images = {.batches = &b};
    nn_adversarial_source s = {.inner = train_source_images(&images),
                               .model = m,
                               .pgd = {.eps = 0.1f, .alpha = 0.1f, .steps = 1},
                               .with_clean = 1};
    nn_err err = {{0}};
    cr_assert_eq(adversarial_source_init(&s, &err), 0, "%s", err.msg);
    nn_batch_source src = train_source_adversarial(&s);
    cr_assert_eq(src.samples_per_epoch, 80, "40 clean and 40 adversarial rows an epoch");
    cr_assert_eq(src.steps_per_epoch, 5, "40 samples in batches of 8");
    batches_rewind(&b);
    batches_rewind(&copy);
    const float *x;
    const uint8_t *y;
    int n, batches = 0, exactly_eps = 0;
    while ((n = src.next(src.ctx, &x, &y, &err)) > 0) {
        int clean = batches_next(&copy);
        cr_assert_eq(n, 2 * clean);
        cr_assert_eq(memcmp(x, copy.x, sizeof(float) * clean * 16), 0, "the clean half first");
        for (int k = 0; k < clean; k++) {
            cr_assert_eq(y[k], copy.y[k]);
            cr_assert_eq(y[clean + k], copy.y[k], "the adversarial half keeps the labels");
        }
        for (int i = 0; i < clean * 16; i++) {
            float moved = fabsf(x[clean * 16 + i] - copy.x[i]);
            cr_assert(moved <= 0.1f + 1e-6f, "moved %g > eps", moved);
            float clipped = copy.x[i] < 0.1f || copy.x[i] > 0.9f;
            exactly_eps += !clipped && fabsf(moved - 0.1f) < 1e-6f;
        }
        batches++;
    }
    cr_assert_eq(n, 0, "%s", err.msg);
    cr_assert_eq(batches, 5);
    cr_assert_gt(exactly_eps, 40 * 8, "FGSM moves the unclipped pixels by eps");
    adversarial_source_free(&s);
    /* A clean batch larger than half the model's batch leaves no room for its adversarials. */
    nn_batches big;
    cr_assert_eq(batches_init(&big, &set, 16, NULL), 0);
    images.batches = &big;
    s = (nn_adversarial_source){.inner = train_source_images(&images),
                                .model = m,
                                .pgd = {.eps = 0.1f, .alpha = 0.1f, .steps = 1},
                                .with_clean = 1};
    cr_assert_eq(adversarial_source_init(&s, &err), 0, "%s", err.msg);
    src = train_source_adversarial(&s);
    batches_rewind(&big);
    cr_assert_eq(src.next(src.ctx, &x, &y, &err), -1);
    cr_assert(strstr(err.msg, "half"), "%s", err.msg);
    adversarial_source_free(&s);
    batches_free(&big);
    nn_model_free(m);
    batches_free(&b);
    batches_free(&copy);
    images_free(&set);
}
