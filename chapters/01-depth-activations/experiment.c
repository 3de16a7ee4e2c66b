/* 01-depth-activations/experiment.c - deep, narrow MNIST perceptrons and their gradients.
 *
 * The assignment's grid: fully connected networks with 5, 20 or 40 hidden layers of 32
 * units, every hidden layer using the same activation (ReLU, tanh, sigmoid, or LeCun's
 * scaled tanh 1.7159 tanh(2x/3) + 0.01x), a softmax output, categorical cross-entropy and
 * plain SGD (learning rate 0.01, batches of 32), with Keras' defaults: Glorot-uniform
 * weights and zero biases, pixels scaled to [0, 1]. Each (depth, activation) pair is one
 * experiment, trained for several seeds.
 *
 * Then the fixes the chapter's argument leads to, at every depth and for as many seeds: ReLU
 * with He's initialisation (variance 2 / fan-in, which keeps a ReLU layer's output variance
 * instead of halving it), and tanh with LeCun's (variance 1 / fan-in, which keeps a tanh
 * layer's pre-activations at the variance of its inputs). These are the experiments
 * "depthN-relu-he_normal" and "depthN-tanh-lecun_normal" (the initialiser in the name and in
 * the configuration's "init"; the grid's runs are "glorot_uniform").
 *
 * Logged for every run:
 *   - per epoch: training loss/accuracy (running mean over the epoch) and test loss/accuracy;
 *   - every `window` optimiser steps: the mean training loss/accuracy over those steps
 *     (split 'train_window'), for learning curves finer than an epoch;
 *   - at initialisation (epoch 0) and after every epoch: max |g| and L2 norm of every
 *     layer's weight gradient and output gradient on one fixed mini-batch (the first
 *     `batch` training images), so the 3-epoch models of the assignment's part (C) are the
 *     rows with epoch = 3;
 *   - metrics: test accuracy and loss, final training loss, time, parameter count, how
 *     many hidden units sit where their activation is flat (see flat_stats) and the size
 *     of the first and last hidden layers' outputs, at initialisation and at the end;
 *     and the test confusion matrix.
 *
 * The runs are independent, so with --threads N they are trained N at a time, one thread
 * each (single-threaded BLAS: 32-wide layers are far too small to split), each thread with
 * its own database connection. A run's numbers therefore do not depend on N. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/parallel.h"
#include "db/results.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/train.h"
#include "nn/model.h"
#include "nn/optim.h"

#define CHAPTER "01-depth-activations"
#define UNITS 32
#define CLASSES 10
#define EVAL_BATCH 250 /* evaluation and unit statistics: larger batches, same numbers */

typedef struct profile_config {
    int train_n, test_n; /* images used (the first n of each split; 0: all) */
    int epochs, seeds, batch;
    int window; /* optimiser steps per 'train_window' row */
    float lr;
} profile_config;

/* Full: all of MNIST, 3 seeds, 20 epochs (the assignment gives no count; Keras' MNIST
 * examples use 10 to 20). Part (C) reads the models after epoch 3 from the same runs.
 * Smoke: the same 12 networks on a few hundred images, with every table and figure. */
static const profile_config FULL = {0, 0, 20, 3, 32, 100, 0.01f};
static const profile_config SMOKE = {480, 500, 3, 2, 32, 3, 0.01f};

static const int DEPTHS[] = {5, 20, 40};
/* What is trained at every depth: the assignment's four activations with Keras' default
 * initialisation, then each fix (an activation with the initialisation made for it). */
typedef struct network {
    nn_activation act;
    nn_init init;
} network;

static const network NETWORKS[] = {
    {NN_RELU, NN_INIT_GLOROT_UNIFORM},    {NN_TANH, NN_INIT_GLOROT_UNIFORM},
    {NN_SIGMOID, NN_INIT_GLOROT_UNIFORM}, {NN_LECUN_TANH, NN_INIT_GLOROT_UNIFORM},
    {NN_RELU, NN_INIT_HE_NORMAL},         {NN_TANH, NN_INIT_LECUN_NORMAL},
};
enum {
    N_DEPTHS = sizeof DEPTHS / sizeof DEPTHS[0],
    N_NETWORKS = sizeof NETWORKS / sizeof NETWORKS[0],
};

static const char *init_name(nn_init init) {
    switch (init) {
    case NN_INIT_HE_NORMAL:
        return "he_normal";
    case NN_INIT_LECUN_NORMAL:
        return "lecun_normal";
    default:
        return "glorot_uniform";
    }
}

typedef struct task {
    int depth;
    nn_activation act;
    nn_init init;
    int64_t seed;
    char experiment[48]; /* "depth20-tanh", "depth40-relu-he_normal" */
} task;

/* Read-only inputs shared by every task. */
typedef struct shared {
    const nn_cli *cli;
    const profile_config *cfg;
    const nn_images *train, *test;
} shared;

static nn_model *build_model(int depth, nn_activation act, nn_init init, nn_rng *rng, nn_err *err) {
    nn_model *m = nn_model_new(1, 28, 28, err);
    if (!m) return NULL;
    for (int k = 0; k < depth; k++) {
        nn_add_dense(m, UNITS);
        nn_add_activation(m, act);
    }
    /* The softmax of the output is inside the loss (softmax_xent), as in Keras'
     * softmax + categorical cross-entropy, computed stably from the logits. */
    nn_add_dense(m, CLASSES);
    if (nn_model_build(m, EVAL_BATCH, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, init, rng); /* biases 0 */
    nn_set_input_grad(m, 0);
    return m;
}

/* Where the hidden units sit on their activation after the last forward pass of n samples:
 * the fraction of (sample, unit) pairs whose slope f'(x) is below 1% of the activation's
 * largest slope ("flat": for ReLU, inactive), and the fraction of units that are flat for
 * every one of the n samples ("stuck": for ReLU, dead on this batch). `ones` and `slope`
 * are n*UNITS scratch floats. */
typedef struct flat_stats {
    double flat, stuck;
    double rms_first, rms_last; /* root mean square of the first and last hidden outputs */
} flat_stats;

static double rms(const float *v, size_t len) {
    double s = 0;
    for (size_t i = 0; i < len; i++) s += (double)v[i] * v[i];
    return sqrt(s / (double)len);
}

static double max_slope(nn_activation act) {
    switch (act) {
    case NN_SIGMOID: return 0.25;
    case NN_LECUN_TANH: return 1.7159 * 2.0 / 3.0 + 0.01;
    default: return 1.0;
    }
}

static flat_stats measure_flat(const nn_model *m, int depth, nn_activation act, int n, float *ones,
                               float *slope) {
    long flat = 0, stuck = 0;
    double limit = 0.01 * max_slope(act);
    for (int k = 0; k < depth; k++) {
        const float *pre = nn_layer_output(m, 2 * k), *post = nn_layer_output(m, 2 * k + 1);
        activation_backward(act, slope, ones, pre, post, n, UNITS);
        for (int u = 0; u < UNITS; u++) {
            int flat_here = 0;
            for (int i = 0; i < n; i++) flat_here += slope[(size_t)i * UNITS + u] < limit;
            flat += flat_here;
            stuck += flat_here == n;
        }
    }
    return (flat_stats){(double)flat / ((double)n * depth * UNITS),
                        (double)stuck / ((double)depth * UNITS),
                        rms(nn_layer_output(m, 1), (size_t)n * UNITS),
                        rms(nn_layer_output(m, 2 * depth - 1), (size_t)n * UNITS)};
}

static int train_one(nn_results *db, const shared *sh, const task *t, nn_err *err) {
    const profile_config *cfg = sh->cfg;
    nn_json config;
    json_begin(&config);
    json_int(&config, "depth", t->depth);
    json_int(&config, "units", UNITS);
    json_str(&config, "activation", activation_name(t->act));
    json_str(&config, "output", "softmax");
    json_str(&config, "loss", "categorical_crossentropy");
    json_str(&config, "init", init_name(t->init));
    json_str(&config, "bias_init", "zeros");
    json_str(&config, "inputs", "pixels/255");
    json_int(&config, "train_n", sh->train->n);
    json_int(&config, "test_n", sh->test->n);
    json_int(&config, "epochs", cfg->epochs);
    json_int(&config, "batch", cfg->batch);
    json_num(&config, "lr", cfg->lr);
    json_str(&config, "optimizer", "sgd");
    json_int(&config, "momentum", 0);
    json_int(&config, "probe_batch", cfg->batch);
    json_str(&config, "probe", "first training images");
    json_int(&config, "window_steps", cfg->window);
    json_int(&config, "unit_stats_batch", EVAL_BATCH);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, t->experiment, sh->cli->profile, json_end(&config), t->seed},
        err);
    if (run < 0) return -1;

    nn_rng rng;
    rng_seed(&rng, (uint64_t)t->seed);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2);
    nn_model *m = build_model(t->depth, t->act, t->init, &init_rng, err);
    nn_optim *opt = m ? nn_sgd_new(m, (nn_sgd_config){0}, err) : NULL; /* plain SGD */
    nn_batches train_b = {0}, test_b = {0}, probe = {0}, units_b = {0};
    float *ones = malloc(sizeof(float) * EVAL_BATCH * UNITS);
    float *slope = malloc(sizeof(float) * EVAL_BATCH * UNITS);
    int rc = -1;
    if (!ones || !slope) {
        nn_fail(err, "out of memory");
        goto done;
    }
    for (int i = 0; i < EVAL_BATCH * UNITS; i++) ones[i] = 1.0f;
    if (!opt || batches_init(&train_b, sh->train, cfg->batch, err) ||
        batches_init(&test_b, sh->test, EVAL_BATCH, err) ||
        batches_init(&probe, sh->train, cfg->batch, err) ||
        batches_init(&units_b, sh->train, EVAL_BATCH, err))
        goto done;
    batches_next(&probe);   /* the fixed probe batch: the first training images */
    batches_next(&units_b); /* the first EVAL_BATCH training images, for unit statistics */

    nn_forward(m, units_b.x, units_b.count, 0);
    flat_stats flat0 = measure_flat(m, t->depth, t->act, units_b.count, ones, slope);

    char label[96];
    snprintf(label, sizeof label, "%s seed %lld", t->experiment, (long long)t->seed);
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = cfg->epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_CONSTANT, .lr = cfg->lr};
    tc.window = cfg->window;
    tc.test = &test_b;
    tc.log_confusion = 1;
    tc.probe_x = probe.x, tc.probe_y = probe.y, tc.probe_n = probe.count;
    nn_image_source src = {.batches = &train_b, .order = &order_rng};
    if (train_classifier(db, run, m, opt, train_source_images(&src), &tc, NULL, err)) goto done;

    nn_forward(m, units_b.x, units_b.count, 0);
    flat_stats flat1 = measure_flat(m, t->depth, t->act, units_b.count, ones, slope);
    if (results_transaction_begin(db, err) ||
        results_log_metric(db, run, "flat_fraction_init", flat0.flat, err) ||
        results_log_metric(db, run, "flat_fraction_final", flat1.flat, err) ||
        results_log_metric(db, run, "stuck_units_init", flat0.stuck, err) ||
        results_log_metric(db, run, "stuck_units_final", flat1.stuck, err) ||
        results_log_metric(db, run, "rms_first_hidden_init", flat0.rms_first, err) ||
        results_log_metric(db, run, "rms_last_hidden_init", flat0.rms_last, err) ||
        results_log_metric(db, run, "rms_first_hidden_final", flat1.rms_first, err) ||
        results_log_metric(db, run, "rms_last_hidden_final", flat1.rms_last, err) ||
        results_transaction_commit(db, err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    free(ones);
    free(slope);
    batches_free(&train_b);
    batches_free(&test_b);
    batches_free(&probe);
    batches_free(&units_b);
    nn_optim_free(opt);
    nn_model_free(m);
    return rc;
}

int main(int argc, char **argv) {
    nn_cli cli;
    int exit_code = cli_start(
        argc, argv,
        "Trains MNIST perceptrons with 5, 20 and 40 hidden layers of 32 units, each with ReLU, "
        "tanh, sigmoid and LeCun's scaled tanh (Glorot-uniform weights), and the fixes: ReLU "
        "with He's and tanh with LeCun's initialisation, for several seeds, and logs learning "
        "curves and per-layer gradient statistics into the results database. Runs are trained "
        "--threads at a time, one thread each.",
        stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    nn_err err = {{0}};
    const profile_config *cfg = cli.smoke ? &SMOKE : &FULL;

    /* The data, and the database opened (and migrated) once up front, so a bad path is one
     * error, not one per thread. */
    nn_mnist_inputs in;
    if (experiment_open(&cli, cfg->train_n, cfg->test_n, &in, &err)) {
        fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
        return 1;
    }
    int rc = 1;
    /* Deepest networks first: they take longest, so the threads finish together. */
    int n_tasks = N_DEPTHS * N_NETWORKS * cfg->seeds;
    task *tasks = calloc((size_t)n_tasks, sizeof *tasks);
    if (!tasks) {
        fprintf(stderr, "%s: out of memory\n", CHAPTER);
        goto out;
    }
    int k = 0;
    for (int d = N_DEPTHS - 1; d >= 0; d--)
        for (int s = 0; s < cfg->seeds; s++)
            for (int a = 0; a < N_NETWORKS; a++, k++) {
                const network *net = &NETWORKS[a];
                tasks[k] = (task){DEPTHS[d], net->act, net->init, cli.seed + s, ""};
                int n = snprintf(tasks[k].experiment, sizeof tasks[k].experiment, "depth%d-%s",
                                 DEPTHS[d], activation_name(net->act));
                if (net->init != NN_INIT_GLOROT_UNIFORM)
                    snprintf(tasks[k].experiment + n, sizeof tasks[k].experiment - n, "-%s",
                             init_name(net->init));
            }

    shared sh = {&cli, cfg, &in.train, &in.test};
    int failed = 0, reported = 0;
    int threads = omp_get_max_threads();
    const int held = blas_hold_single(threads); /* the runs' BLAS calls are single-threaded */
#pragma omp parallel num_threads(threads)
    {
        nn_err terr = {{0}};
        nn_results *db = results_open(cli.db, &terr);
        if (!db) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < n_tasks; i++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop || !db) continue;
            if (train_one(db, &sh, &tasks[i], &terr)) {
#pragma omp atomic write
                failed = 1;
            }
        }
        if (terr.msg[0]) {
#pragma omp critical(report_error)
            {
                if (!reported) fprintf(stderr, "%s: %s\n", CHAPTER, terr.msg);
                reported = 1;
            }
        }
        results_close(db);
    }
    blas_release(held);
    rc = failed;
out:
    free(tasks);
    experiment_close(&in);
    return rc;
}
