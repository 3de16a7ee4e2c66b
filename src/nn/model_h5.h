/* model_h5.h - models as Keras .h5 files (HDF5 through libhdf5), the format the emotion
 * chapter's assignment asks for and the one Keras 2 writes with model.save("x.h5").
 *
 *     if (nn_model_save_h5(m, "emotion.h5", &err)) ...
 *     nn_model *copy = nn_model_read_h5("emotion.h5", 1, &err);    rebuilt, max batch 1
 *
 * Programs that call these link with -lhdf5_serial (Debian's libhdf5-dev); others do not
 * need it, since the library is static and only this object refers to HDF5.
 *
 * The layout (Keras 2's legacy HDF5 format, what keras.models.load_model reads):
 *   /                        attributes keras_version ("2.13.1", the layout's version),
 *                            backend ("tensorflow") and model_config: JSON, a Sequential
 *                            model {"class_name": "Sequential", "config": {"name": ...,
 *                            "layers": [{"class_name": "InputLayer", "config":
 *                            {"batch_input_shape": [null, H, W, C], ...}}, {"class_name":
 *                            "Conv2D", "config": {...}}, ...]}}
 *   /model_weights           attribute layer_names: the layers' names in order (every layer
 *                            but the input); attributes backend, keras_version
 *   /model_weights/NAME      one group per layer, attribute weight_names ("NAME/kernel:0",
 *                            ...; empty for layers without weights), and the datasets
 *   /model_weights/NAME/NAME/kernel:0 ... float32 datasets:
 *     Conv2D              kernel (kh, kw, in, out), bias (out)
 *     Dense               kernel (in, out), bias (out)
 *     BatchNormalization  gamma, beta, moving_mean, moving_variance (channels)
 * Strings are fixed-length, NUL-padded byte strings, as h5py writes NumPy bytes.
 *
 * nnlab's layers map to Keras classes (names: conv2d, conv2d_1, ..., as Keras numbers them):
 *     conv2d      Conv2D, padding "same" (stride 1, odd k, pad k/2) or "valid" (pad 0);
 *                 any other padding becomes a ZeroPadding2D layer before a "valid" Conv2D
 *     dense       Dense (after a Flatten, which is added when nnlab flattens implicitly)
 *     maxpool, avgpool, gap   MaxPooling2D, AveragePooling2D ("valid"), GlobalAveragePooling2D
 *     batchnorm   BatchNormalization (Keras momentum = 1 - nnlab's momentum)
 *     relu, tanh, sigmoid, softmax   Activation;  dropout  Dropout;  flatten  Flatten
 * lecun_tanh and residual connections have no Sequential Keras form: saving them fails.
 *
 * Layouts. nnlab keeps a sample channel-first (c, h, w), Keras channel-last (h, w, c):
 *   - conv kernels: nnlab out x in x kh x kw, Keras (kh, kw, in, out): transposed;
 *   - dense kernels: nnlab out x in, Keras (in, out): transposed;
 *   - flatten: nnlab flattens (c, h, w) in that order, Keras (h, w, c). So the dense layer
 *     after a flatten of a (C, H, W) tensor has its input rows permuted: Keras row
 *     (y W + x) C + ch holds nnlab's input column (ch H + y) W + x. A batch-norm, activation
 *     or dropout between the flatten and that dense layer is per feature, and a batch norm's
 *     four vectors are permuted the same way.
 * With these, Keras computes what nnlab computes (on inputs laid out channel-last).
 *
 * Reading accepts the Sequential models that use only the classes above (also Conv2D and
 * Dense with a fused activation such as "relu", and ZeroPadding2D before a "valid" Conv2D),
 * channels_last, stride-1 "same" convolutions with odd square kernels; anything else is
 * refused by name. A file that is not HDF5, damaged, or not such a model (no model_config,
 * JSON that does not parse, a layer or weight missing, a dataset of the wrong shape or
 * type) fails with one line naming the file and the problem. Sizes are bounded before
 * anything is allocated from them (at most NN_H5_MAX_PARAMS parameters). The weights read
 * back are exactly the floats written, so a saved and read model predicts bit-identically.
 *
 * Files are written to "<path>.tmp" and renamed into place. libhdf5's own error printing is
 * switched off during these calls (and restored after): errors come back through nn_err. */
#ifndef NN_MODEL_H5_H
#define NN_MODEL_H5_H

#include "base/nn_err.h"
#include "nn/model.h"

#define NN_H5_KERAS_VERSION "2.13.1"
#define NN_H5_MAX_PARAMS (1L << 28)

/* Writes a built model to path. 0, or -1 with a message. */
int nn_model_save_h5(nn_model *m, const char *path, nn_err *err);
/* Rebuilds the model saved in path for batches of up to max_batch; NULL with a message. */
nn_model *nn_model_read_h5(const char *path, int max_batch, nn_err *err);

#endif
