/* test_json.c - the JSON reader: every kind of value, escapes and surrogate pairs, lookups,
 * and a message with the byte offset for each kind of malformed text. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "test_files.h"

static json_value *parse_ok(const char *text) {
    nn_err err = {{0}};
    json_value *v = json_parse(text, strlen(text), &err);
    cr_assert_not_null(v, "'%s' rejected: %s", text, err.msg);
    return v;
}

static void parse_bad(const char *text, size_t len, const char *fragment) {
    nn_err err = {{0}};
    json_value *v = json_parse(text, len, &err);
    cr_assert_null(v, "'%s' accepted", text);
    assert_msg_has(err.msg, "at byte ");
    assert_msg_has(err.msg, fragment);
}

Test(json, a_keras_like_config) {
    const char *text = " {\"class_name\": \"Sequential\", \"config\": {\"name\": \"seq\", "
                       "\"layers\": [{\"class_name\": \"Conv2D\", \"config\": {\"filters\": 32, "
                       "\"kernel_size\": [3, 3], \"use_bias\": true, \"bias\": null, "
                       "\"momentum\": 0.99, \"eps\": 1e-3, \"neg\": -2.5E+2, \"f\": false}}]}}\n";
    json_value *v = parse_ok(text);
    cr_assert_str_eq(json_string(json_get(v, "class_name")), "Sequential");
    const json_value *layers = json_get(json_get(v, "config"), "layers");
    cr_assert_eq(json_count(layers), 1);
    const json_value *c = json_get(json_at(layers, 0), "config");
    long n;
    cr_assert(json_int_in(json_get(c, "filters"), 1, 100, &n));
    cr_assert_eq(n, 32);
    cr_assert_not(json_int_in(json_get(c, "filters"), 1, 10, &n), "range not checked");
    cr_assert_not(json_int_in(json_get(c, "momentum"), 0, 10, &n), "0.99 is no integer");
    cr_assert_eq(json_count(json_get(c, "kernel_size")), 2);
    cr_assert_eq(json_at(json_get(c, "kernel_size"), 1)->number, 3.0);
    cr_assert_eq(json_get(c, "use_bias")->type, JSON_TRUE);
    cr_assert_eq(json_get(c, "f")->type, JSON_FALSE);
    cr_assert_eq(json_get(c, "bias")->type, JSON_NULL);
    cr_assert_float_eq(json_get(c, "eps")->number, 1e-3, 1e-18);
    cr_assert_eq(json_get(c, "neg")->number, -250.0);
    /* NULL-safe lookups */
    cr_assert_null(json_get(c, "missing"));
    cr_assert_null(json_get(json_get(c, "missing"), "x"));
    cr_assert_null(json_at(json_get(c, "kernel_size"), 2));
    cr_assert_null(json_at(c, 0));
    cr_assert_null(json_string(json_get(c, "filters")));
    cr_assert_eq(json_count(NULL), 0);
    json_free(v);
}

Test(json, escapes_and_unicode) {
    json_value *v = parse_ok("[\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\", \"\\u00e9\\u20AC\", "
                             "\"\\ud83d\\ude00\", \"\xc3\xa9 raw\", \"\", [], {}]");
    cr_assert_str_eq(json_string(json_at(v, 0)), "a\"b\\c/d\n\t\r\b\f");
    cr_assert_str_eq(json_string(json_at(v, 1)), "\xc3\xa9\xe2\x82\xac");
    cr_assert_str_eq(json_string(json_at(v, 2)), "\xf0\x9f\x98\x80");
    cr_assert_str_eq(json_string(json_at(v, 3)), "\xc3\xa9 raw");
    cr_assert_str_eq(json_string(json_at(v, 4)), "");
    cr_assert_eq(json_at(v, 5)->type, JSON_ARRAY);
    cr_assert_eq(json_count(json_at(v, 5)), 0);
    cr_assert_eq(json_at(v, 6)->type, JSON_OBJECT);
    json_free(v);
}

Test(json, duplicate_keys_first_wins) {
    json_value *v = parse_ok("{\"a\": 1, \"a\": 2}");
    cr_assert_eq(json_get(v, "a")->number, 1.0);
    cr_assert_eq(json_count(v), 2);
    json_free(v);
}

Test(json, text_need_not_be_terminated) {
    const char buf[4] = {'1', '2', '3', '4'};
    nn_err err = {{0}};
    json_value *v = json_parse(buf, 3, &err);
    cr_assert_not_null(v, "%s", err.msg);
    cr_assert_eq(v->number, 123.0);
    json_free(v);
}

Test(json, malformed_text_is_refused_with_its_offset) {
    parse_bad("", 0, "unexpected end of text");
    parse_bad("   ", 3, "unexpected end of text");
    parse_bad("{\"a\": 1,}", 9, "expected a string key");
    parse_bad("[1, 2,]", 7, "invalid number");
    parse_bad("[1 2]", 5, "expected ',' or ']'");
    parse_bad("{\"a\" 1}", 7, "expected ':'");
    parse_bad("{'a': 1}", 8, "expected a string key");
    parse_bad("\"abc", 4, "unterminated string");
    parse_bad("\"a\\qb\"", 6, "invalid escape");
    parse_bad("\"\\u12g4\"", 8, "invalid \\u escape");
    parse_bad("\"\\ud83d\"", 8, "unpaired surrogate");
    parse_bad("\"\\ude00\"", 8, "unpaired surrogate");
    parse_bad("\"a\\u0000b\"", 10, "\\u0000");
    parse_bad("\"tab\there\"", 10, "control character");
    parse_bad("01", 2, "text after the value");
    parse_bad("1.", 2, "no digit after '.'");
    parse_bad("1e+", 3, "no digit in the exponent");
    parse_bad("-", 1, "invalid number");
    parse_bad("NaN", 3, "invalid number");
    parse_bad("1e999", 5, "number out of range");
    parse_bad("tru", 3, "invalid literal");
    parse_bad("nul", 3, "invalid literal");
    parse_bad("{} {}", 5, "at byte 3: text after the value");
    parse_bad("[1, // comment\n 2]", 18, "invalid number");
}

Test(json, deep_nesting_is_refused_not_overflowed) {
    size_t n = 100000;
    char *deep = malloc(2 * n);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    parse_bad(deep, 2 * n, "nested too deeply");
    /* JSON_MAX_DEPTH levels are fine */
    size_t ok = JSON_MAX_DEPTH;
    memset(deep, '[', ok);
    memset(deep + ok, ']', ok);
    nn_err err = {{0}};
    json_value *v = json_parse(deep, 2 * ok, &err);
    cr_assert_not_null(v, "%s", err.msg);
    json_free(v);
    free(deep);
}
