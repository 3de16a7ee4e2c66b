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
 * And the ablation of LeCun's activation, A tanh(Bz) + Cz with A = 1.7159, B = 2/3,
 * C = 0.01: each half alone ("depthN-tanh_linear": tanh(z) + 0.01z; "depthN-scaled_tanh":
 * 1.7159 tanh(2z/3)), and LeCun's activation at the learning rate that matches tanh's
 * ("depthN-lecun_tanh-matched_lr"). A network of A tanh(B z) units with weights W computes
 * what a tanh network with hidden weights A B W computes, and an SGD step of rate eta on W
 * is a step of rate eta (A B)^2 on A B W: at the same rate the scaled network's hidden
 * layers learn (A B)^2 = 1.31 times faster. Dividing the rate by (A B)^2 takes that away
 * (exactly for the hidden-to-hidden matrices; the first and the output layer keep other
 * factors, B^2 and A^2).
 *
 * Where runs can collapse (40 hidden layers) every network is trained with more seeds
 * (deep_seeds) than at 5 and 20, and two of them once more with the gradient clipped
 * ("depth40-tanh-clip20", "depth40-relu-he_normal-clip20"), the control of the drops.
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
 *     many hidden units sit where their activation is flat (unit_stats.h) and the size
 *     of the first and last hidden layers' outputs, at initialisation and at the end; the
 *     spectral norm and the typical gain of the hidden 32 x 32 weight matrices
 *     (weight_norms.h), at initialisation and at the end; the median and the largest
 *     gradient norm over all optimiser steps; and the test confusion matrix;
 *   - layer_stats, before training (epoch 0) and after every epoch, per hidden layer
 *     (1 = the first) on the first EVAL_BATCH training images: the mean output
 *     'mean_output', the flat fraction 'flat' and the fraction of units flat on every image
 *     'stuck';
 *   - step_stats: every `window` steps the largest gradient norm, loss and stuck fraction of
 *     the window's steps and the parameters' norm; and for the (at most MAX_TRACED)
 *     largest drops of a run, epochs after which the test accuracy fell by more than DROP,
 *     every step of that epoch (step_trace.h): what each step did.
 *
 * The runs are independent, so with --threads N they are trained N at a time, one thread
 * each (single-threaded BLAS: 32-wide layers are far too small to split), each thread with
 * its own database connection. A run's numbers therefore do not depend on N. */
#include <math.h>
#include <omp.h>
#include <sqlite3.h>
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
#include "step_trace.h"
#include "unit_stats.h"
#include "weight_norms.h"

#define CHAPTER "01-depth-activations"
#define UNITS 32
#define CLASSES 10
#define EVAL_BATCH 250 /* evaluation and unit statistics: larger batches, same numbers */
/* A drop: test accuracy falls by more than DROP between two consecutive epochs. The
 * MAX_TRACED largest drops of a run get a step-by-step trace of their epoch. */
#define DROP 0.1
#define MAX_TRACED 2
/* (A B)^2 of LeCun's A tanh(B z): the factor by which a scaled network's hidden layers
 * learn faster at one learning rate (top comment). */
#define LECUN_LR_FACTOR ((1.7159 * 2.0 / 3.0) * (1.7159 * 2.0 / 3.0))

typedef struct profile_config {
    int train_n, test_n; /* images used (the first n of each split; 0: all) */
    int epochs;
    int seeds, deep_seeds; /* per network at 5 and 20 hidden layers; at 40 */
    int batch;
    int window; /* optimiser steps per 'train_window' row */
    float lr;
} profile_config;

/* Full: all of MNIST, 15 epochs (the assignment gives no count; Keras' MNIST examples use
 * 10 to 20), 3 seeds at 5 and 20 hidden layers and 10 at 40, where runs collapse and one
 * seed's story can be another's exception. The budget (about 25 minutes of one core for
 * the chapter) is what sets 15 epochs: 11 networks x 10 seeds at depth 40 cost most of it.
 * Part (C) reads the models after epoch 3 from the same runs. Smoke: the same networks on a
 * few hundred images, with every table and figure. */
static const profile_config FULL = {0, 0, 15, 3, 10, 32, 100, 0.01f};
static const profile_config SMOKE = {480, 500, 3, 2, 3, 32, 3, 0.01f};

static const int DEPTHS[] = {5, 20, 40};
#define DEEP 40 /* the depth trained with deep_seeds */
/* What is trained at every depth: the assignment's four activations with Keras' default
 * initialisation, each fix (an activation with the initialisation made for it), and the
 * ablation of LeCun's activation (its two halves; itself at tanh's learning rate). */
typedef struct network {
    nn_activation act;
    nn_init init;
    int matched_lr;  /* learning rate divided by LECUN_LR_FACTOR */
    float clip_norm; /* > 0: gradient norm clipped to this (train.h) */
    int deep_only;   /* trained at DEEP hidden layers only */
} network;

/* The control of the drops at 40 layers: the same networks with every step's gradient
 * clipped to an L2 norm of CLIP, about 4 to 5 times the median gradient norm there: if the
 * drops come from a few very large steps, capping the steps should remove them. */
#define CLIP 20.0f

static const network NETWORKS[] = {
    {NN_RELU, NN_INIT_GLOROT_UNIFORM, 0, 0, 0},
    {NN_TANH, NN_INIT_GLOROT_UNIFORM, 0, 0, 0},
    {NN_SIGMOID, NN_INIT_GLOROT_UNIFORM, 0, 0, 0},
    {NN_LECUN_TANH, NN_INIT_GLOROT_UNIFORM, 0, 0, 0},
    {NN_RELU, NN_INIT_HE_NORMAL, 0, 0, 0},
    {NN_TANH, NN_INIT_LECUN_NORMAL, 0, 0, 0},
    {NN_TANH_LINEAR, NN_INIT_GLOROT_UNIFORM, 0, 0, 0},
    {NN_SCALED_TANH, NN_INIT_GLOROT_UNIFORM, 0, 0, 0},
    {NN_LECUN_TANH, NN_INIT_GLOROT_UNIFORM, 1, 0, 0},
    {NN_TANH, NN_INIT_GLOROT_UNIFORM, 0, CLIP, 1},
    {NN_RELU, NN_INIT_HE_NORMAL, 0, CLIP, 1},
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
    network net;
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

static double rms(const float *v, size_t len) {
    double s = 0;
    for (size_t i = 0; i < len; i++) s += (double)v[i] * v[i];
    return sqrt(s / (double)len);
}

/* The hidden 32 x 32 weight matrices (dense layers 2 .. depth): mean and largest spectral
 * norm, and mean typical gain (weight_norms.h). */
typedef struct hidden_norms {
    double spectral_mean, spectral_max, gain_mean;
} hidden_norms;

static hidden_norms measure_hidden_norms(nn_model *m, int depth) {
    hidden_norms h = {0, 0, 0};
    for (int k = 1; k < depth; k++) {
        size_t len;
        const float *w = nn_layer_weights(m, 2 * k, &len);
        double s = spectral_norm(w, UNITS, UNITS);
        h.spectral_mean += s / (depth - 1);
        h.gain_mean += rms_gain(w, UNITS, UNITS) / (depth - 1);
        if (s > h.spectral_max) h.spectral_max = s;
    }
    return h;
}

/* What the hooks of one run share: the run, where to measure the units, the step trace. */
typedef struct run_state {
    nn_results *db;
    int64_t run;
    int depth;
    unit_rule rule;
    nn_batches *units_b; /* the first EVAL_BATCH training images */
    step_trace trace;
} run_state;

/* Runs the unit batch through m and returns where the units of the whole network sit. */
static network_units forward_units(run_state *rs, nn_model *m) {
    nn_forward(m, rs->units_b->x, rs->units_b->count, 0);
    return unit_stats_network(m, rs->depth, &rs->rule, rs->units_b->count, UNITS);
}

/* layer_stats of every hidden layer after forward_units, as epoch `epoch` (0: untrained). */
static int log_layer_units(run_state *rs, const nn_model *m, int epoch, nn_err *err) {
    for (int k = 0; k < rs->depth; k++) {
        layer_units u = unit_stats_layer(m, k, &rs->rule, rs->units_b->count, UNITS);
        const nn_layer_row rows[] = {
            {"mean_output", k + 1, epoch, u.mean}, {"flat", k + 1, epoch, u.flat},
            {"stuck", k + 1, epoch, u.stuck}};
        for (int r = 0; r < 3; r++)
            if (results_log_layer(rs->db, rs->run, &rows[r], err)) return -1;
    }
    return 0;
}

static int after_epoch(void *ctx, nn_model *m, int epoch, long step, float lr, nn_err *err) {
    (void)step, (void)lr;
    forward_units(ctx, m);
    return log_layer_units(ctx, m, epoch, err);
}

static int after_step(void *ctx, nn_model *m, long step, float loss, nn_err *err) {
    run_state *rs = ctx;
    return step_trace_after_step(&rs->trace, m, step, loss, err);
}

/* The test accuracy of every epoch of the run, as the training loop logged it (acc[e] for
 * e = 1 .. epochs). */
static int read_test_accuracy(nn_results *db, int64_t run, int epochs, double *acc, nn_err *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(results_handle(db),
                           "SELECT epoch, accuracy FROM epochs WHERE run_id = ? AND split = 'test'",
                           -1, &st, NULL) != SQLITE_OK)
        return nn_fail(err, "cannot read run %lld's test accuracy", (long long)run);
    sqlite3_bind_int64(st, 1, run);
    int seen = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int e = sqlite3_column_int(st, 0);
        if (e >= 1 && e <= epochs) acc[e] = sqlite3_column_double(st, 1), seen++;
    }
    sqlite3_finalize(st);
    if (seen != epochs)
        return nn_fail(err, "run %lld has %d test rows, not %d", (long long)run, seen, epochs);
    return 0;
}

/* The step trace's rows: the window summary of the whole run, and every step of the epochs
 * of its MAX_TRACED largest drops; and the run's median and largest gradient norm over all
 * steps. */
static int log_trace(run_state *rs, int epochs, int window, nn_err *err) {
    enum { MAX_EPOCHS = 100 };
    double acc[MAX_EPOCHS + 1];
    const step_trace *t = &rs->trace;
    if (epochs > MAX_EPOCHS) return nn_fail(err, "at most %d epochs, not %d", MAX_EPOCHS, epochs);
    if (read_test_accuracy(rs->db, rs->run, epochs, acc, err) ||
        step_trace_log_windows(t, rs->db, rs->run, window, err))
        return -1;
    int traced[MAX_EPOCHS + 1] = {0};
    for (int k = 0; k < MAX_TRACED; k++) {
        int worst = 0; /* the largest drop not traced yet */
        for (int e = 2; e <= epochs; e++)
            if (!traced[e] && acc[e - 1] - acc[e] > DROP &&
                (!worst || acc[e - 1] - acc[e] > acc[worst - 1] - acc[worst]))
                worst = e;
        if (!worst) break;
        traced[worst] = 1;
        long first = (long)(worst - 1) * t->steps_per_epoch + 1;
        if (step_trace_log(t, rs->db, rs->run, first, first + t->steps_per_epoch - 1, err))
            return -1;
    }
    long peak = 0;
    for (int e = 1; e <= epochs; e++) {
        long p = step_trace_peak(t, e);
        if (p && (!peak || t->grad_norm[p - 1] > t->grad_norm[peak - 1])) peak = p;
    }
    if (!peak) return nn_fail(err, "the run took no step");
    return results_log_metric(rs->db, rs->run, "grad_norm_median",
                              step_trace_median_grad(t, 1, epochs), err) ||
           results_log_metric(rs->db, rs->run, "grad_norm_max", t->grad_norm[peak - 1], err) ||
           results_log_metric(rs->db, rs->run, "grad_norm_max_step", (double)peak, err);
}

static int train_one(nn_results *db, const shared *sh, const task *t, nn_err *err) {
    const profile_config *cfg = sh->cfg;
    const float lr = t->net.matched_lr ? (float)(cfg->lr / LECUN_LR_FACTOR) : cfg->lr;
    nn_json config;
    json_begin(&config);
    json_int(&config, "depth", t->depth);
    json_int(&config, "units", UNITS);
    json_str(&config, "activation", activation_name(t->net.act));
    json_str(&config, "output", "softmax");
    json_str(&config, "loss", "categorical_crossentropy");
    json_str(&config, "init", init_name(t->net.init));
    json_str(&config, "bias_init", "zeros");
    json_str(&config, "inputs", "pixels/255");
    json_int(&config, "train_n", sh->train->n);
    json_int(&config, "test_n", sh->test->n);
    json_int(&config, "epochs", cfg->epochs);
    json_int(&config, "batch", cfg->batch);
    json_num(&config, "lr", lr);
    json_str(&config, "lr_rule", t->net.matched_lr ? "base / (1.7159 * 2/3)^2" : "base");
    json_num(&config, "clip_norm", t->net.clip_norm);
    json_str(&config, "optimizer", "sgd");
    json_int(&config, "momentum", 0);
    json_int(&config, "probe_batch", cfg->batch);
    json_str(&config, "probe", "first training images");
    json_int(&config, "window_steps", cfg->window);
    json_int(&config, "unit_stats_batch", EVAL_BATCH);
    json_num(&config, "drop", DROP);
    json_int(&config, "drops_traced", MAX_TRACED);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, t->experiment, sh->cli->profile, json_end(&config), t->seed},
        err);
    if (run < 0) return -1;

    nn_rng rng;
    rng_seed(&rng, (uint64_t)t->seed);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2);
    nn_model *m = build_model(t->depth, t->net.act, t->net.init, &init_rng, err);
    nn_optim *opt = m ? nn_sgd_new(m, (nn_sgd_config){0}, err) : NULL; /* plain SGD */
    nn_batches train_b = {0}, test_b = {0}, probe = {0}, units_b = {0};
    run_state rs = {db, run, t->depth, unit_flat_rule(t->net.act), &units_b, {0}};
    int rc = -1;
    if (!opt || batches_init(&train_b, sh->train, cfg->batch, err) ||
        batches_init(&test_b, sh->test, EVAL_BATCH, err) ||
        batches_init(&probe, sh->train, cfg->batch, err) ||
        batches_init(&units_b, sh->train, EVAL_BATCH, err) ||
        step_trace_init(&rs.trace, cfg->epochs, sh->train->n, cfg->batch, t->depth, UNITS,
                        t->net.act, err))
        goto done;
    batches_next(&probe);   /* the fixed probe batch: the first training images */
    batches_next(&units_b); /* the first EVAL_BATCH training images, for unit statistics */

    const hidden_norms norms0 = measure_hidden_norms(m, t->depth);
    const network_units units0 = forward_units(&rs, m);
    const size_t hidden_len = (size_t)units_b.count * UNITS;
    const double rms_first0 = rms(nn_layer_output(m, 1), hidden_len);
    const double rms_last0 = rms(nn_layer_output(m, 2 * t->depth - 1), hidden_len);
    if (results_transaction_begin(db, err) || log_layer_units(&rs, m, 0, err) ||
        results_transaction_commit(db, err))
        goto done;

    char label[96];
    snprintf(label, sizeof label, "%s seed %lld", t->experiment, (long long)t->seed);
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = cfg->epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_CONSTANT, .lr = lr};
    tc.clip_norm = t->net.clip_norm;
    tc.window = cfg->window;
    tc.test = &test_b;
    tc.log_confusion = 1;
    tc.probe_x = probe.x, tc.probe_y = probe.y, tc.probe_n = probe.count;
    tc.hook_ctx = &rs;
    tc.after_epoch = after_epoch;
    tc.after_step = after_step;
    nn_image_source src = {.batches = &train_b, .order = &order_rng};
    if (train_classifier(db, run, m, opt, train_source_images(&src), &tc, NULL, err)) goto done;

    const hidden_norms norms1 = measure_hidden_norms(m, t->depth);
    const network_units units1 = forward_units(&rs, m);
    const double rms_first1 = rms(nn_layer_output(m, 1), hidden_len);
    const double rms_last1 = rms(nn_layer_output(m, 2 * t->depth - 1), hidden_len);
    const struct {
        const char *name;
        double value;
    } metrics[] = {
        {"flat_fraction_init", units0.flat},
        {"flat_fraction_final", units1.flat},
        {"stuck_units_init", units0.stuck},
        {"stuck_units_final", units1.stuck},
        {"stuck_layer_max_init", units0.stuck_max},
        {"stuck_layer_max_final", units1.stuck_max},
        {"rms_first_hidden_init", rms_first0},
        {"rms_last_hidden_init", rms_last0},
        {"rms_first_hidden_final", rms_first1},
        {"rms_last_hidden_final", rms_last1},
        {"hidden_spectral_norm_init", norms0.spectral_mean},
        {"hidden_spectral_norm_init_max", norms0.spectral_max},
        {"hidden_gain_init", norms0.gain_mean},
        {"hidden_spectral_norm_final", norms1.spectral_mean},
        {"hidden_spectral_norm_final_max", norms1.spectral_max},
        {"hidden_gain_final", norms1.gain_mean},
    };
    if (results_transaction_begin(db, err)) goto done;
    for (size_t k = 0; k < sizeof metrics / sizeof metrics[0]; k++)
        if (results_log_metric(db, run, metrics[k].name, metrics[k].value, err)) goto done;
    if (log_trace(&rs, cfg->epochs, cfg->window, err) || results_transaction_commit(db, err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    step_trace_free(&rs.trace);
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
        "tanh, sigmoid and LeCun's scaled tanh (Glorot-uniform weights); the fixes: ReLU "
        "with He's and tanh with LeCun's initialisation; and the ablation of LeCun's "
        "activation: tanh + 0.01x, 1.7159 tanh(2x/3), and LeCun's at tanh's effective "
        "learning rate. Several seeds each (more at 40 layers); logs learning curves, "
        "per-layer gradient and unit statistics, and a step-by-step trace of every epoch "
        "whose test accuracy fell, into the results database. Runs are trained --threads "
        "at a time, one thread each.",
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
    int n_tasks = 0;
    for (int d = 0; d < N_DEPTHS; d++)
        for (int a = 0; a < N_NETWORKS; a++)
            if (DEPTHS[d] == DEEP || !NETWORKS[a].deep_only)
                n_tasks += DEPTHS[d] == DEEP ? cfg->deep_seeds : cfg->seeds;
    task *tasks = calloc((size_t)n_tasks, sizeof *tasks);
    if (!tasks) {
        fprintf(stderr, "%s: out of memory\n", CHAPTER);
        goto out;
    }
    int k = 0;
    for (int d = N_DEPTHS - 1; d >= 0; d--)
        for (int s = 0; s < (DEPTHS[d] == DEEP ? cfg->deep_seeds : cfg->seeds); s++)
            for (int a = 0; a < N_NETWORKS; a++) {
                const network *net = &NETWORKS[a];
                if (net->deep_only && DEPTHS[d] != DEEP) continue;
                tasks[k] = (task){DEPTHS[d], *net, cli.seed + s, ""};
                int n = snprintf(tasks[k].experiment, sizeof tasks[k].experiment, "depth%d-%s",
                                 DEPTHS[d], activation_name(net->act));
                if (net->init != NN_INIT_GLOROT_UNIFORM)
                    n += snprintf(tasks[k].experiment + n, sizeof tasks[k].experiment - n, "-%s",
                                  init_name(net->init));
                if (net->matched_lr)
                    n += snprintf(tasks[k].experiment + n, sizeof tasks[k].experiment - n,
                                  "-matched_lr");
                if (net->clip_norm > 0)
                    snprintf(tasks[k].experiment + n, sizeof tasks[k].experiment - n, "-clip%g",
                             (double)net->clip_norm);
                k++;
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
