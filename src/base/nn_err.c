/* nn_err.c - formatting of error messages (see nn_err.h). */
#include "base/nn_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int nn_fail(nn_err *err, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int nn_fail_context(nn_err *err, const char *fmt, ...) {
    if (err) {
        char prefix[NN_ERR_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        /* Build "prefix: old" in place, truncating (on purpose) when it does not fit. */
        size_t plen = strlen(prefix), olen = strlen(err->msg);
        if (plen + 2 >= sizeof err->msg) plen = sizeof err->msg - 3;
        if (plen + 2 + olen >= sizeof err->msg) olen = sizeof err->msg - plen - 3;
        memmove(err->msg + plen + 2, err->msg, olen);
        memcpy(err->msg, prefix, plen);
        err->msg[plen] = ':';
        err->msg[plen + 1] = ' ';
        err->msg[plen + 2 + olen] = '\0';
    }
    return -1;
}
