/* provenance.h - where a generated number comes from: its query, the runs it read, their
 * seeds and commit, as pandoc attributes on the value.
 *
 * With provenance on, the filler (template.h) writes an inline value as a pandoc span
 *     [97.57]{.nnq data-sql="SELECT ..." data-runs="12-14, 20" data-seeds="1, 2, 3"
 *             data-commit="ea407c82498b"}
 * and a generated table inside a div with the same attributes. The HTML report shows them
 * on hover or focus (report/reader.html); the PDF links each value to an appendix listing
 * its query (report/provenance.lua). The value itself stays plain text.
 *
 * Which runs a query read cannot be known from SQLite row by row; what is recorded is the
 * runs of the report's scope (view latest_runs) that the query names: of every chapter whose
 * name appears quoted in the SQL ('02-shifted-mnist'), else of the template's own chapter;
 * and of those, when the SQL selects by experiment (experiment = / IN / LIKE / GLOB), only
 * the experiments whose names appear quoted in it. Otherwise all of the chapter's runs. */
#ifndef NN_PROVENANCE_H
#define NN_PROVENANCE_H

#include <sqlite3.h>
#include <stdio.h>

/* Writes the attribute block, braces included, for a value computed by `sql` in the
 * template of `chapter` (may be NULL), to out. Returns 0, or -1 if the database could not
 * be asked (the attributes then say only the SQL). */
int provenance_write_attrs(sqlite3 *db, const char *sql, const char *chapter, const char *cls,
                           FILE *out);

/* Compresses a sorted list of ids "3,4,5,9" into "3-5, 9" (out holds at most cap bytes). */
void provenance_ranges(const char *ids, char *out, size_t cap);

#endif
