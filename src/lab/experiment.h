/* experiment.h - what every chapter's program does the same way.
 *
 * The chapters differ in models and questions, not in how they evaluate a model, take
 * gradient statistics, or close a run. Those shared steps live here so each
 * experiment.c reads as its experiment:
 *
 *     nn_eval ev;
 *     experiment_evaluate(m, &test_batches, &ev, confusion, &err);   loss, accuracy (+ matrix)
 *     experiment_probe_gradients(m, probe.x, probe.y, probe.count, NULL, &err);  fwd + bwd
 *     experiment_log_grad_stats(db, run, m, epoch, step, &err);    one row per layer and kind
 *     return experiment_end_run(db, run, rc, &err);               'done', or 'failed' + why
 *
 * Models here are classifiers whose output is one logit per class (softmax
 * cross-entropy), with uint8_t labels, as everywhere in nnlab. */
#ifndef NN_EXPERIMENT_H
#define NN_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "data/batches.h"
#include "lab/cli.h"
#include "nn/model.h"
#include "base/nn_err.h"
#include "db/results.h"

typedef struct nn_eval {
    double loss;     /* mean softmax cross-entropy */
    double accuracy; /* fraction correct, in [0, 1] */
    long count;      /* samples evaluated */
} nn_eval;

/* Evaluates m (inference mode) on every batch of b, in file order. If confusion is not
 * NULL it must hold classes*classes counts (row = truth, column = prediction) and is added
 * to. Fails if the model rejects a batch (larger than its max batch). */
int experiment_evaluate(nn_model *m, nn_batches *b, nn_eval *out, int64_t *confusion, nn_err *err);

/* One forward (inference mode) and backward pass of softmax cross-entropy on a batch,
 * without changing the parameters, so nn_layer_grad_stats describes that batch. The
 * batch's mean loss goes to *loss (may be NULL). Fails if the model rejects the batch. */
int experiment_probe_gradients(nn_model *m, const float *x, const uint8_t *y, int n, float *loss,
                               nn_err *err);

/* Logs nn_layer_grad_stats of the last backward for every layer: a 'weight' row for layers
 * with parameters and an 'activation' row for every layer. A non-finite statistic (a
 * diverged network) is logged as +infinity. */
int experiment_log_grad_stats(nn_results *db, int64_t run, const nn_model *m, int epoch, int step,
                              nn_err *err);

/* Ends a run: 'done' when rc == 0, else 'failed' with err->msg as the reason (the
 * original error is kept in err); on failure an open transaction is rolled back first. Returns rc, or -1 if marking it done failed. */
int experiment_end_run(nn_results *db, int64_t run, int rc, nn_err *err);

/* Loads the first train_n / test_n images of MNIST from data_dir (0: all of the split). */
int experiment_load_mnist(const char *data_dir, int train_n, int test_n, nn_images *train,
                          nn_images *test, nn_err *err);

/* Where a chapter keeps its files besides the database (saved models, variant sets): the
 * directory `<directory of db_path>/<chapter>` (`<chapter>` when db_path has no directory),
 * created if needed. Kept next to the database so that each profile's files stay apart. */
int experiment_files_dir(const char *db_path, const char *chapter, char *dir, size_t cap,
                         nn_err *err);

/* What a chapter's main opens first: the first train_n / test_n images of MNIST from
 * cli->data_dir (0: all of the split), then the results database cli->db, so a missing
 * dataset fails before any database file is made. On error nothing is left open.
 * experiment_close frees what experiment_open made (and is safe on a zeroed struct). */
typedef struct nn_mnist_inputs {
    nn_images train, test;
    nn_results *db;
} nn_mnist_inputs;

int experiment_open(const nn_cli *cli, int train_n, int test_n, nn_mnist_inputs *in, nn_err *err);
void experiment_close(nn_mnist_inputs *in);

#endif
