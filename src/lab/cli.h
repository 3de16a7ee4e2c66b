/* cli.h - the command line every experiment program shares.
 *
 *   --db PATH        results database to write (required)
 *   --profile NAME   smoke (tiny subsets, minutes) or full (the published report)
 *   --data-dir DIR   where the datasets are (default: data)
 *   --figures DIR    where the program writes image figures (PNG grids; default: figures)
 *   --seed N         base seed; a program with several seeds uses N, N+1, ... (default 1)
 *   --threads N      OpenMP/OpenBLAS threads (default: all cores); results are
 *                    reproducible bit for bit for the same seed and thread count
 *   --help
 * The program's description and its own notes are printed with --help. */
#ifndef NN_CLI_H
#define NN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "base/nn_err.h"

typedef struct nn_cli {
    const char *db;
    const char *profile;
    const char *data_dir;
    const char *figures_dir;
    int64_t seed;
    int threads;
    int smoke; /* profile == "smoke" */
} nn_cli;

/* Parses argv into o. Returns 0 to go on, 1 when --help was printed to help_out (the
 * program should exit 0), -1 on a usage error (message in err; exit 2). Sets the thread
 * count for OpenMP and OpenBLAS when --threads is given. */
int cli_parse(int argc, char **argv, const char *description, FILE *help_out, nn_cli *o,
              nn_err *err);

/* How every main starts: cli_parse with --help printed to out and a usage error (one line)
 * to errs. Returns -1 to go on, else the exit code: 0 after --help, 2 after an error.
 *     int exit_code = cli_start(argc, argv, DESCRIPTION, stdout, stderr, &cli);
 *     if (exit_code >= 0) return exit_code; */
int cli_start(int argc, char **argv, const char *description, FILE *out, FILE *errs, nn_cli *o);

#endif
