/* test_template.c - the placeholder filler: values, tables, what it leaves alone, and every
 * way a template can fail (each failure must name file:line and write nothing). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render/template.h"

static sqlite3 *db;

static void open_db(void) {
    cr_assert_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    const char *schema =
        "CREATE TABLE metrics(name TEXT, value REAL);"
        "INSERT INTO metrics VALUES ('acc', 0.97514), ('loss', 0.0812345), ('big', 1234567.0),"
        "  ('nothing', NULL);"
        "CREATE TABLE depth(d INTEGER, acc REAL, note TEXT);"
        "INSERT INTO depth VALUES (1, 0.95, 'shallow'), (2, 0.97, 'deeper'), (10, 0.9712, 'a|b');"
        "CREATE TABLE blobs(b BLOB); INSERT INTO blobs VALUES (x'00ff');";
    cr_assert_eq(sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK);
}

static void close_db(void) {
    sqlite3_close(db);
}

/* Fills `text` and returns the output (malloc'd; "" on failure) and the status in *rc. */
static char *fill(const char *text, int *rc, nn_err *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cr_assert(out);
    *rc = template_fill(db, "ch/chapter.md", text, out, err);
    fclose(out);
    return buf;
}

/* Fills `text`, which must succeed, and compares the whole output. */
static void expect_output(const char *text, const char *want) {
    nn_err err = {{0}};
    int rc;
    char *got = fill(text, &rc, &err);
    cr_assert_eq(rc, 0, "unexpected failure: %s", err.msg);
    cr_assert_str_eq(got, want);
    free(got);
}

/* Fills `text`, which must fail with exactly `want` and write nothing. */
static void expect_error(const char *text, const char *want) {
    nn_err err = {{0}};
    int rc;
    char *got = fill(text, &rc, &err);
    cr_assert_eq(rc, -1, "expected failure, got output:\n%s", got);
    cr_assert_str_eq(got, "", "a failing template must write nothing");
    cr_assert_str_eq(err.msg, want);
    free(got);
}

TestSuite(template, .init = open_db, .fini = close_db);

/* ---- inline values ------------------------------------------------------------------ */

Test(template, text_without_placeholders_is_unchanged) {
    const char *t = "# Title\n\nPlain *text*, braces { } and } }, a lone {.\n";
    expect_output(t, t);
    expect_output("", "");
    expect_output("no final newline", "no final newline");
}

Test(template, integer_value_prints_as_integer) {
    expect_output("n = {{ SELECT count(*) FROM depth }}.\n", "n = 3.\n");
    expect_output("{{SELECT -12345678901}}", "-12345678901");
}

Test(template, real_value_prints_with_four_significant_digits) {
    expect_output("loss {{ SELECT value FROM metrics WHERE name = 'loss' }}\n", "loss 0.08123\n");
    /* ... but never in C's exponent form: a power of ten in maths instead (test_sci.c). */
    expect_output("{{ SELECT value FROM metrics WHERE name = 'big' }}", "$1.235 \\times 10^{6}$");
    expect_output("{{ SELECT 2.0 }}", "2");
}

Test(template, text_value_is_copied) {
    expect_output("deepest is {{ SELECT note FROM depth WHERE d = 2 }}.", "deepest is deeper.");
}

Test(template, sql_formatted_value_keeps_its_digits) {
    expect_output("{{ SELECT printf('%.2f', 100*value) FROM metrics WHERE name = 'acc' }}%",
                  "97.51%");
    expect_output("{{ SELECT printf('%.3f', 2.0) }}", "2.000");
}

Test(template, several_placeholders_on_one_line) {
    expect_output("{{SELECT 1}}, {{SELECT 2}} and {{ SELECT 'three' }}{{SELECT 4}}!\n",
                  "1, 2 and three4!\n");
}

Test(template, multi_line_placeholder) {
    expect_output("best:\n{{ SELECT max(d)\n     FROM depth\n    WHERE acc > 0.96 }} layers\nend\n",
                  "best:\n10 layers\nend\n");
}

Test(template, placeholder_inside_math_and_with_trailing_semicolon_or_comment) {
    expect_output("$\\eta = {{ SELECT 0.5; }}$", "$\\eta = 0.5$");
    expect_output("{{ SELECT 3 -- the answer\n }}", "3");
}

/* ---- numbers and words as people write them ----------------------------------------- */

Test(template, exponent_form_is_written_as_a_power_of_ten) {
    expect_output("rate {{ SELECT 1e-5 }}.", "rate $10^{-5}$.");
    expect_output("rate {{ SELECT printf('%.1e', 0.00025) }}.", "rate $2.5 \\times 10^{-4}$.");
    expect_output("{{ SELECT printf('%g', 0.00001234) }}", "$1.234 \\times 10^{-5}$");
    /* inside the template's maths, no dollars of its own */
    expect_output("$\\eta = {{ SELECT printf('%.0e', 0.001) }}$", "$\\eta = 10^{-3}$");
    /* a small number the query printed without exponent stays as printed */
    expect_output("{{ SELECT printf('%.5f', 0.00001234) }}", "0.00001");
}

Test(template, exponent_form_in_a_table_is_a_right_aligned_power_of_ten) {
    expect_output("```{.sql-table}\n"
                  "SELECT name AS \"Name\", printf('%.1e', value) AS \"Value\" FROM metrics\n"
                  " WHERE name IN ('loss', 'big') ORDER BY name\n"
                  "```\n",
                  "| Name |                Value |\n"
                  "|:-----|---------------------:|\n"
                  "| big  |  $1.2 \\times 10^{6}$ |\n"
                  "| loss | $8.1 \\times 10^{-2}$ |\n");
}

Test(template, plural_chooses_the_nouns_form_from_the_count) {
    expect_output("with {{ SELECT plural(1, 'thread') }}", "with 1 thread");
    expect_output("with {{ SELECT plural(4, 'thread') }}", "with 4 threads");
    expect_output("with {{ SELECT plural(0, 'epoch') }}", "with 0 epochs");
    expect_output("{{ SELECT plural(count(*), 'child', 'children') FROM depth }}", "3 children");
    expect_output("{{ SELECT plural(1, 'child', 'children') }}", "1 child");
    expect_output("{{ SELECT plural(2.0, 'run') }}", "2 runs");
    /* a count the query formatted is written as formatted; only "1" is singular */
    expect_output("{{ SELECT plural(printf('%,d', 12000), 'image') }}", "12,000 images");
    expect_output("{{ SELECT plural(printf('%.1f', 1.0), 'minute') }}", "1.0 minutes");
    expect_output("{{ SELECT plural('1', 'minute') }}", "1 minute");
    /* in a table cell, through SQL's || */
    expect_output("```{.sql-table}\nSELECT 'batch 64, ' || plural(d, 'thread') AS \"Setting\" "
                  "FROM depth WHERE d < 3 ORDER BY d\n```\n",
                  "| Setting             |\n"
                  "|:--------------------|\n"
                  "| batch 64, 1 thread  |\n"
                  "| batch 64, 2 threads |\n");
}

/* The noun alone, when the count is written elsewhere or not at all. */
Test(template, noun_is_the_nouns_form_without_the_count) {
    expect_output("git {{ SELECT noun(1, 'commit') }}", "git commit");
    expect_output("git {{ SELECT noun(2, 'commit') }}", "git commits");
    expect_output("{{ SELECT noun(3, 'child', 'children') }}", "children");
    expect_output("{{ SELECT noun('1', 'image') }}", "image");
    expect_error("{{ SELECT noun(NULL, 'image') }}", "ch/chapter.md:1: NULL value: SELECT noun(NULL, 'image')");
}

Test(template, plural_refuses_what_it_cannot_count) {
    expect_error("{{ SELECT plural(max(d), 'layer') FROM depth WHERE d > 99 }}",
                 "ch/chapter.md:1: NULL value: "
                 "SELECT plural(max(d), 'layer') FROM depth WHERE d > 99");
    expect_error("{{ SELECT plural(2.5, 'epoch') }}",
                 "ch/chapter.md:1: SQL error: plural(): the count 2.5 is not a whole number "
                 "(format it with printf() first): SELECT plural(2.5, 'epoch')");
    expect_error("{{ SELECT plural(3, '') }}",
                 "ch/chapter.md:1: SQL error: plural(): the noun is empty: SELECT plural(3, '')");
    expect_error("{{ SELECT plural(3) }}",
                 "ch/chapter.md:1: SQL error: wrong number of arguments to function plural(): "
                 "SELECT plural(3)");
}

Test(template, join_list_joins_rows_as_people_write_them) {
    expect_output("{{ SELECT join_list(note) FROM (SELECT note FROM depth WHERE d = 1) }}",
                  "shallow");
    expect_output("{{ SELECT join_list(note) FROM (SELECT note FROM depth WHERE d < 3 ORDER BY d) }}",
                  "shallow and deeper");
    expect_output("{{ SELECT join_list(d) FROM (SELECT d FROM depth ORDER BY d DESC) }}",
                  "10, 2 and 1");
    expect_output("{{ SELECT join_list(d, 'or') FROM (SELECT d FROM depth ORDER BY d) }}",
                  "1, 2 or 10");
    expect_output("{{ SELECT join_list(DISTINCT x) FROM (SELECT 'a' AS x UNION ALL SELECT 'b' "
                  "UNION ALL SELECT 'a') }}",
                  "a and b");
    expect_output("{{ SELECT join_list(acc) FROM (SELECT acc FROM depth ORDER BY d) }}",
                  "0.95, 0.97 and 0.9712");
}

Test(template, join_list_over_nothing_or_a_null_is_refused) {
    expect_error("{{ SELECT join_list(note) FROM depth WHERE d > 99 }}",
                 "ch/chapter.md:1: NULL value: SELECT join_list(note) FROM depth WHERE d > 99");
    expect_error("{{ SELECT join_list(value) FROM metrics }}",
                 "ch/chapter.md:1: SQL error: join_list(): a NULL item (row 4): "
                 "SELECT join_list(value) FROM metrics");
}

Test(template, join_values_says_equal_values_once) {
    expect_output("both at {{ SELECT join_values('11.35%', '11.40%') }}", "both at 11.35% and 11.40%");
    expect_output("{{ SELECT join_values(printf('%.2f%%', 11.351), printf('%.2f%%', 11.349)) }}",
                  "both 11.35%");
    expect_output("{{ SELECT join_values(3, 3, 3) }}", "all 3");
    expect_output("{{ SELECT join_values(1, 2, 3) }}", "1, 2 and 3");
    expect_output("{{ SELECT join_values(1, 1, 3) }}", "1, 1 and 3");
    expect_output("{{ SELECT join_values(0.5, 0.50) }}", "both 0.5");
    expect_error("{{ SELECT join_values(1, NULL) }}",
                 "ch/chapter.md:1: NULL value: SELECT join_values(1, NULL)");
    expect_error("{{ SELECT join_values(1) }}",
                 "ch/chapter.md:1: SQL error: join_values(): needs at least two values: "
                 "SELECT join_values(1)");
}

/* ---- tables ------------------------------------------------------------------------- */

Test(template, table_has_header_alignment_and_values) {
    expect_output("Before.\n"
                  "```{.sql-table}\n"
                  "SELECT d AS \"Depth\", printf('%.2f', 100*acc) AS \"Test accuracy (%)\",\n"
                  "       note AS Note, acc\n"
                  "  FROM depth ORDER BY d\n"
                  "```\n"
                  "\n"
                  "After.\n",
                  "Before.\n"
                  "\n"
                  "| Depth | Test accuracy (%) | Note    |    acc |\n"
                  "|------:|------------------:|:--------|-------:|\n"
                  "|     1 |             95.00 | shallow |   0.95 |\n"
                  "|     2 |             97.00 | deeper  |   0.97 |\n"
                  "|    10 |             97.12 | a\\|b    | 0.9712 |\n"
                  "\n"
                  "After.\n");
}

Test(template, table_caption_may_hold_placeholders) {
    expect_output("```{.sql-table caption=\"Depths (best: {{SELECT max(acc) FROM depth}})\"}\n"
                  "SELECT d FROM depth WHERE d < 3\n"
                  "```\n"
                  "Text right after.\n",
                  "|   d |\n"
                  "|----:|\n"
                  "|   1 |\n"
                  "|   2 |\n"
                  "\n"
                  "Table: Depths (best: 0.9712)\n"
                  "\n"
                  "Text right after.\n");
}

Test(template, table_numeric_text_is_right_aligned_mixed_is_left) {
    expect_output("```sql-table\n"
                  "SELECT printf('%.1f%%', 100*acc) AS pct,\n"
                  "       CASE d WHEN 1 THEN 'n/a' ELSE d END AS mixed,\n"
                  "       '' AS blank\n"
                  "  FROM depth ORDER BY d\n"
                  "```\n",
                  "|   pct | mixed | blank |\n"
                  "|------:|:------|:------|\n"
                  "| 95.0% | n/a   |       |\n"
                  "| 97.0% | 2     |       |\n"
                  "| 97.1% | 10    |       |\n");
}

Test(template, table_in_a_list_item_keeps_its_indentation) {
    expect_output("- item\n"
                  "\n"
                  "  ~~~{.sql-table}\n"
                  "  SELECT 1 AS one\n"
                  "  ~~~\n",
                  "- item\n"
                  "\n"
                  "  | one |\n"
                  "  |----:|\n"
                  "  |   1 |\n");
}

Test(template, utf8_cells_are_padded_by_characters) {
    expect_output("```{.sql-table}\nSELECT 'µ' AS \"σ'(x)\" UNION ALL SELECT 'abcdef'\n```\n",
                  "| σ'(x)  |\n"
                  "|:-------|\n"
                  "| µ      |\n"
                  "| abcdef |\n");
}

/* ---- what is left alone ------------------------------------------------------------- */

Test(template, fenced_code_blocks_are_untouched) {
    const char *t = "```c\nint x = {{ 1 }}; /* \\{{ */\n```\n"
                    "~~~sql\nSELECT '{{' FROM t;\n~~~\n"
                    "````markdown\n```{.sql-table}\nSELECT {{ nope }}\n```\n````\n"
                    "```\nplain {{ }}\n```\n";
    expect_output(t, t);
}

Test(template, unclosed_code_block_runs_to_the_end_untouched) {
    const char *t = "text\n```python\nprint('{{ x }}')\n";
    expect_output(t, t);
}

Test(template, code_spans_are_untouched) {
    expect_output("use `{{ SELECT ... }}` or ``a ` {{b}}`` here {{SELECT 1}}\n",
                  "use `{{ SELECT ... }}` or ``a ` {{b}}`` here 1\n");
    /* A span may wrap onto the next line of its paragraph. */
    expect_output("a `{{ x\n}}` b\n", "a `{{ x\n}}` b\n");
}

Test(template, unmatched_backtick_is_literal_text) {
    expect_output("a ` b {{SELECT 1}}\n\nc ` d\n", "a ` b 1\n\nc ` d\n");
    expect_output("escaped \\`{{SELECT 2}}\\`", "escaped \\`2\\`");
}

Test(template, escaped_braces_are_literal) {
    expect_output("write \\{{ SELECT ... }} in a template, {{SELECT 5}}.\n",
                  "write {{ SELECT ... }} in a template, 5.\n");
    expect_output("\\\\{{SELECT 6}}", "\\\\6"); /* an escaped backslash, then a placeholder */
}

/* ---- errors ------------------------------------------------------------------------- */

Test(template, sql_error_names_file_line_and_sql) {
    expect_error("one\ntwo {{ SELECT nope FROM metrics }}\n",
                 "ch/chapter.md:2: SQL error: no such column: nope: SELECT nope FROM metrics");
}

Test(template, zero_rows_is_an_error) {
    expect_error("{{ SELECT value FROM metrics WHERE name = 'x' }}",
                 "ch/chapter.md:1: no rows: SELECT value FROM metrics WHERE name = 'x'");
}

Test(template, several_rows_is_an_error) {
    expect_error("\n\n\n{{ SELECT d FROM depth }}",
                 "ch/chapter.md:4: more than one row: SELECT d FROM depth");
}

Test(template, null_empty_and_blob_values_are_errors) {
    expect_error("{{ SELECT value FROM metrics WHERE name = 'nothing' }}",
                 "ch/chapter.md:1: NULL value: SELECT value FROM metrics WHERE name = 'nothing'");
    expect_error("{{ SELECT max(d) FROM depth WHERE d > 99 }}",
                 "ch/chapter.md:1: NULL value: SELECT max(d) FROM depth WHERE d > 99");
    expect_error("{{ SELECT '' }}", "ch/chapter.md:1: empty value: SELECT ''");
    expect_error("{{ SELECT b FROM blobs }}", "ch/chapter.md:1: BLOB value: SELECT b FROM blobs");
}

/* printf('%.2f', NULL) is '0.00' in SQLite, so an aggregate over zero rows used to print as
 * a number. In the filler, printf() and format() give NULL for a NULL argument, which is
 * then refused like an empty result. */
Test(template, printf_of_null_is_null_not_zero) {
    expect_error("{{ SELECT printf('%.2f', 100 * max(value)) FROM metrics WHERE name = 'x' }}",
                 "ch/chapter.md:1: NULL value: "
                 "SELECT printf('%.2f', 100 * max(value)) FROM metrics WHERE name = 'x'");
    expect_error("\n{{ SELECT format('%d runs, %.1f%%', 3, avg(d)) FROM depth WHERE d > 99 }}",
                 "ch/chapter.md:2: NULL value: "
                 "SELECT format('%d runs, %.1f%%', 3, avg(d)) FROM depth WHERE d > 99");
    expect_error("{{ SELECT printf(NULL) }}", "ch/chapter.md:1: NULL value: SELECT printf(NULL)");
    /* A NULL hidden inside a larger text is caught too: '||' keeps it. */
    expect_error("{{ SELECT 'best ' || printf('%.2f', value) FROM metrics WHERE name = 'nothing' }}",
                 "ch/chapter.md:1: NULL value: "
                 "SELECT 'best ' || printf('%.2f', value) FROM metrics WHERE name = 'nothing'");
}

/* Without NULLs the replacement is SQLite's own printf, conversion for conversion. */
Test(template, printf_without_null_is_sqlites_printf) {
    expect_output("{{ SELECT printf('%.2f|%5d|%-4s|%x|%e|%,d|%q|%%|%c', 97.514, 42, 'ab', 255, "
                  "1234.5, 1234567, 'it''s', 'xyz') }}",
                  /* %e's exponent form reaches the text as a power of ten (sci.h) */
                  "97.51|   42|ab  |ff|$1.234500 \\times 10^{3}$|1,234,567|it''s|%|x");
    expect_output("{{ SELECT format('%.1f%%', 100 * value) FROM metrics WHERE name = 'acc' }}",
                  "97.5%");
    expect_output("{{ SELECT printf('%d', count(*)) FROM depth WHERE d > 99 }}", "0");
    expect_output("{{ SELECT printf('no arguments') }}", "no arguments");
    /* printf with a NULL argument is also NULL in a table cell, where null="..." may show it. */
    expect_output("```{.sql-table null=\"n/a\"}\nSELECT printf('%.1f', max(value)) AS m "
                  "FROM metrics WHERE name = 'x'\n```\n",
                  "| m   |\n|:----|\n| n/a |\n");
}

/* A table is refused when a cell is NULL, unless the template opts in with null="...". */
Test(template, null_cells_need_an_explicit_null_attribute) {
    expect_error("```{.sql-table}\nSELECT name, value FROM metrics ORDER BY name\n```\n",
                 "ch/chapter.md:1: NULL value in row 4, column \"value\": "
                 "SELECT name, value FROM metrics ORDER BY name");
    expect_output("```{.sql-table null=\"–\"}\nSELECT name AS n, value AS v FROM metrics "
                  "WHERE name IN ('acc', 'nothing') ORDER BY name\n```\n",
                  "| n       |      v |\n"
                  "|:--------|-------:|\n"
                  "| acc     | 0.9751 |\n"
                  "| nothing |      – |\n");
    /* An empty null text is allowed: the cell is left blank. */
    expect_output("```{.sql-table null=\"\" caption=\"C\"}\nSELECT NULL AS x\n```\n",
                  "| x   |\n|:----|\n|     |\n\nTable: C\n");
}

Test(template, a_value_has_one_column) {
    expect_error("{{ SELECT 1, 2 }}", "ch/chapter.md:1: 2 columns, expected 1: SELECT 1, 2");
}

Test(template, multi_line_sql_is_one_line_in_the_message_and_line_is_the_start) {
    expect_error("a\n{{ SELECT\n  max(d)\n  FROM depth }} b {{ SELECT x }}\n",
                 "ch/chapter.md:4: SQL error: no such column: x: SELECT x");
    expect_error("a\n{{ SELECT d\n\n   FROM depth }}\n",
                 "ch/chapter.md:2: more than one row: SELECT d FROM depth");
}

Test(template, line_numbers_count_code_blocks_spans_and_tables) {
    expect_error("```\n1\n2\n```\n`a\nb` c\n"
                 "```{.sql-table}\nSELECT 1\n```\n{{ SELECT 0 WHERE 0 }}",
                 "ch/chapter.md:10: no rows: SELECT 0 WHERE 0");
}

Test(template, only_one_read_only_statement_is_allowed) {
    expect_error("{{ SELECT 1; SELECT 2 }}",
                 "ch/chapter.md:1: more than one statement: SELECT 1; SELECT 2");
    expect_error("{{ DELETE FROM depth }}",
                 "ch/chapter.md:1: not a query (only SELECTs that read are allowed): "
                 "DELETE FROM depth");
    expect_error("{{ }}", "ch/chapter.md:1: empty query");
    expect_error("{{ -- nothing }}", "ch/chapter.md:1: empty query: -- nothing");
    /* The failed DELETE really did not run. */
    expect_output("{{ SELECT count(*) FROM depth }}", "3");
}

Test(template, unterminated_placeholder) {
    expect_error("ok {{SELECT 1}}\nthen {{ SELECT 2 \nand more } }\n",
                 "ch/chapter.md:2: unterminated {{ (no closing }})");
}

Test(template, unterminated_table_block) {
    expect_error("x\n\n```{.sql-table}\nSELECT 1\n``\n",
                 "ch/chapter.md:3: unterminated table block (no closing ```)");
    expect_error("~~~~{.sql-table}\nSELECT 1\n~~~\n",
                 "ch/chapter.md:1: unterminated table block (no closing ~~~~)");
}

Test(template, table_errors_name_the_opening_fence_line) {
    expect_error("a\n```{.sql-table}\nSELECT d FROM depth WHERE d > 99\n```\n",
                 "ch/chapter.md:2: no rows: SELECT d FROM depth WHERE d > 99");
    expect_error("a\nb\n```{.sql-table}\nSELECT d, NULL AS gap FROM depth\n```\n",
                 "ch/chapter.md:3: NULL value in row 1, column \"gap\": "
                 "SELECT d, NULL AS gap FROM depth");
    expect_error("```{.sql-table}\nSELECT * FROM nowhere\n```\n",
                 "ch/chapter.md:1: SQL error: no such table: nowhere: SELECT * FROM nowhere");
    expect_error("x\n```{.sql-table}\n```\n", "ch/chapter.md:2: empty query");
}

Test(template, table_attributes_are_checked) {
    expect_error("```{.sql-table captoin=\"x\"}\nSELECT 1\n```\n",
                 "ch/chapter.md:1: table block: unknown attribute "
                 "(only caption=\"...\" and null=\"...\" are supported)");
    expect_error("```{.sql-table null=\"-\" null=\"x\"}\nSELECT 1\n```\n",
                 "ch/chapter.md:1: table block: attribute given twice");
    expect_error("```{.sql-table caption=\"x}\nSELECT 1\n```\n",
                 "ch/chapter.md:1: table block: unterminated quoted attribute value");
    expect_error("```{.sql-table caption=\"{{ SELECT 1 WHERE 0 }}\"}\nSELECT 1\n```\n",
                 "ch/chapter.md:1: no rows: SELECT 1 WHERE 0");
}

/* ---- files and the database --------------------------------------------------------- */

Test(template, fill_file_reads_and_names_the_file) {
    char path[] = "/tmp/nnlab-template-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *t = "x\n{{ SELECT nope }}\n";
    cr_assert_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
    close(fd);
    nn_err err = {{0}};
    FILE *out = fopen("/dev/null", "w");
    cr_assert_eq(template_fill_file(db, path, out, &err), -1);
    char want[256];
    snprintf(want, sizeof want, "%s:2: SQL error: no such column: nope: SELECT nope", path);
    cr_assert_str_eq(err.msg, want);
    unlink(path);
    cr_assert_eq(template_fill_file(db, path, out, &err), -1);
    snprintf(want, sizeof want, "%s: cannot open template: No such file or directory", path);
    cr_assert_str_eq(err.msg, want);
    fclose(out);
}

Test(template, open_db_never_creates_and_is_read_only) {
    char dir[] = "/tmp/nnlab-db-XXXXXX";
    cr_assert(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/results.sqlite", dir);
    nn_err err = {{0}};
    sqlite3 *ro;
    cr_assert_eq(template_open_db(path, &ro, &err), -1);
    cr_assert(strstr(err.msg, "No such file or directory"), "%s", err.msg);
    cr_assert_eq(access(path, F_OK), -1, "opening must not create the database");

    sqlite3 *rw;
    cr_assert_eq(sqlite3_open(path, &rw), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(rw, "CREATE TABLE t(x); INSERT INTO t VALUES (7);", 0, 0, 0),
                 SQLITE_OK);
    sqlite3_close(rw);
    cr_assert_eq(template_open_db(path, &ro, &err), 0, "%s", err.msg);
    cr_assert_neq(sqlite3_exec(ro, "INSERT INTO t VALUES (8)", 0, 0, 0), SQLITE_OK);
    sqlite3_close(ro);

    FILE *f = fopen(path, "w"); /* now not a database at all */
    fputs("this is not sqlite, just text long enough to have a header............\n", f);
    fclose(f);
    cr_assert_eq(template_open_db(path, &ro, &err), -1);
    cr_assert(strstr(err.msg, "not a database"), "%s", err.msg);
    cr_assert_null(ro);
    unlink(path);
    rmdir(dir);
}

/* fill --profile: the database's report profile (view report_profile) must match. */
Test(template, check_profile_compares_the_databases_report_profile) {
    nn_err err = {{0}};
    cr_assert_eq(template_check_profile(db, "x.sqlite", "full", &err), -1);
    cr_assert(strstr(err.msg, "x.sqlite: no report_profile view") != NULL, "%s", err.msg);
    cr_assert_eq(sqlite3_exec(db, "CREATE VIEW report_profile AS SELECT 'smoke' AS profile",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    cr_assert_eq(template_check_profile(db, "x.sqlite", "smoke", &err), 0, "%s", err.msg);
    cr_assert_eq(template_check_profile(db, "x.sqlite", "full", &err), -1);
    cr_assert_str_eq(err.msg, "x.sqlite: the database shows the 'smoke' profile, the report is "
                              "built for 'full' (use that profile's database, or: INSERT OR "
                              "REPLACE INTO report_scope VALUES (1, 'full'))");
}
