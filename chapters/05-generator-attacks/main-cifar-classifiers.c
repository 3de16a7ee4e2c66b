/* main-cifar-classifiers.c - the CIFAR-10 models of chapter 05, saved as files.
 *
 * The base model is chapter 04's final CIFAR-10 model, found in the database by its contract
 * (an `artifacts` row of kind 'model' on the newest done run of 04-cifar10/final; its run's
 * config_json says how it wants its input: "input", "mean", "std"), or --base PATH. Where
 * chapter 04 is not part of the build, the Makefile passes --standin instead: this program
 * then trains a small stand-in network first (run cifar-standin: three conv 3x3 + batch norm +
 * ReLU + max-pool blocks of 16, 32, 64 channels, global average pooling, dense 10; SGD with
 * Nesterov momentum, cosine schedule, random crops and flips) and saves it.
 *
 * From the base it fine-tunes a robust copy (run cifar-robust) by fast adversarial training
 * (Wong, Rice & Kolter 2020): every batch is replaced by its FGSM adversarial taken from a
 * uniform random start in the L-infinity ball of radius 8/255, step 10/255
 * (lab/adversarial_source.h). A base that wants normalised input gets a frozen layer computing
 * the normalisation in front (chapter.h), so the robust model takes pixels/255. */
#include <stdio.h>
#include <string.h>

#include "chapter.h"
#include "lab/adversarial_source.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/train.h"
#include "nn/model_io.h"
#include "nn/optim.h"

#define BATCH 128

typedef struct data {
    nn_images train, test;
    nn_batches train_b, test_b;
} data;

static nn_train_config train_config(const char *label, int epochs, float lr, nn_batches *test) {
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_COSINE, .lr = lr, .final_lr = 0};
    tc.test = test;
    tc.log_confusion = 1;
    tc.window = 50;
    return tc;
}

/* Trains the stand-in and saves it; its reference goes to *ref. */
static int train_standin(nn_results *db, const nn_cli *cli, const ch_profile *p, data *d,
                         ch_model_ref *ref, nn_err *err) {
    const float lr = 0.05f;
    nn_json j;
    json_begin(&j);
    json_str(&j, "model", "conv16-conv32-conv64-bn-gap");
    json_str(&j, "input", "pixels/255");
    json_str(&j, "why", "chapter 04 is not part of this build");
    json_training(&j, d->train.n, d->test.n, p->standin_epochs, BATCH);
    json_str(&j, "optimizer", "sgd-nesterov");
    json_num(&j, "momentum", 0.9);
    json_num(&j, "weight_decay", 5e-4);
    json_str(&j, "schedule", "cosine");
    json_num(&j, "lr", lr);
    json_str(&j, "augment", "crop 4, flip");
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "cifar-standin", cli->profile, json_end(&j), cli->seed}, err);
    if (run < 0) return -1;
    nn_rng rng;
    rng_seed(&rng, (uint64_t)cli->seed + 50);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2),
           aug_rng = rng_split(&rng, 3);
    nn_model *m = ch_build_cifar_standin(BATCH, &init_rng, err);
    nn_optim *opt =
        m ? nn_sgd_new(m, (nn_sgd_config){.momentum = 0.9f, .nesterov = 1, .weight_decay = 5e-4f},
                       err)
          : NULL;
    int rc = -1;
    if (!opt) goto done;
    nn_set_input_grad(m, 0);
    nn_image_source src = {
        .batches = &d->train_b, .order = &order_rng, .augment = &aug_rng, .crop_pad = 4, .flip = 1};
    nn_train_config tc = train_config("cifar-standin", p->standin_epochs, lr, &d->test_b);
    if (train_classifier(db, run, m, opt, train_source_images(&src), &tc, NULL, err) ||
        ch_save_model(db, run, m, cli->db, "cifar-standin", err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    nn_optim_free(opt);
    nn_model_free(m);
    if (!rc) {
        const char *why;
        int found = ch_find_model(db, CHAPTER, "cifar-standin", ref, &why, err);
        if (found) return found < 0 ? -1 : nn_fail(err, "cifar-standin: %s", why);
    }
    return rc;
}

/* Fine-tunes a robust copy of the base by fast adversarial training and saves it. */
static int train_robust(nn_results *db, const nn_cli *cli, const ch_profile *p, data *d,
                        const ch_model_ref *base, nn_err *err) {
    ch_input_norm norm;
    if (ch_parse_input_norm(db, base->config, &norm, err))
        return nn_fail_context(err, "%s (run %lld)", base->path, (long long)base->run);
    nn_model *m = ch_load_model(base, BATCH, err);
    if (!m) return -1;
    if (norm.normalized) {
        nn_model *w = ch_with_input_norm(m, &norm, BATCH, err);
        nn_model_free(m);
        if (!(m = w)) return -1;
    }
    if (nn_input_size(m) != 3 * 32 * 32 || nn_output_size(m) != 10) {
        nn_fail(err, "%s: not a CIFAR-10 classifier (%d inputs, %d outputs)", base->path,
                nn_input_size(m), nn_output_size(m));
        nn_model_free(m);
        return -1;
    }
    const float lr = p->cifar_ft_lr;
    char base_json[CH_PATH_MAX + 256];
    snprintf(base_json, sizeof base_json,
             "{\"run\":%lld,\"chapter\":\"%s\",\"experiment\":\"%s\",\"path\":\"%s\","
             "\"sha256\":\"%s\"}",
             (long long)base->run, base->chapter, base->experiment, base->path, base->sha256);
    nn_json j;
    json_begin(&j);
    json_raw(&j, "base", base_json);
    json_str(&j, "input", "pixels/255");
    json_bool(&j, "base_input_normalised", norm.normalized);
    json_str(&j, "method", "fast adversarial training: FGSM from a random start");
    json_num(&j, "eps", p->cifar_eps);
    json_num(&j, "alpha", p->cifar_alpha);
    json_training(&j, d->train.n, d->test.n, p->cifar_ft_epochs, BATCH);
    json_str(&j, "optimizer", "sgd-nesterov");
    json_num(&j, "momentum", 0.9);
    json_num(&j, "weight_decay", 5e-4);
    json_str(&j, "schedule", "cosine");
    json_num(&j, "lr", lr);
    json_str(&j, "augment", "crop 4, flip");
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "cifar-robust", cli->profile, json_end(&j), cli->seed}, err);
    if (run < 0) {
        nn_model_free(m);
        return -1;
    }
    nn_rng rng;
    rng_seed(&rng, (uint64_t)cli->seed + 60);
    nn_rng order_rng = rng_split(&rng, 2), aug_rng = rng_split(&rng, 3),
           attack_rng = rng_split(&rng, 4);
    nn_optim *opt =
        nn_sgd_new(m, (nn_sgd_config){.momentum = 0.9f, .nesterov = 1, .weight_decay = 5e-4f}, err);
    nn_adversarial_source adv = {0};
    int rc = -1;
    if (!opt) goto done;
    nn_set_input_grad(m, 0);
    nn_image_source src = {
        .batches = &d->train_b, .order = &order_rng, .augment = &aug_rng, .crop_pad = 4, .flip = 1};
    adv = (nn_adversarial_source){
        .inner = train_source_images(&src),
        .model = m,
        .pgd = {.eps = p->cifar_eps, .alpha = p->cifar_alpha, .steps = 1, .random_start = 1},
        .rng = &attack_rng};
    nn_train_config tc = train_config("cifar-robust", p->cifar_ft_epochs, lr, &d->test_b);
    if (adversarial_source_init(&adv, err) ||
        train_classifier(db, run, m, opt, train_source_adversarial(&adv), &tc, NULL, err) ||
        ch_save_model(db, run, m, cli->db, "cifar-robust", err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    adversarial_source_free(&adv);
    nn_optim_free(opt);
    nn_model_free(m);
    return rc;
}

int main(int argc, char **argv) {
    nn_err err = {{0}};
    const char *standin = NULL, *base_path = NULL;
    if (ch_take_option(&argc, argv, "--standin", 0, &standin) < 0 ||
        ch_take_option(&argc, argv, "--base", 1, &base_path) < 0) {
        fprintf(stderr, "%s: --base needs a PATH\n", argv[0]);
        return 2;
    }
    nn_cli cli;
    int exit_code = cli_start(argc, argv,
        "Fine-tunes a robust copy of the CIFAR-10 model (chapter 04's final "
        "model by default) with fast adversarial training and saves it next to "
        "the database.\n\n"
        "  --base PATH   the model file to start from instead of chapter 04's\n"
        "  --standin     first train this chapter's small stand-in network and "
        "start from it\n                (the Makefile's choice where chapter "
        "04 is not part of the build)",
        stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    if (standin && base_path) {
        fprintf(stderr, "%s: --standin and --base exclude each other\n", argv[0]);
        return 2;
    }
    const ch_profile *p = cli.smoke ? &CH_SMOKE : &CH_FULL;
    data d = {0};
    nn_images all = {0};
    nn_results *db = NULL;
    ch_model_ref base;
    int rc = 1;
    if (cifar10_load_split(cli.data_dir, "train", &all, &err) ||
        images_subset(&all, 0, (size_t)(p->cifar_train_n < all.n ? p->cifar_train_n : all.n),
                      &d.train, &err))
        goto out;
    images_free(&all);
    if (cifar10_load_split(cli.data_dir, "test", &all, &err) ||
        images_subset(&all, 0, (size_t)(p->cifar_test_n < all.n ? p->cifar_test_n : all.n), &d.test,
                      &err) ||
        batches_init(&d.train_b, &d.train, BATCH, &err) ||
        batches_init(&d.test_b, &d.test, BATCH, &err) || !(db = results_open(cli.db, &err)))
        goto out;
    if (standin) {
        if (train_standin(db, &cli, p, &d, &base, &err)) goto out;
    } else if (base_path) {
        if (ch_ref_from_path(db, base_path, &base, &err)) goto out;
    } else {
        const char *why = "";
        int found = ch_find_model(db, CH04_CHAPTER, CH04_EXPERIMENT, &base, &why, &err);
        if (found < 0) goto out;
        if (found > 0) {
            nn_fail(&err,
                    "no CIFAR-10 model from chapter 04 (%s/%s: %s); pass --standin or "
                    "--base PATH",
                    CH04_CHAPTER, CH04_EXPERIMENT, why);
            goto out;
        }
    }
    /* The fine-tuning sees the first cifar_ft_n training images (an epoch's budget). */
    batches_free(&d.train_b);
    nn_images ft = {0};
    if (images_subset(&d.train, 0, (size_t)(p->cifar_ft_n < d.train.n ? p->cifar_ft_n : d.train.n),
                      &ft, &err))
        goto out;
    images_free(&d.train);
    d.train = ft;
    if (batches_init(&d.train_b, &d.train, BATCH, &err) ||
        train_robust(db, &cli, p, &d, &base, &err))
        goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "cifar-classifiers: %s\n", err.msg);
    results_close(db);
    batches_free(&d.train_b);
    batches_free(&d.test_b);
    images_free(&d.train);
    images_free(&d.test);
    images_free(&all);
    return rc;
}
