/* results.c - the results database (see results.h for the contract). */
#include "db/results.h"

#include <omp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "migrations.inc" /* schema_migrations[]: generated from db/ by the Makefile */

/* Long enough for a concurrent writer to finish a big transaction (an epoch of rows). */
#define BUSY_TIMEOUT_MS 60000

struct nn_results {
    sqlite3 *conn;
    char *path;
    int in_transaction;
    char *invocation; /* results_set_invocation's name; NULL: this process */
};

/* ---- invocations -------------------------------------------------------------------- */

/* This process's name for its invocation: host, pid and the time of its first run, so two
 * program starts never share one, while every connection of one program (chapter 01 opens
 * one per thread) does. Made once per process; a forked child makes its own. */
static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t token_pid;
static char process_name[160];

static void process_token(char *out, size_t cap) {
    pthread_mutex_lock(&token_lock);
    if (token_pid != getpid()) {
        char host[64] = "localhost";
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        token_pid = getpid();
        snprintf(process_name, sizeof process_name, "%s:%ld:%lld.%09ld", host, (long)token_pid,
                 (long long)now.tv_sec, now.tv_nsec);
    }
    snprintf(out, cap, "%s", process_name);
    pthread_mutex_unlock(&token_lock);
}

int results_schema_version(void) {
    return (int)(sizeof schema_migrations / sizeof schema_migrations[0]);
}

static int db_fail(nn_results *db, nn_err *err, const char *what) {
    return nn_fail(err, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->conn));
}

static int exec(nn_results *db, const char *sql, nn_err *err) {
    char *msg = NULL;
    if (sqlite3_exec(db->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        nn_fail(err, "%s: %s (in: %.60s)", db->path, msg ? msg : "error", sql);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int read_user_version(nn_results *db, int *version, nn_err *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->conn, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, err, "cannot read the schema version");
    int rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return db_fail(db, err, "cannot read the schema version");
    return 0;
}

/* Applies every migration the file has not seen yet, each in its own transaction together
 * with its version bump, so a crash between two leaves a consistent, older version. */
static int migrate(nn_results *db, nn_err *err) {
    int version;
    if (read_user_version(db, &version, err)) return -1;
    int latest = results_schema_version();
    if (version > latest)
        return nn_fail(err,
                       "%s: schema version %d is newer than this build of nnlab knows (%d); "
                       "use a newer nnlab or another database file",
                       db->path, version, latest);
    for (int v = version; v < latest; v++) {
        if (exec(db, "BEGIN IMMEDIATE", err)) return -1;
        /* Re-read inside the write lock: another process may have migrated meanwhile. */
        int now;
        if (read_user_version(db, &now, err)) return exec(db, "ROLLBACK", NULL), -1;
        if (now > v) {
            exec(db, "COMMIT", NULL);
            v = now - 1;
            continue;
        }
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        if (exec(db, schema_migrations[v], err) || exec(db, bump, err)) {
            nn_fail_context(err, "migrating to schema version %d", v + 1);
            exec(db, "ROLLBACK", NULL);
            return -1;
        }
        if (exec(db, "COMMIT", err)) return -1;
    }
    return 0;
}

nn_results *results_open(const char *path, nn_err *err) {
    nn_results *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        nn_fail(err, "%s: out of memory", path);
        return NULL;
    }
    /* Say plainly why a database cannot be written (SQLite's own words for a read-only file
     * system are "unable to open database file"). As root, access() ignores permission
     * bits but still reports a read-only file system. */
    if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
        nn_fail(err, "%s: the results database cannot be written: %s", path, strerror(errno));
        results_close(db);
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &db->conn, flags, NULL) != SQLITE_OK) {
        db_fail(db, err, "cannot open the results database");
        results_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db->conn, BUSY_TIMEOUT_MS);
    /* journal_mode is the first statement to touch the file: a non-database fails here. */
    if (exec(db, "PRAGMA journal_mode = WAL", err) || exec(db, "PRAGMA synchronous = NORMAL", err) ||
        exec(db, "PRAGMA foreign_keys = ON", err) || migrate(db, err)) {
        results_close(db);
        return NULL;
    }
    return db;
}

void results_close(nn_results *db) {
    if (!db) return;
    if (db->conn) sqlite3_close(db->conn);
    free(db->invocation);
    free(db->path);
    free(db);
}

struct sqlite3 *results_handle(nn_results *db) {
    return db->conn;
}

int results_transaction_begin(nn_results *db, nn_err *err) {
    if (db->in_transaction) return nn_fail(err, "%s: transaction already open", db->path);
    if (exec(db, "BEGIN IMMEDIATE", err)) return -1;
    db->in_transaction = 1;
    return 0;
}

int results_transaction_commit(nn_results *db, nn_err *err) {
    if (!db->in_transaction) return nn_fail(err, "%s: no transaction to commit", db->path);
    db->in_transaction = 0;
    if (exec(db, "COMMIT", err)) {
        exec(db, "ROLLBACK", NULL);
        return -1;
    }
    return 0;
}

void results_transaction_rollback(nn_results *db) {
    if (!db || !db->in_transaction) return;
    db->in_transaction = 0;
    exec(db, "ROLLBACK", NULL);
}

/* One statement, bound from a compact type string: 'i' int64, 'd' double, 't' text
 * (NULL pointer -> SQL NULL), 'n' SQL NULL. Keeps each logging function to its SQL. */
typedef union bind_value {
    int64_t i;
    double d;
    const char *t;
} bind_value;

static int run_write(nn_results *db, const char *sql, const char *types, const bind_value *v,
                      nn_err *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, err, "cannot prepare statement");
    for (int k = 0; types[k]; k++) {
        switch (types[k]) {
        case 'i': sqlite3_bind_int64(st, k + 1, v[k].i); break;
        case 'd': sqlite3_bind_double(st, k + 1, v[k].d); break;
        case 't':
            if (v[k].t) sqlite3_bind_text(st, k + 1, v[k].t, -1, SQLITE_TRANSIENT);
            else sqlite3_bind_null(st, k + 1);
            break;
        default: sqlite3_bind_null(st, k + 1); break;
        }
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_fail(db, err, "cannot write row");
    return 0;
}

/* The id of the invocation named `token`, creating its row the first time. Two connections
 * of one process may race here: INSERT OR IGNORE lets the second find the first's row. */
static int64_t invocation_id(nn_results *db, const char *token, nn_err *err) {
    /* The program's own name (glibc's, without the directory): what its runs came from. */
    bind_value v[] = {{.t = token}, {.t = program_invocation_short_name}};
    if (run_write(db, "INSERT OR IGNORE INTO invocations (token, program) VALUES (?, ?)", "tt", v,
                  err))
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->conn, "SELECT id FROM invocations WHERE token = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return db_fail(db, err, "cannot prepare statement");
    sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (id < 0) return db_fail(db, err, "cannot read the invocation");
    return id;
}

int64_t results_begin_run(nn_results *db, const nn_run_info *info, nn_err *err) {
    if (!info->chapter || !info->experiment || !info->profile || !info->config_json)
        return nn_fail(err, "%s: a run needs chapter, experiment, profile and config", db->path);
    if (info->seed < 0) return nn_fail(err, "%s: seed must be >= 0", db->path);
    /* Looked up for every run, not cached: a run begun inside a transaction that is rolled
     * back takes the invocation row it created with it. */
    char own[sizeof process_name];
    process_token(own, sizeof own);
    int64_t invocation = invocation_id(db, db->invocation ? db->invocation : own, err);
    if (invocation < 0) return -1;
    const char *commit = getenv("NNLAB_GIT_COMMIT");
    bind_value v[] = {{.t = info->chapter}, {.t = info->experiment}, {.t = info->profile},
                      {.t = info->config_json}, {.i = info->seed},
                      {.t = commit && *commit ? commit : "unknown"},
                      {.i = omp_get_max_threads()}, {.i = invocation}};
    if (run_write(db,
                   "INSERT INTO runs (chapter, experiment, profile, config_json, seed, "
                   "git_commit, threads, invocation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   "ttttitii", v, err))
        return -1;
    return sqlite3_last_insert_rowid(db->conn);
}

int results_set_invocation(nn_results *db, const char *name, nn_err *err) {
    if (name && !name[0]) return nn_fail(err, "%s: an invocation name must not be empty", db->path);
    char *copy = NULL;
    if (name && !(copy = strdup(name))) return nn_fail(err, "%s: out of memory", db->path);
    free(db->invocation);
    db->invocation = copy;
    return 0;
}

int results_finish_run(nn_results *db, int64_t run, const char *error_message, nn_err *err) {
    bind_value v[] = {{.t = error_message ? "failed" : "done"}, {.t = error_message}, {.i = run}};
    if (run_write(db,
                   "UPDATE runs SET status = ?, error = ?, "
                   "finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                   "tti", v, err))
        return -1;
    if (sqlite3_changes(db->conn) != 1)
        return nn_fail(err, "%s: no run with id %lld", db->path, (long long)run);
    return 0;
}

int results_log_epoch(nn_results *db, int64_t run, const nn_epoch_row *r, nn_err *err) {
    bind_value v[] = {{.i = run},       {.i = r->epoch},    {.i = r->step}, {.t = r->split},
                      {.d = r->loss},   {.d = r->accuracy}, {.d = r->lr},   {.d = r->seconds}};
    return run_write(db,
                      "INSERT INTO epochs (run_id, epoch, step, split, loss, accuracy, lr, seconds)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      "iiitdddd", v, err);
}

int results_log_grad(nn_results *db, int64_t run, const nn_grad_row *r, nn_err *err) {
    bind_value v[] = {{.i = run},       {.i = r->epoch}, {.i = r->step},    {.i = r->layer},
                      {.t = r->layer_name}, {.t = r->kind}, {.d = r->max_abs}, {.d = r->l2}};
    return run_write(db,
                      "INSERT INTO grad_stats (run_id, epoch, step, layer, layer_name, kind, "
                      "max_abs, l2) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      "iiiittdd", v, err);
}

int results_log_attack(nn_results *db, int64_t run, const nn_attack_row *r, nn_err *err) {
    bind_value v[] = {{.i = run},      {.i = r->sample},  {.i = r->source}, {.i = r->target},
                      {.t = r->method}, {.d = r->eps},    {.i = r->steps},  {.i = r->success != 0},
                      {.d = r->l2},    {.d = r->linf},    {.d = r->confidence}};
    return run_write(db,
                      "INSERT INTO attacks (run_id, sample, source, target, method, eps, steps, "
                      "success, l2, linf, confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      r->target < 0 ? "iiintdiiddd" : "iiiitdiiddd", v, err);
}

int results_log_timing(nn_results *db, int64_t run, const nn_timing_row *r, nn_err *err) {
    bind_value v[] = {{.i = run},   {.t = r->what},        {.i = r->threads},
                      {.i = r->batch}, {.d = r->ms_per_item}, {.i = r->repeats}};
    return run_write(db,
                      "INSERT INTO timings (run_id, what, threads, batch, ms_per_item, repeats) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      "itiidi", v, err);
}

int results_log_step(nn_results *db, int64_t run, const nn_step_row *r, nn_err *err) {
    bind_value v[] = {{.i = run}, {.t = r->name}, {.i = r->step}, {.i = r->epoch}, {.d = r->value}};
    return run_write(db,
                     "INSERT OR REPLACE INTO step_stats (run_id, name, step, epoch, value) "
                     "VALUES (?, ?, ?, ?, ?)",
                     "itiid", v, err);
}

int results_log_layer(nn_results *db, int64_t run, const nn_layer_row *r, nn_err *err) {
    bind_value v[] = {{.i = run}, {.t = r->name}, {.i = r->layer}, {.i = r->epoch}, {.d = r->value}};
    return run_write(db,
                     "INSERT OR REPLACE INTO layer_stats (run_id, name, layer, epoch, value) "
                     "VALUES (?, ?, ?, ?, ?)",
                     "itiid", v, err);
}

int results_log_metric(nn_results *db, int64_t run, const char *name, double value,
                       nn_err *err) {
    bind_value v[] = {{.i = run}, {.t = name}, {.d = value}};
    return run_write(db, "INSERT OR REPLACE INTO metrics (run_id, name, value) VALUES (?, ?, ?)",
                      "itd", v, err);
}

int results_log_confusion(nn_results *db, int64_t run, int classes, const int64_t *counts,
                          nn_err *err) {
    int own = !db->in_transaction;
    if (own && results_transaction_begin(db, err)) return -1;
    for (int t = 0; t < classes; t++) {
        for (int p = 0; p < classes; p++) {
            bind_value v[] = {{.i = run}, {.i = t}, {.i = p}, {.i = counts[t * classes + p]}};
            if (run_write(db,
                           "INSERT OR REPLACE INTO confusion (run_id, truth, predicted, count) "
                           "VALUES (?, ?, ?, ?)",
                           "iiii", v, err)) {
                if (own) {
                    exec(db, "ROLLBACK", NULL);
                    db->in_transaction = 0;
                }
                return -1;
            }
        }
    }
    return own ? results_transaction_commit(db, err) : 0;
}

int results_log_artifact(nn_results *db, int64_t run, const char *kind, const char *path,
                         const char *sha256, nn_err *err) {
    bind_value v[] = {{.i = run}, {.t = kind}, {.t = path}, {.t = sha256}};
    return run_write(db, "INSERT INTO artifacts (run_id, kind, path, sha256) VALUES (?, ?, ?, ?)",
                      "ittt", v, err);
}
