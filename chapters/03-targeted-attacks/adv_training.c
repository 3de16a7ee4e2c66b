/* adv_training.c - the adversarial training study (see adv_training.h). */
#include "adv_training.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/paired_test.h"
#include "lab/adversarial_source.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/train.h"
#include "nn/optim.h"

typedef enum { STANDARD, FGSM_TRAINING, PGD_TRAINING } training_kind;

static const char *const KIND_NAME[] = {"standard", "fgsm", "pgd"};

/* 784 - hidden - hidden - 10, ReLU, He-normal; max_batch rows per forward. */
static nn_model *build_mlp(int hidden, int max_batch, nn_rng *init_rng, nn_err *err) {
    nn_model *m = nn_model_new(1, 28, 28, err);
    if (!m) return NULL;
    nn_add_dense(m, hidden);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, hidden);
    nn_add_activation(m, NN_RELU);
    nn_add_dense(m, CLASSES);
    if (nn_model_build(m, max_batch, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, init_rng);
    return m;
}

/* One model of the study: trained, measured, compared with `standard` (per-image clean
 * correctness of the seed's standard model; NULL for the standard model itself, whose own
 * correctness is written to `correct`). */
static int train_one(nn_results *db, const nn_cli *cli, const ch_study_config *cfg,
                     training_kind kind, float eps, int ramp, int64_t seed, const nn_images *train,
                     const nn_images *test, const unsigned char *standard, unsigned char *correct,
                     nn_err *err) {
    char experiment[64];
    if (kind == STANDARD)
        snprintf(experiment, sizeof experiment, "robust-standard");
    else
        snprintf(experiment, sizeof experiment, "robust-%s-%g%s", KIND_NAME[kind], (double)eps,
                 kind == PGD_TRAINING && !ramp ? "-noramp" : "");
    float ramp_share = kind == PGD_TRAINING && ramp ? cfg->ramp : 0;
    int max_batch = kind == FGSM_TRAINING ? 2 * cfg->batch : cfg->batch;
    nn_json config;
    json_begin(&config);
    json_str(&config, "model", "mlp");
    json_int(&config, "hidden", cfg->hidden);
    json_int(&config, "layers", 2);
    json_str(&config, "init", "he_normal");
    json_str(&config, "training", KIND_NAME[kind]);
    json_str(&config, "optimizer", "adam");
    json_str(&config, "schedule", "cosine");
    json_num(&config, "lr", cfg->lr);
    json_num(&config, "lr_final", cfg->lr_final);
    json_int(&config, "epochs", cfg->epochs);
    json_int(&config, "batch", cfg->batch);
    json_int(&config, "train_n", train->n);
    json_int(&config, "test_n", test->n);
    if (kind != STANDARD) {
        json_num(&config, "eps", eps);
        json_str(&config, "attack", kind == FGSM_TRAINING ? "fgsm-untargeted" : "pgd-untargeted");
        json_int(&config, "steps", kind == FGSM_TRAINING ? 1 : cfg->pgd_steps);
        json_num(&config, "alpha", kind == FGSM_TRAINING ? eps : 2.5 * eps / cfg->pgd_steps);
        json_int(&config, "random_start", kind == PGD_TRAINING);
        json_num(&config, "clean_share", kind == FGSM_TRAINING ? 0.5 : 0.0);
        json_num(&config, "eps_ramp", ramp_share);
    }
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, experiment, cli->profile, json_end(&config), seed}, err);
    if (run < 0) return -1;
    /* The same streams for every kind of training of a seed: same initial weights, same
     * batch order; only the objective differs. */
    nn_rng rng;
    rng_seed(&rng, (uint64_t)seed + 1000);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2),
           attack_rng = rng_split(&rng, 3);
    nn_model *m = build_mlp(cfg->hidden, max_batch, &init_rng, err);
    nn_optim *opt = m ? nn_adam_new(m, nn_adam_defaults(), err) : NULL;
    nn_batches tb = {0}, eb = {0};
    nn_adversarial_source adv = {0};
    unsigned char *mine = correct ? correct : malloc((size_t)test->n + 1);
    int rc = -1;
    if (!mine) {
        nn_fail(err, "%s: out of memory", experiment);
        goto done;
    }
    if (!opt || batches_init(&tb, train, cfg->batch, err) ||
        batches_init(&eb, test, cfg->batch, err))
        goto done;
    nn_set_input_grad(m, 0);
    nn_image_source images = {.batches = &tb, .order = &order_rng};
    nn_batch_source src = train_source_images(&images);
    if (kind != STANDARD) {
        int fgsm = kind == FGSM_TRAINING;
        adv = (nn_adversarial_source){.inner = src,
                                      .model = m,
                                      .pgd = {.eps = eps,
                                              .alpha = fgsm ? eps : 2.5f * eps / cfg->pgd_steps,
                                              .steps = fgsm ? 1 : cfg->pgd_steps,
                                              .random_start = !fgsm},
                                      .rng = &attack_rng,
                                      .ramp = (long)((double)ramp_share * cfg->epochs * train->n),
                                      .with_clean = fgsm};
        if (adversarial_source_init(&adv, err)) goto done;
        src = train_source_adversarial(&adv);
    }
    char label[96];
    snprintf(label, sizeof label, "%s seed %lld", experiment, (long long)seed);
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = cfg->epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_COSINE, .lr = cfg->lr, .final_lr = cfg->lr_final};
    tc.test = &eb;
    nn_train_result r;
    if (train_classifier(db, run, m, opt, src, &tc, &r, err) ||
        ch_log_robustness(db, run, m, test, &cfg->eval, (uint64_t)seed, mine, err))
        goto done;
    if (standard) {
        long b, c;
        paired_discordant(standard, mine, test->n, &b, &c);
        if (results_log_metric(db, run, "mcnemar_b", (double)b, err) ||
            results_log_metric(db, run, "mcnemar_c", (double)c, err) ||
            results_log_metric(db, run, "mcnemar_p", mcnemar_exact_p(b, c), err))
            goto done;
    }
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    adversarial_source_free(&adv);
    batches_free(&tb);
    batches_free(&eb);
    nn_optim_free(opt);
    nn_model_free(m);
    if (mine != correct) free(mine);
    return rc;
}

int ch_adversarial_training_study(nn_results *db, const nn_cli *cli, const ch_study_config *cfg,
                                  const nn_images *train, const nn_images *test, nn_err *err) {
    unsigned char *standard = malloc((size_t)test->n + 1);
    if (!standard) return nn_fail(err, "adversarial training: out of memory");
    int rc = 0;
    for (int i = 0; i < cfg->seeds && !rc; i++) {
        int64_t seed = cli->seed + i;
        rc = train_one(db, cli, cfg, STANDARD, 0, 0, seed, train, test, NULL, standard, err);
        for (int kind = FGSM_TRAINING; kind <= PGD_TRAINING && !rc; kind++)
            for (int e = 0; e < N_STUDY_EPS && !rc; e++)
                rc = train_one(db, cli, cfg, (training_kind)kind, STUDY_EPS[e], 1, seed, train,
                               test, standard, NULL, err);
        if (!rc)
            rc = train_one(db, cli, cfg, PGD_TRAINING, STUDY_EPS[N_STUDY_EPS - 1], 0, seed, train,
                           test, standard, NULL, err);
    }
    free(standard);
    return rc;
}
