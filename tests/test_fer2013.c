/* test_fer2013.c - the FER2013 CSV loader on small files written here: good rows land in
 * the right split with exact pixels, and every kind of broken row fails with the file, the
 * line and the reason. When data/fer2013/fer2013.csv is present (make data), its class
 * counts per split are checked against the published distribution. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/fer2013.h"
#include "test_files.h"

static char dir[TEST_PATH_MAX];
static void setup(void) {
    test_mkdtemp(dir);
}
static void teardown(void) {
    test_rmtree(dir);
}
TestSuite(fer2013, .init = setup, .fini = teardown);

#define NPIX (48 * 48)

static unsigned char pixel_of(int row, int i) {
    return (unsigned char)((row * 131 + i * 7) % 256);
}

/* Appends a valid row "label,p p p ...,usage" to buf (of cap bytes) at *len. */
static void put_row(char *buf, size_t cap, size_t *len, int row, int label, const char *usage) {
    *len += (size_t)snprintf(buf + *len, cap - *len, "%d,", label);
    for (int i = 0; i < NPIX; i++)
        *len += (size_t)snprintf(buf + *len, cap - *len, i ? " %d" : "%d", pixel_of(row, i));
    *len += (size_t)snprintf(buf + *len, cap - *len, ",%s\n", usage);
}

#define CAP (64 * 4 * NPIX)

/* Writes header + n rows (labels row % 7, usages cycling T, T, Pub, Priv) to dir/name. */
static const char *write_good(const char *name, int n, char path[TEST_PATH_MAX]) {
    static const char *const usage[4] = {"Training", "Training", "PublicTest", "PrivateTest"};
    char *buf = malloc(CAP);
    size_t len = (size_t)snprintf(buf, CAP, "emotion,pixels,Usage\n");
    for (int r = 0; r < n; r++)
        put_row(buf, CAP, &len, r, r % 7, usage[r % 4]);
    test_write(test_path(path, dir, name), buf, len);
    free(buf);
    return path;
}

Test(fer2013, good_rows_go_to_their_split_in_order) {
    char path[TEST_PATH_MAX];
    write_good("good.csv", 12, path);
    nn_images s[FER2013_SPLITS];
    nn_err err = {{0}};
    cr_assert_eq(fer2013_load(path, s, &err), 0, "%s", err.msg);
    cr_assert_eq(s[FER2013_TRAINING].n, 6);
    cr_assert_eq(s[FER2013_PUBLIC_TEST].n, 3);
    cr_assert_eq(s[FER2013_PRIVATE_TEST].n, 3);
    int seen[FER2013_SPLITS] = {0};
    for (int r = 0; r < 12; r++) {
        int k = r % 4 < 2    ? FER2013_TRAINING
                : r % 4 == 2 ? FER2013_PUBLIC_TEST
                             : FER2013_PRIVATE_TEST;
        nn_images *im = &s[k];
        cr_assert_eq(im->c, 1);
        cr_assert_eq(im->h, 48);
        cr_assert_eq(im->w, 48);
        cr_assert_eq(im->classes, 7);
        int j = seen[k]++;
        cr_assert_eq(im->labels[j], r % 7, "row %d", r);
        for (int i = 0; i < NPIX; i++)
            cr_assert_eq(im->pixels[(size_t)j * NPIX + i], pixel_of(r, i), "row %d pixel %d", r, i);
    }
    for (int k = 0; k < FER2013_SPLITS; k++)
        images_free(&s[k]);
}

Test(fer2013, crlf_line_ends_and_a_missing_final_newline_are_accepted) {
    char *buf = malloc(CAP);
    size_t len = (size_t)snprintf(buf, CAP, "emotion,pixels,Usage\r\n");
    put_row(buf, CAP, &len, 0, 3, "PrivateTest");
    buf[len - 1] = '\r', buf[len++] = '\n';
    put_row(buf, CAP, &len, 1, 6, "Training");
    len--; /* drop the last '\n' */
    char path[TEST_PATH_MAX];
    test_write(test_path(path, dir, "crlf.csv"), buf, len);
    free(buf);
    nn_images s[FER2013_SPLITS];
    nn_err err = {{0}};
    cr_assert_eq(fer2013_load(path, s, &err), 0, "%s", err.msg);
    cr_assert_eq(s[FER2013_PRIVATE_TEST].n, 1);
    cr_assert_eq(s[FER2013_PRIVATE_TEST].labels[0], 3);
    cr_assert_eq(s[FER2013_TRAINING].n, 1);
    cr_assert_eq(s[FER2013_TRAINING].pixels[NPIX - 1], pixel_of(1, NPIX - 1));
    cr_assert_eq(s[FER2013_PUBLIC_TEST].n, 0);
    for (int k = 0; k < FER2013_SPLITS; k++)
        images_free(&s[k]);
}

/* A file of two good rows whose third line (the second row) is replaced by `bad` (which
 * gets no newline added); expects failure at "name:3:" with `reason` in the message. */
static void expect_bad_line(const char *bad, size_t bad_len, const char *reason) {
    char *buf = malloc(CAP);
    size_t len = (size_t)snprintf(buf, CAP, "emotion,pixels,Usage\n");
    put_row(buf, CAP, &len, 0, 0, "Training");
    memcpy(buf + len, bad, bad_len);
    len += bad_len;
    put_row(buf, CAP, &len, 2, 1, "PublicTest");
    char path[TEST_PATH_MAX];
    test_write(test_path(path, dir, "bad.csv"), buf, len);
    free(buf);
    nn_images s[FER2013_SPLITS];
    nn_err err = {{0}};
    cr_assert_eq(fer2013_load(path, s, &err), -1, "accepted a bad row (%s)", reason);
    char where[TEST_PATH_MAX + 8];
    snprintf(where, sizeof where, "%s:3: ", path);
    assert_msg_has(err.msg, where);
    assert_msg_has(err.msg, reason);
    cr_assert(strchr(err.msg, '\n') == NULL, "message has more than one line: %s", err.msg);
    for (int k = 0; k < FER2013_SPLITS; k++) {
        cr_assert_eq(s[k].n, 0);
        cr_assert_null(s[k].pixels);
    }
}

/* A row from a valid one, with its text edited by `edit` (which returns the new length). */
static size_t make_row(char *row, size_t cap, int label, const char *usage) {
    size_t len = 0;
    put_row(row, cap, &len, 1, label, usage);
    return len;
}

Test(fer2013, wrong_pixel_counts_fail) {
    char *row = malloc(CAP);
    size_t len = make_row(row, CAP, 2, "Training");
    /* drop the last pixel: cut " NN" before ",Training" */
    char *end = strstr(row, ",Training");
    char *last_space = end;
    while (*last_space != ' ')
        last_space--;
    memmove(last_space, end, strlen(end) + 1);
    expect_bad_line(row, strlen(row), "2303 pixels, expected 2304");
    len = make_row(row, CAP, 2, "Training");
    end = strstr(row, ",Training");
    memmove(end + 2, end, strlen(end) + 1);
    end[0] = ' ', end[1] = '9';
    expect_bad_line(row, strlen(row), "2305 pixels, expected 2304");
    (void)len;
    free(row);
}

Test(fer2013, values_out_of_range_or_not_numbers_fail) {
    char *row = malloc(CAP);
    make_row(row, CAP, 0, "Training");
    /* the first pixel of row 1 is pixel_of(1, 0) = 131: make it 256, then 1000, then x */
    cr_assert(strncmp(row, "0,131 ", 6) == 0);
    memcpy(row + 2, "256", 3);
    expect_bad_line(row, strlen(row), "pixel 1 is 256, out of range 0..255");
    make_row(row, CAP, 0, "Training");
    memmove(row + 3, row + 2, strlen(row + 2) + 1);
    memcpy(row + 2, "1310", 4);
    expect_bad_line(row, strlen(row), "pixel 1 has 4 digits");
    make_row(row, CAP, 0, "Training");
    row[3] = 'x';
    expect_bad_line(row, strlen(row), "unexpected 'x' after pixel 1");
    make_row(row, CAP, 0, "Training");
    row[2] = '-';
    expect_bad_line(row, strlen(row), "pixel 1 is '-31");
    make_row(row, CAP, 0, "Training");
    char *p = strchr(row + 6, ' '); /* "0,131 138 145": drop "138" -> "0,131  145" */
    memmove(row + 6, p, strlen(p) + 1);
    expect_bad_line(row, strlen(row), "pixel 2 is ' ");
    make_row(row, CAP, 0, "Training");
    char *end = strstr(row, ",Training");
    memmove(end + 1, end, strlen(end) + 1);
    end[0] = ' ';
    expect_bad_line(row, strlen(row), "a space after pixel 2304 but no value");
    free(row);
}

Test(fer2013, unknown_class_or_usage_fails) {
    char *row = malloc(CAP);
    make_row(row, CAP, 0, "Training");
    row[0] = '7';
    expect_bad_line(row, strlen(row), "unknown class '7' (expected 0..6)");
    make_row(row, CAP, 0, "Training");
    memmove(row + 1, row, strlen(row) + 1);
    row[0] = '1';
    expect_bad_line(row, strlen(row), "unknown class '10'");
    make_row(row, CAP, 0, "Training");
    row[0] = 'a';
    expect_bad_line(row, strlen(row), "unknown class 'a'");
    size_t len = make_row(row, CAP, 4, "Validation");
    expect_bad_line(row, len, "unknown usage 'Validation'");
    len = make_row(row, CAP, 4, "training");
    expect_bad_line(row, len, "unknown usage 'training'");
    free(row);
}

Test(fer2013, malformed_csv_fails) {
    char *row = malloc(CAP);
    expect_bad_line("\n", 1, "empty line");
    expect_bad_line("3\n", 2, "expected 3 fields, found 1");
    expect_bad_line("3,\n", 3, "expected 3 fields, found 2");
    size_t len = make_row(row, CAP, 4, "Training,extra");
    expect_bad_line(row, len, "more than 3 fields");
    /* usage missing: cut at the last comma */
    make_row(row, CAP, 4, "Training");
    strcpy(strrchr(row, ','), "\n");
    expect_bad_line(row, strlen(row), "expected 3 fields, found 2");
    /* quoted fields, as some CSV writers produce */
    char *plain = malloc(CAP);
    make_row(plain, CAP, 5, "Training");
    snprintf(row, CAP, "\"5\",%s", strchr(plain, ',') + 1);
    free(plain);
    expect_bad_line(row, strlen(row), "unknown class '\"5\"'");
    /* a NUL byte inside the row */
    len = make_row(row, CAP, 1, "Training");
    row[10] = 0;
    expect_bad_line(row, len, "NUL byte");
    free(row);
}

static void expect_file_error(const char *content, size_t len, const char *fragment) {
    char path[TEST_PATH_MAX];
    test_write(test_path(path, dir, "f.csv"), content, len);
    nn_images s[FER2013_SPLITS];
    nn_err err = {{0}};
    cr_assert_eq(fer2013_load(path, s, &err), -1, "accepted: %s", fragment);
    assert_msg_has(err.msg, path);
    assert_msg_has(err.msg, fragment);
}

Test(fer2013, bad_files_fail_naming_the_file) {
    expect_file_error("", 0, "empty file");
    expect_file_error("emotion,pixels,Usage\n", 21, "no rows after the header");
    expect_file_error("label,pixels\n0,1,Training\n", 26,
                      ":1: not a FER2013 CSV: header is 'label,pixels'");
    expect_file_error("\x89PNG\r\n\x1a\n", 8, ":1: not a FER2013 CSV");
    nn_images s[FER2013_SPLITS];
    nn_err err = {{0}};
    char path[TEST_PATH_MAX];
    cr_assert_eq(fer2013_load(test_path(path, dir, "missing.csv"), s, &err), -1);
    assert_msg_has(err.msg, "missing.csv: cannot open");
    cr_assert_eq(fer2013_load_dir(dir, s, &err), -1);
    assert_msg_has(err.msg, "/fer2013/fer2013.csv: cannot open");
}

Test(fer2013, names) {
    cr_assert_str_eq(fer2013_class_name(0), "angry");
    cr_assert_str_eq(fer2013_class_name(1), "disgust");
    cr_assert_str_eq(fer2013_class_name(6), "neutral");
    cr_assert_str_eq(fer2013_class_name(7), "?");
    cr_assert_str_eq(fer2013_split_name(FER2013_PUBLIC_TEST), "PublicTest");
    cr_assert_str_eq(fer2013_split_name(3), "?");
}

/* The real file, when make data has put it in place: the published class counts. */
Test(fer2013, real_file_has_the_published_class_counts) {
    nn_images s[FER2013_SPLITS];
    nn_err err = {{0}};
    FILE *probe = fopen("data/fer2013/fer2013.csv", "rb");
    if (!probe) cr_skip_test("data/fer2013/fer2013.csv not present (make data)");
    fclose(probe);
    cr_assert_eq(fer2013_load_dir("data", s, &err), 0, "%s", err.msg);
    static const int want[FER2013_SPLITS][7] = {{3995, 436, 4097, 7215, 4830, 3171, 4965},
                                                {467, 56, 496, 895, 653, 415, 607},
                                                {491, 55, 528, 879, 594, 416, 626}};
    for (int k = 0; k < FER2013_SPLITS; k++) {
        int count[7] = {0};
        for (int i = 0; i < s[k].n; i++)
            count[s[k].labels[i]]++;
        for (int c = 0; c < 7; c++)
            cr_assert_eq(count[c], want[k][c], "%s class %d", fer2013_split_name(k), c);
    }
    /* the widely reproduced head of the file: 0,70 80 82 72 58 ... */
    static const unsigned char head[5] = {70, 80, 82, 72, 58};
    cr_assert_eq(s[FER2013_TRAINING].labels[0], 0);
    cr_assert_arr_eq(s[FER2013_TRAINING].pixels, head, 5);
    for (int k = 0; k < FER2013_SPLITS; k++)
        images_free(&s[k]);
}
