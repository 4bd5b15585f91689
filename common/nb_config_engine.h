/* nb_config_engine.h - the config engine: key tables, JSON load, --set, validate, save.
 *
 * A config is a plain struct plus a schema: one table of keys (name, type, offsetof,
 * default, range, enum words, unit, doc, source) that drives defaults, JSON loading,
 * `--set key=value` overrides, validation, saving and the generated docs (the key tables of
 * configs/README.md). Loading rejects unknown keys by name, wrong types and out-of-range
 * values with NB_E_CONFIG, naming the file and the key; on any failure the caller's struct
 * is left untouched. Keys missing from a file keep their current value.
 * The two schemas are nb_processing_schema (nb_processing_config.h) and nb_rendering_schema
 * (nb_rendering_config.h); nb_config.h includes all three headers. Enum words exist only in
 * the key tables: other code asks nb_config_enum_name / nb_config_enum_value for them.
 */
#ifndef NB_CONFIG_ENGINE_H
#define NB_CONFIG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "nb_status.h"

typedef enum nb_config_type {
    NB_CONFIG_DOUBLE,
    NB_CONFIG_INT,
    NB_CONFIG_BOOL,
    NB_CONFIG_ENUM,   /* stored as int; JSON string from enum_names */
    NB_CONFIG_STRING, /* stored as char[string_size] */
    NB_CONFIG_COLOR,  /* stored as double[3]; JSON array of 3 numbers in [min, max] */
} nb_config_type;

enum {
    NB_CONFIG_MIN_EXCLUSIVE = 1 << 0,
    NB_CONFIG_MAX_EXCLUSIVE = 1 << 1,
};

typedef struct nb_config_key {
    const char *name;
    nb_config_type type;
    size_t offset;          /* offsetof in the config struct */
    size_t string_size;     /* NB_CONFIG_STRING: buffer size */
    double def;             /* default (number, bool 0/1, enum index) */
    const char *def_string; /* NB_CONFIG_STRING default */
    double min, max;        /* inclusive unless flags say exclusive */
    unsigned flags;
    const char *const *enum_names; /* NB_CONFIG_ENUM: NULL-terminated */
    const char *unit;              /* "world units", "fraction", ... */
    const char *doc;               /* one sentence */
    /* Added after the first version (trailing, so positional initialisers stay valid): */
    const char *source; /* where the key comes from: "method.md §4.1", "nnbundle", ... */
    /* Optional extra rule run after the type/range checks on load, set and validate; it
     * gets a pointer to the field and the error subject, and returns NB_OK or raises
     * NB_E_CONFIG with that subject. NULL = none. */
    nb_status (*check)(const void *field, const char *subject);
} nb_config_key;

typedef struct nb_config_schema {
    const char *name; /* "processing" or "rendering" */
    const nb_config_key *keys;
    size_t n_keys;
    size_t struct_size;
} nb_config_schema;

/* Fills cfg (struct_size bytes) with every key's default. */
void nb_config_defaults(const nb_config_schema *schema, void *cfg);

/* The key named `name`, or NULL. */
const nb_config_key *nb_config_find(const nb_config_schema *schema, const char *name);

/* Parses JSON text (an object of key: value) into cfg. `source` names it in errors (a path).
 * Returns NB_OK, NB_E_CONFIG (syntax, unknown key, wrong type, out of range; the subject is
 * "source key"). On failure cfg is unchanged.
 * Details: a syntax error or a non-object top level has subject "source" and gives the line
 * and column; an unknown key suggests the closest known one; a key given twice, NaN/Inf
 * (1e999), a non-integral integer, a bool given as 0/1 and an enum word not in the list
 * (the message lists the allowed words) are all NB_E_CONFIG. source NULL: the schema name.
 * NB_E_INVALID if json_text is NULL, NB_E_NOMEM. */
nb_status nb_config_parse(const nb_config_schema *schema, const char *json_text, const char *source,
                          void *cfg);

/* Reads and parses a file. Returns NB_E_IO if unreadable (subject = path), NB_E_CONFIG for a
 * file over 1 MiB or containing a NUL byte, else as nb_config_parse with source = path. */
nb_status nb_config_load(const nb_config_schema *schema, const char *path, void *cfg);

/* Applies one "key=value" override (value as JSON, or a bare word for strings/enums).
 * Returns NB_E_CONFIG naming the key (subject "--set key"). On failure cfg is unchanged.
 * For enum/string keys a value that is not a JSON string is taken literally
 * ("density=exact", "importance_flags=gamma,l2", "importance_flags=" for ""). No '=' or an
 * empty key: subject "--set <assignment>". Same checks as nb_config_parse. */
nb_status nb_config_set(const nb_config_schema *schema, const char *assignment, void *cfg);

/* Checks every key's type and range in one pass. NB_E_CONFIG names the first bad key
 * (subject "<schema name> <key>", e.g. "processing layer_width"). */
nb_status nb_config_validate(const nb_config_schema *schema, const void *cfg);

/* Serialises every key, in table order, to a pretty JSON object (2-space indent, one key per
 * line, numbers printed so they re-read to the same double); *json_out is malloc'd, caller
 * frees. Returns NB_OK, NB_E_CONFIG (cfg fails nb_config_validate) or NB_E_NOMEM. */
nb_status nb_config_to_json(const nb_config_schema *schema, const void *cfg, char **json_out);

/* Writes nb_config_to_json to path atomically ("<path>.tmp.<pid>", fsync, rename). NB_E_IO
 * (subject = path) on failure, with the temporary file removed and path untouched;
 * NB_E_CONFIG if cfg is invalid. */
nb_status nb_config_save(const nb_config_schema *schema, const void *cfg, const char *path);

/* The schema as a Markdown table (key, type, default, range, unit, meaning, source), one row
 * per key in table order, ending with a newline: the generated part of configs/README.md.
 * *md_out is malloc'd, caller frees. NB_OK or NB_E_NOMEM. */
nb_status nb_config_to_markdown(const nb_config_schema *schema, char **md_out);

/* Like nb_config_parse, for config text that a file stores (the resolved processing config
 * in /bundle config_json), which another version of nnbundle may have written: members whose
 * key the schema does not know are skipped, keys the text lacks keep cfg's values, and every
 * other failure (syntax, a key given twice, wrong type, out of range, a per-key check) is
 * NB_E_FORMAT with subject `subject` and the key in the reason ("edge_importance_type: 4 is
 * out of range [0, 3]"). `keys` (NULL-terminated; NULL = every key): read only these, and
 * skip every other member unchecked, for a reader that needs a few keys and must not fail on
 * a value of another key that today's table refuses. A syntax error or a top level that is
 * not an object fails whatever `keys` says. On failure cfg is unchanged. NB_E_INVALID if
 * json_text is NULL, NB_E_NOMEM. */
nb_status nb_config_parse_stored(const nb_config_schema *schema, const char *json_text,
                                 const char *subject, const char *const *keys, void *cfg);

/* ---- enum words (the only list of them is the key table) ---------------------------- */

/* Number of words of an enum key; 0 for NULL or a key of another type. */
size_t nb_config_key_enum_count(const nb_config_key *key);

/* The value of `word` for an enum key (1 for density "exact"), or -1 when key is NULL, not
 * an enum, or word is NULL or not one of its words. Raises nothing (a lookup, not a check:
 * nb_config_enum_value is the checking form). */
int nb_config_key_enum_index(const nb_config_key *key, const char *word);

/* The word for `value` of an enum key ("exact" for density 1), or NULL when key is NULL, not
 * an enum or value is out of range. Static storage. */
const char *nb_config_key_enum_name(const nb_config_key *key, int value);

/* The word for `value` of the enum key named `key` in schema, or NULL (no such enum key,
 * value out of range). nb_config_enum_name(&nb_processing_schema, "density", 1) = "exact". */
const char *nb_config_enum_name(const nb_config_schema *schema, const char *key, int value);

/* The value of `word` for the enum key named `key`: NB_OK, or NB_E_CONFIG with subject
 * "<schema name> <key>" for a word not in the list (the reason lists the allowed words) or a
 * key that is not an enum of the schema. *value is written only on success. */
nb_status nb_config_enum_value(const nb_config_schema *schema, const char *key, const char *word,
                               int *value);

/* The words of the enum key named `key` joined by `sep` ("fast | exact" with " | ") into buf
 * (cap bytes; as many whole words as fit); "" if there is no such enum key. Returns buf. */
const char *nb_config_enum_words(const nb_config_schema *schema, const char *key, const char *sep,
                                 char *buf, size_t cap);

#endif /* NB_CONFIG_ENGINE_H */
