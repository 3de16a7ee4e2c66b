/* template.h - fill a chapter's SQL placeholders from the results database.
 *
 * A chapter is Markdown in which every number and every table is a query, so that the
 * text can never drift from the data. This module replaces those queries by their results
 * and leaves everything else byte for byte as it was. The syntax (also in docs/templates.md):
 *
 *   Inline value   {{ SELECT printf('%.2f', 100*value) FROM metrics WHERE name = 'acc' }}
 *                  The query must return exactly one row of exactly one column. The value is
 *                  written as SQLite returns it: integers as integers, reals as "%.4g", text
 *                  as is (so a query that formats with printf() controls the digits); a number
 *                  in C's exponent form becomes a power of ten in maths (sci.h). Zero
 *                  rows, several rows, a NULL, an empty string, a BLOB, or an SQL error are
 *                  errors. The query may span lines. printf() and format() return NULL
 *                  when an argument is NULL (SQLite's own print '0.00'), so an aggregate
 *                  over zero rows is refused, not printed as a number. plural(),
 *                  join_list() and join_values() write counts and lists (prose.h).
 *
 *   Table block    ```{.sql-table caption="Results per depth" null="-"}
 *                  SELECT depth AS "Depth", printf('%.2f', acc) AS "Test accuracy (%)" ...
 *                  ```
 *                  One query, written as a pandoc pipe table: the header row holds the
 *                  column names (use AS "..." for readable ones), columns whose values are
 *                  all numbers (or numeric text such as '97.50' or '97.5%') are
 *                  right-aligned, others left-aligned. `caption` is optional and becomes a
 *                  pandoc "Table: ..." caption. Zero rows are an error, and so is a NULL
 *                  cell unless `null` (optional) gives the text to show for it.
 *                  Indenting the fence (e.g. inside a list item) indents the table alike.
 *
 *   Left alone     fenced code blocks (``` or ~~~ with any other info string) and inline
 *                  code spans (`...`, ``...``) are copied untouched; `\{{` is a literal `{{`.
 *
 * Every query must be a single read-only statement. Errors name the template and the line
 * where the placeholder (or the table's opening fence) starts, the problem, and the SQL:
 *     chapters/00-intro/chapter.md:12: no rows: SELECT value FROM metrics WHERE name = 'x'
 *
 * Output is produced completely in memory and written to `out` only on success, so a
 * failing template never leaves a half-filled chapter behind. */
#ifndef NN_TEMPLATE_H
#define NN_TEMPLATE_H

#include <stdio.h>
#include <sqlite3.h>

#include "base/nn_err.h"

/* Fills the NUL-terminated `text`; `source_name` is used only in error messages. Installs
 * the NULL-keeping printf() and format() on `db` (they stay until it is closed). */
int template_fill(sqlite3 *db, const char *source_name, const char *text, FILE *out,
                  nn_err *err);

/* Reads the template at `path` and fills it (errors name `path`). */
int template_fill_file(sqlite3 *db, const char *path, FILE *out, nn_err *err);

/* How to fill. provenance: write each inline value as a pandoc span, and each table inside
 * a div, carrying the query, the runs it read, their seeds and commit (provenance.h); a
 * value inside $...$ maths stays plain. chapter: the template's chapter ("00-intro"), the
 * default scope of its queries' runs. */
typedef struct template_options {
    int provenance;
    const char *chapter;
} template_options;

/* template_fill and template_fill_file with options (NULL: the defaults, no provenance). */
int template_fill_opts(sqlite3 *db, const char *source_name, const char *text, FILE *out,
                       const template_options *opt, nn_err *err);
int template_fill_file_opts(sqlite3 *db, const char *path, FILE *out,
                            const template_options *opt, nn_err *err);

/* Opens an existing database read-only: it never creates a file, and a missing file, a
 * file that is not a database, or one that cannot be read is an error. Close with
 * sqlite3_close(). */
int template_open_db(const char *path, sqlite3 **db, nn_err *err);

/* Checks that the report the database shows (view report_profile, schema version 3) is of
 * `profile`: a report built for one profile must not print another's numbers. The error
 * says which profile the database shows and how to change it. */
int template_check_profile(sqlite3 *db, const char *db_name, const char *profile, nn_err *err);

#endif
