/* test_sci.c - C's exponent form ("1e-05", "1.2e+06") never reaches the report: the filler
 * writes such numbers as powers of ten in pandoc maths, which renders both in the HTML
 * (MathML) and in the PDF (pdflatex, where Unicode superscripts would not). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "render/sci.h"

static void expect(const char *value, int in_math, const char *want) {
    char *got = sci_rewrite(value, in_math);
    cr_assert_not_null(got);
    cr_assert_str_eq(got, want, "sci_rewrite(\"%s\", %d)", value, in_math);
    free(got);
}

Test(sci, exponent_form_becomes_a_power_of_ten_in_maths) {
    expect("1.2e-05", 0, "$1.2 \\times 10^{-5}$");
    expect("1.235e+06", 0, "$1.235 \\times 10^{6}$");
    expect("3.0E-4", 0, "$3.0 \\times 10^{-4}$");
    expect("-4.5e-07", 0, "$-4.5 \\times 10^{-7}$");
}

Test(sci, a_mantissa_of_one_is_left_out) {
    expect("1e-05", 0, "$10^{-5}$");
    expect("-1e+10", 0, "$-10^{10}$");
    expect("1.0e-05", 0, "$1.0 \\times 10^{-5}$"); /* the author asked for that digit */
}

Test(sci, exponent_zero_is_the_mantissa_alone) {
    expect("5.0e+00", 0, "5.0");
    expect("1e0", 0, "1");
}

Test(sci, inside_maths_the_dollars_are_left_out) {
    expect("1.2e-05", 1, "1.2 \\times 10^{-5}");
    /* A value that brings its own maths: the number inside it is not wrapped again. */
    expect("$\\epsilon = 2e-03$ and 4e-02", 0, "$\\epsilon = 2 \\times 10^{-3}$ and $4 \\times 10^{-2}$");
    expect("$$x = 1e-3$$", 0, "$$x = 10^{-3}$$");
}

Test(sci, numbers_in_sentences_are_found) {
    expect("mean 1.5e-03 at the start, 2.0e-04 at the end)", 0,
           "mean $1.5 \\times 10^{-3}$ at the start, $2.0 \\times 10^{-4}$ at the end)");
    expect("(1e-3)", 0, "($10^{-3}$)");
}

Test(sci, other_text_is_unchanged) {
    const char *same[] = {"", "97.51", "0.00012", "1234567", "adam-1e-3", "lr1e-3", "3e",
                          "2e-", "e-05", "1.5e-3x", "abc12e5", "x = 2.5", "1e5_run",
                          "`--lr 1e-3`", "10^{-5}", "v1.2e3"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) expect(same[i], 0, same[i]);
}

Test(sci, escaped_dollar_is_not_maths) {
    expect("\\$5 and 1e-2", 0, "\\$5 and $10^{-2}$");
}

Test(sci, format_real_never_uses_exponent_form) {
    char buf[SCI_REAL_MAX];
    struct {
        double x;
        const char *want;
    } cases[] = {{0.08123449, "0.08123"}, {2.0, "2"},          {97.514, "97.51"},
                 {1234567.0, "1.235e+06"}, {1e-5, "1e-05"},    {-0.5, "-0.5"}};
    /* sci_format_real is C's %.4g; what reaches the text goes through sci_rewrite. */
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sci_format_real(cases[i].x, buf, sizeof buf);
        cr_assert_str_eq(buf, cases[i].want);
    }
}

Test(sci, recognises_its_own_output_as_a_number) {
    cr_assert(sci_is_number("$1.2 \\times 10^{-5}$"));
    cr_assert(sci_is_number("$-10^{6}$"));
    cr_assert(sci_is_number(" $10^{-5}$ "));
    cr_assert_not(sci_is_number("$x$"));
    cr_assert_not(sci_is_number("$1.2 \\times 10^{-5}$ m"));
    cr_assert_not(sci_is_number("1.2"));
    cr_assert_not(sci_is_number(""));
}
