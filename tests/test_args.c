/* test_args.c - the programs' own options taken out of argv, the rest left for cli_parse. */
#include <criterion/criterion.h>
#include <string.h>

#include "lab/args.h"

Test(args, own_options_positionals_and_shared_options_are_separated) {
    char *argv[] = {"cifar-test", "--db",     "x.sqlite", "model.nnm", "--batch=64", "--threads",
                    "2",          "--test-n", "100",      "--no-tta",  "-h",         NULL};
    int argc = 11;
    const char *batch = NULL, *test_n = NULL;
    int no_tta = 0;
    args_opt opts[] = {
        {"batch", &batch, NULL}, {"test-n", &test_n, NULL}, {"no-tta", NULL, &no_tta}};
    const char *pos[2];
    char *rest[12];
    int npos, nrest;
    nn_err err;
    cr_assert_eq(args_split(argc, argv, opts, 3, pos, 2, &npos, rest, &nrest, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(npos, 1);
    cr_assert_str_eq(pos[0], "model.nnm");
    cr_assert_str_eq(batch, "64");
    cr_assert_str_eq(test_n, "100");
    cr_assert_eq(no_tta, 1);
    /* The shared options keep their values, in order; "x.sqlite" is not positional. */
    const char *want[] = {"cifar-test", "--db", "x.sqlite", "--threads", "2", "-h"};
    cr_assert_eq(nrest, 6);
    for (int k = 0; k < 6; k++)
        cr_assert_str_eq(rest[k], want[k]);
    cr_assert_null(rest[6]);
}

Test(args, errors_name_the_problem) {
    const char *v = NULL;
    int flag = 0;
    args_opt opts[] = {{"out", &v, NULL}, {"no-flip", NULL, &flag}};
    const char *pos[1];
    char *rest[8];
    int npos, nrest;
    nn_err err;
    char *missing[] = {"p", "--out", NULL};
    cr_assert_eq(args_split(2, missing, opts, 2, pos, 0, &npos, rest, &nrest, &err), -1);
    cr_assert(strstr(err.msg, "--out") && strstr(err.msg, "needs a value"), "%s", err.msg);
    char *extra[] = {"p", "a", "b", NULL};
    cr_assert_eq(args_split(3, extra, opts, 2, pos, 1, &npos, rest, &nrest, &err), -1);
    cr_assert(strstr(err.msg, "unexpected argument 'b'"), "%s", err.msg);
    char *valued_flag[] = {"p", "--no-flip=1", NULL};
    cr_assert_eq(args_split(2, valued_flag, opts, 2, pos, 0, &npos, rest, &nrest, &err), -1);
    cr_assert(strstr(err.msg, "takes no value"), "%s", err.msg);
}

Test(args, numbers_are_checked_whole_and_in_range) {
    int i;
    float f;
    nn_err err;
    cr_assert_eq(args_int("epochs", "12", 1, 100, &i, &err), 0);
    cr_assert_eq(i, 12);
    cr_assert_eq(args_int("epochs", "12x", 1, 100, &i, &err), -1);
    cr_assert(strstr(err.msg, "--epochs") && strstr(err.msg, "12x"), "%s", err.msg);
    cr_assert_eq(args_int("epochs", "0", 1, 100, &i, &err), -1);
    cr_assert_eq(args_float("lr", "0.25", 0, 1, &f, &err), 0);
    cr_assert_float_eq(f, 0.25f, 0);
    cr_assert_eq(args_float("lr", "nan", 0, 1, &f, &err), -1);
    cr_assert_eq(args_float("lr", "2", 0, 1, &f, &err), -1);
}
