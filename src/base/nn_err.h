/* nn_err.h - how the library reports errors.
 *
 * Library functions never print and never exit. A function that can fail takes an
 * `nn_err *` as its last argument and returns -1 (or NULL) after writing a one-line,
 * human-readable message into it, naming the file or object and the problem, e.g.
 *     "data/mnist/train-images-idx3-ubyte.gz: truncated: expected 47040016 bytes, got 1024"
 * Programs print `err.msg` and exit non-zero. Passing NULL for `err` is allowed when the
 * caller does not want the message. There is no global error state. */
#ifndef NN_ERR_H
#define NN_ERR_H

#include <stddef.h>

#define NN_ERR_MAX 512

typedef struct nn_err {
    char msg[NN_ERR_MAX];
} nn_err;

/* Formats a message into err (if non-NULL) and returns -1, so that callers can write
 * `return nn_fail(err, "%s: bad magic", path);`. */
int nn_fail(nn_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to an existing message, for adding context on the way up. */
int nn_fail_context(nn_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
