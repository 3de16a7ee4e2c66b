/* 06-emotion/experiment.c - chapter 06: facial emotion recognition on FER2013.
 *
 * Runs (chapter 06-emotion), in this order:
 *   data       faces per class and split (metrics n_<split>_<class>, split = train, public,
 *              private) and a grid of Training faces per class (06-emotion-samples.png);
 *   narrow-*   four short runs of a narrow network that change one thing at a time:
 *              augmentation, oversampling of the rare classes, the learning-rate schedule;
 *   final      the chosen network and recipe, trained longest: the chapter's model.
 * Every training run is described in train_fer.h. For the final model also:
 *   - the model as a Keras-layout .h5 file (<dir of --db>/06-emotion/emotion.h5, artifact
 *     'model'), read back with nn_model_read_h5 and run on PrivateTest again (metrics
 *     h5_same_predictions: the fraction of faces with the same prediction, h5_max_prob_diff);
 *   - the classifier's latency on one core (timings 'classify', ms per face, batch 1 or 2
 *     with flip averaging) over the first PrivateTest faces;
 *   - a 7x7 grid of PrivateTest faces, row = true emotion, column = predicted, each cell the
 *     first such face (06-emotion-confusions.png).
 * The live program's run on a clip of PrivateTest faces is emotion-clip's (main-emotion-clip.c),
 * a later step of the chapter's pipeline (build.mk). */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "base/sha256.h"
#include "chapter.h"
#include "classify.h"
#include "data/fer2013.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "lab/figure_png.h"
#include "nn/model_h5.h"
#include "train_fer.h"

#include <cblas.h>

#define SAMPLE_COLS 10

typedef struct profile_config {
    int train_n, test_n; /* faces used: the first n of Training, of each test split (0: all) */
    int latency_faces;   /* faces timed for the classifier's latency */
    const ch06_run *runs;
    int n_runs;
} profile_config;

/* The final network: four blocks of one 3x3 convolution (32, 64, 128, 256 channels), each
 * with batch norm, ReLU and a 2x2 max pool, then 256 hidden units. About 66 MFLOP a face. */
static const ch06_arch VGG4 = {"vgg4", 4, {32, 64, 128, 256}, {1, 1, 1, 1}, 256, 0.5f};
/* Half the channels: a quarter of the work, for the comparisons. */
static const ch06_arch VGG4_NARROW = {"vgg4-narrow", 4, {16, 32, 64, 128}, {1, 1, 1, 1}, 128, 0.5f};
static const ch06_arch TINY = {"tiny", 4, {4, 8, 8, 8}, {1, 1, 1, 1}, 16, 0.5f};

#define ONE_CYCLE(max)                                                                             \
    { NN_SCHEDULE_ONE_CYCLE, .lr = (max), .pct_start = 0.25f, .div = 25, .final_div = 1e3f }
#define CONSTANT(v)                                                                                \
    { NN_SCHEDULE_CONSTANT, .lr = (v) }

#define FULL_SHORT 6
#define FULL_LONG 18
static const ch06_run FULL_RUNS[] = {
    {"narrow-plain", &VGG4_NARROW, FULL_SHORT, 64, ONE_CYCLE(0.05f), 0.9f, 5e-4f, 0, 0, 0,
     CH06_BALANCE_NONE},
    {"narrow-aug", &VGG4_NARROW, FULL_SHORT, 64, ONE_CYCLE(0.05f), 0.9f, 5e-4f, 0, 4, 1,
     CH06_BALANCE_NONE},
    {"narrow-aug-balanced", &VGG4_NARROW, FULL_SHORT, 64, ONE_CYCLE(0.05f), 0.9f, 5e-4f, 0, 4, 1,
     CH06_BALANCE_SQRT},
    {"narrow-aug-balanced-constant", &VGG4_NARROW, FULL_SHORT, 64, CONSTANT(0.01f), 0.9f, 5e-4f, 0,
     4, 1, CH06_BALANCE_SQRT},
    {"final", &VGG4, FULL_LONG, 64, ONE_CYCLE(0.05f), 0.9f, 5e-4f, 0, 4, 1, CH06_BALANCE_SQRT},
};
static const ch06_run SMOKE_RUNS[] = {
    {"narrow-plain", &TINY, 1, 32, ONE_CYCLE(0.05f), 0.9f, 5e-4f, 0, 0, 0, CH06_BALANCE_NONE},
    {"narrow-aug", &TINY, 1, 32, ONE_CYCLE(0.05f), 0.9f, 5e-4f, 0, 4, 1, CH06_BALANCE_NONE},
    {"narrow-aug-balanced", &TINY, 1, 32, ONE_CYCLE(0.05f), 0.9f, 5e-4f, 0, 4, 1,
     CH06_BALANCE_SQRT},
    {"narrow-aug-balanced-constant", &TINY, 1, 32, CONSTANT(0.01f), 0.9f, 5e-4f, 0, 4, 1,
     CH06_BALANCE_SQRT},
    {"final", &TINY, 2, 32, ONE_CYCLE(0.05f), 0.9f, 5e-4f, 0, 4, 1, CH06_BALANCE_SQRT},
};

static const profile_config FULL = {0, 0, 1000, FULL_RUNS, sizeof FULL_RUNS / sizeof FULL_RUNS[0]};
static const profile_config SMOKE = {600, 200, 100, SMOKE_RUNS,
                                     sizeof SMOKE_RUNS / sizeof SMOKE_RUNS[0]};

static const char *const SPLIT_KEY[FER2013_SPLITS] = {"train", "public", "private"};

/* Class counts per split, and the sample grid. */
static int log_data(nn_results *db, const nn_cli *cli, const char *csv,
                    const nn_images split[FER2013_SPLITS], nn_err *err) {
    nn_json config;
    json_begin(&config);
    json_str(&config, "file", csv);
    json_int(&config, "sample_cols", SAMPLE_COLS);
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "data", cli->profile, json_end(&config), cli->seed}, err);
    if (run < 0) return -1;
    nn_canvas c = {0};
    int rc = results_transaction_begin(db, err);
    for (int k = 0; k < FER2013_SPLITS && !rc; k++) {
        long count[FER2013_CLASSES] = {0};
        for (int i = 0; i < split[k].n; i++)
            count[split[k].labels[i]]++;
        for (int cl = 0; cl < FER2013_CLASSES && !rc; cl++) {
            char name[64];
            snprintf(name, sizeof name, "n_%s_%d", SPLIT_KEY[k], cl);
            rc = results_log_metric(db, run, name, (double)count[cl], err);
        }
    }
    rc = rc || results_transaction_commit(db, err);
    if (rc) results_transaction_rollback(db);
    /* The first SAMPLE_COLS Training faces of every class, one class per row. */
    if (!rc && !(rc = canvas_init(&c, FER2013_CLASSES, SAMPLE_COLS, 48, 48, 1, 2, err))) {
        const nn_images *tr = &split[FER2013_TRAINING];
        for (int cl = 0; cl < FER2013_CLASSES; cl++)
            for (int i = 0, col = 0; i < tr->n && col < SAMPLE_COLS; i++)
                if (tr->labels[i] == cl) ch06_put_face(&c, cl, col++, tr, i);
        rc = figure_write_png(db, run, cli->figures_dir, CHAPTER, "samples", &c, err);
    }
    canvas_free(&c);
    return experiment_end_run(db, run, rc, err);
}

/* The final model as .h5, read back and compared on PrivateTest. */
static int save_h5(nn_results *db, const nn_cli *cli, const ch06_outcome *o,
                   const nn_images *private_test, nn_err *err) {
    char dir[4096], path[4200], hex[SHA256_HEX_SIZE];
    if (experiment_files_dir(cli->db, CHAPTER, dir, sizeof dir, err)) return -1;
    snprintf(path, sizeof path, "%s/emotion.h5", dir);
    if (nn_model_save_h5(o->model, path, err) || sha256_file_hex(path, hex, err) ||
        results_log_artifact(db, o->run, "model", path, hex, err))
        return -1;
    nn_model *back = nn_model_read_h5(path, nn_max_batch(o->model), err);
    if (!back) return -1;
    long n = private_test->n;
    uint8_t *pred = malloc((size_t)n + 1), *pred0 = malloc((size_t)n + 1);
    float *p = malloc(sizeof(float) * (size_t)n * CH06_CLASSES + 1);
    float *p0 = malloc(sizeof(float) * (size_t)n * CH06_CLASSES + 1);
    int rc = -1;
    if (!pred || !pred0 || !p || !p0) {
        nn_fail(err, "out of memory");
        goto done;
    }
    if (ch06_predict(o->model, private_test, o->flip, pred0, p0, NULL, err) ||
        ch06_predict(back, private_test, o->flip, pred, p, NULL, err))
        goto done;
    long same = 0;
    double diff = 0;
    for (long i = 0; i < n; i++)
        same += pred[i] == pred0[i];
    for (long i = 0; i < n * CH06_CLASSES; i++)
        diff = fmax(diff, fabs((double)p[i] - p0[i]));
    struct stat st;
    if (stat(path, &st) != 0) {
        nn_fail(err, "%s: %s", path, strerror(errno));
        goto done;
    }
    rc = results_log_metric(db, o->run, "h5_same_predictions", n ? (double)same / n : 1, err) ||
                 results_log_metric(db, o->run, "h5_max_prob_diff", diff, err) ||
                 results_log_metric(db, o->run, "h5_bytes", (double)st.st_size, err)
             ? -1
             : 0;
done:
    free(pred);
    free(pred0);
    free(p);
    free(p0);
    nn_model_free(back);
    return rc;
}

/* ms per face on one core, through the live program's path (ch06_classify_face). */
static int time_classifier(nn_results *db, const ch06_outcome *o, const nn_images *faces, int count,
                           nn_err *err) {
    nn_err e;
    nn_model *one = NULL; /* a copy built for batches of 1 (2 with flip averaging) */
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    openblas_set_num_threads(1);
    int rc = 0;
    one = nn_model_new(1, CH06_SIDE, CH06_SIDE, &e);
    for (int i = 0; one && i < nn_layer_count(o->model); i++) {
        nn_layer_desc d;
        nn_layer_describe(o->model, i, &d);
        nn_add_layer(one, &d);
    }
    if (!one || nn_model_build(one, o->flip ? 2 : 1, &e)) {
        rc = nn_fail(err, "latency model: %s", e.msg);
        goto done;
    }
    memcpy(nn_params(one), nn_params(o->model), nn_param_count(one) * sizeof(float));
    memcpy(nn_state(one), nn_state(o->model), nn_state_count(one) * sizeof(float));
    if (count > faces->n) count = faces->n;
    float probs[CH06_CLASSES];
    ch06_classify_face(one, faces->pixels, o->flip, probs); /* warm caches */
    double t0 = nn_seconds();
    for (int i = 0; i < count; i++)
        ch06_classify_face(one, faces->pixels + (size_t)i * CH06_PIXELS, o->flip, probs);
    double ms = 1000 * (nn_seconds() - t0) / (count ? count : 1);
    rc = results_log_timing(db, o->run, &(nn_timing_row){"classify", 1, o->flip ? 2 : 1, ms, count},
                            err);
done:
    nn_model_free(one);
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    return rc;
}

/* Row = truth, column = prediction: the first PrivateTest face of each pair. */
static int confusion_faces(nn_results *db, const nn_cli *cli, const ch06_outcome *o,
                           const nn_images *private_test, nn_err *err) {
    nn_canvas c;
    if (canvas_init(&c, CH06_CLASSES, CH06_CLASSES, 48, 48, 1, 3, err)) return -1;
    int filled[CH06_CLASSES * CH06_CLASSES] = {0};
    for (int i = 0; i < private_test->n; i++) {
        int t = private_test->labels[i], p = o->private_pred[i];
        if (filled[t * CH06_CLASSES + p]++) continue;
        ch06_put_face(&c, t, p, private_test, i);
    }
    int rc = figure_write_png(db, o->run, cli->figures_dir, CHAPTER, "confusions", &c, err);
    canvas_free(&c);
    return rc;
}

typedef struct final_ctx {
    const nn_cli *cli;
    const profile_config *cfg;
    const nn_images *private_test;
} final_ctx;

/* What the final run adds before it is closed. */
static int final_extra(void *ctx, nn_results *db, const ch06_outcome *o, nn_err *err) {
    final_ctx *f = ctx;
    return save_h5(db, f->cli, o, f->private_test, err) ||
                   time_classifier(db, o, f->private_test, f->cfg->latency_faces, err) ||
                   confusion_faces(db, f->cli, o, f->private_test, err)
               ? -1
               : 0;
}

/* The first n of a split (all if n is 0 or larger). */
static void limit(nn_images *set, int n) {
    if (n > 0 && n < set->n) set->n = n;
}

int main(int argc, char **argv) {
    nn_cli cli;
    nn_err err = {{0}};
    int exit_code = cli_start(argc, argv,
        "Chapter 06: facial emotion recognition on FER2013 (7 emotions, "
        "48x48 grey faces). Logs the dataset, trains the comparison runs and "
        "the final network (Training split; epoch chosen on PublicTest; "
        "PrivateTest reported), saves the final model as a Keras-layout .h5 "
        "file next to the database, and draws PNG figures into --figures.",
        stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    const profile_config *cfg = cli.smoke ? &SMOKE : &FULL;
    nn_images split[FER2013_SPLITS] = {{0}};
    nn_results *db = NULL;
    ch06_outcome final = {0};
    int rc = 1;
    char csv[4096];
    snprintf(csv, sizeof csv, "%s/fer2013/fer2013.csv", cli.data_dir);
    fprintf(stderr, "%s: reading %s\n", CHAPTER, csv);
    if (fer2013_load(csv, split, &err)) goto out;
    if (!(db = results_open(cli.db, &err))) goto out;
    if (log_data(db, &cli, csv, split, &err)) goto out;
    /* The smoke profile takes the first faces of each split: the pipeline, not the numbers. */
    limit(&split[FER2013_TRAINING], cfg->train_n);
    limit(&split[FER2013_PUBLIC_TEST], cfg->test_n);
    limit(&split[FER2013_PRIVATE_TEST], cfg->test_n);
    ch06_data data = {&split[FER2013_TRAINING], &split[FER2013_PUBLIC_TEST],
                      &split[FER2013_PRIVATE_TEST]};
    final_ctx fctx = {&cli, cfg, &split[FER2013_PRIVATE_TEST]};
    for (int k = 0; k < cfg->n_runs; k++) {
        ch06_outcome o;
        int is_final = strcmp(cfg->runs[k].experiment, "final") == 0;
        if (ch06_train_run(db, cli.profile, &cfg->runs[k], &data, cli.seed,
                           is_final ? final_extra : NULL, &fctx, &o, &err))
            goto out;
        fprintf(stderr, "%s: %s: PrivateTest accuracy %.2f%%, macro-F1 %.3f\n", CHAPTER,
                cfg->runs[k].experiment, 100 * o.private_scores.accuracy,
                o.private_scores.macro_f1);
        if (is_final)
            final = o;
        else
            ch06_outcome_free(&o);
    }
    if (!final.model) {
        nn_fail(&err, "no run named 'final'");
        goto out;
    }
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    ch06_outcome_free(&final);
    results_close(db);
    for (int k = 0; k < FER2013_SPLITS; k++)
        images_free(&split[k]);
    return rc;
}
