/* sci.h - numbers in scientific notation as a reader expects them: 1.2 × 10⁻⁵, never C's
 * exponent form "1.2e-05".
 *
 * The filler (template.h) passes every value and table cell through sci_rewrite(), so a
 * chapter asks for scientific notation with printf('%.1e', x) (or gets it from '%g' or
 * the default "%.4g" of a real) and the report shows $1.2 \times 10^{-5}$: pandoc maths,
 * which renders as MathML in the HTML and as LaTeX in the PDF (pdflatex has no glyphs for
 * Unicode superscripts). The digits are the ones the query printed: the precision stays
 * the author's choice. */
#ifndef NN_SCI_H
#define NN_SCI_H

#include <stddef.h>

/* Room for any real formatted by sci_format_real. */
#define SCI_REAL_MAX 32

/* A real as the filler writes it when the query did not format it: C's "%.4g". */
void sci_format_real(double x, char *buf, size_t cap);

/* Returns a malloc'd copy of `value` in which every number in exponent form (digits, an
 * optional fraction, e or E, an optional sign, digits; standing alone, not inside a word
 * such as "adam-1e-3" or a code span) is written as a power of ten in maths:
 * "2.5e-05" -> "$2.5 \times 10^{-5}$", "1e-05" -> "$10^{-5}$", "5.0e+00" -> "5.0".
 * Inside maths (in_math: the value sits in the template's $...$; or a $...$ of the value's
 * own) no dollars are added. NULL when out of memory. */
char *sci_rewrite(const char *value, int in_math);

/* Is `s` (surrounding spaces allowed) exactly one number as sci_rewrite writes it? (A
 * table column of them is numeric, so right-aligned.) */
int sci_is_number(const char *s);

#endif
