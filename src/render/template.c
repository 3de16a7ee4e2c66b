/* template.c - the placeholder filler (syntax and promises in template.h).
 *
 * One pass over the text with a cursor. At the start of each line we look for a code
 * fence: a table block is run and replaced, any other fenced block is copied verbatim.
 * Inside a line we copy characters, skipping over code spans whole and replacing {{ ... }}
 * by its value. Output goes to a memory stream that reaches the caller's FILE only when
 * the whole template succeeded. */
#include "render/template.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "render/prose.h"
#include "render/provenance.h"
#include "render/sci.h"

typedef struct filler {
    sqlite3 *db;
    const char *source; /* template name, for messages */
    const char *p;      /* cursor into the template */
    const char *end;
    int line;           /* line number of *p, from 1 */
    FILE *out;          /* memory stream */
    char tail[2];       /* last two bytes written, to know whether we stand after a blank line */
    size_t written;
    nn_err *err;
    const template_options *opt; /* provenance on or off, the template's chapter */
    int in_math;                 /* inside $...$ or $$...$$: a value there is never wrapped */
    FILE *math_attrs;            /* the provenance of the values in the open formula, as */
    char *math_buf;              /* empty spans `[]{.nnq-math ...}` written after it closes */
    size_t math_len;
    int brackets;                /* open [ of a link or image description: likewise */
} filler;

/* ---- output ------------------------------------------------------------------------- */

static void emit(filler *f, const char *s, size_t n) {
    if (n == 0) return;
    fwrite(s, 1, n, f->out);
    if (n >= 2) {
        f->tail[0] = s[n - 2];
        f->tail[1] = s[n - 1];
    } else {
        f->tail[0] = f->tail[1];
        f->tail[1] = s[0];
    }
    f->written += n;
}

static void emit_str(filler *f, const char *s) {
    emit(f, s, strlen(s));
}

/* Pipe tables must start a block: make sure a blank line (or the file start) precedes. */
static void ensure_blank_line(filler *f) {
    if (f->written == 0) return;
    if (f->tail[1] != '\n') emit_str(f, "\n");
    if (!(f->tail[0] == '\n' && f->tail[1] == '\n')) emit_str(f, "\n");
}

/* ---- errors ------------------------------------------------------------------------- */

/* "source:line: problem: SQL", the SQL squeezed onto one line so the message stays one. */
static int fail_sql(filler *f, int line, const char *sql, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_sql(filler *f, int line, const char *sql, const char *fmt, ...) {
    char problem[NN_ERR_MAX], flat[NN_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    size_t n = 0;
    int space = 0;
    for (const char *s = sql; *s && n + 1 < sizeof flat; s++) {
        if (isspace((unsigned char)*s)) {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < sizeof flat) flat[n++] = ' ';
        space = 0;
        flat[n++] = *s;
    }
    flat[n] = '\0';
    if (n == 0) return nn_fail(f->err, "%s:%d: %s", f->source, line, problem);
    return nn_fail(f->err, "%s:%d: %s: %s", f->source, line, problem, flat);
}

static int fail_at(filler *f, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(filler *f, int line, const char *fmt, ...) {
    char problem[NN_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    return nn_fail(f->err, "%s:%d: %s", f->source, line, problem);
}

/* ---- printf() that keeps NULL -------------------------------------------------------- */

/* SQLite's printf('%.2f', NULL) is '0.00': an aggregate over zero rows (max(x) is NULL)
 * would print as a number and slip past the NULL check below. So on the filler's connection
 * printf() and format() are replaced by versions that return NULL when any argument is NULL
 * and otherwise return exactly what SQLite's own printf returns: they run it on a private
 * in-memory connection (user data), where the built-in is still the one visible. */
static void strict_printf(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    for (int i = 0; i < argc; i++)
        if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
            sqlite3_result_null(ctx);
            return;
        }
    sqlite3 *aux = sqlite3_user_data(ctx);
    sqlite3_str *q = sqlite3_str_new(aux);
    sqlite3_str_appendall(q, "SELECT printf(");
    for (int i = 0; i < argc; i++) sqlite3_str_appendf(q, "%s?%d", i ? ", " : "", i + 1);
    sqlite3_str_appendall(q, ")");
    char *sql = sqlite3_str_finish(q);
    if (!sql) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(aux, sql, -1, &st, NULL);
    sqlite3_free(sql);
    for (int i = 0; rc == SQLITE_OK && i < argc; i++) rc = sqlite3_bind_value(st, i + 1, argv[i]);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        sqlite3_result_value(ctx, sqlite3_column_value(st, 0));
    else
        sqlite3_result_error(ctx, sqlite3_errmsg(aux), -1);
    sqlite3_finalize(st);
}

static void close_aux(void *aux) {
    sqlite3_close(aux);
}

/* Installs strict_printf as printf() and format() on db, each with its own private
 * connection, closed by SQLite when the function is replaced or db is closed. */
static int install_strict_printf(sqlite3 *db, const char *source, nn_err *err) {
    static const char *const names[] = {"printf", "format"};
    for (int k = 0; k < 2; k++) {
        sqlite3 *aux = NULL;
        if (sqlite3_open_v2(":memory:", &aux, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
            sqlite3_close(aux);
            return nn_fail(err, "%s: cannot open a private SQLite connection", source);
        }
        /* On failure SQLite calls close_aux itself. */
        if (sqlite3_create_function_v2(db, names[k], -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, aux,
                                       strict_printf, NULL, NULL, close_aux) != SQLITE_OK)
            return nn_fail(err, "%s: cannot install %s(): %s", source, names[k],
                           sqlite3_errmsg(db));
    }
    return 0;
}

/* ---- running queries ---------------------------------------------------------------- */

static int only_space(const char *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    return *s == '\0';
}

/* Prepares `sql` as exactly one read-only statement that returns columns. */
static int prepare_query(filler *f, int line, const char *sql, sqlite3_stmt **st) {
    const char *tail = NULL;
    *st = NULL;
    if (only_space(sql)) return fail_sql(f, line, sql, "empty query");
    if (sqlite3_prepare_v2(f->db, sql, -1, st, &tail) != SQLITE_OK)
        return fail_sql(f, line, sql, "SQL error: %s", sqlite3_errmsg(f->db));
    if (!*st) return fail_sql(f, line, sql, "empty query"); /* only comments */
    /* Whatever follows must be nothing but whitespace, comments or a stray ';'. */
    while (tail && *tail) {
        sqlite3_stmt *next = NULL;
        const char *rest = NULL;
        int rc = sqlite3_prepare_v2(f->db, tail, -1, &next, &rest);
        if (next) sqlite3_finalize(next);
        if (rc != SQLITE_OK || next) {
            sqlite3_finalize(*st);
            *st = NULL;
            return fail_sql(f, line, sql, "more than one statement");
        }
        if (rest == tail) break;
        tail = rest;
    }
    if (!sqlite3_stmt_readonly(*st) || sqlite3_column_count(*st) == 0) {
        sqlite3_finalize(*st);
        *st = NULL;
        return fail_sql(f, line, sql, "not a query (only SELECTs that read are allowed)");
    }
    return 0;
}

/* Formats one result cell into a malloc'd string; BLOBs are refused, and so is NULL unless
 * `null_text` says what to write for it (a table's explicit null="..." attribute). `what`
 * names the cell for the message. Numbers in C's exponent form become powers of ten
 * (sci.h), without dollars when the value sits `in_math`. */
static char *format_value(filler *f, int line, const char *sql, sqlite3_stmt *st, int col,
                          const char *what, const char *null_text, int in_math) {
    char buf[64];
    const char *text = buf;
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)sqlite3_column_int64(st, col));
        break;
    case SQLITE_FLOAT:
        sci_format_real(sqlite3_column_double(st, col), buf, sizeof buf);
        break;
    case SQLITE_TEXT:
        text = (const char *)sqlite3_column_text(st, col);
        break;
    case SQLITE_NULL:
        if (null_text) {
            text = null_text;
            break;
        }
        fail_sql(f, line, sql, "NULL value%s", what);
        return NULL;
    default:
        fail_sql(f, line, sql, "BLOB value%s", what);
        return NULL;
    }
    char *copy = sci_rewrite(text ? text : "", in_math);
    if (!copy) fail_at(f, line, "out of memory");
    return copy;
}

/* The attribute block of a value or table of class `cls` computed by `sql`. */
static void emit_provenance(filler *f, const char *sql, const char *cls) {
    char *attrs = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&attrs, &len);
    if (!mem) return;
    provenance_write_attrs(f->db, sql, f->opt->chapter, cls, mem);
    fclose(mem);
    emit(f, attrs, len);
    free(attrs);
}

/* Square brackets balance and no line breaks: the value can sit in a pandoc span. */
static int span_safe(const char *v) {
    int depth = 0;
    for (; *v; v++) {
        if (*v == '\n' || *v == '\r') return 0;
        if (*v == '[') depth++;
        if (*v == ']' && --depth < 0) return 0;
    }
    return depth == 0;
}

/* A value inside maths stays plain (a span inside TeX breaks the formula); its provenance
 * goes into an empty span written right after the formula closes, which the HTML reader
 * attaches to the formula and the PDF turns into a reference to the query. */
static void math_note(filler *f, const char *sql) {
    if (!f->math_attrs) f->math_attrs = open_memstream(&f->math_buf, &f->math_len);
    if (!f->math_attrs) return; /* out of memory: the value stays plain, as before */
    fputs("[]", f->math_attrs);
    provenance_write_attrs(f->db, sql, f->opt->chapter, "nnq-math", f->math_attrs);
}

/* Ends the notes of the open formula: written out when it closed (keep), else dropped (a
 * paragraph that ended with its maths unclosed). */
static void math_flush(filler *f, int keep) {
    if (!f->math_attrs) return;
    int bad = fclose(f->math_attrs) != 0;
    if (keep && !bad) emit(f, f->math_buf, f->math_len);
    free(f->math_buf);
    f->math_attrs = NULL, f->math_buf = NULL, f->math_len = 0;
}

/* Writes a value, as a span carrying its provenance when that is on and the value is not
 * inside maths (see math_note) or a link's or image's description. */
static void emit_value(filler *f, const char *sql, const char *value) {
    if (f->opt && f->opt->provenance && f->in_math && f->brackets == 0) {
        emit_str(f, value);
        math_note(f, sql);
        return;
    }
    if (!f->opt || !f->opt->provenance || f->in_math || f->brackets > 0 || !span_safe(value)) {
        emit_str(f, value);
        return;
    }
    emit_str(f, "[");
    emit_str(f, value);
    emit_str(f, "]");
    emit_provenance(f, sql, "nnq");
}

/* Runs an inline placeholder's query and writes its single value. */
static int fill_inline(filler *f, int line, const char *sql) {
    sqlite3_stmt *st;
    if (prepare_query(f, line, sql, &st) < 0) return -1;
    int rc = -1, ncol = sqlite3_column_count(st);
    char *value = NULL;
    if (ncol != 1) {
        fail_sql(f, line, sql, "%d columns, expected 1", ncol);
        goto done;
    }
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        fail_sql(f, line, sql, "no rows");
        goto done;
    }
    if (step != SQLITE_ROW) {
        fail_sql(f, line, sql, "SQL error: %s", sqlite3_errmsg(f->db));
        goto done;
    }
    value = format_value(f, line, sql, st, 0, "", NULL, f->in_math);
    if (!value) goto done;
    if (value[0] == '\0') {
        fail_sql(f, line, sql, "empty value");
        goto done;
    }
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        fail_sql(f, line, sql, "more than one row");
        goto done;
    }
    if (step != SQLITE_DONE) {
        fail_sql(f, line, sql, "SQL error: %s", sqlite3_errmsg(f->db));
        goto done;
    }
    emit_value(f, sql, value);
    rc = 0;
done:
    free(value);
    sqlite3_finalize(st);
    return rc;
}

/* ---- tables ------------------------------------------------------------------------- */

/* A number, possibly SQL-formatted text such as "97.50", "-3e-4" or "97.5%", or a power of
 * ten as sci_rewrite writes one. */
static int looks_numeric(const char *s) {
    if (sci_is_number(s)) return 1;
    while (isspace((unsigned char)*s)) s++;
    if (!*s) return 0;
    char *endp;
    errno = 0;
    strtod(s, &endp);
    if (endp == s) return 0;
    if (*endp == '%') endp++;
    while (isspace((unsigned char)*endp)) endp++;
    return *endp == '\0';
}

/* A cell as it goes into a pipe table: '|' escaped, line breaks flattened. */
static char *table_cell(const char *s) {
    size_t n = 0;
    for (const char *q = s; *q; q++) n += *q == '|' ? 2 : 1;
    char *c = malloc(n + 1), *w = c;
    if (!c) return NULL;
    for (const char *q = s; *q; q++) {
        if (*q == '|') *w++ = '\\';
        *w++ = (*q == '\n' || *q == '\r' || *q == '\t') ? ' ' : *q;
    }
    *w = '\0';
    return c;
}

/* Width in characters (UTF-8 code points), for padding the columns. */
static size_t text_width(const char *s) {
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

typedef struct table {
    int ncol, rows, cap; /* rows counts the header, which is row 0 */
    char **cells;        /* rows x ncol, row-major */
} table;

static void table_free(table *t) {
    for (int i = 0; i < t->rows * t->ncol; i++) free(t->cells[i]);
    free(t->cells);
}

/* Appends one row of NULL cells; returns its first cell, or NULL when out of memory. */
static char **table_add_row(table *t) {
    if (t->rows == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        char **c = realloc(t->cells, (size_t)cap * t->ncol * sizeof *c);
        if (!c) return NULL;
        t->cells = c;
        t->cap = cap;
    }
    char **row = t->cells + (size_t)t->rows * t->ncol;
    for (int j = 0; j < t->ncol; j++) row[j] = NULL;
    t->rows++;
    return row;
}

static void write_padded(filler *f, const char *s, size_t width, int right) {
    size_t pad = width - text_width(s);
    if (right)
        for (size_t i = 0; i < pad; i++) emit_str(f, " ");
    emit_str(f, s);
    if (!right)
        for (size_t i = 0; i < pad; i++) emit_str(f, " ");
}

/* Writes the table; -1 (out of memory) leaves nothing written. Cells showing `null_text`
 * (the gaps a null="..." attribute allows) do not decide a column's alignment. */
static int write_table(filler *f, int line, const table *t, const char *indent,
                       size_t indent_len, const char *caption, const char *null_text) {
    size_t *width = calloc((size_t)t->ncol, sizeof *width);
    int *right = calloc((size_t)t->ncol, sizeof *right);
    int rc = -1;
    if (!width || !right) {
        fail_at(f, line, "out of memory");
        goto done;
    }
    for (int j = 0; j < t->ncol; j++) {
        int numeric = 0, other = 0;
        for (int i = 0; i < t->rows; i++) {
            const char *c = t->cells[i * t->ncol + j];
            size_t w = text_width(c);
            if (w > width[j]) width[j] = w;
            if (i > 0 && c[0] && !(null_text && strcmp(c, null_text) == 0)) {
                if (looks_numeric(c)) numeric++;
                else other++;
            }
        }
        right[j] = numeric > 0 && other == 0;
        if (width[j] < 3) width[j] = 3;
    }
    ensure_blank_line(f);
    for (int i = 0; i < t->rows; i++) {
        emit(f, indent, indent_len);
        for (int j = 0; j < t->ncol; j++) {
            emit_str(f, "| ");
            write_padded(f, t->cells[i * t->ncol + j], width[j], right[j]);
            emit_str(f, " ");
        }
        emit_str(f, "|\n");
        if (i == 0) { /* the alignment row */
            emit(f, indent, indent_len);
            for (int j = 0; j < t->ncol; j++) {
                emit_str(f, right[j] ? "|" : "|:");
                for (size_t k = 0; k < width[j] + 1; k++) emit_str(f, "-");
                emit_str(f, right[j] ? ":" : "");
            }
            emit_str(f, "|\n");
        }
    }
    if (caption && caption[0]) {
        emit_str(f, "\n");
        emit(f, indent, indent_len);
        emit_str(f, "Table: ");
        emit_str(f, caption);
        emit_str(f, "\n");
    }
    rc = 0;
done:
    free(width);
    free(right);
    return rc;
}

static int fill_table(filler *f, int line, const char *sql, const char *indent,
                      size_t indent_len, const char *caption, const char *null_text) {
    sqlite3_stmt *st;
    if (prepare_query(f, line, sql, &st) < 0) return -1;
    table t = {.ncol = sqlite3_column_count(st)};
    int rc = -1;
    char **row = table_add_row(&t);
    if (!row) goto oom;
    for (int j = 0; j < t.ncol; j++) {
        const char *name = sqlite3_column_name(st, j);
        if (!(row[j] = table_cell(name ? name : ""))) goto oom;
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (!(row = table_add_row(&t))) goto oom;
        for (int j = 0; j < t.ncol; j++) {
            char what[160];
            const char *name = sqlite3_column_name(st, j);
            snprintf(what, sizeof what, " in row %d, column \"%s\"", t.rows - 1,
                     name ? name : "?");
            char *v = format_value(f, line, sql, st, j, what, null_text, 0);
            if (!v) goto done;
            row[j] = table_cell(v);
            free(v);
            if (!row[j]) goto oom;
        }
    }
    if (step != SQLITE_DONE) {
        fail_sql(f, line, sql, "SQL error: %s", sqlite3_errmsg(f->db));
        goto done;
    }
    if (t.rows == 1) {
        fail_sql(f, line, sql, "no rows");
        goto done;
    }
    int div = f->opt && f->opt->provenance;
    if (div) {
        /* The table inside a div that carries its provenance. */
        ensure_blank_line(f);
        emit(f, indent, indent_len);
        emit_str(f, "::: ");
        emit_provenance(f, sql, "nnq-table");
        emit_str(f, "\n");
    }
    rc = write_table(f, line, &t, indent, indent_len, caption, null_text);
    if (rc == 0 && div) {
        emit_str(f, "\n");
        emit(f, indent, indent_len);
        emit_str(f, ":::\n");
    }
    goto done;
oom:
    fail_at(f, line, "out of memory");
done:
    table_free(&t); /* cells never filled are NULL */
    sqlite3_finalize(st);
    return rc;
}

static int fill_fragment(filler *parent, int line, const char *text, char **result);

/* ---- fences ------------------------------------------------------------------------- */

typedef struct fence {
    char ch;            /* '`' or '~' */
    size_t len;         /* length of the marker run */
    size_t indent;      /* spaces before it */
    const char *info;   /* info string, trimmed, not NUL-terminated */
    size_t info_len;
    const char *next;   /* the byte after this line's '\n' (or end) */
} fence;

static const char *line_end(const char *p, const char *end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

/* Is the line at p a fence marker? Fills *fc when it is. */
static int parse_fence(const char *p, const char *end, fence *fc) {
    const char *eol = line_end(p, end), *q = p;
    while (q < eol && *q == ' ') q++;
    if (q >= eol || (*q != '`' && *q != '~')) return 0;
    const char *run = q;
    while (q < eol && *q == *run) q++;
    size_t len = (size_t)(q - run);
    if (len < 3) return 0;
    while (q < eol && isspace((unsigned char)*q)) q++;
    const char *info_end = eol;
    while (info_end > q && isspace((unsigned char)info_end[-1])) info_end--;
    /* A backtick "fence" whose info holds a backtick is an inline code span instead. */
    if (*run == '`' && memchr(q, '`', (size_t)(info_end - q))) return 0;
    fc->ch = *run;
    fc->len = len;
    fc->indent = (size_t)(run - p);
    fc->info = q;
    fc->info_len = (size_t)(info_end - q);
    fc->next = eol < end ? eol + 1 : end;
    return 1;
}

static int closes(const fence *open, const fence *c) {
    return c->ch == open->ch && c->len >= open->len && c->info_len == 0;
}

/* A table block's attributes, each malloc'd or NULL. */
typedef struct table_attrs {
    char *caption;   /* caption="..." */
    char *null_text; /* null="...": what a NULL cell shows; NULL (not given): NULL is an error */
} table_attrs;

static void table_attrs_free(table_attrs *a) {
    free(a->caption);
    free(a->null_text);
    a->caption = a->null_text = NULL;
}

#define ATTRS_ALLOWED "only caption=\"...\" and null=\"...\" are supported"

/* Attributes of a table block's info string: `{.sql-table caption="..." null="..."}`, or
 * the bare class `sql-table`. Returns 1 for a table block, 0 for any other code block, -1
 * on a malformed table block or when out of memory (message in *problem). */
static int parse_info(const char *s, size_t n, table_attrs *attrs, const char **problem) {
    *attrs = (table_attrs){0};
    *problem = NULL;
    if (n == 0) return 0;
    if (s[0] != '{') {
        size_t w = 0;
        while (w < n && !isspace((unsigned char)s[w])) w++;
        return w == 9 && memcmp(s, "sql-table", 9) == 0;
    }
    if (s[n - 1] != '}') return 0;
    const char *q = s + 1, *e = s + n - 1;
    int is_table = 0;
    const char *bad = NULL;
    while (q < e) {
        while (q < e && isspace((unsigned char)*q)) q++;
        if (q >= e) break;
        const char *tok = q;
        while (q < e && !isspace((unsigned char)*q) && *q != '=') q++;
        size_t tlen = (size_t)(q - tok);
        if (q < e && *q == '=') { /* key=value or key="value" */
            q++;
            char *val = malloc((size_t)(e - q) + 1), *w = val;
            if (!val) { /* whatever the block is, we cannot tell: fail, never copy it */
                table_attrs_free(attrs);
                *problem = "out of memory";
                return -1;
            }
            if (q < e && *q == '"') {
                q++;
                while (q < e && *q != '"') {
                    if (*q == '\\' && q + 1 < e) q++;
                    *w++ = *q++;
                }
                if (q >= e) bad = "unterminated quoted attribute value";
                else q++;
            } else {
                while (q < e && !isspace((unsigned char)*q)) *w++ = *q++;
            }
            *w = '\0';
            char **slot = NULL;
            if (tlen == 7 && memcmp(tok, "caption", 7) == 0) slot = &attrs->caption;
            else if (tlen == 4 && memcmp(tok, "null", 4) == 0) slot = &attrs->null_text;
            if (slot && !*slot) {
                *slot = val;
            } else {
                free(val);
                if (!bad) bad = slot ? "attribute given twice" : "unknown attribute (" ATTRS_ALLOWED ")";
            }
        } else if (tlen == 10 && memcmp(tok, ".sql-table", 10) == 0) {
            is_table = 1;
        } else if (!bad) {
            bad = "unknown attribute (" ATTRS_ALLOWED ")";
        }
    }
    if (!is_table) {
        table_attrs_free(attrs);
        return 0;
    }
    if (bad) {
        table_attrs_free(attrs);
        *problem = bad;
        return -1;
    }
    return 1;
}

/* The cursor is at a line start holding the opening fence `open`. Copies an ordinary
 * block verbatim (to the end of the text if it never closes, as pandoc does) or runs a
 * table block. Leaves the cursor after the closing fence line. */
static int fenced_block(filler *f, const fence *open) {
    table_attrs attrs;
    const char *problem;
    int start = f->line;
    int kind = parse_info(open->info, open->info_len, &attrs, &problem);
    if (kind < 0) return fail_at(f, start, "table block: %s", problem);

    const char *body = open->next, *q = body, *close_at = NULL, *after = f->end;
    int lines = 1;
    while (q < f->end) {
        fence c;
        if (parse_fence(q, f->end, &c) && closes(open, &c)) {
            close_at = q;
            after = c.next;
            lines++;
            break;
        }
        q = line_end(q, f->end);
        if (q < f->end) q++;
        lines++;
    }
    if (kind == 0) {
        const char *stop = close_at ? after : f->end;
        emit(f, f->p, (size_t)(stop - f->p));
        f->p = stop;
        f->line += lines;
        return 0;
    }
    if (!close_at) {
        table_attrs_free(&attrs);
        return fail_at(f, start, "unterminated table block (no closing %.*s)", (int)open->len,
                       open->ch == '`' ? "````````````````" : "~~~~~~~~~~~~~~~~");
    }
    char *sql = strndup(body, (size_t)(close_at - body)), *filled_caption = NULL;
    int rc = sql ? 0 : fail_at(f, start, "out of memory");
    if (rc == 0 && attrs.caption) rc = fill_fragment(f, start, attrs.caption, &filled_caption);
    if (rc == 0)
        rc = fill_table(f, start, sql, f->p, open->indent, filled_caption, attrs.null_text);
    free(sql);
    table_attrs_free(&attrs);
    free(filled_caption);
    if (rc < 0) return -1;
    f->p = after;
    f->line += lines;
    /* Keep the table a block of its own when text follows directly. */
    if (f->p < f->end && *f->p != '\n') emit_str(f, "\n");
    return 0;
}

/* ---- inline scanning ---------------------------------------------------------------- */

static size_t run_length(const char *p, const char *end, char ch) {
    size_t n = 0;
    while (p + n < end && p[n] == ch) n++;
    return n;
}

/* The cursor is at a backtick run. Copies a whole code span, or the run alone when no
 * closing run of the same length follows within the paragraph (then it is literal). */
static void code_span(filler *f) {
    size_t n = run_length(f->p, f->end, '`');
    const char *q = f->p + n;
    while (q < f->end) {
        if (*q == '\n') {
            const char *r = q + 1;
            while (r < f->end && (*r == ' ' || *r == '\t')) r++;
            if (r >= f->end || *r == '\n') break; /* blank line: the paragraph ended */
            fence fc;
            if (parse_fence(q + 1, f->end, &fc)) break; /* a fence starts a new block */
        }
        if (*q == '`') {
            size_t m = run_length(q, f->end, '`');
            if (m == n) {
                const char *stop = q + m;
                for (const char *s = f->p; s < stop; s++) f->line += *s == '\n';
                emit(f, f->p, (size_t)(stop - f->p));
                f->p = stop;
                return;
            }
            q += m;
            continue;
        }
        q++;
    }
    emit(f, f->p, n);
    f->p += n;
}

/* The cursor is at "{{". Runs the placeholder up to the first "}}". */
static int placeholder(filler *f) {
    int start = f->line;
    const char *sql = f->p + 2, *close = NULL;
    for (const char *q = sql; q + 1 < f->end; q++)
        if (q[0] == '}' && q[1] == '}') {
            close = q;
            break;
        }
    if (!close) return fail_at(f, start, "unterminated {{ (no closing }})");
    char *text = strndup(sql, (size_t)(close - sql));
    if (!text) return fail_at(f, start, "out of memory");
    int rc = fill_inline(f, start, text);
    free(text);
    if (rc < 0) return -1;
    for (const char *s = f->p; s < close; s++) f->line += *s == '\n';
    f->p = close + 2;
    return 0;
}

/* Processes text from the cursor to the end of the current line (or further when a
 * placeholder or code span crosses lines), stopping after a '\n'. */
static int scan_inline(filler *f) {
    while (f->p < f->end) {
        char c = *f->p;
        if (c == '\n') {
            emit(f, f->p, 1);
            f->p++;
            f->line++;
            /* A blank line ends the paragraph, and any unclosed maths with it. */
            const char *r = f->p;
            while (r < f->end && (*r == ' ' || *r == '\t')) r++;
            if (r >= f->end || *r == '\n') {
                math_flush(f, 0);
                f->in_math = 0, f->brackets = 0;
            }
            return 0;
        }
        if (c == '[' || c == ']') {
            /* A value inside a link's or an image's description (a figure caption) stays
             * plain: a span with attributes there breaks the figure. */
            if (c == '[') f->brackets++;
            else if (f->brackets > 0) f->brackets--;
            emit(f, f->p, 1);
            f->p++;
            continue;
        }
        if (c == '$') {
            /* pandoc's rule: $ opens maths before a non-space, closes after one; $$ opens
             * and closes display maths. Only whether we are inside matters here. */
            size_t n = f->p + 1 < f->end && f->p[1] == '$' ? 2 : 1;
            char next = f->p + n < f->end ? f->p[n] : ' ';
            char prev = f->written ? f->tail[1] : ' ';
            int was_in_math = f->in_math;
            if (n == 2) f->in_math = !f->in_math;
            else if (!f->in_math && !isspace((unsigned char)next)) f->in_math = 1;
            else if (f->in_math && !isspace((unsigned char)prev)) f->in_math = 0;
            emit(f, f->p, n);
            f->p += n;
            if (was_in_math && !f->in_math) math_flush(f, 1);
            continue;
        }
        if (c == '\\' && f->p + 2 < f->end && f->p[1] == '{' && f->p[2] == '{') {
            emit_str(f, "{{");
            f->p += 3;
        } else if (c == '\\' && f->p + 1 < f->end && f->p[1] != '\n') {
            emit(f, f->p, 2); /* an escaped character, e.g. \` , is never markup */
            f->p += 2;
        } else if (c == '`') {
            code_span(f);
        } else if (c == '{' && f->p + 1 < f->end && f->p[1] == '{') {
            if (placeholder(f) < 0) return -1;
        } else {
            emit(f, f->p, 1);
            f->p++;
        }
    }
    return 0;
}

/* Fills a piece of inline text (a table caption) on its own, reporting errors at `line`.
 * The text is one line, so its placeholders cannot move the line count. */
static int fill_fragment(filler *parent, int line, const char *text, char **result) {
    size_t len = 0;
    filler f = {.db = parent->db, .source = parent->source, .p = text,
                .end = text + strlen(text), .line = line, .err = parent->err,
                .opt = parent->opt};
    *result = NULL;
    f.out = open_memstream(result, &len);
    if (!f.out) return fail_at(parent, line, "out of memory");
    int rc = 0;
    while (rc == 0 && f.p < f.end) rc = scan_inline(&f);
    math_flush(&f, 0);
    if (fclose(f.out) != 0 && rc == 0) rc = fail_at(parent, line, "out of memory");
    if (rc < 0) {
        free(*result);
        *result = NULL;
    }
    return rc;
}

/* ---- public API --------------------------------------------------------------------- */

int template_fill(sqlite3 *db, const char *source_name, const char *text, FILE *out,
                  nn_err *err) {
    return template_fill_opts(db, source_name, text, out, NULL, err);
}

int template_fill_opts(sqlite3 *db, const char *source_name, const char *text, FILE *out,
                       const template_options *opt, nn_err *err) {
    char *buf = NULL;
    size_t len = 0;
    filler f = {.db = db, .source = source_name ? source_name : "<template>", .p = text,
                .end = text + strlen(text), .line = 1, .err = err, .opt = opt};
    if (install_strict_printf(db, f.source, err)) return -1;
    if (prose_install(db) != SQLITE_OK)
        return nn_fail(err, "%s: cannot install plural(), noun(), join_list(), join_values(): %s",
                       f.source, sqlite3_errmsg(db));
    f.out = open_memstream(&buf, &len);
    if (!f.out) return nn_fail(err, "%s: cannot allocate output: %s", f.source, strerror(errno));
    int rc = 0;
    while (rc == 0 && f.p < f.end) {
        fence fc;
        if (parse_fence(f.p, f.end, &fc)) rc = fenced_block(&f, &fc);
        else rc = scan_inline(&f);
    }
    math_flush(&f, 0);
    int stream_bad = ferror(f.out);
    fclose(f.out);
    if (rc == 0 && stream_bad) rc = nn_fail(err, "%s: out of memory", f.source);
    if (rc == 0 && (fwrite(buf, 1, len, out) != len || fflush(out) != 0))
        rc = nn_fail(err, "%s: cannot write output: %s", f.source, strerror(errno));
    free(buf);
    return rc;
}

int template_fill_file(sqlite3 *db, const char *path, FILE *out, nn_err *err) {
    return template_fill_file_opts(db, path, out, NULL, err);
}

int template_fill_file_opts(sqlite3 *db, const char *path, FILE *out,
                            const template_options *opt, nn_err *err) {
    FILE *in = fopen(path, "rb");
    if (!in) return nn_fail(err, "%s: cannot open template: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    int rc = 0;
    if (!mem) {
        rc = nn_fail(err, "%s: cannot allocate: %s", path, strerror(errno));
    } else {
        char chunk[8192];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) fwrite(chunk, 1, n, mem);
        if (ferror(in)) rc = nn_fail(err, "%s: cannot read template: %s", path, strerror(errno));
        if (fclose(mem) != 0 && rc == 0) rc = nn_fail(err, "%s: out of memory", path);
    }
    fclose(in);
    if (rc == 0 && strlen(text) != len)
        rc = nn_fail(err, "%s: template contains a NUL byte", path);
    if (rc == 0) rc = template_fill_opts(db, path, text, out, opt, err);
    free(text);
    return rc;
}

int template_open_db(const char *path, sqlite3 **db, nn_err *err) {
    struct stat sb;
    *db = NULL;
    /* SQLite would report a missing file as "unable to open database file"; say it plainly,
     * and make sure nothing (not even an empty database) is created. */
    if (stat(path, &sb) != 0) return nn_fail(err, "%s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) return nn_fail(err, "%s: not a regular file", path);
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        nn_fail(err, "%s: cannot open database: %s", path,
                *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(*db, 10000);
    /* Opening is lazy: read the schema now so a non-database fails here, not mid-chapter. */
    if (sqlite3_exec(*db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
        nn_fail(err, "%s: %s", path, sqlite3_errmsg(*db));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

int template_check_profile(sqlite3 *db, const char *db_name, const char *profile, nn_err *err) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT profile FROM report_profile", -1, &st, NULL) != SQLITE_OK)
        return nn_fail(err,
                       "%s: no report_profile view (%s): the database predates schema "
                       "version 3; run an experiment on it to migrate it",
                       db_name, sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    const char *shown = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (!shown)
        rc = nn_fail(err, "%s: cannot read the report's profile: %s", db_name, sqlite3_errmsg(db));
    else if (strcmp(shown, profile) != 0)
        rc = nn_fail(err,
                     "%s: the database shows the '%s' profile, the report is built for '%s' "
                     "(use that profile's database, or: INSERT OR REPLACE INTO report_scope "
                     "VALUES (1, '%s'))",
                     db_name, shown, profile, profile);
    else
        rc = 0;
    sqlite3_finalize(st);
    return rc;
}
