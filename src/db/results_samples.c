/* results_samples.c - sample images in the results database (see results_samples.h). */
#include "db/results_samples.h"

#include <sqlite3.h>

static int sql_fail(sqlite3 *conn, nn_err *err, const char *what) {
    return nn_fail(err, "%s: %s: %s", sqlite3_db_filename(conn, "main"), what,
                   sqlite3_errmsg(conn));
}

int results_log_sample_image(nn_results *db, int64_t run, const char *set_name, int sample,
                             int label, int h, int w, const uint8_t *pixels, nn_err *err) {
    if (!set_name || h < 1 || w < 1 || !pixels)
        return nn_fail(err, "sample image: needs a set name, a size and pixels");
    sqlite3 *conn = results_handle(db);
    /* Outside a transaction every row would be its own commit: wrap the image in one. */
    int own = sqlite3_get_autocommit(conn);
    if (own && sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sql_fail(conn, err, "cannot begin a transaction");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(conn,
                           "INSERT INTO samples (run_id, set_name, sample, label, y, x, value) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK) {
        sql_fail(conn, err, "cannot prepare the sample insert");
        if (own) sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    int rc = 0;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, set_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, sample);
    if (label >= 0) sqlite3_bind_int(st, 4, label);
    else sqlite3_bind_null(st, 4);
    for (int y = 0; y < h && !rc; y++)
        for (int x = 0; x < w && !rc; x++) {
            sqlite3_bind_int(st, 5, y);
            sqlite3_bind_int(st, 6, x);
            sqlite3_bind_double(st, 7, pixels[(size_t)y * w + x] / 255.0);
            if (sqlite3_step(st) != SQLITE_DONE) rc = sql_fail(conn, err, "cannot write sample");
            sqlite3_reset(st);
        }
    sqlite3_finalize(st);
    if (own) {
        if (rc) sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
        else if (sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            sql_fail(conn, err, "cannot commit the sample");
            sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
            rc = -1;
        }
    }
    return rc;
}
