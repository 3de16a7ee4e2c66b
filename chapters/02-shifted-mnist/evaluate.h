/* evaluate.h - `02-shifted-mnist --evaluate IMAGES.npy LABELS.npy`: the chapter's trained
 * models on test sets of a reader's own, without training anything.
 *
 * The models are the ones the newest finished run of the chapter for --profile saved next
 * to --db (model_io.h files recorded in `artifacts`). Each file is checked against its
 * recorded SHA-256, read, and fed through the input stage it was trained with (from its
 * run's configuration). The accuracies are printed as a table, one row per model and seed
 * (the model for all variants once per input block: the variant of a foreign set is not
 * known), one column per pair. Nothing is written to the database unless --log is given;
 * then one run 'evaluate' holds them as metrics acc/<set>/<model>/seed=<n>. */
#ifndef CH02_EVALUATE_H
#define CH02_EVALUATE_H

#include <stdio.h>

#include "base/nn_err.h"
#include "lab/cli.h"

#define EVALUATE_MAX_PAIRS 4

typedef struct evaluate_pair {
    const char *images_path, *labels_path;
    char name[128]; /* the images file's base name */
} evaluate_pair;

typedef struct evaluate_request {
    evaluate_pair pairs[EVALUATE_MAX_PAIRS];
    int count; /* 0: no --evaluate given */
    int log;   /* --log */
} evaluate_request;

/* Takes --evaluate pairs and --log out of argv (so cli_parse sees only the shared
 * options). A usage error fails with a one-line message. */
int evaluate_take_options(int *argc, char **argv, evaluate_request *req, nn_err *err);

/* Evaluates the saved models on every pair of req and prints the table to out. */
int evaluate_saved_models(const nn_cli *cli, const evaluate_request *req, FILE *out, nn_err *err);

#endif
