/* test_optim.c - SGD and Adam against hand-computed updates; frozen spans; schedules. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

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

/* ---- Adam: weight decay, decay_biases, and the AVX-512 loop ----------------------------- */

/* Adam's first step moves every parameter by lr against the sign of d = g + wd p (bias
 * correction makes |m^| / sqrt(v^) = 1), so the sign of d shows whether the decay applied:
 * with p = 1, g = -0.05 and wd = 0.1, d = +0.05 (the parameter goes down); without decay
 * d = -0.05 (it goes up). Biases are spared unless decay_biases is set. */
Test(optim, adam_weight_decay_spares_biases_unless_asked) {
    nn_model *m = tiny();
    nn_adam_config c = nn_adam_defaults();
    c.weight_decay = 0.1f;
    nn_optim *o = nn_adam_new(m, c, NULL);
    cr_assert_not_null(o);
    set3(nn_params(m), 1, 1, 1);
    set3(nn_grads(m), -0.05f, -0.2f, -0.05f);
    nn_optim_step(o, 0.1f);
    cr_assert_float_eq(nn_params(m)[0], 0.9f, 1e-6f, "w0: d = -0.05 + 0.1 > 0, decayed");
    cr_assert_float_eq(nn_params(m)[1], 1.1f, 1e-6f, "w1: d = -0.2 + 0.1 < 0");
    cr_assert_float_eq(nn_params(m)[2], 1.1f, 1e-6f, "bias: not decayed, d = -0.05");
    /* Step 2, g = 0: the decay alone (d = 0.1 p) keeps pulling w0 down; the bias, with no
     * gradient and no decay, moves only by its momentum. m = 0.9 * 0.1 * 0.05 = 0.0045 for
     * w0 after step 1, then m = 0.9 m + 0.1 * 0.1 * 0.9 (d = wd p = 0.09). */
    set3(nn_grads(m), 0, 0, 0);
    float b_before = nn_params(m)[2];
    nn_optim_step(o, 0.1f);
    cr_assert_lt(nn_params(m)[0], 0.9f, "decay without gradient still shrinks w0");
    cr_assert_gt(nn_params(m)[2], b_before, "the bias keeps its momentum upwards, no decay");
    nn_optim_free(o);

    c.decay_biases = 1;
    o = nn_adam_new(m, c, NULL);
    set3(nn_params(m), 1, 1, 1);
    set3(nn_grads(m), -0.05f, -0.2f, -0.05f);
    nn_optim_step(o, 0.1f);
    cr_assert_float_eq(nn_params(m)[2], 0.9f, 1e-6f, "bias decayed when asked");
    cr_assert_float_eq(nn_params(m)[0], 0.9f, 1e-6f);
    nn_optim_free(o);
    nn_model_free(m);
}

/* Adam exactly as optim.h writes it, one float operation at a time, for one element. */
static void adam_reference(float *p, float g, float *m1, float *m2, float b1, float b2, float eps,
                           float wd, float step, float inv_sqrt_bc2) {
    float d = g + wd * *p;
    *m1 = b1 * *m1 + (1 - b1) * d;
    *m2 = b2 * *m2 + (1 - b2) * d * d;
    *p -= step * *m1 / (sqrtf(*m2) * inv_sqrt_bc2 + eps);
}

/* Several Adam steps on a model whose spans are long (the AVX-512 body, 16 floats at a time,
 * with a scalar tail: 37 x 23 weights, 23 biases) and one span long enough to be split over
 * the threads, against the scalar reference: the vector body must give the same bits,
 * whatever the thread count. (Without AVX-512 this checks the scalar loop alike.) */
Test(optim, adam_vector_loop_is_bit_identical_to_the_scalar_rule) {
    enum { IN = 37, HID = 23, BIG = 3000, STEPS = 5 };
    nn_model *m = nn_model_new(IN, 1, 1, NULL);
    nn_add_dense(m, HID);
    nn_add_dense(m, BIG); /* 23 x 3000 = 69000 weights: split over the threads */
    cr_assert_eq(nn_model_build(m, 1, NULL), 0);
    const size_t n = nn_param_count(m);
    cr_assert_geq(nn_param_span_count(m), 4);
    cr_assert_geq(nn_param_span_at(m, 2).count, 65536, "a span the threads split (parallel.h)");
    nn_adam_config c = nn_adam_defaults();
    c.weight_decay = 0.01f;
    float *p0 = malloc(n * sizeof *p0), *g = malloc(STEPS * n * sizeof *g);
    float *ref = malloc(n * sizeof *ref), *m1 = calloc(n, sizeof *m1), *m2 = calloc(n, sizeof *m2);
    nn_rng rng;
    rng_seed(&rng, 11);
    for (size_t i = 0; i < n; i++) p0[i] = 2 * rng_uniform(&rng) - 1;
    for (size_t i = 0; i < STEPS * n; i++) g[i] = (rng_uniform(&rng) - 0.5f) * 1e-2f;
    /* The reference: every element alone, with the bias corrections as optim.c computes
     * them (in double, once per step). Biases are not decayed. */
    memcpy(ref, p0, n * sizeof *ref);
    for (int t = 1; t <= STEPS; t++) {
        float step = (float)((double)0.01f / (1.0 - pow(c.beta1, t)));
        float inv = (float)(1.0 / sqrt(1.0 - pow(c.beta2, t)));
        for (int k = 0; k < nn_param_span_count(m); k++) {
            nn_param_span s = nn_param_span_at(m, k);
            float wd = s.is_bias ? 0 : c.weight_decay;
            for (size_t i = s.offset; i < s.offset + s.count; i++)
                adam_reference(ref + i, g[(t - 1) * n + i], m1 + i, m2 + i, c.beta1, c.beta2,
                               c.eps, wd, step, inv);
        }
    }
    const int threads[] = {1, 2, 3};
    for (int r = 0; r < 3; r++) {
        omp_set_num_threads(threads[r]);
        nn_optim *o = nn_adam_new(m, c, NULL);
        memcpy(nn_params(m), p0, n * sizeof *p0);
        for (int t = 0; t < STEPS; t++) {
            memcpy(nn_grads(m), g + t * n, n * sizeof *g);
            nn_optim_step(o, 0.01f);
        }
        const float *p = nn_params(m);
        for (size_t i = 0; i < n; i++)
            cr_assert(memcmp(p + i, ref + i, sizeof *p) == 0,
                      "%d thread(s): parameter %zu is %.9g, the scalar rule gives %.9g", threads[r],
                      i, (double)p[i], (double)ref[i]);
        nn_optim_free(o);
    }
    free(p0), free(g), free(ref), free(m1), free(m2);
    nn_model_free(m);
}
