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

/// Where one element of a record array lies in the source buffer, and which array holds it: the
/// index of its key in the `keys` given to cj_record_spans, or -1 for a top-level array.
typedef struct { uint64_t offset; uint64_t length; int64_t key; } cj_span;

/// Splits a document into record spans without building a DOM (simdjson On-Demand):
/// the elements of a top-level array, or of every array under one of `keys` in a top-level
/// object, in document order. Every occurrence of a key is read: a document with two "Records"
/// arrays yields the records of both. `*repeats` lists each top-level key written more than once
/// (offset of its later occurrence's opening quote, and the raw key's length with its quotes;
/// `key` -1), and each of `keys` whose value is not an array (`key` = -2 - its index).
/// On success returns 0. On a parse error returns the error code with the spans found before it
/// and `*error_offset` set to where parsing stopped. Returns -1 when the top level is an object
/// with none of `keys` (the caller tries another layout). `*spans` and `*repeats` are owned by
/// the parser.
int cj_record_spans(cj_parser *p, const uint8_t *buf, size_t len, const char *const *keys, const size_t *keylens, size_t nkeys,
                    const cj_span **spans, size_t *count, const cj_span **repeats, size_t *nrepeats, size_t *error_offset);

/// Finds keys written twice in one object anywhere inside `v` (depth-first). Returns false when
/// there is none. Otherwise returns true with the first one's path (`userIdentity.arn`,
/// `resources[1].ARN`; owned by the parser, valid until the next call), the value it has at its
/// first occurrence (the one every lookup, cj_find, returns), and in `*total` how many repeated
/// occurrences there are in all.
bool cj_duplicate_key(cj_parser *p, cj_value v, const char **path, size_t *pathlen, cj_value *first, size_t *total);

/// A 64-bit hash of an element's content that ignores what JSON leaves free: whitespace, the
/// order of an object's keys, and how a string is escaped (`"\u0041"` and `"A"` hash alike).
/// Integers hash by value, and a double holding an integer hashes as that integer (`1` and
/// `1.0` alike). Two copies of one record written by different shippers hash the same.
uint64_t cj_content_hash(cj_value v);

#ifdef __cplusplus
}
#endif
#endif
