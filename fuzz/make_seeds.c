/* make_seeds.c - writes the seed corpora in fuzz/corpus/ (make fuzz-seeds).
 *
 *     fuzz-make-seeds fuzz/corpus
 *
 * Seeds are small valid inputs of every kind each parser accepts (plus a few near misses),
 * built with the library's own writers where it has one (npy_write, nn_model_save), so
 * that they stay what the current formats are. Each is a few hundred bytes to a few KB: the
 * fuzzer finds the rest. The output is deterministic; the files are committed. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "base/io.h"
#include "data/npy.h"
#include "nn/model_io.h"
#include "reference_model.h"

static const char *root;

static void die(const char *what, const char *msg) {
    fprintf(stderr, "fuzz-make-seeds: %s: %s\n", what, msg);
    exit(1);
}

static void put_file(const char *target, const char *name, const void *data, size_t len) {
    char dir[4096], path[4096 + 256];
    snprintf(dir, sizeof dir, "%s/%s", root, target);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) die(dir, strerror(errno));
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) die(path, strerror(errno));
}

/* A growable byte buffer. */
typedef struct bytes {
    uint8_t *p;
    size_t len, cap;
} bytes;

static void add(bytes *b, const void *data, size_t len) {
    if (b->len + len > b->cap) {
        b->cap = 2 * (b->len + len) + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) die("seeds", "out of memory");
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

static void add_be32(bytes *b, uint32_t v) {
    uint8_t q[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    add(b, q, 4);
}

/* gzip (not zlib) framing, as gzip(1) writes, with a fixed header (no time stamp). */
static bytes gzip_of(const uint8_t *data, size_t len) {
    bytes out = {0};
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        die("gzip", "deflateInit2");
    out.cap = deflateBound(&z, len) + 32;
    out.p = malloc(out.cap);
    z.next_in = (Bytef *)data, z.avail_in = (uInt)len;
    z.next_out = out.p, z.avail_out = (uInt)out.cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) die("gzip", "deflate");
    out.len = out.cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static uint8_t pixel(int i, int y, int x) {
    return (uint8_t)((i * 37 + y * 11 + x * 5) % 7 == 0 ? 255 : (y * 7 + x * 3 + i) & 0x3f);
}

/* ---- MNIST: u16 LE labels length | idx3 images | idx1 labels ---------------------------- */

static bytes idx_images(int n, int h, int w) {
    bytes b = {0};
    add_be32(&b, 0x00000803);
    add_be32(&b, (uint32_t)n), add_be32(&b, (uint32_t)h), add_be32(&b, (uint32_t)w);
    for (int i = 0; i < n; i++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint8_t v = pixel(i, y, x);
                add(&b, &v, 1);
            }
    return b;
}

static bytes idx_labels(int n, int first) {
    bytes b = {0};
    add_be32(&b, 0x00000801);
    add_be32(&b, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        uint8_t v = (uint8_t)((first + i) % 10);
        add(&b, &v, 1);
    }
    return b;
}

static void mnist_seed(const char *name, bytes images, bytes labels) {
    bytes b = {0};
    uint8_t len[2] = {(uint8_t)labels.len, (uint8_t)(labels.len >> 8)};
    add(&b, len, 2);
    add(&b, images.p, images.len);
    add(&b, labels.p, labels.len);
    put_file("mnist", name, b.p, b.len);
    free(b.p), free(images.p), free(labels.p);
}

static void mnist_seeds(void) {
    mnist_seed("two-3x3", idx_images(2, 3, 3), idx_labels(2, 4));
    mnist_seed("one-28x28", idx_images(1, 28, 28), idx_labels(1, 7));
    mnist_seed("three-5x4", idx_images(3, 5, 4), idx_labels(3, 8));
    bytes images = idx_images(2, 4, 4), labels = idx_labels(2, 1);
    mnist_seed("gzip-both", gzip_of(images.p, images.len), gzip_of(labels.p, labels.len));
    free(images.p), free(labels.p);
    /* Near misses: a label out of range, counts that disagree. */
    bytes bad = idx_labels(2, 0);
    bad.p[9] = 10;
    mnist_seed("bad-label", idx_images(2, 2, 2), bad);
    mnist_seed("count-mismatch", idx_images(2, 2, 2), idx_labels(3, 0));
}

/* ---- CIFAR-10: files-1 in the low bits of byte 0, then the batches, cut evenly --------- */

static void cifar_records(bytes *b, int n, int first_label) {
    for (int i = 0; i < n; i++) {
        uint8_t label = (uint8_t)((first_label + i) % 10);
        add(b, &label, 1);
        for (int k = 0; k < 3 * 32 * 32; k++) {
            uint8_t v = pixel(i + k / 1024, (k / 32) % 32, k % 32);
            add(b, &v, 1);
        }
    }
}

static void cifar_seeds(void) {
    bytes one = {0}, two = {0}, three = {0};
    uint8_t files = 0;
    add(&one, &files, 1);
    cifar_records(&one, 1, 3);
    put_file("cifar10", "one-record", one.p, one.len);
    files = 1; /* two files of one record each */
    add(&two, &files, 1);
    cifar_records(&two, 2, 8);
    put_file("cifar10", "two-files", two.p, two.len);
    bytes rec = {0};
    cifar_records(&rec, 1, 9);
    bytes gz = gzip_of(rec.p, rec.len);
    files = 0;
    add(&three, &files, 1);
    add(&three, gz.p, gz.len);
    put_file("cifar10", "gzip-record", three.p, three.len);
    /* Near miss: one byte short of a record. */
    put_file("cifar10", "short-record", one.p, one.len - 1);
    free(one.p), free(two.p), free(three.p), free(rec.p), free(gz.p);
}

/* ---- .npy: written by npy_write, then read back as bytes -------------------------------- */

static bytes slurp(const char *path) {
    bytes b = {0};
    nn_err err;
    if (io_read_file(path, 1 << 20, &b.p, &b.len, &err) != 0) die(path, err.msg);
    return b;
}

static void npy_seed(const char *name, npy_dtype dtype, int ndim, const size_t *shape,
                     const void *data) {
    char tmp[] = "/tmp/fuzz-seed-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) die("mkstemp", strerror(errno));
    nn_err err;
    if (npy_write(tmp, dtype, ndim, shape, data, &err) != 0) die(name, err.msg);
    bytes b = slurp(tmp);
    remove(tmp);
    put_file("npy", name, b.p, b.len);
    if (!strcmp(name, "u8-2x3")) { /* the same array gzipped, and as version 2.0 */
        bytes gz = gzip_of(b.p, b.len);
        put_file("npy", "u8-2x3-gzip", gz.p, gz.len);
        free(gz.p);
        bytes v2 = {0};
        uint8_t pre[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0};
        size_t header_len = (size_t)b.p[8] | (size_t)b.p[9] << 8;
        for (int i = 0; i < 4; i++) pre[8 + i] = (uint8_t)(header_len >> (8 * i));
        add(&v2, pre, 12);
        add(&v2, b.p + 10, b.len - 10);
        put_file("npy", "u8-2x3-v2", v2.p, v2.len);
        free(v2.p);
    }
    free(b.p);
}

static void npy_seeds(void) {
    const uint8_t u8[6] = {0, 1, 2, 253, 254, 255};
    const float f32[4] = {0.0f, -1.5f, 3.25e-3f, 1e30f};
    const int64_t i64[3] = {0, 9, -1};
    npy_seed("u8-2x3", NPY_U8, 2, (size_t[]){2, 3}, u8);
    npy_seed("f32-4", NPY_F32, 1, (size_t[]){4}, f32);
    npy_seed("i64-3", NPY_I64, 1, (size_t[]){3}, i64);
    npy_seed("f32-scalar", NPY_F32, 0, NULL, f32 + 1);
    npy_seed("u8-1x0x2", NPY_U8, 3, (size_t[]){1, 0, 2}, u8);
    npy_seed("f32-1x1x2x2", NPY_F32, 4, (size_t[]){1, 1, 2, 2}, f32);
    /* A hand-written header numpy also accepts: "" quotes, no trailing comma, no padding
     * to 64 bytes. */
    const char dict[] = "{\"descr\":\"<i8\",\"fortran_order\":False,\"shape\":(1,2)}\n";
    bytes hand = {0};
    const uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, sizeof dict - 1, 0};
    add(&hand, pre, sizeof pre);
    add(&hand, dict, sizeof dict - 1);
    const int64_t two[2] = {1, 2};
    add(&hand, two, sizeof two);
    put_file("npy", "hand-written", hand.p, hand.len);
    free(hand.p);
}

/* ---- models: nn_model_save of a few architectures --------------------------------------- */


static void model_seed(const char *name, nn_model *m) {
    if (!m) die(name, "cannot build the model");
    /* Small deterministic parameters (zero would hide nothing, but looks like a blank). */
    float *p = nn_params(m);
    for (size_t j = 0; j < nn_param_count(m); j++) p[j] = (float)((int)(j % 7) - 3) * 0.125f;
    char tmp[] = "/tmp/fuzz-seed-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) die("mkstemp", strerror(errno));
    nn_err err;
    if (nn_model_save(m, tmp, &err) != 0) die(name, err.msg);
    bytes b = slurp(tmp);
    remove(tmp);
    put_file("model", name, b.p, b.len);
    free(b.p);
    nn_model_free(m);
}

static nn_model *built(nn_model *m) {
    nn_err err;
    if (!m || nn_model_build(m, 2, &err) < 0) die("model", m ? err.msg : "new");
    return m;
}

static void model_seeds(void) {
    nn_err err;
    nn_model *m = nn_model_new(1, 2, 2, &err);
    nn_add_flatten(m);
    nn_add_dense(m, 3);
    nn_add_activation(m, NN_TANH);
    nn_add_dense(m, 2);
    nn_add_activation(m, NN_SOFTMAX);
    model_seed("model-dense.nnm", built(m));

    model_seed("model-conv.nnm", fuzz_reference_model(&err));

    m = nn_model_new(2, 5, 5, &err);
    nn_add_avgpool(m, 2, 1);
    nn_add_batchnorm_opts(m, 0.5f, 1e-3f);
    nn_add_activation(m, NN_LECUN_TANH);
    nn_add_conv2d(m, 3, 2, 2, 0);
    nn_add_activation(m, NN_SIGMOID);
    nn_add_global_avgpool(m);
    nn_add_dense(m, 2);
    model_seed("model-pool.nnm", built(m));
}

/* ---- FER2013 -------------------------------------------------------------------------- */

/* One CSV row: class, 48x48 grey levels from pixel(), usage; line ending `eol`. */
static void fer_row(bytes *b, int label, int seed, const char *usage, const char *eol) {
    char field[16];
    int n = snprintf(field, sizeof field, "%d,", label);
    add(b, field, (size_t)n);
    for (int i = 0; i < 48 * 48; i++) {
        n = snprintf(field, sizeof field, i ? " %d" : "%d", pixel(seed, i / 48, i % 48));
        add(b, field, (size_t)n);
    }
    n = snprintf(field, sizeof field, ",%s", usage);
    add(b, field, (size_t)n);
    add(b, eol, strlen(eol));
}

static void fer2013_seeds(void) {
    static const char header[] = "emotion,pixels,Usage";
    bytes all = {0}, windows = {0};
    add(&all, header, strlen(header));
    add(&all, "\n", 1);
    fer_row(&all, 0, 1, "Training", "\n");
    fer_row(&all, 1, 2, "PublicTest", "\n");
    fer_row(&all, 6, 3, "PrivateTest", "");  /* no newline at the end of the file */
    put_file("fer2013", "three-splits.csv", all.p, all.len);
    add(&windows, header, strlen(header));
    add(&windows, "\r\n", 2);
    fer_row(&windows, 3, 4, "Training", "\r\n");
    put_file("fer2013", "crlf.csv", windows.p, windows.len);
    free(all.p);
    free(windows.p);
}

/* ---- templates ------------------------------------------------------------------------ */

static void text_seed(const char *target, const char *name, const char *text) {
    put_file(target, name, text, strlen(text));
}

static void template_seeds(void) {
    text_seed("template", "inline",
              "# Results\n\nAccuracy {{ SELECT printf('%.2f', 100*value) FROM metrics WHERE "
              "name = 'acc' AND run_id = 1 }}%, loss {{ SELECT value FROM metrics WHERE name =\n"
              "  'loss' }} and {{ SELECT count(*) FROM runs }} runs; \\{{ literal }}.\n");
    text_seed("template", "table",
              "Intro.\n```{.sql-table caption=\"Per depth, {{ SELECT count(*) FROM depth }} "
              "rows \\\"quoted\\\"\"}\nSELECT d AS \"Depth\", printf('%.2f', acc) AS \"Acc\", "
              "note FROM depth ORDER BY d\n```\nAfter.\n");
    text_seed("template", "indented-table",
              "- item\n\n    ~~~sql-table\n    SELECT experiment, status FROM runs\n    ~~~\n");
    text_seed("template", "left-alone",
              "Code `{{ not a query }}` and ``{{ `x` }}``.\n\n```c\nint x = {{ 1 }};\n```\n\n"
              "~~~\n{{ SELECT 1 }}\n~~~\n$x = {{ SELECT 2 }}$\n");
    /* One failure each (a template stops at its first). */
    const char *errors[][2] = {
        {"error-null", "x {{ SELECT value FROM metrics WHERE name = 'nothing' }}\n"},
        {"error-blob", "{{ SELECT b FROM blobs }}\n"},
        {"error-columns", "{{ SELECT 1, 2 }}\n"},
        {"error-rows", "{{ SELECT d FROM depth }}\n"},
        {"error-sql", "{{ SELECT * FROM nope }}\n"},
        {"error-write", "{{ INSERT INTO runs VALUES (9, 'a', 'b', 'c') }}\n"},
        {"error-two-statements", "{{ SELECT 1; SELECT 2 }}\n"},
        {"error-unterminated", "text {{ SELECT 1\n"},
        {"error-attribute", "```{.sql-table bogus=\"1\"}\nSELECT 1\n```\n"},
        {"error-table-null", "```{.sql-table}\nSELECT value FROM metrics\n```\n"},
    };
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        text_seed("template", errors[i][0], errors[i][1]);
}

/* ---- bench records ------------------------------------------------------------------- */

static void bench_seeds(void) {
    text_seed("bench_records", "run",
              "{\"impl\":\"nnlab\",\"kind\":\"row\",\"model\":\"mlp8\",\"mode\":\"train\","
              "\"batch\":64,\"threads\":1,\"img_per_s\":1000,\"img_per_s_best\":1100,"
              "\"ms_per_img\":1,\"repeats\":5,\"steps\":50,\"config\":\"omp 1, passive\","
              "\"label\":\"o1\",\"load\":0.61}\n"
              "{\"impl\":\"torch\",\"kind\":\"row\",\"model\":\"mlp8\",\"mode\":\"train\","
              "\"batch\":64,\"threads\":1,\"img_per_s\":8.5e2,\"img_per_s_best\":900,"
              "\"ms_per_img\":1.25,\"repeats\":5,\"config\":\"torch 1 \\\"q\\\" \\u00e9\\n\","
              "\"label\":\"t1\"}\n\n"
              "{\"impl\":\"torch\",\"kind\":\"row\",\"model\":\"cnn\",\"mode\":\"infer\","
              "\"batch\":1,\"threads\":2,\"skip\":\"no inference_mode in this torch\"}\n"
              "{\"impl\":\"nnlab\",\"kind\":\"peak\",\"threads\":2,\"size\":2048,"
              "\"gflops\":140.5,\"gflops_best\":150,\"repeats\":3}\n"
              "{ \"impl\" : \"env\" , \"kind\" : \"env\" , \"cpu\" : \"AMD EPYC\\/x\\t1\","
              " \"load_start\" : 0.5 , \"load_end\" : -0.0 }\r\n");
    text_seed("bench_records", "empty-object", "{}\n{\"impl\":\"a\",\"kind\":\"b\"}\n");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz-make-seeds DIR (the corpus root, e.g. fuzz/corpus)\n");
        return 2;
    }
    root = argv[1];
    if (mkdir(root, 0777) != 0 && errno != EEXIST) die(root, strerror(errno));
    mnist_seeds();
    cifar_seeds();
    npy_seeds();
    model_seeds();
    fer2013_seeds();
    template_seeds();
    bench_seeds();
    return 0;
}
