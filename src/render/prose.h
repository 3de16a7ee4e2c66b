/* prose.h - SQL functions that write counts and lists as people write them, installed on
 * the filler's connection (template.h), so a chapter never says "thread(s)" or joins a
 * list by hand. Syntax and examples in docs/templates.md.
 *
 *   plural(n, 'thread')              "1 thread", "4 threads", "0 threads"
 *   plural(n, 'child', 'children')   an irregular plural
 *       n: an integer (or a whole real), or text the query formatted (printf('%,d', n)),
 *       written as given; only a count of exactly 1 is singular. A fractional real is an
 *       error (format it first: its digits are the author's choice).
 *   noun(n, 'commit' [, 'commits'])  the same choice without the count: "commit", "commits"
 *   join_list(x [, 'or'])            aggregate: "A", "A and B", "A, B and C" (rows in the
 *       order the subquery gives them; DISTINCT works). A NULL item is an error.
 *   join_values(a, b, ...)           "11.35% and 11.40%", or, when every value reads the
 *       same as written, "both 11.35%" (two) / "all 3" (more).
 *
 * Like the filler's printf(), each returns NULL when given a NULL (and join_list over zero
 * rows is NULL), so a sentence without data is refused, never written. Numbers that are
 * not text are written as the filler writes them: integers as integers, reals as "%.4g". */
#ifndef NN_PROSE_H
#define NN_PROSE_H

#include <sqlite3.h>

/* Installs plural(), noun(), join_list() and join_values() on db. Returns an SQLite
 * status. */
int prose_install(sqlite3 *db);

#endif
