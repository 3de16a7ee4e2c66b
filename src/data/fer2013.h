/* fer2013.h - FER2013, the facial expression set of the ICML 2013 representation-learning
 * challenge (Goodfellow et al. 2013): 35,887 grey 48x48 faces, each labelled with one of seven
 * emotions and assigned to one of three splits, all in one CSV file.
 *
 *     nn_images split[FER2013_SPLITS];
 *     if (fer2013_load_dir("data", split, &err)) ...       data/fer2013/fer2013.csv
 *     train on split[FER2013_TRAINING], select on split[FER2013_PUBLIC_TEST],
 *     report split[FER2013_PRIVATE_TEST];
 *     for (int s = 0; s < FER2013_SPLITS; s++) images_free(&split[s]);
 *
 * The file, exactly as the competition published it:
 *     emotion,pixels,Usage                                   header (line 1)
 *     0,70 80 82 ... 2304 values,Training                    one row per face
 * emotion: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral;
 * pixels: 48*48 = 2304 grey levels 0..255, row-major, separated by single spaces;
 * Usage: Training, PublicTest or PrivateTest (the competition's validation and final test).
 * Rows keep the file's order inside each split. Each split is an nn_images set of
 * c = 1, h = w = 48, classes = 7 (any split may be empty; the real file has 28,709 / 3,589 /
 * 3,589 faces).
 *
 * A line is accepted only if it is exactly that: a row with a wrong pixel count, a value out
 * of 0..255 or not a number, an unknown class or usage, a missing or extra field, stray
 * characters, quotes or a NUL byte fails the whole load with "FILE:LINE: reason" (the first
 * bad line; nothing is returned). A CR before the line feed is tolerated (a copy saved on
 * Windows); an empty line is not. */
#ifndef NN_FER2013_H
#define NN_FER2013_H

#include "base/nn_err.h"
#include "data/images.h"

#define FER2013_SIDE 48
#define FER2013_CLASSES 7

typedef enum fer2013_split {
    FER2013_TRAINING,
    FER2013_PUBLIC_TEST,
    FER2013_PRIVATE_TEST,
    FER2013_SPLITS
} fer2013_split;

/* Reads the CSV at path into out[0..FER2013_SPLITS-1] (indexed by fer2013_split). On error
 * every out[s] is left empty (zeroed) and err holds "path:line: reason". */
int fer2013_load(const char *path, nn_images out[FER2013_SPLITS], nn_err *err);
/* The same for DATA_DIR/fer2013/fer2013.csv, where `make data` puts it. */
int fer2013_load_dir(const char *data_dir, nn_images out[FER2013_SPLITS], nn_err *err);

/* "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"; "?" otherwise. */
const char *fer2013_class_name(int label);
/* The Usage value of a split: "Training", "PublicTest", "PrivateTest"; "?" otherwise. */
const char *fer2013_split_name(int split);

#endif
