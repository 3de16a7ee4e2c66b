/* args.h - a program's own options, on top of the shared command line (lab/cli.h).
 *
 * Chapter 04's `cifar-train` and `cifar-test` take the options every nnlab program takes
 * (lab/cli.h: --db, --profile, --seed, --threads, ...) plus a few of their own (--out FILE,
 * --epochs N, a MODEL argument). Rather than a second parser, args_split takes the program's own options
 * and positional arguments out of argv and leaves the rest, in order, for cli_parse, so the
 * shared options keep one meaning and one error message everywhere.
 *
 *     const char *out = "cifar10.nnm", *epochs = NULL;
 *     int no_flip = 0;
 *     args_opt opts[] = {{"out", &out, NULL}, {"epochs", &epochs, NULL}, {"no-flip", NULL,
 * &no_flip}}; args_split(argc, argv, opts, 3, pos, 1, &npos, rest, &nrest, &err);
 *
 * An option with a value is written "--name VALUE" or "--name=VALUE"; a flag is "--name".
 * Arguments not starting with "--" are positional unless they are the value of a shared
 * option that takes one. */
#ifndef NN_ARGS_H
#define NN_ARGS_H

#include "base/nn_err.h"

typedef struct args_opt {
    const char *name;   /* without the leading "--" */
    const char **value; /* an option with a value: where to store it (NULL for a flag) */
    int *flag;          /* a flag: set to 1 when present */
} args_opt;

/* rest must hold argc + 1 pointers; rest[0] is argv[0] and rest[*nrest] is NULL. More than
 * max_pos positional arguments, or a program option without its value, is an error. */
int args_split(int argc, char **argv, const args_opt *opts, int nopts, const char **pos,
               int max_pos, int *npos, char **rest, int *nrest, nn_err *err);

/* Parses a whole integer in [min, max] / a finite number in [min, max] for option `name`
 * (also for programs with a command line of their own, such as chapter 06's emotion-live). */
int args_int(const char *name, const char *text, long min, long max, int *out, nn_err *err);
int args_float(const char *name, const char *text, double min, double max, float *out, nn_err *err);

#endif
