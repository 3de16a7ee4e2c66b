/* record.c - stores one fuzzing campaign's figures in the results database (make fuzz).
 *
 *     fuzz-record --db DB [--profile smoke|full] --target npy --config '{"seconds":60}'
 *                 executions=1234 cov=300 ...
 *
 * One run per target and campaign, chapter "fuzz", experiment = the target, profile as
 * given (make passes the PROFILE whose database DB is: a campaign recorded as 'full' in a
 * smoke database would turn that database's report into a full one), its numbers as
 * metrics (executions, seconds, exec_per_s, cov, ft, corpus, crashes: see fuzz/README.md),
 * so the report can show them with a query like any other result and the totals over every
 * campaign are a SUM over done runs. A C tool rather than sqlite3 in a script, so that the
 * run goes through results_open (migrations, the run's git commit and status) like every
 * other writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/results.h"

static int usage(void) {
    fprintf(stderr, "usage: fuzz-record --db DB [--profile smoke|full] --target NAME --config JSON "
                    "NAME=VALUE...\n");
    return 2;
}

int main(int argc, char **argv) {
    const char *db_path = NULL, *target = NULL, *config = "{}", *profile = "full";
    int first_metric = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) db_path = argv[++i];
        else if (!strcmp(argv[i], "--target") && i + 1 < argc) target = argv[++i];
        else if (!strcmp(argv[i], "--profile") && i + 1 < argc) profile = argv[++i];
        else if (!strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
        else if (!strcmp(argv[i], "--help")) return usage(), 0;
        else if (strchr(argv[i], '=')) {
            first_metric = i;
            break;
        } else return usage();
    }
    if (!db_path || !target) return usage();
    /* Check every metric before writing anything: a run is recorded whole or not at all. */
    for (int i = first_metric; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        char *end;
        if (!eq || eq == argv[i] || (strtod(eq + 1, &end), end == eq + 1 || *end)) {
            fprintf(stderr, "fuzz-record: '%s' is not NAME=NUMBER\n", argv[i]);
            return 2;
        }
    }
    nn_err err;
    nn_results *db = results_open(db_path, &err);
    if (!db) goto fail;
    int64_t run = results_begin_run(db, &(nn_run_info){.chapter = "fuzz", .experiment = target,
                                                        .profile = profile, .config_json = config,
                                                        .seed = 0},
                                    &err);
    if (run < 0) goto fail;
    if (results_transaction_begin(db, &err) < 0) goto fail;
    for (int i = first_metric; i < argc; i++) {
        char name[64];
        const char *eq = strchr(argv[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - argv[i]), argv[i]);
        if (results_log_metric(db, run, name, strtod(eq + 1, NULL), &err) < 0) goto fail;
    }
    if (results_transaction_commit(db, &err) < 0) goto fail;
    if (results_finish_run(db, run, NULL, &err) < 0) goto fail;
    results_close(db);
    return 0;
fail:
    fprintf(stderr, "fuzz-record: %s\n", err.msg);
    if (db) results_close(db);
    return 1;
}
