/* merge-shards.c - merge results databases written elsewhere (cluster jobs' shards) into one.
 *
 *     merge-shards --db db/results.sqlite [--rewrite OLD=NEW] SHARD.sqlite...
 *
 * On a cluster every job writes its own SQLite file on the node's local disk (SQLite must
 * not be shared over a network file system); make then merges each shard into the results
 * database here. The rules:
 *  - Run ids are remapped: a shard's run gets the next free id in the database, and every
 *    row that refers to it (any table with a run_id column, found from the schema, so tables
 *    added by later migrations are merged too) follows it.
 *  - Nothing is lost: every row of every run is copied, in one transaction per shard (all of
 *    a shard or none of it).
 *  - Idempotent: a run already in the database - same chapter, experiment, profile, seed,
 *    configuration, commit and start time (to the millisecond) - is skipped with its rows, so
 *    merging a shard twice, or a shard that began as a copy of the database, adds only what
 *    is new. A run that was 'running' when copied and finished later is updated to its final
 *    status when the shard has it finished.
 *  - Program starts (the invocations table of schema version 3) are merged by their unique
 *    token, and runs point to the database's row of their program start.
 *  - --rewrite OLD=NEW replaces the prefix OLD of artifact paths by NEW (files a job wrote on
 *    its node and that were copied to their final place).
 * Both files must have this build's schema version. Exit 0, or 1 with one line naming the
 * file and the problem. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/results.h"

#define MAX_COLUMNS 64

static void usage(FILE *to) {
    fprintf(to,
            "usage: merge-shards --db RESULTS.sqlite [--rewrite OLD=NEW] SHARD.sqlite...\n"
            "\n"
            "Merge results databases written by cluster jobs into RESULTS.sqlite: run ids\n"
            "remapped, every row kept, runs already present skipped (merging twice adds\n"
            "nothing). --rewrite changes the prefix OLD of artifact paths into NEW.\n");
}

typedef struct merger {
    nn_results *db;
    sqlite3 *conn;
    const char *db_path, *shard;
    const char *old_prefix, *new_prefix;
    long runs_added, runs_updated, rows_added;
} merger;

static int sql_fail(merger *m, nn_err *err, const char *what) {
    return nn_fail(err, "%s: %s: %s", m->shard, what, sqlite3_errmsg(m->conn));
}

static int exec(merger *m, const char *sql, nn_err *err) {
    char *msg = NULL;
    if (sqlite3_exec(m->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        nn_fail(err, "%s: %s", m->shard, msg ? msg : "error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* The columns of table `name` in schema `schema` except `skip` (NULL: none), comma-joined. */
static int columns(merger *m, const char *schema, const char *table, const char *skip,
                   char *out, size_t cap, int *has_run_id, nn_err *err) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info(?1, ?2) ORDER BY cid");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->conn, sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(m, err, "cannot read the schema");
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
    out[0] = '\0';
    *has_run_id = 0;
    size_t len = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);
        if (!strcmp(col, "run_id")) *has_run_id = 1;
        if (skip && !strcmp(col, skip)) continue;
        int n = snprintf(out + len, cap - len, "%s\"%s\"", len ? "," : "", col);
        if (n < 0 || (size_t)n >= cap - len) {
            sqlite3_finalize(st);
            return nn_fail(err, "%s: table %s has too many columns", m->shard, table);
        }
        len += (size_t)n;
    }
    sqlite3_finalize(st);
    return 0;
}

static int schema_version(merger *m, const char *schema, int *v, nn_err *err) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA %s.user_version", schema);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->conn, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return sql_fail(m, err, "not a results database");
    }
    *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

/* Maps every shard run to a database run: a temp table (shard_id, new_id, is_new, refresh).
 * refresh: the run is in the database as 'running' and the shard has it finished. */
static int map_runs(merger *m, nn_err *err) {
    const char *identity = "d.chapter = s.chapter AND d.experiment = s.experiment AND "
                           "d.profile = s.profile AND d.seed = s.seed AND "
                           "d.config_json = s.config_json AND d.git_commit = s.git_commit AND "
                           "d.started_at = s.started_at";
    char sql[1536];
    snprintf(sql, sizeof sql,
             "DROP TABLE IF EXISTS temp.run_map;"
             "CREATE TEMP TABLE run_map (shard_id INTEGER PRIMARY KEY, new_id INTEGER, "
             "                           is_new INTEGER, refresh INTEGER);"
             "INSERT INTO temp.run_map SELECT s.id, "
             "  (SELECT min(d.id) FROM main.runs d WHERE %s), 0, 0 FROM shard.runs s;"
             /* New runs first marked, then numbered after the database's last id in shard
              * order (two steps: the count must not see the ids being assigned). */
             "UPDATE temp.run_map SET is_new = 1 WHERE new_id IS NULL;"
             "UPDATE temp.run_map SET new_id = "
             "  (SELECT coalesce(max(id), 0) FROM main.runs) + "
             "  (SELECT count(*) FROM temp.run_map r2 WHERE r2.is_new "
             "   AND r2.shard_id <= temp.run_map.shard_id) WHERE is_new;"
             "UPDATE temp.run_map SET refresh = 1 WHERE NOT is_new "
             "  AND (SELECT status FROM main.runs WHERE id = new_id) = 'running' "
             "  AND (SELECT status FROM shard.runs WHERE id = shard_id) != 'running';",
             identity);
    return exec(m, sql, err);
}

/* Whether schema `schema` has a table `name`. */
static int has_table(merger *m, const char *schema, const char *name) {
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s.sqlite_master WHERE type = 'table' AND name = ?1",
             schema);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->conn, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* Invocations (schema version 3: one per program start, named by a unique token) are
 * merged by token, so a run's invocation_id is mapped to the database's id of the same
 * program start. */
static int merge_invocations(merger *m, nn_err *err) {
    if (!has_table(m, "shard", "invocations")) return 0;
    /* Schema version 5 added the program's name; a shard from before has none. */
    sqlite3_stmt *st;
    int has_program = 0;
    if (sqlite3_prepare_v2(m->conn,
                           "SELECT 1 FROM pragma_table_info('invocations', 'shard') "
                           "WHERE name = 'program'",
                           -1, &st, NULL) == SQLITE_OK) {
        has_program = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return exec(m,
                has_program ? "INSERT OR IGNORE INTO main.invocations (token, started_at, program) "
                              "SELECT token, started_at, program FROM shard.invocations ORDER BY id"
                            : "INSERT OR IGNORE INTO main.invocations (token, started_at) "
                              "SELECT token, started_at FROM shard.invocations ORDER BY id",
                err);
}

static int copy_runs(merger *m, nn_err *err) {
    char cols[2048], select[2560], sql[6144];
    int has;
    if (merge_invocations(m, err)) return -1;
    if (columns(m, "shard", "runs", "id", cols, sizeof cols, &has, err)) return -1;
    /* The same columns, the invocation mapped through its token. */
    const char *map = "(SELECT mi.id FROM main.invocations mi JOIN shard.invocations si "
                      "ON si.token = mi.token WHERE si.id = s.invocation_id)";
    size_t len = 0;
    select[0] = '\0';
    for (const char *c = cols; *c;) {
        const char *end = strchr(c, ',');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        int is_inv = n == 15 && !strncmp(c, "\"invocation_id\"", 15);
        int w = snprintf(select + len, sizeof select - len, "%s%s%.*s", len ? "," : "",
                         is_inv ? map : "s.", is_inv ? 0 : (int)n, c);
        if (w < 0 || (size_t)w >= sizeof select - len)
            return nn_fail(err, "%s: runs: column list too long", m->shard);
        len += (size_t)w;
        c = end ? end + 1 : c + n;
    }
    snprintf(sql, sizeof sql,
             "INSERT INTO main.runs (id,%s) SELECT r.new_id,%s FROM shard.runs s "
             "JOIN temp.run_map r ON r.shard_id = s.id WHERE r.is_new ORDER BY s.id",
             cols, select);
    if (exec(m, sql, err)) return -1;
    m->runs_added = sqlite3_changes(m->conn);
    /* Runs copied while 'running' that the shard has since finished. */
    if (exec(m,
             "UPDATE main.runs SET (status, finished_at, error) = "
             "  (SELECT s.status, s.finished_at, s.error FROM shard.runs s "
             "   JOIN temp.run_map r ON r.shard_id = s.id WHERE r.new_id = main.runs.id) "
             "WHERE id IN (SELECT new_id FROM temp.run_map WHERE refresh)",
             err))
        return -1;
    m->runs_updated = sqlite3_changes(m->conn);
    return 0;
}

/* Rows of every table with a run_id column, for the runs that are new, and for the runs
 * that were running when copied (their rows since then: all rows of the shard's run replace
 * the database's). */
static int copy_rows(merger *m, nn_err *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->conn,
                           "SELECT name FROM shard.sqlite_master WHERE type = 'table' "
                           "AND name NOT IN ('runs') AND name NOT LIKE 'sqlite_%' ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(m, err, "cannot list tables");
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        char table[128];
        snprintf(table, sizeof table, "%s", (const char *)sqlite3_column_text(st, 0));
        char cols[2048], sql[8192];
        int has_run_id = 0;
        if ((rc = columns(m, "shard", table, NULL, cols, sizeof cols, &has_run_id, err))) break;
        if (!has_run_id) continue; /* a table not about runs (none today) is left alone */
        char select[2048];
        /* The same columns, with run_id replaced by the mapped id. */
        size_t len = 0;
        select[0] = '\0';
        for (const char *c = cols; *c;) {
            const char *end = strchr(c, ',');
            size_t n = end ? (size_t)(end - c) : strlen(c);
            int is_run = n == 8 && !strncmp(c, "\"run_id\"", 8);
            int w = snprintf(select + len, sizeof select - len, "%s%s%.*s", len ? "," : "",
                             is_run ? "r.new_id" : "t.", is_run ? 0 : (int)n, c);
            if (w < 0 || (size_t)w >= sizeof select - len) {
                rc = nn_fail(err, "%s: table %s: column list too long", m->shard, table);
                break;
            }
            len += (size_t)w;
            c = end ? end + 1 : c + n;
        }
        if (rc) break;
        /* Runs that were running in the database: drop their rows there first, then copy
         * the shard's (which hold everything the run wrote). */
        snprintf(sql, sizeof sql,
                 "DELETE FROM main.\"%s\" WHERE run_id IN "
                 "  (SELECT new_id FROM temp.run_map WHERE refresh);"
                 "INSERT INTO main.\"%s\" (%s) SELECT %s FROM shard.\"%s\" t "
                 "JOIN temp.run_map r ON r.shard_id = t.run_id WHERE r.is_new OR r.refresh",
                 table, table, cols, select, table);
        if ((rc = exec(m, sql, err))) break;
        m->rows_added += sqlite3_changes(m->conn);
    }
    sqlite3_finalize(st);
    return rc;
}

static int rewrite_artifacts(merger *m, nn_err *err) {
    if (!m->old_prefix) return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->conn,
                           "UPDATE main.artifacts SET path = ?2 || substr(path, length(?1) + 1) "
                           "WHERE substr(path, 1, length(?1)) = ?1 AND run_id IN "
                           "(SELECT new_id FROM temp.run_map)",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(m, err, "cannot rewrite artifact paths");
    sqlite3_bind_text(st, 1, m->old_prefix, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->new_prefix, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sql_fail(m, err, "cannot rewrite artifact paths");
    sqlite3_finalize(st);
    return rc;
}

static int merge_one(merger *m, nn_err *err) {
    /* ATTACH would create a missing file: refuse it first. */
    FILE *f = fopen(m->shard, "rb");
    if (!f) return nn_fail(err, "%s: cannot open: %s", m->shard, strerror(errno));
    fclose(f);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(m->conn, "ATTACH DATABASE ?1 AS shard", -1, &st, NULL) != SQLITE_OK)
        return sql_fail(m, err, "cannot attach");
    sqlite3_bind_text(st, 1, m->shard, -1, SQLITE_STATIC);
    int ok = sqlite3_step(st) == SQLITE_DONE;
    sqlite3_finalize(st);
    if (!ok) return sql_fail(m, err, "cannot open the shard");
    int v_db, v_shard, rc = -1;
    if (schema_version(m, "main", &v_db, err) || schema_version(m, "shard", &v_shard, err))
        goto detach;
    if (v_shard != v_db) {
        nn_fail(err, "%s: schema version %d, but %s has %d (merge with the same nnlab build)",
                m->shard, v_shard, m->db_path, v_db);
        goto detach;
    }
    if (results_transaction_begin(m->db, err)) goto detach;
    if (map_runs(m, err) || copy_runs(m, err) || copy_rows(m, err) || rewrite_artifacts(m, err) ||
        results_transaction_commit(m->db, err)) {
        results_transaction_rollback(m->db);
        goto detach;
    }
    rc = 0;
detach:
    exec(m, "DETACH DATABASE shard", NULL);
    return rc;
}

int main(int argc, char **argv) {
    const char *db_path = NULL;
    char *rewrite = NULL;
    int first = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return usage(stdout), 0;
        if (!strcmp(argv[i], "--db") && i + 1 < argc) db_path = argv[++i];
        else if (!strcmp(argv[i], "--rewrite") && i + 1 < argc) rewrite = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "merge-shards: unknown option '%s' (try --help)\n", argv[i]);
            return 2;
        } else {
            first = i;
            break;
        }
    }
    if (!db_path || first >= argc) {
        fprintf(stderr, "merge-shards: --db and at least one shard are required (try --help)\n");
        return 2;
    }
    merger m = {.db_path = db_path};
    if (rewrite) {
        char *eq = strchr(rewrite, '=');
        if (!eq || eq == rewrite) {
            fprintf(stderr, "merge-shards: --rewrite needs OLD=NEW, not '%s'\n", rewrite);
            return 2;
        }
        *eq = '\0';
        m.old_prefix = rewrite, m.new_prefix = eq + 1;
    }
    nn_err err = {{0}};
    if (!(m.db = results_open(db_path, &err))) {
        fprintf(stderr, "merge-shards: %s\n", err.msg);
        return 1;
    }
    m.conn = results_handle(m.db);
    int rc = 0;
    for (int i = first; i < argc && rc == 0; i++) {
        m.shard = argv[i];
        m.runs_added = m.runs_updated = m.rows_added = 0;
        if (merge_one(&m, &err)) {
            fprintf(stderr, "merge-shards: %s\n", err.msg);
            rc = 1;
        } else {
            printf("merge-shards: %s: %ld runs added, %ld finished since copied, %ld rows\n",
                   m.shard, m.runs_added, m.runs_updated, m.rows_added);
        }
    }
    results_close(m.db);
    return rc;
}
