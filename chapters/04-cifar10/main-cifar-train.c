/* main-cifar-train.c - cifar-train: trains the chapter's CIFAR-10 network from scratch and
 * saves it as a model file (nn/model_io.h), logging every epoch into the results database. */
#include <cblas.h>
#include <stdio.h>
#include <string.h>

#include "base/sha256.h"
#include "lab/args.h"
#include "cifar_train.h"
#include "lab/cli.h"
#include "lab/experiment.h"
#include "nn/model_io.h"

static const char DESCRIPTION[] =
    "Trains the chapter's CIFAR-10 classifier (under 1,000,000 parameters) from scratch on the\n"
    "CIFAR-10 training images and writes it to a model file (format: src/nn/model_io.h), which\n"
    "`cifar-test MODEL` tests. Every epoch is logged into --db (chapter 04-cifar10, experiment\n"
    "cifar-train). Inputs are pixels/255; nothing else is needed to use the file.\n\n"
    "Its own options:\n"
    "  --out FILE         model file to write (default: cifar10.nnm)\n"
    "  --epochs N         training epochs (default: 10; smoke profile: 1)\n"
    "  --batch N          mini-batch size (default: 256)\n"
    "  --lr X             peak learning rate of the one-cycle schedule (default: 0.4)\n"
    "  --widths S,A,B,C   channels of the stem and the three groups (default: 32,64,128,192;\n"
    "                     smoke: 8,16,32,32)\n"
    "  --smoothing X      label smoothing in [0, 1) (default: 0.2)\n"
    "  --crop N           random shifts of up to N pixels (default: 2; 0: none)\n"
    "  --no-flip          no random horizontal flips\n"
    "  --train-n N        train on the first N training images (default: all 50,000;\n"
    "                     smoke: 500)\n"
    "  --test-n N         evaluate on the first N test images after every epoch (default: all\n"
    "                     10,000; smoke: 200; 0: no evaluation during training)";

static int parse_widths(const char *text, cifar_arch *a, nn_err *err) {
    int s, w0, w1, w2, used = 0;
    if (sscanf(text, "%d,%d,%d,%d%n", &s, &w0, &w1, &w2, &used) != 4 || text[used] || s < 0 ||
        s > 1024 || w0 < 1 || w0 > 1024 || w1 < 1 || w1 > 1024 || w2 < 1 || w2 > 1024)
        return nn_fail(err,
                       "--widths wants four channel counts S,A,B,C (S >= 0, others >= 1, "
                       "at most 1024), not '%s'",
                       text);
    a->stem = s, a->width[0] = w0, a->width[1] = w1, a->width[2] = w2;
    return 0;
}

typedef struct train_args {
    const char *out, *epochs, *batch, *lr, *widths, *smoothing, *crop, *train_n, *test_n;
    int no_flip;
} train_args;

static int apply_args(const train_args *a, int smoke, cifar_recipe *r, int *train_n, int *test_n,
                      nn_err *err) {
    *r = cifar_recipe_default();
    *train_n = 50000, *test_n = 10000;
    if (smoke) {
        r->epochs = 1;
        r->arch = (cifar_arch){.stem = 8, .width = {16, 32, 32}};
        r->batch = 100;
        *train_n = 500, *test_n = 200;
    }
    if ((a->epochs && args_int("epochs", a->epochs, 1, 1000, &r->epochs, err)) ||
        (a->batch && args_int("batch", a->batch, 1, 4096, &r->batch, err)) ||
        (a->lr && args_float("lr", a->lr, 1e-6, 100, &r->lr, err)) ||
        (a->widths && parse_widths(a->widths, &r->arch, err)) ||
        (a->smoothing &&
         args_float("smoothing", a->smoothing, 0, 0.99, &r->label_smoothing, err)) ||
        (a->crop && args_int("crop", a->crop, 0, 16, &r->crop_pad, err)) ||
        (a->train_n && args_int("train-n", a->train_n, 1, 50000, train_n, err)) ||
        (a->test_n && args_int("test-n", a->test_n, 0, 10000, test_n, err)))
        return -1;
    if (a->no_flip) r->flip = 0;
    return 0;
}

int main(int argc, char **argv) {
    nn_err err = {{0}};
    train_args a = {.out = "cifar10.nnm"};
    const args_opt opts[] = {
        {"out", &a.out, NULL},         {"epochs", &a.epochs, NULL},
        {"batch", &a.batch, NULL},     {"lr", &a.lr, NULL},
        {"widths", &a.widths, NULL},   {"smoothing", &a.smoothing, NULL},
        {"crop", &a.crop, NULL},       {"no-flip", NULL, &a.no_flip},
        {"train-n", &a.train_n, NULL}, {"test-n", &a.test_n, NULL},
    };
    char *rest[argc + 1];
    const char *pos[1];
    int npos, nrest;
    nn_cli cli;
    if (args_split(argc, argv, opts, sizeof opts / sizeof *opts, pos, 0, &npos, rest, &nrest,
                   &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    int parsed = cli_parse(nrest, rest, DESCRIPTION, stdout, &cli, &err);
    if (parsed) {
        if (parsed < 0) fprintf(stderr, "%s\n", err.msg);
        return parsed < 0 ? 2 : 0;
    }
    cifar_recipe recipe;
    int train_n, test_n;
    if (apply_args(&a, cli.smoke, &recipe, &train_n, &test_n, &err)) {
        fprintf(stderr, "cifar-train: %s\n", err.msg);
        return 2;
    }

    nn_images all = {0}, train = {0}, test_all = {0}, test = {0};
    nn_results *db = NULL;
    nn_model *m = NULL;
    int64_t run = -1;
    int rc = -1;
    if (cifar10_load_split(cli.data_dir, "train", &all, &err) ||
        images_subset(&all, 0, train_n, &train, &err) ||
        (test_n > 0 && (cifar10_load_split(cli.data_dir, "test", &test_all, &err) ||
                        images_subset(&test_all, 0, test_n, &test, &err))))
        goto out;
    images_free(&all);
    images_free(&test_all);
    if (!(db = results_open(cli.db, &err))) goto out;

    nn_json config;
    json_begin(&config);
    cifar_recipe_json(&recipe, &config);
    json_int(&config, "train_n", train_n);
    json_int(&config, "test_n", test_n);
    json_str(&config, "out", a.out);
    json_str(&config, "blas_core", openblas_get_corename());
    const char *config_text = json_end(&config);
    if (!config_text) {
        nn_fail(&err, "the run's configuration does not fit in %d bytes", NN_JSON_MAX);
        goto out;
    }
    run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "cifar-train", cli.profile, config_text, cli.seed}, &err);
    if (run < 0) goto out;
    char arch[64];
    cifar_arch_format(&recipe.arch, arch, sizeof arch);
    nn_train_result res;
    cifar_train_opts topts = {.label = arch, .watch = test_n > 0 ? &test : NULL};
    rc = cifar_train(db, run, &recipe, &train, (uint64_t)cli.seed, &topts, &m, &res, &err);
    char sha[SHA256_HEX_SIZE];
    if (!rc && (nn_model_save(m, a.out, &err) || sha256_file_hex(a.out, sha, &err) ||
                results_log_artifact(db, run, "model", a.out, sha, &err)))
        rc = -1;
    rc = experiment_end_run(db, run, rc, &err);
    if (!rc) {
        printf("trained %s (%zu parameters) for %d epochs on %d images in %.1f s (%.1f img/s)\n",
               arch, nn_param_count(m), recipe.epochs, train_n, res.train_seconds,
               recipe.epochs * (double)train_n / res.train_seconds);
        if (test_n > 0)
            printf("test accuracy %.2f%% on %d images\n", 100 * res.test.accuracy, test_n);
        printf("model written to %s (sha256 %s)\n", a.out, sha);
    }
out:
    if (rc) fprintf(stderr, "cifar-train: %s\n", err.msg);
    nn_model_free(m);
    results_close(db);
    images_free(&all);
    images_free(&train);
    images_free(&test_all);
    images_free(&test);
    return rc ? 1 : 0;
}
