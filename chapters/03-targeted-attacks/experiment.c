/* 03-targeted-attacks/experiment.c - make a CNN read every '2' as a '6'.
 *
 * Trains the convolutional network of TensorFlow's "Deep MNIST for Experts" tutorial
 * (conv 5x5x32, ReLU, max-pool 2; conv 5x5x64, ReLU, max-pool 2; dense 1024, ReLU, dropout
 * 0.5; dense 10; softmax cross-entropy, Adam), and an independent second copy with another
 * seed. Then (attacks.c) attacks every correctly classified test '2' towards '6' with
 * targeted FGSM, PGD/BIM and a Carlini-Wagner L2 attack, compares with untargeted attacks,
 * checks transfer to the second model, and draws the 10 x 3 grids. Finally
 * (adv_training.c) it tests adversarial training from scratch on a small fully connected
 * network: standard, FGSM (Goodfellow et al. 2015) and PGD (Madry et al. 2018) training at
 * three radii and several seeds, each measured clean and under attack and compared with the
 * standard model by McNemar's test. Every number goes to the results database. */
#include <stdio.h>
#include <stdlib.h>

#include "adv_training.h"
#include "attacks.h"
#include "cnn.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/train.h"
#include "nn/optim.h"

#define PROBE_BATCH 64

typedef struct profile_config {
    int train_n, test_n;  /* images used (the first n of each split) */
    int epochs, epochs_b; /* main model; the independent second model (transfer) */
    int batch;            /* training mini-batch (the tutorial's 50) */
    float lr, lr_final;   /* Adam, cosine-annealed from lr to lr_final */
    int log_every;        /* steps between rows of the running training loss */
    int attack_n;         /* correctly classified 2s attacked (0: every one) */
    ch_attack_config attack;
    ch_study_config study; /* adversarial training from scratch */
} profile_config;

/* Full: about 33 minutes on one core of this machine, estimated from measurements: the two
 * CNNs about 11 (1.8 ms per training image); the attacks on the ~1000 correctly classified
 * 2s about 9 (Carlini-Wagner with 5 x 100 Adam iterations, about 0.4 s an image, is most of
 * it; every other attack together about 0.16 s an image), the confident Carlini-Wagner on
 * 100 of them and model A's robustness at three radii about 1.5; the adversarial training
 * study about 11 (per seed, measured on a loaded machine: 6 minutes wall time, of which
 * standard training 7 s, each FGSM training about 21 s, each PGD training 39 to 54 s, and
 * every network's robustness measurement a few seconds). The chapter states the study's
 * schedule and how it differs from Madry et al.'s. */
static const profile_config FULL = {
    .train_n = 60000,
    .test_n = 10000,
    .epochs = 3,
    .epochs_b = 3,
    .batch = 50,
    .lr = 1e-3f,
    .lr_final = 1e-5f,
    .log_every = 100,
    .attack_n = 0,
    .attack = {.pgd_steps = 10,
               .cw_n = 0,
               .cw_search = 5,
               .cw_iterations = 100,
               .cw_lr = 0.1f,
               .cw_kappa_n = 100,
               .robust = {.n = 1000, .steps = 20, .twos_n = 500}},
    .study = {.seeds = 3,
              .hidden = 256,
              .epochs = 4,
              .batch = 100,
              .lr = 1e-3f,
              .lr_final = 1e-5f,
              .pgd_steps = 7,
              .ramp = 0.25f,
              .eval = {.n = 1000, .steps = 20, .twos_n = 500}},
};
static const profile_config SMOKE = {
    .train_n = 3000,
    .test_n = 300,
    .epochs = 1,
    .epochs_b = 1,
    .batch = 50,
    .lr = 1e-3f,
    .lr_final = 1e-4f,
    .log_every = 10,
    .attack_n = 0,
    .attack = {.pgd_steps = 10,
               .cw_n = 0,
               .cw_search = 2,
               .cw_iterations = 30,
               .cw_lr = 0.1f,
               .cw_kappa_n = 10,
               .robust = {.n = 100, .steps = 5, .twos_n = 20}},
    .study = {.seeds = 3,
              .hidden = 64,
              .epochs = 2,
              .batch = 100,
              .lr = 1e-3f,
              .lr_final = 1e-4f,
              .pgd_steps = 3,
              .ramp = 0.25f,
              .eval = {.n = 100, .steps = 5, .twos_n = 20}},
};

/* Trains a fresh tutorial CNN for `epochs` and records run `experiment` with `seed`. */
static nn_model *train_cnn(nn_results *db, const nn_cli *cli, const profile_config *cfg,
                           const char *experiment, int64_t seed, int epochs, const nn_images *train,
                           const nn_images *test, nn_err *err) {
    nn_json config;
    json_begin(&config);
    json_str(&config, "model", "tf-deep-mnist-cnn");
    json_raw(&config, "conv", "[32,64]");
    json_int(&config, "kernel", 5);
    json_int(&config, "dense", 1024);
    json_num(&config, "dropout", 0.5);
    json_str(&config, "init", "he_normal");
    json_str(&config, "optimizer", "adam");
    json_num(&config, "lr", cfg->lr);
    json_num(&config, "lr_final", cfg->lr_final);
    json_str(&config, "schedule", "cosine");
    json_int(&config, "batch", cfg->batch);
    json_int(&config, "epochs", epochs);
    json_int(&config, "train_n", train->n);
    json_int(&config, "test_n", test->n);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, experiment, cli->profile, json_end(&config), seed}, err);
    if (run < 0) return NULL;
    nn_rng rng;
    rng_seed(&rng, (uint64_t)seed);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2),
           drop_rng = rng_split(&rng, 3);
    nn_model *m = ch_build_cnn(&init_rng, &drop_rng, err);
    nn_optim *opt = m ? nn_adam_new(m, nn_adam_defaults(), err) : NULL;
    nn_batches tb = {0}, eb = {0}, probe = {0};
    int rc = -1;
    if (!opt || batches_init(&tb, train, cfg->batch, err) ||
        batches_init(&eb, test, ATTACK_BATCH, err) || batches_init(&probe, train, PROBE_BATCH, err))
        goto done;
    batches_next(&probe);    /* the first 64 training images: a fixed batch for gradient stats */
    nn_set_input_grad(m, 0); /* training needs no dL/dx */

    char label[96];
    snprintf(label, sizeof label, "%s seed %lld", experiment, (long long)seed);
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_COSINE, .lr = cfg->lr, .final_lr = cfg->lr_final};
    tc.window = cfg->log_every;
    tc.test = &eb;
    tc.log_confusion = 1;
    tc.probe_x = probe.x, tc.probe_y = probe.y, tc.probe_n = probe.count;
    nn_image_source src = {.batches = &tb, .order = &order_rng};
    nn_train_result r;
    if (train_classifier(db, run, m, opt, train_source_images(&src), &tc, &r, err) ||
        results_log_metric(db, run, "images_per_second",
                           (double)epochs * train->n / r.train_seconds, err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    batches_free(&tb);
    batches_free(&eb);
    batches_free(&probe);
    nn_optim_free(opt);
    if (rc) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

int main(int argc, char **argv) {
    nn_cli cli;
    int exit_code = cli_start(argc, argv,
                              "Trains the CNN of TensorFlow's Deep MNIST tutorial, turns test '2's "
                              "into '6's with targeted FGSM, PGD and Carlini-Wagner attacks, "
                              "draws the 10x3 grids (PNG, into --figures), tests transfer to a "
                              "second model, and trains small networks adversarially from "
                              "scratch (FGSM and PGD, three radii, three seeds); logs all of it.",
                              stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    nn_err err = {{0}};
    const profile_config *cfg = cli.smoke ? &SMOKE : &FULL;
    nn_mnist_inputs in;
    nn_model *a = NULL, *b = NULL;
    int *twos = NULL, n_twos = 0, count_twos = 0;
    int rc = 1;
    if (experiment_open(&cli, cfg->train_n, cfg->test_n, &in, &err)) goto out;
    nn_results *db = in.db;
    const nn_images *train = &in.train, *test = &in.test;
    if (!(a = train_cnn(db, &cli, cfg, "cnn", cli.seed, cfg->epochs, train, test, &err)) ||
        !(b = train_cnn(db, &cli, cfg, "cnn-b", cli.seed + 1, cfg->epochs_b, train, test, &err)))
        goto out;
    if (ch_select_twos(a, test, &twos, &n_twos, &count_twos, &err)) goto out;
    if (n_twos == 0) {
        nn_fail(&err, "the model classifies no test '2' correctly: nothing to attack");
        goto out;
    }
    if (cfg->attack_n && n_twos > cfg->attack_n) n_twos = cfg->attack_n;
    if (ch_run_attacks(db, &cli, &cfg->attack, a, b, test, twos, n_twos, count_twos, &err))
        goto out;
    nn_model_free(a), a = NULL;
    nn_model_free(b), b = NULL;
    if (ch_adversarial_training_study(db, &cli, &cfg->study, train, test, &err)) goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    free(twos);
    nn_model_free(a);
    nn_model_free(b);
    experiment_close(&in);
    return rc;
}
