/* prose.c - plural(), join_list() and join_values() for chapter templates (see prose.h). */
#include "render/prose.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "render/sci.h"

/* A value as the filler writes it; NULL for a NULL (or a BLOB, which has no text). */
static const char *as_text(sqlite3_value *v, char *buf, size_t cap) {
    switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
        snprintf(buf, cap, "%lld", (long long)sqlite3_value_int64(v));
        return buf;
    case SQLITE_FLOAT:
        sci_format_real(sqlite3_value_double(v), buf, cap);
        return buf;
    case SQLITE_TEXT:
        return (const char *)sqlite3_value_text(v);
    default:
        return NULL;
    }
}

/* ---- plural(n, singular [, plural]) and noun(n, singular [, plural]) ------------------- */

/* Both: with the count (user data non-NULL: plural()) or the noun alone (noun()). */
static void count_noun(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    int with_count = sqlite3_user_data(ctx) != NULL;
    const char *fn = with_count ? "plural" : "noun";
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return;
        }
    char count[SCI_REAL_MAX];
    const char *n = count;
    if (sqlite3_value_type(argv[0]) == SQLITE_FLOAT) {
        double x = sqlite3_value_double(argv[0]);
        if (x != floor(x) || fabs(x) > 1e15) {
            char msg[128];
            sci_format_real(x, count, sizeof count);
            snprintf(msg, sizeof msg,
                     "%s(): the count %s is not a whole number (format it with printf() "
                     "first)",
                     fn, count);
            sqlite3_result_error(ctx, msg, -1);
            return;
        }
        snprintf(count, sizeof count, "%.0f", x);
    } else {
        n = as_text(argv[0], count, sizeof count);
    }
    const char *one = (const char *)sqlite3_value_text(argv[1]);
    const char *many = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL;
    if (!n || !one || !one[0] || (argc > 2 && (!many || !many[0]))) {
        char msg[64];
        snprintf(msg, sizeof msg, "%s(): %s", fn, n ? "the noun is empty" : "no count");
        sqlite3_result_error(ctx, msg, -1);
        return;
    }
    const char *noun = strcmp(n, "1") == 0 ? one : many;
    char *s = noun ? sqlite3_mprintf("%s%s%s", with_count ? n : "", with_count ? " " : "", noun)
                   : sqlite3_mprintf("%s%s%ss", with_count ? n : "", with_count ? " " : "", one);
    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, s, -1, sqlite3_free);
}

/* ---- join_list(x [, conjunction]) ------------------------------------------------------- */

/* The aggregate's state: every item but the last joined by ", ", the last kept apart
 * until we know it is the last (it gets " and " instead). */
typedef struct list_state {
    sqlite3_str *head;
    char *last;      /* sqlite3_malloc'd */
    char *conj;      /* sqlite3_malloc'd; NULL: "and" */
    long items;
    int failed;
} list_state;

static void list_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    list_state *st = sqlite3_aggregate_context(ctx, sizeof *st);
    if (!st) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (st->failed) return;
    st->items++;
    char buf[SCI_REAL_MAX], msg[96];
    const char *item = as_text(argv[0], buf, sizeof buf);
    if (!item) {
        st->failed = 1;
        snprintf(msg, sizeof msg, "join_list(): a %s item (row %ld)",
                 sqlite3_value_type(argv[0]) == SQLITE_NULL ? "NULL" : "BLOB", st->items);
        sqlite3_result_error(ctx, msg, -1);
        return;
    }
    if (argc > 1 && !st->conj) {
        const char *c = (const char *)sqlite3_value_text(argv[1]);
        st->conj = sqlite3_mprintf("%s", c ? c : "and");
    }
    if (!st->head) st->head = sqlite3_str_new(NULL);
    if (st->last) {
        if (sqlite3_str_length(st->head) > 0) sqlite3_str_appendall(st->head, ", ");
        sqlite3_str_appendall(st->head, st->last);
        sqlite3_free(st->last);
    }
    st->last = sqlite3_mprintf("%s", item);
    if (!st->last || sqlite3_str_errcode(st->head) || (argc > 1 && !st->conj)) {
        st->failed = 1;
        sqlite3_result_error_nomem(ctx);
    }
}

static void list_final(sqlite3_context *ctx) {
    list_state *st = sqlite3_aggregate_context(ctx, 0);
    if (!st || st->items == 0) {
        sqlite3_result_null(ctx); /* zero rows: like group_concat, NULL, which is refused */
        return;
    }
    char *head = sqlite3_str_finish(st->head);
    if (!st->failed) {
        char *s = head && head[0]
                      ? sqlite3_mprintf("%s %s %s", head, st->conj ? st->conj : "and", st->last)
                      : sqlite3_mprintf("%s", st->last);
        if (s) sqlite3_result_text(ctx, s, -1, sqlite3_free);
        else sqlite3_result_error_nomem(ctx);
    }
    sqlite3_free(head);
    sqlite3_free(st->last);
    sqlite3_free(st->conj);
}

/* ---- join_values(a, b, ...) ------------------------------------------------------------- */

static void join_values(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    if (argc < 2) {
        sqlite3_result_error(ctx, "join_values(): needs at least two values", -1);
        return;
    }
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return;
        }
    char first_buf[SCI_REAL_MAX], buf[SCI_REAL_MAX];
    const char *first = as_text(argv[0], first_buf, sizeof first_buf);
    int same = first != NULL;
    for (int i = 1; same && i < argc; i++) {
        const char *v = as_text(argv[i], buf, sizeof buf);
        same = v && strcmp(v, first) == 0;
    }
    sqlite3_str *s = sqlite3_str_new(NULL);
    if (same) {
        sqlite3_str_appendf(s, "%s %s", argc == 2 ? "both" : "all", first);
    } else {
        for (int i = 0; i < argc; i++) {
            const char *v = as_text(argv[i], buf, sizeof buf);
            if (!v) {
                sqlite3_free(sqlite3_str_finish(s));
                sqlite3_result_error(ctx, "join_values(): a BLOB value", -1);
                return;
            }
            sqlite3_str_appendf(s, "%s%s", i == 0 ? "" : i == argc - 1 ? " and " : ", ", v);
        }
    }
    int rc = sqlite3_str_errcode(s);
    char *text = sqlite3_str_finish(s);
    if (rc != SQLITE_OK || !text) {
        sqlite3_free(text);
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, text, -1, sqlite3_free);
}

int prose_install(sqlite3 *db) {
    const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    static int with_count = 1;
    int rc = SQLITE_OK;
    for (int n = 2; rc == SQLITE_OK && n <= 3; n++) {
        rc = sqlite3_create_function(db, "plural", n, flags, &with_count, count_noun, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_create_function(db, "noun", n, flags, NULL, count_noun, NULL, NULL);
    }
    for (int n = 1; rc == SQLITE_OK && n <= 2; n++)
        rc = sqlite3_create_function(db, "join_list", n, flags, NULL, NULL, list_step,
                                     list_final);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "join_values", -1, flags, NULL, join_values, NULL,
                                     NULL);
    return rc;
}
