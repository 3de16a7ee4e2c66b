/* cli.c - shared option parsing for experiment programs (see cli.h). */
#include "lab/cli.h"

#include <cblas.h>
#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

static int parse_long(const char *text, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static void print_help(FILE *out, const char *program, const char *description) {
    fprintf(out,
            "Usage: %s --db PATH [--profile smoke|full] [--data-dir DIR] [--figures DIR]\n"
            "          [--seed N] [--threads N]\n\n%s\n\n"
            "Options:\n"
            "  --db PATH        results database to write (created if missing)\n"
            "  --profile NAME   smoke (tiny subsets) or full (default: full)\n"
            "  --data-dir DIR   dataset directory, filled by `make data` (default: data)\n"
            "  --figures DIR    directory for image figures it writes (default: figures)\n"
            "  --seed N         base seed (default: 1); same seed and threads, same numbers\n"
            "  --threads N      threads for OpenMP and OpenBLAS (default: all cores)\n"
            "  -h, --help       show this help\n",
            program, description);
}

int cli_parse(int argc, char **argv, const char *description, FILE *help_out, nn_cli *o,
              nn_err *err) {
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},      {"profile", required_argument, NULL, 'p'},
        {"data-dir", required_argument, NULL, 'D'}, {"seed", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"figures", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *program = argc > 0 ? argv[0] : "experiment";
    *o = (nn_cli){.profile = "full", .data_dir = "data", .figures_dir = "figures", .seed = 1};
    optind = 1;
    opterr = 0; /* we report errors ourselves, in one line */
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'p': o->profile = optarg; break;
        case 'D': o->data_dir = optarg; break;
        case 'f': o->figures_dir = optarg; break;
        case 's':
            if (parse_long(optarg, 0, 1L << 40, &v))
                return nn_fail(err, "%s: --seed wants a non-negative integer, not '%s'", program,
                               optarg);
            o->seed = v;
            break;
        case 't':
            if (parse_long(optarg, 1, 1024, &v))
                return nn_fail(err, "%s: --threads wants an integer from 1 to 1024, not '%s'",
                               program, optarg);
            o->threads = (int)v;
            break;
        case 'h': print_help(help_out, program, description); return 1;
        case ':':
            return nn_fail(err, "%s: option '%s' needs a value (try --help)", program,
                           argv[optind - 1]);
        default:
            return nn_fail(err, "%s: unknown option '%s' (try --help)", program,
                           argv[optind - 1]);
        }
    }
    if (optind < argc)
        return nn_fail(err, "%s: unexpected argument '%s' (try --help)", program, argv[optind]);
    if (!o->db) return nn_fail(err, "%s: --db PATH is required (try --help)", program);
    if (strcmp(o->profile, "smoke") && strcmp(o->profile, "full"))
        return nn_fail(err, "%s: --profile must be smoke or full, not '%s'", program, o->profile);
    o->smoke = !strcmp(o->profile, "smoke");
    if (o->threads) {
        omp_set_num_threads(o->threads);
        openblas_set_num_threads(o->threads);
    }
    return 0;
}

int cli_start(int argc, char **argv, const char *description, FILE *out, FILE *errs, nn_cli *o) {
    nn_err err = {{0}};
    int parsed = cli_parse(argc, argv, description, out, o, &err);
    if (parsed < 0) fprintf(errs, "%s\n", err.msg);
    return parsed < 0 ? 2 : parsed > 0 ? 0 : -1;
}
