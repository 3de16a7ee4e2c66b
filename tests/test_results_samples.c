/* test_results_samples.c - schema version 2 (db/migrations/002-samples.sql): a version-1
 * database gains the samples table and view, and sample images are logged pixel by pixel,
 * inside or outside the caller's transaction, visible only through done runs. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/results.h"
#include "db/results_samples.h"
#include "test_files.h"

static char dir[TEST_PATH_MAX];
static char path[TEST_PATH_MAX];
static void setup(void) {
    test_mkdtemp(dir);
    test_path(path, dir, "results.sqlite");
}
static void teardown(void) {
    test_rmtree(dir);
}
TestSuite(samples, .init = setup, .fini = teardown);

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

static int64_t begin(nn_results *db) {
    nn_err err = {{0}};
    int64_t run = results_begin_run(db,
                                    &(nn_run_info){.chapter = "00-test", .experiment = "s",
                                                   .profile = "smoke", .config_json = "{}",
                                                   .seed = 1},
                                    &err);
    cr_assert_gt(run, 0, "%s", err.msg);
    return run;
}

Test(samples, the_samples_migration_is_version_2) {
    cr_assert_geq(results_schema_version(), 2);
    nn_results *db = open_ok();
    cr_assert_eq(query_int(db, "PRAGMA user_version"), results_schema_version());
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'samples'"), 1);
    results_close(db);
}

Test(samples, a_version_1_database_gains_the_table_and_keeps_its_rows) {
    /* A version-1 database made from db/schema.sql itself (taking later versions' objects
     * out of a current database stops working as soon as a later migration touches an
     * existing table), with one finished run and its metric. */
    sqlite3 *raw;
    cr_assert_eq(sqlite3_open(path, &raw), SQLITE_OK);
    size_t len;
    unsigned char *schema = test_slurp("db/schema.sql", &len); /* tests run from the root */
    schema = realloc(schema, len + 1);
    schema[len] = '\0';
    char *msg = NULL;
    cr_assert_eq(sqlite3_exec(raw, (const char *)schema, NULL, NULL, &msg), SQLITE_OK, "%s", msg);
    free(schema);
    cr_assert_eq(sqlite3_exec(raw,
                              "PRAGMA user_version = 1;"
                              "INSERT INTO runs (chapter, experiment, profile, config_json, seed,"
                              "  git_commit, threads, status) VALUES ('00-test', 's', 'smoke',"
                              "  '{}', 1, 'old', 1, 'done');"
                              "INSERT INTO metrics VALUES (last_insert_rowid(), 'm', 0.5);",
                              NULL, NULL, &msg),
                 SQLITE_OK, "%s", msg);
    sqlite3_close(raw);

    nn_results *db = open_ok();
    cr_assert_eq(query_int(db, "PRAGMA user_version"), results_schema_version());
    cr_assert_eq(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                               "('samples', 'latest_samples')"),
                 2);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM metrics WHERE name = 'm'"), 1);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM latest_metrics WHERE name = 'm'"), 1,
                 "the old run is still what the report shows");
    results_close(db);
}

Test(samples, an_image_becomes_one_row_per_pixel) {
    nn_results *db = open_ok();
    int64_t run = begin(db);
    uint8_t px[3 * 4];
    for (int k = 0; k < 12; k++) px[k] = (uint8_t)(k * 20);
    nn_err err = {{0}};
    cr_assert_eq(results_log_sample_image(db, run, "t1", 5, 7, 3, 4, px, &err), 0, "%s", err.msg);
    cr_assert_eq(results_log_sample_image(db, run, "t1", 6, -1, 3, 4, px, &err), 0, "%s", err.msg);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM samples WHERE sample = 5 AND label = 7"), 12);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM samples WHERE sample = 6 AND label IS NULL"),
                 12);
    /* Pixel (y 2, x 1) is index 9: 180 / 255. */
    cr_assert_eq(query_int(db, "SELECT round(value * 255) FROM samples "
                               "WHERE sample = 5 AND y = 2 AND x = 1"),
                 180);
    cr_assert_eq(query_int(db, "SELECT max(y) * 10 + max(x) FROM samples"), 23);
    /* Not done yet: the view shows nothing; done: all of it. */
    cr_assert_eq(query_int(db, "SELECT count(*) FROM latest_samples"), 0);
    cr_assert_eq(results_finish_run(db, run, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM latest_samples WHERE set_name = 't1'"), 24);
    results_close(db);
}

Test(samples, inside_the_callers_transaction) {
    nn_results *db = open_ok();
    int64_t run = begin(db);
    uint8_t px[4] = {0, 1, 2, 3};
    nn_err err = {{0}};
    cr_assert_eq(results_transaction_begin(db, &err), 0, "%s", err.msg);
    cr_assert_eq(results_log_sample_image(db, run, "clean", 0, 1, 2, 2, px, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(results_log_metric(db, run, "after", 1, &err), 0, "%s", err.msg);
    cr_assert_eq(results_transaction_commit(db, &err), 0, "%s", err.msg);
    cr_assert_eq(query_int(db, "SELECT count(*) FROM samples"), 4);
    results_close(db);
}

Test(samples, a_duplicate_image_fails_and_leaves_no_half_image) {
    nn_results *db = open_ok();
    int64_t run = begin(db);
    uint8_t px[4] = {0, 1, 2, 3};
    nn_err err = {{0}};
    cr_assert_eq(results_log_sample_image(db, run, "clean", 0, 1, 2, 2, px, &err), 0);
    cr_assert_eq(results_log_sample_image(db, run, "clean", 0, 1, 2, 2, px, &err), -1);
    assert_msg_has(err.msg, "cannot write sample");
    cr_assert_eq(query_int(db, "SELECT count(*) FROM samples"), 4);
    /* The connection is usable afterwards (no transaction left open). */
    cr_assert_eq(results_log_metric(db, run, "ok", 1, &err), 0, "%s", err.msg);
    cr_assert_eq(results_log_sample_image(db, run, NULL, 0, 1, 2, 2, px, &err), -1);
    cr_assert_eq(results_log_sample_image(db, run, "x", 0, 1, 0, 2, px, &err), -1);
    results_close(db);
}
