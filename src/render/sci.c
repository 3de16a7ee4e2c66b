/* sci.c - exponent form to powers of ten (see sci.h).
 *
 * One pass over the value, tracking, as pandoc does, whether we are inside maths ($ opens
 * before a non-space and closes after one, $$ toggles display maths) or a code span
 * (copied as is). Everywhere else a number in exponent form is rewritten. */
#include "render/sci.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sci_format_real(double x, char *buf, size_t cap) {
    snprintf(buf, cap, "%.4g", x);
}

/* A character that makes a number part of a word ("adam-1e-3", "v1.2e3", "1e5_run"). */
static int word_char(char c) {
    return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* Does a number in exponent form start at s[i]? Fills the parts: the sign ("" or "-"),
 * the mantissa without sign, its length, the exponent's value, and the length matched. */
typedef struct exp_number {
    const char *sign, *mantissa;
    size_t mantissa_len, len;
    long exponent;
} exp_number;

static int match_number(const char *s, size_t i, exp_number *n) {
    size_t k = i;
    n->sign = "";
    if (i > 0 && (word_char(s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '+')) return 0;
    if (s[k] == '-' || s[k] == '+') {
        if (s[k] == '-') n->sign = "-";
        k++;
    }
    if (!isdigit((unsigned char)s[k])) return 0;
    n->mantissa = s + k;
    while (isdigit((unsigned char)s[k])) k++;
    if (s[k] == '.') {
        k++;
        while (isdigit((unsigned char)s[k])) k++;
    }
    n->mantissa_len = (size_t)(s + k - n->mantissa);
    if (s[k] != 'e' && s[k] != 'E') return 0;
    k++;
    int negative = 0;
    if (s[k] == '-' || s[k] == '+') negative = s[k++] == '-';
    if (!isdigit((unsigned char)s[k])) return 0;
    long e = 0;
    while (isdigit((unsigned char)s[k])) {
        if (e < 100000) e = 10 * e + (s[k] - '0');
        k++;
    }
    if (word_char(s[k])) return 0;
    n->exponent = negative ? -e : e;
    n->len = k - i;
    return 1;
}

static void write_number(FILE *out, const exp_number *n, int in_math) {
    if (n->exponent == 0) {
        fprintf(out, "%s%.*s", n->sign, (int)n->mantissa_len, n->mantissa);
        return;
    }
    const char *dollar = in_math ? "" : "$";
    int one = n->mantissa_len == 1 && n->mantissa[0] == '1';
    fprintf(out, "%s%s", dollar, n->sign);
    if (!one) fprintf(out, "%.*s \\times ", (int)n->mantissa_len, n->mantissa);
    fprintf(out, "10^{%ld}%s", n->exponent, dollar);
}

static size_t run_of(const char *s, char c) {
    size_t n = 0;
    while (s[n] == c) n++;
    return n;
}

char *sci_rewrite(const char *value, int in_math) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) return NULL;
    int math = in_math;
    for (size_t i = 0; value[i];) {
        char c = value[i];
        exp_number n;
        if (c == '\\' && value[i + 1]) { /* an escaped character: \$ is no maths */
            fwrite(value + i, 1, 2, out);
            i += 2;
        } else if (c == '`') { /* a code span, when it closes, is copied whole */
            size_t r = run_of(value + i, '`'), k = i + r, stop = i + r;
            while (value[k]) {
                size_t m = run_of(value + k, '`');
                if (m == r) {
                    stop = k + m;
                    break;
                }
                k += m ? m : 1;
            }
            fwrite(value + i, 1, stop - i, out);
            i = stop;
        } else if (c == '$') {
            size_t r = value[i + 1] == '$' ? 2 : 1;
            char next = value[i + r] ? value[i + r] : ' ';
            char prev = i > 0 ? value[i - 1] : ' ';
            if (r == 2) math = !math;
            else if (!math && !isspace((unsigned char)next)) math = 1;
            else if (math && !isspace((unsigned char)prev)) math = 0;
            fwrite(value + i, 1, r, out);
            i += r;
        } else if (match_number(value, i, &n)) {
            write_number(out, &n, math);
            i += n.len;
        } else {
            fputc(c, out);
            i++;
        }
    }
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int sci_is_number(const char *s) {
    while (*s == ' ') s++;
    if (*s++ != '$') return 0;
    if (*s == '-') s++;
    const char *digits = s;
    while (isdigit((unsigned char)*s) || *s == '.') s++;
    if (strncmp(digits, "10^{", 4) == 0) { /* no mantissa: the power alone */
        s = digits;
    } else if (s > digits) {
        if (strncmp(s, " \\times ", 8) != 0) return 0;
        s += 8;
    }
    if (strncmp(s, "10^{", 4) != 0) return 0;
    s += 4;
    if (*s == '-') s++;
    if (!isdigit((unsigned char)*s)) return 0;
    while (isdigit((unsigned char)*s)) s++;
    if (*s++ != '}' || *s++ != '$') return 0;
    while (*s == ' ') s++;
    return *s == '\0';
}
