/* json.c - a strict recursive-descent JSON reader (see json.h). */
#include "base/json.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *s;
    size_t len, pos;
    nn_err *err;
    int failed;
} parser;

static int fail_at(parser *p, const char *why) {
    if (!p->failed) nn_fail(p->err, "at byte %zu: %s", p->pos, why);
    p->failed = 1;
    return -1;
}

static void skip_ws(parser *p) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int peek(const parser *p) {
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail_at(p, "invalid literal");
    p->pos += n;
    return 0;
}

static int is_digit(int c) {
    return c >= '0' && c <= '9';
}

static int parse_number(parser *p, json_value *v) {
    size_t start = p->pos;
    if (peek(p) == '-') p->pos++;
    if (peek(p) == '0')
        p->pos++;
    else if (is_digit(peek(p)))
        while (is_digit(peek(p)))
            p->pos++;
    else
        return fail_at(p, "invalid number");
    if (peek(p) == '.') {
        p->pos++;
        if (!is_digit(peek(p))) return fail_at(p, "invalid number: no digit after '.'");
        while (is_digit(peek(p)))
            p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-') p->pos++;
        if (!is_digit(peek(p))) return fail_at(p, "invalid number: no digit in the exponent");
        while (is_digit(peek(p)))
            p->pos++;
    }
    /* strtod needs a terminated copy: the text need not be NUL-terminated. */
    size_t n = p->pos - start;
    char buf[64], *copy = n < sizeof buf ? buf : malloc(n + 1);
    if (!copy) return fail_at(p, "out of memory");
    memcpy(copy, p->s + start, n);
    copy[n] = 0;
    errno = 0;
    v->number = strtod(copy, NULL);
    int overflow = errno == ERANGE && isinf(v->number);
    if (copy != buf) free(copy);
    if (overflow) {
        p->pos = start;
        return fail_at(p, "number out of range");
    }
    v->type = JSON_NUMBER;
    return 0;
}

static int hex4(parser *p, unsigned *out) {
    if (p->len - p->pos < 4) return fail_at(p, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p->s[p->pos + i];
        v <<= 4;
        if (is_digit(c))
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return fail_at(p, "invalid \\u escape");
    }
    p->pos += 4;
    *out = v;
    return 0;
}

/* Appends code point cp as UTF-8 to out (room guaranteed by the caller: 4 bytes). */
static size_t put_utf8(char *out, unsigned cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parses a string at p->pos (which is '"') into a new malloc'd C string. */
static char *parse_string(parser *p) {
    p->pos++; /* the opening quote */
    /* The decoded text is never longer than the source, so one allocation of the remaining
     * length up to the closing quote suffices. */
    size_t end = p->pos;
    while (end < p->len && p->s[end] != '"') {
        if (p->s[end] == '\\') end++;
        end++;
    }
    if (end >= p->len) {
        fail_at(p, "unterminated string");
        return NULL;
    }
    char *out = malloc(end - p->pos + 1);
    if (!out) {
        fail_at(p, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) {
            fail_at(p, "control character in a string");
            goto bad;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            p->pos++;
            continue;
        }
        p->pos++;
        char e = p->s[p->pos++];
        switch (e) {
        case '"':
            out[n++] = '"';
            break;
        case '\\':
            out[n++] = '\\';
            break;
        case '/':
            out[n++] = '/';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'u': {
            unsigned cp;
            if (hex4(p, &cp)) goto bad;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p->pos + 2 > end || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                    fail_at(p, "unpaired surrogate in \\u escape");
                    goto bad;
                }
                p->pos += 2;
                if (hex4(p, &lo)) goto bad;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    fail_at(p, "unpaired surrogate in \\u escape");
                    goto bad;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail_at(p, "unpaired surrogate in \\u escape");
                goto bad;
            }
            if (cp == 0) {
                fail_at(p, "\\u0000 in a string");
                goto bad;
            }
            /* \uXXXX (6 bytes) decodes to at most 3, a pair (12) to 4: always fits */
            n += put_utf8(out + n, cp);
            break;
        }
        default:
            p->pos--;
            fail_at(p, "invalid escape in a string");
            goto bad;
        }
    }
    out[n] = 0;
    p->pos = end + 1;
    return out;
bad:
    free(out);
    return NULL;
}

static int parse_value(parser *p, json_value *v, int depth);

/* Grows a json_value array (and the key array, for objects) to hold one more item. */
static int grow(parser *p, json_value *v, size_t *cap, int with_keys) {
    if (v->count < *cap) return 0;
    size_t c = *cap ? 2 * *cap : 4;
    json_value *items = realloc(v->items, c * sizeof *items);
    if (!items) return fail_at(p, "out of memory");
    v->items = items;
    if (with_keys) {
        char **keys = realloc(v->keys, c * sizeof *keys);
        if (!keys) return fail_at(p, "out of memory");
        v->keys = keys;
    }
    *cap = c;
    return 0;
}

static int parse_array(parser *p, json_value *v, int depth) {
    v->type = JSON_ARRAY;
    p->pos++;
    skip_ws(p);
    if (peek(p) == ']') {
        p->pos++;
        return 0;
    }
    size_t cap = 0;
    for (;;) {
        if (grow(p, v, &cap, 0)) return -1;
        json_value *item = &v->items[v->count];
        memset(item, 0, sizeof *item);
        v->count++;
        if (parse_value(p, item, depth + 1)) return -1;
        skip_ws(p);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        if (peek(p) == ']') {
            p->pos++;
            return 0;
        }
        return fail_at(p, "expected ',' or ']' in an array");
    }
}

static int parse_object(parser *p, json_value *v, int depth) {
    v->type = JSON_OBJECT;
    p->pos++;
    skip_ws(p);
    if (peek(p) == '}') {
        p->pos++;
        return 0;
    }
    size_t cap = 0;
    for (;;) {
        skip_ws(p);
        if (peek(p) != '"') return fail_at(p, "expected a string key in an object");
        if (grow(p, v, &cap, 1)) return -1;
        char *key = parse_string(p);
        if (!key) return -1;
        json_value *item = &v->items[v->count];
        memset(item, 0, sizeof *item);
        v->keys[v->count] = key;
        v->count++;
        skip_ws(p);
        if (peek(p) != ':') return fail_at(p, "expected ':' after a key");
        p->pos++;
        if (parse_value(p, item, depth + 1)) return -1;
        skip_ws(p);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        if (peek(p) == '}') {
            p->pos++;
            return 0;
        }
        return fail_at(p, "expected ',' or '}' in an object");
    }
}

static int parse_value(parser *p, json_value *v, int depth) {
    if (depth > JSON_MAX_DEPTH) return fail_at(p, "nested too deeply");
    skip_ws(p);
    switch (peek(p)) {
    case -1:
        return fail_at(p, "unexpected end of text");
    case '{':
        return parse_object(p, v, depth);
    case '[':
        return parse_array(p, v, depth);
    case '"':
        v->type = JSON_STRING;
        v->string = parse_string(p);
        return v->string ? 0 : -1;
    case 't':
        v->type = JSON_TRUE;
        return literal(p, "true");
    case 'f':
        v->type = JSON_FALSE;
        return literal(p, "false");
    case 'n':
        v->type = JSON_NULL;
        return literal(p, "null");
    default:
        return parse_number(p, v);
    }
}

static void free_inside(json_value *v) {
    free(v->string);
    for (size_t i = 0; i < v->count; i++) {
        free_inside(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

json_value *json_parse(const char *text, size_t len, nn_err *err) {
    parser p = {.s = text, .len = len, .err = err};
    json_value *v = calloc(1, sizeof *v);
    if (!v) {
        nn_fail(err, "out of memory");
        return NULL;
    }
    if (parse_value(&p, v, 0) == 0) {
        skip_ws(&p);
        if (p.pos == p.len) return v;
        fail_at(&p, "text after the value");
    }
    json_free(v);
    return NULL;
}

void json_free(json_value *v) {
    if (!v) return;
    free_inside(v);
    free(v);
}

const json_value *json_get(const json_value *v, const char *key) {
    if (!v || v->type != JSON_OBJECT) return NULL;
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->keys[i], key) == 0) return &v->items[i];
    return NULL;
}

const json_value *json_at(const json_value *v, size_t i) {
    if (!v || v->type != JSON_ARRAY || i >= v->count) return NULL;
    return &v->items[i];
}

size_t json_count(const json_value *v) {
    return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) ? v->count : 0;
}

const char *json_string(const json_value *v) {
    return v && v->type == JSON_STRING ? v->string : NULL;
}

int json_int_in(const json_value *v, long lo, long hi, long *out) {
    if (!v || v->type != JSON_NUMBER) return 0;
    double d = v->number;
    if (!(d >= (double)lo && d <= (double)hi) || d != floor(d)) return 0;
    *out = (long)d;
    return 1;
}
