/* test_bench_records.c - the parser of `make bench`'s JSON-lines records (bench/records.c):
 * what it reads, and every line it must refuse with the file and line in the message.
 * bench/ is not part of libnn, so its one parser file is compiled into this test. */
#include <criterion/criterion.h>
#include <string.h>

#include "../bench/records.c"

static bench_record recs[BENCH_MAX_RECORDS];

static int parse(const char *text, int *n, nn_err *err) {
    return bench_parse_records(text, strlen(text), "run.jsonl", recs, BENCH_MAX_RECORDS, n, err);
}

Test(bench_records, reads_strings_numbers_and_escapes) {
    const char *text =
        "{\"impl\":\"nnlab\",\"kind\":\"row\",\"model\":\"mlp8\",\"mode\":\"train\",\"batch\":64,"
        "\"threads\":2,\"img_per_s\":1.5e3,\"repeats\":5,\"config\":\"a \\\"b\\\"\\n\\u00e9\","
        "\"unknown\":\"ignored\"}\n"
        "\n"
        "  { \"impl\" : \"env\" , \"kind\" : \"env\", \"load_start\": -0.25 }\r\n";
    int n = 0;
    nn_err err = {{0}};
    cr_assert_eq(parse(text, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(recs[0].impl, "nnlab");
    cr_assert_str_eq(recs[0].model, "mlp8");
    cr_assert_eq(recs[0].batch, 64);
    cr_assert_eq(recs[0].threads, 2);
    cr_assert_eq(recs[0].repeats, 5);
    cr_assert_float_eq(recs[0].img_per_s, 1500.0, 1e-9);
    cr_assert_str_eq(recs[0].config, "a \"b\"\n?");
    cr_assert_str_eq(recs[1].kind, "env");
    cr_assert_float_eq(recs[1].load_start, -0.25, 1e-12);
}

static void expect_refused(const char *text, const char *where) {
    int n = 0;
    nn_err err = {{0}};
    cr_assert_eq(parse(text, &n, &err), -1, "accepted: %s", text);
    cr_assert(strstr(err.msg, where), "expected '%s' in: %s", where, err.msg);
}

Test(bench_records, refuses_what_is_not_a_record) {
    expect_refused("{\"impl\":\"a\",\"kind\":\"b\"}\nnot json\n", "run.jsonl:2:");
    expect_refused("{\"kind\":\"b\"}\n", "run.jsonl:1:");
    expect_refused("{\"impl\":\"a\",\"kind\":\"b\"} trailing\n", "run.jsonl:1:");
    expect_refused("{\"impl\":\"a\",\"kind\":\"b\",\"x\":[1]}\n", "run.jsonl:1:");
    expect_refused("{\"impl\":\"a\\q\",\"kind\":\"b\"}\n", "run.jsonl:1:");
    expect_refused("{\"impl\":\"a\",\"kind\":\"b\"\n", "run.jsonl:1:");
}

/* fuzz/regressions/bench_records/: an integer field (batch, threads, repeats) holding a
 * number outside int's range, or NaN, was converted to int - undefined behaviour (UBSan:
 * "7.77778e+15 is outside the range of representable values of type 'int'"). Such a line
 * is not a record bench wrote: it is refused, like any other malformed line. */
Test(bench_records, integer_fields_out_of_range_or_not_integers) {
    expect_refused("{\"impl\":\"torch\",\"kind\":\"row\",\"threads\":7777777777777777}\n",
                   "run.jsonl:1:");
    expect_refused("{\"impl\":\"a\",\"kind\":\"b\",\"batch\":nan}\n", "run.jsonl:1:");
    expect_refused("{\"impl\":\"a\",\"kind\":\"b\",\"repeats\":-1e300}\n", "run.jsonl:1:");
    expect_refused("{\"impl\":\"a\",\"kind\":\"b\",\"batch\":2.5}\n", "run.jsonl:1:");
    int n = 0;
    nn_err err = {{0}};
    cr_assert_eq(parse("{\"impl\":\"a\",\"kind\":\"b\",\"batch\":-3,\"threads\":2147483647}\n",
                       &n, &err), 0, "%s", err.msg);
    cr_assert_eq(recs[0].batch, -3);
    cr_assert_eq(recs[0].threads, 2147483647);
}

Test(bench_records, long_lines_and_nul_bytes) {
    static char text[5000];
    memset(text, ' ', sizeof text - 2);
    text[sizeof text - 2] = '\n';
    expect_refused(text, "run.jsonl:1: line longer");
    int n = 0;
    nn_err err = {{0}};
    const char nul[] = "{\"impl\":\"a\",\"kind\":\"b\"}\0junk\n";
    cr_assert_eq(bench_parse_records(nul, sizeof nul - 1, "run.jsonl", recs, BENCH_MAX_RECORDS,
                                     &n, &err), -1);
    cr_assert(strstr(err.msg, "NUL"), "%s", err.msg);
}
