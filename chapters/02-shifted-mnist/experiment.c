/* 02-shifted-mnist/experiment.c - an 8-layer MLP on MNIST, tested on four changed test sets.
 *
 * The model: dense 500, 500, 500, 200, 200, 100, 50 (ReLU after each) and dense 10, He
 * initialisation, softmax cross-entropy, Adam with a cosine schedule. The test set is changed
 * four ways (src/mnist_variants.h): t1 one fixed pixel permutation, t2 a permutation per
 * image, t3 inverted intensities, t4 a random translation of up to 4 pixels. The program
 *
 *   1. builds the four variants of the test set from one seed (run "variants"), writes them
 *      and the clean set as .npy files next to the database, records each file with its
 *      SHA-256 in `artifacts`, and stores a few sample digits under every variant in
 *      `samples` for the figure;
 *   2. trains the clean model for several seeds and evaluates it on all five test sets;
 *      without retraining it also tries the fixes that need none: permuting the first
 *      layer's weights (t1), negating them (t3), recentring the images (t4);
 *   3. trains one model per fix: on t1-permuted images, on freshly permuted images (t2), on
 *      sorted intensities (t2: what is left), on clean and inverted images (t3), with random
 *      translations (t4);
 *   4. trains one model for all variants, told which variant each image is: a first layer
 *      per variant (the image goes into the input block of its variant, zeros elsewhere),
 *      the other seven layers shared; t2 and t4 images are first put into a canonical form
 *      (sorted, recentred), the two things a linear first layer cannot do for itself.
 *
 * Every model is evaluated on all five test sets, and on any .npy pair given with
 * --evaluate (those results are also printed). Nothing else is printed as a result: the
 * report reads everything from the database. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/sha256.h"
#include "data/mnist_variants.h"
#include "db/results.h"
#include "db/results_samples.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/train.h"
#include "nn/metrics.h"
#include "nn/model.h"
#include "nn/optim.h"

#define CHAPTER "02-shifted-mnist"
#define SIDE 28
#define PIXELS (SIDE * SIDE)
#define CLASSES 10
#define MAX_SHIFT 4
#define SAMPLE_DIGITS 6
#define PROBE_BATCH 64
#define MAX_EXTRA 4
#define PATH_CAP 4096

static const int HIDDEN[] = {500, 500, 500, 200, 200, 100, 50};
#define N_HIDDEN ((int)(sizeof HIDDEN / sizeof HIDDEN[0]))

typedef struct profile_config {
    int train_n, test_n; /* images used (the first n of each split; 0 = all) */
    int epochs;          /* clean model and every fix */
    int seeds;           /* clean model */
    int fix_seeds;       /* each fix */
    int all_epochs;      /* the model for all variants */
    int batch;
    float lr, final_lr; /* Adam, cosine from lr to final_lr */
} profile_config;

static const profile_config FULL = {0, 0, 8, 3, 1, 12, 128, 1e-3f, 1e-5f};
static const profile_config SMOKE = {2000, 500, 2, 2, 1, 2, 128, 1e-3f, 1e-5f};

/* How training images are changed, freshly for every image in every epoch. */
typedef enum augmentation {
    AUG_NONE,
    AUG_T1,      /* the fixed permutation of t1 */
    AUG_T2,      /* a fresh random permutation */
    AUG_T3_HALF, /* inverted with probability 1/2 */
    AUG_T4,      /* a random translation */
    AUG_ALL,     /* a random variant (uniform over the five) */
} augmentation;

/* A parameter-free stage in front of the first layer, for training and testing alike. */
typedef enum input_stage {
    STAGE_NONE,
    STAGE_SORT,        /* intensities in decreasing order */
    STAGE_RECENTRE,    /* centre of mass moved to the training set's mean centre */
    STAGE_PER_VARIANT, /* t2: sort, t4: recentre, others: none (the all-variants model) */
} input_stage;

typedef struct model_spec {
    const char *experiment;
    int target; /* the variant it is meant for; -1: all */
    augmentation aug;
    input_stage stage;
    int blocks; /* 1, or VARIANT_COUNT: one input block (first-layer block) per variant */
} model_spec;

static const model_spec CLEAN_MODEL = {"clean", VARIANT_CLEAN, AUG_NONE, STAGE_NONE, 1};
static const model_spec FIXES[] = {
    {"fix-t1", VARIANT_T1, AUG_T1, STAGE_NONE, 1},
    {"fix-t2-permuted", VARIANT_T2, AUG_T2, STAGE_NONE, 1},
    {"fix-t2-sorted", VARIANT_T2, AUG_NONE, STAGE_SORT, 1},
    {"fix-t3", VARIANT_T3, AUG_T3_HALF, STAGE_NONE, 1},
    {"fix-t4", VARIANT_T4, AUG_T4, STAGE_NONE, 1},
};
static const model_spec ALL_MODEL = {"all-variants", -1, AUG_ALL, STAGE_PER_VARIANT,
                                     VARIANT_COUNT};

/* An image set given with --evaluate. */
typedef struct extra_set {
    const char *images_path, *labels_path;
    char name[128]; /* the images file's base name */
    nn_images set;
} extra_set;

/* Everything the experiments share: data, variants and the buffers of one training run. */
typedef struct chapter {
    const profile_config *cfg;
    const nn_cli *cli;
    nn_results *db;
    nn_images train;
    nn_images test[VARIANT_COUNT]; /* clean, t1, t2, t3, t4 */
    int perm[PIXELS];              /* t1's permutation */
    int *t4_shifts;                /* (dy, dx) of each t4 test image */
    double centre_y, centre_x;     /* recentring target: mean centre of mass of training */
    extra_set extra[MAX_EXTRA];
    int extra_count;
} chapter;

/* Scratch for preparing inputs: allocated once per run, so training allocates nothing. */
typedef struct scratch {
    uint8_t a[PIXELS], b[PIXELS];
    int perm[PIXELS];
    float *x;   /* batch x input size */
    uint8_t *y; /* batch */
    int *order; /* training order */
} scratch;

/* ---- inputs ------------------------------------------------------------------------------ */

/* Applies the training-time change of spec to one clean image: dst receives the image and
 * *variant which variant it now is. */
static void augment(const chapter *ch, const model_spec *spec, const uint8_t *src, uint8_t *dst,
                    int *perm_scratch, nn_rng *rng, int *variant) {
    int v;
    switch (spec->aug) {
    case AUG_T1: v = VARIANT_T1; break;
    case AUG_T2: v = VARIANT_T2; break;
    case AUG_T3_HALF: v = rng_below(rng, 2) ? VARIANT_T3 : VARIANT_CLEAN; break;
    case AUG_T4: v = VARIANT_T4; break;
    case AUG_ALL: v = (int)rng_below(rng, VARIANT_COUNT); break;
    default: v = VARIANT_CLEAN; break;
    }
    int dy, dx;
    switch (v) {
    case VARIANT_T1: variant_permute(dst, src, ch->perm, PIXELS); break;
    case VARIANT_T2:
        variant_random_permutation(perm_scratch, PIXELS, rng);
        variant_permute(dst, src, perm_scratch, PIXELS);
        break;
    case VARIANT_T3: variant_invert(dst, src, PIXELS); break;
    case VARIANT_T4:
        variant_random_shift(rng, MAX_SHIFT, &dy, &dx);
        variant_shift(dst, src, SIDE, SIDE, dy, dx);
        break;
    default: memcpy(dst, src, PIXELS); break;
    }
    *variant = v;
}

/* The model's input stage on an image of the given variant, then the image as floats in
 * [0, 1] into x: the whole input for a one-block model, else the block of its variant with
 * zeros in the others. tmp is scratch (PIXELS bytes, not overlapping src). */
static void stage_and_place(const chapter *ch, const model_spec *spec, const uint8_t *src,
                            int variant, uint8_t *tmp, float *x) {
    input_stage stage = spec->stage;
    if (stage == STAGE_PER_VARIANT)
        stage = variant == VARIANT_T2 ? STAGE_SORT
                : variant == VARIANT_T4 ? STAGE_RECENTRE
                                        : STAGE_NONE;
    const uint8_t *img = src;
    if (stage == STAGE_SORT) variant_sort(tmp, src, PIXELS), img = tmp;
    if (stage == STAGE_RECENTRE)
        variant_recentre(tmp, src, SIDE, SIDE, ch->centre_y, ch->centre_x), img = tmp;
    if (spec->blocks > 1) {
        memset(x, 0, sizeof *x * (size_t)spec->blocks * PIXELS);
        x += (size_t)variant * PIXELS;
    }
    for (int k = 0; k < PIXELS; k++) x[k] = img[k] / 255.0f;
}

static int input_size(const model_spec *spec) {
    return spec->blocks * PIXELS;
}

/* ---- model -------------------------------------------------------------------------------- */

static nn_model *build_model(const model_spec *spec, int batch, nn_rng *rng, nn_err *err) {
    nn_model *m = nn_model_new(input_size(spec), 1, 1, err);
    if (!m) return NULL;
    for (int k = 0; k < N_HIDDEN; k++) {
        nn_add_dense(m, HIDDEN[k]);
        nn_add_activation(m, NN_RELU);
    }
    nn_add_dense(m, CLASSES);
    if (nn_model_build(m, batch, err)) {
        nn_model_free(m);
        return NULL;
    }
    nn_model_init(m, NN_INIT_HE_NORMAL, rng);
    return m;
}

/* Accuracy and loss of m on a set whose images are of `variant`, through spec's input stage
 * (a model with one block per variant reads them through the block of `variant`).
 * If correct is not NULL, correct[i] = 1 where image i was classified right. */
static int evaluate_set(const chapter *ch, nn_model *m, const model_spec *spec,
                        const nn_images *set, int variant, scratch *s, nn_eval *out,
                        uint8_t *correct, nn_err *err) {
    int batch = nn_max_batch(m), in = input_size(spec);
    double loss_sum = 0;
    long right = 0;
    for (int first = 0; first < set->n; first += batch) {
        int n = set->n - first < batch ? set->n - first : batch;
        for (int k = 0; k < n; k++) {
            stage_and_place(ch, spec, set->pixels + (size_t)(first + k) * PIXELS, variant, s->a,
                            s->x + (size_t)k * in);
            s->y[k] = set->labels[first + k];
        }
        const float *logits = nn_forward(m, s->x, n, 0);
        if (!logits) return nn_fail(err, "evaluate: the model refused a batch of %d", n);
        loss_sum += (double)softmax_xent(logits, s->y, n, CLASSES, NULL) * n;
        for (int k = 0; k < n; k++) {
            int ok = nn_argmax(logits + (size_t)k * CLASSES, CLASSES) == s->y[k];
            right += ok;
            if (correct) correct[first + k] = (uint8_t)ok;
        }
    }
    out->count = set->n;
    out->loss = set->n ? loss_sum / set->n : 0;
    out->accuracy = set->n ? (double)right / set->n : 0;
    return 0;
}

/* Logs acc/<set> and loss/<set>. */
static int log_eval(nn_results *db, int64_t run, const char *set, const nn_eval *ev,
                    nn_err *err) {
    char acc[256], loss[256];
    if (snprintf(acc, sizeof acc, "acc/%s", set) >= (int)sizeof acc ||
        snprintf(loss, sizeof loss, "loss/%s", set) >= (int)sizeof loss)
        return nn_fail(err, "metric name too long: %s", set);
    if (results_log_metric(db, run, acc, ev->accuracy, err)) return -1;
    return results_log_metric(db, run, loss, ev->loss, err);
}

/* Accuracy on the t4 test images by the size of their shift, max(|dy|, |dx|) = 0 .. 4. */
static int log_accuracy_by_shift(const chapter *ch, nn_results *db, int64_t run,
                                 const char *prefix, const uint8_t *correct, nn_err *err) {
    long right[MAX_SHIFT + 1] = {0}, total[MAX_SHIFT + 1] = {0};
    for (int i = 0; i < ch->test[VARIANT_T4].n; i++) {
        int dy = abs(ch->t4_shifts[2 * i]), dx = abs(ch->t4_shifts[2 * i + 1]);
        int r = dy > dx ? dy : dx;
        total[r]++;
        right[r] += correct[i];
    }
    for (int r = 0; r <= MAX_SHIFT; r++) {
        if (!total[r]) continue;
        char name[96];
        snprintf(name, sizeof name, "%s/shift=%d", prefix, r);
        if (results_log_metric(db, run, name, (double)right[r] / total[r], err)) return -1;
    }
    return 0;
}

/* Fixes of the clean model that need no training: rewrite its first layer so that it reads
 * t1 or t3 images as it read clean ones, and recentre t4 images. The weights are restored. */
static int log_no_training_fixes(const chapter *ch, nn_model *m, const model_spec *spec,
                                 int64_t run, scratch *s, uint8_t *correct, nn_err *err) {
    size_t wlen, blen;
    float *w = nn_layer_weights(m, 0, &wlen), *b = nn_layer_bias(m, 0, &blen);
    int units = (int)blen;
    float *saved = malloc(sizeof *saved * (wlen + blen));
    if (!saved) return nn_fail(err, "out of memory for a copy of the first layer");
    memcpy(saved, w, sizeof *w * wlen);
    memcpy(saved + wlen, b, sizeof *b * blen);
    nn_eval ev;
    int rc = -1;
    /* t1: x'[k] = x[perm[k]], so W'[o][k] = W[o][perm[k]] gives W' x' = W x. */
    for (int o = 0; o < units; o++)
        for (int k = 0; k < PIXELS; k++)
            w[(size_t)o * PIXELS + k] = saved[(size_t)o * PIXELS + ch->perm[k]];
    if (evaluate_set(ch, m, spec, &ch->test[VARIANT_T1], VARIANT_T1, s, &ev, NULL, err) ||
        log_eval(ch->db, run, "t1/weights-permuted", &ev, err))
        goto done;
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
        goto done;
    memcpy(w, saved, sizeof *w * wlen);
    memcpy(b, saved + wlen, sizeof *b * blen);
    /* t4 (and, as a control, clean): recentre by the centre of mass. */
    model_spec recentred = *spec;
    recentred.stage = STAGE_RECENTRE;
    if (evaluate_set(ch, m, &recentred, &ch->test[VARIANT_T4], VARIANT_T4, s, &ev, correct, err) ||
        log_eval(ch->db, run, "t4/recentred", &ev, err) ||
        log_accuracy_by_shift(ch, ch->db, run, "acc/t4/recentred", correct, err) ||
        evaluate_set(ch, m, &recentred, &ch->test[VARIANT_CLEAN], VARIANT_CLEAN, s, &ev, NULL,
                     err) ||
        log_eval(ch->db, run, "clean/recentred", &ev, err))
        goto done;
    rc = 0;
done:
    memcpy(w, saved, sizeof *w * wlen);
    memcpy(b, saved + wlen, sizeof *b * blen);
    free(saved);
    return rc;
}

/* Evaluates a finished model on every test set (and the --evaluate sets) and logs it. */
static int log_final_evaluation(const chapter *ch, nn_model *m, const model_spec *spec,
                                int64_t run, int64_t seed, scratch *s, uint8_t *correct,
                                nn_err *err) {
    for (int v = 0; v < VARIANT_COUNT; v++) {
        nn_eval ev;
        if (evaluate_set(ch, m, spec, &ch->test[v], v, s, &ev, v == VARIANT_T4 ? correct : NULL,
                         err) ||
            log_eval(ch->db, run, variant_name(v), &ev, err))
            return -1;
        if (v == VARIANT_T4 && log_accuracy_by_shift(ch, ch->db, run, "acc/t4", correct, err))
            return -1;
    }
    /* User-given sets: their variant is unknown, so a model with one block per variant is
     * evaluated through each block in turn. */
    for (int e = 0; e < ch->extra_count; e++)
        for (int v = 0; v < spec->blocks; v++) {
            nn_eval ev;
            char name[192];
            if (spec->blocks > 1)
                snprintf(name, sizeof name, "extra/%s/as-%s", ch->extra[e].name, variant_name(v));
            else snprintf(name, sizeof name, "extra/%s", ch->extra[e].name);
            if (evaluate_set(ch, m, spec, &ch->extra[e].set, v, s, &ev, NULL, err) ||
                log_eval(ch->db, run, name, &ev, err))
                return -1;
            printf("%-16s seed %-3lld %-40s accuracy %6.2f%%  loss %.4f  (%ld images)\n",
                   spec->experiment, (long long)seed, name, 100 * ev.accuracy, ev.loss, ev.count);
        }
    return 0;
}

/* ---- training ----------------------------------------------------------------------------- */

/* The training images of one model: the clean set in a fresh order every epoch (the order
 * is shuffled in place, epoch after epoch), each image changed as spec trains (a fresh
 * draw per image and epoch) and put through its input stage. */
typedef struct shifted_source {
    const chapter *ch;
    const model_spec *spec;
    scratch *s;
    nn_rng *order, *aug;
    int batch, first;
} shifted_source;

static void source_begin_epoch(void *ctx, int epoch) {
    (void)epoch;
    shifted_source *src = ctx;
    rng_shuffle(src->order, src->s->order, (size_t)src->ch->train.n);
    src->first = 0;
}

static int source_next(void *ctx, const float **x, const uint8_t **y, nn_err *err) {
    (void)err;
    shifted_source *src = ctx;
    const nn_images *train = &src->ch->train;
    scratch *s = src->s;
    int n = train->n - src->first < src->batch ? train->n - src->first : src->batch;
    if (n <= 0) return 0;
    int in = input_size(src->spec);
    for (int k = 0; k < n; k++) {
        int i = s->order[src->first + k], v;
        augment(src->ch, src->spec, train->pixels + (size_t)i * PIXELS, s->b, s->perm, src->aug,
                &v);
        stage_and_place(src->ch, src->spec, s->b, v, s->a, s->x + (size_t)k * in);
        s->y[k] = train->labels[i];
    }
    src->first += n;
    *x = s->x, *y = s->y;
    return n;
}

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

static int train_one(chapter *ch, const model_spec *spec, int64_t seed, int epochs, nn_err *err) {
    const profile_config *cfg = ch->cfg;
    const nn_images *train = &ch->train;
    nn_json config;
    json_begin(&config);
    json_str(&config, "model", "mlp-8");
    json_raw(&config, "hidden", "[500,500,500,200,200,100,50]");
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
    scratch s = {0};
    s.x = malloc(sizeof *s.x * (size_t)batch * in);
    s.y = malloc((size_t)batch);
    s.order = malloc(sizeof *s.order * (size_t)train->n);
    int test_n = ch->test[0].n;
    uint8_t *correct = malloc((size_t)test_n);
    float *probe_x = malloc(sizeof *probe_x * (size_t)PROBE_BATCH * in);
    uint8_t probe_y[PROBE_BATCH];
    int rc = -1;
    if (!opt) goto done;
    if (!s.x || !s.y || !s.order || !correct || !probe_x) {
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
    for (int i = 0; i < train->n; i++)
        s.order[i] = i;

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
    nn_batch_source src = {.ctx = &source,
                           .samples_per_epoch = train->n,
                           .steps_per_epoch = (train->n + batch - 1) / batch,
                           .begin_epoch = source_begin_epoch,
                           .next = source_next};
    if (train_classifier(ch->db, run, m, opt, src, &tc, NULL, err)) goto done;

    if (results_transaction_begin(ch->db, err) ||
        log_final_evaluation(ch, m, spec, run, seed, &s, correct, err) ||
        (spec == &CLEAN_MODEL && log_no_training_fixes(ch, m, spec, run, &s, correct, err)) ||
        results_transaction_commit(ch->db, err))
        goto done;
    rc = 0;
done:
    rc = experiment_end_run(ch->db, run, rc, err);
    free(s.x);
    free(s.y);
    free(s.order);
    free(correct);
    free(probe_x);
    nn_optim_free(opt);
    nn_model_free(m);
    return rc;
}

/* ---- the variants ------------------------------------------------------------------------ */

/* dir = <directory of the database>/02-shifted-mnist, created if missing. */
static int npy_dir(const char *db_path, char *dir, size_t cap, nn_err *err) {
    char copy[PATH_CAP];
    snprintf(copy, sizeof copy, "%s", db_path);
    int n = snprintf(dir, cap, "%s/%s", dirname(copy), CHAPTER);
    if (n < 0 || (size_t)n >= cap) return nn_fail(err, "%s: path too long", db_path);
    if (mkdir(dir, 0777) && errno != EEXIST)
        return nn_fail(err, "%s: cannot create: %s", dir, strerror(errno));
    return 0;
}

static int write_set(nn_results *db, int64_t run, const char *dir, const char *name,
                     const nn_images *set, nn_err *err) {
    char images[PATH_CAP], labels[PATH_CAP];
    if (snprintf(images, sizeof images, "%s/%s_images.npy", dir, name) >= (int)sizeof images ||
        snprintf(labels, sizeof labels, "%s/%s_labels.npy", dir, name) >= (int)sizeof labels)
        return nn_fail(err, "%s: path too long", dir);
    if (variants_write_npy(set, images, labels, err)) return -1;
    const char *paths[2] = {images, labels};
    for (int k = 0; k < 2; k++) {
        char hex[SHA256_HEX_SIZE];
        if (sha256_file_hex(paths[k], hex, err) ||
            results_log_artifact(db, run, "npy", paths[k], hex, err))
            return -1;
    }
    return 0;
}

/* Builds t1..t4 from the clean test set, writes all five as .npy, logs samples and facts. */
static int make_variants(chapter *ch, nn_err *err) {
    const nn_images *clean = &ch->test[VARIANT_CLEAN];
    char dir[PATH_CAP], config[PATH_CAP + 256];
    if (npy_dir(ch->cli->db, dir, sizeof dir, err)) return -1;
    if (strchr(dir, '"') || strchr(dir, '\\'))
        return nn_fail(err, "%s: a directory name with quotes or backslashes is not supported",
                       dir);
    (void)snprintf(config, sizeof config,
             "{\"test_n\":%d,\"max_shift\":%d,\"npy_dir\":\"%s\",\"rng_streams\":{\"t1\":1,"
             "\"t2\":2,\"t4\":4},\"samples\":%d}",
             clean->n, MAX_SHIFT, dir, SAMPLE_DIGITS);
    int64_t run = results_begin_run(
        ch->db, &(nn_run_info){CHAPTER, "variants", ch->cli->profile, config, ch->cli->seed},
        err);
    if (run < 0) return -1;
    nn_rng root;
    rng_seed(&root, (uint64_t)ch->cli->seed);
    nn_rng r1 = rng_split(&root, 1), r2 = rng_split(&root, 2), r4 = rng_split(&root, 4);
    int rc = -1;
    nn_images sorted = {0}, recentred = {0};
    variant_random_permutation(ch->perm, PIXELS, &r1);
    ch->t4_shifts = malloc(sizeof *ch->t4_shifts * 2 * (size_t)clean->n);
    if (!ch->t4_shifts) {
        nn_fail(err, "out of memory for the shifts");
        goto done;
    }
    if (variants_permute_fixed(clean, ch->perm, &ch->test[VARIANT_T1], err) ||
        variants_permute_each(clean, &r2, &ch->test[VARIANT_T2], NULL, err) ||
        variants_invert(clean, &ch->test[VARIANT_T3], err) ||
        variants_shift(clean, MAX_SHIFT, &r4, &ch->test[VARIANT_T4], ch->t4_shifts, err) ||
        variants_mean_centre(&ch->train, &ch->centre_y, &ch->centre_x, err) ||
        variants_sort(&ch->test[VARIANT_T2], &sorted, err) ||
        variants_recentre(&ch->test[VARIANT_T4], ch->centre_y, ch->centre_x, &recentred, err))
        goto done;

    if (results_transaction_begin(ch->db, err)) goto done;
    for (int v = 0; v < VARIANT_COUNT; v++)
        if (write_set(ch->db, run, dir, variant_name(v), &ch->test[v], err)) goto rollback;
    /* The same first digits under every variant, and the two canonical forms. */
    const nn_images *shown[] = {&ch->test[0], &ch->test[1], &ch->test[2], &ch->test[3],
                                &ch->test[4], &sorted,      &recentred};
    const char *names[] = {"clean", "t1", "t2", "t3", "t4", "t2-sorted", "t4-recentred"};
    int shown_n = clean->n < SAMPLE_DIGITS ? clean->n : SAMPLE_DIGITS;
    for (int k = 0; k < 7; k++)
        for (int i = 0; i < shown_n; i++)
            if (results_log_sample_image(ch->db, run, names[k], i, shown[k]->labels[i], SIDE, SIDE,
                                         shown[k]->pixels + (size_t)i * PIXELS, err))
                goto rollback;
    /* Facts about the variants: ink per set, t4 images that lost ink, shift sizes. */
    long clipped = 0, by_radius[MAX_SHIFT + 1] = {0};
    for (int i = 0; i < clean->n; i++) {
        if (variant_mass(ch->test[VARIANT_T4].pixels + (size_t)i * PIXELS, PIXELS) !=
            variant_mass(clean->pixels + (size_t)i * PIXELS, PIXELS))
            clipped++;
        int dy = abs(ch->t4_shifts[2 * i]), dx = abs(ch->t4_shifts[2 * i + 1]);
        by_radius[dy > dx ? dy : dx]++;
    }
    if (results_log_metric(ch->db, run, "t4_clipped_fraction", (double)clipped / clean->n, err) ||
        results_log_metric(ch->db, run, "centre_y", ch->centre_y, err) ||
        results_log_metric(ch->db, run, "centre_x", ch->centre_x, err) ||
        results_log_metric(ch->db, run, "test_n", clean->n, err))
        goto rollback;
    for (int r = 0; r <= MAX_SHIFT; r++) {
        char name[48];
        snprintf(name, sizeof name, "t4_count/shift=%d", r);
        if (results_log_metric(ch->db, run, name, (double)by_radius[r], err)) goto rollback;
    }
    for (int v = 0; v < VARIANT_COUNT; v++) {
        double ink = 0;
        for (int i = 0; i < clean->n; i++)
            ink += variant_mass(ch->test[v].pixels + (size_t)i * PIXELS, PIXELS) / 255.0;
        char name[48];
        snprintf(name, sizeof name, "mean_ink/%s", variant_name(v));
        if (results_log_metric(ch->db, run, name, ink / clean->n, err)) goto rollback;
    }
    if (results_transaction_commit(ch->db, err)) goto done;
    rc = 0;
    goto done;
rollback: {
    nn_err ignored;
    results_transaction_commit(ch->db, &ignored);
}
done:
    images_free(&sorted);
    images_free(&recentred);
    return experiment_end_run(ch->db, run, rc, err);
}

/* ---- command line ------------------------------------------------------------------------ */

static const char DESCRIPTION[] =
    "Trains an 8-layer MLP (500-500-500-200-200-100-50-10, ReLU) on MNIST and tests it on four\n"
    "changed test sets: t1 one fixed pixel permutation, t2 a pixel permutation per image,\n"
    "t3 inverted intensities, t4 random translations of up to 4 pixels. Trains a fix for\n"
    "each and one model for all variants, and logs everything into the results database.\n"
    "The five test sets are written as .npy files (uint8 images n x 28 x 28, uint8 labels n)\n"
    "into the directory 02-shifted-mnist/ next to the database.\n"
    "\n"
    "Extra option (may be given up to 4 times):\n"
    "  --evaluate IMAGES.npy LABELS.npy\n"
    "                   also evaluate every model this run trains on that pair (images n x 28\n"
    "                   x 28, uint8 0-255 or float32 in [0, 1]; labels uint8); the results go\n"
    "                   into the database (metrics acc/extra/NAME) and to standard output.\n"
    "                   Models are trained afresh (--profile smoke: seconds, weak models;\n"
    "                   full: the report's models).";

/* Takes the --evaluate pairs out of argv (so cli_parse sees only the shared options). */
static int take_extra_options(int *argc, char **argv, chapter *ch, nn_err *err) {
    int out = 1;
    for (int k = 1; k < *argc; k++) {
        if (strcmp(argv[k], "--evaluate")) {
            argv[out++] = argv[k];
            continue;
        }
        if (k + 2 >= *argc)
            return nn_fail(err, "%s: --evaluate needs two files, IMAGES.npy LABELS.npy", argv[0]);
        if (ch->extra_count == MAX_EXTRA)
            return nn_fail(err, "%s: at most %d --evaluate pairs", argv[0], MAX_EXTRA);
        extra_set *e = &ch->extra[ch->extra_count++];
        e->images_path = argv[k + 1];
        e->labels_path = argv[k + 2];
        char copy[PATH_CAP];
        snprintf(copy, sizeof copy, "%s", e->images_path);
        snprintf(e->name, sizeof e->name, "%s", basename(copy));
        k += 2;
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

int main(int argc, char **argv) {
    chapter ch = {0};
    nn_cli cli;
    nn_err err = {{0}};
    if (take_extra_options(&argc, argv, &ch, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    int exit_code = cli_start(argc, argv, DESCRIPTION, stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    ch.cfg = cli.smoke ? &SMOKE : &FULL;
    ch.cli = &cli;
    int rc = 1;
    for (int e = 0; e < ch.extra_count; e++)
        if (variants_read_npy(ch.extra[e].images_path, ch.extra[e].labels_path, SIDE, SIDE,
                              CLASSES, &ch.extra[e].set, &err))
            goto out;
    if (experiment_load_mnist(cli.data_dir, ch.cfg->train_n, ch.cfg->test_n, &ch.train,
                              &ch.test[VARIANT_CLEAN], &err))
        goto out;
    if (!(ch.db = results_open(cli.db, &err))) goto out;
    if (make_variants(&ch, &err)) goto out;
    for (int s = 0; s < ch.cfg->seeds; s++)
        if (train_one(&ch, &CLEAN_MODEL, cli.seed + s, ch.cfg->epochs, &err)) goto out;
    for (size_t k = 0; k < sizeof FIXES / sizeof FIXES[0]; k++)
        for (int s = 0; s < ch.cfg->fix_seeds; s++)
            if (train_one(&ch, &FIXES[k], cli.seed + s, ch.cfg->epochs, &err)) goto out;
    for (int s = 0; s < ch.cfg->fix_seeds; s++)
        if (train_one(&ch, &ALL_MODEL, cli.seed + s, ch.cfg->all_epochs, &err)) goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    results_close(ch.db);
    images_free(&ch.train);
    for (int v = 0; v < VARIANT_COUNT; v++) images_free(&ch.test[v]);
    for (int e = 0; e < ch.extra_count; e++) images_free(&ch.extra[e].set);
    free(ch.t4_shifts);
    return rc;
}
