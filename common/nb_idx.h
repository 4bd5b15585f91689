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
    size_t channels;   /* 1 (grey) or 3 (RGB); IDX files are grey */
    size_t rows, cols; /* image size; dim = channels * rows * cols */
    size_t dim;
    float *images;      /* float32[n][channels][rows][cols] (CHW), pixel / 255 in [0, 1] */
    uint8_t *labels;    /* uint8[n] */
    size_t n_classes;   /* max label + 1, or the number of class names when names are known */
    char **class_names; /* [n_classes] owned NUL-terminated names, or NULL (unknown: IDX and
                           NumPy data without a names file); set by nb_data_load (nb_data.h) */
} nb_dataset;

typedef enum nb_idx_split {
    NB_IDX_TRAIN = 0, /* train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz] */
    NB_IDX_TEST = 1,  /* t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] */
} nb_idx_split;

/* Loads an image file and a label file. Checks magic numbers, dimensions, truncation and
 * that the counts agree. Returns NB_OK, NB_E_IO (missing/unreadable), NB_E_FORMAT (bad
 * magic, truncated, count mismatch; subject = the file), NB_E_NOMEM. On failure *ds is
 * zeroed. `max_n` > 0 keeps only the first max_n images (tests).
 * Details: images must have magic 0x00000803 (unsigned byte, 3 dims), labels 0x00000801;
 * every size must be >= 1 (rows, cols <= 65536, count <= 1e9). A count mismatch names the
 * labels file. Bytes after the last record are NB_E_FORMAT (only checked when the whole
 * file is read, i.e. max_n == 0 or max_n >= n). Corrupt gzip data is NB_E_FORMAT.
 * ds->n_classes = max label + 1 over the loaded images. */
nb_status nb_idx_load_pair(const char *images_path, const char *labels_path, size_t max_n,
                           nb_dataset *ds);

/* Loads the train or test split from a directory, trying "<name>.gz" then "<name>".
 * If neither exists: NB_E_IO with subject "<dir>/<name>". Otherwise as nb_idx_load_pair. */
nb_status nb_idx_load_dir(const char *dir, nb_idx_split split, size_t max_n, nb_dataset *ds);

void nb_dataset_deinit(nb_dataset *ds); /* frees (class names too); safe on a zeroed struct */

/* Checks that every label is < n_classes (the network's output size). NB_OK or
 * NB_E_MISMATCH naming `subject` (e.g. the data directory), the label and the image index. */
nb_status nb_dataset_check_labels(const nb_dataset *ds, size_t n_classes, const char *subject);

/* Every label within 0..ds->n_classes-1 and every class with at least one image (labels are
 * uint8, so n_classes <= 256). Without declared classes (IDX, NumPy without classes.txt) the
 * count is the largest label + 1, so a stray label 200 among 0..9 would make 190 empty
 * classes: refused here, naming the first empty class (and its name when the data set has
 * names). NB_OK or NB_E_FORMAT with `subject`. */
nb_status nb_dataset_check_classes(const nb_dataset *ds, const char *subject);

#endif /* NB_IDX_H */
