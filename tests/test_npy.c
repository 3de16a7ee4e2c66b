/* test_npy.c - .npy files: byte-exact agreement with what numpy.save writes, round trips of
 * uint8 and float32 arrays of many shapes, and rejection of malformed or hostile headers. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/npy.h"
#include "test_files.h"

static char dir[TEST_PATH_MAX];
static void setup(void) {
    test_mkdtemp(dir);
}
static void teardown(void) {
    test_rmtree(dir);
}
TestSuite(npy, .init = setup, .fini = teardown);

/* The exact 128-byte header numpy.save writes for np.arange(6, dtype=np.uint8).reshape(2, 3):
 * magic, version 1.0, header length 118 (0x76) little-endian, the dict, spaces up to byte
 * 126, and a newline at byte 127. */
static size_t numpy_u8_2x3(unsigned char *out) {
    static const char dict[] = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }";
    memcpy(out, "\x93NUMPY\x01\x00\x76\x00", 10);
    memcpy(out + 10, dict, sizeof dict - 1);
    memset(out + 10 + sizeof dict - 1, ' ', 128 - 10 - (sizeof dict - 1));
    out[127] = '\n';
    for (int i = 0; i < 6; i++)
        out[128 + i] = (unsigned char)i;
    return 134;
}

Test(npy, parses_the_bytes_numpy_writes) {
    unsigned char file[256];
    size_t len = numpy_u8_2x3(file);
    npy_array a;
    nn_err err = {{0}};
    cr_assert_eq(npy_parse(file, len, "golden", &a, &err), 0, "%s", err.msg);
    cr_assert_eq(a.dtype, NPY_U8);
    cr_assert_eq(a.ndim, 2);
    cr_assert_eq(a.shape[0], 2);
    cr_assert_eq(a.shape[1], 3);
    cr_assert_eq(a.count, 6);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(((uint8_t *)a.data)[i], i);
    npy_free(&a);
    cr_assert_null(a.data);
}

Test(npy, writes_the_bytes_numpy_writes) {
    unsigned char want[256];
    size_t want_len = numpy_u8_2x3(want);
    char path[TEST_PATH_MAX];
    const size_t shape[] = {2, 3};
    nn_err err = {{0}};
    cr_assert_eq(npy_write(test_path(path, dir, "a.npy"), NPY_U8, 2, shape, want + 128, &err), 0,
                 "%s", err.msg);
    size_t len;
    unsigned char *got = test_slurp(path, &len);
    cr_assert_eq(len, want_len);
    cr_assert_eq(memcmp(got, want, len), 0, "header: %.118s", got + 10);
    free(got);
}

Test(npy, float_header_matches_numpy_for_a_vector) {
    /* numpy.save(np.zeros(3, np.float32)): shape (3,) and descr '<f4'. */
    char path[TEST_PATH_MAX];
    const size_t shape[] = {3};
    const float zeros[3] = {0};
    nn_err err = {{0}};
    cr_assert_eq(npy_write(test_path(path, dir, "v.npy"), NPY_F32, 1, shape, zeros, &err), 0);
    size_t len;
    unsigned char *got = test_slurp(path, &len);
    const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
    cr_assert_eq(len, 128 + 12);
    cr_assert_eq(memcmp(got, "\x93NUMPY\x01\x00\x76\x00", 10), 0);
    cr_assert_eq(memcmp(got + 10, dict, sizeof dict - 1), 0);
    for (size_t i = 10 + sizeof dict - 1; i < 127; i++)
        cr_assert_eq(got[i], ' ');
    cr_assert_eq(got[127], '\n');
    free(got);
}

/* Writes, reads back, and compares everything; returns the file size. */
static size_t round_trip(npy_dtype dtype, int ndim, const size_t *shape, const void *data) {
    char path[TEST_PATH_MAX];
    nn_err err = {{0}};
    cr_assert_eq(npy_write(test_path(path, dir, "rt.npy"), dtype, ndim, shape, data, &err), 0, "%s",
                 err.msg);
    npy_array a;
    cr_assert_eq(npy_read(path, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(a.dtype, dtype);
    cr_assert_eq(a.ndim, ndim);
    size_t count = 1;
    for (int k = 0; k < ndim; k++) {
        cr_assert_eq(a.shape[k], shape[k]);
        count *= shape[k];
    }
    cr_assert_eq(a.count, count);
    cr_assert_eq(memcmp(a.data, data, count * npy_dtype_size(dtype)), 0);
    npy_free(&a);
    size_t len;
    unsigned char *bytes = test_slurp(path, &len);
    size_t data_bytes = count * npy_dtype_size(dtype);
    cr_assert_eq((len - data_bytes) % 64, 0, "data starts at a multiple of 64");
    cr_assert_eq(bytes[len - data_bytes - 1], '\n');
    free(bytes);
    return len;
}

Test(npy, u8_round_trips_in_many_shapes) {
    unsigned char data[1024];
    for (int i = 0; i < 1024; i++)
        data[i] = (unsigned char)(i * 31);
    const size_t s0[] = {0}, s1[] = {7}, s2[] = {28, 28}, s3[] = {2, 3, 4}, s4[] = {3, 0, 5},
                 s8[] = {1, 2, 1, 2, 1, 2, 2, 4};
    round_trip(NPY_U8, 0, NULL, data); /* a scalar */
    round_trip(NPY_U8, 1, s0, data);
    round_trip(NPY_U8, 1, s1, data);
    round_trip(NPY_U8, 2, s2, data);
    round_trip(NPY_U8, 3, s3, data);
    round_trip(NPY_U8, 3, s4, data);
    round_trip(NPY_U8, 8, s8, data);
}

Test(npy, f32_round_trips_bit_exactly) {
    float data[600];
    for (int i = 0; i < 600; i++)
        data[i] = sinf((float)i) * powf(10.0f, (float)(i % 40 - 20));
    data[0] = -0.0f;
    data[1] = INFINITY;
    data[2] = -INFINITY;
    data[3] = NAN;
    data[4] = 1e-45f; /* the smallest denormal */
    const size_t s1[] = {600}, s2[] = {20, 30}, s4[] = {2, 3, 10, 10}, big[] = {123456789012ULL};
    round_trip(NPY_F32, 1, s1, data);
    round_trip(NPY_F32, 2, s2, data);
    round_trip(NPY_F32, 4, s4, data);
    int64_t wide[6] = {0, -1, 9, INT64_MAX, INT64_MIN, 42};
    size_t six[1] = {6};
    round_trip(NPY_I64, 1, six, wide);
    round_trip(NPY_F32, 0, NULL, data);
    /* A header with a 12-digit first axis still fits and stays aligned (no data needed). */
    const size_t empty_big[] = {0, big[0]};
    round_trip(NPY_F32, 2, empty_big, data);
}

/* float64 and int32: what NumPy writes by default for reals, and on some platforms for
 * integers; the header names them '<f8' and '<i4' and the bytes come back as they went. */
Test(npy, f64_and_i32_round_trip_with_numpy_descr) {
    double d[5] = {0.0, 1.0, -2.5e-300, 1e300, 0.1};
    int32_t i[4] = {0, -1, INT32_MAX, INT32_MIN};
    const size_t s5[] = {5}, s22[] = {2, 2};
    round_trip(NPY_F64, 1, s5, d);
    round_trip(NPY_I32, 2, s22, i);
    char path[TEST_PATH_MAX];
    test_path(path, dir, "descr.npy");
    nn_err err = {{0}};
    cr_assert_eq(npy_write(path, NPY_F64, 1, s5, d, &err), 0, "%s", err.msg);
    size_t len;
    unsigned char *bytes = test_slurp(path, &len);
    cr_assert(memmem(bytes, len, "'descr': '<f8'", 14) != NULL, "float64 is written as '<f8'");
    free(bytes);
    cr_assert_eq(npy_write(path, NPY_I32, 2, s22, i, &err), 0, "%s", err.msg);
    bytes = test_slurp(path, &len);
    cr_assert(memmem(bytes, len, "'descr': '<i4'", 14) != NULL, "int32 is written as '<i4'");
    free(bytes);
    cr_assert_str_eq(npy_dtype_name(NPY_F64), "float64");
    cr_assert_str_eq(npy_dtype_name(NPY_I32), "int32");
    cr_assert_eq(npy_dtype_size(NPY_F64), 8);
    cr_assert_eq(npy_dtype_size(NPY_I32), 4);
}

Test(npy, gzipped_npy_is_read) {
    unsigned char file[256];
    size_t len = numpy_u8_2x3(file);
    char path[TEST_PATH_MAX];
    test_write_gz(test_path(path, dir, "a.npy.gz"), file, len);
    npy_array a;
    nn_err err = {{0}};
    cr_assert_eq(npy_read(path, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(a.count, 6);
    npy_free(&a);
}

/* ---- hostile and malformed input ------------------------------------------------------ */

/* Builds magic + version + header length + header text + data bytes. */
static size_t craft(unsigned char *out, int major, const char *header, size_t data_bytes) {
    size_t h = strlen(header), pre = major == 1 ? 10 : 12;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = 0;
    out[8] = (unsigned char)h;
    out[9] = (unsigned char)(h >> 8);
    if (major != 1) out[10] = out[11] = 0;
    memcpy(out + pre, header, h);
    memset(out + pre + h, 0x42, data_bytes);
    return pre + h + data_bytes;
}

static void assert_rejected(const unsigned char *buf, size_t len, const char *fragment) {
    npy_array a;
    nn_err err = {{0}};
    cr_assert_eq(npy_parse(buf, len, "h.npy", &a, &err), -1, "accepted; expected '%s'", fragment);
    assert_msg_has(err.msg, "h.npy: ");
    assert_msg_has(err.msg, fragment);
    cr_assert_null(a.data);
}

static void assert_header_rejected(const char *header, size_t data_bytes, const char *fragment) {
    unsigned char buf[1024];
    assert_rejected(buf, craft(buf, 1, header, data_bytes), fragment);
}

static void assert_header_accepted(int major, const char *header, size_t data_bytes, int ndim) {
    unsigned char buf[1024];
    size_t len = craft(buf, major, header, data_bytes);
    npy_array a;
    nn_err err = {{0}};
    cr_assert_eq(npy_parse(buf, len, "ok.npy", &a, &err), 0, "%s: %s", header, err.msg);
    cr_assert_eq(a.ndim, ndim);
    npy_free(&a);
}

Test(npy, accepts_every_spelling_python_allows) {
    assert_header_accepted(1, "{'descr':'<f4','fortran_order':False,'shape':(2,3)}\n", 24, 2);
    assert_header_accepted(1, "{\"shape\": (2,), \"descr\": \"|u1\", \"fortran_order\": False}", 2,
                           1);
    assert_header_accepted(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 3L), }", 6,
                           2);
    assert_header_accepted(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (), }", 1, 0);
    assert_header_accepted(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (4, 1,), }", 4, 2);
    assert_header_accepted(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }\n", 20, 1);
    assert_header_accepted(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }\n", 20, 1);
}

Test(npy, bad_magic_and_version) {
    unsigned char buf[256];
    size_t len = numpy_u8_2x3(buf);
    buf[1] = 'n';
    assert_rejected(buf, len, "not a .npy file (bad magic)");
    assert_rejected(buf, 5, "bad magic");
    numpy_u8_2x3(buf);
    buf[6] = 4;
    assert_rejected(buf, len, "unsupported .npy version 4.0");
}

Test(npy, truncated_header) {
    unsigned char buf[256];
    size_t len = numpy_u8_2x3(buf);
    assert_rejected(buf, 100, "truncated .npy header: 118 header bytes announced, 90 present");
    buf[9] = 0xff; /* header length 65398 */
    assert_rejected(buf, len, "truncated .npy header");
}

Test(npy, fortran_order_is_refused) {
    assert_header_rejected("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", 6,
                           "Fortran order");
}

Test(npy, missing_unknown_and_duplicate_keys) {
    assert_header_rejected("{'descr': '|u1', 'fortran_order': False, }", 1, "missing key 'shape'");
    assert_header_rejected("{'fortran_order': False, 'shape': (1,)}", 1, "missing key 'descr'");
    assert_header_rejected("{'descr': '|u1', 'shape': (1,)}", 1, "missing key 'fortran_order'");
    assert_header_rejected("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 1}", 1,
                           "unexpected key 'x'");
    assert_header_rejected(
        "{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (1,)}", 1,
        "key 'descr' twice");
}

Test(npy, unsupported_dtypes) {
    /* Refused by name, with what NumPy calls the type, never read as another type's bytes. */
    assert_header_rejected("{'descr': '<f2', 'fortran_order': False, 'shape': (1,)}", 2,
                           "unsupported .npy dtype '<f2' (float16)");
    assert_header_rejected("{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}", 4,
                           "unsupported .npy dtype '>f4' (big-endian float32)");
    assert_header_rejected("{'descr': '<i2', 'fortran_order': False, 'shape': (1,)}", 2,
                           "'<i2' (int16)");
    assert_header_rejected("{'descr': '<u8', 'fortran_order': False, 'shape': (1,)}", 8,
                           "'<u8' (uint64)");
    assert_header_rejected("{'descr': '|b1', 'fortran_order': False, 'shape': (1,)}", 1,
                           "'|b1' (bool)");
    assert_header_rejected("{'descr': '>f8', 'fortran_order': False, 'shape': (1,)}", 8,
                           "big-endian float64");
    assert_header_rejected("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", 4,
                           "expected a string");
}

Test(npy, malformed_literals) {
    assert_header_rejected("", 0, "expected '{'");
    assert_header_rejected("['descr']", 0, "expected '{'");
    assert_header_rejected("{'descr: '|u1', 'fortran_order': False, 'shape': (1,)}", 1,
                           "expected ':'");
    assert_header_rejected("{'descr': '|u1', 'fortran_order': false, 'shape': (1,)}", 1,
                           "True or False");
    assert_header_rejected("{'descr': '|u1', 'fortran_order': False, 'shape': (-1,)}", 1,
                           "non-negative integers");
    assert_header_rejected("{'descr': '|u1', 'fortran_order': False, 'shape': (3)}", 3,
                           "not a tuple");
    assert_header_rejected("{'descr': '|u1', 'fortran_order': False, 'shape': 3}", 3,
                           "expected '('");
    assert_header_rejected("{'descr': '|u1', 'fortran_order': False, 'shape': (1 2)}", 2,
                           "bad shape tuple");
    assert_header_rejected("{'descr': '|u1', 'fortran_order': False, 'shape': (1,)} junk", 1,
                           "unexpected text after the dict");
    assert_header_rejected("{'descr': '|u1' 'fortran_order': False, 'shape': (1,)}", 1,
                           "expected ',' or '}'");
    assert_header_rejected("{'descr': '|u1", 0, "unterminated string");
    assert_header_rejected("{'descr': '\\x7c', 'fortran_order': False, 'shape': (1,)}", 1,
                           "unexpected string");
    assert_header_rejected("{'descr': '|u1', 'fortran_order': False, 'shape': (1,)", 1,
                           "expected ',' or '}'");
}

Test(npy, absurd_shapes) {
    assert_header_rejected(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1)}", 1,
        "more than 8 dimensions");
    assert_header_rejected(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999999,)}", 1,
        "dimension overflows");
    assert_header_rejected(
        "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", 1,
        "element count overflows");
    assert_header_rejected(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,)}", 4,
        "element count overflows");
    /* Huge but representable: caught by the file size, before any allocation. */
    assert_header_rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000)}",
                           16, "needs 4000000000000 bytes of data, the file has 16");
}

Test(npy, data_length_must_match_the_shape) {
    assert_header_rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 23,
                           "needs 24 bytes of data, the file has 23");
    assert_header_rejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 25,
                           "needs 24 bytes of data, the file has 25");
}

Test(npy, read_names_a_missing_file_and_write_refuses_bad_arguments) {
    char path[TEST_PATH_MAX];
    npy_array a;
    nn_err err = {{0}};
    cr_assert_eq(npy_read(test_path(path, dir, "none.npy"), &a, &err), -1);
    assert_msg_has(err.msg, path);
    const size_t shape[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    unsigned char x = 0;
    cr_assert_eq(npy_write(path, NPY_U8, 9, shape, &x, &err), -1);
    assert_msg_has(err.msg, "9 dimensions, at most 8");
    cr_assert_eq(npy_write("/nonexistent-dir/x.npy", NPY_U8, 1, shape, &x, &err), -1);
    assert_msg_has(err.msg, "/nonexistent-dir/x.npy.tmp: cannot create");
}

/* Found by fuzz_npy: a dtype with an absurd item size ('|u' and 21 digits) was named in the
 * error as 8 * size bits, a signed overflow. It must be refused by name, without one. */
Test(npy, an_absurd_item_size_is_refused_without_overflow) {
    assert_header_rejected("{'descr': '|u100000000000000000000', 'fortran_order': False, "
                           "'shape': (0, 0, 2), }",
                           0, "dtype");
}
