/* test_images.c - MNIST and CIFAR-10 loaders on small crafted files: exact round trips,
 * plain and gzipped, and a clear error naming the file for each kind of damage; and the real
 * datasets in $DATA_DIR (default data/) against their known class counts -- MNIST always
 * (a missing MNIST fails), CIFAR-10 when it was fetched. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/images.h"
#include "test_files.h"

static char dir[TEST_PATH_MAX];
static void setup(void) {
    test_mkdtemp(dir);
}
static void teardown(void) {
    test_rmtree(dir);
}
TestSuite(mnist, .init = setup, .fini = teardown);
TestSuite(cifar10, .init = setup, .fini = teardown);
TestSuite(images, .init = setup, .fini = teardown);

static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static unsigned char pixel_value(size_t i) {
    return (unsigned char)(i * 37 + 11);
}

/* An idx3 file of n images h x w with pixel_value pattern; returns its length. */
static size_t idx3(unsigned char *buf, uint32_t magic, uint32_t n, uint32_t h, uint32_t w) {
    put_be32(buf, magic);
    put_be32(buf + 4, n);
    put_be32(buf + 8, h);
    put_be32(buf + 12, w);
    size_t len = (size_t)n * h * w;
    for (size_t i = 0; i < len; i++)
        buf[16 + i] = pixel_value(i);
    return 16 + len;
}

/* An idx1 file of n labels i % 10. */
static size_t idx1(unsigned char *buf, uint32_t n) {
    put_be32(buf, 0x00000801);
    put_be32(buf + 4, n);
    for (uint32_t i = 0; i < n; i++)
        buf[8 + i] = (unsigned char)(i % 10);
    return 8 + n;
}

/* Writes images (n x 4 x 3) and labels files into dir; gz chooses the gzip writer. */
static void write_mnist_pair(const char *images, const char *labels, uint32_t n, int gz) {
    unsigned char img[4096], lab[256];
    size_t li = idx3(img, 0x00000803, n, 4, 3), ll = idx1(lab, n);
    (gz ? test_write_gz : test_write)(images, img, li);
    (gz ? test_write_gz : test_write)(labels, lab, ll);
}

static void assert_mnist_pattern(const nn_images *im, int n) {
    cr_assert_eq(im->n, n);
    cr_assert_eq(im->c, 1);
    cr_assert_eq(im->h, 4);
    cr_assert_eq(im->w, 3);
    cr_assert_eq(im->classes, 10);
    for (size_t i = 0; i < (size_t)n * 12; i++)
        cr_assert_eq(im->pixels[i], pixel_value(i), "pixel %zu", i);
    for (int i = 0; i < n; i++)
        cr_assert_eq(im->labels[i], i % 10);
}

Test(mnist, plain_files_round_trip) {
    char ip[TEST_PATH_MAX], lp[TEST_PATH_MAX];
    write_mnist_pair(test_path(ip, dir, "i"), test_path(lp, dir, "l"), 25, 0);
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(mnist_load(ip, lp, &im, &err), 0, "%s", err.msg);
    assert_mnist_pattern(&im, 25);
    images_free(&im);
    cr_assert_null(im.pixels);
    images_free(&im); /* twice is harmless */
}

Test(mnist, gzipped_files_round_trip) {
    char ip[TEST_PATH_MAX], lp[TEST_PATH_MAX];
    write_mnist_pair(test_path(ip, dir, "i.gz"), test_path(lp, dir, "l.gz"), 30, 1);
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(mnist_load(ip, lp, &im, &err), 0, "%s", err.msg);
    assert_mnist_pattern(&im, 30);
    images_free(&im);
}

Test(mnist, split_finds_gz_and_plain_names) {
    char sub[TEST_PATH_MAX], ip[TEST_PATH_MAX], lp[TEST_PATH_MAX];
    mkdir(test_path(sub, dir, "mnist"), 0755);
    write_mnist_pair(test_path(ip, sub, "train-images-idx3-ubyte.gz"),
                     test_path(lp, sub, "train-labels-idx1-ubyte.gz"), 12, 1);
    write_mnist_pair(test_path(ip, sub, "t10k-images-idx3-ubyte"),
                     test_path(lp, sub, "t10k-labels-idx1-ubyte"), 7, 0);
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(mnist_load_split(dir, "train", &im, &err), 0, "%s", err.msg);
    assert_mnist_pattern(&im, 12);
    images_free(&im);
    cr_assert_eq(mnist_load_split(dir, "test", &im, &err), 0, "%s", err.msg);
    assert_mnist_pattern(&im, 7);
    images_free(&im);
    cr_assert_eq(mnist_load_split(dir, "validation", &im, &err), -1);
    assert_msg_has(err.msg, "unknown split 'validation'");
}

Test(mnist, missing_split_says_what_to_do) {
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(mnist_load_split(dir, "train", &im, &err), -1);
    assert_msg_has(err.msg, "train-images-idx3-ubyte: not found");
    assert_msg_has(err.msg, "make data");
}

/* Loads images file `img` (len bytes, plain) against 5 valid labels; returns the error. */
static int load_bad_images(const unsigned char *img, size_t len, nn_err *err, char *ip) {
    char lp[TEST_PATH_MAX];
    unsigned char lab[64];
    test_write(test_path(ip, dir, "bad-images"), img, len);
    test_write(test_path(lp, dir, "labels"), lab, idx1(lab, 5));
    nn_images im;
    int rc = mnist_load(ip, lp, &im, err);
    cr_assert_null(im.pixels, "nothing is handed out on failure");
    images_free(&im);
    return rc;
}

Test(mnist, wrong_magic_is_rejected) {
    unsigned char img[256];
    char ip[TEST_PATH_MAX];
    nn_err err = {{0}};
    size_t len = idx3(img, 0x12345678, 5, 2, 2);
    cr_assert_eq(load_bad_images(img, len, &err, ip), -1);
    assert_msg_has(err.msg, ip);
    assert_msg_has(err.msg, "bad magic 0x12345678, expected 0x00000803");
    /* Float IDX (type 0x0d) is a different magic too. */
    len = idx3(img, 0x00000d03, 5, 2, 2);
    cr_assert_eq(load_bad_images(img, len, &err, ip), -1);
    assert_msg_has(err.msg, "bad magic");
}

Test(mnist, wrong_dimension_count_is_rejected) {
    /* The labels file given as the images file: right type, one dimension. */
    unsigned char lab[64];
    char ip[TEST_PATH_MAX];
    nn_err err = {{0}};
    cr_assert_eq(load_bad_images(lab, idx1(lab, 5), &err, ip), -1);
    assert_msg_has(err.msg, ip);
    assert_msg_has(err.msg, "wrong dimension count 1, expected 3");
}

Test(mnist, counts_that_disagree_are_rejected) {
    char ip[TEST_PATH_MAX], lp[TEST_PATH_MAX];
    unsigned char img[256], lab[64];
    test_write(test_path(ip, dir, "i"), img, idx3(img, 0x00000803, 6, 2, 2));
    test_write(test_path(lp, dir, "l"), lab, idx1(lab, 5));
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(mnist_load(ip, lp, &im, &err), -1);
    assert_msg_has(err.msg, lp);
    assert_msg_has(err.msg, "5 labels, but");
    assert_msg_has(err.msg, "holds 6 images");
}

Test(mnist, truncated_file_is_rejected) {
    unsigned char img[256];
    char ip[TEST_PATH_MAX];
    nn_err err = {{0}};
    size_t len = idx3(img, 0x00000803, 5, 2, 2);
    cr_assert_eq(load_bad_images(img, len - 1, &err, ip), -1);
    assert_msg_has(err.msg, ip);
    assert_msg_has(err.msg,
                   "truncated: the header claims 5x2x2 = 20 bytes of data, the file has 19");
    cr_assert_eq(load_bad_images(img, 10, &err, ip), -1);
    assert_msg_has(err.msg, "truncated: 10 bytes, the header alone needs 16");
    cr_assert_eq(load_bad_images(img, 2, &err, ip), -1);
    assert_msg_has(err.msg, "too short for an IDX header");
}

Test(mnist, trailing_bytes_are_rejected) {
    unsigned char img[256];
    char ip[TEST_PATH_MAX];
    nn_err err = {{0}};
    size_t len = idx3(img, 0x00000803, 5, 2, 2);
    cr_assert_eq(load_bad_images(img, len + 3, &err, ip), -1);
    assert_msg_has(err.msg, "23 bytes of data, but the header (5x2x2) describes 20");
}

Test(mnist, huge_header_fails_fast_without_allocating) {
    /* 2^31-1 images of 65535 x 65535 would be ~9 exabytes; under ASan an attempt to allocate
     * even the 2 GB of labels would show. The file is only 24 bytes. */
    unsigned char img[64] = {0};
    char ip[TEST_PATH_MAX];
    nn_err err = {{0}};
    put_be32(img, 0x00000803);
    put_be32(img + 4, 0x7fffffff);
    put_be32(img + 8, 65535);
    put_be32(img + 12, 65535);
    cr_assert_eq(load_bad_images(img, 24, &err, ip), -1);
    assert_msg_has(err.msg, ip);
    assert_msg_has(err.msg, "truncated: the header claims 2147483647x65535x65535 = ");
    assert_msg_has(err.msg, "the file has 8");
    /* A product beyond 64 bits is still a clean error. */
    put_be32(img + 8, 0x7fffffff);
    put_be32(img + 12, 0x7fffffff);
    cr_assert_eq(load_bad_images(img, 24, &err, ip), -1);
    assert_msg_has(err.msg, "(over 2^64)");
    /* Sizes beyond int are refused outright. */
    put_be32(img + 4, 0xffffffffu);
    cr_assert_eq(load_bad_images(img, 24, &err, ip), -1);
    assert_msg_has(err.msg, "dimension 0 is too large");
    /* Same through gzip. */
    put_be32(img + 4, 0x7fffffff);
    test_write_gz(test_path(ip, dir, "huge.gz"), img, 24);
    char lp[TEST_PATH_MAX];
    unsigned char lab[64];
    test_write(test_path(lp, dir, "labels"), lab, idx1(lab, 5));
    nn_images im;
    cr_assert_eq(mnist_load(ip, lp, &im, &err), -1);
    assert_msg_has(err.msg, "huge.gz: truncated");
}

Test(mnist, zero_dimension_is_rejected) {
    unsigned char img[256];
    char ip[TEST_PATH_MAX];
    nn_err err = {{0}};
    size_t len = idx3(img, 0x00000803, 5, 0, 2);
    cr_assert_eq(load_bad_images(img, len, &err, ip), -1);
    assert_msg_has(err.msg, "dimension 1 is zero");
}

Test(mnist, label_out_of_range_is_rejected) {
    char ip[TEST_PATH_MAX], lp[TEST_PATH_MAX];
    unsigned char img[256], lab[64];
    test_write(test_path(ip, dir, "i"), img, idx3(img, 0x00000803, 5, 2, 2));
    idx1(lab, 5);
    lab[8 + 3] = 10;
    test_write(test_path(lp, dir, "l"), lab, 8 + 5);
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(mnist_load(ip, lp, &im, &err), -1);
    assert_msg_has(err.msg, lp);
    assert_msg_has(err.msg, "label 10 at index 3 is out of range 0..9");
}

/* ---- CIFAR-10 ----------------------------------------------------------------------- */

#define REC 3073

/* n records; record i has label (i + seed) % 10 and pixels pixel_value(seed * 7 + i * 3072 + j). */
static unsigned char *cifar_records(size_t n, size_t seed) {
    unsigned char *b = malloc(n * REC);
    for (size_t i = 0; i < n; i++) {
        b[i * REC] = (unsigned char)((i + seed) % 10);
        for (size_t j = 0; j < 3072; j++)
            b[i * REC + 1 + j] = pixel_value(seed * 7 + i * 3072 + j);
    }
    return b;
}

static void assert_cifar_records(const nn_images *im, size_t at, size_t n, size_t seed) {
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(im->labels[at + i], (i + seed) % 10);
        for (size_t j = 0; j < 3072; j++)
            cr_assert_eq(im->pixels[(at + i) * 3072 + j], pixel_value(seed * 7 + i * 3072 + j));
    }
}

Test(cifar10, batches_plain_and_gz_round_trip_in_order) {
    char a[TEST_PATH_MAX], b[TEST_PATH_MAX];
    unsigned char *ra = cifar_records(3, 0), *rb = cifar_records(4, 5);
    test_write(test_path(a, dir, "a.bin"), ra, 3 * REC);
    test_write_gz(test_path(b, dir, "b.bin.gz"), rb, 4 * REC);
    const char *paths[] = {a, b};
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(cifar10_load(paths, 2, &im, &err), 0, "%s", err.msg);
    cr_assert_eq(im.n, 7);
    cr_assert_eq(im.c, 3);
    cr_assert_eq(im.h, 32);
    cr_assert_eq(im.w, 32);
    cr_assert_eq(im.classes, 10);
    assert_cifar_records(&im, 0, 3, 0);
    assert_cifar_records(&im, 3, 4, 5);
    images_free(&im);
    free(ra);
    free(rb);
}

Test(cifar10, split_reads_five_batches_or_the_test_batch) {
    char sub[TEST_PATH_MAX], p[TEST_PATH_MAX], name[64];
    mkdir(test_path(sub, dir, "cifar-10"), 0755);
    for (int k = 1; k <= 5; k++) {
        unsigned char *r = cifar_records(2, (size_t)k);
        snprintf(name, sizeof name, k % 2 ? "data_batch_%d.bin" : "data_batch_%d.bin.gz", k);
        (k % 2 ? test_write : test_write_gz)(test_path(p, sub, name), r, 2 * REC);
        free(r);
    }
    unsigned char *t = cifar_records(3, 9);
    test_write(test_path(p, sub, "test_batch.bin"), t, 3 * REC);
    free(t);
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(cifar10_load_split(dir, "train", &im, &err), 0, "%s", err.msg);
    cr_assert_eq(im.n, 10);
    for (int k = 1; k <= 5; k++)
        assert_cifar_records(&im, (size_t)(k - 1) * 2, 2, (size_t)k);
    images_free(&im);
    cr_assert_eq(cifar10_load_split(dir, "test", &im, &err), 0, "%s", err.msg);
    cr_assert_eq(im.n, 3);
    assert_cifar_records(&im, 0, 3, 9);
    images_free(&im);
    cr_assert_eq(cifar10_load_split(dir, "dev", &im, &err), -1);
    assert_msg_has(err.msg, "unknown split 'dev'");
}

Test(cifar10, missing_batch_is_named) {
    char sub[TEST_PATH_MAX], p[TEST_PATH_MAX];
    mkdir(test_path(sub, dir, "cifar-10"), 0755);
    unsigned char *r = cifar_records(1, 0);
    test_write(test_path(p, sub, "data_batch_1.bin"), r, REC);
    free(r);
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(cifar10_load_split(dir, "train", &im, &err), -1);
    assert_msg_has(err.msg, "data_batch_2.bin: not found (nor data_batch_2.bin.gz)");
}

Test(cifar10, partial_record_is_rejected) {
    char p[TEST_PATH_MAX];
    unsigned char *r = cifar_records(2, 0);
    const char *paths[] = {test_path(p, dir, "short.bin")};
    nn_images im;
    nn_err err = {{0}};
    test_write(p, r, 2 * REC - 1);
    cr_assert_eq(cifar10_load(paths, 1, &im, &err), -1);
    assert_msg_has(err.msg, p);
    assert_msg_has(err.msg, "length 6145 is not a whole number of 3073-byte records");
    cr_assert_null(im.pixels);
    test_write(p, r, 0);
    cr_assert_eq(cifar10_load(paths, 1, &im, &err), -1);
    assert_msg_has(err.msg, "length 0");
    free(r);
}

Test(cifar10, truncated_gzip_batch_is_rejected) {
    char p[TEST_PATH_MAX];
    unsigned char *r = cifar_records(3, 0);
    test_write_gz(test_path(p, dir, "b.bin.gz"), r, 3 * REC);
    size_t len;
    unsigned char *gz = test_slurp(p, &len);
    test_write(p, gz, len - 20);
    const char *paths[] = {p};
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(cifar10_load(paths, 1, &im, &err), -1);
    assert_msg_has(err.msg, "b.bin.gz: truncated gzip data");
    free(gz);
    free(r);
}

Test(cifar10, label_out_of_range_is_rejected) {
    char a[TEST_PATH_MAX], b[TEST_PATH_MAX];
    unsigned char *r = cifar_records(3, 0);
    test_write(test_path(a, dir, "good.bin"), r, 3 * REC);
    r[2 * REC] = 200;
    test_write(test_path(b, dir, "bad.bin"), r, 3 * REC);
    const char *paths[] = {a, b};
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(cifar10_load(paths, 2, &im, &err), -1);
    assert_msg_has(err.msg, b);
    assert_msg_has(err.msg, "label 200 in record 2 is out of range 0..9");
    cr_assert_null(im.pixels, "the first batch's memory is released too");
    free(r);
}

Test(cifar10, class_names) {
    cr_assert_str_eq(cifar10_class_name(0), "airplane");
    cr_assert_str_eq(cifar10_class_name(9), "truck");
    cr_assert_str_eq(cifar10_class_name(10), "?");
    cr_assert_str_eq(cifar10_class_name(-1), "?");
}

/* ---- shared operations ---------------------------------------------------------------- */

static nn_images small_set(void) {
    char ip[TEST_PATH_MAX], lp[TEST_PATH_MAX];
    write_mnist_pair(test_path(ip, dir, "i"), test_path(lp, dir, "l"), 20, 0);
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(mnist_load(ip, lp, &im, &err), 0, "%s", err.msg);
    return im;
}

Test(images, subset_is_an_independent_copy) {
    nn_images im = small_set(), sub;
    nn_err err = {{0}};
    cr_assert_eq(images_subset(&im, 5, 10, &sub, &err), 0, "%s", err.msg);
    cr_assert_eq(sub.n, 10);
    cr_assert_eq(sub.h, 4);
    cr_assert_eq(sub.w, 3);
    cr_assert_eq(sub.classes, 10);
    cr_assert_eq(memcmp(sub.pixels, im.pixels + 5 * 12, 10 * 12), 0);
    cr_assert_eq(memcmp(sub.labels, im.labels + 5, 10), 0);
    sub.pixels[0] ^= 0xff;
    cr_assert_neq(sub.pixels[0], im.pixels[5 * 12]);
    images_free(&sub);
    cr_assert_eq(images_subset(&im, 20, 0, &sub, &err), 0, "an empty subset at the end is fine");
    cr_assert_eq(sub.n, 0);
    images_free(&sub);
    cr_assert_eq(images_subset(&im, 15, 6, &sub, &err), -1);
    assert_msg_has(err.msg, "outside a set of 20 images");
    cr_assert_eq(images_subset(&im, 21, 0, &sub, &err), -1);
    images_free(&im);
}

Test(images, to_float_scales_to_unit_interval_exactly) {
    nn_images im = small_set();
    size_t stride = images_stride(&im);
    cr_assert_eq(stride, 12);
    float *f = malloc(3 * stride * sizeof *f);
    images_to_float(&im, 2, 3, f);
    for (size_t i = 0; i < 3 * stride; i++)
        cr_assert_eq(f[i], (float)im.pixels[2 * stride + i] / 255.0f);
    im.pixels[0] = 0;
    im.pixels[1] = 255;
    images_to_float(&im, 0, 1, f);
    cr_assert_eq(f[0], 0.0f);
    cr_assert_eq(f[1], 1.0f);
    free(f);
    images_free(&im);
}

/* ---- the real datasets ------------------------------------------------------------------
 * Read from $DATA_DIR (default data/). MNIST must be there: make check fetches it before the
 * unit tests, so its absence fails these tests instead of skipping them. CIFAR-10 is fetched
 * by `make data` but not by make check; its test runs whenever it was fetched. */

static void assert_class_counts(const nn_images *im, const int *want) {
    int counts[10] = {0};
    for (int i = 0; i < im->n; i++)
        counts[im->labels[i]]++;
    for (int k = 0; k < 10; k++)
        cr_assert_eq(counts[k], want[k], "class %d: %d", k, counts[k]);
}

Test(real_data, mnist_test_split) {
    const char *data = test_require_dataset("mnist");
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(mnist_load_split(data, "test", &im, &err), 0, "%s", err.msg);
    cr_assert_eq(im.n, 10000);
    cr_assert_eq(im.c, 1);
    cr_assert_eq(im.h, 28);
    cr_assert_eq(im.w, 28);
    const int want[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    assert_class_counts(&im, want);
    images_free(&im);
}

Test(real_data, mnist_train_split) {
    const char *data = test_require_dataset("mnist");
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(mnist_load_split(data, "train", &im, &err), 0, "%s", err.msg);
    cr_assert_eq(im.n, 60000);
    const int want[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    assert_class_counts(&im, want);
    images_free(&im);
}

Test(real_data, cifar10_test_split) {
    char stamp[TEST_PATH_MAX];
    snprintf(stamp, sizeof stamp, "%s/cifar-10/.verified", test_data_dir());
    struct stat st;
    if (stat(stamp, &st) != 0)
        cr_skip_test("%s absent: CIFAR-10 not fetched (make data fetches it, make check does not)",
                     stamp);
    const char *data = test_require_dataset("cifar-10");
    nn_images im;
    nn_err err = {{0}};
    cr_assert_eq(cifar10_load_split(data, "test", &im, &err), 0, "%s", err.msg);
    cr_assert_eq(im.n, 10000);
    const int want[10] = {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000};
    assert_class_counts(&im, want);
    const int first[10] = {3, 8, 8, 0, 6, 6, 1, 6, 3, 1}; /* the official first labels */
    for (int i = 0; i < 10; i++)
        cr_assert_eq(im.labels[i], first[i]);
    images_free(&im);
}
