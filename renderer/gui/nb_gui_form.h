/* nb_gui_form.h - a config struct edited through widgets generated from its schema (GL-free).
 *
 * The rendering and processing panels draw one widget per key of nb_rendering_schema /
 * nb_processing_schema (common/nb_config.h), so no key can be forgotten. A form holds, per key,
 * what the field shows and an error message; an edit is applied through nb_config_set +
 * nb_config_validate on a copy (exactly the CLI's `--set` path), so the GUI accepts what the
 * CLI accepts. A rejected edit keeps the previous valid value in the config and the error next
 * to the field. Loading a file that fails keeps the previous settings and records the error.
 * Not thread-safe: one form per thread (the GUI thread).
 */
#ifndef NB_GUI_FORM_H
#define NB_GUI_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_config.h"
#include "nb_status.h"

#define NB_GUI_FORM_ERROR_MAX 256
#define NB_GUI_FORM_TEXT_MAX  256

/* The widget drawn for a key. */
typedef enum nb_gui_widget {
    NB_GUI_WIDGET_SLIDER,     /* double with a finite range: slider (maybe logarithmic) */
    NB_GUI_WIDGET_INT_SLIDER, /* int with a small range */
    NB_GUI_WIDGET_INPUT,      /* double: typed number (processing panel, huge ranges) */
    NB_GUI_WIDGET_INT_INPUT,  /* int: typed number */
    NB_GUI_WIDGET_CHECKBOX,   /* bool */
    NB_GUI_WIDGET_COMBO,      /* enum: one of enum_names */
    NB_GUI_WIDGET_COLOR,      /* RGB triple */
    NB_GUI_WIDGET_TEXT,       /* string */
} nb_gui_widget;

typedef struct nb_gui_form_field {
    double value[3];                   /* number, bool (0/1), enum index; colour uses all 3 */
    char text[NB_GUI_FORM_TEXT_MAX];   /* string keys */
    char error[NB_GUI_FORM_ERROR_MAX]; /* "" when the shown value is the applied one */
} nb_gui_form_field;

typedef struct nb_gui_form {
    const nb_config_schema *schema;
    void *cfg;                /* applied config, schema->struct_size bytes, borrowed */
    nb_gui_form_field *field; /* [schema->n_keys] */
    bool sliders;             /* true: doubles/ints as sliders (rendering), false: inputs */
    char file_error[512];     /* last load/save error, "" if none */
    unsigned generation;      /* incremented whenever cfg changes through the form */
} nb_gui_form;

/* Binds a form to cfg (borrowed; must outlive the form) and shows cfg's values.
 * sliders: see nb_gui_form.sliders. Returns NB_OK or NB_E_NOMEM (form zeroed). */
nb_status nb_gui_form_init(nb_gui_form *f, const nb_config_schema *schema, void *cfg, bool sliders);
void nb_gui_form_deinit(nb_gui_form *f); /* safe on a zeroed form */

/* Shows cfg's current values in every field and clears the field errors (after cfg was
 * changed from outside the form). */
void nb_gui_form_sync(nb_gui_form *f);

/* Shows cfg's current values in the fields that have no error (after cfg may have been
 * changed from outside, e.g. a key toggling auto_orbit), leaving rejected entries visible. */
void nb_gui_form_refresh(nb_gui_form *f);

/* The widget for key i under this form's style. */
nb_gui_widget nb_gui_form_widget(const nb_gui_form *f, size_t i);

/* A finite slider range for a number key: [min, max] with infinite bounds replaced by 0 / 1e6
 * and exclusive bounds moved inwards by 1e-3 * min(|bound|, range) (a bound of 0 by
 * min(1e-3, 1e-3 * range)). *logarithmic is true when hi / lo > 1000 with lo > 0. */
void nb_gui_form_slider_range(const nb_config_key *k, double *lo, double *hi, bool *logarithmic);

/* Section and label of a key for grouping: "edge.size" and "edge_size" -> ("edge", "size")
 * for the object prefixes edge/node; other keys -> ("", name). Writes NUL-terminated strings
 * truncated to the buffer sizes. */
void nb_gui_form_split_name(const char *name, char *section, size_t section_size, char *label,
                            size_t label_size);

/* Applies a number (double, int, bool 0/1, enum index) to key i: the field shows v; if
 * nb_config_set + nb_config_validate accept it, cfg takes it and the field error clears;
 * otherwise cfg is unchanged and the field error holds the message
 * ("[--set key] reason (NB_E_CONFIG)"). Returns NB_OK, NB_E_CONFIG, NB_E_INVALID (i out of
 * range or a key of another type). */
nb_status nb_gui_form_set_number(nb_gui_form *f, size_t i, double v);

/* Same for a colour key (rgb[3]) and a string key. */
nb_status nb_gui_form_set_color(nb_gui_form *f, size_t i, const double rgb[3]);
nb_status nb_gui_form_set_text(nb_gui_form *f, size_t i, const char *s);

/* True if any field shows a value that was rejected. */
bool nb_gui_form_has_errors(const nb_gui_form *f);

/* Loads a JSON file over a copy of cfg (keys missing from the file keep their values) and
 * validates it; on success cfg takes it and the fields resync; on failure cfg and the fields
 * are unchanged and file_error holds the message. Returns NB_OK, NB_E_IO, NB_E_CONFIG. */
nb_status nb_gui_form_load(nb_gui_form *f, const char *path);

/* Saves cfg (every key) to path atomically; file_error on failure. NB_OK, NB_E_IO,
 * NB_E_NOMEM. */
nb_status nb_gui_form_save(nb_gui_form *f, const char *path);

/* Sets every key to its default and resyncs. */
void nb_gui_form_reset(nb_gui_form *f);

#endif /* NB_GUI_FORM_H */
