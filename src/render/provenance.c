/* provenance.c - see provenance.h. */
#include "render/provenance.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The runs, seeds and commits of the scope named by the SQL (see provenance.h). The SQL
 * text is bound and searched with instr() for each candidate name in quotes. */
static const char RUNS_SQL[] =
    "WITH named AS (SELECT DISTINCT chapter FROM latest_runs "
    "               WHERE instr(?1, '''' || chapter || '''') > 0), "
    "     chapters AS (SELECT chapter FROM named UNION ALL "
    "                  SELECT ?2 WHERE NOT EXISTS (SELECT 1 FROM named)), "
    "     scope AS (SELECT * FROM latest_runs WHERE chapter IN (SELECT chapter FROM chapters)), "
    "     picked AS (SELECT * FROM scope WHERE ?3 AND instr(?1, '''' || experiment || '''') > 0 "
    "                UNION ALL SELECT * FROM scope WHERE NOT EXISTS "
    "                (SELECT 1 FROM scope WHERE ?3 AND instr(?1, '''' || experiment || '''') > 0)) "
    "SELECT (SELECT group_concat(id) FROM (SELECT DISTINCT id FROM picked ORDER BY id)), "
    "       (SELECT group_concat(seed, ', ') FROM (SELECT DISTINCT seed FROM picked ORDER BY seed)), "
    "       (SELECT group_concat(git_commit, ', ') FROM (SELECT DISTINCT git_commit FROM picked))";

void provenance_ranges(const char *ids, char *out, size_t cap) {
    size_t len = 0;
    out[0] = '\0';
    long first = -1, last = -1;
    const char *p = ids;
    for (;;) {
        char *end;
        long v = p && *p ? strtol(p, &end, 10) : -1;
        int more = v >= 0 && end != p;
        if (more && first >= 0 && v == last + 1) {
            last = v;
        } else {
            if (first >= 0) {
                int n = first == last ? snprintf(out + len, cap - len, "%s%ld", len ? ", " : "", first)
                                      : snprintf(out + len, cap - len, "%s%ld-%ld",
                                                 len ? ", " : "", first, last);
                if (n < 0 || (size_t)n >= cap - len) return; /* keep what fits */
                len += (size_t)n;
            }
            if (!more) return;
            first = last = v;
        }
        p = *end == ',' ? end + 1 : end;
    }
}

/* A pandoc attribute value in double quotes: backslash and quote escaped, white space of
 * any kind (the SQL's line breaks) squeezed to one space. */
static void write_quoted(FILE *out, const char *s) {
    fputc('"', out);
    int space = 0;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isspace(c)) {
            space = 1;
            continue;
        }
        if (space) fputc(' ', out);
        space = 0;
        if (c == '"' || c == '\\') fputc('\\', out);
        fputc(c, out);
    }
    fputc('"', out);
}

/* Whether the SQL selects by experiment (experiment = '...', IN (...), LIKE '...'): only
 * then do quoted experiment names narrow the runs (a name in a CASE label does not). */
static int filters_experiments(const char *sql) {
    for (const char *p = sql; (p = strstr(p, "experiment")) != NULL; p += 10) {
        const char *q = p + 10;
        while (isspace((unsigned char)*q)) q++;
        if (*q == '=' || !strncasecmp(q, "IN", 2) || !strncasecmp(q, "LIKE", 4) ||
            !strncasecmp(q, "GLOB", 4))
            return 1;
    }
    return 0;
}

static char *column_copy(sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    return strdup(t ? (const char *)t : "");
}

int provenance_write_attrs(sqlite3 *db, const char *sql, const char *chapter, const char *cls,
                           FILE *out) {
    /* Leading and trailing space of the SQL is not part of it. */
    while (isspace((unsigned char)*sql)) sql++;
    fprintf(out, "{.%s data-sql=", cls);
    write_quoted(out, sql);
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(db, RUNS_SQL, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, sql, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, chapter ? chapter : "", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, filters_experiments(sql));
        if (sqlite3_step(st) == SQLITE_ROW) {
            char *ids = column_copy(st, 0), *seeds = column_copy(st, 1), *commit = column_copy(st, 2);
            char ranges[512];
            provenance_ranges(ids, ranges, sizeof ranges);
            fputs(" data-runs=", out);
            write_quoted(out, ranges[0] ? ranges : "none");
            fputs(" data-seeds=", out);
            write_quoted(out, seeds[0] ? seeds : "none");
            fputs(" data-commit=", out);
            write_quoted(out, commit[0] ? commit : "none");
            free(ids), free(seeds), free(commit);
            rc = 0;
        }
        sqlite3_finalize(st);
    }
    fputc('}', out);
    return rc;
}
