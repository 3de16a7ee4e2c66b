/* test_files.h - scratch files for tests: a private temporary directory per test, and
 * writers for plain and gzipped files (gzip through zlib's own gzopen, so the reader under
 * test is checked against an independent writer). Header-only because each tests/test_*.c
 * is its own program; functions are static inline so unused ones cost nothing. */
#ifndef NN_TEST_FILES_H
#define NN_TEST_FILES_H

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define TEST_PATH_MAX 4096

/* Creates a fresh directory under $TMPDIR (or /tmp) into dir. */
static inline void test_mkdtemp(char dir[TEST_PATH_MAX]) {
    const char *base = getenv("TMPDIR");
    int n = snprintf(dir, TEST_PATH_MAX, "%s/nnlab-test-XXXXXX", base && *base ? base : "/tmp");
    cr_assert(n > 0 && n < TEST_PATH_MAX, "TMPDIR too long");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp %s failed", dir);
}

static inline int test_remove_entry(const char *path, const struct stat *st, int type,
                                    struct FTW *ftw) {
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

/* Removes dir and everything in it. */
static inline void test_rmtree(const char *dir) {
    if (dir[0]) nftw(dir, test_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* out = dir/name */
static inline const char *test_path(char out[TEST_PATH_MAX], const char *dir, const char *name) {
    int n = snprintf(out, TEST_PATH_MAX, "%s/%s", dir, name);
    cr_assert(n > 0 && n < TEST_PATH_MAX, "path too long");
    return out;
}

static inline void test_write(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static inline void test_write_gz(const char *path, const void *data, size_t len) {
    gzFile g = gzopen(path, "wb9");
    cr_assert_not_null(g, "cannot create %s", path);
    if (len > 0) cr_assert_eq(gzwrite(g, data, (unsigned)len), (int)len);
    cr_assert_eq(gzclose(g), Z_OK);
}

/* Reads a whole (small) file with stdio, independently of io.c; caller frees. */
static inline unsigned char *test_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)size + 1);
    cr_assert_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return buf;
}

/* The datasets' directory: $DATA_DIR as the Makefile and the experiment programs use it,
 * else data/ (the default of both). */
static inline const char *test_data_dir(void) {
    const char *d = getenv("DATA_DIR");
    return d && *d ? d : "data";
}

/* Fails the test -- never skips it -- unless DATASET ("mnist", "cifar-10") was fetched and
 * verified into the data directory: `make check` fetches MNIST before the unit tests, so a
 * missing MNIST there is a broken set-up, not a reason to test less. Returns the directory. */
static inline const char *test_require_dataset(const char *dataset) {
    const char *d = test_data_dir();
    char stamp[TEST_PATH_MAX];
    snprintf(stamp, sizeof stamp, "%s/%s/.verified", d, dataset);
    FILE *f = fopen(stamp, "r");
    cr_assert_not_null(f,
                       "%s is missing: %s was not fetched into %s (DATA_DIR); run `make data` "
                       "(make check does it), or set DATA_DIR to where the datasets are",
                       stamp, dataset, d);
    fclose(f);
    return d;
}

/* Asserts that an error message contains a fragment (a file name, a reason). */
#define assert_msg_has(msg, fragment)                                                              \
    cr_assert(strstr((msg), (fragment)) != NULL, "message '%s' lacks '%s'", (msg), (fragment))

#endif
