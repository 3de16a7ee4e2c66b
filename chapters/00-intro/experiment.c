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
#include "lab/config_json.h"
#include "lab/train.h"
#include "lab/experiment.h"
#include "nn/model.h"
#include "nn/optim.h"
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
    nn_json config;
    json_begin(&config);
    json_str(&config, "model", spec->experiment);
    json_int(&config, "hidden", spec->hidden);
    json_training(&config, train->n, test->n, cfg->epochs, cfg->batch);
    json_num(&config, "lr", cfg->lr);
    json_str(&config, "optimizer", "sgd");
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, spec->experiment, cli->profile, json_end(&config), seed}, err);
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

    char label[64];
    snprintf(label, sizeof label, "%s seed %lld", spec->experiment, (long long)seed);
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = cfg->epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_CONSTANT, .lr = cfg->lr};
    tc.test = &test_b;
    tc.log_confusion = 1;
    tc.probe_x = probe.x, tc.probe_y = probe.y, tc.probe_n = probe.count;
    nn_image_source src = {.batches = &train_b, .order = &order_rng};
    rc = train_classifier(db, run, m, opt, train_source_images(&src), &tc, NULL, err);
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
    int exit_code =
        cli_start(argc, argv,
                  "Trains the introduction's MNIST baselines (logistic regression and a "
                  "one-hidden-layer MLP) and logs every epoch into the results database.",
                  stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    nn_err err = {{0}};
    const profile_config *cfg = cli.smoke ? &SMOKE : &FULL;

    nn_mnist_inputs in;
    int rc = 1;
    if (experiment_open(&cli, cfg->train_n, cfg->test_n, &in, &err)) goto out;
    for (int s = 0; s < cfg->seeds; s++)
        for (size_t k = 0; k < sizeof MODELS / sizeof MODELS[0]; k++)
            if (train_one(in.db, &cli, cfg, &MODELS[k], cli.seed + s, &in.train, &in.test, &err))
                goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    experiment_close(&in);
    return rc;
}
