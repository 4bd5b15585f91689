/* nb_idx.h - MNIST-format (IDX) data sets, gzip'd or raw.
 *
 * Format: big-endian header (magic 0x00 0x00 type ndims, then ndims uint32 sizes), payload
 * unsigned bytes (type 0x08). Source: Y. LeCun, "THE MNIST DATABASE" file format notes;
 * Fashion-MNIST uses the same format (/usr/share/datasets/fashion-mnist, Debian package
 * dataset-fashion-mnist). Files are read through zlib's gzread, which reads raw files too.
 */
#ifndef NB_IDX_H
#define NB_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "nb_status.h"

/* Default data directory (Debian's Fashion-MNIST). */
#define NB_IDX_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

typedef struct nb_dataset {
    size_t n;          /* number of images */
    size_t rows, cols; /* image size; dim = rows * cols */
    size_t dim;
    float *images;     /* float32[n][dim], pixel / 255 in [0, 1] */
    uint8_t *labels;   /* uint8[n] */
    size_t n_classes;  /* max label + 1 */
} nb_dataset;

typedef enum nb_idx_split {
    NB_IDX_TRAIN = 0, /* train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz] */
    NB_IDX_TEST = 1,  /* t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] */
} nb_idx_split;

/* Loads an image file and a label file. Checks magic numbers, dimensions, truncation and
 * that the counts agree. Returns NB_OK, NB_E_IO (missing/unreadable), NB_E_FORMAT (bad
 * magic, truncated, count mismatch; subject = the file), NB_E_NOMEM. On failure *ds is
 * zeroed. `max_n` > 0 keeps only the first max_n images (tests). */
nb_status nb_idx_load_pair(const char *images_path, const char *labels_path, size_t max_n,
                           nb_dataset *ds);

/* Loads the train or test split from a directory, trying "<name>.gz" then "<name>". */
nb_status nb_idx_load_dir(const char *dir, nb_idx_split split, size_t max_n, nb_dataset *ds);

void nb_dataset_deinit(nb_dataset *ds);

#endif /* NB_IDX_H */
