/* main-cifar-test.c - cifar-test MODEL: loads a saved CIFAR-10 model file and measures it on
 * the test set: accuracy (also with test-time flipping), accuracy per class, the confusion
 * matrix, the parameter count read from the file, single-image latency on one thread and
 * throughput at a larger batch. Prints them and logs them into the results database. */
#include <omp.h>
#include <stdio.h>

#include "lab/args.h"
#include "cifar_test.h"
#include "cifar_train.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"
#include "nn/model_io.h"

static const char DESCRIPTION[] =
    "Also takes one argument, MODEL: cifar-test MODEL --db PATH [options].\n\n"
    "Loads MODEL (a file written by cifar-train or the chapter's pipeline; format:\n"
    "src/nn/model_io.h) and tests it on the CIFAR-10 test images: accuracy, accuracy with\n"
    "test-time flipping, accuracy per class, the confusion matrix, the parameter count read\n"
    "from the file, latency of single images (batch 1, one thread, after a warm-up: median and\n"
    "90th percentile) and throughput at a larger batch. A damaged file (truncated, wrong magic\n"
    "or version, checksum mismatch) or a model that is not a CIFAR-10 classifier is refused\n"
    "with a one-line error. Results are printed and logged into --db (chapter 04-cifar10,\n"
    "experiment cifar-test).\n\n"
    "Its own options:\n"
    "  --test-n N         test on the first N test images (default: all 10,000; smoke: 200)\n"
    "  --latency-n N      images timed one by one (default: 1000; smoke: 50)\n"
    "  --warmup N         untimed images before them (default: 50; smoke: 5)\n"
    "  --batch N          batch of the evaluation and the throughput (default: 256; smoke: 100)";

int main(int argc, char **argv) {
    nn_err err = {{0}};
    const char *test_n_s = NULL, *latency_n_s = NULL, *warmup_s = NULL, *batch_s = NULL;
    const args_opt opts[] = {{"test-n", &test_n_s, NULL},
                             {"latency-n", &latency_n_s, NULL},
                             {"warmup", &warmup_s, NULL},
                             {"batch", &batch_s, NULL}};
    char *rest[argc + 1];
    const char *pos[1];
    int npos, nrest;
    nn_cli cli;
    if (args_split(argc, argv, opts, sizeof opts / sizeof *opts, pos, 1, &npos, rest, &nrest,
                   &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    int parsed = cli_parse(nrest, rest, DESCRIPTION, stdout, &cli, &err);
    if (parsed) {
        if (parsed < 0) fprintf(stderr, "%s\n", err.msg);
        return parsed < 0 ? 2 : 0;
    }
    if (npos != 1) {
        fprintf(stderr, "cifar-test: which model file? (usage: cifar-test MODEL --db PATH)\n");
        return 2;
    }
    const char *path = pos[0];
    int test_n = cli.smoke ? 200 : 10000;
    cifar_test_opts o = {.batch = cli.smoke ? 100 : 256,
                         .latency_warmup = cli.smoke ? 5 : 50,
                         .latency_n = cli.smoke ? 50 : 1000,
                         .throughput_n = cli.smoke ? 256 : 2048,
                         .threads = omp_get_max_threads()};
    if ((test_n_s && args_int("test-n", test_n_s, 1, 10000, &test_n, &err)) ||
        (latency_n_s && args_int("latency-n", latency_n_s, 1, 10000, &o.latency_n, &err)) ||
        (warmup_s && args_int("warmup", warmup_s, 0, 1000, &o.latency_warmup, &err)) ||
        (batch_s && args_int("batch", batch_s, 1, 4096, &o.batch, &err))) {
        fprintf(stderr, "cifar-test: %s\n", err.msg);
        return 2;
    }
    if (o.latency_warmup + o.latency_n > test_n || o.batch > test_n) {
        fprintf(stderr,
                "cifar-test: %d test images are too few for %d warm-up and %d timed images "
                "and batches of %d\n",
                test_n, o.latency_warmup, o.latency_n, o.batch);
        return 2;
    }
    if (o.throughput_n < o.batch) o.throughput_n = o.batch;

    nn_images all = {0}, test = {0};
    nn_results *db = NULL;
    int rc = -1;
    cifar_test_result r;
    /* The model first: a bad file is reported before anything is loaded or logged. */
    nn_model *probe = nn_model_read(path, 1, &err);
    if (!probe) goto out;
    nn_model_free(probe);
    if (cifar10_load_split(cli.data_dir, "test", &all, &err) ||
        images_subset(&all, 0, test_n, &test, &err))
        goto out;
    if (cifar_test_file(path, &test, &o, &r, NULL, NULL, &err)) goto out;
    if (!(db = results_open(cli.db, &err))) goto out;
    nn_json config;
    json_begin(&config);
    json_str(&config, "model", path);
    json_str(&config, "sha256", r.sha256);
    json_int(&config, "test_n", test_n);
    json_int(&config, "latency_n", o.latency_n);
    json_int(&config, "latency_warmup", o.latency_warmup);
    json_int(&config, "batch", o.batch);
    const char *config_text = json_end(&config);
    if (!config_text) {
        nn_fail(&err, "the run's configuration does not fit in %d bytes", NN_JSON_MAX);
        goto out;
    }
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "cifar-test", cli.profile, config_text, cli.seed}, &err);
    if (run < 0) goto out;
    rc = experiment_end_run(db, run, cifar_log_test(db, run, &r, &err), &err);
    if (rc) goto out;
    cifar_print_test(stdout, path, &r);
out:
    if (rc) fprintf(stderr, "cifar-test: %s\n", err.msg);
    results_close(db);
    images_free(&all);
    images_free(&test);
    return rc ? 1 : 0;
}
