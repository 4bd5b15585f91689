/* nb_config_engine.c - the schema-driven config engine: defaults, JSON load, --set, validate,
 * save, enum words.
 *
 * DESIGN: a config is a plain struct described by a key table (nb_processing_config.c,
 * nb_rendering_config.c): name, type, offsetof, default, range, enum words, unit, doc.
 * Every operation walks that table, so adding a key is one row. Loading parses the JSON text
 * with cJSON, then applies each member of the top-level object to a private copy of the
 * caller's struct; only when every member passed the type, range and per-key checks is the
 * copy written back, so a failed load or --set leaves the caller's struct untouched (Redis
 * config.c style: one table, one checker). Numbers are checked for finiteness and range
 * with exclusive bounds where the table says so; integers must be integral; enum values are
 * words. A text escaping a NUL (\u0000) is refused whole: cJSON keeps C strings, so
 * "sampling_rate\u0000x" would otherwise be applied as sampling_rate; a config file must be a
 * regular file (a FIFO would block). Config text stored in a data file goes through the same
 * checks, with unknown keys skipped and failures reported against the file
 * (nb_config_parse_stored); a reader that needs only some keys (a viewer) checks only those, so a
 * stored value that today's range refuses in a key it does not use cannot keep it from showing the
 * file. Serialisation prints doubles with the shortest of %.15g/%.17g that re-reads to the same
 * value, so save -> load is exact. Saving goes through nb_file (temporary file, fsync, rename,
 * directory fsync).
 * Threading: no shared mutable state; each call works on its own buffers.
 * Config keys: all of nb_processing_schema and nb_rendering_schema (see configs/README.md).
 */
#include "nb_config_engine.h"
#include "nb_file.h"
#include "nb_input.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB_CONFIG_SUBJECT_MAX 512
#define NB_CONFIG_FILE_MAX    (1u << 20) /* a config file is a few KiB; refuse anything huge */

/* ---- growable text buffer ------------------------------------------------------------- */

typedef struct strbuf {
    char *data;
    size_t len, cap;
    bool failed;
} strbuf;

static void sb_append(strbuf *sb, const char *text, size_t n) {
    if (sb->failed)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 256;
        while (sb->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(sb->data, cap);
        if (!p) {
            sb->failed = true;
            return;
        }
        sb->data = p;
        sb->cap = cap;
    }
    memcpy(sb->data + sb->len, text, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

static void sb_puts(strbuf *sb, const char *text) {
    sb_append(sb, text, strlen(text));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(strbuf *sb, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = true;
        return;
    }
    sb_append(sb, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* JSON string literal with escapes. */
static void sb_json_string(strbuf *sb, const char *s) {
    sb_puts(sb, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            sb_append(sb, esc, 2);
        } else if (*p < 0x20) {
            sb_printf(sb, "\\u%04x", *p);
        } else {
            sb_append(sb, (const char *)p, 1);
        }
    }
    sb_puts(sb, "\"");
}

/* Shortest of %.15g / %.17g that reads back to exactly v. */
static void format_double(char *buf, size_t cap, double v) {
    snprintf(buf, cap, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, cap, "%.17g", v);
}

/* ---- field access --------------------------------------------------------------------- */

static void *field_ptr(void *cfg, const nb_config_key *k) {
    return (char *)cfg + k->offset;
}

static const void *field_cptr(const void *cfg, const nb_config_key *k) {
    return (const char *)cfg + k->offset;
}

size_t nb_config_key_enum_count(const nb_config_key *key) {
    size_t n = 0;
    while (key && key->type == NB_CONFIG_ENUM && key->enum_names && key->enum_names[n])
        n++;
    return n;
}

/* The key's enum words joined by sep into buf (as many whole words as fit in cap). */
static const char *enum_words(const nb_config_key *k, const char *sep, char *buf, size_t cap) {
    size_t used = 0, n = nb_config_key_enum_count(k);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? sep : "", k->enum_names[i]);
        if (w < 0 || (size_t)w >= cap - used) {
            buf[used] = '\0'; /* whole words only */
            break;
        }
        used += (size_t)w;
    }
    return buf;
}

static void enum_list(const nb_config_key *k, char *buf, size_t cap) {
    enum_words(k, ", ", buf, cap);
}

static const char *type_name(nb_config_type t) {
    switch (t) {
    case NB_CONFIG_DOUBLE:
        return "number";
    case NB_CONFIG_INT:
        return "integer";
    case NB_CONFIG_BOOL:
        return "boolean";
    case NB_CONFIG_ENUM:
        return "enum";
    case NB_CONFIG_STRING:
        return "string";
    case NB_CONFIG_COLOR:
        return "colour";
    }
    return "?";
}

static const char *json_type_name(const cJSON *item) {
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsBool(item))
        return "a boolean";
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsObject(item))
        return "an object";
    if (cJSON_IsNull(item))
        return "null";
    return "an invalid value";
}

/* "(0, 100]" for the key's range. */
static void range_text(const nb_config_key *k, char *buf, size_t cap) {
    char lo[40], hi[40];
    format_double(lo, sizeof lo, k->min);
    format_double(hi, sizeof hi, k->max);
    snprintf(buf, cap, "%c%s, %s%c", (k->flags & NB_CONFIG_MIN_EXCLUSIVE) ? '(' : '[', lo, hi,
             (k->flags & NB_CONFIG_MAX_EXCLUSIVE) ? ')' : ']');
}

static bool in_range(const nb_config_key *k, double v) {
    bool lo_ok = (k->flags & NB_CONFIG_MIN_EXCLUSIVE) ? v > k->min : v >= k->min;
    bool hi_ok = (k->flags & NB_CONFIG_MAX_EXCLUSIVE) ? v < k->max : v <= k->max;
    return lo_ok && hi_ok;
}

/* Checks one numeric value (double, int, or a colour component) against the key. */
static nb_status check_number(const nb_config_key *k, double v, const char *subject) {
    char num[40], range[96];
    if (!isfinite(v))
        return NB_RAISE(NB_E_CONFIG, subject, "value is not a finite number");
    if (k->type == NB_CONFIG_INT && v != floor(v)) {
        format_double(num, sizeof num, v);
        return NB_RAISE(NB_E_CONFIG, subject, "%s is not an integer", num);
    }
    if (!in_range(k, v)) {
        format_double(num, sizeof num, v);
        range_text(k, range, sizeof range);
        return NB_RAISE(NB_E_CONFIG, subject, "%s is out of range %s", num, range);
    }
    return NB_OK;
}

/* Validates the value stored in a struct field. */
static nb_status check_field(const nb_config_key *k, const void *cfg, const char *subject) {
    const void *f = field_cptr(cfg, k);
    switch (k->type) {
    case NB_CONFIG_DOUBLE:
        NB_TRY(check_number(k, *(const double *)f, subject));
        break;
    case NB_CONFIG_INT:
        NB_TRY(check_number(k, (double)*(const int *)f, subject));
        break;
    case NB_CONFIG_BOOL:
        break;
    case NB_CONFIG_ENUM: {
        int v = *(const int *)f;
        if (v < 0 || (size_t)v >= nb_config_key_enum_count(k)) {
            char words[256];
            enum_list(k, words, sizeof words);
            return NB_RAISE(NB_E_CONFIG, subject, "enum index %d is not one of: %s", v, words);
        }
        break;
    }
    case NB_CONFIG_STRING:
        if (!memchr(f, '\0', k->string_size))
            return NB_RAISE(NB_E_CONFIG, subject, "string is not terminated within %zu bytes",
                            k->string_size);
        break;
    case NB_CONFIG_COLOR: {
        const double *c = f;
        for (int i = 0; i < 3; i++)
            NB_TRY(check_number(k, c[i], subject));
        break;
    }
    }
    if (k->check)
        NB_TRY(k->check(f, subject));
    return NB_OK;
}

/* The apply_* helpers check one JSON value against the key and store it in the field f
 * (which may be left partly written on failure: callers work on a copy). */

static nb_status apply_number(const nb_config_key *k, const cJSON *item, const char *subject,
                              void *f) {
    if (!cJSON_IsNumber(item))
        return NB_RAISE(NB_E_CONFIG, subject, "expected %s, got %s",
                        k->type == NB_CONFIG_INT ? "an integer" : "a number", json_type_name(item));
    NB_TRY(check_number(k, item->valuedouble, subject));
    if (k->type == NB_CONFIG_INT)
        *(int *)f = (int)item->valuedouble;
    else
        *(double *)f = item->valuedouble;
    return NB_OK;
}

static nb_status apply_enum(const nb_config_key *k, const cJSON *item, const char *subject,
                            void *f) {
    char words[256];
    enum_list(k, words, sizeof words);
    if (!cJSON_IsString(item))
        return NB_RAISE(NB_E_CONFIG, subject, "expected one of %s, got %s", words,
                        json_type_name(item));
    int i = nb_config_key_enum_index(k, item->valuestring);
    if (i < 0)
        return NB_RAISE(NB_E_CONFIG, subject, "unknown value \"%.64s\" (allowed: %s)",
                        item->valuestring, words);
    *(int *)f = i;
    return NB_OK;
}

static nb_status apply_string(const nb_config_key *k, const cJSON *item, const char *subject,
                              void *f) {
    if (!cJSON_IsString(item))
        return NB_RAISE(NB_E_CONFIG, subject, "expected a string, got %s", json_type_name(item));
    size_t len = strlen(item->valuestring);
    if (len >= k->string_size)
        return NB_RAISE(NB_E_CONFIG, subject, "string of %zu characters, at most %zu", len,
                        k->string_size - 1);
    memset(f, 0, k->string_size);
    memcpy(f, item->valuestring, len);
    return NB_OK;
}

static nb_status apply_color(const nb_config_key *k, const cJSON *item, const char *subject,
                             void *f) {
    if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 3)
        return NB_RAISE(NB_E_CONFIG, subject, "expected an array of 3 numbers, got %s",
                        json_type_name(item));
    double c[3];
    for (int i = 0; i < 3; i++) {
        const cJSON *e = cJSON_GetArrayItem(item, i);
        if (!cJSON_IsNumber(e))
            return NB_RAISE(NB_E_CONFIG, subject, "component %d: expected a number, got %s", i,
                            json_type_name(e));
        NB_TRY(check_number(k, e->valuedouble, subject));
        c[i] = e->valuedouble;
    }
    memcpy(f, c, sizeof c);
    return NB_OK;
}

/* Checks a JSON value against the key (type, range, the key's own check) and stores it. */
static nb_status apply_item(const nb_config_key *k, const cJSON *item, const char *subject,
                            void *cfg) {
    void *f = field_ptr(cfg, k);
    switch (k->type) {
    case NB_CONFIG_DOUBLE:
    case NB_CONFIG_INT:
        NB_TRY(apply_number(k, item, subject, f));
        break;
    case NB_CONFIG_BOOL:
        if (!cJSON_IsBool(item))
            return NB_RAISE(NB_E_CONFIG, subject, "expected true or false, got %s",
                            json_type_name(item));
        *(bool *)f = cJSON_IsTrue(item);
        break;
    case NB_CONFIG_ENUM:
        NB_TRY(apply_enum(k, item, subject, f));
        break;
    case NB_CONFIG_STRING:
        NB_TRY(apply_string(k, item, subject, f));
        break;
    case NB_CONFIG_COLOR:
        NB_TRY(apply_color(k, item, subject, f));
        break;
    }
    if (k->check)
        NB_TRY(k->check(f, subject));
    return NB_OK;
}

/* Levenshtein distance, capped inputs (key names are short). */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return SIZE_MAX;
    size_t prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

static nb_status unknown_key(const nb_config_schema *schema, const char *name,
                             const char *subject) {
    const char *best = NULL;
    size_t best_d = 4; /* suggest only close names */
    for (size_t i = 0; i < schema->n_keys; i++) {
        size_t d = edit_distance(name, schema->keys[i].name);
        if (d < best_d) {
            best_d = d;
            best = schema->keys[i].name;
        }
    }
    if (best)
        return NB_RAISE(NB_E_CONFIG, subject, "unknown %s key (did you mean \"%s\"?)", schema->name,
                        best);
    return NB_RAISE(NB_E_CONFIG, subject, "unknown %s key", schema->name);
}

/* ---- public API ----------------------------------------------------------------------- */

void nb_config_defaults(const nb_config_schema *schema, void *cfg) {
    memset(cfg, 0, schema->struct_size);
    for (size_t i = 0; i < schema->n_keys; i++) {
        const nb_config_key *k = &schema->keys[i];
        void *f = field_ptr(cfg, k);
        switch (k->type) {
        case NB_CONFIG_DOUBLE:
            *(double *)f = k->def;
            break;
        case NB_CONFIG_INT:
        case NB_CONFIG_ENUM:
            *(int *)f = (int)k->def;
            break;
        case NB_CONFIG_BOOL:
            *(bool *)f = k->def != 0.0;
            break;
        case NB_CONFIG_STRING:
            snprintf(f, k->string_size, "%s", k->def_string ? k->def_string : "");
            break;
        case NB_CONFIG_COLOR: {
            double *c = f;
            c[0] = c[1] = c[2] = k->def;
            break;
        }
        }
    }
}

const nb_config_key *nb_config_find(const nb_config_schema *schema, const char *name) {
    if (!name)
        return NULL;
    for (size_t i = 0; i < schema->n_keys; i++)
        if (strcmp(schema->keys[i].name, name) == 0)
            return &schema->keys[i];
    return NULL;
}

int nb_config_key_enum_index(const nb_config_key *key, const char *word) {
    size_t n = nb_config_key_enum_count(key);
    for (size_t i = 0; word && i < n; i++)
        if (strcmp(key->enum_names[i], word) == 0)
            return (int)i;
    return -1;
}

const char *nb_config_key_enum_name(const nb_config_key *key, int value) {
    if (value < 0 || (size_t)value >= nb_config_key_enum_count(key))
        return NULL;
    return key->enum_names[value];
}

const char *nb_config_enum_name(const nb_config_schema *schema, const char *key, int value) {
    return nb_config_key_enum_name(nb_config_find(schema, key), value);
}

nb_status nb_config_enum_value(const nb_config_schema *schema, const char *key, const char *word,
                               int *value) {
    char subject[NB_CONFIG_SUBJECT_MAX], words[256];
    snprintf(subject, sizeof subject, "%s %s", schema->name, key ? key : "");
    const nb_config_key *k = nb_config_find(schema, key);
    if (nb_config_key_enum_count(k) == 0)
        return NB_RAISE(NB_E_CONFIG, subject, "not an enum key of the %s config", schema->name);
    int i = nb_config_key_enum_index(k, word);
    if (i >= 0) {
        *value = i;
        return NB_OK;
    }
    enum_list(k, words, sizeof words);
    return NB_RAISE(NB_E_CONFIG, subject, "unknown value \"%.64s\" (allowed: %s)",
                    word ? word : "(null)", words);
}

const char *nb_config_enum_words(const nb_config_schema *schema, const char *key, const char *sep,
                                 char *buf, size_t cap) {
    if (cap == 0)
        return buf;
    return enum_words(nb_config_find(schema, key), sep ? sep : ", ", buf, cap);
}

/* 1-based line and column of position `pos` in text. */
static void line_col(const char *text, size_t pos, int *line, int *col) {
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < pos && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* Parses json_text, which must be a JSON object, into *root (caller deletes). A syntax error
 * or another top level is `status` with subject src. */
/* Where json_text escapes a NUL character ("\u0000"), or NULL. cJSON keeps C strings, so a
 * key "sampling_rate\u0000x" would reach us as "sampling_rate": refuse such text outright. */
static const char *find_nul_escape(const char *t) {
    for (const char *p = t; *p; p++) {
        if (*p != '\\')
            continue;
        if (p[1] == 'u' && !strncmp(p + 2, "0000", 4))
            return p;
        if (p[1])
            p++; /* skip the escaped character, so "\\u0000" is not taken for an escape */
    }
    return NULL;
}

static nb_status parse_object(const char *json_text, const char *src, nb_status status,
                              cJSON **root) {
    const char *nul = find_nul_escape(json_text);
    if (nul) {
        int line, col;
        line_col(json_text, (size_t)(nul - json_text), &line, &col);
        *root = NULL;
        return NB_RAISE(status, src,
                        "\\u0000 (a NUL character) at line %d, column %d: no key or value may "
                        "hold one",
                        line, col);
    }
    const char *end = NULL;
    *root = cJSON_ParseWithOpts(json_text, &end, 1);
    if (!*root) {
        int line, col;
        size_t pos = end && end >= json_text ? (size_t)(end - json_text) : 0;
        line_col(json_text, pos, &line, &col);
        return NB_RAISE(status, src, "JSON syntax error at line %d, column %d", line, col);
    }
    if (!cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        *root = NULL;
        return NB_RAISE(status, src, "expected a JSON object of key: value pairs");
    }
    return NB_OK;
}

/* Whether `name` is one of the NULL-terminated `names`. */
static bool is_listed(const char *const *names, const char *name) {
    for (; *names; names++)
        if (strcmp(*names, name) == 0)
            return true;
    return false;
}

/* Applies one member of the object `root` to cfg: a key given once, known to the schema,
 * with a valid value. `stored`: unknown keys are skipped and a failure is re-raised as
 * NB_E_FORMAT under subject src with the key in the reason. `only` (NULL: every key): the
 * keys to read; any other member is skipped unchecked. */
static nb_status apply_member(const nb_config_schema *schema, const cJSON *root, const cJSON *item,
                              const char *src, bool stored, const char *const *only, void *cfg) {
    char subject[NB_CONFIG_SUBJECT_MAX];
    const char *name = item->string ? item->string : "";
    if (only && !is_listed(only, name))
        return NB_OK;
    snprintf(subject, sizeof subject, "%s %s", src, name);
    const nb_config_key *k = nb_config_find(schema, name);
    nb_status s = NB_OK;
    for (const cJSON *prev = root->child; prev != item && s == NB_OK; prev = prev->next)
        if (prev->string && strcmp(prev->string, name) == 0)
            s = NB_RAISE(NB_E_CONFIG, subject, "key appears more than once");
    if (s == NB_OK && !k)
        s = stored ? NB_OK : unknown_key(schema, name, subject);
    else if (s == NB_OK)
        s = apply_item(k, item, subject, cfg);
    if (s != NB_OK && stored && s != NB_E_NOMEM)
        s = NB_RAISE(NB_E_FORMAT, src, "%.64s: %s", name, nb_error_reason());
    return s;
}

/* The whole of json_text (or its members named in `only`) into cfg, through a copy that is
 * written back only on success. */
static nb_status parse_text(const nb_config_schema *schema, const char *json_text, const char *src,
                            bool stored, const char *const *only, void *cfg) {
    if (!json_text)
        return NB_RAISE(NB_E_INVALID, src, "no JSON text");
    cJSON *root = NULL;
    NB_TRY(parse_object(json_text, src, stored ? NB_E_FORMAT : NB_E_CONFIG, &root));
    void *copy = malloc(schema->struct_size);
    if (!copy) {
        cJSON_Delete(root);
        return NB_RAISE(NB_E_NOMEM, src, "cannot allocate a config copy");
    }
    memcpy(copy, cfg, schema->struct_size);
    nb_status s = NB_OK;
    for (const cJSON *item = root->child; item && s == NB_OK; item = item->next)
        s = apply_member(schema, root, item, src, stored, only, copy);
    if (s == NB_OK)
        memcpy(cfg, copy, schema->struct_size);
    free(copy);
    cJSON_Delete(root);
    return s;
}

nb_status nb_config_parse(const nb_config_schema *schema, const char *json_text, const char *source,
                          void *cfg) {
    return parse_text(schema, json_text, source ? source : schema->name, false, NULL, cfg);
}

nb_status nb_config_parse_stored(const nb_config_schema *schema, const char *json_text,
                                 const char *subject, const char *const *keys, void *cfg) {
    return parse_text(schema, json_text, subject ? subject : schema->name, true, keys, cfg);
}

nb_status nb_config_load(const nb_config_schema *schema, const char *path, void *cfg) {
    NB_TRY(nb_input_check_file(path, NULL)); /* a FIFO would block fopen forever */
    FILE *f = fopen(path, "rb");
    if (!f)
        return NB_RAISE(NB_E_IO, path, "cannot open: %s", strerror(errno));
    char *text = malloc(NB_CONFIG_FILE_MAX + 1);
    if (!text) {
        fclose(f);
        return NB_RAISE(NB_E_NOMEM, path, "cannot allocate a read buffer");
    }
    size_t n = fread(text, 1, NB_CONFIG_FILE_MAX + 1, f);
    int read_error = ferror(f);
    int saved_errno = errno;
    fclose(f);
    if (read_error) {
        free(text);
        return NB_RAISE(NB_E_IO, path, "read error: %s", strerror(saved_errno));
    }
    if (n > NB_CONFIG_FILE_MAX) {
        free(text);
        return NB_RAISE(NB_E_CONFIG, path, "larger than %u bytes, not a config file",
                        NB_CONFIG_FILE_MAX);
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        free(text);
        return NB_RAISE(NB_E_CONFIG, path, "contains a NUL byte, not a JSON text file");
    }
    nb_status s = nb_config_parse(schema, text, path, cfg);
    free(text);
    return s;
}

nb_status nb_config_set(const nb_config_schema *schema, const char *assignment, void *cfg) {
    char subject[NB_CONFIG_SUBJECT_MAX];
    if (!assignment)
        return NB_RAISE(NB_E_INVALID, "--set", "no assignment");
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        snprintf(subject, sizeof subject, "--set %s", assignment);
        return NB_RAISE(NB_E_CONFIG, subject, "expected key=value");
    }
    char name[128];
    size_t name_len = (size_t)(eq - assignment);
    if (name_len >= sizeof name) {
        snprintf(subject, sizeof subject, "--set %.*s", (int)name_len, assignment);
        return NB_RAISE(NB_E_CONFIG, subject, "unknown %s key", schema->name);
    }
    memcpy(name, assignment, name_len);
    name[name_len] = '\0';
    snprintf(subject, sizeof subject, "--set %s", name);
    const nb_config_key *k = nb_config_find(schema, name);
    if (!k)
        return unknown_key(schema, name, subject);

    const char *value = eq + 1;
    if (find_nul_escape(value))
        return NB_RAISE(NB_E_CONFIG, subject, "\\u0000 (a NUL character): no value may hold one");
    cJSON *item = cJSON_ParseWithOpts(value, NULL, 1);
    bool wordy = k->type == NB_CONFIG_ENUM || k->type == NB_CONFIG_STRING;
    if (wordy && !cJSON_IsString(item)) {
        /* A bare word: the value is the text itself. */
        cJSON_Delete(item);
        item = cJSON_CreateString(value);
        if (!item)
            return NB_RAISE(NB_E_NOMEM, subject, "cannot allocate");
    } else if (!item) {
        return NB_RAISE(NB_E_CONFIG, subject, "cannot read \"%.64s\" as %s %s", value,
                        k->type == NB_CONFIG_INT ? "an" : "a",
                        k->type == NB_CONFIG_COLOR ? "JSON array [r, g, b]" : type_name(k->type));
    }

    void *copy = malloc(schema->struct_size);
    if (!copy) {
        cJSON_Delete(item);
        return NB_RAISE(NB_E_NOMEM, subject, "cannot allocate a config copy");
    }
    memcpy(copy, cfg, schema->struct_size);
    nb_status s = apply_item(k, item, subject, copy);
    if (s == NB_OK)
        memcpy(cfg, copy, schema->struct_size);
    free(copy);
    cJSON_Delete(item);
    return s;
}

nb_status nb_config_validate(const nb_config_schema *schema, const void *cfg) {
    char subject[NB_CONFIG_SUBJECT_MAX];
    for (size_t i = 0; i < schema->n_keys; i++) {
        snprintf(subject, sizeof subject, "%s %s", schema->name, schema->keys[i].name);
        NB_TRY(check_field(&schema->keys[i], cfg, subject));
    }
    return NB_OK;
}

/* The key's current value as JSON text. */
static void value_json(strbuf *sb, const nb_config_key *k, const void *cfg) {
    const void *f = field_cptr(cfg, k);
    char num[40];
    switch (k->type) {
    case NB_CONFIG_DOUBLE:
        format_double(num, sizeof num, *(const double *)f);
        sb_puts(sb, num);
        break;
    case NB_CONFIG_INT:
        sb_printf(sb, "%d", *(const int *)f);
        break;
    case NB_CONFIG_BOOL:
        sb_puts(sb, *(const bool *)f ? "true" : "false");
        break;
    case NB_CONFIG_ENUM:
        sb_json_string(sb, k->enum_names[*(const int *)f]);
        break;
    case NB_CONFIG_STRING:
        sb_json_string(sb, (const char *)f);
        break;
    case NB_CONFIG_COLOR: {
        const double *c = f;
        sb_puts(sb, "[");
        for (int i = 0; i < 3; i++) {
            format_double(num, sizeof num, c[i]);
            sb_printf(sb, "%s%s", i ? ", " : "", num);
        }
        sb_puts(sb, "]");
        break;
    }
    }
}

nb_status nb_config_to_json(const nb_config_schema *schema, const void *cfg, char **json_out) {
    NB_TRY(nb_config_validate(schema, cfg));
    strbuf sb = {0};
    sb_puts(&sb, "{\n");
    for (size_t i = 0; i < schema->n_keys; i++) {
        sb_puts(&sb, "  ");
        sb_json_string(&sb, schema->keys[i].name);
        sb_puts(&sb, ": ");
        value_json(&sb, &schema->keys[i], cfg);
        sb_puts(&sb, i + 1 < schema->n_keys ? ",\n" : "\n");
    }
    sb_puts(&sb, "}\n");
    if (sb.failed) {
        free(sb.data);
        return NB_RAISE(NB_E_NOMEM, schema->name, "cannot allocate the JSON text");
    }
    *json_out = sb.data;
    return NB_OK;
}

nb_status nb_config_save(const nb_config_schema *schema, const void *cfg, const char *path) {
    char *json = NULL;
    NB_TRY(nb_config_to_json(schema, cfg, &json));
    nb_status s = nb_file_save(path, json, strlen(json));
    free(json);
    return s;
}

/* Escapes '|' for a Markdown table cell. */
static void sb_md_cell(strbuf *sb, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            sb_puts(sb, "\\|");
        else
            sb_append(sb, p, 1);
    }
}

/* The "range" cell of a key's Markdown row. */
static void range_cell(const nb_config_key *k, char *range, size_t cap) {
    char r[96];
    switch (k->type) {
    case NB_CONFIG_DOUBLE:
    case NB_CONFIG_INT:
        range_text(k, range, cap);
        break;
    case NB_CONFIG_COLOR:
        range_text(k, r, sizeof r);
        snprintf(range, cap, "3 x %s", r);
        break;
    case NB_CONFIG_BOOL:
        snprintf(range, cap, "true, false");
        break;
    case NB_CONFIG_ENUM: {
        size_t used = 0;
        range[0] = '\0';
        for (size_t e = 0; k->enum_names[e]; e++) {
            int n = snprintf(range + used, cap - used, "%s`%s`", e ? ", " : "", k->enum_names[e]);
            if (n < 0 || (size_t)n >= cap - used)
                break;
            used += (size_t)n;
        }
        break;
    }
    case NB_CONFIG_STRING:
        snprintf(range, cap, "at most %zu characters", k->string_size - 1);
        break;
    }
}

nb_status nb_config_to_markdown(const nb_config_schema *schema, char **md_out) {
    strbuf sb = {0};
    void *def = calloc(1, schema->struct_size);
    if (!def)
        return NB_RAISE(NB_E_NOMEM, schema->name, "cannot allocate");
    nb_config_defaults(schema, def);
    sb_puts(&sb, "| key | type | default | range | unit | meaning | source |\n");
    sb_puts(&sb, "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < schema->n_keys; i++) {
        const nb_config_key *k = &schema->keys[i];
        char range[256];
        range_cell(k, range, sizeof range);
        sb_printf(&sb, "| `%s` | %s | `", k->name, type_name(k->type));
        value_json(&sb, k, def);
        const char *cells[4] = {range, k->unit ? k->unit : "", k->doc ? k->doc : "",
                                k->source ? k->source : ""};
        for (int c = 0; c < 4; c++) {
            sb_puts(&sb, c ? " | " : "` | ");
            sb_md_cell(&sb, cells[c]);
        }
        sb_puts(&sb, " |\n");
    }
    free(def);
    if (sb.failed) {
        free(sb.data);
        return NB_RAISE(NB_E_NOMEM, schema->name, "cannot allocate the Markdown text");
    }
    *md_out = sb.data;
    return NB_OK;
}
