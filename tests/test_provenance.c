/* test_provenance.c - generated values carry their query, runs, seeds and commit: as a
 * pandoc span inline, as a div around a table, never inside maths, with the runs the query
 * names. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/results.h"
#include "render/provenance.h"
#include "render/template.h"
#include "test_files.h"

static char dir[TEST_PATH_MAX], path[TEST_PATH_MAX];
static sqlite3 *ro;

/* Two chapters: 'ch-a' with experiments x (seeds 1, 2) and y (seed 1), 'ch-b' with z. */
static void setup(void) {
    test_mkdtemp(dir);
    test_path(path, dir, "r.sqlite");
    setenv("NNLAB_GIT_COMMIT", "abc123", 1);
    nn_err err;
    nn_results *db = results_open(path, &err);
    cr_assert_not_null(db, "%s", err.msg);
    const char *runs[][2] = {{"ch-a", "x"}, {"ch-a", "x"}, {"ch-a", "y"}, {"ch-b", "z"}};
    const int seeds[] = {1, 2, 1, 5};
    for (int i = 0; i < 4; i++) {
        int64_t r = results_begin_run(
            db, &(nn_run_info){runs[i][0], runs[i][1], "smoke", "{}", seeds[i]}, &err);
        cr_assert_gt(r, 0, "%s", err.msg);
        results_log_metric(db, r, "acc", 0.5 + i / 10.0, &err);
        cr_assert_eq(results_finish_run(db, r, NULL, &err), 0, "%s", err.msg);
    }
    results_close(db);
    cr_assert_eq(template_open_db(path, &ro, &err), 0, "%s", err.msg);
}

static void teardown(void) {
    sqlite3_close(ro);
    test_rmtree(dir);
}

TestSuite(provenance, .init = setup, .fini = teardown);

static char *fill(const char *text, const char *chapter) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    nn_err err = {{0}};
    template_options opt = {.provenance = 1, .chapter = chapter};
    int rc = template_fill_opts(ro, "t.md", text, out, &opt, &err);
    fclose(out);
    cr_assert_eq(rc, 0, "%s", err.msg);
    return buf;
}

Test(provenance, ranges_compress_consecutive_ids) {
    char out[64];
    provenance_ranges("3,4,5,9,11,12", out, sizeof out);
    cr_assert_str_eq(out, "3-5, 9, 11-12");
    provenance_ranges("7", out, sizeof out);
    cr_assert_str_eq(out, "7");
    provenance_ranges("", out, sizeof out);
    cr_assert_str_eq(out, "");
}

Test(provenance, an_inline_value_becomes_a_span_with_its_query_runs_seeds_and_commit) {
    char *s = fill("Acc {{ SELECT count(*) FROM latest_runs WHERE chapter = 'ch-a' }}.\n", "ch-a");
    cr_assert_str_eq(s, "Acc [3]{.nnq data-sql=\"SELECT count(*) FROM latest_runs WHERE chapter = "
                        "'ch-a'\" data-runs=\"1-3\" data-seeds=\"1, 2\" data-commit=\"abc123\"}.\n");
    free(s);
}

Test(provenance, selecting_an_experiment_narrows_the_runs) {
    char *s = fill("{{ SELECT avg(value) FROM latest_metrics WHERE experiment = 'x' }}\n", "ch-a");
    cr_assert(strstr(s, "data-runs=\"1-2\"") != NULL, "%s", s);
    free(s);
    /* A quoted name that is only a label does not. */
    s = fill("{{ SELECT CASE 'y' WHEN 'y' THEN 1 END }}\n", "ch-a");
    cr_assert(strstr(s, "data-runs=\"1-3\"") != NULL, "%s", s);
    free(s);
}

Test(provenance, a_chapter_named_in_the_query_replaces_the_templates) {
    char *s = fill("{{ SELECT count(*) FROM latest_runs WHERE chapter = 'ch-b' }}\n", "ch-a");
    cr_assert(strstr(s, "data-runs=\"4\" data-seeds=\"5\"") != NULL, "%s", s);
    free(s);
}

Test(provenance, quotes_and_line_breaks_in_the_sql_are_escaped) {
    char *s = fill("{{ SELECT 'a\"b' AS \"Col\"\n   -- two lines\n }}\n", "ch-a");
    cr_assert(strstr(s, "data-sql=\"SELECT 'a\\\"b' AS \\\"Col\\\" -- two lines\"") != NULL, "%s", s);
    free(s);
}

/* A span inside TeX would break the formula: the value stays plain, and the formula is
 * followed by an empty span per value (class nnq-math) carrying the provenance, which the
 * HTML reader attaches to the formula and the PDF turns into a query reference. */
Test(provenance, a_value_inside_maths_stays_plain_and_its_provenance_follows_the_formula) {
    char *s = fill("$x = {{ SELECT 2 }}$ and $$y = {{ SELECT 3 }} + {{ SELECT 5 }}$$ but {{ SELECT 4 }}\n",
                   "ch-a");
    cr_assert(strncmp(s, "$x = 2$[]{.nnq-math data-sql=\"SELECT 2\"", 38) == 0, "%s", s);
    const char *display = strstr(s, " and $$y = 3 + 5$$[]{.nnq-math data-sql=\"SELECT 3\"");
    cr_assert_not_null(display, "%s", s);
    cr_assert_not_null(strstr(display, "}[]{.nnq-math data-sql=\"SELECT 5\""), "%s", s);
    cr_assert_not_null(strstr(s, "} but [4]{.nnq data-sql="), "%s", s);
    free(s);
    /* A lone dollar before a space opens nothing. */
    s = fill("costs $ {{ SELECT 5 }}\n", "ch-a");
    cr_assert(strstr(s, "[5]{.nnq") != NULL, "%s", s);
    free(s);
}

Test(provenance, a_value_in_a_figure_caption_stays_plain) {
    char *s = fill("![Accuracy of {{ SELECT 3 }} runs.](fig.svg){#fig:a} and {{ SELECT 4 }}\n", "ch-a");
    cr_assert(strncmp(s, "![Accuracy of 3 runs.](fig.svg){#fig:a} and [4]{.nnq", 51) == 0, "%s", s);
    free(s);
}

Test(provenance, unbalanced_brackets_stay_plain) {
    char *s = fill("{{ SELECT 'a]b' }}\n", "ch-a");
    cr_assert_str_eq(s, "a]b\n");
    free(s);
}

Test(provenance, a_table_sits_in_a_div_with_its_provenance) {
    char *s = fill("```{.sql-table caption=\"Runs.\"}\nSELECT experiment AS \"E\" FROM latest_runs "
                   "WHERE chapter = 'ch-a' ORDER BY id\n```\n",
                   "ch-a");
    cr_assert(strncmp(s, "::: {.nnq-table data-sql=\"SELECT experiment AS \\\"E\\\"", 51) == 0, "%s", s);
    cr_assert(strstr(s, "\n| E   |\n") != NULL || strstr(s, "\n| E |\n") != NULL, "%s", s);
    size_t n = strlen(s);
    cr_assert(n > 5 && strcmp(s + n - 5, "\n:::\n") == 0, "the div closes after the table: %s", s);
    free(s);
}

Test(provenance, without_the_option_nothing_changes) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    nn_err err;
    cr_assert_eq(template_fill(ro, "t.md", "{{ SELECT 1 }}\n", out, &err), 0);
    fclose(out);
    cr_assert_str_eq(buf, "1\n");
    free(buf);
}

/* The prose forms (plural, lists, powers of ten) are values like any other: a span each. */
Test(provenance, plurals_lists_and_powers_of_ten_carry_their_provenance) {
    char *s = fill("{{ SELECT plural(count(*), 'run') FROM latest_runs WHERE chapter = 'ch-a' }}, "
                   "{{ SELECT join_list(experiment) FROM (SELECT DISTINCT experiment FROM "
                   "latest_runs WHERE chapter = 'ch-a' ORDER BY experiment) }}, "
                   "{{ SELECT printf('%.1e', min(value) / 1000) FROM latest_metrics }}, "
                   "$x = {{ SELECT printf('%.1e', min(value) / 1000) FROM latest_metrics }}$\n",
                   "ch-a");
    cr_assert(strncmp(s, "[3 runs]{.nnq data-sql=", 23) == 0, "%s", s);
    cr_assert(strstr(s, "}, [x and y]{.nnq data-sql=") != NULL, "%s", s);
    cr_assert(strstr(s, "}, [$5.0 \\times 10^{-4}$]{.nnq data-sql=") != NULL, "%s", s);
    cr_assert(strstr(s, "}, $x = 5.0 \\times 10^{-4}$[]{.nnq-math data-sql=") != NULL,
              "inside maths: plain, then its provenance, %s", s);
    free(s);
}
