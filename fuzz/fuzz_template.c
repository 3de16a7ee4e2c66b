/* fuzz_template.c - libFuzzer target: the chapter template filler (template_fill,
 * src/render/template.c).
 *
 * The input is a chapter text; its placeholders run against a small in-memory database
 * built once (a few tables shaped like the results database's, with numbers, text, NULLs
 * and a BLOB), so that values, tables, every failure path and everything left alone are all
 * reachable. Output goes to /dev/null.
 *
 * Templates are written by the project's authors, not by strangers, so SQLite's own limits
 * are tightened here only to keep each execution short and each input independent of the
 * previous ones: queries stop after a bounded amount of work (a recursive CTE would
 * otherwise run forever), values are capped at 1 MB, and statements that change the
 * connection (ATTACH, PRAGMA) are refused by an authorizer. None of this touches the
 * parsing of the template itself, which is what is fuzzed. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/template.h"

static sqlite3 *db;
static FILE *devnull;
/* Virtual-machine steps (in units of the progress handler's period) before a query stops. */
enum { PROGRESS_PERIOD = 1000, MAX_PROGRESS_CALLS = 100 };
static int progress_calls;

static int stop_long_queries(void *unused) {
    return ++progress_calls > MAX_PROGRESS_CALLS;
}

static int deny_connection_changes(void *unused, int action, const char *a, const char *b,
                                   const char *c, const char *d) {
    return action == SQLITE_ATTACH || action == SQLITE_DETACH || action == SQLITE_PRAGMA
               ? SQLITE_DENY
               : SQLITE_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    const char *schema =
        "CREATE TABLE runs(id INTEGER PRIMARY KEY, chapter TEXT, experiment TEXT, status TEXT);"
        "INSERT INTO runs VALUES (1, '00-intro', 'logreg', 'done'), (2, '00-intro', 'mlp', "
        "  'done'), (3, '01-depth', 'deep|er', 'failed');"
        "CREATE TABLE metrics(run_id INTEGER, name TEXT, value REAL);"
        "INSERT INTO metrics VALUES (1, 'acc', 0.97514), (1, 'loss', 0.0812345),"
        "  (2, 'acc', 0.981), (2, 'big', 1234567.0), (2, 'nothing', NULL);"
        "CREATE TABLE depth(d INTEGER, acc REAL, note TEXT);"
        "INSERT INTO depth VALUES (1, 0.95, 'shallow'), (2, 0.97, '97.5%'), (10, 0.9712, 'a|b'),"
        "  (20, -3e-4, 'ünïcödé\ntwo lines'), (30, 0.5, '');"
        "CREATE TABLE blobs(b BLOB); INSERT INTO blobs VALUES (x'00ff');"
        "CREATE VIEW latest_runs AS SELECT * FROM runs WHERE status = 'done';";
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
        abort();
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
    sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
    sqlite3_progress_handler(db, PROGRESS_PERIOD, stop_long_queries, NULL);
    sqlite3_set_authorizer(db, deny_connection_changes, NULL);
    devnull = fopen("/dev/null", "w");
    if (!devnull) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* template_fill takes a C string: an embedded NUL simply ends the text early. */
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, data, size);
    text[size] = '\0';
    progress_calls = 0;
    nn_err err;
    template_fill(db, "fuzz/chapter.md", text, devnull, &err);
    free(text);
    return 0;
}
