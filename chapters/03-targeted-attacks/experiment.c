/* 03-targeted-attacks/experiment.c - make a CNN read every '2' as a '6'.
 *
 * Trains the convolutional network of TensorFlow's "Deep MNIST for Experts" tutorial
 * (conv 5x5x32, ReLU, max-pool 2; conv 5x5x64, ReLU, max-pool 2; dense 1024, ReLU, dropout
 * 0.5; dense 10; softmax cross-entropy, Adam), and an independent second copy with another
 * seed. Then (attacks.c) attacks every correctly classified test '2' with targeted FGSM,
 * PGD/BIM and a Carlini-Wagner L2 attack towards '6', compares with untargeted attacks,
 * checks transfer to the second model, and draws the 10 x 3 grids. Finally it fine-tunes the
 * first model twice from the same weights, on clean images and on a half-clean,
 * half-adversarial mixture (Goodfellow et al. 2015), and measures clean and adversarial
 * accuracy of all three. Every number goes to the results database. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack/attack.h"
#include "attack/attack_untargeted.h"
#include "chapter.h"
#include "base/clock.h"
#include "lab/experiment.h"
#include "nn/metrics.h"
#include "nn/optim.h"
#include "base/progress.h"
#include "nn/schedule.h"

#define PROBE_BATCH 64

const float EPS[N_EPS] = {0.05f, 0.1f, 0.15f, 0.2f, 0.25f, 0.3f};

static const profile_config FULL = {
    .train_n = 60000,
    .test_n = 10000,
    .epochs = 3,
    .epochs_b = 1,
    .batch = 50,
    .lr = 1e-3f,
    .lr_final = 1e-5f,
    .log_every = 100,
    .attack_n = 0,
    .pgd_steps = 10,
    .cw_n = 100,
    .cw_search = 5,
    .cw_iterations = 100,
    .cw_lr = 0.1f,
    .ft_n = 10000,
    .ft_pgd_steps = 5,
    .ft_lr = 1e-4f,
    .robust_n = 1000,
    .robust_steps = 20,
    .targeted_eval_n = 200,
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
    .pgd_steps = 10,
    .cw_n = 10,
    .cw_search = 2,
    .cw_iterations = 30,
    .cw_lr = 0.1f,
    .ft_n = 300,
    .ft_pgd_steps = 3,
    .ft_lr = 1e-4f,
    .robust_n = 100,
    .robust_steps = 10,
    .targeted_eval_n = 20,
};

nn_model *ch_build_cnn(nn_rng *init_rng, const nn_rng *dropout_rng, nn_err *err) {
    nn_model *m = nn_model_new(1, 28, 28, err);
    if (!m) return NULL;
    nn_add_conv2d(m, 32, 5, 1, 2); /* "SAME" padding: 28x28 stays 28x28 */
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2);
    nn_add_conv2d(m, 64, 5, 1, 2);
    nn_add_activation(m, NN_RELU);
    nn_add_maxpool(m, 2, 2); /* 64 x 7 x 7 */
    nn_add_dense(m, 1024);
    nn_add_activation(m, NN_RELU);
    nn_add_dropout(m, 0.5f);
    nn_add_dense(m, 10);
    if (nn_model_build(m, ATTACK_BATCH, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, init_rng);
    nn_model_set_rng(m, dropout_rng);
    return m;
}

void ch_freeze_all(nn_model *m, int on) {
    for (int l = 0; l < nn_layer_count(m); l++)
        nn_freeze_layer(m, l, on);
}

void ch_gather(const nn_images *set, const int *index, int n, float *x, uint8_t *labels) {
    size_t d = images_stride(set);
    for (int k = 0; k < n; k++) {
        images_to_float(set, (size_t)index[k], 1, x + k * d);
        if (labels) labels[k] = set->labels[index[k]];
    }
}

/* Logs one row of the running training loss and accuracy (the window since the last). */
static int log_window(nn_results *db, int64_t run, int epoch, int step, double loss_sum,
                      long correct, long seen, float lr, nn_err *err) {
    if (!seen) return 0;
    return results_log_epoch(db, run,
                             &(nn_epoch_row){epoch, step, "train_window", loss_sum / seen,
                                             (double)correct / seen, lr, 0},
                             err);
}

/* Trains a fresh tutorial CNN for `epochs` and records run `experiment` with `seed`. */
static nn_model *train_cnn(nn_results *db, const nn_cli *cli, const profile_config *cfg,
                           const char *experiment, int64_t seed, int epochs, const nn_images *train,
                           const nn_images *test, nn_err *err) {
    char config[512];
    snprintf(config, sizeof config,
             "{\"model\":\"tf-deep-mnist-cnn\",\"conv\":[32,64],\"kernel\":5,\"dense\":1024,"
             "\"dropout\":0.5,\"init\":\"he_normal\",\"optimizer\":\"adam\",\"lr\":%g,"
             "\"lr_final\":%g,\"schedule\":\"cosine\",\"batch\":%d,\"epochs\":%d,"
             "\"train_n\":%d,\"test_n\":%d}",
             (double)cfg->lr, (double)cfg->lr_final, cfg->batch, epochs, train->n, test->n);
    int64_t run =
        results_begin_run(db, &(nn_run_info){CHAPTER, experiment, cli->profile, config, seed}, err);
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
    batches_next(&probe); /* the first 64 training images: a fixed batch for gradient stats */
    if (experiment_probe_gradients(m, probe.x, probe.y, probe.count, NULL, err) ||
        experiment_log_grad_stats(db, run, m, 0, 0, err))
        goto done;
    nn_set_input_grad(m, 0); /* training needs no dL/dx */
    long total_steps = (long)epochs * batches_per_epoch(&tb);
    int step = 0;
    double train_seconds = 0;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        char label[96];
        snprintf(label, sizeof label, "%s epoch %d/%d", experiment, epoch, epochs);
        nn_progress bar;
        progress_start(&bar, stderr, label, "img", train->n);
        double t0 = nn_seconds(), loss_sum = 0, w_loss = 0;
        long correct = 0, seen = 0, w_correct = 0, w_seen = 0;
        float lr = cfg->lr;
        int n;
        batches_shuffle(&tb, &order_rng);
        while ((n = batches_next(&tb)) > 0) {
            lr = nn_lr_cosine(cfg->lr, cfg->lr_final, step, total_steps);
            const float *logits = nn_forward(m, tb.x, n, 1);
            int c = nn_count_correct(logits, tb.y, n, 10);
            float *d = nn_output_grad_buffer(m);
            double loss = (double)softmax_xent(logits, tb.y, n, 10, d) * n;
            nn_backward(m, d, n);
            nn_optim_step(opt, lr);
            step++;
            correct += c, seen += n, loss_sum += loss;
            w_correct += c, w_seen += n, w_loss += loss;
            if (step % cfg->log_every == 0) {
                if (log_window(db, run, epoch, step, w_loss, w_correct, w_seen, lr, err)) goto done;
                w_loss = 0, w_correct = 0, w_seen = 0;
            }
            char note[48];
            snprintf(note, sizeof note, "loss %.4f", loss_sum / seen);
            progress_update(&bar, seen, note);
        }
        double seconds = nn_seconds() - t0;
        train_seconds += seconds;
        nn_eval ev;
        if (experiment_evaluate(m, &eb, &ev, NULL, err)) goto done;
        char note[64];
        snprintf(note, sizeof note, "test accuracy %.2f%%", 100 * ev.accuracy);
        progress_finish(&bar, note);
        nn_set_input_grad(m, 1);
        if (results_transaction_begin(db, err) ||
            results_log_epoch(db, run,
                              &(nn_epoch_row){epoch, step, "train", loss_sum / seen,
                                              (double)correct / seen, lr, seconds},
                              err) ||
            results_log_epoch(
                db, run, &(nn_epoch_row){epoch, step, "test", ev.loss, ev.accuracy, lr, 0}, err) ||
            experiment_probe_gradients(m, probe.x, probe.y, probe.count, NULL, err) ||
            experiment_log_grad_stats(db, run, m, epoch, step, err) ||
            results_transaction_commit(db, err))
            goto done;
        nn_set_input_grad(m, 0);
    }
    int64_t confusion[100] = {0};
    nn_eval final;
    if (experiment_evaluate(m, &eb, &final, confusion, err) ||
        results_log_metric(db, run, "test_accuracy", final.accuracy, err) ||
        results_log_metric(db, run, "test_loss", final.loss, err) ||
        results_log_metric(db, run, "train_seconds", train_seconds, err) ||
        results_log_metric(db, run, "images_per_second", (double)epochs * train->n / train_seconds,
                           err) ||
        results_log_metric(db, run, "parameters", (double)nn_param_count(m), err) ||
        results_log_confusion(db, run, 10, confusion, err))
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

/* One pass over ft_n training images, starting from base's weights: on clean batches
 * (adversarial = 0) or on batches of n clean images plus their n untargeted PGD
 * adversarials at EPS_CHAPTER, i.e. the loss 0.5 CE(x) + 0.5 CE(x_adv) of Goodfellow et al.
 * (2015) with Madry et al.'s (2018) PGD in place of FGSM. Records run `experiment` with
 * the same robustness metrics as the base model. */
static int fine_tune(nn_results *db, const nn_cli *cli, const profile_config *cfg,
                     const char *experiment, int adversarial, nn_model *base,
                     const nn_images *train, const nn_images *test, const int *twos, int n_twos,
                     nn_err *err) {
    float alpha = 2.5f * EPS_CHAPTER / cfg->ft_pgd_steps;
    char config[512];
    snprintf(config, sizeof config,
             "{\"from\":\"cnn\",\"adversarial\":%d,\"ft_n\":%d,\"optimizer\":\"adam\",\"lr\":%g,"
             "\"batch\":%d,\"mix\":0.5,\"attack\":\"pgd-untargeted\",\"eps\":%g,\"steps\":%d,"
             "\"alpha\":%g,\"random_start\":1}",
             adversarial, cfg->ft_n, (double)cfg->ft_lr, cfg->batch, (double)EPS_CHAPTER,
             cfg->ft_pgd_steps, (double)alpha);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, experiment, cli->profile, config, cli->seed}, err);
    if (run < 0) return -1;
    nn_rng rng;
    rng_seed(&rng, (uint64_t)cli->seed + 100);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2),
           drop_rng = rng_split(&rng, 3), attack_rng = rng_split(&rng, 4);
    nn_model *m = ch_build_cnn(&init_rng, &drop_rng, err);
    nn_optim *opt = NULL;
    int *order = malloc(sizeof(int) * train->n);
    size_t d = images_stride(train);
    float *x = malloc(sizeof(float) * 2 * cfg->batch * d);
    uint8_t *y = malloc(2 * (size_t)cfg->batch);
    int rc = -1;
    if (!m || !order || !x || !y) {
        if (m) nn_fail(err, "%s: out of memory", experiment);
        goto done;
    }
    memcpy(nn_params(m), nn_params(base), nn_param_count(m) * sizeof(float));
    if (!(opt = nn_adam_new(m, nn_adam_defaults(), err))) goto done;
    for (int i = 0; i < train->n; i++)
        order[i] = i;
    rng_shuffle(&order_rng, order, (size_t)train->n);
    int n_images = cfg->ft_n < train->n ? cfg->ft_n : train->n;
    nn_pgd_config pgd = {
        .eps = EPS_CHAPTER, .alpha = alpha, .steps = cfg->ft_pgd_steps, .random_start = 1};
    nn_progress bar;
    progress_start(&bar, stderr, experiment, "img", n_images);
    double t0 = nn_seconds(), w_loss = 0;
    long w_correct = 0, w_seen = 0;
    int step = 0;
    for (int first = 0; first < n_images; first += cfg->batch) {
        int n = n_images - first < cfg->batch ? n_images - first : cfg->batch, rows = n;
        ch_gather(train, order + first, n, x, y);
        if (adversarial) {
            ch_freeze_all(m, 1);
            if (attack_pgd_untargeted(m, x, y, n, &pgd, &attack_rng, x + n * d, NULL, err))
                goto done;
            ch_freeze_all(m, 0);
            memcpy(y + n, y, (size_t)n);
            rows = 2 * n;
        }
        nn_set_input_grad(m, 0);
        const float *logits = nn_forward(m, x, rows, 1);
        w_correct += nn_count_correct(logits, y, rows, 10);
        float *g = nn_output_grad_buffer(m);
        w_loss += (double)softmax_xent(logits, y, rows, 10, g) * rows;
        w_seen += rows;
        nn_backward(m, g, rows);
        nn_optim_step(opt, cfg->ft_lr);
        step++;
        if (step % cfg->log_every == 0) {
            if (log_window(db, run, 1, step, w_loss, w_correct, w_seen, cfg->ft_lr, err)) goto done;
            w_loss = 0, w_correct = 0, w_seen = 0;
        }
        progress_update(&bar, first + n, NULL);
    }
    double seconds = nn_seconds() - t0;
    progress_finish(&bar, NULL);
    if (log_window(db, run, 1, step, w_loss, w_correct, w_seen, cfg->ft_lr, err) ||
        results_log_metric(db, run, "train_seconds", seconds, err) ||
        results_log_metric(db, run, "images", n_images, err) ||
        ch_log_robustness(db, run, m, cfg, test, twos, n_twos, (uint64_t)cli->seed, err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(db, run, rc, err);
    nn_optim_free(opt);
    nn_model_free(m);
    free(order);
    free(x);
    free(y);
    return rc;
}

int main(int argc, char **argv) {
    nn_cli cli;
    nn_err err = {{0}};
    int parsed = cli_parse(argc, argv,
                           "Trains the CNN of TensorFlow's Deep MNIST tutorial, turns test '2's "
                           "into '6's with targeted FGSM, PGD and Carlini-Wagner attacks, "
                           "draws the 10x3 grids (PNG, into --figures), tests transfer to a "
                           "second model and adversarial fine-tuning; logs all of it.",
                           stdout, &cli, &err);
    if (parsed) {
        if (parsed < 0) fprintf(stderr, "%s\n", err.msg);
        return parsed < 0 ? 2 : 0;
    }
    const profile_config *cfg = cli.smoke ? &SMOKE : &FULL;
    nn_images train = {0}, test = {0};
    nn_results *db = NULL;
    nn_model *a = NULL, *b = NULL;
    int *twos = NULL, n_twos = 0, count_twos = 0;
    int rc = 1;
    if (experiment_load_mnist(cli.data_dir, cfg->train_n, cfg->test_n, &train, &test, &err))
        goto out;
    if (!(db = results_open(cli.db, &err))) goto out;
    if (!(a = train_cnn(db, &cli, cfg, "cnn", cli.seed, cfg->epochs, &train, &test, &err)) ||
        !(b = train_cnn(db, &cli, cfg, "cnn-b", cli.seed + 1, cfg->epochs_b, &train, &test, &err)))
        goto out;
    if (ch_select_twos(a, &test, &twos, &n_twos, &count_twos, &err)) goto out;
    if (n_twos == 0) {
        nn_fail(&err, "the model classifies no test '2' correctly: nothing to attack");
        goto out;
    }
    if (cfg->attack_n && n_twos > cfg->attack_n) n_twos = cfg->attack_n;
    if (ch_run_attacks(db, &cli, cfg, a, b, &test, twos, n_twos, count_twos, &err) ||
        fine_tune(db, &cli, cfg, "finetune-clean", 0, a, &train, &test, twos, n_twos, &err) ||
        fine_tune(db, &cli, cfg, "finetune-adv", 1, a, &train, &test, twos, n_twos, &err))
        goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    free(twos);
    nn_model_free(a);
    nn_model_free(b);
    results_close(db);
    images_free(&train);
    images_free(&test);
    return rc;
}
