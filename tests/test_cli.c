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

/* What a main gets from cli_start: go on (-1), exit 0 after --help, exit 2 after a usage
 * error printed as one line to the error stream. */
Test(cli, start_gives_mains_their_exit_codes) {
    nn_cli o;
    char out[512] = "", errs[512] = "";
    FILE *fo = fmemopen(out, sizeof out, "w"), *fe = fmemopen(errs, sizeof errs, "w");
    char *ok[] = {"prog", "--db", "x", NULL};
    cr_assert_eq(cli_start(3, ok, "A test program.", fo, fe, &o), -1);
    char *help[] = {"prog", "--help", NULL};
    cr_assert_eq(cli_start(2, help, "A test program.", fo, fe, &o), 0);
    char *bad[] = {"prog", "--db", "x", "--seed", "no", NULL};
    cr_assert_eq(cli_start(5, bad, "A test program.", fo, fe, &o), 2);
    fclose(fo);
    fclose(fe);
    cr_assert(strstr(out, "A test program.") != NULL, "help printed: %s", out);
    cr_assert(strstr(errs, "--seed wants") != NULL, "error printed: %s", errs);
    cr_assert_eq(strchr(errs, '\n'), errs + strlen(errs) - 1, "one line: %s", errs);
}
