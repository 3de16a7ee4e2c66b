/* model_h5.c - Keras-layout .h5 model files through libhdf5 (see model_h5.h). */
#include "nn/model_h5.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

/* Debian keeps the serial HDF5 headers under hdf5/serial/; elsewhere they are on the path. */
#if defined(__has_include)
#if __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#else
#include <hdf5.h>
#endif
#else
#include <hdf5.h>
#endif

#define NAME_MAX_LEN 64
#define CONFIG_MAX_BYTES ((size_t)1 << 20)
/* HDF5 keeps attributes in the object header, which holds at most 64 KiB. */
#define ATTR_MAX_BYTES 60000
#define MAX_SIDE 4096
#define MAX_FEATURES (1L << 26)

/* ---- HDF5 error printing off, and back ------------------------------------------------ */

typedef struct quiet {
    H5E_auto2_t func;
    void *data;
} quiet;

static void quiet_begin(quiet *q) {
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(const quiet *q) {
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* ---- a growing string for the JSON -------------------------------------------------- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s, b->cap = cap;
    }
}

/* ---- Keras layer classes ----------------------------------------------------------------- */

typedef enum kclass {
    K_CONV,
    K_DENSE,
    K_BN,
    K_ACT,
    K_MAXPOOL,
    K_AVGPOOL,
    K_GAP,
    K_DROPOUT,
    K_FLATTEN,
    K_ZEROPAD,
    K_INPUT,
    K_CLASSES
} kclass;

static const char *const KCLASS_NAME[K_CLASSES] = {"Conv2D",
                                                   "Dense",
                                                   "BatchNormalization",
                                                   "Activation",
                                                   "MaxPooling2D",
                                                   "AveragePooling2D",
                                                   "GlobalAveragePooling2D",
                                                   "Dropout",
                                                   "Flatten",
                                                   "ZeroPadding2D",
                                                   "InputLayer"};
static const char *const KCLASS_BASE[K_CLASSES] = {"conv2d",
                                                   "dense",
                                                   "batch_normalization",
                                                   "activation",
                                                   "max_pooling2d",
                                                   "average_pooling2d",
                                                   "global_average_pooling2d",
                                                   "dropout",
                                                   "flatten",
                                                   "zero_padding2d",
                                                   "input"};

/* Where the Keras flat order differs from nnlab's: a (c, h, w) tensor flattened. Maps a
 * Keras feature index (y w + x) c + ch to nnlab's (ch h + y) w + x. */
typedef struct perm {
    int c, h, w; /* c = 0: no permutation */
} perm;

static long perm_nn_index(const perm *p, long keras) {
    if (!p->c) return keras;
    long ch = keras % p->c, yx = keras / p->c;
    return (ch * p->h + yx / p->w) * p->w + yx % p->w;
}

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct saver {
    const char *path;
    nn_err *err;
    hid_t file, weights;
    sbuf json;
    char (*names)[NAME_MAX_LEN];
    int n_names, cap_names;
    int counts[K_CLASSES];
    int failed;
} saver;

static int save_fail(saver *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int save_fail(saver *s, const char *fmt, ...) {
    if (s->failed) return -1;
    s->failed = 1;
    char msg[NN_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nn_fail(s->err, "%s: %s", s->path, msg);
}

/* Writes a string attribute: a scalar (n < 0) or a 1-D array of n strings (n >= 0), as
 * fixed-length NUL-padded byte strings. */
static int write_str_attr(saver *s, hid_t obj, const char *name, const char *const *strs, int n) {
    size_t width = 1;
    int count = n < 0 ? 1 : n;
    for (int i = 0; i < count; i++)
        if (strlen(strs[i]) > width) width = strlen(strs[i]);
    if (width * (size_t)count > ATTR_MAX_BYTES)
        return save_fail(s, "attribute %s too large for HDF5 (%zu bytes)", name,
                         width * (size_t)count);
    char *buf = calloc((size_t)count ? (size_t)count : 1, width);
    if (!buf) return save_fail(s, "out of memory");
    for (int i = 0; i < count; i++)
        memcpy(buf + (size_t)i * width, strs[i], strlen(strs[i]));
    hid_t type = H5Tcopy(H5T_C_S1), space = -1, attr = -1;
    int rc = -1;
    if (type < 0 || H5Tset_size(type, width) < 0 || H5Tset_strpad(type, H5T_STR_NULLPAD) < 0)
        goto done;
    hsize_t dim = (hsize_t)count;
    space = n < 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
    if (space < 0) goto done;
    attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0 || (count > 0 && H5Awrite(attr, type, buf) < 0)) goto done;
    rc = 0;
done:
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    free(buf);
    return rc ? save_fail(s, "cannot write attribute %s", name) : 0;
}

static int write_dataset(saver *s, hid_t group, const char *name, int rank, const hsize_t *dims,
                         const float *data) {
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t set = space < 0 ? -1
                          : H5Dcreate2(group, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                       H5P_DEFAULT);
    int rc = set >= 0 && H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0
                 ? 0
                 : -1;
    if (set >= 0) H5Dclose(set);
    if (space >= 0) H5Sclose(space);
    return rc ? save_fail(s, "cannot write dataset %s", name) : 0;
}

/* Starts a Keras layer: picks its name, opens its JSON object (the caller adds the class's
 * fields and closes it with "}}"), and records the name for layer_names. */
static const char *begin_layer(saver *s, kclass k) {
    if (s->n_names == s->cap_names) {
        int cap = s->cap_names ? 2 * s->cap_names : 32;
        void *grown = realloc(s->names, (size_t)cap * sizeof *s->names);
        if (!grown) {
            save_fail(s, "out of memory");
            return NULL;
        }
        s->names = grown, s->cap_names = cap;
    }
    char *name = s->names[s->n_names++];
    int count = s->counts[k]++;
    if (count == 0)
        snprintf(name, NAME_MAX_LEN, "%s", KCLASS_BASE[k]);
    else
        snprintf(name, NAME_MAX_LEN, "%s_%d", KCLASS_BASE[k], count);
    sb_printf(&s->json,
              ", {\"class_name\": \"%s\", \"config\": {\"name\": \"%s\", \"trainable\": true, "
              "\"dtype\": \"float32\"",
              KCLASS_NAME[k], name);
    return name;
}

/* The group model_weights/NAME with its weight_names; returns the subgroup NAME/NAME for
 * the datasets (or 0 for a layer without weights), -1 on failure. */
static hid_t layer_group(saver *s, const char *name, int nweights, const char *const *suffix) {
    hid_t g = H5Gcreate2(s->weights, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return save_fail(s, "cannot create group model_weights/%s", name);
    char full[8][2 * NAME_MAX_LEN];
    const char *ptr[8] = {0};
    for (int i = 0; i < nweights && i < 8; i++) {
        snprintf(full[i], sizeof full[i], "%s/%s:0", name, suffix[i]);
        ptr[i] = full[i];
    }
    if (write_str_attr(s, g, "weight_names", ptr, nweights)) {
        H5Gclose(g);
        return -1;
    }
    if (nweights == 0) {
        H5Gclose(g);
        return 0;
    }
    hid_t sub = H5Gcreate2(g, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    if (sub < 0) return save_fail(s, "cannot create group model_weights/%s/%s", name, name);
    return sub;
}

static int no_weights(saver *s, const char *name) {
    return name && layer_group(s, name, 0, NULL) == 0 ? 0 : -1;
}

static const char *act_keras_name(nn_activation a) {
    switch (a) {
    case NN_RELU:
        return "relu";
    case NN_TANH:
        return "tanh";
    case NN_SIGMOID:
        return "sigmoid";
    case NN_SOFTMAX:
        return "softmax";
    default:
        return NULL;
    }
}

static void initializers(sbuf *b) {
    sb_printf(b, ", \"kernel_initializer\": {\"class_name\": \"GlorotUniform\", \"config\": "
                 "{\"seed\": null}}, \"bias_initializer\": {\"class_name\": \"Zeros\", "
                 "\"config\": {}}, \"kernel_regularizer\": null, \"bias_regularizer\": null, "
                 "\"activity_regularizer\": null, \"kernel_constraint\": null, "
                 "\"bias_constraint\": null");
}

static int save_conv(saver *s, nn_model *m, int i, const nn_layer_desc *d, int in_c) {
    int k = d->kernel, pad = d->pad;
    const char *padding = "valid";
    if (pad > 0 && d->stride == 1 && k % 2 == 1 && pad == k / 2)
        padding = "same";
    else if (pad > 0) {
        const char *zp = begin_layer(s, K_ZEROPAD);
        if (!zp) return -1;
        sb_printf(&s->json,
                  ", \"padding\": [[%d, %d], [%d, %d]], \"data_format\": \"channels_last\"}}", pad,
                  pad, pad, pad);
        if (no_weights(s, zp)) return -1;
    }
    const char *name = begin_layer(s, K_CONV);
    if (!name) return -1;
    sb_printf(&s->json,
              ", \"filters\": %d, \"kernel_size\": [%d, %d], \"strides\": [%d, %d], "
              "\"padding\": \"%s\", \"data_format\": \"channels_last\", \"dilation_rate\": [1, "
              "1], \"groups\": 1, \"activation\": \"linear\", \"use_bias\": true",
              d->channels, k, k, d->stride, d->stride, padding);
    initializers(&s->json);
    sb_printf(&s->json, "}}");
    static const char *const suffix[2] = {"kernel", "bias"};
    hid_t g = layer_group(s, name, 2, suffix);
    if (g < 0) return -1;
    size_t nw, nb;
    const float *w = nn_layer_weights(m, i, &nw), *b = nn_layer_bias(m, i, &nb);
    int out = d->channels;
    float *kernel = malloc(nw * sizeof *kernel);
    int rc = -1;
    if (!kernel) {
        save_fail(s, "out of memory");
        goto done;
    }
    /* nnlab: [out][in][ky][kx]; Keras: [ky][kx][in][out] */
    for (int o = 0; o < out; o++)
        for (int ci = 0; ci < in_c; ci++)
            for (int y = 0; y < k; y++)
                for (int x = 0; x < k; x++)
                    kernel[(((size_t)y * k + x) * in_c + ci) * out + o] =
                        w[(((size_t)o * in_c + ci) * k + y) * k + x];
    hsize_t kd[4] = {(hsize_t)k, (hsize_t)k, (hsize_t)in_c, (hsize_t)out}, bd = (hsize_t)nb;
    rc = write_dataset(s, g, "kernel:0", 4, kd, kernel) || write_dataset(s, g, "bias:0", 1, &bd, b)
             ? -1
             : 0;
done:
    free(kernel);
    H5Gclose(g);
    return rc;
}

static int save_dense(saver *s, nn_model *m, int i, const nn_layer_desc *d, long in,
                      const perm *p) {
    const char *name = begin_layer(s, K_DENSE);
    if (!name) return -1;
    sb_printf(&s->json, ", \"units\": %d, \"activation\": \"linear\", \"use_bias\": true",
              d->units);
    initializers(&s->json);
    sb_printf(&s->json, "}}");
    static const char *const suffix[2] = {"kernel", "bias"};
    hid_t g = layer_group(s, name, 2, suffix);
    if (g < 0) return -1;
    size_t nw, nb;
    const float *w = nn_layer_weights(m, i, &nw), *b = nn_layer_bias(m, i, &nb);
    long out = d->units;
    float *kernel = malloc(nw * sizeof *kernel);
    int rc = -1;
    if (!kernel) {
        save_fail(s, "out of memory");
        goto done;
    }
    /* Keras row r (its flat order) is nnlab's input column perm_nn_index(r). */
    for (long r = 0; r < in; r++) {
        long j = perm_nn_index(p, r);
        for (long o = 0; o < out; o++)
            kernel[r * out + o] = w[o * in + j];
    }
    hsize_t kd[2] = {(hsize_t)in, (hsize_t)out}, bd = (hsize_t)nb;
    rc = write_dataset(s, g, "kernel:0", 2, kd, kernel) || write_dataset(s, g, "bias:0", 1, &bd, b)
             ? -1
             : 0;
done:
    free(kernel);
    H5Gclose(g);
    return rc;
}

static int save_bn(saver *s, nn_model *m, int i, const nn_layer_desc *d, int rank4, const perm *p) {
    const char *name = begin_layer(s, K_BN);
    if (!name) return -1;
    sb_printf(&s->json,
              ", \"axis\": [%d], \"momentum\": %.9g, \"epsilon\": %.9g, \"center\": true, "
              "\"scale\": true, \"beta_initializer\": {\"class_name\": \"Zeros\", \"config\": "
              "{}}, \"gamma_initializer\": {\"class_name\": \"Ones\", \"config\": {}}, "
              "\"moving_mean_initializer\": {\"class_name\": \"Zeros\", \"config\": {}}, "
              "\"moving_variance_initializer\": {\"class_name\": \"Ones\", \"config\": {}}, "
              "\"beta_regularizer\": null, \"gamma_regularizer\": null, \"beta_constraint\": "
              "null, \"gamma_constraint\": null}}",
              rank4 ? 3 : 1, 1.0 - (double)d->momentum, (double)d->eps);
    static const char *const suffix[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    hid_t g = layer_group(s, name, 4, suffix);
    if (g < 0) return -1;
    size_t nw, nb, ns;
    const float *src[4];
    src[0] = nn_layer_weights(m, i, &nw);
    src[1] = nn_layer_bias(m, i, &nb);
    const float *state = nn_layer_state(m, i, &ns);
    long c = (long)nw;
    src[2] = state, src[3] = state + c;
    float *v = malloc((size_t)c * sizeof *v);
    int rc = v ? 0 : save_fail(s, "out of memory");
    hsize_t dim = (hsize_t)c;
    for (int t = 0; t < 4 && !rc; t++) {
        for (long r = 0; r < c; r++)
            v[r] = src[t][perm_nn_index(p, r)];
        char dname[32];
        snprintf(dname, sizeof dname, "%s:0", suffix[t]);
        rc = write_dataset(s, g, dname, 1, &dim, v);
    }
    free(v);
    H5Gclose(g);
    return rc;
}

/* The layers, as Keras layers: JSON into s->json, weights into the file. */
static int save_layers(saver *s, nn_model *m) {
    int c, h, w;
    nn_input_shape(m, &c, &h, &w);
    int rank4 = !(h == 1 && w == 1);
    perm p = {0};
    if (rank4)
        sb_printf(&s->json,
                  "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, "
                  "%d, %d, %d], \"dtype\": \"float32\", \"sparse\": false, \"ragged\": false, "
                  "\"name\": \"input_1\"}}",
                  h, w, c);
    else
        sb_printf(&s->json,
                  "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, "
                  "%d], \"dtype\": \"float32\", \"sparse\": false, \"ragged\": false, \"name\": "
                  "\"input_1\"}}",
                  c);
    for (int i = 0; i < nn_layer_count(m) && !s->failed; i++) {
        nn_layer_desc d;
        nn_layer_describe(m, i, &d);
        char what[96];
        nn_layer_desc_format(&d, what, sizeof what);
        const char *name;
        switch (d.kind) {
        case NN_LAYER_CONV2D:
            if (!rank4) return save_fail(s, "layer %d (%s) convolves a flat tensor", i, what);
            if (save_conv(s, m, i, &d, c)) return -1;
            break;
        case NN_LAYER_DENSE:
            if (rank4) { /* nnlab flattens implicitly; Keras needs a Flatten */
                if (!(name = begin_layer(s, K_FLATTEN))) return -1;
                sb_printf(&s->json, ", \"data_format\": \"channels_last\"}}");
                if (no_weights(s, name)) return -1;
                if (h * w > 1) p = (perm){c, h, w};
                rank4 = 0;
            }
            if (save_dense(s, m, i, &d, (long)c * h * w, &p)) return -1;
            p = (perm){0};
            break;
        case NN_LAYER_MAXPOOL:
        case NN_LAYER_AVGPOOL:
            if (!rank4) return save_fail(s, "layer %d (%s) pools a flat tensor", i, what);
            if (!(name = begin_layer(s, d.kind == NN_LAYER_MAXPOOL ? K_MAXPOOL : K_AVGPOOL)))
                return -1;
            sb_printf(&s->json,
                      ", \"pool_size\": [%d, %d], \"padding\": \"valid\", \"strides\": [%d, %d], "
                      "\"data_format\": \"channels_last\"}}",
                      d.kernel, d.kernel, d.stride, d.stride);
            if (no_weights(s, name)) return -1;
            break;
        case NN_LAYER_GLOBAL_AVGPOOL:
            if (!rank4) return save_fail(s, "layer %d (%s) pools a flat tensor", i, what);
            if (!(name = begin_layer(s, K_GAP))) return -1;
            sb_printf(&s->json, ", \"data_format\": \"channels_last\", \"keepdims\": false}}");
            if (no_weights(s, name)) return -1;
            rank4 = 0;
            break;
        case NN_LAYER_BATCHNORM:
            if (save_bn(s, m, i, &d, rank4, &p)) return -1;
            break;
        case NN_LAYER_DROPOUT:
            if (!(name = begin_layer(s, K_DROPOUT))) return -1;
            sb_printf(&s->json, ", \"rate\": %.9g, \"noise_shape\": null, \"seed\": null}}",
                      (double)d.p);
            if (no_weights(s, name)) return -1;
            break;
        case NN_LAYER_ACTIVATION: {
            const char *a = act_keras_name(d.act);
            if (!a) return save_fail(s, "layer %d (%s) has no Keras equivalent", i, what);
            if (d.act == NN_SOFTMAX && rank4 && h * w > 1)
                return save_fail(s,
                                 "layer %d: a softmax over a (c, h, w) tensor has no Keras "
                                 "equivalent (Keras takes it over channels)",
                                 i);
            if (!(name = begin_layer(s, K_ACT))) return -1;
            sb_printf(&s->json, ", \"activation\": \"%s\"}}", a);
            if (no_weights(s, name)) return -1;
            break;
        }
        case NN_LAYER_FLATTEN:
            if (!(name = begin_layer(s, K_FLATTEN))) return -1;
            sb_printf(&s->json, ", \"data_format\": \"channels_last\"}}");
            if (no_weights(s, name)) return -1;
            if (rank4 && h * w > 1) p = (perm){c, h, w};
            rank4 = 0;
            break;
        default:
            return save_fail(s, "layer %d (%s) cannot be part of a Keras Sequential model", i,
                             what);
        }
        nn_layer_shape(m, i, &c, &h, &w);
    }
    return s->failed ? -1 : 0;
}

int nn_model_save_h5(nn_model *m, const char *path, nn_err *err) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return nn_fail(err, "%s: path too long", path);
    quiet q;
    quiet_begin(&q);
    saver s = {.path = path, .err = err, .file = -1, .weights = -1};
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* Closing the file closes every group still open in it (error paths). */
    if (fapl >= 0) H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    s.file = fapl < 0 ? -1 : H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    if (s.file < 0) {
        quiet_end(&q);
        return nn_fail(err, "%s: cannot create (HDF5): %s", tmp, strerror(errno));
    }
    s.weights = H5Gcreate2(s.file, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (s.weights < 0) save_fail(&s, "cannot create group model_weights");
    sb_printf(&s.json, "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"sequential\", "
                       "\"layers\": [");
    if (!s.failed) save_layers(&s, m);
    sb_printf(&s.json, "]}, \"keras_version\": \"%s\", \"backend\": \"tensorflow\"}",
              NN_H5_KERAS_VERSION);
    if (!s.failed && s.json.oom) save_fail(&s, "out of memory");
    const char *version = NN_H5_KERAS_VERSION, *backend = "tensorflow";
    if (!s.failed) {
        const char **names = malloc(((size_t)s.n_names + 1) * sizeof *names);
        if (!names) save_fail(&s, "out of memory");
        for (int i = 0; names && i < s.n_names; i++)
            names[i] = s.names[i];
        const char *config = s.json.s;
        if (names && (write_str_attr(&s, s.weights, "layer_names", names, s.n_names) ||
                      write_str_attr(&s, s.weights, "backend", &backend, -1) ||
                      write_str_attr(&s, s.weights, "keras_version", &version, -1) ||
                      write_str_attr(&s, s.file, "keras_version", &version, -1) ||
                      write_str_attr(&s, s.file, "backend", &backend, -1) ||
                      write_str_attr(&s, s.file, "model_config", &config, -1)))
            save_fail(&s, "cannot write the attributes");
        free(names);
    }
    if (s.weights >= 0) H5Gclose(s.weights);
    if (H5Fclose(s.file) < 0) save_fail(&s, "cannot close (disk full?)");
    quiet_end(&q);
    free(s.json.s);
    free(s.names);
    if (s.failed) {
        remove(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return nn_fail(err, "%s: cannot rename %s into place: %s", path, tmp, strerror(e));
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct reader {
    const char *path;
    nn_err *err;
    int failed;
} reader;

static int read_fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int read_fail(reader *r, const char *fmt, ...) {
    if (r->failed) return -1;
    r->failed = 1;
    char msg[NN_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return nn_fail(r->err, "%s: %s", r->path, msg);
}

/* Reads a string attribute (scalar or 1-D, fixed or variable length) into a list of n
 * malloc'd strings (*out, freed with free_strs). */
static int read_str_attr(reader *r, hid_t obj, const char *name, char ***out, int *n,
                         size_t max_bytes) {
    *out = NULL, *n = 0;
    if (H5Aexists(obj, name) <= 0) return read_fail(r, "no attribute %s", name);
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT), type = -1, space = -1, mem = -1;
    int rc = -1;
    char **strs = NULL;
    int count = 0;
    if (attr < 0 || (type = H5Aget_type(attr)) < 0 || (space = H5Aget_space(attr)) < 0) {
        read_fail(r, "cannot read attribute %s", name);
        goto done;
    }
    if (H5Tget_class(type) != H5T_STRING) {
        read_fail(r, "attribute %s is not a string", name);
        goto done;
    }
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dim = 1;
    if (rank < 0 || rank > 1 || (rank == 1 && H5Sget_simple_extent_dims(space, &dim, NULL) < 0)) {
        read_fail(r, "attribute %s is not a string or a list of strings", name);
        goto done;
    }
    if (dim > 100000) {
        read_fail(r, "attribute %s has too many strings (%llu)", name, (unsigned long long)dim);
        goto done;
    }
    count = (int)dim;
    strs = calloc((size_t)count + 1, sizeof *strs);
    if (!strs) {
        read_fail(r, "out of memory");
        goto done;
    }
    if (H5Tis_variable_str(type) > 0) {
        mem = H5Tcopy(H5T_C_S1);
        char **vl = calloc((size_t)count + 1, sizeof *vl);
        if (mem < 0 || !vl || H5Tset_size(mem, H5T_VARIABLE) < 0 ||
            (count > 0 && H5Aread(attr, mem, vl) < 0)) {
            free(vl);
            read_fail(r, "cannot read attribute %s", name);
            goto done;
        }
        size_t total = 0;
        for (int i = 0; i < count; i++) {
            total += vl[i] ? strlen(vl[i]) : 0;
            strs[i] = strdup(vl[i] ? vl[i] : "");
        }
        if (count > 0) H5Dvlen_reclaim(mem, space, H5P_DEFAULT, vl);
        free(vl);
        if (total > max_bytes) {
            read_fail(r, "attribute %s is too large (%zu bytes)", name, total);
            goto done;
        }
    } else {
        size_t width = H5Tget_size(type);
        if (width == 0 || width * (size_t)(count ? count : 1) > max_bytes) {
            read_fail(r, "attribute %s is too large", name);
            goto done;
        }
        char *buf = calloc((size_t)(count ? count : 1), width);
        mem = H5Tcopy(type);
        if (!buf || mem < 0 || (count > 0 && H5Aread(attr, mem, buf) < 0)) {
            free(buf);
            read_fail(r, "cannot read attribute %s", name);
            goto done;
        }
        for (int i = 0; i < count; i++) {
            strs[i] = strndup(buf + (size_t)i * width, width);
        }
        free(buf);
    }
    for (int i = 0; i < count; i++)
        if (!strs[i]) {
            read_fail(r, "out of memory");
            goto done;
        }
    rc = 0;
done:
    if (mem >= 0) H5Tclose(mem);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (attr >= 0) H5Aclose(attr);
    if (rc) {
        for (int i = 0; strs && i < count; i++)
            free(strs[i]);
        free(strs);
        return -1;
    }
    *out = strs, *n = count;
    return 0;
}

static void free_strs(char **strs, int n) {
    for (int i = 0; strs && i < n; i++)
        free(strs[i]);
    free(strs);
}

/* Reads dataset `name` of group g, which must be float and of exactly the given shape. */
static int read_dataset(reader *r, hid_t g, const char *layer, const char *name, int rank,
                        const hsize_t *dims, float *out) {
    if (H5Lexists(g, name, H5P_DEFAULT) <= 0)
        return read_fail(r, "layer %s: no dataset %s", layer, name);
    hid_t set = H5Dopen2(g, name, H5P_DEFAULT), space = -1, type = -1;
    int rc = -1;
    if (set < 0 || (space = H5Dget_space(set)) < 0 || (type = H5Dget_type(set)) < 0) {
        read_fail(r, "layer %s: cannot open dataset %s", layer, name);
        goto done;
    }
    if (H5Tget_class(type) != H5T_FLOAT) {
        read_fail(r, "layer %s: dataset %s is not floating point", layer, name);
        goto done;
    }
    hsize_t got[8];
    int grank = H5Sget_simple_extent_ndims(space);
    if (grank != rank || grank > 8 || H5Sget_simple_extent_dims(space, got, NULL) < 0) {
        read_fail(r, "layer %s: dataset %s has %d dimensions, expected %d", layer, name, grank,
                  rank);
        goto done;
    }
    for (int k = 0; k < rank; k++)
        if (got[k] != dims[k]) {
            char want[64] = "", have[64] = "";
            for (int j = 0; j < rank; j++) {
                size_t lw = strlen(want), lh = strlen(have);
                snprintf(want + lw, sizeof want - lw, "%s%llu", j ? ", " : "",
                         (unsigned long long)dims[j]);
                snprintf(have + lh, sizeof have - lh, "%s%llu", j ? ", " : "",
                         (unsigned long long)got[j]);
            }
            read_fail(r, "layer %s: dataset %s has shape (%s), expected (%s)", layer, name, have,
                      want);
            goto done;
        }
    if (H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
        read_fail(r, "layer %s: cannot read dataset %s (damaged file?)", layer, name);
        goto done;
    }
    rc = 0;
done:
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    if (set >= 0) H5Dclose(set);
    return rc;
}

/* A layer whose weights come from the file, and where they go. */
typedef struct plan {
    char name[NAME_MAX_LEN];
    kclass k;
    int layer; /* nnlab layer */
    long in;   /* dense: inputs; conv: input channels */
    perm p;    /* dense and batch norm: the flatten permutation in effect */
    int use_bias;
} plan;

typedef struct build_state {
    reader *r;
    nn_model *m;
    int c, h, w, rank4;
    perm p;
    int pending_pad; /* from a ZeroPadding2D, for the next Conv2D; -1: none */
    plan *plans;
    int n_plans, cap_plans;
} build_state;

/* Adds an nnlab layer and checks the result's size. */
static int add(build_state *b, const nn_layer_desc *d, const char *lname) {
    int before = nn_layer_count(b->m);
    nn_add_layer(b->m, d);
    if (nn_layer_count(b->m) != before + 1)
        return read_fail(b->r, "layer %s: nnlab cannot build it (bad size?)", lname);
    int c, h, w;
    nn_layer_shape(b->m, before, &c, &h, &w);
    if (c < 1 || h < 1 || w < 1 || (long)c * h * w > MAX_FEATURES)
        return read_fail(b->r, "layer %s: output of %d x %d x %d is out of bounds", lname, c, h, w);
    b->c = c, b->h = h, b->w = w;
    return 0;
}

static int add_plan(build_state *b, const char *name, kclass k, long in, int use_bias) {
    if (b->n_plans == b->cap_plans) {
        int cap = b->cap_plans ? 2 * b->cap_plans : 16;
        plan *grown = realloc(b->plans, (size_t)cap * sizeof *grown);
        if (!grown) return read_fail(b->r, "out of memory");
        b->plans = grown, b->cap_plans = cap;
    }
    plan *p = &b->plans[b->n_plans++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->k = k;
    p->layer = nn_layer_count(b->m) - 1;
    p->in = in;
    p->p = b->p;
    p->use_bias = use_bias;
    return 0;
}

/* A Keras [a, a] pair (or a bare a) of equal integers in [lo, hi]. */
static int square_pair(const json_value *v, long lo, long hi, long *out) {
    if (json_int_in(v, lo, hi, out)) return 1;
    long a, c;
    if (json_count(v) != 2 || !json_int_in(json_at(v, 0), lo, hi, &a) ||
        !json_int_in(json_at(v, 1), lo, hi, &c) || a != c)
        return 0;
    *out = a;
    return 1;
}

/* An activation name to nnlab's: 1 = found (*out), 0 = linear/none, -1 = unsupported. */
static int act_from_keras(const char *a, nn_activation *out) {
    if (!a || strcmp(a, "linear") == 0) return 0;
    static const struct {
        const char *name;
        nn_activation act;
    } known[] = {
        {"relu", NN_RELU}, {"tanh", NN_TANH}, {"sigmoid", NN_SIGMOID}, {"softmax", NN_SOFTMAX}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(a, known[i].name) == 0) {
            *out = known[i].act;
            return 1;
        }
    return -1;
}

static int add_activation(build_state *b, const json_value *cfg, const char *lname) {
    const json_value *a = json_get(cfg, "activation");
    if (!a) return 0;
    nn_activation act;
    int found = act_from_keras(json_string(a), &act);
    if (found < 0)
        return read_fail(b->r, "layer %s: activation '%s' is not supported", lname,
                         json_string(a) ? json_string(a) : "?");
    if (!found) return 0;
    if (act == NN_SOFTMAX && b->rank4 && b->h * b->w > 1)
        return read_fail(b->r, "layer %s: softmax over channels of a 4-D tensor is not supported",
                         lname);
    return add(b, &(nn_layer_desc){.kind = NN_LAYER_ACTIVATION, .act = act}, lname);
}

static int channels_last(build_state *b, const json_value *cfg, const char *lname) {
    const char *df = json_string(json_get(cfg, "data_format"));
    if (df && strcmp(df, "channels_last") != 0)
        return read_fail(b->r, "layer %s: data_format '%s' is not supported (channels_last only)",
                         lname, df);
    return 0;
}

static int need_rank4(build_state *b, const char *lname, const char *cls) {
    if (!b->rank4) return read_fail(b->r, "layer %s: %s needs a 4-D input", lname, cls);
    return 0;
}

static int use_bias_of(const json_value *cfg) {
    const json_value *u = json_get(cfg, "use_bias");
    return !u || u->type != JSON_FALSE;
}

static int build_layer(build_state *b, const char *cls, const json_value *cfg, const char *lname) {
    reader *r = b->r;
    if (b->pending_pad >= 0 && strcmp(cls, "Conv2D") != 0)
        return read_fail(r, "layer %s: a ZeroPadding2D must be followed by a Conv2D", lname);
    if (strcmp(cls, "Conv2D") == 0) {
        long filters, k, stride = 1, one;
        const char *padding = json_string(json_get(cfg, "padding"));
        if (need_rank4(b, lname, cls) || channels_last(b, cfg, lname)) return -1;
        if (!json_int_in(json_get(cfg, "filters"), 1, 16384, &filters))
            return read_fail(r, "layer %s: filters missing or out of range", lname);
        if (!square_pair(json_get(cfg, "kernel_size"), 1, 64, &k))
            return read_fail(r, "layer %s: kernel_size must be square, 1..64", lname);
        if (json_get(cfg, "strides") && !square_pair(json_get(cfg, "strides"), 1, 64, &stride))
            return read_fail(r, "layer %s: strides must be equal, 1..64", lname);
        if (json_get(cfg, "dilation_rate") &&
            !(square_pair(json_get(cfg, "dilation_rate"), 1, 1, &one)))
            return read_fail(r, "layer %s: dilated convolutions are not supported", lname);
        if (json_get(cfg, "groups") && !json_int_in(json_get(cfg, "groups"), 1, 1, &one))
            return read_fail(r, "layer %s: grouped convolutions are not supported", lname);
        int pad;
        if (!padding || strcmp(padding, "valid") == 0)
            pad = b->pending_pad > 0 ? b->pending_pad : 0;
        else if (strcmp(padding, "same") == 0 && stride == 1 && k % 2 == 1 && b->pending_pad < 0)
            pad = (int)(k / 2);
        else
            return read_fail(r,
                             "layer %s: padding '%s' with kernel %ld and stride %ld is not "
                             "supported",
                             lname, padding, k, stride);
        b->pending_pad = -1;
        long in_c = b->c;
        if (add(b,
                &(nn_layer_desc){.kind = NN_LAYER_CONV2D,
                                 .channels = (int)filters,
                                 .kernel = (int)k,
                                 .stride = (int)stride,
                                 .pad = pad},
                lname) ||
            add_plan(b, lname, K_CONV, in_c, use_bias_of(cfg)))
            return -1;
        return add_activation(b, cfg, lname);
    }
    if (strcmp(cls, "Dense") == 0) {
        long units;
        if (b->rank4)
            return read_fail(r,
                             "layer %s: Dense on a 4-D tensor (no Flatten before it) is not "
                             "supported",
                             lname);
        if (!json_int_in(json_get(cfg, "units"), 1, 1L << 20, &units))
            return read_fail(r, "layer %s: units missing or out of range", lname);
        long in = (long)b->c * b->h * b->w;
        if (add(b, &(nn_layer_desc){.kind = NN_LAYER_DENSE, .units = (int)units}, lname) ||
            add_plan(b, lname, K_DENSE, in, use_bias_of(cfg)))
            return -1;
        b->p = (perm){0};
        return add_activation(b, cfg, lname);
    }
    if (strcmp(cls, "BatchNormalization") == 0) {
        const json_value *axis = json_get(cfg, "axis");
        if (json_count(axis) == 1) axis = json_at(axis, 0);
        long ax;
        if (axis && !(json_int_in(axis, -1, -1, &ax) ||
                      json_int_in(axis, b->rank4 ? 3 : 1, b->rank4 ? 3 : 1, &ax)))
            return read_fail(r,
                             "layer %s: batch normalization over an axis other than the "
                             "channels is not supported",
                             lname);
        const json_value *center = json_get(cfg, "center"), *scale = json_get(cfg, "scale");
        if ((center && center->type != JSON_TRUE) || (scale && scale->type != JSON_TRUE))
            return read_fail(r,
                             "layer %s: batch normalization without center or scale is not "
                             "supported",
                             lname);
        const json_value *mom = json_get(cfg, "momentum"), *eps = json_get(cfg, "epsilon");
        double momentum = mom && mom->type == JSON_NUMBER ? mom->number : 0.99;
        double epsilon = eps && eps->type == JSON_NUMBER ? eps->number : 1e-3;
        if (!(momentum >= 0 && momentum <= 1) || !(epsilon > 0 && epsilon < 1))
            return read_fail(r, "layer %s: momentum or epsilon out of range", lname);
        return add(b,
                   &(nn_layer_desc){.kind = NN_LAYER_BATCHNORM,
                                    .momentum = (float)(1.0 - momentum),
                                    .eps = (float)epsilon},
                   lname) ||
                       add_plan(b, lname, K_BN, b->c, 1)
                   ? -1
                   : 0;
    }
    if (strcmp(cls, "Activation") == 0) {
        if (!json_string(json_get(cfg, "activation")))
            return read_fail(r, "layer %s: no activation given", lname);
        return add_activation(b, cfg, lname);
    }
    if (strcmp(cls, "MaxPooling2D") == 0 || strcmp(cls, "AveragePooling2D") == 0) {
        long k, stride;
        if (need_rank4(b, lname, cls) || channels_last(b, cfg, lname)) return -1;
        if (!square_pair(json_get(cfg, "pool_size"), 1, 64, &k))
            return read_fail(r, "layer %s: pool_size must be square, 1..64", lname);
        const json_value *st = json_get(cfg, "strides");
        if (!st || st->type == JSON_NULL)
            stride = k;
        else if (!square_pair(st, 1, 64, &stride))
            return read_fail(r, "layer %s: strides must be equal, 1..64", lname);
        const char *padding = json_string(json_get(cfg, "padding"));
        if (padding && strcmp(padding, "valid") != 0)
            return read_fail(r, "layer %s: pooling with padding '%s' is not supported", lname,
                             padding);
        return add(b,
                   &(nn_layer_desc){.kind = cls[0] == 'M' ? NN_LAYER_MAXPOOL : NN_LAYER_AVGPOOL,
                                    .kernel = (int)k,
                                    .stride = (int)stride},
                   lname);
    }
    if (strcmp(cls, "GlobalAveragePooling2D") == 0) {
        const json_value *keep = json_get(cfg, "keepdims");
        if (need_rank4(b, lname, cls) || channels_last(b, cfg, lname)) return -1;
        if (keep && keep->type == JSON_TRUE)
            return read_fail(r, "layer %s: keepdims is not supported", lname);
        b->rank4 = 0;
        return add(b, &(nn_layer_desc){.kind = NN_LAYER_GLOBAL_AVGPOOL}, lname);
    }
    if (strcmp(cls, "Dropout") == 0) {
        const json_value *rate = json_get(cfg, "rate");
        if (!rate || rate->type != JSON_NUMBER || !(rate->number >= 0 && rate->number < 1))
            return read_fail(r, "layer %s: dropout rate missing or not in [0, 1)", lname);
        return add(b, &(nn_layer_desc){.kind = NN_LAYER_DROPOUT, .p = (float)rate->number}, lname);
    }
    if (strcmp(cls, "Flatten") == 0) {
        if (channels_last(b, cfg, lname)) return -1;
        if (b->rank4 && b->h * b->w > 1) b->p = (perm){b->c, b->h, b->w};
        b->rank4 = 0;
        return add(b, &(nn_layer_desc){.kind = NN_LAYER_FLATTEN}, lname);
    }
    if (strcmp(cls, "ZeroPadding2D") == 0) {
        long pad;
        const json_value *pv = json_get(cfg, "padding");
        int ok = square_pair(pv, 0, 64, &pad);
        if (!ok && json_count(pv) == 2) { /* [[t, b], [l, r]], all equal */
            long a, c2;
            ok = square_pair(json_at(pv, 0), 0, 64, &a) &&
                 square_pair(json_at(pv, 1), 0, 64, &c2) && a == c2;
            pad = a;
        }
        if (need_rank4(b, lname, cls) || channels_last(b, cfg, lname)) return -1;
        if (!ok)
            return read_fail(r, "layer %s: only equal padding on all sides is supported", lname);
        b->pending_pad = (int)pad;
        return 0;
    }
    return read_fail(r, "layer %s: layer class '%s' is not supported", lname, cls);
}

/* The input shape [null, h, w, c] or [null, d] of a layer config, if it has one. */
static int input_shape(const json_value *cfg, long *c, long *h, long *w, int *rank4) {
    const json_value *s = json_get(cfg, "batch_input_shape");
    if (!s) s = json_get(cfg, "batch_shape");
    if (!s) return 0;
    if (json_count(s) == 4 && json_int_in(json_at(s, 1), 1, MAX_SIDE, h) &&
        json_int_in(json_at(s, 2), 1, MAX_SIDE, w) && json_int_in(json_at(s, 3), 1, MAX_SIDE, c)) {
        *rank4 = 1;
        return 1;
    }
    if (json_count(s) == 2 && json_int_in(json_at(s, 1), 1, MAX_FEATURES, c)) {
        *h = *w = 1, *rank4 = 0;
        return 1;
    }
    return -1;
}

/* Builds the nnlab model of a parsed model_config; its weight plan in b. */
static nn_model *build_model(reader *r, const json_value *config, int max_batch, build_state *b) {
    const char *cls = json_string(json_get(config, "class_name"));
    if (!cls) {
        read_fail(r, "model_config has no class_name: not a Keras model");
        return NULL;
    }
    if (strcmp(cls, "Sequential") != 0) {
        read_fail(r, "model_config is a '%s' model; only Sequential models are supported", cls);
        return NULL;
    }
    const json_value *layers = json_get(json_get(config, "config"), "layers");
    if (!layers) layers = json_get(config, "config"); /* Keras < 2.2: a bare list */
    if (!layers || layers->type != JSON_ARRAY || json_count(layers) == 0) {
        read_fail(r, "model_config has no layers");
        return NULL;
    }
    long c = 0, h = 0, w = 0;
    int rank4 = 0, found = 0;
    for (size_t i = 0; i < json_count(layers) && !found; i++) {
        found = input_shape(json_get(json_at(layers, i), "config"), &c, &h, &w, &rank4);
        if (found < 0) {
            read_fail(r, "model_config: the input shape is not [null, h, w, c] or [null, d]");
            return NULL;
        }
    }
    if (!found) {
        read_fail(r, "model_config has no input shape");
        return NULL;
    }
    nn_err e;
    nn_model *m = nn_model_new((int)c, (int)h, (int)w, &e);
    if (!m) {
        read_fail(r, "%s", e.msg);
        return NULL;
    }
    *b = (build_state){
        .r = r, .m = m, .c = (int)c, .h = (int)h, .w = (int)w, .rank4 = rank4, .pending_pad = -1};
    for (size_t i = 0; i < json_count(layers) && !r->failed; i++) {
        const json_value *l = json_at(layers, i);
        const char *lcls = json_string(json_get(l, "class_name"));
        const json_value *cfg = json_get(l, "config");
        const char *lname = json_string(json_get(cfg, "name"));
        if (!lcls || !cfg || cfg->type != JSON_OBJECT || !lname || !*lname ||
            strlen(lname) >= NAME_MAX_LEN || strchr(lname, '/')) {
            read_fail(r, "model_config: layer %zu has no class_name, config or a usable name", i);
            break;
        }
        if (strcmp(lcls, "InputLayer") == 0) {
            if (i != 0) read_fail(r, "model_config: InputLayer %s is not the first layer", lname);
            continue;
        }
        build_layer(b, lcls, cfg, lname);
    }
    if (!r->failed && b->pending_pad >= 0)
        read_fail(r, "model_config: a ZeroPadding2D ends the model");
    if (!r->failed && nn_layer_count(m) == 0) read_fail(r, "model_config: no layers to build");
    if (!r->failed && nn_model_build(m, max_batch, &e)) read_fail(r, "%s", e.msg);
    if (!r->failed && nn_param_count(m) > (size_t)NN_H5_MAX_PARAMS)
        read_fail(r, "the model has %zu parameters, more than %ld", nn_param_count(m),
                  NN_H5_MAX_PARAMS);
    if (r->failed) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}

/* The weight of `layer` whose name ends in "/suffix" or "/suffix:0" (or is that). */
static const char *find_weight(char **names, int n, const char *suffix) {
    size_t ls = strlen(suffix);
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(names[i], '/');
        base = base ? base + 1 : names[i];
        if (strncmp(base, suffix, ls) == 0 && (base[ls] == 0 || strcmp(base + ls, ":0") == 0))
            return names[i];
    }
    return NULL;
}

static int load_plan(reader *r, hid_t weights, nn_model *m, const plan *p) {
    hid_t g =
        H5Lexists(weights, p->name, H5P_DEFAULT) > 0 ? H5Gopen2(weights, p->name, H5P_DEFAULT) : -1;
    if (g < 0) return read_fail(r, "no weights for layer %s (model_weights/%s)", p->name, p->name);
    char **names = NULL;
    int n = 0, rc = -1;
    float *buf = NULL;
    if (read_str_attr(r, g, "weight_names", &names, &n, 1 << 16)) goto done;
    static const char *const conv_w[2] = {"kernel", "bias"};
    static const char *const bn_w[4] = {"gamma", "beta", "moving_mean", "moving_variance"};
    const char *const *want = p->k == K_BN ? bn_w : conv_w;
    int nwant = p->k == K_BN ? 4 : p->use_bias ? 2 : 1;
    if (n != nwant) {
        read_fail(r, "layer %s: %d weights, expected %d", p->name, n, nwant);
        goto done;
    }
    const char *found[4];
    for (int i = 0; i < nwant; i++)
        if (!(found[i] = find_weight(names, n, want[i]))) {
            read_fail(r, "layer %s: no %s among its weight_names", p->name, want[i]);
            goto done;
        }
    size_t nw, nb;
    float *w = nn_layer_weights(m, p->layer, &nw), *bias = nn_layer_bias(m, p->layer, &nb);
    buf = malloc((nw > 4 * nb ? nw : 4 * nb) * sizeof *buf + 1);
    if (!buf) {
        read_fail(r, "out of memory");
        goto done;
    }
    if (p->k == K_CONV) {
        nn_layer_desc d;
        nn_layer_describe(m, p->layer, &d);
        long k = d.kernel, in = p->in, out = d.channels;
        hsize_t kd[4] = {(hsize_t)k, (hsize_t)k, (hsize_t)in, (hsize_t)out}, bd = (hsize_t)out;
        if (read_dataset(r, g, p->name, found[0], 4, kd, buf)) goto done;
        for (long o = 0; o < out; o++)
            for (long ci = 0; ci < in; ci++)
                for (long y = 0; y < k; y++)
                    for (long x = 0; x < k; x++)
                        w[((o * in + ci) * k + y) * k + x] = buf[((y * k + x) * in + ci) * out + o];
        if (p->use_bias) {
            if (read_dataset(r, g, p->name, found[1], 1, &bd, bias)) goto done;
        } else
            memset(bias, 0, nb * sizeof *bias);
    } else if (p->k == K_DENSE) {
        long in = p->in, out = (long)nb;
        hsize_t kd[2] = {(hsize_t)in, (hsize_t)out}, bd = (hsize_t)out;
        if (read_dataset(r, g, p->name, found[0], 2, kd, buf)) goto done;
        for (long row = 0; row < in; row++) {
            long j = perm_nn_index(&p->p, row);
            for (long o = 0; o < out; o++)
                w[o * in + j] = buf[row * out + o];
        }
        if (p->use_bias) {
            if (read_dataset(r, g, p->name, found[1], 1, &bd, bias)) goto done;
        } else
            memset(bias, 0, nb * sizeof *bias);
    } else {
        size_t ns;
        float *state = nn_layer_state(m, p->layer, &ns);
        long c = (long)nw;
        float *dst[4] = {w, bias, state, state + c};
        hsize_t dim = (hsize_t)c;
        for (int t = 0; t < 4; t++) {
            if (read_dataset(r, g, p->name, found[t], 1, &dim, buf)) goto done;
            for (long i = 0; i < c; i++)
                dst[t][perm_nn_index(&p->p, i)] = buf[i];
        }
    }
    rc = 0;
done:
    free(buf);
    free_strs(names, n);
    H5Gclose(g);
    return rc;
}

nn_model *nn_model_read_h5(const char *path, int max_batch, nn_err *err) {
    reader r = {.path = path, .err = err};
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        nn_fail(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    fclose(probe);
    quiet q;
    quiet_begin(&q);
    nn_model *m = NULL;
    json_value *config = NULL;
    char **text = NULL, **layer_names = NULL;
    int n_text = 0, n_layers = 0;
    build_state b = {0};
    hid_t weights = -1, fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0) H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    hid_t file = fapl < 0 ? -1 : H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    if (file < 0) {
        read_fail(&r, "not an HDF5 file, or a damaged one");
        goto done;
    }
    if (H5Aexists(file, "model_config") <= 0) {
        read_fail(&r, "no model_config attribute: not a Keras model file");
        goto done;
    }
    if (read_str_attr(&r, file, "model_config", &text, &n_text, CONFIG_MAX_BYTES)) goto done;
    if (n_text != 1) {
        read_fail(&r, "model_config is not one string");
        goto done;
    }
    nn_err je;
    if (!(config = json_parse(text[0], strlen(text[0]), &je))) {
        read_fail(&r, "model_config is not valid JSON: %s", je.msg);
        goto done;
    }
    if (!(m = build_model(&r, config, max_batch, &b))) goto done;
    if (H5Lexists(file, "model_weights", H5P_DEFAULT) <= 0 ||
        (weights = H5Gopen2(file, "model_weights", H5P_DEFAULT)) < 0) {
        read_fail(&r, "no model_weights group");
        goto done;
    }
    if (read_str_attr(&r, weights, "layer_names", &layer_names, &n_layers, 1 << 20)) goto done;
    for (int i = 0; i < b.n_plans && !r.failed; i++) {
        int listed = 0;
        for (int j = 0; j < n_layers && !listed; j++)
            listed = strcmp(layer_names[j], b.plans[i].name) == 0;
        if (!listed)
            read_fail(&r, "layer %s is not in model_weights' layer_names", b.plans[i].name);
        else
            load_plan(&r, weights, m, &b.plans[i]);
    }
done:
    if (weights >= 0) H5Gclose(weights);
    if (file >= 0) H5Fclose(file);
    quiet_end(&q);
    free_strs(text, n_text);
    free_strs(layer_names, n_layers);
    json_free(config);
    free(b.plans);
    if (r.failed) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}
