/* test_template_oom.c - the filler under allocation failure: whichever allocation fails, the
 * template either fills completely or fails with "out of memory" and writes nothing. Never
 * success with a piece missing (write_table used to drop a table and report success).
 *
 * The seam: this file compiles src/render/template.c itself with its allocators renamed to
 * counting wrappers that fail the k-th call, then fills one template for every k until a run
 * needs fewer than k allocations. (The program then has its own copy of the filler and of
 * sci.c, so the ones in libnn.a are not linked in.) */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static long alloc_calls, fail_at_call = -1;

/* Counts one allocation; 1 when this one must fail. */
static int alloc_fails(void) {
    return alloc_calls++ == fail_at_call;
}
static void *oom_malloc(size_t n) {
    return alloc_fails() ? NULL : malloc(n);
}
static void *oom_calloc(size_t n, size_t size) {
    return alloc_fails() ? NULL : calloc(n, size);
}
static void *oom_realloc(void *p, size_t n) {
    return alloc_fails() ? NULL : realloc(p, n);
}
static char *oom_strndup(const char *s, size_t n) {
    return alloc_fails() ? NULL : strndup(s, n);
}
static FILE *oom_open_memstream(char **buf, size_t *len) {
    if (alloc_fails()) {
        errno = ENOMEM;
        return NULL;
    }
    return open_memstream(buf, len);
}

#define malloc oom_malloc
#define calloc oom_calloc
#define realloc oom_realloc
#define strndup oom_strndup
#define open_memstream oom_open_memstream
#include "render/template.c"
#include "render/sci.c" /* every value passes through sci_rewrite's memory stream */
#undef malloc
#undef calloc
#undef realloc
#undef strndup
#undef open_memstream

static const char *const chapter =
    "# A chapter\n"
    "Accuracy {{ SELECT printf('%.2f', 100 * value) FROM m WHERE name = 'acc' }}% and\n"
    "`{{ code }}` left alone.\n"
    "\n"
    "```{.sql-table caption=\"Depths up to {{ SELECT max(d) FROM t }}.\" null=\"-\"}\n"
    "SELECT d AS \"Depth\", note AS \"Note\" FROM t ORDER BY d\n"
    "```\n"
    "After the table.\n"
    "```c\nint x = 1;\n```\n"
    "Bare class:\n"
    "```sql-table\nSELECT d FROM t WHERE d < 3 ORDER BY d\n```\n";

static const char *const want =
    "# A chapter\n"
    "Accuracy 97.51% and\n"
    "`{{ code }}` left alone.\n"
    "\n"
    "| Depth | Note    |\n"
    "|------:|:--------|\n"
    "|     1 | shallow |\n"
    "|     2 | -       |\n"
    "|    40 | deep    |\n"
    "\n"
    "Table: Depths up to 40.\n"
    "\n"
    "After the table.\n"
    "```c\nint x = 1;\n```\n"
    "Bare class:\n"
    "\n"
    "|   d |\n"
    "|----:|\n"
    "|   1 |\n"
    "|   2 |\n";

Test(template_oom, every_allocation_failure_fails_the_whole_template_or_nothing_fails) {
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "CREATE TABLE m(name TEXT, value REAL);"
                              "INSERT INTO m VALUES ('acc', 0.97514);"
                              "CREATE TABLE t(d INTEGER, note TEXT);"
                              "INSERT INTO t VALUES (1, 'shallow'), (2, NULL), (40, 'deep');",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    long failures_seen = 0;
    for (long k = 0;; k++) {
        alloc_calls = 0;
        fail_at_call = k;
        char *buf = NULL;
        FILE *out = tmpfile(); /* not counted: the caller's stream */
        cr_assert_not_null(out);
        nn_err err = {{0}};
        int rc = template_fill(db, "oom.md", chapter, out, &err);
        long calls = alloc_calls;
        fail_at_call = -1;
        long written = ftell(out);
        if (rc == 0) {
            buf = calloc(1, (size_t)written + 1);
            rewind(out);
            cr_assert_eq(fread(buf, 1, (size_t)written, out), (size_t)written);
        }
        fclose(out);
        if (k >= calls) { /* no allocation failed: the normal, complete output */
            cr_assert_eq(rc, 0, "%s", err.msg);
            cr_assert_str_eq(buf, want);
            free(buf);
            break;
        }
        failures_seen++;
        cr_assert_eq(rc, -1, "allocation %ld of %ld failed, yet the template 'filled':\n%s", k,
                     calls, buf ? buf : "");
        cr_assert(strstr(err.msg, "out of memory") || strstr(err.msg, "cannot allocate"),
                  "allocation %ld: message '%s'", k, err.msg);
        cr_assert(strncmp(err.msg, "oom.md", 6) == 0, "the message names the template: %s",
                  err.msg);
        cr_assert_eq(written, 0, "allocation %ld: a failing template wrote %ld bytes", k, written);
    }
    cr_assert_gt(failures_seen, 10, "the seam reached only %ld allocations", failures_seen);
    sqlite3_close(db);
}
