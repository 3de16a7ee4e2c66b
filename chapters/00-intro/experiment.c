/* 00-intro/experiment.c - the introduction's experiment: two small MNIST classifiers.
 *
 * A multinomial logistic regression (784 -> 10) and a one-hidden-layer perceptron
 * (784 -> 128 ReLU -> 10), trained with plain mini-batch SGD on softmax cross-entropy, for
 * several seeds. For every epoch it logs training and test loss/accuracy, and, at
 * initialisation and after every epoch, the per-layer gradient magnitudes on one fixed
 * mini-batch (the first 64 training images). At the end: test accuracy and loss, training
 * time, parameter count, and the test confusion matrix. Nothing is printed as a result:
 * the report reads it all from the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/cli.h"
#include "base/clock.h"
#include "lab/experiment.h"
#include "nn/metrics.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "base/progress.h"
#include "db/results.h"

#define CHAPTER "00-intro"
#define PROBE_BATCH 64

typedef struct profile_config {
    int train_n, test_n; /* images used (the first n of each split) */
    int epochs, seeds, batch;
    float lr;
} profile_config;

static const profile_config FULL = {60000, 10000, 10, 3, 64, 0.1f};
static const profile_config SMOKE = {2000, 1000, 2, 2, 64, 0.1f};

typedef struct model_spec {
    const char *experiment;
    int hidden; /* 0: logistic regression */
} model_spec;

static const model_spec MODELS[] = {{"logreg", 0}, {"mlp", 128}};

static nn_model *build_model(const model_spec *spec, int batch, nn_rng *rng, nn_err *err) {
    nn_model *m = nn_model_new(1, 28, 28, err);
    if (!m) return NULL;
    if (spec->hidden) {
        nn_add_dense(m, spec->hidden);
        nn_add_activation(m, NN_RELU);
    }
    nn_add_dense(m, 10);
    if (nn_model_build(m, batch, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, spec->hidden ? NN_INIT_HE_NORMAL : NN_INIT_GLOROT_UNIFORM, rng);
    return m;
}

static int train_one(nn_results *db, const nn_cli *cli, const profile_config *cfg,
                     const model_spec *spec, int64_t seed, const nn_images *train,
                     const nn_images *test, nn_err *err) {
    char config[256];
    snprintf(config, sizeof config,
             "{\"model\":\"%s\",\"hidden\":%d,\"train_n\":%d,\"test_n\":%d,\"epochs\":%d,"
             "\"batch\":%d,\"lr\":%g,\"optimizer\":\"sgd\"}",
             spec->experiment, spec->hidden, train->n, test->n, cfg->epochs, cfg->batch,
             (double)cfg->lr);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, spec->experiment, cli->profile, config, seed}, err);
    if (run < 0) return -1;

    nn_rng rng;
    rng_seed(&rng, (uint64_t)seed);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2);
    nn_model *m = build_model(spec, cfg->batch, &init_rng, err);
    nn_optim *opt = m ? nn_sgd_new(m, (nn_sgd_config){0}, err) : NULL; /* plain SGD */
    nn_batches train_b = {0}, test_b = {0}, probe = {0};
    int rc = -1;
    if (!opt || batches_init(&train_b, train, cfg->batch, err) ||
        batches_init(&test_b, test, cfg->batch, err) ||
        batches_init(&probe, train, PROBE_BATCH, err))
        goto done;
    nn_set_input_grad(m, 0);
    batches_next(&probe); /* the fixed probe batch: the first images of the training set */
    if (experiment_probe_gradients(m, probe.x, probe.y, probe.count, NULL, err) ||
        experiment_log_grad_stats(db, run, m, 0, 0, err))
        goto done;

    double train_seconds = 0;
    int step = 0;
    for (int epoch = 1; epoch <= cfg->epochs; epoch++) {
        char label[96];
        snprintf(label, sizeof label, "%s seed %lld epoch %d/%d", spec->experiment, (long long)seed,
                 epoch, cfg->epochs);
        nn_progress bar;
        progress_start(&bar, stderr, label, "img", train->n);
        double t0 = nn_seconds(), loss_sum = 0;
        long correct = 0, seen = 0;
        int n;
        batches_shuffle(&train_b, &order_rng);
        while ((n = batches_next(&train_b)) > 0) {
            const float *logits = nn_forward(m, train_b.x, n, 1);
            correct += nn_count_correct(logits, train_b.y, n, 10);
            float *d = nn_output_grad_buffer(m);
            loss_sum += (double)softmax_xent(logits, train_b.y, n, 10, d) * n;
            nn_backward(m, d, n);
            nn_optim_step(opt, cfg->lr);
            seen += n;
            step++;
            char note[48];
            snprintf(note, sizeof note, "loss %.4f", loss_sum / seen);
            progress_update(&bar, seen, note);
        }
        double seconds = nn_seconds() - t0;
        train_seconds += seconds;
        nn_eval test_eval;
        if (experiment_evaluate(m, &test_b, &test_eval, NULL, err)) goto done;
        char note[64];
        snprintf(note, sizeof note, "test accuracy %.2f%%", 100 * test_eval.accuracy);
        progress_finish(&bar, note);

        if (results_transaction_begin(db, err) ||
            results_log_epoch(db, run,
                              &(nn_epoch_row){epoch, step, "train", loss_sum / seen,
                                              (double)correct / seen, cfg->lr, seconds},
                              err) ||
            results_log_epoch(db, run,
                              &(nn_epoch_row){epoch, step, "test", test_eval.loss,
                                              test_eval.accuracy, cfg->lr, 0},
                              err) ||
            experiment_probe_gradients(m, probe.x, probe.y, probe.count, NULL, err) ||
            experiment_log_grad_stats(db, run, m, epoch, step, err) ||
            results_transaction_commit(db, err))
            goto done;
    }

    int64_t confusion[100] = {0};
    nn_eval final;
    if (experiment_evaluate(m, &test_b, &final, confusion, err) ||
        results_log_metric(db, run, "test_accuracy", final.accuracy, err) ||
        results_log_metric(db, run, "test_loss", final.loss, err) ||
        results_log_metric(db, run, "train_seconds", train_seconds, err) ||
        results_log_metric(db, run, "parameters", (double)nn_param_count(m), err) ||
        results_log_confusion(db, run, 10, confusion, err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    batches_free(&train_b);
    batches_free(&test_b);
    batches_free(&probe);
    nn_optim_free(opt);
    nn_model_free(m);
    return rc;
}

int main(int argc, char **argv) {
    nn_cli cli;
    nn_err err = {{0}};
    int parsed = cli_parse(argc, argv,
                           "Trains the introduction's MNIST baselines (logistic regression and a "
                           "one-hidden-layer MLP) and logs every epoch into the results database.",
                           stdout, &cli, &err);
    if (parsed) {
        if (parsed < 0) fprintf(stderr, "%s\n", err.msg);
        return parsed < 0 ? 2 : 0;
    }
    const profile_config *cfg = cli.smoke ? &SMOKE : &FULL;

    nn_images train = {0}, test = {0};
    nn_results *db = NULL;
    int rc = 1;
    if (experiment_load_mnist(cli.data_dir, cfg->train_n, cfg->test_n, &train, &test, &err))
        goto out;
    if (!(db = results_open(cli.db, &err))) goto out;
    for (int s = 0; s < cfg->seeds; s++)
        for (size_t k = 0; k < sizeof MODELS / sizeof MODELS[0]; k++)
            if (train_one(db, &cli, cfg, &MODELS[k], cli.seed + s, &train, &test, &err)) goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    results_close(db);
    images_free(&train);
    images_free(&test);
    return rc;
}
