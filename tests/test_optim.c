/* test_optim.c - SGD and Adam against hand-computed updates; frozen spans; schedules. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/optim.h"
#include "nn/schedule.h"

/* Two inputs, one output: params = [w0, w1, b]. */
static nn_model *tiny(void) {
    nn_model *m = nn_model_new(2, 1, 1, NULL);
    nn_add_dense(m, 1);
    cr_assert_eq(nn_model_build(m, 1, NULL), 0);
    return m;
}

static void set3(float *a, float x, float y, float z) {
    a[0] = x, a[1] = y, a[2] = z;
}

Test(optim, sgd_plain_step) {
    nn_model *m = tiny();
    nn_optim *o = nn_sgd_new(m, (nn_sgd_config){0}, NULL);
    cr_assert_not_null(o);
    set3(nn_params(m), 1, -2, 0.5f);
    set3(nn_grads(m), 0.5f, 1, -1);
    nn_optim_step(o, 0.1f);
    cr_assert_float_eq(nn_params(m)[0], 0.95f, 1e-7f);
    cr_assert_float_eq(nn_params(m)[1], -2.1f, 1e-7f);
    cr_assert_float_eq(nn_params(m)[2], 0.6f, 1e-7f);
    cr_assert_eq(nn_optim_steps(o), 1);
    nn_optim_free(o);
    nn_model_free(m);
}

Test(optim, sgd_weight_decay_spares_biases_unless_asked) {
    nn_model *m = tiny();
    nn_optim *o = nn_sgd_new(m, (nn_sgd_config){.weight_decay = 0.1f}, NULL);
    set3(nn_params(m), 1, -2, 0.5f);
    set3(nn_grads(m), 0.5f, 1, -1);
    nn_optim_step(o, 0.1f);
    /* w0: d = 0.5 + 0.1*1 = 0.6; w1: d = 1 + 0.1*(-2) = 0.8; b: d = -1 (no decay). */
    cr_assert_float_eq(nn_params(m)[0], 0.94f, 1e-7f);
    cr_assert_float_eq(nn_params(m)[1], -2.08f, 1e-7f);
    cr_assert_float_eq(nn_params(m)[2], 0.6f, 1e-7f);
    nn_optim_free(o);

    o = nn_sgd_new(m, (nn_sgd_config){.weight_decay = 0.1f, .decay_biases = 1}, NULL);
    set3(nn_params(m), 1, -2, 0.5f);
    nn_optim_step(o, 0.1f);
    /* b: d = -1 + 0.1*0.5 = -0.95. */
    cr_assert_float_eq(nn_params(m)[2], 0.595f, 1e-7f);
    nn_optim_free(o);
    nn_model_free(m);
}

Test(optim, sgd_momentum_two_steps) {
    nn_model *m = tiny();
    nn_optim *o = nn_sgd_new(m, (nn_sgd_config){.momentum = 0.9f}, NULL);
    set3(nn_params(m), 1, 0, 0);
    set3(nn_grads(m), 0.5f, 0, 0);
    nn_optim_step(o, 0.1f); /* v = 0.5, p = 0.95 */
    cr_assert_float_eq(nn_params(m)[0], 0.95f, 1e-7f);
    nn_optim_step(o, 0.1f); /* v = 0.9*0.5 + 0.5 = 0.95, p = 0.95 - 0.095 */
    cr_assert_float_eq(nn_params(m)[0], 0.855f, 1e-7f);
    nn_optim_free(o);
    nn_model_free(m);
}

Test(optim, sgd_nesterov_two_steps) {
    nn_model *m = tiny();
    nn_optim *o = nn_sgd_new(m, (nn_sgd_config){.momentum = 0.9f, .nesterov = 1}, NULL);
    set3(nn_params(m), 1, 0, 0);
    set3(nn_grads(m), 0.5f, 0, 0);
    nn_optim_step(o, 0.1f); /* v = 0.5, step d + mu v = 0.95 */
    cr_assert_float_eq(nn_params(m)[0], 0.905f, 1e-7f);
    nn_optim_step(o, 0.1f); /* v = 0.95, step 0.5 + 0.855 = 1.355 */
    cr_assert_float_eq(nn_params(m)[0], 0.7695f, 1e-7f);
    nn_optim_free(o);
    nn_model_free(m);
}

Test(optim, adam_two_steps) {
    nn_model *m = tiny();
    nn_optim *o = nn_adam_new(m, nn_adam_defaults(), NULL);
    cr_assert_not_null(o);
    set3(nn_params(m), 1, 0, 0);
    set3(nn_grads(m), 0.5f, 0, 0);
    /* Bias correction makes the first step lr * g / |g| = 0.1 whatever the gradient scale. */
    nn_optim_step(o, 0.1f);
    cr_assert_float_eq(nn_params(m)[0], 0.9f, 1e-7f);
    /* Zero gradients leave a parameter where it is (m = v = 0 there). */
    cr_assert(nn_params(m)[1] == 0.0f);
    /* Step 2 with g = -1: m = -0.055, v = 0.00124975; m^ = -0.2894737, v^ = 0.6251876. */
    nn_grads(m)[0] = -1;
    nn_optim_step(o, 0.1f);
    cr_assert_float_eq(nn_params(m)[0], 0.93661035f, 1e-6f, "%.8f", nn_params(m)[0]);
    nn_optim_free(o);
    nn_model_free(m);
}

Test(optim, reset_forgets_state) {
    nn_model *m = tiny();
    nn_optim *o = nn_adam_new(m, nn_adam_defaults(), NULL);
    set3(nn_params(m), 1, 1, 1);
    set3(nn_grads(m), 0.3f, -0.2f, 0.1f);
    nn_optim_step(o, 0.1f);
    nn_optim_step(o, 0.1f);
    nn_optim_reset(o);
    cr_assert_eq(nn_optim_steps(o), 0);
    set3(nn_params(m), 1, 1, 1);
    nn_optim_step(o, 0.1f); /* like a fresh first step: each moves by exactly lr */
    cr_assert_float_eq(nn_params(m)[0], 0.9f, 1e-6f);
    cr_assert_float_eq(nn_params(m)[1], 1.1f, 1e-6f);
    nn_optim_free(o);
    nn_model_free(m);
}

static void frozen_check(int adam) {
    nn_model *m = nn_model_new(3, 1, 1, NULL);
    nn_add_dense(m, 2);
    nn_add_dense(m, 1);
    cr_assert_eq(nn_model_build(m, 1, NULL), 0);
    nn_rng rng;
    rng_seed(&rng, 3);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    nn_optim *o = adam ? nn_adam_new(m, nn_adam_defaults(), NULL)
                       : nn_sgd_new(m, (nn_sgd_config){.momentum = 0.9f, .weight_decay = 0.01f},
                                    NULL);
    nn_freeze_layer(m, 0, 1);
    size_t n = nn_param_count(m), n0 = 3 * 2 + 2;
    float *before = malloc(n * sizeof *before);
    memcpy(before, nn_params(m), n * sizeof *before);
    for (int s = 0; s < 5; s++) {
        /* Even a gradient present in a frozen span (nothing zeroed it) must be ignored. */
        for (size_t i = 0; i < n; i++) nn_grads(m)[i] = 0.25f;
        nn_optim_step(o, 0.1f);
    }
    cr_assert_arr_eq(nn_params(m), before, n0 * sizeof *before, "frozen layer moved");
    for (size_t i = n0; i < n; i++) cr_assert(nn_params(m)[i] != before[i], "unfrozen did not");
    if (!adam) {
        /* Its momentum did not build up while frozen: the first step after unfreezing is
         * a plain lr * (g + wd p) step. */
        nn_freeze_layer(m, 0, 0);
        for (size_t i = 0; i < n; i++) nn_grads(m)[i] = 0.25f;
        nn_optim_step(o, 0.1f);
        float want = before[0] - 0.1f * (0.25f + 0.01f * before[0]);
        cr_assert_float_eq(nn_params(m)[0], want, 1e-7f);
    }
    free(before);
    nn_optim_free(o);
    nn_model_free(m);
}

Test(optim, sgd_leaves_frozen_layer_unchanged) { frozen_check(0); }
Test(optim, adam_leaves_frozen_layer_unchanged) { frozen_check(1); }

Test(optim, bad_configurations_are_reported) {
    nn_err err = {{0}};
    nn_model *m = tiny();
    cr_assert_null(nn_sgd_new(m, (nn_sgd_config){.nesterov = 1}, &err));
    cr_assert(strstr(err.msg, "nesterov") != NULL, "%s", err.msg);
    cr_assert_null(nn_sgd_new(m, (nn_sgd_config){.momentum = 1.0f}, &err));
    cr_assert(strstr(err.msg, "momentum") != NULL, "%s", err.msg);
    nn_adam_config c = nn_adam_defaults();
    c.beta2 = 1.0f;
    cr_assert_null(nn_adam_new(m, c, &err));
    cr_assert(strstr(err.msg, "beta2") != NULL, "%s", err.msg);
    nn_model *unbuilt = nn_model_new(2, 1, 1, NULL);
    cr_assert_null(nn_sgd_new(unbuilt, (nn_sgd_config){0}, &err));
    cr_assert(strstr(err.msg, "built") != NULL, "%s", err.msg);
    nn_model_free(unbuilt);
    nn_model_free(m);
}

/* ---- schedules ------------------------------------------------------------------------ */

Test(schedule, step_decay) {
    cr_assert_float_eq(nn_lr_step_decay(0.1f, 0, 30, 0.1f), 0.1f, 1e-9f);
    cr_assert_float_eq(nn_lr_step_decay(0.1f, 29, 30, 0.1f), 0.1f, 1e-9f);
    cr_assert_float_eq(nn_lr_step_decay(0.1f, 30, 30, 0.1f), 0.01f, 1e-9f);
    cr_assert_float_eq(nn_lr_step_decay(0.1f, 65, 30, 0.1f), 0.001f, 1e-9f);
}

Test(schedule, cosine) {
    cr_assert_float_eq(nn_lr_cosine(0.1f, 0.001f, 0, 100), 0.1f, 1e-9f);
    cr_assert_float_eq(nn_lr_cosine(0.1f, 0.001f, 50, 100), 0.0505f, 1e-7f);
    /* A quarter in: 0.1 (1 + cos(pi/4)) / 2 = 0.0853553. */
    cr_assert_float_eq(nn_lr_cosine(0.1f, 0, 25, 100), 0.08535534f, 1e-7f);
    cr_assert_float_eq(nn_lr_cosine(0.1f, 0.001f, 100, 100), 0.001f, 1e-9f);
    cr_assert_float_eq(nn_lr_cosine(0.1f, 0.001f, 150, 100), 0.001f, 1e-9f);
}

Test(schedule, warmup_then_cosine) {
    const float base = 0.4f, final = 0.0f;
    cr_assert_float_eq(nn_lr_warmup_cosine(base, final, 0, 10, 110), 0.04f, 1e-7f);
    cr_assert_float_eq(nn_lr_warmup_cosine(base, final, 4, 10, 110), 0.2f, 1e-7f);
    cr_assert_float_eq(nn_lr_warmup_cosine(base, final, 9, 10, 110), 0.4f, 1e-7f);
    cr_assert_float_eq(nn_lr_warmup_cosine(base, final, 10, 10, 110), 0.4f, 1e-7f);
    cr_assert_float_eq(nn_lr_warmup_cosine(base, final, 60, 10, 110), 0.2f, 1e-7f);
    cr_assert_float_eq(nn_lr_warmup_cosine(base, final, 110, 10, 110), 0.0f, 1e-7f);
}

Test(schedule, one_cycle_rises_then_falls) {
    const long total = 1000;
    float prev = nn_lr_one_cycle(1.0f, 0, total, 0.3f, 25, 1e4f);
    cr_assert_float_eq(prev, 1.0f / 25, 1e-7f);
    cr_assert_float_eq(nn_lr_one_cycle(1.0f, 300, total, 0.3f, 25, 1e4f), 1.0f, 1e-7f);
    cr_assert_float_eq(nn_lr_one_cycle(1.0f, total, total, 0.3f, 25, 1e4f), 1.0f / 25 / 1e4f,
                       1e-9f);
    for (long s = 1; s <= total; s++) {
        float lr = nn_lr_one_cycle(1.0f, s, total, 0.3f, 25, 1e4f);
        if (s <= 300) cr_assert(lr >= prev, "not rising at %ld", s);
        else cr_assert(lr <= prev, "not falling at %ld", s);
        prev = lr;
    }
}
