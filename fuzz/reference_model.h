/* reference_model.h - the model fuzz_model.c loads files into (nn_model_load), which is also
 * the architecture of the seed fuzz/corpus/model/model-conv.nnm (make_seeds.c), so that
 * mutations of that seed reach the comparison of a file with an existing model. */
#ifndef NN_FUZZ_REFERENCE_MODEL_H
#define NN_FUZZ_REFERENCE_MODEL_H

#include "nn/model.h"

/* Input 1x6x6: conv, batch norm, ReLU, conv, residual, max pool, flatten, dropout, dense;
 * built for batches of 1. NULL with a message on error. */
nn_model *fuzz_reference_model(nn_err *err);

#endif
