/* 06-emotion/experiment.c - chapter 06: facial emotion recognition on FER2013.
 *
 * Run 'data': the dataset as the chapter uses it - faces per class and split (metrics
 * n_<split>_<class>, split = train, public, private) and a grid of the first Training faces
 * of every class (06-emotion-samples.png). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chapter.h"
#include "data/fer2013.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"

#define SAMPLE_COLS 10

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
        rc = ch06_write_figure(db, run, cli->figures_dir, "samples", &c, err);
    }
    canvas_free(&c);
    return experiment_end_run(db, run, rc, err);
}

int main(int argc, char **argv) {
    nn_cli cli;
    nn_err err = {{0}};
    int parsed = cli_parse(argc, argv,
                           "Chapter 06: facial emotion recognition on FER2013 (7 emotions, "
                           "48x48 grey faces). Logs the dataset's class counts per split and "
                           "a grid of sample faces (PNG, into --figures).",
                           stdout, &cli, &err);
    if (parsed) {
        if (parsed < 0) fprintf(stderr, "%s\n", err.msg);
        return parsed < 0 ? 2 : 0;
    }
    nn_images split[FER2013_SPLITS] = {{0}};
    nn_results *db = NULL;
    int rc = 1;
    char csv[4096];
    snprintf(csv, sizeof csv, "%s/fer2013/fer2013.csv", cli.data_dir);
    fprintf(stderr, "%s: reading %s\n", CHAPTER, csv);
    if (fer2013_load(csv, split, &err)) goto out;
    if (!(db = results_open(cli.db, &err))) goto out;
    if (log_data(db, &cli, csv, split, &err)) goto out;
    rc = 0;
out:
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    results_close(db);
    for (int k = 0; k < FER2013_SPLITS; k++)
        images_free(&split[k]);
    return rc;
}
