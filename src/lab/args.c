/* args.c - a program's own options taken out of argv (see args.h). */
#include "lab/args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The shared options of lab/cli.h that take a value: their value is not a positional
 * argument. */
static const char *const SHARED_WITH_VALUE[] = {"db",      "profile", "data-dir",
                                                "figures", "seed",    "threads"};

static int shared_takes_value(const char *name, size_t len) {
    for (size_t k = 0; k < sizeof SHARED_WITH_VALUE / sizeof *SHARED_WITH_VALUE; k++)
        if (strlen(SHARED_WITH_VALUE[k]) == len && !strncmp(SHARED_WITH_VALUE[k], name, len))
            return 1;
    return 0;
}

static const args_opt *find(const args_opt *opts, int nopts, const char *name, size_t len) {
    for (int k = 0; k < nopts; k++)
        if (strlen(opts[k].name) == len && !strncmp(opts[k].name, name, len)) return &opts[k];
    return NULL;
}

int args_split(int argc, char **argv, const args_opt *opts, int nopts, const char **pos,
               int max_pos, int *npos, char **rest, int *nrest, nn_err *err) {
    const char *program = argc > 0 ? argv[0] : "program";
    *npos = 0;
    *nrest = 0;
    rest[(*nrest)++] = argc > 0 ? argv[0] : (char *)program;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) || !a[2]) {
            if (!strcmp(a, "-h")) {
                rest[(*nrest)++] = argv[i];
                continue;
            }
            if (*npos >= max_pos)
                return nn_fail(err, "%s: unexpected argument '%s' (try --help)", program, a);
            pos[(*npos)++] = a;
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const args_opt *o = find(opts, nopts, name, len);
        if (!o) {
            /* A shared option: it and its value (if separate) go to cli_parse. */
            rest[(*nrest)++] = argv[i];
            if (!eq && shared_takes_value(name, len) && i + 1 < argc) rest[(*nrest)++] = argv[++i];
            continue;
        }
        if (!o->value) {
            if (eq) return nn_fail(err, "%s: option '--%s' takes no value", program, o->name);
            *o->flag = 1;
        } else if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            return nn_fail(err, "%s: option '--%s' needs a value (try --help)", program, o->name);
        }
    }
    rest[*nrest] = NULL;
    return 0;
}

int args_int(const char *name, const char *text, long min, long max, int *out, nn_err *err) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max)
        return nn_fail(err, "--%s wants an integer from %ld to %ld, not '%s'", name, min, max,
                       text);
    *out = (int)v;
    return 0;
}

int args_float(const char *name, const char *text, double min, double max, float *out,
               nn_err *err) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v < min || v > max)
        return nn_fail(err, "--%s wants a number from %g to %g, not '%s'", name, min, max, text);
    *out = (float)v;
    return 0;
}
