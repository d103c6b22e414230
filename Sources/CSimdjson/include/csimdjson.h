// A small C interface over simdjson's DOM API, so Swift can walk parsed JSON
// without Foundation. Only CrossTrailIngest imports this module.
#ifndef CSIMDJSON_H
#define CSIMDJSON_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#ifdef __cplusplus
extern "C" {
#endif

/// Bytes that must be readable after the end of any buffer given to cj_parse with padded=true.
#define CJ_PADDING 64

typedef struct cj_parser cj_parser;
/// An element of a parsed document. Valid until the next cj_parse on the same parser.
typedef struct { uint64_t a; uint64_t b; } cj_value;
/// Iterator over an object or array.
typedef struct { uint64_t cur[2]; uint64_t end[2]; } cj_iter;

enum cj_type { CJ_NULL = 0, CJ_BOOL, CJ_INT, CJ_UINT, CJ_DOUBLE, CJ_STRING, CJ_ARRAY, CJ_OBJECT };

cj_parser *cj_parser_new(size_t max_capacity, size_t max_depth);
void cj_parser_free(cj_parser *p);
/// Parses `len` bytes. When `padded` is true, CJ_PADDING readable bytes must follow `buf`.
/// Returns 0 on success, otherwise a simdjson error code (see cj_error_message).
int cj_parse(cj_parser *p, const uint8_t *buf, size_t len, bool padded, cj_value *root);
const char *cj_error_message(int code);

int cj_type(cj_value v);
/// String contents (unescaped UTF-8). Returns false when not a string.
bool cj_string(cj_value v, const char **ptr, size_t *len);
bool cj_int64(cj_value v, int64_t *out);
bool cj_double(cj_value v, double *out);
bool cj_bool(cj_value v, bool *out);
/// Looks up a key in an object (first match). Returns false when absent or not an object.
bool cj_find(cj_value obj, const char *key, size_t keylen, cj_value *out);
size_t cj_count(cj_value v);

bool cj_object_iter(cj_value obj, cj_iter *it);
bool cj_object_next(cj_iter *it, const char **key, size_t *keylen, cj_value *val);
bool cj_array_iter(cj_value arr, cj_iter *it);
bool cj_array_next(cj_iter *it, cj_value *val);

/// Minified JSON text of an element, in a buffer owned by the parser (valid until the next call).
void cj_minify(cj_parser *p, cj_value v, const char **ptr, size_t *len);

/// Where one element of a record array lies in the source buffer.
typedef struct { uint64_t offset; uint64_t length; } cj_span;

/// Splits a document into record spans without building a DOM (simdjson On-Demand):
/// the elements of a top-level array, or of the array under `key` in a top-level object.
/// On success returns 0. On a parse error returns the error code with the spans found before it
/// and `*error_offset` set to where parsing stopped. Returns -1 when the top level is an object
/// without `key` (the caller tries another layout). `*spans` is owned by the parser.
int cj_record_spans(cj_parser *p, const uint8_t *buf, size_t len, const char *key, size_t keylen,
                    const cj_span **spans, size_t *count, size_t *error_offset);

#ifdef __cplusplus
}
#endif
#endif
