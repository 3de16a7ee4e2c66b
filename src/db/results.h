/* results.h - the results database: where every experiment writes what it measured.
 *
 * One SQLite file (schema in db/schema.sql, versioned with PRAGMA user_version) in WAL
 * mode with a busy timeout, so that several experiments (make -j2) can write at once
 * without losing a row. A typical program:
 *
 *     nn_err err;
 *     nn_results *db = results_open("db/results.sqlite", &err);
 *     int64_t run = results_begin_run(db, &(nn_run_info){
 *         .chapter = "00-intro", .experiment = "logreg", .profile = "full",
 *         .config_json = "{\"epochs\":5}", .seed = 1}, &err);
 *     results_log_epoch(db, run, &(nn_epoch_row){.epoch = 1, .step = 938, .split = "test",
 *                                                 .loss = 0.3, .accuracy = 0.91}, &err);
 *     results_finish_run(db, run, NULL, &err);        (NULL error message = 'done')
 *     results_close(db);
 *
 * Invariants:
 *  - A run is created with status 'running' and committed at once; it becomes 'done' only
 *    through results_finish_run. A process that dies half-way leaves it 'running', and the
 *    report reads only done runs (view latest_runs), so partial results are never shown.
 *  - Logging calls outside results_transaction_begin/commit commit one row each; inside,
 *    rows become visible together at commit. Writes use BEGIN IMMEDIATE so that two
 *    writers wait for each other (busy timeout) instead of failing.
 *  - Nothing is ever deleted: an error leaves every row already committed in place.
 *  - Opening a database migrates it to the current schema version in one transaction; a
 *    database from a newer nnlab, or a file that is not a database, is refused.
 *  - The report reads one profile (view report_profile) and, per experiment, only the
 *    newest invocation's runs: re-running a program replaces all of its earlier runs of
 *    the experiments it ran, even when it ran fewer seeds (db/migrations/003-*.sql). */
#ifndef NN_RESULTS_H
#define NN_RESULTS_H

#include <stdint.h>

#include "base/nn_err.h"

typedef struct nn_results nn_results;

/* The schema version this build writes (the number of migrations it knows). */
int results_schema_version(void);

/* Opens (creating if needed) and migrates the database at path. NULL on error. */
nn_results *results_open(const char *path, nn_err *err);
void results_close(nn_results *db);
/* The underlying connection, for tests and read queries (see results_query_double). */
struct sqlite3 *results_handle(nn_results *db);

typedef struct nn_run_info {
    const char *chapter;     /* "00-intro" */
    const char *experiment;  /* "logreg" */
    const char *profile;     /* "smoke" or "full" */
    const char *config_json; /* the full configuration, as JSON (validated) */
    int64_t seed;            /* >= 0 */
} nn_run_info;

/* Starts a run (status 'running') in its invocation (a row of `invocations`, created by the
 * invocation's first run); records the git commit (env NNLAB_GIT_COMMIT, else "unknown")
 * and the OpenMP thread count. Returns the run id (> 0), or -1.
 * Invocation: every run a program starts, from any of its connections, belongs to one
 * invocation (this process), and the report shows only the newest invocation's runs of each
 * experiment (view latest_runs). */
int64_t results_begin_run(nn_results *db, const nn_run_info *info, nn_err *err);
/* Runs begun through this connection from now on belong to the invocation called `name`
 * instead of this process's (NULL: back to this process). For tests, and for a driver that
 * splits one invocation over several processes. Returns -1 for an empty name. */
int results_set_invocation(nn_results *db, const char *name, nn_err *err);

/* Ends a run: 'done' when error_message is NULL, else 'failed' with that message. */
int results_finish_run(nn_results *db, int64_t run, const char *error_message, nn_err *err);

/* Group many rows into one transaction (faster; all-or-nothing). */
int results_transaction_begin(nn_results *db, nn_err *err);
int results_transaction_commit(nn_results *db, nn_err *err);
/* Drops the rows of the open transaction (none open: nothing happens). For error paths:
 * the run can then be marked failed outside any half-written group of rows. */
void results_transaction_rollback(nn_results *db);

typedef struct nn_epoch_row {
    int epoch, step;
    const char *split;
    double loss, accuracy, lr, seconds;
} nn_epoch_row;
int results_log_epoch(nn_results *db, int64_t run, const nn_epoch_row *row, nn_err *err);

typedef struct nn_grad_row {
    int epoch, step, layer;
    const char *layer_name;
    const char *kind; /* "weight" or "activation" */
    double max_abs, l2;
} nn_grad_row;
int results_log_grad(nn_results *db, int64_t run, const nn_grad_row *row, nn_err *err);

typedef struct nn_attack_row {
    int sample, source, target; /* target < 0: untargeted (stored as NULL) */
    const char *method;
    double eps;
    int steps, success;
    double l2, linf, confidence;
} nn_attack_row;
int results_log_attack(nn_results *db, int64_t run, const nn_attack_row *row, nn_err *err);

typedef struct nn_timing_row {
    const char *what;
    int threads, batch;
    double ms_per_item;
    int repeats;
} nn_timing_row;
int results_log_timing(nn_results *db, int64_t run, const nn_timing_row *row, nn_err *err);

/* Series finer than an epoch or per layer (schema version 4): a named scalar at an
 * optimiser step (step_stats) or of a layer at an epoch (layer_stats). Logging the same
 * key twice keeps the last value. A NaN is stored as NULL. */
typedef struct nn_step_row {
    const char *name;
    long step;
    int epoch;
    double value;
} nn_step_row;
int results_log_step(nn_results *db, int64_t run, const nn_step_row *row, nn_err *err);

typedef struct nn_layer_row {
    const char *name;
    int layer, epoch;
    double value;
} nn_layer_row;
int results_log_layer(nn_results *db, int64_t run, const nn_layer_row *row, nn_err *err);

/* Metrics are named scalars; logging the same name twice for a run keeps the last value. */
int results_log_metric(nn_results *db, int64_t run, const char *name, double value, nn_err *err);
/* counts: classes x classes, row = truth, column = prediction. */
int results_log_confusion(nn_results *db, int64_t run, int classes, const int64_t *counts,
                          nn_err *err);
int results_log_artifact(nn_results *db, int64_t run, const char *kind, const char *path,
                         const char *sha256, nn_err *err);

#endif
