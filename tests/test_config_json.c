/* test_config_json.c - the configuration builder writes JSON that SQLite's own JSON
 * functions read back, escapes what must be escaped and says when it ran out of room. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "lab/config_json.h"

/* json_extract(text, path) through SQLite, which rejects malformed JSON. */
static char *extract(const char *json, const char *path) {
    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT json_valid(?1), json_extract(?1, ?2)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_eq(sqlite3_column_int(st, 0), 1, "not valid JSON: %s", json);
    const unsigned char *v = sqlite3_column_text(st, 1);
    char *out = strdup(v ? (const char *)v : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static void expect_at(const char *json, const char *path, const char *want) {
    char *v = extract(json, path);
    cr_assert_str_eq(v, want, "%s in %s", path, json);
    free(v);
}

Test(config_json, every_kind_of_value_reads_back) {
    nn_json j;
    json_begin(&j);
    json_str(&j, "model", "res\"net\\\n");
    json_int(&j, "epochs", 30);
    json_num(&j, "lr", 0.1f);
    json_num(&j, "third", 1.0 / 3);
    json_bool(&j, "flip", 1);
    json_raw(&j, "hidden", "[500,200]");
    json_num(&j, "bad", NAN);
    json_str(&j, "none", NULL);
    const char *s = json_end(&j);
    cr_assert_not_null(s);
    expect_at(s, "$.model", "res\"net\\\n");
    expect_at(s, "$.epochs", "30");
    expect_at(s, "$.lr", "0.1");
    expect_at(s, "$.flip", "1");
    cr_assert(strstr(s, "\"third\":0.3333333333333333,") != NULL, "a double keeps its 16 digits: %s", s);
    expect_at(s, "$.hidden[1]", "200");
    expect_at(s, "$.bad", "(null)");
    expect_at(s, "$.none", "(null)");
}

Test(config_json, an_empty_object_is_valid) {
    nn_json j;
    json_begin(&j);
    cr_assert_str_eq(json_end(&j), "{}");
}

Test(config_json, overflow_is_reported_not_truncated_silently) {
    nn_json j;
    json_begin(&j);
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 5; i++) json_str(&j, "k", big);
    cr_assert_null(json_end(&j));
}

Test(config_json, training_sizes_use_the_names_every_chapter_queries) {
    nn_json j;
    json_begin(&j);
    json_str(&j, "model", "mlp");
    json_training(&j, 60000, 10000, 3, 64);
    const char *text = json_end(&j);
    cr_assert_not_null(text);
    const char *keys[] = {"$.train_n", "$.test_n", "$.epochs", "$.batch"};
    const char *want[] = {"60000", "10000", "3", "64"};
    for (int i = 0; i < 4; i++) {
        char *got = extract(text, keys[i]);
        cr_assert_str_eq(got, want[i], "%s in %s", keys[i], text);
        free(got);
    }
}
