/* 04-cifar10/experiment.c - the chapter's pipeline: the final CIFAR-10 model and the
 * experiments that chose it.
 *
 * Every model goes the way a user's would: trained by cifar_train (what cifar-train runs),
 * saved to a file, read back and measured by cifar_test_file (what cifar-test runs), so the
 * report's numbers are the programs' numbers.
 *
 *   final        the chapter's recipe on all 50,000 training images, accuracy on the first
 *                2,000 test images after every epoch (the learning curve); saved as <dirname of --db>/04-cifar10/cifar10-final.nnm and
 *                recorded in `artifacts` (kind 'model') -- chapter 05 loads it from there.
 *                Its run also holds the per-layer table (config_json.layers), the test
 *                measurements (cifar_test.h) and the picture of the most-confused pairs.
 *   ablations    shorter schedules trained on the first 20,000 training images, measured on
 *                the last 5,000 (the held-out 'valid' set, where settings are compared)
 *                and on the test set: the base recipe, no augmentation, half the width,
 *                half the epochs, no label smoothing. Test-time flipping is measured on
 *                every model.
 * Metrics of every run: those of lab/train.h and cifar_test.h, plus valid_accuracy and
 * valid_accuracy_tta (ablations). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <omp.h>

#include "base/io.h"
#include "base/sha256.h"
#include "cifar_eval.h"
#include "cifar_test.h"
#include "cifar_train.h"
#include "lab/cli.h"
#include "lab/experiment.h"
#include "nn/model_io.h"
#include "render/canvas.h"

#define PATH_CAP 4096
#define CONFUSED_PAIRS 3
#define CONFUSED_EXAMPLES 8

typedef struct profile_config {
    int train_n, test_n;            /* the final model trains on the first train_n */
    int fit_n, holdout_n;           /* ablations: the first fit_n; held out: the last holdout_n */
    int watch_n;                    /* first test images evaluated after every epoch (final) */
    int final_epochs, ablation_epochs;
    int batch;
    float lr;
    cifar_arch arch, narrow;
    cifar_test_opts final_test, ablation_test;
    double peak_seconds; /* CPU time spent measuring one core's peak */
} profile_config;

static const profile_config FULL = {
    .train_n = 50000,
    .fit_n = 20000,
    .holdout_n = 5000,
    .test_n = 10000,
    .watch_n = 2000,
    .final_epochs = 10,
    .ablation_epochs = 4,
    .batch = 256,
    .lr = 0.4f,
    .arch = {32, {64, 128, 192}, {0, 0, 0}},
    .narrow = {16, {32, 64, 96}, {0, 0, 0}},
    .final_test = {.batch = 256, .latency_warmup = 50, .latency_n = 1000, .throughput_n = 2048},
    .ablation_test = {.batch = 256, .latency_warmup = 50, .latency_n = 1000, .throughput_n = 512},
    .peak_seconds = 2,
};

static const profile_config SMOKE = {
    .train_n = 500,
    .fit_n = 400,
    .holdout_n = 100,
    .test_n = 200,
    .watch_n = 100,
    .final_epochs = 2,
    .ablation_epochs = 1,
    .batch = 50,
    .lr = 0.1f,
    .arch = {8, {16, 32, 32}, {0, 0, 0}},
    .narrow = {4, {8, 16, 16}, {0, 0, 0}},
    .final_test = {.batch = 100, .latency_warmup = 5, .latency_n = 50, .throughput_n = 200},
    .ablation_test = {.batch = 100, .latency_warmup = 5, .latency_n = 20, .throughput_n = 100},
    .peak_seconds = 0.05,
};

typedef struct chapter {
    const nn_cli *cli;
    const profile_config *cfg;
    nn_results *db;
    nn_images train, fit, holdout, test; /* fit and holdout: disjoint parts of train */
    nn_images watch;                     /* the first watch_n test images */
    char dir[PATH_CAP];                  /* <dirname of --db>/04-cifar10 */
} chapter;

/* ---- files --------------------------------------------------------------------------------- */

/* The test images the final model gets most wrong: CONFUSED_PAIRS rows (the largest
 * off-diagonal cells of its confusion matrix, in the order confusion_top_cells gives), each
 * with the first CONFUSED_EXAMPLES test images of that truth predicted as that class.
 * Written as <figures>/04-cifar10-confused.png and recorded as an artifact. */
static int draw_confused(chapter *ch, int64_t run, const cifar_scores *s, const uint8_t *pred,
                         nn_err *err) {
    confusion_cell cells[CONFUSED_PAIRS];
    int pairs = confusion_top_cells(s->confusion, CIFAR_CLASSES, cells, CONFUSED_PAIRS);
    if (pairs == 0) return 0; /* a perfect model: nothing to show */
    nn_canvas c;
    if (canvas_init(&c, pairs, CONFUSED_EXAMPLES, 32, 32, 3, 4, err)) return -1;
    float img[3 * 32 * 32];
    for (int p = 0; p < pairs; p++) {
        int col = 0;
        for (int i = 0; i < ch->test.n && col < CONFUSED_EXAMPLES; i++)
            if (ch->test.labels[i] == cells[p].truth && pred[i] == cells[p].predicted) {
                images_to_float(&ch->test, i, 1, img);
                canvas_put_rgb(&c, p, col++, img);
            }
    }
    char path[PATH_CAP], hex[SHA256_HEX_SIZE];
    int rc = -1;
    if (snprintf(path, sizeof path, "%s/%s-confused.png", ch->cli->figures_dir, CHAPTER) >=
        (int)sizeof path)
        nn_fail(err, "%s: path too long", ch->cli->figures_dir);
    else if (!canvas_write_png(&c, path, err) && !sha256_file_hex(path, hex, err))
        rc = results_log_artifact(ch->db, run, "image", path, hex, err);
    canvas_free(&c);
    return rc;
}

/* ---- one model ----------------------------------------------------------------------------- */

typedef struct model_job {
    const char *experiment;
    cifar_recipe recipe;
    int final; /* all training images, test set watched, the chapter's model file */
} model_job;

static int log_valid(chapter *ch, int64_t run, nn_model *m, nn_err *err) {
    cifar_scores plain, flip;
    if (cifar_evaluate(m, &ch->holdout, 0, NULL, &plain, err) ||
        cifar_evaluate(m, &ch->holdout, 1, NULL, &flip, err))
        return -1;
    return results_log_metric(ch->db, run, "valid_accuracy", plain.accuracy, err) ||
                   results_log_metric(ch->db, run, "valid_loss", plain.loss, err) ||
                   results_log_metric(ch->db, run, "valid_accuracy_tta", flip.accuracy, err)
               ? -1
               : 0;
}

static int run_job(chapter *ch, const model_job *job, nn_err *err) {
    const profile_config *cfg = ch->cfg;
    const nn_images *train = job->final ? &ch->train : &ch->fit;
    nn_json config;
    json_begin(&config);
    cifar_recipe_json(&job->recipe, &config);
    json_int(&config, "train_n", train->n);
    json_int(&config, "holdout_n", job->final ? 0 : ch->holdout.n);
    json_int(&config, "test_n", ch->test.n);
    json_str(&config, "blas_core", openblas_get_corename());
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    json_str(&config, "openblas_coretype_env", coretype ? coretype : "");
    if (job->final) json_int(&config, "watch_n", ch->watch.n);
    if (job->final) {
        /* The per-layer table of the report, from the network itself. */
        nn_rng r;
        rng_seed(&r, 0);
        nn_model *shape = cifar_model_new(&job->recipe.arch, 1, &r, err);
        if (!shape) return -1;
        cifar_layers_json(shape, &config);
        nn_model_free(shape);
    }
    const char *config_text = json_end(&config);
    if (!config_text)
        return nn_fail(err, "%s: the configuration does not fit in %d bytes", job->experiment,
                       NN_JSON_MAX);
    int64_t run = results_begin_run(
        ch->db,
        &(nn_run_info){CHAPTER, job->experiment, ch->cli->profile, config_text, ch->cli->seed},
        err);
    if (run < 0) return -1;

    char path[PATH_CAP], hex[SHA256_HEX_SIZE];
    nn_model *trained = NULL, *loaded = NULL;
    uint8_t *pred = malloc((size_t)ch->test.n);
    int rc = -1;
    if (!pred) {
        nn_fail(err, "out of memory");
        goto done;
    }
    if (snprintf(path, sizeof path, "%s/%s.nnm", ch->dir,
                 job->final ? "cifar10-final" : job->experiment) >= (int)sizeof path) {
        nn_fail(err, "%s: path too long", ch->dir);
        goto done;
    }
    nn_train_result res;
    cifar_train_opts topts = {
        .label = job->experiment, .watch = job->final ? &ch->watch : NULL, .log_confusion = 0};
    if (cifar_train(ch->db, run, &job->recipe, train, (uint64_t)ch->cli->seed, &topts, &trained,
                    &res, err) ||
        nn_model_save(trained, path, err) || sha256_file_hex(path, hex, err) ||
        results_log_artifact(ch->db, run, "model", path, hex, err))
        goto done;
    /* From here on, only what the file holds is measured (and the trained copy's buffers,
     * a gigabyte at the training batch, are given back first). */
    nn_model_free(trained);
    trained = NULL;
    cifar_test_opts topt = job->final ? cfg->final_test : cfg->ablation_test;
    topt.threads = omp_get_max_threads();
    cifar_test_result tr;
    if (cifar_test_file(path, &ch->test, &topt, &tr, pred, &loaded, err) ||
        cifar_log_test(ch->db, run, &tr, err))
        goto done;
    if (strcmp(tr.sha256, hex)) {
        nn_fail(err, "%s changed between writing and testing", path);
        goto done;
    }
    if (!job->final && log_valid(ch, run, loaded, err)) goto done;
    if (job->final && (draw_confused(ch, run, &tr.plain, pred, err) ||
                       results_log_metric(ch->db, run, "peak_gflops_1t",
                                          cifar_fma_peak_gflops(cfg->peak_seconds), err) ||
                       results_log_metric(ch->db, run, "peak_vector_bits",
                                          cifar_fma_vector_bits(), err)))
        goto done;
    fprintf(stderr, "  %s: test accuracy %.2f%% (flip %.2f%%), %.1f min training, %.3f ms/image\n",
            job->experiment, 100 * tr.plain.accuracy, 100 * tr.tta.accuracy, res.train_seconds / 60,
            tr.latency.median_ms);
    rc = 0;
done:
    rc = experiment_end_run(ch->db, run, rc, err);
    free(pred);
    nn_model_free(trained);
    nn_model_free(loaded);
    return rc;
}

/* ---- the chapter --------------------------------------------------------------------------- */

static int run_chapter(chapter *ch, nn_err *err) {
    const profile_config *cfg = ch->cfg;
    cifar_recipe base = cifar_recipe_default();
    base.arch = cfg->arch;
    base.batch = cfg->batch;
    base.lr = cfg->lr;

    model_job final = {"final", base, 1};
    final.recipe.epochs = cfg->final_epochs;
    if (run_job(ch, &final, err)) return -1;

    cifar_recipe a = base;
    a.epochs = cfg->ablation_epochs;
    model_job ablations[5];
    int n = 0;
    ablations[n++] = (model_job){"base", a, 0};
    ablations[n] = (model_job){"no-augment", a, 0};
    ablations[n].recipe.crop_pad = 0, ablations[n++].recipe.flip = 0;
    ablations[n] = (model_job){"narrow", a, 0};
    ablations[n++].recipe.arch = cfg->narrow;
    ablations[n] = (model_job){"short", a, 0};
    ablations[n].recipe.epochs = a.epochs / 2 > 0 ? a.epochs / 2 : 1;
    n++;
    ablations[n] = (model_job){"no-smoothing", a, 0};
    ablations[n++].recipe.label_smoothing = 0;
    for (int k = 0; k < n; k++)
        if (run_job(ch, &ablations[k], err)) return -1;
    return 0;
}

int main(int argc, char **argv) {
    nn_cli cli;
    nn_err err = {{0}};
    int exit_code = cli_start(argc, argv,
        "Trains the chapter's CIFAR-10 classifier (under 1,000,000 parameters) "
        "and the experiments behind its recipe, saves every model, tests the "
        "saved files and logs it all into the results database; the final "
        "model is <dirname of --db>/04-cifar10/cifar10-final.nnm.",
        stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    chapter ch = {.cli = &cli, .cfg = cli.smoke ? &SMOKE : &FULL};
    const profile_config *cfg = ch.cfg;
    nn_images all_train = {0}, all_test = {0};
    int rc = 1;
    if (cifar10_load_split(cli.data_dir, "train", &all_train, &err) ||
        cifar10_load_split(cli.data_dir, "test", &all_test, &err) ||
        images_subset(&all_train, 0, cfg->train_n, &ch.train, &err) ||
        images_subset(&all_train, 0, cfg->fit_n, &ch.fit, &err) ||
        images_subset(&all_train, cfg->train_n - cfg->holdout_n, cfg->holdout_n, &ch.holdout,
                      &err) ||
        images_subset(&all_test, 0, cfg->test_n, &ch.test, &err) ||
        images_subset(&all_test, 0, cfg->watch_n, &ch.watch, &err))
        goto out;
    if (cfg->fit_n > cfg->train_n - cfg->holdout_n) {
        nn_fail(&err, "the ablations' %d training images overlap the %d held out", cfg->fit_n,
                cfg->holdout_n);
        goto out;
    }
    images_free(&all_train);
    images_free(&all_test);
    if (experiment_files_dir(cli.db, CHAPTER, ch.dir, sizeof ch.dir, &err) ||
        !(ch.db = results_open(cli.db, &err)) || io_ensure_dir(cli.figures_dir, &err))
        goto out;
    if (run_chapter(&ch, &err)) goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    results_close(ch.db);
    images_free(&all_train);
    images_free(&all_test);
    images_free(&ch.train);
    images_free(&ch.fit);
    images_free(&ch.holdout);
    images_free(&ch.test);
    images_free(&ch.watch);
    return rc;
}
