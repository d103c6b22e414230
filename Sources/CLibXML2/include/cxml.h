// libxml2 for crosstrail, behind a small C interface: Swift never sees libxml2's headers (they
// pull in ICU's, which clash with Foundation's copy of ICU).
#ifndef CXML_H
#define CXML_H
#ifdef __cplusplus
extern "C" {
#endif

/// Receives each error libxml2 reports: the line (0 when unknown) and the message.
typedef void (*cx_error_fn)(void *ctx, int line, const char *message);

typedef struct cx_schema cx_schema;

/// Compiles an XSD; NULL on failure (errors reported through `on_error`).
cx_schema *cx_schema_load(const char *path, cx_error_fn on_error, void *ctx);
void cx_schema_free(cx_schema *schema);
/// Validates a document file: 0 valid, >0 invalid, <0 could not parse or run. No network access,
/// no DTD loading, no entity substitution.
int cx_schema_validate(cx_schema *schema, const char *document, cx_error_fn on_error, void *ctx);

/// Callbacks of a document walk: elements in document order (local names), their attributes and
/// the text directly inside them.
typedef struct {
    void (*start)(void *ctx, const char *name, int attribute_count, const char **names, const char **values);
    void (*text)(void *ctx, const char *text);
    void (*end)(void *ctx);
    cx_error_fn error;
} cx_visitor;

/// Parses a document in memory and walks it; 0 on success. Same parser settings as validation.
int cx_walk(const char *buffer, int length, const char *name, const cx_visitor *visitor, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
