/* records.c - reading back the JSON-lines records of a bench run (format in bench.h).
 *
 * Only flat objects with string and number values are read - that is all either side
 * writes - so a tiny parser is enough; anything else is an error with the line number, never
 * a silently skipped row. It lives apart from the report so that fuzz/fuzz_bench_records.c
 * can feed it arbitrary text without a database. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Lines longer than this are not records (a real one is a few hundred bytes). */
enum { MAX_LINE = 4096 };

/* Copies src into dst of `size` bytes, truncating: every field here is bounded and a
 * truncated free-text configuration is still a fine description. */
static void copy_text(char *dst, size_t size, const char *src) {
    size_t n = strlen(src);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return p;
}

/* Reads a JSON string at p (at its opening quote) into out; returns the position after it,
 * or NULL if malformed. \uXXXX escapes become '?': no record needs them. */
static const char *read_string(const char *p, char *out, size_t size) {
    if (*p != '"') return NULL;
    size_t n = 0;
    for (p++; *p && *p != '"'; p++) {
        char ch = *p;
        if (ch == '\\') {
            p++;
            switch (*p) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'u':
                for (int i = 0; i < 4; i++)
                    if (!*++p) return NULL;
                ch = '?';
                break;
            case '"': case '\\': case '/': ch = *p; break;
            default: return NULL;
            }
        }
        if (n + 1 < size) out[n++] = ch;
    }
    if (*p != '"') return NULL;
    out[n] = 0;
    return p + 1;
}

static void set_text(bench_record *r, const char *key, const char *v) {
    struct { const char *key; char *dst; size_t size; } fields[] = {
        {"impl", r->impl, sizeof r->impl},     {"kind", r->kind, sizeof r->kind},
        {"model", r->model, sizeof r->model},  {"mode", r->mode, sizeof r->mode},
        {"config", r->config, sizeof r->config}, {"label", r->label, sizeof r->label},
        {"skip", r->skip, sizeof r->skip},
        {"cpu", r->cpu, sizeof r->cpu}};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!strcmp(key, fields[i].key)) copy_text(fields[i].dst, fields[i].size, v);
}

/* An integer field must hold an integer that fits an int: converting anything else to int
 * is undefined behaviour (found by fuzz/fuzz_bench_records.c), and bench never writes it. */
static int to_int(double v, int *out) {
    if (!(v >= INT_MIN && v <= INT_MAX) || v != (double)(int)v) return -1;
    *out = (int)v;
    return 0;
}

/* -1 if the value does not suit the key. */
static int set_number(bench_record *r, const char *key, double v) {
    if (!strcmp(key, "batch")) return to_int(v, &r->batch);
    else if (!strcmp(key, "threads")) return to_int(v, &r->threads);
    else if (!strcmp(key, "repeats")) return to_int(v, &r->repeats);
    else if (!strcmp(key, "img_per_s")) r->img_per_s = v;
    else if (!strcmp(key, "img_per_s_best")) r->img_per_s_best = v;
    else if (!strcmp(key, "ms_per_img")) r->ms_per_img = v;
    else if (!strcmp(key, "gflops")) r->gflops = v;
    else if (!strcmp(key, "load")) r->load = v;
    else if (!strcmp(key, "load_start")) r->load_start = v;
    else if (!strcmp(key, "load_end")) r->load_end = v;
    else if (!strcmp(key, "rss_mb")) r->rss_mb = v;
    return 0;
}

/* Parses one line holding one flat JSON object. */
static int parse_record(const char *line, bench_record *r) {
    memset(r, 0, sizeof *r);
    const char *p = skip_ws(line);
    if (*p++ != '{') return -1;
    p = skip_ws(p);
    if (*p == '}') return 0;
    for (;;) {
        char key[64], text[BENCH_STR];
        p = read_string(skip_ws(p), key, sizeof key);
        if (!p) return -1;
        p = skip_ws(p);
        if (*p++ != ':') return -1;
        p = skip_ws(p);
        if (*p == '"') {
            p = read_string(p, text, sizeof text);
            if (!p) return -1;
            set_text(r, key, text);
        } else {
            char *end;
            errno = 0;
            double v = strtod(p, &end);
            if (end == p || errno || set_number(r, key, v) < 0) return -1;
            p = end;
        }
        p = skip_ws(p);
        if (*p == '}') return *skip_ws(p + 1) ? -1 : 0;
        if (*p++ != ',') return -1;
    }
}

int bench_parse_records(const char *text, size_t len, const char *name, bench_record *recs,
                        int max, int *count, nn_err *err) {
    char line[MAX_LINE];
    const char *p = text, *end = text + len;
    int n = 0;
    for (int lineno = 1; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t line_len = (size_t)((nl ? nl : end) - p);
        if (line_len >= MAX_LINE)
            return nn_fail(err, "%s:%d: line longer than %d bytes, not a bench record", name,
                           lineno, MAX_LINE - 1);
        /* A NUL would end the line early and hide what follows it. */
        if (memchr(p, '\0', line_len))
            return nn_fail(err, "%s:%d: NUL byte, not a bench record", name, lineno);
        memcpy(line, p, line_len);
        line[line_len] = 0;
        p += line_len + (nl != NULL);
        if (!*skip_ws(line)) continue;
        if (n == max) return nn_fail(err, "%s: more than %d records", name, max);
        if (parse_record(line, &recs[n]) < 0 || !recs[n].impl[0] || !recs[n].kind[0])
            return nn_fail(err, "%s:%d: not a bench record (a flat JSON object with impl and "
                           "kind)", name, lineno);
        n++;
    }
    *count = n;
    return 0;
}
