/* config_json.h - a run's configuration as a JSON object, built key by key.
 *
 * Every run records its configuration (runs.config_json) so that a number in the report can
 * be traced to the settings that made it. Chapters used to write that JSON by hand with
 * snprintf, which is easy to get wrong (a missing comma, an unescaped string); this builder
 * does the punctuation and escaping:
 *
 *     nn_json j;
 *     json_begin(&j);
 *     json_str(&j, "model", "resnet");
 *     json_int(&j, "epochs", 30);
 *     json_num(&j, "lr", 0.1);
 *     json_raw(&j, "hidden", "[500,200]");          a value that is already JSON
 *     const char *config = json_end(&j);             NULL if it did not fit
 *
 * Numbers are written with the fewest digits that read back as the same value (a float's
 * 0.1f as 0.1, a double with up to 17 digits); a non-finite number becomes null
 * (JSON has no NaN). No allocation: the text lives in the struct. */
#ifndef NN_CONFIG_JSON_H
#define NN_CONFIG_JSON_H

#include <stddef.h>

#define NN_JSON_MAX 4096

typedef struct nn_json {
    char text[NN_JSON_MAX];
    size_t len;
    int fields;
    int overflow;
} nn_json;

void json_begin(nn_json *j);
void json_str(nn_json *j, const char *key, const char *value);
void json_int(nn_json *j, const char *key, long long value);
void json_num(nn_json *j, const char *key, double value);
void json_bool(nn_json *j, const char *key, int value);
void json_raw(nn_json *j, const char *key, const char *json);
/* The sizes every training run records, under the names the chapters' queries use:
 * train_n, test_n (images), epochs and batch. */
void json_training(nn_json *j, int train_n, int test_n, int epochs, int batch);
/* Closes the object; returns the text, or NULL if it did not fit in NN_JSON_MAX bytes. */
const char *json_end(nn_json *j);

#endif
