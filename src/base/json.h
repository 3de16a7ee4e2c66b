/* json.h - reading JSON text (RFC 8259) into a tree of values.
 *
 * For descriptions that other programs write, such as the model_config of a Keras .h5 file
 * (nn/model_h5.h). Untrusted input is the normal case, so the reader is strict and bounded:
 *
 *     nn_err err;
 *     json_value *v = json_parse(text, len, &err);            NULL + "at byte N: reason"
 *     const json_value *layers = json_get(json_get(v, "config"), "layers");
 *     for (size_t i = 0; layers && i < json_count(layers); i++) ... json_at(layers, i) ...
 *     json_free(v);
 *
 * Accepted: exactly one value, surrounded by optional white space; the grammar of RFC 8259
 * (no comments, trailing commas, single quotes, NaN or leading zeros); strings with every
 * escape, \u surrogate pairs turned into UTF-8. Refused with a message: anything else, a
 * string holding \u0000 (values are C strings) or an unpaired surrogate, nesting deeper
 * than JSON_MAX_DEPTH (the parser recurses), and numbers that overflow a double. Raw bytes
 * inside strings are copied as they are (not validated as UTF-8). Duplicate keys are kept;
 * json_get returns the first.
 *
 * Lookups are NULL-safe: json_get and json_at of NULL or of the wrong type return NULL, so a
 * chain of lookups needs one check at the end. */
#ifndef NN_JSON_H
#define NN_JSON_H

#include <stddef.h>

#include "base/nn_err.h"

#define JSON_MAX_DEPTH 64

typedef enum json_type {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_type;

typedef struct json_value {
    json_type type;
    double number;            /* JSON_NUMBER */
    char *string;             /* JSON_STRING: NUL-terminated UTF-8 */
    size_t count;             /* JSON_ARRAY / JSON_OBJECT: number of items */
    struct json_value *items; /* their values, in order */
    char **keys;              /* JSON_OBJECT: their keys */
} json_value;

/* Parses len bytes of text. NULL with "at byte N: reason" in err on any error. */
json_value *json_parse(const char *text, size_t len, nn_err *err);
void json_free(json_value *v);

/* The value of key in an object (the first, if repeated); NULL if absent or v is not an
 * object. */
const json_value *json_get(const json_value *v, const char *key);
/* Item i of an array; NULL if out of range or v is not an array. */
const json_value *json_at(const json_value *v, size_t i);
/* Items of an array or object; 0 for anything else (and NULL). */
size_t json_count(const json_value *v);
/* The string of a JSON_STRING, else NULL. */
const char *json_string(const json_value *v);
/* Whether v is a number that is an integer in [lo, hi]; if so, stores it in *out. */
int json_int_in(const json_value *v, long lo, long hi, long *out);

#endif
