/* 03-targeted-attacks/experiment.c - make a CNN read every '2' as a '6'.
 *
 * Trains the convolutional network of TensorFlow's "Deep MNIST for Experts" tutorial
 * (conv 5x5x32, ReLU, max-pool 2; conv 5x5x64, ReLU, max-pool 2; dense 1024, ReLU, dropout
 * 0.5; dense 10; softmax cross-entropy, Adam), and an independent second copy with another
 * seed. Then (attacks.c) attacks every correctly classified test '2' with targeted FGSM,
 * PGD/BIM and a Carlini-Wagner L2 attack towards '6', compares with untargeted attacks,
 * checks transfer to the second model, and draws the 10 x 3 grids. Finally it fine-tunes the
 * first model twice from the same weights, on clean images and on a half-clean,
 * half-adversarial mixture (Goodfellow et al. 2015), with clean and adversarial accuracy
 * after every epoch (the fine-tunes' curves), and measures both for all three models at the
 * end. Every number goes to the results database. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack_untargeted.h"
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
    int ft_epochs;     /* fine-tuning epochs ... */
    int ft_n;          /* ... of this many training images each (one pass over the set,
                          reshuffled when it runs out) */
    int ft_pgd_steps;  /* PGD steps to make each adversarial training batch */
    float ft_lr;       /* Adam, constant, for fine-tuning */
    int ft_eval_n;     /* test images for the accuracy under attack after every epoch */
    int ft_eval_steps; /* PGD steps of that measurement */
} profile_config;

/* Full: sized for about 20 minutes on 2 cores (measured on one core: training 1.8 ms per
 * image, one PGD or CW iteration 1.0 ms per image). Model B is trained as long as model A;
 * every correctly classified 2 gets Carlini-Wagner with 5 x 100 Adam iterations (0.5 s
 * each); the fine-tunes make one pass over the training set in 6 epochs, with the
 * adversarial one's batches made by 3-step PGD and its robustness measured after each
 * epoch with 10-step PGD on 500 test images (the final numbers: 20 steps, 1000 images). */
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
               .robust_n = 1000,
               .robust_steps = 20,
               .targeted_eval_n = 200},
    .ft_epochs = 6,
    .ft_n = 10000,
    .ft_pgd_steps = 3,
    .ft_lr = 1e-4f,
    .ft_eval_n = 500,
    .ft_eval_steps = 10,
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
               .robust_n = 100,
               .robust_steps = 10,
               .targeted_eval_n = 20},
    .ft_epochs = 2,
    .ft_n = 150,
    .ft_pgd_steps = 3,
    .ft_lr = 1e-4f,
    .ft_eval_n = 50,
    .ft_eval_steps = 5,
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

/* The fine-tuning batches: ft_n training images per epoch, taken in turn from one shuffled
 * order (reshuffled when it runs out), and with `adversarial` after them their untargeted
 * PGD adversarials at EPS_CHAPTER against the model being tuned, made just before each
 * step. */
typedef struct finetune_source {
    nn_model *m;
    const nn_images *train;
    int *order;
    nn_rng *order_rng, *attack_rng;
    nn_pgd_config pgd;
    int adversarial, batch, per_epoch;
    int start, first, end; /* this epoch's images: order[start .. end) */
    float *x;
    uint8_t *y;
} finetune_source;

static void finetune_begin_epoch(void *ctx, int epoch) {
    finetune_source *s = ctx;
    if (epoch == 1 || s->end + s->per_epoch > s->train->n) {
        rng_shuffle(s->order_rng, s->order, (size_t)s->train->n);
        s->end = 0;
    }
    s->start = s->first = s->end;
    s->end = s->start + s->per_epoch;
}

static int finetune_next(void *ctx, const float **x, const uint8_t **y, nn_err *err) {
    finetune_source *s = ctx;
    int n = s->end - s->first < s->batch ? s->end - s->first : s->batch, rows = n;
    if (n <= 0) return 0;
    ch_gather(s->train, s->order + s->first, n, s->x, s->y);
    s->first += n;
    if (s->adversarial) {
        size_t d = images_stride(s->train);
        ch_freeze_all(s->m, 1);
        if (attack_pgd_untargeted(s->m, s->x, s->y, n, &s->pgd, s->attack_rng, s->x + n * d, NULL,
                                  err))
            return -1;
        ch_freeze_all(s->m, 0);
        nn_set_input_grad(s->m, 0);
        memcpy(s->y + n, s->y, (size_t)n);
        rows = 2 * n;
    }
    *x = s->x, *y = s->y;
    return rows;
}

/* The fine-tune's curve: after every epoch (and before the first), the accuracy under
 * PGD on the first ft_eval_n test images, as split 'test-pgd' (the clean 'test' rows come
 * from the loop itself). Measured outside the epoch's transaction, logged inside it. */
typedef struct finetune_curve {
    nn_results *db;
    int64_t run;
    const profile_config *cfg;
    const nn_images *test;
    uint64_t seed;
    double robust;
} finetune_curve;

static int measure_robustness(void *ctx, nn_model *m, int epoch, nn_err *err) {
    (void)epoch;
    finetune_curve *c = ctx;
    return ch_robust_accuracy(m, c->test, c->cfg->ft_eval_n, c->cfg->ft_eval_steps, c->seed,
                              &c->robust, err);
}

static int log_robustness_row(void *ctx, nn_model *m, int epoch, long step, float lr, nn_err *err) {
    (void)m;
    finetune_curve *c = ctx;
    return results_log_epoch(
        c->db, c->run, &(nn_epoch_row){epoch, (int)step, "test-pgd", NAN, c->robust, lr, 0}, err);
}

/* The starting point of the curve (epoch 0): the base model, clean and under attack. */
static int log_curve_start(finetune_curve *c, nn_model *m, nn_batches *eb, nn_err *err) {
    nn_eval clean;
    if (experiment_evaluate(m, eb, &clean, NULL, err) || measure_robustness(c, m, 0, err))
        return -1;
    if (results_transaction_begin(c->db, err)) return -1;
    if (results_log_epoch(
            c->db, c->run,
            &(nn_epoch_row){0, 0, "test", clean.loss, clean.accuracy, c->cfg->ft_lr, 0}, err) ||
        log_robustness_row(c, m, 0, 0, c->cfg->ft_lr, err) ||
        results_transaction_commit(c->db, err)) {
        results_transaction_rollback(c->db);
        return -1;
    }
    return 0;
}

/* ft_epochs epochs of ft_n training images each, starting from base's weights: on clean
 * batches (adversarial = 0) or on batches of n clean images plus their n untargeted PGD
 * adversarials at EPS_CHAPTER, i.e. the loss 0.5 CE(x) + 0.5 CE(x_adv) of Goodfellow et al.
 * (2015) with Madry et al.'s (2018) PGD in place of FGSM. Records run `experiment` with the
 * curve (clean and attacked test accuracy after every epoch) and the same robustness
 * metrics as the base model. */
static int fine_tune(nn_results *db, const nn_cli *cli, const profile_config *cfg,
                     const char *experiment, int adversarial, nn_model *base,
                     const nn_images *train, const nn_images *test, const int *twos, int n_twos,
                     nn_err *err) {
    float alpha = 2.5f * EPS_CHAPTER / cfg->ft_pgd_steps;
    int per_epoch = cfg->ft_n < train->n ? cfg->ft_n : train->n;
    nn_json config;
    json_begin(&config);
    json_str(&config, "from", "cnn");
    json_int(&config, "adversarial", adversarial);
    json_int(&config, "epochs", cfg->ft_epochs);
    json_int(&config, "ft_n", per_epoch);
    json_str(&config, "optimizer", "adam");
    json_num(&config, "lr", cfg->ft_lr);
    json_int(&config, "batch", cfg->batch);
    json_num(&config, "mix", 0.5);
    json_str(&config, "attack", "pgd-untargeted");
    json_num(&config, "eps", EPS_CHAPTER);
    json_int(&config, "steps", cfg->ft_pgd_steps);
    json_num(&config, "alpha", alpha);
    json_int(&config, "random_start", 1);
    json_int(&config, "curve_n", cfg->ft_eval_n);
    json_int(&config, "curve_steps", cfg->ft_eval_steps);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, experiment, cli->profile, json_end(&config), cli->seed}, err);
    if (run < 0) return -1;
    nn_rng rng;
    rng_seed(&rng, (uint64_t)cli->seed + 100);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2),
           drop_rng = rng_split(&rng, 3), attack_rng = rng_split(&rng, 4);
    nn_model *m = ch_build_cnn(&init_rng, &drop_rng, err);
    nn_optim *opt = NULL;
    nn_batches eb = {0};
    size_t d = images_stride(train);
    finetune_source s = {
        .m = m,
        .train = train,
        .order = malloc(sizeof(int) * train->n),
        .order_rng = &order_rng,
        .attack_rng = &attack_rng,
        .pgd = {.eps = EPS_CHAPTER, .alpha = alpha, .steps = cfg->ft_pgd_steps, .random_start = 1},
        .adversarial = adversarial,
        .batch = cfg->batch,
        .per_epoch = per_epoch,
        .x = malloc(sizeof(float) * 2 * cfg->batch * d),
        .y = malloc(2 * (size_t)cfg->batch)};
    finetune_curve curve = {db, run, cfg, test, (uint64_t)cli->seed, 0};
    int rc = -1;
    if (!m || !s.order || !s.x || !s.y) {
        if (m) nn_fail(err, "%s: out of memory", experiment);
        goto done;
    }
    memcpy(nn_params(m), nn_params(base), nn_param_count(m) * sizeof(float));
    if (!(opt = nn_adam_new(m, nn_adam_defaults(), err)) ||
        batches_init(&eb, test, ATTACK_BATCH, err))
        goto done;
    nn_set_input_grad(m, 0);
    for (int i = 0; i < train->n; i++)
        s.order[i] = i;
    if (log_curve_start(&curve, m, &eb, err)) goto done;

    nn_train_config tc = train_defaults();
    tc.label = experiment;
    tc.epochs = cfg->ft_epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_CONSTANT, .lr = cfg->ft_lr};
    tc.window = cfg->log_every;
    tc.test = &eb;
    tc.hook_ctx = &curve;
    tc.measure_epoch = measure_robustness;
    tc.after_epoch = log_robustness_row;
    nn_batch_source src = {.ctx = &s,
                           .samples_per_epoch = (adversarial ? 2L : 1L) * per_epoch,
                           .steps_per_epoch = (per_epoch + cfg->batch - 1) / cfg->batch,
                           .begin_epoch = finetune_begin_epoch,
                           .next = finetune_next};
    if (train_classifier(db, run, m, opt, src, &tc, NULL, err) ||
        results_log_metric(db, run, "images", (double)per_epoch * cfg->ft_epochs, err) ||
        ch_log_robustness(db, run, m, &cfg->attack, test, twos, n_twos, (uint64_t)cli->seed, err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    batches_free(&eb);
    nn_optim_free(opt);
    nn_model_free(m);
    free(s.order);
    free(s.x);
    free(s.y);
    return rc;
}

int main(int argc, char **argv) {
    nn_cli cli;
    int exit_code = cli_start(argc, argv,
                              "Trains the CNN of TensorFlow's Deep MNIST tutorial, turns test '2's "
                              "into '6's with targeted FGSM, PGD and Carlini-Wagner attacks, "
                              "draws the 10x3 grids (PNG, into --figures), tests transfer to a "
                              "second model and adversarial fine-tuning; logs all of it.",
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
    if (ch_run_attacks(db, &cli, &cfg->attack, a, b, test, twos, n_twos, count_twos, &err) ||
        fine_tune(db, &cli, cfg, "finetune-clean", 0, a, train, test, twos, n_twos, &err) ||
        fine_tune(db, &cli, cfg, "finetune-adv", 1, a, train, test, twos, n_twos, &err))
        goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    free(twos);
    nn_model_free(a);
    nn_model_free(b);
    experiment_close(&in);
    return rc;
}
