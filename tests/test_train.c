/* test_train.c - whole training runs on toy problems: the pieces fit together, learn,
 * respect frozen layers, and reproduce bit for bit from a seed.
 *
 * No allocation happens inside the loops below: the model allocated every buffer in
 * nn_model_build and the optimiser its state in nn_*_new (a design property of model.h
 * and optim.h; the loops only call forward, loss, backward and step). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/metrics.h"
#include "nn/optim.h"
#include "nn/schedule.h"

/* XOR: not linearly separable, so it needs the hidden layer to be trained correctly. */
static const float xor_x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
static const uint8_t xor_y[4] = {0, 1, 1, 0};

static nn_model *xor_model(nn_activation act, uint64_t seed) {
    nn_err err = {{0}};
    nn_model *m = nn_model_new(2, 1, 1, &err);
    nn_add_dense(m, 8);
    nn_add_activation(m, act);
    nn_add_dense(m, 2);
    cr_assert_eq(nn_model_build(m, 4, &err), 0, "%s", err.msg);
    nn_rng rng;
    rng_seed(&rng, seed);
    nn_model_init(m, NN_INIT_GLOROT_UNIFORM, &rng);
    nn_set_input_grad(m, 0);
    return m;
}

/* Full-batch training; returns the final loss. */
static float train_xor(nn_model *m, nn_optim *o, int steps, float lr) {
    float loss = 0;
    for (int s = 0; s < steps; s++) {
        const float *out = nn_forward(m, xor_x, 4, 1);
        loss = softmax_xent(out, xor_y, 4, 2, nn_output_grad_buffer(m));
        nn_backward(m, nn_output_grad_buffer(m), 4);
        nn_optim_step(o, lr);
    }
    return loss;
}

Test(train, xor_with_sgd_momentum_tanh) {
    nn_model *m = xor_model(NN_TANH, 1);
    nn_optim *o = nn_sgd_new(m, (nn_sgd_config){.momentum = 0.9f}, NULL);
    float first = softmax_xent(nn_forward(m, xor_x, 4, 0), xor_y, 4, 2, NULL);
    float loss = train_xor(m, o, 500, 0.1f);
    const float *out = nn_forward(m, xor_x, 4, 0);
    cr_assert_float_eq(nn_accuracy(out, xor_y, 4, 2), 1.0f, 0, "accuracy below 100%%");
    cr_assert(loss < 0.05f * first, "loss %g from %g", loss, first);
    nn_optim_free(o);
    nn_model_free(m);
}

Test(train, xor_with_adam_lecun_tanh) {
    nn_model *m = xor_model(NN_LECUN_TANH, 2);
    nn_optim *o = nn_adam_new(m, nn_adam_defaults(), NULL);
    train_xor(m, o, 300, 0.02f);
    cr_assert_eq(nn_count_correct(nn_forward(m, xor_x, 4, 0), xor_y, 4, 2), 4);
    nn_optim_free(o);
    nn_model_free(m);
}

/* Two Gaussian blobs in 2-D, centres (-2,-2) and (2,2), std 0.5: the margin is over five
 * standard deviations, so every point is separable. Mini-batches over a shuffled order. */
enum { BLOB_N = 200, BATCH = 20 };

static void make_blobs(float *x, uint8_t *y, uint64_t seed) {
    nn_rng rng;
    rng_seed(&rng, seed);
    for (int i = 0; i < BLOB_N; i++) {
        y[i] = (uint8_t)(i % 2);
        float c = y[i] ? 2.0f : -2.0f;
        x[2 * i] = c + 0.5f * rng_normal(&rng);
        x[2 * i + 1] = c + 0.5f * rng_normal(&rng);
    }
}

/* Trains a ReLU MLP on the blobs with SGD + Nesterov and a warm-up/cosine schedule, all
 * randomness from `seed`; returns the trained model. */
static nn_model *train_blobs(uint64_t seed, int freeze_first) {
    float x[BLOB_N * 2], bx[BATCH * 2];
    uint8_t y[BLOB_N], by[BATCH];
    make_blobs(x, y, 99);
    nn_model *m = nn_model_new(2, 1, 1, NULL);
    nn_add_dense(m, 16);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 16);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 2);
    cr_assert_eq(nn_model_build(m, BATCH, NULL), 0);
    nn_rng rng;
    rng_seed(&rng, seed);
    nn_model_init(m, NN_INIT_HE_NORMAL, &rng);
    if (freeze_first) nn_freeze_layer(m, 0, 1);
    nn_optim *o = nn_sgd_new(
        m, (nn_sgd_config){.momentum = 0.9f, .nesterov = 1, .weight_decay = 1e-4f}, NULL);
    int order[BLOB_N];
    for (int i = 0; i < BLOB_N; i++) order[i] = i;
    const int epochs = 10, steps = epochs * (BLOB_N / BATCH);
    int step = 0;
    for (int e = 0; e < epochs; e++) {
        rng_shuffle(&rng, order, BLOB_N);
        for (int b = 0; b < BLOB_N / BATCH; b++, step++) {
            for (int i = 0; i < BATCH; i++) {
                int k = order[b * BATCH + i];
                bx[2 * i] = x[2 * k], bx[2 * i + 1] = x[2 * k + 1];
                by[i] = y[k];
            }
            softmax_xent(nn_forward(m, bx, BATCH, 1), by, BATCH, 2, nn_output_grad_buffer(m));
            nn_backward(m, nn_output_grad_buffer(m), BATCH);
            nn_optim_step(o, nn_lr_warmup_cosine(0.05f, 0, step, 10, steps));
        }
    }
    nn_optim_free(o);
    return m;
}

static float blob_accuracy(nn_model *m) {
    float x[BLOB_N * 2];
    uint8_t y[BLOB_N];
    make_blobs(x, y, 99);
    int correct = 0;
    for (int b = 0; b < BLOB_N / BATCH; b++)
        correct += nn_count_correct(nn_forward(m, x + b * BATCH * 2, BATCH, 0), y + b * BATCH,
                                    BATCH, 2);
    return (float)correct / BLOB_N;
}

Test(train, blobs_reach_full_accuracy) {
    nn_model *m = train_blobs(7, 0);
    cr_assert_float_eq(blob_accuracy(m), 1.0f, 0, "accuracy %g", blob_accuracy(m));
    nn_model_free(m);
}

Test(train, same_seed_gives_bit_identical_parameters) {
    nn_model *a = train_blobs(11, 0), *b = train_blobs(11, 0), *c = train_blobs(12, 0);
    size_t n = nn_param_count(a);
    cr_assert_arr_eq(nn_params(a), nn_params(b), n * sizeof(float));
    cr_assert(memcmp(nn_params(a), nn_params(c), n * sizeof(float)) != 0);
    nn_model_free(a);
    nn_model_free(b);
    nn_model_free(c);
}

Test(train, frozen_first_layer_is_unchanged_by_training) {
    /* Same seed, so the frozen model starts from exactly the initial weights of this one. */
    nn_model *init = nn_model_new(2, 1, 1, NULL);
    nn_add_dense(init, 16);
    nn_add_activation(init, NN_RELU);
    nn_add_dense(init, 16);
    nn_add_activation(init, NN_RELU);
    nn_add_dense(init, 2);
    cr_assert_eq(nn_model_build(init, 1, NULL), 0);
    nn_rng rng;
    rng_seed(&rng, 13);
    nn_model_init(init, NN_INIT_HE_NORMAL, &rng);

    nn_model *m = train_blobs(13, 1);
    const size_t first = 2 * 16 + 16;
    cr_assert_arr_eq(nn_params(m), nn_params(init), first * sizeof(float));
    cr_assert(memcmp(nn_params(m) + first, nn_params(init) + first,
                     (nn_param_count(m) - first) * sizeof(float)) != 0);
    /* With random first-layer features the rest still separates the blobs. */
    cr_assert(blob_accuracy(m) > 0.95f, "accuracy %g", blob_accuracy(m));
    nn_model_free(init);
    nn_model_free(m);
}

Test(train, metrics) {
    const float s[6] = {0.1f, 0.7f, 0.2f, 0.5f, 0.5f, 0.0f};
    const uint8_t y[2] = {1, 1};
    cr_assert_eq(nn_argmax(s, 3), 1);
    cr_assert_eq(nn_argmax(s + 3, 3), 0, "ties go to the first");
    cr_assert_eq(nn_count_correct(s, y, 2, 3), 1);
    cr_assert_float_eq(nn_accuracy(s, y, 2, 3), 0.5f, 0);
}
