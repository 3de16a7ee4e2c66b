/* 02-shifted-mnist/experiment.c - an 8-layer MLP on MNIST, tested on four changed test sets.
 *
 * The model: dense 500, 500, 500, 200, 200, 100, 50 (ReLU after each) and dense 10, He
 * initialisation, softmax cross-entropy, Adam with a cosine schedule. The test set is changed
 * four ways (variants.h): t1 one fixed pixel permutation, t2 a permutation per image, t3
 * inverted intensities, t4 a random translation of up to 4 pixels. The program
 *
 *   1. builds the four variants of the test set from one seed (run "variants"), writes them
 *      and the clean set as .npy files next to the database, records each file with its
 *      SHA-256 in `artifacts`, stores a few sample digits under every variant in `samples`
 *      for the figure, and recovers t1's permutation from the test files (recover.h), as a
 *      user who has only those files would;
 *   2. trains the clean model for several seeds and evaluates it on all five test sets;
 *      without retraining it also tries the fixes that need none: permuting the first
 *      layer's weights (t1; with the true and with the recovered permutation), negating
 *      them (t3), recentring the images (t4);
 *   3. trains one model per fix, for as many seeds as the clean model: on t1-permuted
 *      images, on freshly permuted images (t2), on sorted intensities (t2: what is left), on
 *      clean and inverted images (t3), with random translations (t4); and the controls:
 *      small networks on the total ink alone and on the grey-level histogram alone (what a
 *      t2 image still tells), and a narrow convolutional network on clean and on
 *      t1-permuted images (what convolution buys on t4, and what t1 takes from it);
 *   4. trains one model for all variants (as many seeds again), told which variant each
 *      image is: a first layer per variant (the image goes into the input block of its
 *      variant, zeros elsewhere), the other seven layers shared; t2 and t4 images are first
 *      put into a canonical form (sorted, recentred), the two things a linear first layer
 *      cannot do for itself.
 *
 * Every model is evaluated on all five test sets and saved (model_io.h) next to the
 * database, the file recorded in `artifacts` with its SHA-256, so that --evaluate
 * (evaluate.c) can test any .npy pair on the trained models without training again.
 * Nothing is printed as a result: the report reads everything from the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "evaluate.h"
#include "lab/config_json.h"
#include "nn/model_io.h"
#include "nn/optim.h"
#include "shifted.h"
#include "variants.h"

#define PROBE_BATCH 64

typedef struct profile_config {
    int train_n, test_n; /* images used (the first n of each split; 0 = all) */
    int epochs;          /* clean model, every MLP fix and the feature controls */
    int seeds;           /* every model */
    int all_epochs;      /* the model for all variants */
    int cnn_epochs;      /* the convolutional networks (fewer: they cost twice the MLP) */
    int batch;
    float lr, final_lr; /* Adam, cosine from lr to final_lr */
} profile_config;

static const profile_config FULL = {0, 0, 8, 3, 12, 4, 128, 1e-3f, 1e-5f};
static const profile_config SMOKE = {2000, 500, 2, 2, 2, 2, 128, 1e-3f, 1e-5f};

/* Logs acc/<set> and loss/<set>. */
static int log_eval(nn_results *db, int64_t run, const char *set, const nn_eval *ev, nn_err *err) {
    char acc[256], loss[256];
    if (snprintf(acc, sizeof acc, "acc/%s", set) >= (int)sizeof acc ||
        snprintf(loss, sizeof loss, "loss/%s", set) >= (int)sizeof loss)
        return nn_fail(err, "metric name too long: %s", set);
    if (results_log_metric(db, run, acc, ev->accuracy, err)) return -1;
    return results_log_metric(db, run, loss, ev->loss, err);
}

/* Accuracy on the t4 test images by the size of their shift, max(|dy|, |dx|) = 0 .. 4, from
 * the classes predicted for them. */
static int log_accuracy_by_shift(const chapter *ch, nn_results *db, int64_t run, const char *prefix,
                                 const uint8_t *predicted, nn_err *err) {
    long right[MAX_SHIFT + 1] = {0}, total[MAX_SHIFT + 1] = {0};
    const nn_images *t4 = &ch->test[VARIANT_T4];
    for (int i = 0; i < t4->n; i++) {
        int dy = abs(ch->t4_shifts[2 * i]), dx = abs(ch->t4_shifts[2 * i + 1]);
        int r = dy > dx ? dy : dx;
        total[r]++;
        right[r] += predicted[i] == t4->labels[i];
    }
    for (int r = 0; r <= MAX_SHIFT; r++) {
        if (!total[r]) continue;
        char name[96];
        snprintf(name, sizeof name, "%s/shift=%d", prefix, r);
        if (results_log_metric(db, run, name, (double)right[r] / total[r], err)) return -1;
    }
    return 0;
}

/* The first layer rewritten so that it reads t1 images (x'[k] = x[perm[k]]) as it read clean
 * ones: W'[o][k] = W[o][perm[k]] gives W' x' = W x. saved holds the original weights. */
static void permute_first_layer(float *w, const float *saved, int units, const int *perm) {
    for (int o = 0; o < units; o++)
        for (int k = 0; k < PIXELS; k++)
            w[(size_t)o * PIXELS + k] = saved[(size_t)o * PIXELS + perm[k]];
}

/* Fixes that need no training. For the clean MLP: rewrite its first layer so that it reads
 * t1 (with the true permutation and with the one recovered from the test files) or t3
 * images as it read clean ones; the weights are restored afterwards. For the clean MLP and
 * the clean CNN: recentre the t4 images. */
static int log_no_training_fixes(const chapter *ch, nn_model *m, const model_spec *spec,
                                 int64_t run, scratch *s, uint8_t *predicted, nn_err *err) {
    nn_eval ev;
    if (spec->arch == ARCH_MLP8) {
        size_t wlen, blen;
        float *w = nn_layer_weights(m, 0, &wlen), *b = nn_layer_bias(m, 0, &blen);
        int units = (int)blen;
        float *saved = malloc(sizeof *saved * (wlen + blen));
        if (!saved) return nn_fail(err, "out of memory for a copy of the first layer");
        memcpy(saved, w, sizeof *w * wlen);
        memcpy(saved + wlen, b, sizeof *b * blen);
        int rc = -1;
        /* The t1 images not used to recover the permutation: the test of the recovered one
         * (set "t1-unseen"), with the true one on the same images for comparison. */
        const nn_images *t1 = &ch->test[VARIANT_T1];
        const int seen = recovery_n(t1->n);
        nn_images unseen = *t1;
        unseen.n = t1->n - seen;
        unseen.pixels += (size_t)seen * PIXELS;
        unseen.labels += seen;
        permute_first_layer(w, saved, units, ch->perm);
        if (evaluate_set(ch, m, spec, t1, VARIANT_T1, s, &ev, NULL, err) ||
            log_eval(ch->db, run, "t1/weights-permuted", &ev, err) ||
            (unseen.n > 0 && (evaluate_set(ch, m, spec, &unseen, VARIANT_T1, s, &ev, NULL, err) ||
                              log_eval(ch->db, run, "t1-unseen/weights-permuted", &ev, err))))
            goto restore;
        permute_first_layer(w, saved, units, ch->perm_recovered);
        if (unseen.n > 0 &&
            (evaluate_set(ch, m, spec, &unseen, VARIANT_T1, s, &ev, NULL, err) ||
             log_eval(ch->db, run, "t1-unseen/weights-permuted-recovered", &ev, err)))
            goto restore;
        /* t3: x' = 1 - x, so W' = -W and b' = b + W 1 give W' x' + b' = W x + b. */
        for (int o = 0; o < units; o++) {
            double row = 0;
            for (int k = 0; k < PIXELS; k++) {
                float v = saved[(size_t)o * PIXELS + k];
                w[(size_t)o * PIXELS + k] = -v;
                row += v;
            }
            b[o] = (float)(saved[wlen + o] + row);
        }
        if (evaluate_set(ch, m, spec, &ch->test[VARIANT_T3], VARIANT_T3, s, &ev, NULL, err) ||
            log_eval(ch->db, run, "t3/weights-negated", &ev, err))
            goto restore;
        rc = 0;
    restore:
        memcpy(w, saved, sizeof *w * wlen);
        memcpy(b, saved + wlen, sizeof *b * blen);
        free(saved);
        if (rc) return rc;
    }
    /* t4 (and, as a control, clean): recentre by the centre of mass. */
    model_spec recentred = *spec;
    recentred.stage = STAGE_RECENTRE;
    if (evaluate_set(ch, m, &recentred, &ch->test[VARIANT_T4], VARIANT_T4, s, &ev, predicted,
                     err) ||
        log_eval(ch->db, run, "t4/recentred", &ev, err) ||
        log_accuracy_by_shift(ch, ch->db, run, "acc/t4/recentred", predicted, err) ||
        evaluate_set(ch, m, &recentred, &ch->test[VARIANT_CLEAN], VARIANT_CLEAN, s, &ev, NULL,
                     err) ||
        log_eval(ch->db, run, "clean/recentred", &ev, err))
        return -1;
    return 0;
}

/* Logs NAME/<set> = value; NAME is a prefix such as "same_as_clean". */
static int log_set_metric(nn_results *db, int64_t run, const char *name, int variant, double value,
                          nn_err *err) {
    char full[96];
    snprintf(full, sizeof full, "%s/%s", name, variant_name(variant));
    return results_log_metric(db, run, full, value, err);
}

/* Evaluates a finished model on every test set and logs, per set: accuracy and loss; the
 * class it gives most often and the share of the images that get it (a model that has
 * collapsed to one answer shows there); and, for t1 .. t4, the share of the images that get
 * the same class as their clean originals (1 for a model that cannot see the change). */
static int log_final_evaluation(const chapter *ch, nn_model *m, const model_spec *spec, int64_t run,
                                scratch *s, uint8_t *predicted, nn_err *err) {
    const int n = ch->test[VARIANT_CLEAN].n;
    uint8_t *clean = predicted + (size_t)n; /* the caller gives room for two sets */
    for (int v = 0; v < VARIANT_COUNT; v++) {
        nn_eval ev;
        uint8_t *pred = v == VARIANT_CLEAN ? clean : predicted;
        if (evaluate_set(ch, m, spec, &ch->test[v], v, s, &ev, pred, err) ||
            log_eval(ch->db, run, variant_name(v), &ev, err))
            return -1;
        long count[CLASSES] = {0}, same = 0;
        for (int i = 0; i < n; i++) {
            count[pred[i]]++;
            same += pred[i] == clean[i];
        }
        int top = 0;
        for (int c = 1; c < CLASSES; c++)
            if (count[c] > count[top]) top = c;
        if (log_set_metric(ch->db, run, "top_class", v, top, err) ||
            log_set_metric(ch->db, run, "top_share", v, (double)count[top] / n, err) ||
            (v != VARIANT_CLEAN &&
             log_set_metric(ch->db, run, "same_as_clean", v, (double)same / n, err)))
            return -1;
        if (v == VARIANT_T4 && log_accuracy_by_shift(ch, ch->db, run, "acc/t4", pred, err))
            return -1;
    }
    return 0;
}

/* ---- training ----------------------------------------------------------------------------- */

/* What the after-epoch hook needs. */
typedef struct epoch_hook {
    const chapter *ch;
    const model_spec *spec;
    scratch *s;
    int64_t run;
} epoch_hook;

/* Per epoch: the clean test set (split 'test') and the variant(s) the model is meant for
 * ('test-t1', ...; every variant for the model for all). */
static int log_epoch_tests(void *ctx, nn_model *m, int epoch, long step, float lr, nn_err *err) {
    epoch_hook *h = ctx;
    char note[96] = "";
    for (int v = 0; v < VARIANT_COUNT; v++) {
        if (v != VARIANT_CLEAN && v != h->spec->target && h->spec->target >= 0) continue;
        nn_eval ev;
        char split[32];
        snprintf(split, sizeof split, v == VARIANT_CLEAN ? "test" : "test-%s", variant_name(v));
        if (evaluate_set(h->ch, m, h->spec, &h->ch->test[v], v, h->s, &ev, NULL, err) ||
            results_log_epoch(h->ch->db, h->run,
                              &(nn_epoch_row){epoch, (int)step, split, ev.loss, ev.accuracy, lr, 0},
                              err))
            return -1;
        if (v == VARIANT_CLEAN || v == h->spec->target)
            snprintf(note + strlen(note), sizeof note - strlen(note), " %s %.2f%%", variant_name(v),
                     100 * ev.accuracy);
    }
    fprintf(stderr, "  %s epoch %d:%s\n", h->spec->experiment, epoch, note);
    return 0;
}

/* Saves m as <experiment_files_dir>/<experiment>-seed<N>.nnm and records the file in `artifacts`. */
static int save_model(const chapter *ch, nn_model *m, const model_spec *spec, int64_t run,
                      int64_t seed, nn_err *err) {
    char dir[PATH_CAP], path[PATH_CAP + 64], hex[SHA256_HEX_SIZE];
    if (experiment_files_dir(ch->cli->db, CHAPTER, dir, sizeof dir, err)) return -1;
    if (snprintf(path, sizeof path, "%s/%s-seed%lld.nnm", dir, spec->experiment, (long long)seed) >=
        (int)sizeof path)
        return nn_fail(err, "%s: path too long", dir);
    if (nn_model_save(m, path, err) || sha256_file_hex(path, hex, err)) return -1;
    return results_log_artifact(ch->db, run, "model", path, hex, err);
}

static int train_one(chapter *ch, const model_spec *spec, int64_t seed, int epochs, nn_err *err) {
    const profile_config *cfg = ch->cfg;
    const nn_images *train = &ch->train;
    nn_json config;
    json_begin(&config);
    char layers[160];
    arch_json(spec->arch, layers, sizeof layers);
    json_str(&config, "model", arch_name(spec->arch));
    json_raw(&config, "network", layers);
    json_str(&config, "activation", "relu");
    json_str(&config, "init", "he_normal");
    json_int(&config, "input_blocks", spec->blocks);
    json_str(&config, "target", spec->target < 0 ? "all" : variant_name(spec->target));
    json_int(&config, "augmentation", (int)spec->aug);
    json_int(&config, "input_stage", (int)spec->stage);
    json_int(&config, "train_n", train->n);
    json_int(&config, "test_n", ch->test[0].n);
    json_int(&config, "epochs", epochs);
    json_int(&config, "batch", cfg->batch);
    json_str(&config, "optimizer", "adam");
    json_num(&config, "lr", cfg->lr);
    json_num(&config, "final_lr", cfg->final_lr);
    json_str(&config, "schedule", "cosine");
    json_int(&config, "max_shift", MAX_SHIFT);
    json_int(&config, "variants_seed", ch->cli->seed);
    json_raw(&config, "rng_streams", "{\"init\":1,\"order\":2,\"augment\":3}");
    /* What --evaluate needs to feed the saved model as it was trained. */
    json_num(&config, "centre_y", ch->centre_y);
    json_num(&config, "centre_x", ch->centre_x);
    int64_t run = results_begin_run(
        ch->db,
        &(nn_run_info){CHAPTER, spec->experiment, ch->cli->profile, json_end(&config), seed}, err);
    if (run < 0) return -1;

    nn_rng rng;
    rng_seed(&rng, (uint64_t)seed);
    nn_rng init_rng = rng_split(&rng, 1), order_rng = rng_split(&rng, 2),
           aug_rng = rng_split(&rng, 3);
    int batch = cfg->batch, in = input_size(spec);
    nn_model *m = build_model(spec, batch, &init_rng, err);
    nn_optim *opt = m ? nn_adam_new(m, nn_adam_defaults(), err) : NULL;
    scratch s;
    int test_n = ch->test[0].n;
    uint8_t *predicted = malloc(2 * (size_t)test_n); /* two sets' classes */
    float *probe_x = malloc(sizeof *probe_x * (size_t)PROBE_BATCH * in);
    uint8_t probe_y[PROBE_BATCH];
    int rc = -1;
    if (scratch_init(&s, spec, batch, train->n, err) || !opt) goto done;
    if (!predicted || !probe_x) {
        nn_fail(err, "out of memory for training buffers");
        goto done;
    }
    nn_set_input_grad(m, 0);
    /* The fixed probe batch: the first training images, clean (block 0). */
    int probe_n = train->n < PROBE_BATCH ? train->n : PROBE_BATCH;
    for (int k = 0; k < probe_n; k++) {
        stage_and_place(ch, spec, train->pixels + (size_t)k * PIXELS, VARIANT_CLEAN, s.a,
                        probe_x + (size_t)k * in);
        probe_y[k] = train->labels[k];
    }

    char label[96];
    snprintf(label, sizeof label, "%s seed %lld", spec->experiment, (long long)seed);
    shifted_source source = {ch, spec, &s, &order_rng, &aug_rng, batch, 0};
    epoch_hook hook = {ch, spec, &s, run};
    nn_train_config tc = train_defaults();
    tc.label = label;
    tc.epochs = epochs;
    tc.schedule = (nn_schedule){NN_SCHEDULE_COSINE, .lr = cfg->lr, .final_lr = cfg->final_lr};
    tc.probe_x = probe_x, tc.probe_y = probe_y, tc.probe_n = probe_n;
    tc.hook_ctx = &hook;
    tc.after_epoch = log_epoch_tests;
    if (train_classifier(ch->db, run, m, opt, shifted_batches(&source), &tc, NULL, err)) goto done;

    if (results_transaction_begin(ch->db, err) ||
        log_final_evaluation(ch, m, spec, run, &s, predicted, err) ||
        (spec->aug == AUG_NONE && spec->stage == STAGE_NONE &&
         log_no_training_fixes(ch, m, spec, run, &s, predicted, err)) ||
        save_model(ch, m, spec, run, seed, err) || results_transaction_commit(ch->db, err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(ch->db, run, rc, err);
    scratch_free(&s);
    free(predicted);
    free(probe_x);
    nn_optim_free(opt);
    nn_model_free(m);
    return rc;
}

/* ---- command line ------------------------------------------------------------------------ */

static const char DESCRIPTION[] =
    "Trains an 8-layer MLP (500-500-500-200-200-100-50-10, ReLU) on MNIST and tests it on four\n"
    "changed test sets: t1 one fixed pixel permutation, t2 a pixel permutation per image,\n"
    "t3 inverted intensities, t4 random translations of up to 4 pixels. Trains a fix for\n"
    "each and one model for all variants, and logs everything into the results database.\n"
    "The five test sets are written as .npy files (uint8 images n x 28 x 28, uint8 labels n)\n"
    "and every trained model as a .nnm file into the directory 02-shifted-mnist/ next to the\n"
    "database.\n"
    "\n"
    "Evaluating without training:\n"
    "  --evaluate IMAGES.npy LABELS.npy   (may be given up to 4 times)\n"
    "                   load the models a finished run of --profile saved next to --db (each\n"
    "                   checked against the SHA-256 recorded in the database) and print the\n"
    "                   accuracy of every model on every pair as a table; trains nothing.\n"
    "                   Images n x 28 x 28, uint8 0-255 or float32 in [0, 1]; labels uint8.\n"
    "  --log            also record the results in the database (run 'evaluate'); without\n"
    "                   it --evaluate writes nothing there.";

int main(int argc, char **argv) {
    chapter ch = {0};
    evaluate_request req = {0};
    nn_cli cli;
    nn_err err = {{0}};
    if (evaluate_take_options(&argc, argv, &req, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    int exit_code = cli_start(argc, argv, DESCRIPTION, stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    if (req.count) {
        int rc = evaluate_saved_models(&cli, &req, stdout, &err);
        if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
        return rc ? 1 : 0;
    }
    if (req.log) {
        fprintf(stderr, "%s: --log goes with --evaluate\n", argv[0]);
        return 2;
    }
    const profile_config *cfg = cli.smoke ? &SMOKE : &FULL;
    ch.cfg = cfg;
    ch.cli = &cli;
    nn_mnist_inputs in;
    int rc = 1;
    if (experiment_open(&cli, cfg->train_n, cfg->test_n, &in, &err)) goto out;
    /* The chapter keeps the data (its clean test set is variant 0); in keeps the database. */
    ch.db = in.db;
    ch.train = in.train;
    ch.test[VARIANT_CLEAN] = in.test;
    memset(&in.train, 0, sizeof in.train);
    memset(&in.test, 0, sizeof in.test);
    if (make_variants(&ch, &err)) goto out;
    for (int k = 0; k < MODEL_SPEC_COUNT; k++) {
        const model_spec *spec = &MODEL_SPECS[k];
        int epochs = spec->blocks > 1         ? cfg->all_epochs
                     : spec->arch == ARCH_CNN ? cfg->cnn_epochs
                                              : cfg->epochs;
        for (int s = 0; s < cfg->seeds; s++)
            if (train_one(&ch, spec, cli.seed + s, epochs, &err)) goto out;
    }
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    experiment_close(&in);
    images_free(&ch.train);
    for (int v = 0; v < VARIANT_COUNT; v++)
        images_free(&ch.test[v]);
    free(ch.t4_shifts);
    return rc;
}
