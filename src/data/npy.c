/* npy.c - NumPy .npy reading and writing (see npy.h).
 *
 * The header is a Python literal, but only a tiny, fixed subset ever appears: a dict with
 * the three keys 'descr' (a string), 'fortran_order' (True/False) and 'shape' (a tuple of
 * non-negative integers). The parser below accepts exactly that subset, with any spacing
 * and trailing commas Python would accept, and nothing else. */
#include "data/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/io.h"

/* Elements are stored little-endian ('<f4'); this code copies them as they are. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "npy.c assumes a little-endian host");

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
/* numpy.save aligns the data to this many bytes. */
#define NPY_ALIGN 64
/* numpy >= 1.23 leaves room after the dict so the first axis can grow in place; matching it
 * keeps our files byte-identical to numpy.save's. */
#define NPY_GROWTH_DIGITS 21

/* One table for sizes, names and the descr strings numpy.save writes (little-endian). */
static const struct {
    npy_dtype dtype;
    size_t size;
    const char *name, *descr;
} dtypes[] = {
    {NPY_U8, 1, "uint8", "|u1"},    {NPY_I32, 4, "int32", "<i4"},
    {NPY_I64, 8, "int64", "<i8"},   {NPY_F32, 4, "float32", "<f4"},
    {NPY_F64, 8, "float64", "<f8"},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

size_t npy_dtype_size(npy_dtype dtype) {
    for (size_t k = 0; k < N_DTYPES; k++)
        if (dtypes[k].dtype == dtype) return dtypes[k].size;
    return 0;
}

const char *npy_dtype_name(npy_dtype dtype) {
    for (size_t k = 0; k < N_DTYPES; k++)
        if (dtypes[k].dtype == dtype) return dtypes[k].name;
    return "?";
}

static const char *dtype_descr(npy_dtype dtype) {
    for (size_t k = 0; k < N_DTYPES; k++)
        if (dtypes[k].dtype == dtype) return dtypes[k].descr;
    return NULL;
}

/* A readable name for a descr we refuse, for the message: '<i2' -> "int16", '>f4' ->
 * "big-endian float32". Returns "" when the string is not a simple numpy type code. */
static void describe_descr(const char *descr, char *out, size_t cap) {
    out[0] = '\0';
    const char *d = descr;
    const char *order = "";
    if (*d == '<' || *d == '|' || *d == '=') d++;
    else if (*d == '>') order = "big-endian ", d++;
    const char *kind = NULL;
    switch (d[0]) {
    case 'b': kind = "bool"; break;
    case 'i': kind = "int"; break;
    case 'u': kind = "uint"; break;
    case 'f': kind = "float"; break;
    case 'c': kind = "complex"; break;
    case 'U': kind = "str"; break;
    case 'S': kind = "bytes"; break;
    case 'O': kind = "object"; break;
    case 'M': kind = "datetime64"; break;
    case 'm': kind = "timedelta64"; break;
    default: return;
    }
    char *end;
    long bytes = strtol(d + 1, &end, 10);
    if (d[0] == 'b' || d[0] == 'O' || d[0] == 'U' || d[0] == 'S' || d[0] == 'M' || d[0] == 'm' ||
        end == d + 1 || bytes <= 0 || bytes > 64) /* no real dtype is wider: no overflow */
        snprintf(out, cap, " (%s%s)", order, kind);
    else
        snprintf(out, cap, " (%s%s%ld)", order, kind, 8 * bytes);
}

void npy_free(npy_array *a) {
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- header parsing ---------------------------------------------------------------- */

typedef struct cursor {
    const char *p, *end;
    const char *name; /* for messages */
    nn_err *err;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int expect(cursor *c, char ch, const char *what) {
    skip_space(c);
    if (c->p >= c->end || *c->p != ch)
        return nn_fail(c->err, "%s: malformed .npy header: expected '%c' %s", c->name, ch, what);
    c->p++;
    return 0;
}

/* A quoted string without escapes ('...' or "..."), copied into out. */
static int parse_string(cursor *c, char *out, size_t cap) {
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return nn_fail(c->err, "%s: malformed .npy header: expected a string", c->name);
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || (unsigned char)*c->p < 0x20 || n + 1 >= cap)
            return nn_fail(c->err, "%s: malformed .npy header: unexpected string", c->name);
        out[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return nn_fail(c->err, "%s: malformed .npy header: unterminated string", c->name);
    c->p++;
    out[n] = '\0';
    return 0;
}

static int parse_bool(cursor *c, int *value) {
    skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        *value = 1;
        c->p += 4;
        return 0;
    }
    if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        *value = 0;
        c->p += 5;
        return 0;
    }
    return nn_fail(c->err, "%s: malformed .npy header: fortran_order must be True or False",
                   c->name);
}

/* A non-negative decimal integer that fits in size_t; Python 2 era files may append 'L'. */
static int parse_size(cursor *c, size_t *value) {
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return nn_fail(c->err,
                       "%s: malformed .npy header: shape entries must be non-negative integers",
                       c->name);
    size_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        size_t d = (size_t)(*c->p - '0');
        if (v > (SIZE_MAX - d) / 10)
            return nn_fail(c->err, "%s: absurd shape in .npy header (dimension overflows)",
                           c->name);
        v = v * 10 + d;
        c->p++;
    }
    if (c->p < c->end && *c->p == 'L') c->p++;
    *value = v;
    return 0;
}

/* A tuple: "()", "(n,)", "(n, m)", "(n, m,)". */
static int parse_shape(cursor *c, npy_array *a) {
    if (expect(c, '(', "to open the shape tuple") != 0) return -1;
    a->ndim = 0;
    int trailing_comma = 0;
    for (;;) {
        skip_space(c);
        if (c->p < c->end && *c->p == ')') {
            c->p++;
            break;
        }
        if (a->ndim == NPY_MAX_DIMS)
            return nn_fail(c->err, "%s: .npy array has more than %d dimensions", c->name,
                           NPY_MAX_DIMS);
        if (parse_size(c, &a->shape[a->ndim]) != 0) return -1;
        a->ndim++;
        skip_space(c);
        trailing_comma = 0;
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            trailing_comma = 1;
        } else if (c->p >= c->end || *c->p != ')') {
            return nn_fail(c->err, "%s: malformed .npy header: bad shape tuple", c->name);
        }
    }
    /* In Python "(3)" is the integer 3, not a tuple, and numpy rejects it. */
    if (a->ndim == 1 && !trailing_comma)
        return nn_fail(c->err,
                       "%s: malformed .npy header: shape (n) is not a tuple; numpy writes (n,)",
                       c->name);
    return 0;
}

static int parse_descr(cursor *c, npy_array *a) {
    char descr[32];
    if (parse_string(c, descr, sizeof descr) != 0) return -1;
    /* A one-byte type has no byte order, and numpy spells it '|u1'; accept the others too. */
    if (!strcmp(descr, "|u1") || !strcmp(descr, "u1") || !strcmp(descr, "<u1") ||
        !strcmp(descr, ">u1") || !strcmp(descr, "=u1"))
        a->dtype = NPY_U8;
    else if (!strcmp(descr, "<i4"))
        a->dtype = NPY_I32;
    else if (!strcmp(descr, "<i8"))
        a->dtype = NPY_I64;
    else if (!strcmp(descr, "<f4"))
        a->dtype = NPY_F32;
    else if (!strcmp(descr, "<f8"))
        a->dtype = NPY_F64;
    else {
        char name[48];
        describe_descr(descr, name, sizeof name);
        return nn_fail(c->err,
                       "%s: unsupported .npy dtype '%s'%s (supported: uint8, int32, int64, "
                       "float32, float64, little-endian)",
                       c->name, descr, name);
    }
    return 0;
}

/* Parses the dict; fills dtype, ndim, shape. */
static int parse_dict(cursor *c, npy_array *a) {
    int have_descr = 0, have_order = 0, have_shape = 0, fortran = 0;
    if (expect(c, '{', "at the start of the header") != 0) return -1;
    for (;;) {
        skip_space(c);
        if (c->p < c->end && *c->p == '}') {
            c->p++;
            break;
        }
        char key[32];
        if (parse_string(c, key, sizeof key) != 0) return -1;
        if (expect(c, ':', "after a key") != 0) return -1;
        int rc, *seen;
        if (!strcmp(key, "descr")) {
            seen = &have_descr;
            rc = parse_descr(c, a);
        } else if (!strcmp(key, "fortran_order")) {
            seen = &have_order;
            rc = parse_bool(c, &fortran);
        } else if (!strcmp(key, "shape")) {
            seen = &have_shape;
            rc = parse_shape(c, a);
        } else {
            return nn_fail(c->err, "%s: malformed .npy header: unexpected key '%s'", c->name, key);
        }
        if (rc != 0) return -1;
        if (*seen)
            return nn_fail(c->err, "%s: malformed .npy header: key '%s' twice", c->name, key);
        *seen = 1;
        skip_space(c);
        if (c->p < c->end && *c->p == ',')
            c->p++;
        else if (c->p >= c->end || *c->p != '}')
            return nn_fail(c->err, "%s: malformed .npy header: expected ',' or '}'", c->name);
    }
    skip_space(c);
    if (c->p != c->end)
        return nn_fail(c->err, "%s: malformed .npy header: unexpected text after the dict",
                       c->name);
    if (!have_descr || !have_order || !have_shape)
        return nn_fail(c->err, "%s: malformed .npy header: missing key '%s'", c->name,
                       !have_descr   ? "descr"
                       : !have_order ? "fortran_order"
                                     : "shape");
    if (fortran)
        return nn_fail(c->err,
                       "%s: .npy array is in Fortran order; only C order is supported "
                       "(save np.ascontiguousarray(a))",
                       c->name);
    return 0;
}

/* Validates the whole file image; on success *offset is where the data starts. */
static int parse_header(const uint8_t *buf, size_t len, const char *name, npy_array *a,
                        size_t *offset, nn_err *err) {
    memset(a, 0, sizeof *a);
    if (len < 10 || memcmp(buf, npy_magic, sizeof npy_magic) != 0)
        return nn_fail(err, "%s: not a .npy file (bad magic)", name);
    int major = buf[6], minor = buf[7];
    size_t header_len, start;
    if (major == 1) {
        header_len = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) { /* 3.0 only allows UTF-8 in the header */
        if (len < 12) return nn_fail(err, "%s: truncated .npy header", name);
        header_len =
            (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        start = 12;
    } else {
        return nn_fail(err, "%s: unsupported .npy version %d.%d", name, major, minor);
    }
    if (header_len > len - start)
        return nn_fail(err, "%s: truncated .npy header: %zu header bytes announced, %zu present",
                       name, header_len, len - start);
    cursor c = {(const char *)buf + start, (const char *)buf + start + header_len, name, err};
    if (parse_dict(&c, a) != 0) return -1;

    /* The product of the shape may overflow even though each entry fits; check every step
     * against the bytes that really follow the header. */
    size_t have = len - start - header_len, item = npy_dtype_size(a->dtype), count = 1;
    int overflow = 0;
    for (int k = 0; k < a->ndim; k++) {
        if (a->shape[k] != 0 && count > SIZE_MAX / a->shape[k])
            overflow = 1;
        else
            count *= a->shape[k];
    }
    if (overflow || count > SIZE_MAX / item)
        return nn_fail(err, "%s: absurd shape in .npy header (element count overflows)", name);
    if (count * item != have)
        return nn_fail(err, "%s: .npy shape needs %zu bytes of data, the file has %zu", name,
                       count * item, have);
    a->count = count;
    *offset = start + header_len;
    return 0;
}

int npy_parse(const uint8_t *buf, size_t len, const char *name, npy_array *out, nn_err *err) {
    size_t offset;
    if (parse_header(buf, len, name, out, &offset, err) != 0) return -1;
    size_t bytes = out->count * npy_dtype_size(out->dtype);
    out->data = malloc(bytes ? bytes : 1);
    if (!out->data) return nn_fail(err, "%s: out of memory (%zu bytes)", name, bytes);
    memcpy(out->data, buf + offset, bytes);
    return 0;
}

int npy_read(const char *path, npy_array *out, nn_err *err) {
    memset(out, 0, sizeof *out);
    uint8_t *buf;
    size_t len, offset;
    if (io_read_file(path, NPY_MAX_FILE_BYTES, &buf, &len, err) != 0) return -1;
    if (parse_header(buf, len, path, out, &offset, err) != 0) {
        free(buf);
        return -1;
    }
    /* Move the data to the start of the buffer: the array then owns one allocation, and
     * floats are aligned whatever the header length was. */
    memmove(buf, buf + offset, len - offset);
    out->data = buf;
    return 0;
}

/* ---- writing ------------------------------------------------------------------------- */

/* Formats the version 1.0 preamble and header exactly as numpy.save does; returns its
 * length (a multiple of NPY_ALIGN) or 0 if it does not fit. */
static size_t format_header(npy_dtype dtype, int ndim, const size_t *shape, char *out, size_t cap) {
    char dict[512], shape_text[NPY_MAX_DIMS * 24 + 4];
    size_t n = 0;
    shape_text[n++] = '(';
    for (int k = 0; k < ndim; k++)
        n += (size_t)snprintf(shape_text + n, sizeof shape_text - n, "%s%zu", k ? ", " : "",
                              shape[k]);
    if (ndim == 1) shape_text[n++] = ',';
    shape_text[n++] = ')';
    shape_text[n] = '\0';
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                       dtype_descr(dtype), shape_text);
    size_t dict_len = (size_t)len;
    if (ndim > 0) {
        char first[24];
        size_t digits = (size_t)snprintf(first, sizeof first, "%zu", shape[0]);
        size_t growth = digits < NPY_GROWTH_DIGITS ? NPY_GROWTH_DIGITS - digits : 0;
        memset(dict + dict_len, ' ', growth);
        dict_len += growth;
    }
    /* Header = dict + padding spaces + '\n', so that 10 + header length is a multiple of 64;
     * like numpy, a header that is already aligned still gets a full block of padding. */
    size_t pad = NPY_ALIGN - (10 + dict_len + 1) % NPY_ALIGN;
    size_t header_len = dict_len + pad + 1, total = 10 + header_len;
    if (total > cap || header_len > 0xffff) return 0;
    memcpy(out, npy_magic, sizeof npy_magic);
    out[6] = 1;
    out[7] = 0;
    out[8] = (char)(header_len & 0xff);
    out[9] = (char)(header_len >> 8);
    memcpy(out + 10, dict, dict_len);
    memset(out + 10 + dict_len, ' ', pad);
    out[total - 1] = '\n';
    return total;
}

int npy_write(const char *path, npy_dtype dtype, int ndim, const size_t *shape, const void *data,
              nn_err *err) {
    if (!dtype_descr(dtype)) return nn_fail(err, "%s: unsupported dtype", path);
    if (ndim < 0 || ndim > NPY_MAX_DIMS)
        return nn_fail(err, "%s: %d dimensions, at most %d supported", path, ndim, NPY_MAX_DIMS);
    size_t item = npy_dtype_size(dtype), count = 1;
    for (int k = 0; k < ndim; k++) {
        if (shape[k] != 0 && count > SIZE_MAX / item / shape[k])
            return nn_fail(err, "%s: shape too large", path);
        count *= shape[k];
    }
    char header[1024];
    size_t header_len = format_header(dtype, ndim, shape, header, sizeof header);
    if (header_len == 0) return nn_fail(err, "%s: .npy header too long", path);

    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return nn_fail(err, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return nn_fail(err, "%s: cannot create: %s", tmp, strerror(errno));
    int ok = fwrite(header, 1, header_len, f) == header_len &&
             (count == 0 || fwrite(data, item, count, f) == count);
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        int saved = errno;
        remove(tmp);
        return nn_fail(err, "%s: write failed: %s", tmp, strerror(saved));
    }
    if (rename(tmp, path) != 0) {
        int saved = errno;
        remove(tmp);
        return nn_fail(err, "%s: cannot rename into place: %s", path, strerror(saved));
    }
    return 0;
}
