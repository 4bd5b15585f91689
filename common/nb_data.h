/* nb_data.h - a data directory in any of the supported layouts, read into an nb_dataset.
 *
 * Three layouts, told apart from what DIR holds (docs/data.md):
 *   IDX          DIR/train-images-idx3-ubyte[.gz] ... t10k-labels-idx1-ubyte[.gz] (nb_idx.h)
 *   NumPy        DIR/{train,test}_images.npy + DIR/{train,test}_labels.npy
 *   ImageFolder  DIR/train/<class>/NAME.png and DIR/test/<class>/NAME.png (8-bit grey or RGB)
 * Every layout gives images as CHW float32 in [0, 1] and uint8 labels. Class names: the
 * sorted class sub-directory names (ImageFolder), else DIR/classes.txt when present (one name
 * per line), else none; a names file given by the caller (--class-names) overrides all.
 * Sources: NumPy's .npy format (numpy.lib.format, "NEP 1"), libpng's simplified read API,
 * torchvision.datasets.ImageFolder (class = sorted sub-directory name).
 */
#ifndef NB_DATA_H
#define NB_DATA_H

#include <stddef.h>

#include "nb_idx.h"
#include "nb_status.h"

typedef enum nb_data_format {
    NB_DATA_AUTO = 0, /* detect (nb_data_detect) */
    NB_DATA_IDX,
    NB_DATA_NPY,
    NB_DATA_IMAGEFOLDER,
} nb_data_format;

#define NB_DATA_MAX_CLASSES 256 /* labels are uint8 */

/* "idx", "numpy", "imagefolder" ("auto" for NB_DATA_AUTO). Static storage. */
const char *nb_data_format_name(nb_data_format format);

/* Which layout `dir` holds, checked in the order IDX (either split's image file, gzip'd or
 * not), NumPy (train_images.npy or test_images.npy), ImageFolder (a train/ or test/
 * sub-directory). NB_OK, NB_E_IO naming `dir` when it is missing or holds none of them. */
nb_status nb_data_detect(const char *dir, nb_data_format *format);

/* Loads one split of `dir` (format detected) into *ds (zeroed on failure). `max_n` > 0 keeps
 * only the first max_n images (for ImageFolder the order interleaves the classes, so a
 * prefix is balanced). `class_names` (may be NULL) is a names file overriding the layout's
 * names; without it DIR/classes.txt is read when present (not for ImageFolder, whose names
 * are its directories unless overridden).
 * Result: ds->class_names is [n_classes] owned strings or NULL (no names known); with names,
 * n_classes = the number of names and every label is checked against it.
 * NB_OK; NB_E_IO (missing/unreadable file); NB_E_FORMAT (corrupt image or .npy, truncated,
 * mixed sizes or channel counts, count mismatch, a label out of range); NB_E_UNSUPPORTED
 * (an .npy dtype or PNG bit depth outside the supported set); NB_E_MISSING (a class
 * directory without images, no class directories); NB_E_MISMATCH (a names file whose count
 * does not fit the classes); NB_E_NOMEM. The subject is the offending file or directory. */
nb_status nb_data_load(const char *dir, nb_idx_split split, size_t max_n, const char *class_names,
                       nb_dataset *ds);

/* The NumPy pair loader behind nb_data_load: images_path holds uint8 (pixel / 255) or
 * float32 (used as stored, must lie in [0, 1]) with shape [N][H][W] (one channel),
 * [N][H][W][C] when C (last axis) is 1 or 3, else [N][C][H][W] when C (axis 1) is 1 or 3;
 * labels_path an integer array of shape [N] or [N][1], values 0..255. n_classes = max label
 * + 1, class_names NULL. Statuses and subjects as nb_data_load. */
nb_status nb_data_load_npy(const char *images_path, const char *labels_path, size_t max_n,
                           nb_dataset *ds);

/* Reads a class names file: one name per line (UTF-8; "\n" or "\r\n"; a final newline is
 * optional), every name 1..255 bytes, at most NB_DATA_MAX_CLASSES names. *names is a
 * malloc'd array of *n malloc'd strings (free with nb_data_free_names). NB_OK, NB_E_IO,
 * NB_E_FORMAT (empty file, empty or over-long name, too many names; subject = path,
 * message gives the line), NB_E_NOMEM. */
nb_status nb_data_read_class_names(const char *path, char ***names, size_t *n);
void nb_data_free_names(char **names, size_t n); /* NULL-safe */

/* Gives ds the names (taking ownership on success): n must be > every label; ds->n_classes
 * becomes n. NB_OK or NB_E_MISMATCH naming `subject` (the names file) with the label and
 * image index; on failure ds is unchanged and the names still belong to the caller. */
nb_status nb_data_set_class_names(nb_dataset *ds, char **names, size_t n, const char *subject);

#endif /* NB_DATA_H */
