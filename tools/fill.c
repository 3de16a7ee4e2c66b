/* fill.c - replace a chapter's SQL placeholders with values from the results database.
 *
 *     fill --db db/results.sqlite chapters/00-intro/chapter.md > build/full/md/00-intro.md
 *
 * The database is opened read-only and never created. Nothing is written to stdout unless
 * the whole chapter filled, so a failure cannot leave a half-written chapter behind. With
 * --profile NAME it also refuses a database whose report shows another profile.
 * The syntax is in src/render/template.h and docs/templates.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "render/template.h"

static void usage(FILE *to, const char *prog) {
    fprintf(to,
            "usage: %s --db RESULTS.sqlite [--profile NAME] TEMPLATE.md > OUT.md\n"
            "\n"
            "Fill the SQL placeholders of a chapter template from the results database and\n"
            "write the Markdown to standard output.\n"
            "\n"
            "  {{ SELECT ... }}             one value (one row, one column, not NULL;\n"
            "                               printf() and format() of a NULL are NULL)\n"
            "  ```{.sql-table caption=\"...\" null=\"...\"}\n"
            "                               a pipe table from one SELECT (closing ```);\n"
            "                               a NULL cell is an error unless null=\"...\" is given\n"
            "  \\{{                          a literal {{\n"
            "In queries: plural(n, 'thread') -> '1 thread' / '4 threads'; noun(n, 'thread')\n"
            "-> 'thread' / 'threads'; join_list(x) (aggregate) -> 'A, B and C';\n"
            "join_values(a, b) -> 'a and b', or 'both a' when equal. Numbers in exponent\n"
            "form (1e-05) are written as $10^{-5}$. See docs/templates.md.\n"
            "Code blocks and `code spans` are copied untouched.\n"
            "\n"
            "options:\n"
            "  -d, --db PATH       the results database (opened read-only; must exist)\n"
            "  -p, --profile NAME  fail unless the database shows this profile (smoke or full;\n"
            "                      view report_profile, see docs/architecture.md)\n"
            "  -P, --provenance    write each value as a pandoc span (each table in a div)\n"
            "                      carrying its query, runs, seeds and commit\n"
            "  -c, --chapter NAME  the template's chapter, whose runs its queries read\n"
            "                      unless they name another (for --provenance)\n"
            "  -h, --help          show this help\n"
            "\n"
            "Exit status: 0 on success, 1 when the template cannot be filled, 2 on bad usage.\n",
            prog);
}

int main(int argc, char **argv) {
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"profile", required_argument, NULL, 'p'},
        {"provenance", no_argument, NULL, 'P'},
        {"chapter", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *profile = NULL;
    template_options opt = {0};
    int c;
    while ((c = getopt_long(argc, argv, "d:p:hPc:", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            db_path = optarg;
            break;
        case 'p':
            profile = optarg;
            break;
        case 'P':
            opt.provenance = 1;
            break;
        case 'c':
            opt.chapter = optarg;
            break;
        case 'h':
            usage(stdout, argv[0]);
            return 0;
        default:
            fprintf(stderr, "Try 'fill --help'.\n");
            return 2;
        }
    }
    if (!db_path) {
        fprintf(stderr, "fill: --db is required\nTry 'fill --help'.\n");
        return 2;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "fill: expected one template file, got %d\nTry 'fill --help'.\n",
                argc - optind);
        return 2;
    }

    nn_err err = {{0}};
    sqlite3 *db;
    if (template_open_db(db_path, &db, &err) < 0) {
        fprintf(stderr, "fill: %s\n", err.msg);
        return 1;
    }
    int rc = profile ? template_check_profile(db, db_path, profile, &err) : 0;
    if (rc == 0) rc = template_fill_file_opts(db, argv[optind], stdout, &opt, &err);
    sqlite3_close(db);
    if (rc < 0) {
        fprintf(stderr, "fill: %s\n", err.msg);
        return 1;
    }
    return 0;
}
