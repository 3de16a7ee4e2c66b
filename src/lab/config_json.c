/* config_json.c - see config_json.h. */
#include "lab/config_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void put(nn_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(nn_json *j, const char *fmt, ...) {
    if (j->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(j->text + j->len, NN_JSON_MAX - j->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= NN_JSON_MAX - j->len) j->overflow = 1;
    else j->len += (size_t)n;
}

/* A JSON string literal: quotes, backslashes and control characters escaped. */
static void put_string(nn_json *j, const char *s) {
    put(j, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') put(j, "\\%c", c);
        else if (c < 0x20) put(j, "\\u%04x", c);
        else put(j, "%c", c);
    }
    put(j, "\"");
}

static void put_key(nn_json *j, const char *key) {
    if (j->fields++) put(j, ",");
    put_string(j, key);
    put(j, ":");
}

void json_begin(nn_json *j) {
    j->len = 0;
    j->fields = 0;
    j->overflow = 0;
    j->text[0] = '\0';
    put(j, "{");
}

void json_str(nn_json *j, const char *key, const char *value) {
    put_key(j, key);
    if (value) put_string(j, value);
    else put(j, "null");
}

void json_int(nn_json *j, const char *key, long long value) {
    put_key(j, key);
    put(j, "%lld", value);
}

void json_num(nn_json *j, const char *key, double value) {
    put_key(j, key);
    if (!isfinite(value)) {
        put(j, "null");
        return;
    }
    /* The shortest text that reads back as the same number: a float parameter (0.1f) is
     * written 0.1, not 0.100000001; a double needs up to 17 digits. */
    const int is_float = (double)(float)value == value;
    char buf[32];
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, value);
        if (is_float ? strtof(buf, NULL) == (float)value : strtod(buf, NULL) == value) break;
    }
    put(j, "%s", buf);
}

void json_bool(nn_json *j, const char *key, int value) {
    put_key(j, key);
    put(j, value ? "true" : "false");
}

void json_raw(nn_json *j, const char *key, const char *json) {
    put_key(j, key);
    put(j, "%s", json);
}

const char *json_end(nn_json *j) {
    put(j, "}");
    return j->overflow ? NULL : j->text;
}

void json_training(nn_json *j, int train_n, int test_n, int epochs, int batch) {
    json_int(j, "train_n", train_n);
    json_int(j, "test_n", test_n);
    json_int(j, "epochs", epochs);
    json_int(j, "batch", batch);
}
