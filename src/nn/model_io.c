/* model_io.c - the model file format (documented in model_io.h).
 *
 * Writing serialises everything into one buffer (so the checksum is a single crc32 call and
 * the file a single write); reading loads the whole file, checks it from the outside in
 * (magic, version, size, checksum, header consistency) and only then trusts its contents.
 * Byte order is explicit, so files move between machines. */
#include "nn/model_io.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char MAGIC[8] = {'N', 'N', 'L', 'A', 'B', 'M', 'O', 'D'};
enum { HEADER_BYTES = 52, RECORD_BYTES = 56, CRC_BYTES = 4 };

/* ---- little-endian fields ------------------------------------------------------------- */

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_f32(uint8_t *p, float f) {
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(p, v);
}
static uint32_t get_u32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static float get_f32(const uint8_t *p) {
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* zlib's crc32 takes a uInt length; feed large buffers in pieces. */
static uint32_t crc_of(const uint8_t *p, size_t n) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk, n -= chunk;
    }
    return (uint32_t)crc;
}

/* A layer record: its description and its output shape. */
typedef struct record {
    nn_layer_desc d;
    int c, h, w;
} record;

static void put_record(uint8_t *p, const record *r) {
    const nn_layer_desc *d = &r->d;
    const int32_t ints[7] = {d->units, (int32_t)d->act, d->channels, d->kernel, d->stride,
                             d->pad, d->mark};
    put_u32(p, (uint32_t)d->kind);
    for (int i = 0; i < 7; i++) put_u32(p + 4 + 4 * i, (uint32_t)ints[i]);
    put_f32(p + 32, d->p);
    put_f32(p + 36, d->momentum);
    put_f32(p + 40, d->eps);
    put_u32(p + 44, (uint32_t)r->c);
    put_u32(p + 48, (uint32_t)r->h);
    put_u32(p + 52, (uint32_t)r->w);
}

static record get_record(const uint8_t *p) {
    record r;
    memset(&r, 0, sizeof r);
    r.d.kind = (nn_layer_kind)get_u32(p);
    r.d.units = (int32_t)get_u32(p + 4);
    r.d.act = (nn_activation)(int32_t)get_u32(p + 8);
    r.d.channels = (int32_t)get_u32(p + 12);
    r.d.kernel = (int32_t)get_u32(p + 16);
    r.d.stride = (int32_t)get_u32(p + 20);
    r.d.pad = (int32_t)get_u32(p + 24);
    r.d.mark = (int32_t)get_u32(p + 28);
    r.d.p = get_f32(p + 32);
    r.d.momentum = get_f32(p + 36);
    r.d.eps = get_f32(p + 40);
    r.c = (int32_t)get_u32(p + 44);
    r.h = (int32_t)get_u32(p + 48);
    r.w = (int32_t)get_u32(p + 52);
    return r;
}

static record record_of(const nn_model *m, int i) {
    record r;
    memset(&r, 0, sizeof r);
    nn_layer_describe(m, i, &r.d);
    nn_layer_shape(m, i, &r.c, &r.h, &r.w);
    return r;
}

static int same_record(const record *a, const record *b) {
    const nn_layer_desc *x = &a->d, *y = &b->d;
    return x->kind == y->kind && x->units == y->units && x->act == y->act &&
           x->channels == y->channels && x->kernel == y->kernel && x->stride == y->stride &&
           x->pad == y->pad && x->mark == y->mark && x->p == y->p &&
           x->momentum == y->momentum && x->eps == y->eps && a->c == b->c && a->h == b->h &&
           a->w == b->w;
}

static uint64_t file_size_for(uint64_t layers, uint64_t params, uint64_t state) {
    return HEADER_BYTES + RECORD_BYTES * layers + 4 * (params + state) + CRC_BYTES;
}

/* ---- writing -------------------------------------------------------------------------- */

int nn_model_save(nn_model *m, const char *path, nn_err *err) {
    if (nn_max_batch(m) == 0)
        return nn_fail(err, "%s: cannot save a model that is not built", path);
    const int L = nn_layer_count(m);
    const uint64_t P = nn_param_count(m), S = nn_state_count(m);
    const uint64_t size = file_size_for((uint64_t)L, P, S);
    uint8_t *buf = malloc(size);
    if (!buf) return nn_fail(err, "%s: out of memory for %llu bytes", path, (unsigned long long)size);

    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    memcpy(buf, MAGIC, 8);
    put_u32(buf + 8, NN_MODEL_FORMAT_VERSION);
    put_u64(buf + 12, size);
    put_u32(buf + 20, (uint32_t)L);
    put_u32(buf + 24, (uint32_t)c);
    put_u32(buf + 28, (uint32_t)h);
    put_u32(buf + 32, (uint32_t)w);
    put_u64(buf + 36, P);
    put_u64(buf + 44, S);
    uint8_t *p = buf + HEADER_BYTES;
    for (int i = 0; i < L; i++, p += RECORD_BYTES) {
        record r = record_of(m, i);
        put_record(p, &r);
    }
    const float *params = nn_params(m), *state = nn_state(m);
    for (uint64_t j = 0; j < P; j++, p += 4) put_f32(p, params[j]);
    for (uint64_t j = 0; j < S; j++, p += 4) put_f32(p, state[j]);
    put_u32(p, crc_of(buf, size - CRC_BYTES));

    /* Write beside the target and rename: the real name only ever holds a whole file. */
    const size_t tlen = strlen(path) + 5;
    char *tmp = malloc(tlen);
    if (!tmp) {
        free(buf);
        return nn_fail(err, "%s: out of memory", path);
    }
    snprintf(tmp, tlen, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int rc = 0;
    if (!f) {
        rc = nn_fail(err, "%s: cannot write: %s", tmp, strerror(errno));
    } else {
        int bad = fwrite(buf, 1, size, f) != size;
        bad |= fclose(f) != 0;
        if (bad) rc = nn_fail(err, "%s: write failed: %s", tmp, strerror(errno));
        else if (rename(tmp, path) != 0)
            rc = nn_fail(err, "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
        if (rc < 0) remove(tmp);
    }
    free(tmp);
    free(buf);
    return rc;
}

/* ---- reading -------------------------------------------------------------------------- */

/* A file read whole and checked down to its header (see read_checked). */
typedef struct model_file {
    uint8_t *bytes;
    size_t size;
    uint32_t layers;
    int c, h, w;
    uint64_t params, state;
} model_file;

static int read_whole(const char *path, model_file *mf, nn_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return nn_fail(err, "%s: cannot open: %s", path, strerror(errno));
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0) len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return nn_fail(err, "%s: cannot read: not a regular file", path);
    }
    mf->size = (size_t)len;
    mf->bytes = malloc(mf->size ? mf->size : 1);
    if (!mf->bytes) {
        fclose(f);
        return nn_fail(err, "%s: out of memory for %ld bytes", path, len);
    }
    size_t got = fread(mf->bytes, 1, mf->size, f);
    fclose(f);
    if (got != mf->size) {
        free(mf->bytes);
        return nn_fail(err, "%s: read error after %zu of %zu bytes", path, got, mf->size);
    }
    return 0;
}

/* Reads path and checks everything that does not depend on a model: magic, version, size,
 * checksum, and that the header's counts add up to the file's size. */
static int read_checked(const char *path, model_file *mf, nn_err *err) {
    memset(mf, 0, sizeof *mf);
    if (read_whole(path, mf, err) < 0) return -1;
    const uint8_t *b = mf->bytes;
    const size_t n = mf->size;
    const uint64_t least = file_size_for(0, 0, 0);
    if (n >= 8 && memcmp(b, MAGIC, 8) != 0) {
        nn_fail(err, "%s: not an nnlab model file (bad magic)", path);
        goto fail;
    }
    if (n < least) {
        nn_fail(err, "%s: truncated: %zu bytes, shorter than any model file (%llu)", path, n,
                (unsigned long long)least);
        goto fail;
    }
    const uint32_t version = get_u32(b + 8);
    if (version != NN_MODEL_FORMAT_VERSION) {
        nn_fail(err, "%s: unsupported format version %u (this build reads version %d)", path,
                version, NN_MODEL_FORMAT_VERSION);
        goto fail;
    }
    const uint64_t declared = get_u64(b + 12);
    if (n < declared) {
        nn_fail(err, "%s: truncated: %zu of %llu bytes", path, n, (unsigned long long)declared);
        goto fail;
    }
    if (n > declared) {
        nn_fail(err, "%s: %llu unexpected bytes after the end of the model", path,
                (unsigned long long)(n - declared));
        goto fail;
    }
    const uint32_t stored = get_u32(b + n - CRC_BYTES), computed = crc_of(b, n - CRC_BYTES);
    if (stored != computed) {
        nn_fail(err, "%s: checksum mismatch (stored %08x, computed %08x): the file is corrupted",
                path, stored, computed);
        goto fail;
    }
    mf->layers = get_u32(b + 20);
    mf->c = (int32_t)get_u32(b + 24);
    mf->h = (int32_t)get_u32(b + 28);
    mf->w = (int32_t)get_u32(b + 32);
    mf->params = get_u64(b + 36);
    mf->state = get_u64(b + 44);
    /* With a good checksum this only fails for a file from a broken writer; checked anyway
     * so that nothing below can read past the buffer. */
    if (mf->layers > (1u << 20) || mf->params > ((uint64_t)1 << 40) ||
        mf->state > ((uint64_t)1 << 40) || file_size_for(mf->layers, mf->params, mf->state) != n) {
        nn_fail(err, "%s: inconsistent header: %u layers, %llu parameters and %llu state "
                     "values do not make %zu bytes",
                path, mf->layers, (unsigned long long)mf->params, (unsigned long long)mf->state, n);
        goto fail;
    }
    return 0;
fail:
    free(mf->bytes);
    mf->bytes = NULL;
    return -1;
}

/* ---- what a file may ask nn_model_read to build --------------------------------------- */

/* The model keeps its sizes in ints and allocates whatever its layers' descriptions ask
 * for, so a file's records are checked here first, in 64-bit arithmetic, layer by layer:
 * each description must be one that can be computed, must give exactly the output shape the
 * file declares for it, and the parameters and state values of all of them must be those
 * the file holds. Only then does the model see them. Without this, a file of a few hundred
 * bytes with a correct checksum could overflow the model's ints or make it allocate (and
 * zero) gigabytes for a network the file does not hold (found by fuzz/fuzz_model.c).
 *
 * Per sample, inputs, outputs and the convolutions' work buffers (unrolled patches, padded
 * copy) together may hold at most MAX_SAMPLE_FLOATS values: 256 MiB, about a thousand times
 * what nnlab's largest network needs, and well inside an int. */
#define MAX_SAMPLE_FLOATS ((int64_t)1 << 26)

/* a * b, or INT64_MAX when that overflows (every operand here is >= 0). */
static int64_t mul_sat(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}
static int64_t add_sat(int64_t a, int64_t b) {
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

static int check_records(const model_file *mf, const char *path, nn_err *err) {
    int64_t c = mf->c, h = mf->h, w = mf->w;
    if (c < 1 || h < 1 || w < 1 || mul_sat(mul_sat(c, h), w) > MAX_SAMPLE_FLOATS)
        return nn_fail(err, "%s: bad input shape (%d, %d, %d): every size must be >= 1, and "
                            "the product at most %lld",
                       path, mf->c, mf->h, mf->w, (long long)MAX_SAMPLE_FLOATS);
    int64_t floats = c * h * w, params = 0, state = 0;
    for (uint32_t i = 0; i < mf->layers; i++) {
        const record r = get_record(mf->bytes + HEADER_BYTES + (size_t)RECORD_BYTES * i);
        const nn_layer_desc *d = &r.d;
        char what[96];
        nn_layer_desc_format(d, what, sizeof what);
        int64_t oc = c, oh = h, ow = w, p = 0, s = 0, work = 0;
        switch (d->kind) {
        case NN_LAYER_DENSE:
            if (d->units < 1) return nn_fail(err, "%s: layer %u: %s: units must be >= 1", path, i, what);
            oc = d->units, oh = ow = 1;
            p = add_sat(mul_sat(d->units, c * h * w), d->units);
            break;
        case NN_LAYER_CONV2D: {
            if (d->channels < 1 || d->kernel < 1 || d->stride < 1 || d->pad < 0)
                return nn_fail(err, "%s: layer %u: %s: need out channels, kernel, stride >= 1 "
                                    "and pad >= 0", path, i, what);
            const int64_t ph = h + 2 * (int64_t)d->pad, pw = w + 2 * (int64_t)d->pad;
            if (ph < d->kernel || pw < d->kernel)
                return nn_fail(err, "%s: layer %u: %s: the kernel does not fit a %lldx%lld input",
                               path, i, what, (long long)h, (long long)w);
            oc = d->channels;
            oh = (ph - d->kernel) / d->stride + 1;
            ow = (pw - d->kernel) / d->stride + 1;
            const int64_t patch = mul_sat(c, mul_sat(d->kernel, d->kernel));
            p = add_sat(mul_sat(d->channels, patch), d->channels);
            work = add_sat(mul_sat(patch, mul_sat(oh, ow)), mul_sat(c, mul_sat(ph, pw)));
            break;
        }
        case NN_LAYER_MAXPOOL:
        case NN_LAYER_AVGPOOL:
            if (d->kernel < 1 || d->stride < 1 || h < d->kernel || w < d->kernel)
                return nn_fail(err, "%s: layer %u: %s: the window does not fit a %lldx%lld input",
                               path, i, what, (long long)h, (long long)w);
            oh = (h - d->kernel) / d->stride + 1;
            ow = (w - d->kernel) / d->stride + 1;
            break;
        case NN_LAYER_GLOBAL_AVGPOOL: oh = ow = 1; break;
        case NN_LAYER_FLATTEN: oc = c * h * w, oh = ow = 1; break;
        case NN_LAYER_BATCHNORM: p = 2 * c, s = 2 * c; break;
        case NN_LAYER_ACTIVATION:
        case NN_LAYER_DROPOUT:
        case NN_LAYER_RESIDUAL: break; /* same shape; the model checks the rest */
        default: return nn_fail(err, "%s: layer %u: unknown layer kind %u", path, i, (unsigned)d->kind);
        }
        if (oc != r.c || oh != r.h || ow != r.w)
            return nn_fail(err, "%s: layer %u: %s gives output (%lld, %lld, %lld), but the file "
                                "declares (%d, %d, %d)",
                           path, i, what, (long long)oc, (long long)oh, (long long)ow, r.c, r.h,
                           r.w);
        floats = add_sat(floats, add_sat(mul_sat(oc, mul_sat(oh, ow)), work));
        if (floats > MAX_SAMPLE_FLOATS)
            return nn_fail(err, "%s: network too large: at layer %u (%s) over %lld values per "
                                "sample",
                           path, i, what, (long long)MAX_SAMPLE_FLOATS);
        params = add_sat(params, p), state = add_sat(state, s);
        if ((uint64_t)params > mf->params || (uint64_t)state > mf->state)
            return nn_fail(err, "%s: layer %u: %s needs more parameters or state than the "
                                "file holds (%llu and %llu)",
                           path, i, what, (unsigned long long)mf->params,
                           (unsigned long long)mf->state);
        c = oc, h = oh, w = ow;
    }
    if ((uint64_t)params != mf->params || (uint64_t)state != mf->state)
        return nn_fail(err, "%s: the layers have %lld parameters and %lld state values, the "
                            "file holds %llu and %llu",
                       path, (long long)params, (long long)state,
                       (unsigned long long)mf->params, (unsigned long long)mf->state);
    return 0;
}

/* Compares the file's architecture with the model's; -1 with the first difference. */
static int verify(const model_file *mf, const nn_model *m, const char *path, nn_err *err) {
    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    if (mf->c != c || mf->h != h || mf->w != w)
        return nn_fail(err, "%s: architecture mismatch: input (%d, %d, %d) in the file, (%d, %d, %d) "
                            "in the model",
                       path, mf->c, mf->h, mf->w, c, h, w);
    if ((int)mf->layers != nn_layer_count(m))
        return nn_fail(err, "%s: architecture mismatch: %u layers in the file, %d in the model", path,
                       mf->layers, nn_layer_count(m));
    for (int i = 0; i < nn_layer_count(m); i++) {
        record in_file = get_record(mf->bytes + HEADER_BYTES + (size_t)RECORD_BYTES * i);
        record in_model = record_of(m, i);
        if (!same_record(&in_file, &in_model)) {
            char a[96], b[96];
            nn_layer_desc_format(&in_file.d, a, sizeof a);
            nn_layer_desc_format(&in_model.d, b, sizeof b);
            return nn_fail(err,
                           "%s: architecture mismatch at layer %d (%s): %s -> (%d, %d, %d) in the "
                           "file, %s -> (%d, %d, %d) in the model",
                           path, i, nn_layer_name(m, i), a, in_file.c, in_file.h, in_file.w, b,
                           in_model.c, in_model.h, in_model.w);
        }
    }
    if (mf->params != nn_param_count(m) || mf->state != nn_state_count(m))
        return nn_fail(err, "%s: architecture mismatch: %llu parameters and %llu state values in "
                            "the file, %zu and %zu in the model",
                       path, (unsigned long long)mf->params, (unsigned long long)mf->state,
                       nn_param_count(m), nn_state_count(m));
    return 0;
}

static void copy_values(const model_file *mf, nn_model *m) {
    const uint8_t *p = mf->bytes + HEADER_BYTES + (size_t)RECORD_BYTES * mf->layers;
    float *params = nn_params(m), *state = nn_state(m);
    for (uint64_t j = 0; j < mf->params; j++, p += 4) params[j] = get_f32(p);
    for (uint64_t j = 0; j < mf->state; j++, p += 4) state[j] = get_f32(p);
}

int nn_model_load(nn_model *m, const char *path, nn_err *err) {
    if (nn_max_batch(m) == 0) return nn_fail(err, "%s: load needs a built model", path);
    model_file mf;
    if (read_checked(path, &mf, err) < 0) return -1;
    int rc = verify(&mf, m, path, err);
    if (rc == 0) copy_values(&mf, m);
    free(mf.bytes);
    return rc;
}

nn_model *nn_model_read(const char *path, int max_batch, nn_err *err) {
    model_file mf;
    if (read_checked(path, &mf, err) < 0) return NULL;
    if (check_records(&mf, path, err) < 0) {
        free(mf.bytes);
        return NULL;
    }
    nn_model *m = nn_model_new(mf.c, mf.h, mf.w, err);
    if (!m) {
        nn_fail_context(err, "%s", path);
        free(mf.bytes);
        return NULL;
    }
    for (uint32_t i = 0; i < mf.layers; i++) {
        record r = get_record(mf.bytes + HEADER_BYTES + (size_t)RECORD_BYTES * i);
        nn_add_layer(m, &r.d);
    }
    /* Building validates every description; verify then checks the shapes and sizes the
     * file claims against what the descriptions produce. */
    if (nn_model_build(m, max_batch, err) < 0) {
        nn_fail_context(err, "%s", path);
        goto fail;
    }
    if (verify(&mf, m, path, err) < 0) goto fail;
    copy_values(&mf, m);
    free(mf.bytes);
    return m;
fail:
    nn_model_free(m);
    free(mf.bytes);
    return NULL;
}
