#include "csimdjson.h"
#include <simdjson.h>
#include <cstring>
#include <string>
#include <new>
#include <vector>

using namespace simdjson;

static_assert(sizeof(dom::element) == sizeof(cj_value), "dom::element layout");
static_assert(sizeof(dom::object::iterator) == 2 * sizeof(uint64_t), "object iterator layout");
static_assert(sizeof(dom::array::iterator) == 2 * sizeof(uint64_t), "array iterator layout");
static_assert(std::is_trivially_copyable<dom::element>::value, "element copyable");
static_assert(std::is_trivially_copyable<dom::object::iterator>::value, "iterator copyable");
static_assert(std::is_trivially_copyable<dom::array::iterator>::value, "iterator copyable");

struct cj_parser {
  dom::parser parser;
  ondemand::parser od;
  std::vector<cj_span> spans;
  std::string scratch;
  explicit cj_parser(size_t cap) : parser(cap) {}
};

template <typename T> static inline T load(const void *src) { T t; std::memcpy(&t, src, sizeof(T)); return t; }
template <typename T> static inline void store(void *dst, const T &t) { std::memcpy(dst, &t, sizeof(T)); }
static inline dom::element E(cj_value v) { return load<dom::element>(&v); }
static inline cj_value V(dom::element e) { cj_value v; store(&v, e); return v; }

extern "C" {

cj_parser *cj_parser_new(size_t max_capacity, size_t max_depth) {
  cj_parser *p = new (std::nothrow) cj_parser(max_capacity);
  if (p && max_depth > 0) { (void)p->parser.allocate(0, max_depth); }
  return p;
}

void cj_parser_free(cj_parser *p) { delete p; }

int cj_parse(cj_parser *p, const uint8_t *buf, size_t len, bool padded, cj_value *root) {
  dom::element doc;
  auto err = p->parser.parse(buf, len, !padded).get(doc);
  if (err) { return int(err); }
  *root = V(doc);
  return 0;
}

const char *cj_error_message(int code) { return error_message(error_code(code)); }

int cj_type(cj_value v) {
  switch (E(v).type()) {
  case dom::element_type::ARRAY: return CJ_ARRAY;
  case dom::element_type::OBJECT: return CJ_OBJECT;
  case dom::element_type::INT64: return CJ_INT;
  case dom::element_type::UINT64: return CJ_UINT;
  case dom::element_type::DOUBLE: return CJ_DOUBLE;
  case dom::element_type::STRING: return CJ_STRING;
  case dom::element_type::BOOL: return CJ_BOOL;
  default: return CJ_NULL;
  }
}

bool cj_string(cj_value v, const char **ptr, size_t *len) {
  std::string_view s;
  if (E(v).get_string().get(s)) { return false; }
  *ptr = s.data(); *len = s.size();
  return true;
}

bool cj_int64(cj_value v, int64_t *out) { return !E(v).get_int64().get(*out); }
bool cj_double(cj_value v, double *out) { return !E(v).get_double().get(*out); }
bool cj_bool(cj_value v, bool *out) { return !E(v).get_bool().get(*out); }

bool cj_find(cj_value obj, const char *key, size_t keylen, cj_value *out) {
  dom::object o;
  if (E(obj).get_object().get(o)) { return false; }
  dom::element e;
  if (o.at_key(std::string_view(key, keylen)).get(e)) { return false; }
  *out = V(e);
  return true;
}

size_t cj_count(cj_value v) {
  dom::element e = E(v);
  dom::object o; dom::array a;
  if (!e.get_object().get(o)) { return o.size(); }
  if (!e.get_array().get(a)) { return a.size(); }
  return 0;
}

bool cj_object_iter(cj_value obj, cj_iter *it) {
  dom::object o;
  if (E(obj).get_object().get(o)) { return false; }
  store(it->cur, o.begin()); store(it->end, o.end());
  return true;
}

bool cj_object_next(cj_iter *it, const char **key, size_t *keylen, cj_value *val) {
  auto cur = load<dom::object::iterator>(it->cur);
  auto end = load<dom::object::iterator>(it->end);
  if (!(cur != end)) { return false; }
  std::string_view k = cur.key();
  *key = k.data(); *keylen = k.size();
  *val = V(cur.value());
  ++cur;
  store(it->cur, cur);
  return true;
}

bool cj_array_iter(cj_value arr, cj_iter *it) {
  dom::array a;
  if (E(arr).get_array().get(a)) { return false; }
  store(it->cur, a.begin()); store(it->end, a.end());
  return true;
}

bool cj_array_next(cj_iter *it, cj_value *val) {
  auto cur = load<dom::array::iterator>(it->cur);
  auto end = load<dom::array::iterator>(it->end);
  if (!(cur != end)) { return false; }
  *val = V(*cur);
  ++cur;
  store(it->cur, cur);
  return true;
}

void cj_minify(cj_parser *p, cj_value v, const char **ptr, size_t *len) {
  p->scratch = simdjson::minify(E(v));
  *ptr = p->scratch.data(); *len = p->scratch.size();
}

}

extern "C" int cj_record_spans(cj_parser *p, const uint8_t *buf, size_t len, const char *key, size_t keylen,
                               const cj_span **spans, size_t *count, size_t *error_offset) {
  p->spans.clear();
  *spans = nullptr; *count = 0; *error_offset = 0;
  const char *base = reinterpret_cast<const char *>(buf);
  auto where = [&](ondemand::document &doc) -> size_t {
    const char *loc = nullptr;
    if (doc.current_location().get(loc) || loc == nullptr) { return len; }
    return size_t(loc - base);
  };
  ondemand::document doc;
  auto err = p->od.iterate(padded_string_view(base, len, len + SIMDJSON_PADDING)).get(doc);
  if (err) { return int(err); }
  ondemand::json_type t;
  if ((err = doc.type().get(t))) { *error_offset = 0; return int(err); }
  ondemand::array arr;
  if (t == ondemand::json_type::object) {
    ondemand::object obj;
    if ((err = doc.get_object().get(obj))) { *error_offset = where(doc); return int(err); }
    ondemand::value v;
    err = obj.find_field_unordered(std::string_view(key, keylen)).get(v);
    if (err == NO_SUCH_FIELD) { return -1; }
    if (err) { *error_offset = where(doc); return int(err); }
    if ((err = v.get_array().get(arr))) { *error_offset = where(doc); return int(err); }
  } else if (t == ondemand::json_type::array) {
    if ((err = doc.get_array().get(arr))) { *error_offset = where(doc); return int(err); }
  } else {
    return int(TAPE_ERROR);
  }
  for (auto item : arr) {
    ondemand::value v;
    if ((err = item.get(v))) { *error_offset = where(doc); break; }
    const char *start = nullptr;
    if ((err = v.current_location().get(start))) { *error_offset = where(doc); break; }
    std::string_view raw;
    ondemand::json_type vt;
    if ((err = v.type().get(vt))) { *error_offset = size_t(start - base); break; }
    if (vt == ondemand::json_type::object) {
      ondemand::object o;
      if ((err = v.get_object().get(o)) || (err = o.raw_json().get(raw))) { *error_offset = size_t(start - base); break; }
    } else if (vt == ondemand::json_type::array) {
      ondemand::array a;
      if ((err = v.get_array().get(a)) || (err = a.raw_json().get(raw))) { *error_offset = size_t(start - base); break; }
    } else {
      raw = v.raw_json_token();
    }
    p->spans.push_back(cj_span{uint64_t(raw.data() - base), uint64_t(raw.size())});
  }
  *spans = p->spans.data(); *count = p->spans.size();
  return int(err);
}
