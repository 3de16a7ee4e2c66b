/* db-soak.c - many writers and a reader on one results database, for the soak test.
 *
 *     db-soak --db PATH write --writer K --runs N --epochs E
 *     db-soak --db PATH read --until FILE
 *
 * The report's promise under `make -j2` (and more processes) is that concurrent programs
 * lose no row, never fail with SQLITE_BUSY, and that a reader only ever sees finished runs
 * whole. tests/soak.sh starts eight writers and a reader at once and then checks the totals.
 *
 * A writer makes N runs (chapter 'soak', experiment "wK-rI"); each run logs E epochs, one
 * transaction per epoch holding two epoch rows and a metric ("epochE"), the way the training loop
 * writes, then its final metric 'rows' = 2E and is marked done.
 * The reader loops until FILE exists: in one read transaction it counts the done runs of
 * chapter 'soak' whose epoch rows differ from their recorded 'rows' metric (must be 0) and
 * prints the number of snapshots it took and the largest number of done runs it saw.
 * Either mode exits 1 with one line on the first database error. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/results.h"

static void usage(FILE *to) {
    fprintf(to,
            "usage: db-soak --db PATH write --writer K --runs N --epochs E\n"
            "       db-soak --db PATH read --until FILE\n"
            "\n"
            "Soak-test helper: a writer logs N runs of E epochs into the results database; a\n"
            "reader checks, until FILE exists, that every done run it sees is whole.\n");
}

static int write_runs(nn_results *db, int writer, int runs, int epochs, nn_err *err) {
    for (int r = 0; r < runs; r++) {
        char experiment[32];
        snprintf(experiment, sizeof experiment, "w%d-r%d", writer, r);
        int64_t run = results_begin_run(
            db, &(nn_run_info){"soak", experiment, "smoke", "{}", writer}, err);
        if (run < 0) return -1;
        for (int e = 1; e <= epochs; e++) {
            char metric[32];
            snprintf(metric, sizeof metric, "epoch%d", e);
            if (results_transaction_begin(db, err) ||
                results_log_epoch(db, run, &(nn_epoch_row){e, e, "train", 1.0 / e, 0.5, 0.1, 0},
                                  err) ||
                results_log_epoch(db, run, &(nn_epoch_row){e, e, "test", 1.0 / e, 0.5, 0.1, 0},
                                  err) ||
                results_log_metric(db, run, metric, e, err) ||
                results_transaction_commit(db, err)) {
                results_transaction_rollback(db);
                return -1;
            }
        }
        if (results_log_metric(db, run, "rows", 2.0 * epochs, err) ||
            results_finish_run(db, run, NULL, err))
            return -1;
    }
    return 0;
}

/* Done soak runs whose epoch rows are not all there, and the number of done soak runs. */
static const char CHECK_SQL[] =
    "SELECT (SELECT count(*) FROM runs r WHERE r.chapter = 'soak' AND r.status = 'done' AND "
    "       (SELECT count(*) FROM epochs e WHERE e.run_id = r.id) != "
    "       (SELECT value FROM metrics m WHERE m.run_id = r.id AND m.name = 'rows')), "
    "       (SELECT count(*) FROM runs WHERE chapter = 'soak' AND status = 'done')";

static int read_until(const char *path, const char *stop_file, nn_err *err) {
    sqlite3 *conn;
    if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        nn_fail(err, "%s: cannot open: %s", path, sqlite3_errmsg(conn));
        sqlite3_close(conn);
        return -1;
    }
    sqlite3_busy_timeout(conn, 60000);
    long snapshots = 0, most = 0;
    int rc = 0;
    while (access(stop_file, F_OK) != 0) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(conn, CHECK_SQL, -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW) {
            rc = nn_fail(err, "%s: read failed: %s", path, sqlite3_errmsg(conn));
            sqlite3_finalize(st);
            break;
        }
        long broken = sqlite3_column_int64(st, 0), done = sqlite3_column_int64(st, 1);
        sqlite3_finalize(st);
        if (broken) {
            rc = nn_fail(err, "%s: %ld done runs seen with missing rows", path, broken);
            break;
        }
        most = done > most ? done : most;
        snapshots++;
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    sqlite3_close(conn);
    if (rc == 0) printf("snapshots %ld, done runs seen %ld\n", snapshots, most);
    return rc;
}

int main(int argc, char **argv) {
    const char *db_path = NULL, *mode = NULL, *until = NULL;
    int writer = -1, runs = 0, epochs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout), 0;
        else if (!strcmp(a, "write") || !strcmp(a, "read")) mode = a;
        else if (v && !strcmp(a, "--db")) db_path = v, i++;
        else if (v && !strcmp(a, "--until")) until = v, i++;
        else if (v && !strcmp(a, "--writer")) writer = atoi(v), i++;
        else if (v && !strcmp(a, "--runs")) runs = atoi(v), i++;
        else if (v && !strcmp(a, "--epochs")) epochs = atoi(v), i++;
        else {
            fprintf(stderr, "db-soak: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    nn_err err = {{0}};
    if (!db_path || !mode) {
        fprintf(stderr, "db-soak: --db and a mode (write or read) are required\n");
        return 2;
    }
    if (!strcmp(mode, "read")) {
        if (!until) return fprintf(stderr, "db-soak: read needs --until FILE\n"), 2;
        if (read_until(db_path, until, &err)) return fprintf(stderr, "db-soak: %s\n", err.msg), 1;
        return 0;
    }
    if (writer < 0 || runs < 1 || epochs < 1) {
        fprintf(stderr, "db-soak: write needs --writer K >= 0, --runs N >= 1, --epochs E >= 1\n");
        return 2;
    }
    nn_results *db = results_open(db_path, &err);
    int rc = !db || write_runs(db, writer, runs, epochs, &err);
    results_close(db);
    if (rc) fprintf(stderr, "db-soak: writer %d: %s\n", writer, err.msg);
    return rc;
}
