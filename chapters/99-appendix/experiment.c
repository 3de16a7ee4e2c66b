/* 99-appendix/experiment.c - records the machine and the software the report was made with.
 *
 * The report's appendix lists the environment next to every run: the CPU, the core count,
 * the libraries nnlab links (OpenBLAS and its kernel, SQLite, the compiler), the tools the
 * pipeline runs (gnuplot, pandoc) and a digest of each dataset's checksum list. They are
 * written as the configuration of one run (chapter '99-appendix', experiment 'environment'),
 * so the appendix reads them like any other number: from the database. */
#include <cblas.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/sha256.h"
#include "db/results.h"
#include "lab/cli.h"
#include "lab/config_json.h"
#include "lab/experiment.h"

#define CHAPTER "99-appendix"

/* The value of "key : value" lines of /proc/cpuinfo for `key`, first occurrence. */
static void cpuinfo(const char *key, char *out, size_t cap) {
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0) continue;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(out, cap, "%s", v);
        break;
    }
    fclose(f);
}

/* The first line a command prints, or "not found". */
static void first_line(const char *command, char *out, size_t cap) {
    snprintf(out, cap, "not found");
    FILE *p = popen(command, "r");
    if (!p) return;
    char line[256];
    if (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(out, cap, "%s", line);
    }
    pclose(p);
}

/* SHA-256 of the lines of the checksum list that belong to one dataset (paths starting with
 * "name/"): one digest that changes whenever any of its files' expected hashes does. */
static void dataset_digest(const char *list, const char *name, char out[65]) {
    snprintf(out, 65, "none");
    FILE *f = fopen(list, "r");
    if (!f) return;
    char line[512], text[8192] = "";
    size_t len = 0, nlen = strlen(name);
    while (fgets(line, sizeof line, f)) {
        const char *path = strchr(line, ' ');
        while (path && (*path == ' ' || *path == '*')) path++;
        if (!path || strncmp(path, name, nlen) != 0 || path[nlen] != '/') continue;
        size_t l = strlen(line);
        if (len + l < sizeof text) memcpy(text + len, line, l + 1), len += l;
    }
    fclose(f);
    if (len) sha256_hex(text, len, out);
}

static int record(nn_results *db, const nn_cli *cli, nn_err *err) {
    char cpu[256], gnuplot[256], pandoc[256], digest[65];
    struct utsname un;
    cpuinfo("model name", cpu, sizeof cpu);
    first_line("gnuplot --version 2>/dev/null", gnuplot, sizeof gnuplot);
    first_line("pandoc --version 2>/dev/null", pandoc, sizeof pandoc);
    nn_json j;
    json_begin(&j);
    json_str(&j, "cpu", cpu);
    json_int(&j, "cores", sysconf(_SC_NPROCESSORS_ONLN));
    json_int(&j, "memory_mib",
             (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGE_SIZE) / (1024 * 1024));
    json_str(&j, "kernel", uname(&un) == 0 ? un.release : "unknown");
    json_str(&j, "openblas", openblas_get_config());
    json_str(&j, "openblas_kernel", openblas_get_corename());
    json_str(&j, "sqlite", sqlite3_libversion());
    json_str(&j, "compiler", "gcc " __VERSION__);
    json_str(&j, "gnuplot", gnuplot);
    json_str(&j, "pandoc", pandoc);
    static const char *const datasets[] = {"mnist", "cifar-10", "fer2013"};
    for (size_t i = 0; i < sizeof datasets / sizeof datasets[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "checksums_%s", datasets[i]);
        dataset_digest("scripts/datasets.sha256", datasets[i], digest);
        json_str(&j, key, digest);
    }
    const char *config = json_end(&j);
    if (!config) return nn_fail(err, "the environment description is too long");
    int64_t run = results_begin_run(
        db, &(nn_run_info){CHAPTER, "environment", cli->profile, config, cli->seed}, err);
    if (run < 0) return -1;
    return experiment_end_run(db, run, 0, err);
}

int main(int argc, char **argv) {
    nn_cli cli;
    nn_err err = {{0}};
    int exit_code = cli_start(argc, argv,
        "Records the machine and software the report is built with (CPU, "
        "cores, OpenBLAS, SQLite, compiler, gnuplot, pandoc, dataset "
        "checksums) as a run of the appendix.",
        stdout, stderr, &cli);
    if (exit_code >= 0) return exit_code;
    nn_results *db = results_open(cli.db, &err);
    int rc = !db || record(db, &cli, &err);
    if (rc) fprintf(stderr, "%s: %s\n", CHAPTER, err.msg);
    results_close(db);
    return rc;
}
