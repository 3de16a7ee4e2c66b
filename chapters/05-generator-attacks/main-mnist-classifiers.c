/* main-mnist-classifiers.c - the MNIST classifiers the generator attacks, saved as files.
 *
 * Trains, through the shared loop (lab/train.h), with Adam and a cosine schedule:
 *   mnist-fc          784 -> 512 ReLU -> 256 ReLU -> 10
 *   mnist-conv        conv 5x5x32, ReLU, max-pool 2; conv 5x5x64, ReLU, max-pool 2;
 *                     dense 256, ReLU; dense 10
 *   mnist-conv-robust mnist-conv's weights, trained further on PGD adversarial examples only
 *                     (Madry et al. 2018): every batch is replaced by untargeted PGD from a
 *                     random start in the L-infinity ball of radius robust_eps
 *                     (lab/adversarial_source.h). Starting from the clean network spares the
 *                     epochs a robust network needs from scratch, which this budget has not.
 * and saves each as <directory of --db>/05-generator-attacks/NAME.nnm, recorded in
 * `artifacts` (kind 'model', SHA-256) on its run. The chapter's experiment loads these files. */
#include <stdio.h>
#include <string.h>

#include "chapter.h"
#include "lab/adversarial_source.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/train.h"
#include "nn/optim.h"

typedef struct spec {
    const char *experiment;
    int conv;
    int adversarial;
} spec;

static const spec SPECS[] = {
    {"mnist-fc", 0, 0},
    {"mnist-conv", 1, 0},
    {"mnist-conv-robust", 1, 1},
};

/* Trains one model; `from` (may be NULL) gives its starting weights. *out keeps the model
 * when out is not NULL. */
static int train_one(nn_results *db, const nn_cli *cli, const ch_profile *p, const spec *s,
                     const nn_images *train, const nn_images *test, nn_model *from, nn_model **out,
                     nn_err *err) {
    int epochs = s->adversarial ? p->robust_epochs : s->conv ? p->conv_epochs : p->fc_epochs;
    float lr = s->adversarial ? p->robust_lr : p->lr;
    nn_json j;
    json_begin(&j);
    json_str(&j, "model", s->conv ? "conv32-conv64-dense256" : "dense512-dense256");
    json_str(&j, "input", "pixels/255");
    json_training(&j, train->n, test->n, epochs, p->batch);
    json_str(&j, "optimizer", "adam");
    json_str(&j, "schedule", "cosine");
    json_num(&j, "lr", lr);
    json_num(&j, "lr_final", p->lr_final);
    json_str(&j, "init", "he_normal");
    json_bool(&j, "adversarial", s->adversarial);
    if (from) json_str(&j, "from", "mnist-conv");
    if (s->adversarial) {
        json_str(&j, "attack", "pgd-untargeted-random-start");
        json_num(&j, "eps", p->robust_eps);
        json_num(&j, "alpha", p->robust_alpha);
        json_int(&j, "steps", p->robust_steps);
        json_num(&j, "eps_ramp", p->robust_ramp);
    }
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, s->experiment, cli->profile, json_end(&j), cli->seed}, err);
    if (run < 0) return -1;

    nn_rng rng;
    rng_seed(&rng, (uint64_t)cli->seed);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2 + 10 * s->adversarial),
           attack_rng = rng_split(&rng, 3);
    nn_model *m = s->conv ? ch_build_mnist_conv(p->batch, &init_rng, err)
                          : ch_build_mnist_fc(p->batch, &init_rng, err);
    if (m && from) memcpy(nn_params(m), nn_params(from), nn_param_count(m) * sizeof(float));
    nn_optim *opt = m ? nn_adam_new(m, nn_adam_defaults(), err) : NULL;
    nn_batches train_b = {0}, test_b = {0};
    nn_adversarial_source adv = {0};
    int rc = -1;
    if (!opt || batches_init(&train_b, train, p->batch, err) ||
        batches_init(&test_b, test, p->batch, err))
        goto done;
    nn_set_input_grad(m, 0);
    nn_image_source images = {.batches = &train_b, .order = &order_rng};
    nn_batch_source src = train_source_images(&images);
    if (s->adversarial) {
        adv = (nn_adversarial_source){.inner = src,
                                      .model = m,
                                      .pgd = {.eps = p->robust_eps,
                                              .alpha = p->robust_alpha,
                                              .steps = p->robust_steps,
                                              .random_start = 1},
                                      .rng = &attack_rng,
                                      .ramp = (long)(p->robust_ramp * epochs * train->n)};
        if (adversarial_source_init(&adv, err)) goto done;
        src = train_source_adversarial(&adv);
    }
    nn_train_config tc = train_defaults();
    tc.label = s->experiment;
    tc.epochs = epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_COSINE, .lr = lr, .final_lr = p->lr_final};
    tc.test = &test_b;
    tc.log_confusion = 1;
    tc.window = 100;
    if (train_classifier(db, run, m, opt, src, &tc, NULL, err) ||
        ch_save_model(db, run, m, cli->db, s->experiment, err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    adversarial_source_free(&adv);
    batches_free(&train_b);
    batches_free(&test_b);
    nn_optim_free(opt);
    if (!rc && out)
        *out = m;
    else
        nn_model_free(m);
    return rc;
}

int main(int argc, char **argv) {
    nn_cli cli;
    nn_err err = {{0}};
    int exit_code = cli_start(argc, argv,
        "Trains the MNIST classifiers of chapter 05 (fully connected, "
        "convolutional, and the convolutional one adversarially trained with "
        "PGD) and saves each as a model file next to the database, recorded "
        "in its `artifacts` table.",
        stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    const ch_profile *p = cli.smoke ? &CH_SMOKE : &CH_FULL;
    nn_images train = {0}, test = {0};
    nn_results *db = NULL;
    nn_model *conv = NULL;
    int rc = 1;
    if (experiment_load_mnist(cli.data_dir, p->mnist_train_n, p->mnist_test_n, &train, &test,
                              &err) ||
        !(db = results_open(cli.db, &err)))
        goto out;
    if (train_one(db, &cli, p, &SPECS[0], &train, &test, NULL, NULL, &err) ||
        train_one(db, &cli, p, &SPECS[1], &train, &test, NULL, &conv, &err) ||
        train_one(db, &cli, p, &SPECS[2], &train, &test, conv, NULL, &err))
        goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "mnist-classifiers: %s\n", err.msg);
    nn_model_free(conv);
    results_close(db);
    images_free(&train);
    images_free(&test);
    return rc;
}
