/* 07-quiz/experiment.c - the ML engineers' quiz, each answer backed by an experiment.
 *
 * Question 1 (what dL/dx means) and question 3 (which loss makes a cat read as an iguana)
 * share a trained MNIST classifier: a one-hidden-layer ReLU network, trained here through
 * the shared loop (run 'mnist-mlp' per seed), then examined with its weights fixed
 * (q1_gradient.c, q3_losses.c). Question 2 (end-to-end counting) trains its own networks on
 * a synthetic aquarium (q2_counting.c). Everything measured goes to the results database;
 * the chapter text reads it from there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chapter.h"
#include "db/results.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/train.h"
#include "nn/model.h"
#include "nn/optim.h"

static const profile_config FULL = {
    .train_n = 60000,
    .test_n = 10000,
    .epochs = 4,
    .hidden = 256,
    .batch = 64,
    .seeds = 2,
    .lr = 0.05f,
    .q1_images = 10,
    .q1_h = 1e-2f,
    .q3_pairs = 5,
    .q3_steps = 500,
    .q3_log_every = 5,
    .q3_lr = 0.01f,
    .q2_sizes = {250, 1000, 4000, 16000},
    .q2_test_n = 1000,
    .q2_seeds = 3,
    .q2_budget_a = 160000,
    .q2_budget_b = 600000,
    .q2_lr = 2e-3f,
};
static const profile_config SMOKE = {
    .train_n = 2000,
    .test_n = 1000,
    .epochs = 2,
    .hidden = 64,
    .batch = 64,
    .seeds = 1,
    .lr = 0.05f,
    .q1_images = 3,
    .q1_h = 1e-2f,
    .q3_pairs = 2,
    .q3_steps = 60,
    .q3_log_every = 5,
    .q3_lr = 0.01f,
    .q2_sizes = {50, 100, 200, 400},
    .q2_test_n = 100,
    .q2_seeds = 2,
    .q2_budget_a = 1000,
    .q2_budget_b = 20000,
    .q2_lr = 2e-3f,
};

static nn_model *build_mlp(const profile_config *cfg, nn_rng *rng, nn_err *err) {
    nn_model *m = nn_model_new(1, 28, 28, err);
    if (!m) return NULL;
    nn_add_dense(m, cfg->hidden);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, 10);
    if (nn_model_build(m, cfg->batch, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, rng);
    return m;
}

/* Trains the classifier for one seed (run 'mnist-mlp'); the model is returned in *out. */
static int train_mlp(nn_results *db, const nn_cli *cli, const profile_config *cfg, int64_t seed,
                     const nn_images *train, const nn_images *test, nn_model **out, nn_err *err) {
    nn_json config;
    json_begin(&config);
    json_str(&config, "model", "mlp");
    json_int(&config, "hidden", cfg->hidden);
    json_training(&config, train->n, test->n, cfg->epochs, cfg->batch);
    json_num(&config, "lr", cfg->lr);
    json_str(&config, "optimizer", "sgd momentum 0.9");
    json_str(&config, "schedule", "cosine");
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "mnist-mlp", cli->profile, json_end(&config), seed}, err);
    if (run < 0) return -1;
    nn_rng rng;
    rng_seed(&rng, (uint64_t)seed);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2);
    nn_model *m = build_mlp(cfg, &init_rng, err);
    nn_optim *opt = m ? nn_sgd_new(m, (nn_sgd_config){.momentum = 0.9f}, err) : NULL;
    nn_batches train_b = {0}, test_b = {0};
    int rc = -1;
    if (!opt || batches_init(&train_b, train, cfg->batch, err) ||
        batches_init(&test_b, test, cfg->batch, err))
        goto done;
    nn_set_input_grad(m, 0);
    char label[64];
    snprintf(label, sizeof label, "mnist-mlp seed %lld", (long long)seed);
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = cfg->epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_COSINE, .lr = cfg->lr, .final_lr = 0};
    tc.test = &test_b;
    nn_image_source src = {.batches = &train_b, .order = &order_rng};
    rc = train_classifier(db, run, m, opt, train_source_images(&src), &tc, NULL, err);
done:
    rc = experiment_end_run(db, run, rc, err);
    batches_free(&train_b);
    batches_free(&test_b);
    nn_optim_free(opt);
    if (rc)
        nn_model_free(m);
    else
        *out = m;
    return rc;
}

int main(int argc, char **argv) {
    nn_cli cli;
    nn_err err = {{0}};
    int exit_code = cli_start(argc, argv,
        "The ML engineers' quiz, each answer backed by an experiment: saliency maps and "
        "finite differences (question 1), counting fish end to end or by detection on a "
        "synthetic aquarium (question 2), and the four candidate attack losses minimised "
        "on MNIST (question 3). Everything is logged into the results database.",
        stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    const profile_config *cfg = cli.smoke ? &SMOKE : &FULL;

    nn_images train = {0}, test = {0};
    nn_results *db = NULL;
    nn_model *m = NULL;
    int rc = 1;
    if (experiment_load_mnist(cli.data_dir, cfg->train_n, cfg->test_n, &train, &test, &err))
        goto out;
    if (!(db = results_open(cli.db, &err))) goto out;
    for (int s = 0; s < cfg->seeds; s++) {
        int64_t seed = cli.seed + s;
        if (train_mlp(db, &cli, cfg, seed, &train, &test, &m, &err) ||
            q1_gradient(db, &cli, cfg, m, &test, seed, &err) ||
            q3_losses(db, &cli, cfg, m, &test, seed, &err))
            goto out;
        nn_model_free(m);
        m = NULL;
    }
    if (q2_counting(db, &cli, cfg, &err)) goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    nn_model_free(m);
    results_close(db);
    images_free(&train);
    images_free(&test);
    return rc;
}
