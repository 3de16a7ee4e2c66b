/* test_cli.c - the shared command line: defaults, values, and one-line usage errors. */
#include <criterion/criterion.h>
#include <string.h>

#include "lab/cli.h"

static int parse(int argc, char **argv, nn_cli *o, nn_err *err) {
    FILE *sink = fopen("/dev/null", "w");
    int rc = cli_parse(argc, argv, "A test program.", sink, o, err);
    fclose(sink);
    return rc;
}

Test(cli, defaults_and_values) {
    nn_cli o;
    nn_err err = {{0}};
    char *argv[] = {"prog", "--db", "x.sqlite", NULL};
    cr_assert_eq(parse(3, argv, &o, &err), 0, "%s", err.msg);
    cr_assert_str_eq(o.db, "x.sqlite");
    cr_assert_str_eq(o.profile, "full");
    cr_assert_str_eq(o.data_dir, "data");
    cr_assert_str_eq(o.figures_dir, "figures");
    cr_assert_eq(o.seed, 1);
    cr_assert_eq(o.smoke, 0);
    char *argv2[] = {"prog", "--db=y", "--profile", "smoke", "--seed", "42", "--data-dir", "d",
                     "--threads", "1", "--figures", "out/fig", NULL};
    cr_assert_eq(parse(12, argv2, &o, &err), 0, "%s", err.msg);
    cr_assert_str_eq(o.figures_dir, "out/fig");
    cr_assert_eq(o.seed, 42);
    cr_assert_eq(o.smoke, 1);
    cr_assert_eq(o.threads, 1);
    cr_assert_str_eq(o.data_dir, "d");
}

Test(cli, help_is_not_an_error) {
    nn_cli o;
    char *argv[] = {"prog", "--help", NULL};
    cr_assert_eq(parse(2, argv, &o, NULL), 1);
}

static void expect_error(int argc, char **argv, const char *needle) {
    nn_cli o;
    nn_err err = {{0}};
    cr_assert_eq(parse(argc, argv, &o, &err), -1);
    cr_assert(strstr(err.msg, needle) != NULL, "'%s' not in '%s'", needle, err.msg);
    cr_assert(strchr(err.msg, '\n') == NULL, "one line: %s", err.msg);
}

Test(cli, usage_errors_are_one_clear_line) {
    char *no_db[] = {"prog", NULL};
    expect_error(1, no_db, "--db PATH is required");
    char *bad_profile[] = {"prog", "--db", "x", "--profile", "huge", NULL};
    expect_error(5, bad_profile, "smoke or full, not 'huge'");
    char *bad_seed[] = {"prog", "--db", "x", "--seed", "-3", NULL};
    expect_error(5, bad_seed, "--seed");
    char *junk_seed[] = {"prog", "--db", "x", "--seed", "12abc", NULL};
    expect_error(5, junk_seed, "'12abc'");
    char *unknown[] = {"prog", "--db", "x", "--fast", NULL};
    expect_error(4, unknown, "unknown option '--fast'");
    char *missing_value[] = {"prog", "--db", NULL};
    expect_error(2, missing_value, "needs a value");
    char *extra[] = {"prog", "--db", "x", "stray", NULL};
    expect_error(4, extra, "unexpected argument 'stray'");
    char *threads[] = {"prog", "--db", "x", "--threads", "0", NULL};
    expect_error(5, threads, "--threads");
}
