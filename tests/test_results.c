/* test_results.c - the results database: schema, logging, visibility of runs, concurrent
 * writers, crashed runs, and refusal of files that are not (or not yet) ours. */
#include <criterion/criterion.h>
#include <errno.h> /* program_invocation_short_name */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/results.h"

static char dir[64];
static char path[128];

static void make_temp_db_path(void) {
    strcpy(dir, "/tmp/nnlab-results-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/results.sqlite", dir);
}

static void remove_temp_dir(void) {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(results, .init = make_temp_db_path, .fini = remove_temp_dir);

/* First column of the first row of a query, as an integer (-1 when no row). */
static long long query_int(nn_results *db, const char *sql) {
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(results_handle(db), sql, -1, &st, NULL), SQLITE_OK, "%s: %s",
                 sql, sqlite3_errmsg(results_handle(db)));
    long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

static nn_results *open_ok(void) {
    nn_err err = {{0}};
    nn_results *db = results_open(path, &err);
    cr_assert_not_null(db, "%s", err.msg);
    return db;
}

static int64_t begin(nn_results *db, const char *experiment, int64_t seed) {
    nn_err err = {{0}};
    int64_t run = results_begin_run(db,
                                    &(nn_run_info){.chapter = "00-test", .experiment = experiment,
                                                   .profile = "smoke", .config_json = "{\"a\":1}",
                                                   .seed = seed},
                                    &err);
    cr_assert_gt(run, 0, "%s", err.msg);
    return run;
}

Test(results, new_database_has_current_schema_and_wal) {
    nn_results *db = open_ok();
    cr_assert_eq(query_int(db, "PRAGMA user_version"), results_schema_version());
    cr_assert_gt(results_schema_version(), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('runs', "
                               "'epochs', 'grad_stats', 'attacks', 'timings', 'metrics', "
                               "'confusion', 'artifacts', 'latest_runs', 'latest_metrics', "
                               "'latest_epochs', 'latest_grad_stats', 'step_stats', "
                               "'layer_stats', 'latest_step_stats', 'latest_layer_stats')"),
                 16);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(results_handle(db), "PRAGMA journal_mode", -1, &st, NULL);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    results_close(db);
}

Test(results, reopening_keeps_rows_and_version) {
    nn_results *db = open_ok();
    int64_t run = begin(db, "e", 1);
    cr_assert_eq(results_log_metric(db, run, "acc", 0.5, NULL), 0);
    results_close(db);
    db = open_ok();
    cr_assert_eq(query_int(db, "SELECT count(*) FROM metrics"), 1);
    cr_assert_eq(query_int(db, "PRAGMA user_version"), results_schema_version());
    results_close(db);
}

Test(results, every_kind_of_row_is_logged) {
    nn_results *db = open_ok();
    nn_err err = {{0}};
    int64_t run = begin(db, "all", 7);
    cr_assert_eq(results_log_epoch(db, run,
                                   &(nn_epoch_row){.epoch = 1, .step = 100, .split = "test",
                                                   .loss = 0.25, .accuracy = 0.9, .lr = 0.01,
                                                   .seconds = 1.5},
                                   &err),
                 0, "%s", err.msg);
    cr_assert_eq(results_log_grad(db, run,
                                  &(nn_grad_row){.epoch = 0, .step = 0, .layer = 2,
                                                 .layer_name = "dense2", .kind = "weight",
                                                 .max_abs = 0.1, .l2 = 0.3},
                                  &err),
                 0, "%s", err.msg);
    cr_assert_eq(results_log_attack(db, run,
                                    &(nn_attack_row){.sample = 5, .source = 2, .target = 6,
                                                     .method = "pgd", .eps = 0.1, .steps = 40,
                                                     .success = 1, .l2 = 2.0, .linf = 0.1,
                                                     .confidence = 0.97},
                                    &err),
                 0, "%s", err.msg);
    cr_assert_eq(results_log_attack(db, run,
                                    &(nn_attack_row){.sample = 6, .source = 2, .target = -1,
                                                     .method = "fgsm", .success = 0},
                                    &err),
                 0, "%s", err.msg);
    cr_assert_eq(results_log_timing(db, run,
                                    &(nn_timing_row){.what = "infer", .threads = 1, .batch = 1,
                                                     .ms_per_item = 0.4, .repeats = 100},
                                    &err),
                 0, "%s", err.msg);
    cr_assert_eq(results_log_metric(db, run, "test_accuracy", 0.8, &err), 0, "%s", err.msg);
    cr_assert_eq(results_log_metric(db, run, "test_accuracy", 0.9, &err), 0, "%s", err.msg);
    int64_t confusion[4] = {5, 1, 2, 7};
    cr_assert_eq(results_log_confusion(db, run, 2, confusion, &err), 0, "%s", err.msg);
    cr_assert_eq(results_log_artifact(db, run, "model", "build/m.nnm", "abc", &err), 0, "%s",
                 err.msg);
    cr_assert_eq(results_log_step(db, run,
                                  &(nn_step_row){.name = "grad_norm", .step = 1875, .epoch = 1,
                                                 .value = 2.5},
                                  &err),
                 0, "%s", err.msg);
    cr_assert_eq(results_log_step(db, run,
                                  &(nn_step_row){.name = "grad_norm", .step = 1875, .epoch = 1,
                                                 .value = 3.5},
                                  &err),
                 0, "%s", err.msg);
    cr_assert_eq(results_log_layer(db, run,
                                   &(nn_layer_row){.name = "mean_output", .layer = 40,
                                                   .epoch = 3, .value = 0.25},
                                   &err),
                 0, "%s", err.msg);
    cr_assert_eq(results_finish_run(db, run, NULL, &err), 0, "%s", err.msg);

    cr_assert_eq(query_int(db, "SELECT step FROM epochs WHERE split = 'test'"), 100);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM step_stats"), 1, "a step row is kept once");
    cr_assert_eq(query_int(db, "SELECT value * 10 FROM latest_step_stats WHERE step = 1875 "
                               "AND epoch = 1 AND name = 'grad_norm'"),
                 35);
    cr_assert_eq(query_int(db, "SELECT value * 100 FROM latest_layer_stats WHERE layer = 40 "
                               "AND epoch = 3 AND name = 'mean_output'"),
                 25);
    cr_assert_eq(query_int(db, "SELECT layer FROM grad_stats WHERE kind = 'weight'"), 2);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM attacks WHERE target IS NULL"), 1);
    cr_assert_eq(query_int(db, "SELECT steps FROM attacks WHERE method = 'pgd'"), 40);
    cr_assert_eq(query_int(db, "SELECT repeats FROM timings"), 100);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM metrics"), 1, "a metric is kept once");
    cr_assert_eq(query_int(db, "SELECT round(value * 10) FROM metrics"), 9);
    cr_assert_eq(query_int(db, "SELECT count FROM confusion WHERE truth = 1 AND predicted = 0"),
                 2);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM artifacts"), 1);
    cr_assert_eq(query_int(db, "SELECT seed FROM runs WHERE status = 'done'"), 7);
    cr_assert_eq(query_int(db, "SELECT finished_at IS NOT NULL FROM runs"), 1);
    results_close(db);
}

Test(results, git_commit_comes_from_the_environment) {
    setenv("NNLAB_GIT_COMMIT", "abc123", 1);
    nn_results *db = open_ok();
    begin(db, "e", 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE git_commit = 'abc123'"), 1);
    unsetenv("NNLAB_GIT_COMMIT");
    begin(db, "e", 2);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE git_commit = 'unknown'"), 1);
    results_close(db);
}

Test(results, only_the_newest_done_run_per_experiment_and_seed_is_shown) {
    nn_results *db = open_ok();
    int64_t old = begin(db, "e", 1);
    results_finish_run(db, old, NULL, NULL);
    int64_t newer = begin(db, "e", 1);
    results_finish_run(db, newer, NULL, NULL);
    int64_t other_seed = begin(db, "e", 2);
    results_finish_run(db, other_seed, NULL, NULL);
    int64_t failed = begin(db, "e", 1);
    results_finish_run(db, failed, "diverged", NULL);
    begin(db, "e", 1); /* still running */

    cr_assert_eq(query_int(db, "SELECT count(*) FROM latest_runs"), 2);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT id FROM latest_runs WHERE seed = 1");
    cr_assert_eq(query_int(db, sql), newer);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE status = 'failed' AND error = "
                               "'diverged'"),
                 1);
    results_close(db);
}

/* ---- what the report reads: one profile, the newest invocation ------------------------ */

/* A done run of chapter "ch" in the named invocation, with a metric "acc" = acc. */
static int64_t done_run(nn_results *db, const char *invocation, const char *profile,
                        const char *experiment, int64_t seed, double acc) {
    nn_err err = {{0}};
    cr_assert_eq(results_set_invocation(db, invocation, &err), 0, "%s", err.msg);
    int64_t run = results_begin_run(db,
                                    &(nn_run_info){.chapter = "ch", .experiment = experiment,
                                                   .profile = profile, .config_json = "{}",
                                                   .seed = seed},
                                    &err);
    cr_assert_gt(run, 0, "%s", err.msg);
    cr_assert_eq(results_log_metric(db, run, "acc", acc, &err), 0, "%s", err.msg);
    cr_assert_eq(results_finish_run(db, run, NULL, &err), 0, "%s", err.msg);
    return run;
}

/* The runs latest_runs shows for an experiment, as "seed:acc seed:acc ..." by seed. */
static char *shown(nn_results *db, const char *experiment) {
    static char out[256];
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT group_concat(seed || ':' || value, ' ') FROM (SELECT r.seed, m.value "
             "FROM latest_runs r JOIN metrics m ON m.run_id = r.id AND m.name = 'acc' "
             "WHERE r.experiment = '%s' ORDER BY r.seed)",
             experiment);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(results_handle(db), sql, -1, &st, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(results_handle(db)));
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

Test(results, latest_runs_shows_the_newest_invocation_of_the_report_profile_only) {
    nn_results *db = open_ok();
    /* An older configuration ran three seeds of "e" and one of "f". */
    done_run(db, "A", "full", "e", 1, 0.1);
    done_run(db, "A", "full", "e", 2, 0.2);
    done_run(db, "A", "full", "e", 3, 0.3);
    done_run(db, "A", "full", "f", 1, 0.9);
    /* The newer one ran "e" with two seeds: seed 3 of A must not be averaged in. */
    done_run(db, "B", "full", "e", 1, 0.5);
    done_run(db, "B", "full", "e", 2, 0.6);
    /* A newer smoke run (e.g. `--profile smoke --db db/results.sqlite`) must not replace it. */
    done_run(db, "C", "smoke", "e", 1, 0.01);
    /* Nor a newer invocation that failed or is still running. */
    nn_err err = {{0}};
    results_set_invocation(db, "D", &err);
    int64_t failed = results_begin_run(db, &(nn_run_info){"ch", "e", "full", "{}", 1}, &err);
    results_finish_run(db, failed, "diverged", &err);
    results_set_invocation(db, "E", &err);
    cr_assert_gt(results_begin_run(db, &(nn_run_info){"ch", "e", "full", "{}", 2}, &err), 0);

    cr_assert_str_eq(shown(db, "e"), "1:0.5 2:0.6");
    cr_assert_str_eq(shown(db, "f"), "1:0.9", "an experiment B did not run keeps A's runs");
    cr_assert_eq(query_int(db, "SELECT profile = 'full' FROM report_profile"), 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM latest_metrics WHERE experiment = 'e'"), 2);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM latest_runs WHERE profile != 'full'"), 0);

    /* The report of the other profile, from the same database: set the scope. */
    sqlite3_exec(results_handle(db), "INSERT INTO report_scope VALUES (1, 'smoke')", NULL, NULL,
                 NULL);
    cr_assert_str_eq(shown(db, "e"), "1:0.01");
    cr_assert_str_eq(shown(db, "f"), "", "no smoke run of f");
    /* The newest invocation re-running one seed twice shows the newer of the two. */
    done_run(db, "F", "smoke", "e", 1, 0.02);
    done_run(db, "F", "smoke", "e", 1, 0.03);
    cr_assert_str_eq(shown(db, "e"), "1:0.03");
    results_close(db);
}

Test(results, a_database_of_smoke_runs_only_shows_them) {
    nn_results *db = open_ok();
    done_run(db, "A", "smoke", "e", 1, 0.4);
    cr_assert_str_eq(shown(db, "e"), "1:0.4");
    /* The first full run makes the database a full one: the smoke runs leave the report. */
    done_run(db, "B", "full", "g", 1, 0.8);
    cr_assert_str_eq(shown(db, "e"), "");
    cr_assert_str_eq(shown(db, "g"), "1:0.8");
    results_close(db);
}

/* One program is one invocation, however many connections it opens (chapter 01 opens one per
 * thread); another program -- here a forked child -- is another. */
Test(results, one_process_is_one_invocation_across_connections) {
    nn_results *a = open_ok(), *b = open_ok();
    int64_t r1 = begin(a, "e", 1), r2 = begin(b, "e", 2), r3 = begin(a, "f", 1);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT invocation_id) FROM runs WHERE id IN (%lld, %lld, %lld)",
             (long long)r1, (long long)r2, (long long)r3);
    cr_assert_eq(query_int(a, sql), 1);
    cr_assert_eq(query_int(a, "SELECT count(*) FROM invocations"), 1);
    results_close(b);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        nn_results *c = results_open(path, NULL);
        if (!c) _exit(2);
        int64_t run = results_begin_run(c, &(nn_run_info){"00-test", "e", "smoke", "{}", 3}, NULL);
        results_close(c);
        _exit(run > 0 ? 0 : 3);
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_eq(query_int(a, "SELECT count(*) FROM invocations"), 2);
    cr_assert_eq(query_int(a, "SELECT count(DISTINCT invocation_id) FROM runs"), 2);
    /* A named invocation (tests, drivers) instead of the process; NULL goes back. */
    nn_err err = {{0}};
    cr_assert_eq(results_set_invocation(a, "", &err), -1);
    cr_assert(strstr(err.msg, "invocation name must not be empty") != NULL, "%s", err.msg);
    cr_assert_eq(results_set_invocation(a, "named", &err), 0);
    begin(a, "e", 4);
    cr_assert_eq(query_int(a, "SELECT count(*) FROM invocations"), 3);
    cr_assert_eq(results_set_invocation(a, NULL, &err), 0);
    begin(a, "e", 5);
    cr_assert_eq(query_int(a, "SELECT count(*) FROM invocations"), 3);
    results_close(a);
}

/* A database written before invocations existed (schema version 2) keeps its runs visible:
 * each (chapter, profile, commit) becomes one invocation, oldest first. */
Test(results, a_version_2_database_gets_invocations_for_its_old_runs) {
    sqlite3 *raw;
    cr_assert_eq(sqlite3_open(path, &raw), SQLITE_OK);
    const char *files[] = {"db/schema.sql", "db/migrations/002-samples.sql"};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "r");
        cr_assert_not_null(f, "%s (tests run from the repository root)", files[k]);
        static char sql[1 << 16];
        size_t n = fread(sql, 1, sizeof sql - 1, f);
        sql[n] = '\0';
        fclose(f);
        char *msg = NULL;
        cr_assert_eq(sqlite3_exec(raw, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", files[k], msg);
    }
    const char *old_runs =
        "PRAGMA user_version = 2;"
        "INSERT INTO runs (chapter, experiment, profile, config_json, seed, git_commit, threads,"
        "  status) VALUES"
        " ('ch', 'e', 'full', '{}', 1, 'old', 1, 'done'), ('ch', 'e', 'full', '{}', 2, 'old', 1,"
        " 'done'), ('ch', 'e', 'full', '{}', 1, 'new', 1, 'done'),"
        " ('ch', 'e', 'smoke', '{}', 1, 'new', 1, 'done');";
    cr_assert_eq(sqlite3_exec(raw, old_runs, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    nn_results *db = open_ok();
    cr_assert_eq(query_int(db, "PRAGMA user_version"), results_schema_version());
    cr_assert_eq(query_int(db, "SELECT count(*) FROM invocations"), 3);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE invocation_id IS NULL"), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM latest_runs"), 1,
                 "commit 'new' is the newest full invocation; it ran seed 1 only");
    cr_assert_eq(query_int(db, "SELECT git_commit = 'new' AND profile = 'full' FROM latest_runs"),
                 1);
    /* New runs come after every old invocation. */
    int64_t run = begin(db, "e", 5);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT invocation_id = (SELECT max(id) FROM invocations) FROM runs "
             "WHERE id = %lld", (long long)run);
    cr_assert_eq(query_int(db, sql), 1);
    results_close(db);
}

Test(results, a_crashed_run_stays_running_keeps_its_rows_and_is_never_shown) {
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        nn_results *db = results_open(path, NULL);
        if (!db) _exit(3);
        int64_t run = results_begin_run(db,
                                        &(nn_run_info){.chapter = "c", .experiment = "crash",
                                                       .profile = "smoke", .config_json = "{}"},
                                        NULL);
        results_log_epoch(db, run, &(nn_epoch_row){.epoch = 1, .split = "train"}, NULL);
        results_transaction_begin(db, NULL);
        results_log_epoch(db, run, &(nn_epoch_row){.epoch = 2, .split = "train"}, NULL);
        abort(); /* dies inside an open transaction, without finishing the run */
    }
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status), "the child should have crashed");

    nn_results *db = open_ok();
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM latest_runs"), 0);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM epochs"), 1,
                 "the committed row survives, the uncommitted one does not");
    results_close(db);
}

/* Two processes log rows at the same moment, both with single-row commits and with
 * transactions; no row may be lost and neither may fail with "database is locked". */
Test(results, two_processes_writing_at_once_lose_nothing) {
    nn_results *setup = open_ok();
    results_close(setup);
    enum { WRITERS = 2, ROWS = 400 };
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        cr_assert_neq(pids[w], -1);
        if (pids[w] == 0) {
            nn_err err;
            nn_results *db = results_open(path, &err);
            if (!db) _exit(2);
            /* Two programs, two experiments: each is its own invocation, and the newest
             * invocation of one experiment says nothing about the other's. */
            int64_t run = results_begin_run(db,
                                            &(nn_run_info){.chapter = "c",
                                                           .experiment = w ? "w1" : "w0",
                                                           .profile = "smoke", .config_json = "{}",
                                                           .seed = w},
                                            &err);
            if (run < 0) _exit(3);
            for (int i = 0; i < ROWS; i++) {
                int batched = i % 50 >= 25;
                if (batched && i % 25 == 0 && results_transaction_begin(db, &err)) _exit(4);
                if (results_log_epoch(db, run, &(nn_epoch_row){.epoch = i, .split = "train"},
                                      &err))
                    _exit(5);
                if (batched && i % 25 == 24 && results_transaction_commit(db, &err)) _exit(6);
            }
            if (results_finish_run(db, run, NULL, &err)) _exit(7);
            results_close(db);
            _exit(0);
        }
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        waitpid(pids[w], &status, 0);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed (%d)", w,
                  WEXITSTATUS(status));
    }
    nn_results *db = open_ok();
    cr_assert_eq(query_int(db, "SELECT count(*) FROM epochs"), WRITERS * ROWS);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM latest_runs"), WRITERS);
    cr_assert_eq(query_int(db, "SELECT count(DISTINCT invocation_id) FROM runs"), WRITERS);
    results_close(db);
}

Test(results, a_file_that_is_not_a_database_is_refused_and_left_alone) {
    FILE *f = fopen(path, "w");
    const char *text = "this is a text file, not a database, and it is long enough to matter\n";
    for (int i = 0; i < 100; i++) fputs(text, f);
    fclose(f);
    nn_err err = {{0}};
    cr_assert_null(results_open(path, &err));
    cr_assert(strstr(err.msg, path) != NULL, "message names the file: %s", err.msg);
    cr_assert(strstr(err.msg, "not a database") != NULL, "%s", err.msg);
    f = fopen(path, "r");
    char line[128];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, text, "the file must not be modified");
    fclose(f);
}

Test(results, a_database_from_a_newer_nnlab_is_refused) {
    nn_results *db = open_ok();
    sqlite3_exec(results_handle(db), "PRAGMA user_version = 999", NULL, NULL, NULL);
    results_close(db);
    nn_err err = {{0}};
    cr_assert_null(results_open(path, &err));
    cr_assert(strstr(err.msg, "newer") != NULL, "%s", err.msg);
}

Test(results, an_unversioned_database_is_migrated_and_its_tables_kept) {
    /* A plain SQLite file (user_version 0) with a table of its own: migration adds ours. */
    sqlite3 *raw;
    cr_assert_eq(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_exec(raw, "CREATE TABLE notes (x); INSERT INTO notes VALUES (42);", NULL, NULL, NULL);
    sqlite3_close(raw);
    nn_results *db = open_ok();
    cr_assert_eq(query_int(db, "SELECT x FROM notes"), 42);
    cr_assert_eq(query_int(db, "PRAGMA user_version"), results_schema_version());
    results_close(db);
}

Test(results, a_failed_migration_leaves_the_old_database_untouched) {
    /* A table named like one of ours makes version 1's CREATE fail half-way: the whole
     * migration must roll back, leaving version 0 and the user's table. */
    sqlite3 *raw;
    cr_assert_eq(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_exec(raw, "CREATE TABLE metrics (x); INSERT INTO metrics VALUES (1);", NULL, NULL,
                 NULL);
    sqlite3_close(raw);
    nn_err err = {{0}};
    cr_assert_null(results_open(path, &err));
    cr_assert(strstr(err.msg, "migrating to schema version 1") != NULL, "%s", err.msg);
    cr_assert_eq(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(raw, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'", -1, &st,
                       NULL);
    sqlite3_step(st);
    cr_assert_eq(sqlite3_column_int(st, 0), 0, "runs was created although migration failed");
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

Test(results, bad_run_descriptions_are_refused) {
    nn_results *db = open_ok();
    nn_err err = {{0}};
    cr_assert_eq(results_begin_run(db,
                                   &(nn_run_info){.chapter = "c", .experiment = "e",
                                                  .profile = "smoke", .config_json = "{not json"},
                                   &err),
                 -1);
    cr_assert(strstr(err.msg, path) != NULL, "%s", err.msg);
    cr_assert_eq(results_begin_run(db,
                                   &(nn_run_info){.chapter = "c", .experiment = "e",
                                                  .profile = "smoke", .config_json = "{}",
                                                  .seed = -1},
                                   &err),
                 -1);
    cr_assert_eq(results_begin_run(db, &(nn_run_info){.chapter = "c"}, &err), -1);
    cr_assert_eq(results_finish_run(db, 12345, NULL, &err), -1);
    cr_assert(strstr(err.msg, "12345") != NULL, "%s", err.msg);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM runs"), 0);
    results_close(db);
}

Test(results, an_unopenable_path_gives_a_clear_error) {
    nn_err err = {{0}};
    cr_assert_null(results_open("/nonexistent-dir/sub/results.sqlite", &err));
    cr_assert(strstr(err.msg, "/nonexistent-dir/sub/results.sqlite") != NULL, "%s", err.msg);
}

Test(results, transactions_must_pair) {
    nn_results *db = open_ok();
    nn_err err = {{0}};
    cr_assert_eq(results_transaction_commit(db, &err), -1);
    cr_assert_eq(results_transaction_begin(db, &err), 0, "%s", err.msg);
    cr_assert_eq(results_transaction_begin(db, &err), -1);
    cr_assert_eq(results_transaction_commit(db, &err), 0, "%s", err.msg);
    results_close(db);
}

Test(results, rollback_drops_the_open_group_only) {
    nn_results *db = open_ok();
    int64_t run = begin(db, "e", 1);
    cr_assert_eq(results_log_metric(db, run, "kept", 1, NULL), 0);
    cr_assert_eq(results_transaction_begin(db, NULL), 0);
    cr_assert_eq(results_log_metric(db, run, "dropped", 2, NULL), 0);
    results_transaction_rollback(db);
    results_transaction_rollback(db); /* nothing open: a no-op */
    cr_assert_eq(query_int(db, "SELECT count(*) FROM metrics"), 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM metrics WHERE name = 'kept'"), 1);
    cr_assert_eq(results_transaction_begin(db, NULL), 0, "a new transaction can start");
    cr_assert_eq(results_transaction_commit(db, NULL), 0);
    results_close(db);
}

/* The summaries over seeds: the median is the middle value (the mean of the middle two
 * for an even count), next to the count, mean, minimum and maximum; per epoch for curves. */
Test(results, summaries_over_seeds_give_median_and_range) {
    nn_results *db = open_ok();
    nn_err err = {{0}};
    const double acc[4] = {0.9, 0.2, 0.8, 0.95}; /* sorted: 0.2 0.8 0.9 0.95 */
    for (int s = 0; s < 4; s++) {
        int64_t run = begin(db, "e4", s + 1);
        cr_assert_eq(results_log_metric(db, run, "test_accuracy", acc[s], &err), 0, "%s", err.msg);
        if (s < 3) {
            int64_t other = begin(db, "e3", s + 1);
            cr_assert_eq(results_log_metric(db, other, "test_accuracy", acc[s], &err), 0);
            cr_assert_eq(results_finish_run(db, other, NULL, &err), 0);
        }
        for (int e = 1; e <= 2; e++)
            cr_assert_eq(results_log_epoch(db, run,
                                           &(nn_epoch_row){.epoch = e, .step = e, .split = "test",
                                                           .loss = 1.0 - acc[s] / e,
                                                           .accuracy = acc[s] / e},
                                           &err),
                         0, "%s", err.msg);
        cr_assert_eq(results_finish_run(db, run, NULL, &err), 0, "%s", err.msg);
    }
    cr_assert_eq(query_int(db, "SELECT n FROM latest_metric_summary WHERE experiment = 'e4'"), 4);
    cr_assert_eq(query_int(db, "SELECT round(1000 * median) FROM latest_metric_summary "
                               "WHERE experiment = 'e4' AND name = 'test_accuracy'"),
                 850);
    cr_assert_eq(query_int(db, "SELECT round(1000 * median) FROM latest_metric_summary "
                               "WHERE experiment = 'e3'"),
                 800, "odd count: the middle value");
    cr_assert_eq(query_int(db, "SELECT round(1000 * (max - min)) FROM latest_metric_summary "
                               "WHERE experiment = 'e4'"),
                 750);
    cr_assert_eq(query_int(db, "SELECT round(10000 * mean) FROM latest_metric_summary "
                               "WHERE experiment = 'e4'"),
                 7125);
    cr_assert_eq(query_int(db, "SELECT round(1000 * median_accuracy) FROM latest_epoch_summary "
                               "WHERE experiment = 'e4' AND epoch = 2"),
                 425);
    cr_assert_eq(query_int(db, "SELECT round(1000 * median_loss) FROM latest_epoch_summary "
                               "WHERE experiment = 'e4' AND epoch = 2"),
                 575);
    cr_assert_eq(query_int(db, "SELECT round(1000 * min_accuracy) FROM latest_epoch_summary "
                               "WHERE experiment = 'e4' AND epoch = 1"),
                 200);
    results_close(db);
}

/* newest_runs: one run per experiment, the newest of those latest_runs shows; newest_metrics
 * its metrics, so a template can name a value by chapter, experiment and name alone. */
Test(results, newest_runs_and_metrics_pick_the_newest_shown_run_of_each_experiment) {
    nn_results *db = open_ok();
    done_run(db, "A", "full", "e", 1, 0.1);
    done_run(db, "B", "full", "e", 1, 0.2);
    int64_t e2 = done_run(db, "B", "full", "e", 2, 0.3);
    int64_t f = done_run(db, "B", "full", "f", 1, 0.4);
    done_run(db, "C", "smoke", "e", 1, 0.9); /* another profile: never shown */
    cr_assert_eq(query_int(db, "SELECT count(*) FROM newest_runs"), 2);
    cr_assert_eq(query_int(db, "SELECT id FROM newest_runs WHERE chapter = 'ch' AND experiment = 'e'"),
                 e2);
    cr_assert_eq(query_int(db, "SELECT round(10 * value) FROM newest_metrics "
                               "WHERE chapter = 'ch' AND experiment = 'e' AND name = 'acc'"),
                 3);
    cr_assert_eq(query_int(db, "SELECT run_id FROM newest_metrics WHERE experiment = 'f'"), f);
    nn_err aerr = {{0}};
    cr_assert_eq(results_log_attack(db, e2,
                                    &(nn_attack_row){.sample = 7, .source = 2, .target = 6,
                                                     .method = "fgsm", .eps = 0.1, .success = 1},
                                    &aerr),
                 0, "%s", aerr.msg);
    cr_assert_eq(query_int(db, "SELECT sample FROM newest_attacks WHERE chapter = 'ch' "
                               "AND experiment = 'e' AND method = 'fgsm'"),
                 7);
    /* A failed newer run changes nothing. */
    nn_err err = {{0}};
    int64_t bad = results_begin_run(db,
                                    &(nn_run_info){.chapter = "ch", .experiment = "e",
                                                   .profile = "full", .config_json = "{}", .seed = 3},
                                    &err);
    cr_assert_gt(bad, 0, "%s", err.msg);
    cr_assert_eq(results_finish_run(db, bad, "boom", &err), 0, "%s", err.msg);
    cr_assert_eq(query_int(db, "SELECT id FROM newest_runs WHERE experiment = 'e'"), e2);
    results_close(db);
}

/* Which program made a run (its invocation's program, e.g. cifar-train), so that the report
 * can say how to run it again. */
Test(results, an_invocation_records_the_program_that_made_it) {
    nn_results *db = open_ok();
    begin(db, "e", 1);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(results_handle(db),
                                    "SELECT i.program FROM runs r JOIN invocations i "
                                    "ON i.id = r.invocation_id",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(results_handle(db)));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    const char *program = (const char *)sqlite3_column_text(st, 0);
    cr_assert_not_null(program);
    /* Criterion runs each test in a worker process: its name is whatever this process is
     * called, which is what a chapter's program records too. */
    cr_assert_str_eq(program, program_invocation_short_name);
    sqlite3_finalize(st);
    results_close(db);
}
