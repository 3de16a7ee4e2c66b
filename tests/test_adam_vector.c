/* test_adam_vector.c - Adam on a plain array: the update rule step by step against a double
 * reference, agreement with the model optimiser, and convergence on a quadratic. */
#include <criterion/criterion.h>
#include <math.h>

#include "nn/adam_vector.h"
#include "nn/model.h"

Test(adam_vector, three_steps_follow_the_formula) {
    nn_adam_vector a;
    nn_err err;
    nn_adam_config cfg = nn_adam_defaults();
    cr_assert_eq(adam_vector_init(&a, 2, cfg, &err), 0, "%s", err.msg);
    float p[2] = {1.0f, -2.0f};
    const float g[3][2] = {{0.5f, -1.0f}, {0.25f, 2.0f}, {-0.1f, 0.0f}};
    double rp[2] = {1, -2}, m[2] = {0}, v[2] = {0};
    for (int t = 1; t <= 3; t++) {
        adam_vector_step(&a, p, g[t - 1], 0.01f);
        for (int i = 0; i < 2; i++) {
            m[i] = 0.9 * m[i] + 0.1 * g[t - 1][i];
            v[i] = 0.999 * v[i] + 0.001 * g[t - 1][i] * g[t - 1][i];
            double mh = m[i] / (1 - pow(0.9, t)), vh = v[i] / (1 - pow(0.999, t));
            rp[i] -= 0.01 * mh / (sqrt(vh) + 1e-8);
            cr_assert_float_eq(p[i], rp[i], 1e-6, "step %d element %d", t, i);
        }
    }
    cr_assert_eq(a.t, 3);
    adam_vector_reset(&a);
    cr_assert_eq(a.t, 0);
    cr_assert_eq(a.m[0], 0.0f);
    adam_vector_free(&a);
}

/* The first step of Adam moves every element by lr against the sign of its gradient. */
Test(adam_vector, first_step_is_lr_times_the_sign) {
    nn_adam_vector a;
    cr_assert_eq(adam_vector_init(&a, 3, nn_adam_defaults(), NULL), 0);
    float p[3] = {0, 0, 0}, g[3] = {1e-6f, -300.0f, 2.0f};
    adam_vector_step(&a, p, g, 0.1f);
    cr_assert_float_eq(p[0], -0.1f, 1e-3);
    cr_assert_float_eq(p[1], 0.1f, 1e-6);
    cr_assert_float_eq(p[2], -0.1f, 1e-6);
    adam_vector_free(&a);
}

Test(adam_vector, minimises_a_quadratic) {
    nn_adam_vector a;
    cr_assert_eq(adam_vector_init(&a, 4, nn_adam_defaults(), NULL), 0);
    float p[4] = {3, -1, 0.5f, 10}, g[4];
    const float target[4] = {1, 2, -3, 0}, scale[4] = {1, 100, 0.01f, 5};
    for (int s = 0; s < 3000; s++) {
        for (int i = 0; i < 4; i++)
            g[i] = 2 * scale[i] * (p[i] - target[i]);
        adam_vector_step(&a, p, g, 0.05f);
    }
    for (int i = 0; i < 4; i++)
        cr_assert_float_eq(p[i], target[i], 0.05, "element %d", i);
    adam_vector_free(&a);
}

Test(adam_vector, bad_configurations_fail) {
    nn_adam_vector a;
    nn_err err;
    nn_adam_config cfg = nn_adam_defaults();
    cr_assert_eq(adam_vector_init(&a, 0, cfg, &err), -1);
    cfg.beta1 = 1.0f;
    cr_assert_eq(adam_vector_init(&a, 4, cfg, &err), -1);
    cr_assert_null(a.m);
}

/* Same rule as the model optimiser: the same gradients give the same parameters. */
Test(adam_vector, agrees_with_the_model_optimiser) {
    nn_err err;
    nn_model *m = nn_model_new(1, 1, 3, &err);
    nn_add_dense(m, 2); /* 6 weights and 2 biases */
    cr_assert_eq(nn_model_build(m, 1, &err), 0, "%s", err.msg);
    nn_optim *o = nn_adam_new(m, nn_adam_defaults(), &err);
    cr_assert_not_null(o, "%s", err.msg);
    nn_adam_vector a;
    cr_assert_eq(adam_vector_init(&a, 8, nn_adam_defaults(), &err), 0);
    float p[8];
    for (int i = 0; i < 8; i++)
        p[i] = nn_params(m)[i] = 0.1f * i - 0.3f;
    for (int s = 0; s < 20; s++) {
        float g[8];
        for (int i = 0; i < 8; i++)
            g[i] = nn_grads(m)[i] = sinf((float)(s * 8 + i));
        nn_optim_step(o, 0.02f);
        adam_vector_step(&a, p, g, 0.02f);
    }
    for (int i = 0; i < 8; i++)
        cr_assert_float_eq(p[i], nn_params(m)[i], 1e-6, "element %d", i);
    adam_vector_free(&a);
    nn_optim_free(o);
    nn_model_free(m);
}
