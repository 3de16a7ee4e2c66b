/* test_io.c - whole-file reads: plain and gzipped files round-trip exactly, and every way a
 * file can be wrong (missing, too large, truncated or corrupt gzip) gives a clear error that
 * names the file, without allocating more than the caller's limit. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/io.h"
#include "test_files.h"

static char dir[TEST_PATH_MAX];
static void setup(void) {
    test_mkdtemp(dir);
}
static void teardown(void) {
    test_rmtree(dir);
}
TestSuite(io, .init = setup, .fini = teardown);

/* Bytes that compress somewhat but not trivially. */
static unsigned char *pattern(size_t n) {
    unsigned char *p = malloc(n);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(i % 7 == 0 ? x >> 24 : i % 251);
    }
    return p;
}

static void assert_reads_back(const char *path, const unsigned char *want, size_t n) {
    uint8_t *data;
    size_t len;
    nn_err err = {{0}};
    cr_assert_eq(io_read_file(path, n + 10, &data, &len, &err), 0, "%s", err.msg);
    cr_assert_eq(len, n);
    cr_assert_eq(memcmp(data, want, n), 0);
    cr_assert_eq(data[len], 0, "a terminating zero byte follows the data");
    free(data);
}

Test(io, plain_file_round_trips) {
    char path[TEST_PATH_MAX];
    size_t n = 100003;
    unsigned char *p = pattern(n);
    test_write(test_path(path, dir, "plain.bin"), p, n);
    assert_reads_back(path, p, n);
    free(p);
}

Test(io, gzip_file_is_decompressed) {
    char path[TEST_PATH_MAX];
    size_t n = 300001;
    unsigned char *p = pattern(n);
    test_write_gz(test_path(path, dir, "data.gz"), p, n);
    assert_reads_back(path, p, n);
    free(p);
}

Test(io, highly_compressible_gzip_grows_its_buffer) {
    /* 4 MB of zeros compress about 1000:1, so the output buffer must grow past any guess
     * based on the compressed size alone. */
    char path[TEST_PATH_MAX];
    size_t n = 4u << 20;
    unsigned char *z = calloc(n, 1);
    test_write_gz(test_path(path, dir, "zeros.gz"), z, n);
    assert_reads_back(path, z, n);
    free(z);
}

Test(io, concatenated_gzip_members_are_joined) {
    char a[TEST_PATH_MAX], b[TEST_PATH_MAX], both[TEST_PATH_MAX];
    test_write_gz(test_path(a, dir, "a.gz"), "hello, ", 7);
    test_write_gz(test_path(b, dir, "b.gz"), "world", 5);
    size_t la, lb;
    unsigned char *da = test_slurp(a, &la), *db = test_slurp(b, &lb);
    unsigned char *cat = malloc(la + lb);
    memcpy(cat, da, la);
    memcpy(cat + la, db, lb);
    test_write(test_path(both, dir, "both.gz"), cat, la + lb);
    assert_reads_back(both, (const unsigned char *)"hello, world", 12);
    free(da);
    free(db);
    free(cat);
}

Test(io, empty_file_reads_as_empty) {
    char path[TEST_PATH_MAX];
    test_write(test_path(path, dir, "empty"), "", 0);
    assert_reads_back(path, (const unsigned char *)"", 0);
}

Test(io, missing_file_is_named) {
    char path[TEST_PATH_MAX];
    uint8_t *data = (uint8_t *)"x";
    size_t len = 1;
    nn_err err = {{0}};
    cr_assert_eq(io_read_file(test_path(path, dir, "nope.bin"), 100, &data, &len, &err), -1);
    assert_msg_has(err.msg, path);
    assert_msg_has(err.msg, "No such file");
    cr_assert_null(data);
    cr_assert_eq(len, 0);
}

Test(io, directory_is_not_a_file) {
    uint8_t *data;
    size_t len;
    nn_err err = {{0}};
    cr_assert_eq(io_read_file(dir, 100, &data, &len, &err), -1);
    assert_msg_has(err.msg, "not a regular file");
}

Test(io, plain_file_over_the_limit_is_refused) {
    char path[TEST_PATH_MAX];
    unsigned char *p = pattern(1000);
    test_write(test_path(path, dir, "big.bin"), p, 1000);
    uint8_t *data;
    size_t len;
    nn_err err = {{0}};
    cr_assert_eq(io_read_file(path, 999, &data, &len, &err), -1);
    assert_msg_has(err.msg, path);
    assert_msg_has(err.msg, "too large");
    cr_assert_eq(io_read_file(path, 1000, &data, &len, &err), 0, "exactly the limit is fine");
    free(data);
    free(p);
}

Test(io, gzip_bomb_stops_at_the_limit) {
    char path[TEST_PATH_MAX];
    size_t n = 8u << 20;
    unsigned char *z = calloc(n, 1);
    test_write_gz(test_path(path, dir, "bomb.gz"), z, n);
    free(z);
    uint8_t *data;
    size_t len;
    nn_err err = {{0}};
    cr_assert_eq(io_read_file(path, 1u << 20, &data, &len, &err), -1);
    assert_msg_has(err.msg, path);
    assert_msg_has(err.msg, "too large");
}

/* Writes a gzip file of n pattern bytes and returns its compressed bytes. */
static unsigned char *gz_bytes(const char *name, size_t n, size_t *len) {
    char path[TEST_PATH_MAX];
    unsigned char *p = pattern(n);
    test_write_gz(test_path(path, dir, name), p, n);
    free(p);
    return test_slurp(path, len);
}

Test(io, truncated_gzip_is_reported) {
    size_t len;
    unsigned char *gz = gz_bytes("full.gz", 50000, &len);
    char path[TEST_PATH_MAX];
    /* Cut inside the deflate stream, and cut only the 8-byte trailer. */
    size_t cuts[] = {len / 2, len - 4, 11};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        test_write(test_path(path, dir, "cut.gz"), gz, cuts[k]);
        uint8_t *data;
        size_t out;
        nn_err err = {{0}};
        cr_assert_eq(io_read_file(path, 1u << 20, &data, &out, &err), -1, "cut at %zu", cuts[k]);
        assert_msg_has(err.msg, path);
        assert_msg_has(err.msg, "truncated");
    }
    free(gz);
}

Test(io, corrupt_gzip_is_reported) {
    size_t len;
    unsigned char *gz = gz_bytes("good.gz", 50000, &len);
    for (size_t i = len / 3; i < len / 3 + 16; i++)
        gz[i] ^= 0x5a;
    char path[TEST_PATH_MAX];
    test_write(test_path(path, dir, "bad.gz"), gz, len);
    uint8_t *data;
    size_t out;
    nn_err err = {{0}};
    cr_assert_eq(io_read_file(path, 1u << 20, &data, &out, &err), -1);
    assert_msg_has(err.msg, path);
    assert_msg_has(err.msg, "corrupt");
    free(gz);
}

Test(io, lying_size_trailer_causes_no_big_allocation) {
    /* ISIZE says 4 GiB: only a hint, clamped by the deflate ratio and the limit; the CRC/length
     * check then rejects the file. Under ASan a 4 GiB malloc would be visible. */
    size_t len;
    unsigned char *gz = gz_bytes("liar.gz", 1000, &len);
    memset(gz + len - 4, 0xff, 4);
    uint8_t *data;
    size_t out;
    nn_err err = {{0}};
    cr_assert_eq(io_gunzip(gz, len, (size_t)1 << 40, "liar.gz", &data, &out, &err), -1);
    assert_msg_has(err.msg, "liar.gz: corrupt");
    free(gz);
}

Test(io, garbage_after_gzip_is_reported) {
    size_t len;
    unsigned char *gz = gz_bytes("g.gz", 1000, &len);
    unsigned char *more = malloc(len + 3);
    memcpy(more, gz, len);
    memcpy(more + len, "xyz", 3);
    uint8_t *data;
    size_t out;
    nn_err err = {{0}};
    cr_assert_eq(io_gunzip(more, len + 3, 1u << 20, "g.gz", &data, &out, &err), -1);
    assert_msg_has(err.msg, "3 unexpected bytes");
    free(gz);
    free(more);
}

Test(io, gunzip_rejects_plain_data) {
    uint8_t *data;
    size_t out;
    nn_err err = {{0}};
    cr_assert_eq(io_gunzip((const uint8_t *)"plain", 5, 100, "p", &data, &out, &err), -1);
    assert_msg_has(err.msg, "not gzip");
    cr_assert_eq(io_gunzip((const uint8_t *)"\x1f\x8b", 2, 100, "p", &data, &out, &err), -1);
    assert_msg_has(err.msg, "truncated");
}

Test(io, find_data_prefers_plain_then_gz) {
    char path[TEST_PATH_MAX], found[TEST_PATH_MAX], want[TEST_PATH_MAX];
    nn_err err = {{0}};
    cr_assert_eq(io_find_data(dir, "x.bin", found, sizeof found, &err), -1);
    assert_msg_has(err.msg, "x.bin: not found (nor x.bin.gz)");
    test_write(test_path(path, dir, "x.bin.gz"), "", 0);
    cr_assert_eq(io_find_data(dir, "x.bin", found, sizeof found, &err), 0, "%s", err.msg);
    cr_assert_str_eq(found, test_path(want, dir, "x.bin.gz"));
    test_write(test_path(path, dir, "x.bin"), "", 0);
    cr_assert_eq(io_find_data(dir, "x.bin", found, sizeof found, &err), 0, "%s", err.msg);
    cr_assert_str_eq(found, test_path(want, dir, "x.bin"));
}

Test(io, null_err_is_allowed) {
    uint8_t *data;
    size_t len;
    cr_assert_eq(io_read_file("/nonexistent/file", 10, &data, &len, NULL), -1);
}

/* ---- io_ensure_dir ------------------------------------------------------------------- */

Test(io, ensure_dir_creates_once_and_accepts_an_existing_directory) {
    char tmp[TEST_PATH_MAX], sub[TEST_PATH_MAX];
    test_mkdtemp(tmp);
    test_path(sub, tmp, "figures");
    nn_err err = {0};
    cr_assert_eq(io_ensure_dir(sub, &err), 0, "%s", err.msg);
    struct stat st;
    cr_assert_eq(stat(sub, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(io_ensure_dir(sub, &err), 0, "a second call must succeed: %s", err.msg);
    test_rmtree(tmp);
}

Test(io, ensure_dir_names_the_directory_it_cannot_make) {
    char tmp[TEST_PATH_MAX], file[TEST_PATH_MAX], sub[TEST_PATH_MAX];
    test_mkdtemp(tmp);
    test_path(file, tmp, "plain-file");
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    nn_err err = {0};
    /* a regular file stands where the directory should be */
    cr_assert_eq(io_ensure_dir(file, &err), -1);
    cr_assert(strstr(err.msg, file), "%s", err.msg);
    test_path(sub, file, "below");  /* a parent that is a file */
    cr_assert_eq(io_ensure_dir(sub, &err), -1);
    cr_assert(strstr(err.msg, sub), "%s", err.msg);
    test_rmtree(tmp);
}
