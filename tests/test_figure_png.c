/* test_figure_png.c - a canvas written as a chapter's PNG figure and recorded as an artifact
 * with the file's SHA-256; a directory that cannot be made is an error naming it. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/sha256.h"
#include "lab/figure_png.h"

Test(figure_png, writes_the_file_and_records_its_checksum) {
    char dir[] = "/tmp/nnlab-figpng-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char db_path[256], fig_dir[256], png[512];
    snprintf(db_path, sizeof db_path, "%s/r.sqlite", dir);
    snprintf(fig_dir, sizeof fig_dir, "%s/figures", dir); /* not there yet: made on demand */
    nn_err err = {{0}};
    nn_results *db = results_open(db_path, &err);
    cr_assert_not_null(db, "%s", err.msg);
    int64_t run = results_begin_run(db, &(nn_run_info){"07-quiz", "t", "smoke", "{}", 1}, &err);
    nn_canvas c;
    cr_assert_eq(canvas_init(&c, 1, 2, 3, 3, 2, 1, &err), 0);
    float img[9] = {0, 0.5f, 1, 1, 0.5f, 0, 0, 0, 1};
    canvas_put_gray(&c, 0, 1, img);
    cr_assert_eq(figure_write_png(db, run, fig_dir, "07-quiz", "grid", &c, &err), 0, "%s", err.msg);
    snprintf(png, sizeof png, "%s/07-quiz-grid.png", fig_dir);
    char hex[SHA256_HEX_SIZE];
    cr_assert_eq(sha256_file_hex(png, hex, &err), 0, "%s", err.msg);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(results_handle(db), "SELECT kind, path, sha256 FROM artifacts", -1, &st,
                       NULL);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "image");
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 1), png);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 2), hex);
    sqlite3_finalize(st);
    /* A second figure in the now existing directory is fine too. */
    cr_assert_eq(figure_write_png(db, run, fig_dir, "07-quiz", "other", &c, &err), 0, "%s",
                 err.msg);
    canvas_free(&c);
    results_close(db);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(figure_png, a_directory_that_cannot_be_made_is_named) {
    nn_err err = {{0}};
    nn_canvas c;
    cr_assert_eq(canvas_init(&c, 1, 1, 2, 2, 1, 0, &err), 0);
    int rc = figure_write_png(NULL, 1, "/nonexistent-nnlab/a/b", "07-quiz", "x", &c, &err);
    cr_assert_eq(rc, -1);
    cr_assert(strstr(err.msg, "/nonexistent-nnlab/a/b"), "%s", err.msg);
    canvas_free(&c);
}
