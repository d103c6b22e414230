#include "cxml.h"
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// libxml2's error hooks and schema code are used from one thread at a time.
static pthread_mutex_t cx_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t cx_once = PTHREAD_ONCE_INIT;
static void cx_init(void) { xmlInitParser(); }

typedef struct { cx_error_fn fn; void *ctx; int count; } cx_sink;

static void cx_structured(void *user, xmlErrorPtr error) {
    cx_sink *sink = (cx_sink *)user;
    if (!sink || !sink->fn || !error || sink->count >= 100) return;
    sink->count++;
    char buffer[1024];
    const char *m = error->message ? error->message : "unknown error";
    size_t n = strlen(m);
    if (n >= sizeof buffer) n = sizeof buffer - 1;
    memcpy(buffer, m, n);
    while (n > 0 && (buffer[n - 1] == '\n' || buffer[n - 1] == '\r')) n--;
    buffer[n] = 0;
    sink->fn(sink->ctx, error->line, buffer);
}

static const int cx_options = XML_PARSE_NONET;

struct cx_schema { xmlSchemaPtr schema; };

cx_schema *cx_schema_load(const char *path, cx_error_fn on_error, void *ctx) {
    pthread_once(&cx_once, cx_init);
    pthread_mutex_lock(&cx_lock);
    cx_sink sink = { on_error, ctx, 0 };
    cx_schema *out = NULL;
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(path);
    if (parser) {
        xmlSchemaSetParserStructuredErrors(parser, cx_structured, &sink);
        xmlSchemaPtr schema = xmlSchemaParse(parser);
        xmlSchemaFreeParserCtxt(parser);
        if (schema) {
            out = malloc(sizeof *out);
            if (out) out->schema = schema; else xmlSchemaFree(schema);
        }
    }
    pthread_mutex_unlock(&cx_lock);
    return out;
}

void cx_schema_free(cx_schema *schema) {
    if (!schema) return;
    pthread_mutex_lock(&cx_lock);
    xmlSchemaFree(schema->schema);
    pthread_mutex_unlock(&cx_lock);
    free(schema);
}

int cx_schema_validate(cx_schema *schema, const char *document, cx_error_fn on_error, void *ctx) {
    pthread_once(&cx_once, cx_init);
    pthread_mutex_lock(&cx_lock);
    cx_sink sink = { on_error, ctx, 0 };
    int rc = -1;
    xmlSetStructuredErrorFunc(&sink, cx_structured);
    xmlParserCtxtPtr parser = xmlNewParserCtxt();
    if (parser) {
        xmlDocPtr doc = xmlCtxtReadFile(parser, document, NULL, cx_options);
        if (doc) {
            xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema->schema);
            if (v) {
                xmlSchemaSetValidStructuredErrors(v, cx_structured, &sink);
                rc = xmlSchemaValidateDoc(v, doc);
                xmlSchemaFreeValidCtxt(v);
            }
            xmlFreeDoc(doc);
        }
        xmlFreeParserCtxt(parser);
    }
    xmlSetStructuredErrorFunc(NULL, NULL);
    pthread_mutex_unlock(&cx_lock);
    return rc;
}

static void cx_visit(xmlNodePtr node, const cx_visitor *v, void *ctx, int depth) {
    const char *names[64], *values[64];
    char *owned[64];
    int n = 0;
    for (xmlAttrPtr a = node->properties; a && n < 64; a = a->next) {
        xmlChar *value = xmlNodeListGetString(node->doc, a->children, 1);
        owned[n] = (char *)value;
        names[n] = (const char *)a->name;
        values[n] = value ? (const char *)value : "";
        n++;
    }
    v->start(ctx, (const char *)node->name, n, names, values);
    for (int i = 0; i < n; i++) if (owned[i]) xmlFree(owned[i]);
    for (xmlNodePtr c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            if (depth < 256) cx_visit(c, v, ctx, depth + 1);
        } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            v->text(ctx, (const char *)c->content);
        }
    }
    v->end(ctx);
}

int cx_walk(const char *buffer, int length, const char *name, const cx_visitor *visitor, void *ctx) {
    pthread_once(&cx_once, cx_init);
    pthread_mutex_lock(&cx_lock);
    cx_sink sink = { visitor->error, ctx, 0 };
    xmlSetStructuredErrorFunc(&sink, cx_structured);
    int rc = -1;
    xmlDocPtr doc = xmlReadMemory(buffer, length, name, NULL, cx_options | XML_PARSE_NOBLANKS);
    if (doc) {
        xmlNodePtr root = xmlDocGetRootElement(doc);
        if (root) { cx_visit(root, visitor, ctx, 0); rc = 0; }
        xmlFreeDoc(doc);
    }
    xmlSetStructuredErrorFunc(NULL, NULL);
    pthread_mutex_unlock(&cx_lock);
    return rc;
}
