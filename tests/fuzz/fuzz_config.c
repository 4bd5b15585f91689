/* fuzz_config.c - libFuzzer target: arbitrary text through the config parser and --set.
 *
 * DESIGN: the input, NUL-terminated, goes to nb_config_parse for both schemas (processing,
 * rendering; common/nb_config_engine.c on cJSON), then each of its lines to nb_config_set as one
 * "key=value" assignment on both schemas, and the whole text to
 * nb_config_parse_importance_flags. Properties checked on every input:
 *   - a failing call returns a recorded status (NB_RAISE) and leaves the config unchanged
 *     (byte-compare with a copy) and, for the flags parser, the output untouched;
 *   - a successful parse or set gives a config that passes nb_config_validate;
 *   - that config survives nb_config_to_json -> nb_config_parse unchanged, key by key
 *     (doubles bit-exact: the writer prints numbers that re-read to the same double).
 * Inputs with NUL bytes are cut at the first NUL (the parser takes C strings). Single
 * thread; reads every key of both schemas.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "nb_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Configs as plain bytes, big enough for either struct. */
typedef union config_buf {
    nb_processing_config p;
    nb_rendering_config r;
    unsigned char bytes[sizeof(nb_processing_config) > sizeof(nb_rendering_config)
                            ? sizeof(nb_processing_config)
                            : sizeof(nb_rendering_config)];
} config_buf;

static void fresh(const nb_config_schema *schema, config_buf *c) {
    memset(c, 0, sizeof *c);
    nb_config_defaults(schema, c);
}

/* Key-by-key equality (ignores padding and bytes after a string's NUL). Returns the first
 * differing key or NULL. */
static const char *config_diff(const nb_config_schema *schema, const void *a, const void *b) {
    for (size_t i = 0; i < schema->n_keys; i++) {
        const nb_config_key *k = &schema->keys[i];
        const unsigned char *pa = (const unsigned char *)a + k->offset;
        const unsigned char *pb = (const unsigned char *)b + k->offset;
        size_t n = 0;
        switch (k->type) {
        case NB_CONFIG_DOUBLE:
            n = sizeof(double);
            break;
        case NB_CONFIG_INT:
        case NB_CONFIG_ENUM:
            n = sizeof(int);
            break;
        case NB_CONFIG_BOOL:
            n = sizeof(bool);
            break;
        case NB_CONFIG_COLOR:
            n = 3 * sizeof(double);
            break;
        case NB_CONFIG_STRING:
            if (strncmp((const char *)pa, (const char *)pb, k->string_size) != 0)
                return k->name;
            continue;
        }
        if (memcmp(pa, pb, n) != 0)
            return k->name;
    }
    return NULL;
}

/* A config that was accepted must validate and survive to_json -> parse. */
static void check_round_trip(const nb_config_schema *schema, const config_buf *c,
                             const char *what) {
    nb_error_clear();
    nb_status st = nb_config_validate(schema, c);
    FUZZ_CHECK(st == NB_OK, "%s accepted a %s config that fails validation: %s", what, schema->name,
               nb_error_message());
    char *json = NULL;
    st = nb_config_to_json(schema, c, &json);
    FUZZ_CHECK(st == NB_OK && json, "%s: to_json failed: %s", what, nb_error_message());
    config_buf back;
    fresh(schema, &back);
    nb_error_clear();
    st = nb_config_parse(schema, json, "round-trip", &back);
    FUZZ_CHECK(st == NB_OK, "%s: the %s config's own JSON does not parse: %s\n%s", what,
               schema->name, nb_error_message(), json);
    const char *key = config_diff(schema, c, &back);
    FUZZ_CHECK(key == NULL, "%s: %s key %s changed in a JSON round trip:\n%s", what, schema->name,
               key ? key : "", json);
    free(json);
}

static void fuzz_parse(const nb_config_schema *schema, const char *text) {
    config_buf c, before;
    fresh(schema, &c);
    before = c;
    nb_error_clear();
    nb_status st = nb_config_parse(schema, text, "fuzz.json", &c);
    FUZZ_CHECK_RAISED(st, "nb_config_parse");
    if (st != NB_OK) {
        FUZZ_CHECK(memcmp(&c, &before, sizeof c) == 0, "failed parse changed the config (%s)",
                   nb_error_message());
        return;
    }
    check_round_trip(schema, &c, "nb_config_parse");
}

static void fuzz_set_lines(const nb_config_schema *schema, char *text) {
    config_buf c, before;
    fresh(schema, &c);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        before = c;
        nb_error_clear();
        nb_status st = nb_config_set(schema, line, &c);
        FUZZ_CHECK_RAISED(st, "nb_config_set");
        if (st != NB_OK) {
            FUZZ_CHECK(memcmp(&c, &before, sizeof c) == 0, "failed set changed the config (%s)",
                       nb_error_message());
            continue;
        }
        check_round_trip(schema, &c, "nb_config_set");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    fuzz_parse(&nb_processing_schema, text);
    fuzz_parse(&nb_rendering_schema, text);

    unsigned bits = 0xDEADu;
    nb_error_clear();
    nb_status st = nb_config_parse_importance_flags(text, &bits);
    FUZZ_CHECK_RAISED(st, "nb_config_parse_importance_flags");
    FUZZ_CHECK(st == NB_OK ? bits <= 15u : bits == 0xDEADu, "flags: status %s, bits 0x%x",
               nb_status_name(st), bits);

    char *copy = malloc(size + 1);
    if (copy) {
        memcpy(copy, text, size + 1);
        fuzz_set_lines(&nb_processing_schema, copy);
        memcpy(copy, text, size + 1);
        fuzz_set_lines(&nb_rendering_schema, copy);
        free(copy);
    }
    free(text);
    return 0;
}
