#include "csimdjson.h"
#include <simdjson.h>
#include <cstring>
#include <string>
#include <algorithm>
#include <new>
#include <string_view>
#include <unordered_set>
#include <vector>

using namespace simdjson;

static_assert(sizeof(dom::element) == sizeof(cj_value), "dom::element layout");
static_assert(sizeof(dom::object::iterator) == 2 * sizeof(uint64_t), "object iterator layout");
static_assert(sizeof(dom::array::iterator) == 2 * sizeof(uint64_t), "array iterator layout");
static_assert(std::is_trivially_copyable<dom::element>::value, "element copyable");
static_assert(std::is_trivially_copyable<dom::object::iterator>::value, "iterator copyable");
static_assert(std::is_trivially_copyable<dom::array::iterator>::value, "iterator copyable");

// One container met while looking for duplicate keys: its parent and how the parent names it.
struct cj_node {
  dom::element e;
  int64_t parent;
  std::string_view key;  // empty for an array element (then index >= 0) and the root
  int64_t index;
};

struct cj_parser {
  dom::parser parser;
  ondemand::parser od;
  std::vector<cj_span> spans;
  std::vector<cj_span> repeats;
  std::unordered_set<std::string> seen;
  std::string scratch;
  std::string path;
  std::vector<cj_node> nodes;
  std::vector<size_t> stack;
  std::vector<std::string_view> keys;
  std::vector<dom::element> vals;
  std::vector<uint32_t> order;
  uint32_t stamp = 0;
  uint32_t slotStamp[256] = {};
  uint16_t slotIndex[256] = {};
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

// Length of a raw JSON string token starting at its opening quote (quotes included), within len.
static size_t raw_string_length(const char *start, const char *end) {
  const char *q = start + 1;
  while (q < end) {
    if (*q == '\\') { q += 2; continue; }
    if (*q == '"') { return size_t(q + 1 - start); }
    ++q;
  }
  return size_t(end - start);
}

extern "C" int cj_record_spans(cj_parser *p, const uint8_t *buf, size_t len, const char *const *keys, const size_t *keylens, size_t nkeys,
                               const cj_span **spans, size_t *count, const cj_span **repeats, size_t *nrepeats, size_t *error_offset) {
  p->spans.clear();
  p->repeats.clear();
  p->seen.clear();
  *spans = nullptr; *count = 0; *repeats = nullptr; *nrepeats = 0; *error_offset = 0;
  const char *base = reinterpret_cast<const char *>(buf);
  auto where = [&](ondemand::document &doc) -> size_t {
    const char *loc = nullptr;
    if (doc.current_location().get(loc) || loc == nullptr) { return len; }
    return size_t(loc - base);
  };
  auto finish = [&](error_code err) -> int {
    *spans = p->spans.data(); *count = p->spans.size();
    *repeats = p->repeats.data(); *nrepeats = p->repeats.size();
    return int(err);
  };
  // The elements of one array, as spans tagged with `key`.
  auto elements = [&](ondemand::document &doc, ondemand::array &arr, int64_t key) -> error_code {
    error_code err = SUCCESS;
    for (auto item : arr) {
      ondemand::value v;
      if ((err = item.get(v))) { *error_offset = where(doc); return err; }
      const char *start = nullptr;
      if ((err = v.current_location().get(start))) { *error_offset = where(doc); return err; }
      std::string_view raw;
      ondemand::json_type vt;
      if ((err = v.type().get(vt))) { *error_offset = size_t(start - base); return err; }
      if (vt == ondemand::json_type::object) {
        ondemand::object o;
        if ((err = v.get_object().get(o)) || (err = o.raw_json().get(raw))) { *error_offset = size_t(start - base); return err; }
      } else if (vt == ondemand::json_type::array) {
        ondemand::array a;
        if ((err = v.get_array().get(a)) || (err = a.raw_json().get(raw))) { *error_offset = size_t(start - base); return err; }
      } else {
        raw = v.raw_json_token();
      }
      p->spans.push_back(cj_span{uint64_t(raw.data() - base), uint64_t(raw.size()), key});
    }
    return err;
  };
  ondemand::document doc;
  auto err = p->od.iterate(padded_string_view(base, len, len + SIMDJSON_PADDING)).get(doc);
  if (err) { return int(err); }
  ondemand::json_type t;
  if ((err = doc.type().get(t))) { *error_offset = 0; return int(err); }
  if (t == ondemand::json_type::array) {
    ondemand::array arr;
    if ((err = doc.get_array().get(arr))) { *error_offset = where(doc); return finish(err); }
    return finish(elements(doc, arr, -1));
  }
  if (t != ondemand::json_type::object) { return int(TAPE_ERROR); }
  ondemand::object obj;
  if ((err = doc.get_object().get(obj))) { *error_offset = where(doc); return finish(err); }
  bool found = false;
  // Every member in order: each array under one of `keys` is read, and repeated keys are noted.
  for (auto member : obj) {
    ondemand::field field;
    if ((err = std::move(member).get(field))) { *error_offset = where(doc); return finish(err); }
    const char *quote = field.key().raw() - 1;
    std::string_view name;
    if ((err = field.unescaped_key().get(name))) { *error_offset = size_t(quote - base); return finish(err); }
    if (!p->seen.insert(std::string(name)).second) {
      p->repeats.push_back(cj_span{uint64_t(quote - base), uint64_t(raw_string_length(quote, base + len)), -1});
    }
    int64_t key = -1;
    for (size_t k = 0; k < nkeys; k++) {
      if (name == std::string_view(keys[k], keylens[k])) { key = int64_t(k); break; }
    }
    if (key < 0) { continue; }
    found = true;
    ondemand::json_type vt;
    if ((err = field.value().type().get(vt))) { *error_offset = where(doc); return finish(err); }
    if (vt != ondemand::json_type::array) {
      // Not an array of records: noted (the caller reports it), and the rest is read.
      p->repeats.push_back(cj_span{uint64_t(quote - base), uint64_t(raw_string_length(quote, base + len)), -2 - key});
      continue;
    }
    ondemand::array arr;
    if ((err = field.value().get_array().get(arr))) { *error_offset = where(doc); return finish(err); }
    if ((err = elements(doc, arr, key))) { return finish(err); }
  }
  if (!found) { return -1; }
  return finish(SUCCESS);
}

// MARK: content hash

static inline uint64_t cj_mix(uint64_t a, uint64_t b) {
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)(r >> 64) ^ (uint64_t)r;
}

static inline uint64_t cj_bytes_hash(const char *s, size_t n, uint64_t seed) {
  uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) { h = cj_mix(h ^ load<uint64_t>(s + i), 0xA0761D6478BD642Full); }
  uint64_t tail = 0;
  if (i < n) { std::memcpy(&tail, s + i, n - i); }
  return cj_mix(h ^ tail, 0xE7037ED1A0B428DBull);
}

static uint64_t cj_hash_element(dom::element e) {
  switch (e.type()) {
  case dom::element_type::OBJECT: {
    // Members combine by addition, so the order they are written in does not matter.
    uint64_t sum = 0, n = 0;
    for (auto field : dom::object(e)) {
      uint64_t k = cj_bytes_hash(field.key.data(), field.key.size(), 0x8EBC6AF09C88C6E3ull);
      sum += cj_mix(k ^ cj_hash_element(field.value), 0x589965CC75374CC3ull);
      n++;
    }
    return cj_mix(sum ^ (n << 3 | 1), 0x1D8E4E27C47D124Full);
  }
  case dom::element_type::ARRAY: {
    uint64_t h = 0x2D358DCCAA6C78A5ull;
    for (auto child : dom::array(e)) { h = cj_mix(h ^ cj_hash_element(child), 0x8BB84B93962EACC9ull); }
    return h ^ 2;
  }
  case dom::element_type::STRING: {
    std::string_view s = e.get_string().value_unsafe();
    return cj_bytes_hash(s.data(), s.size(), 0x4B33A62ED433D4A3ull) ^ 3;
  }
  case dom::element_type::INT64:
    return cj_mix(uint64_t(e.get_int64().value_unsafe()) ^ 0x4D5A2DA51DE1AA47ull, 0xA0761D6478BD642Full) ^ 4;
  case dom::element_type::UINT64: {
    uint64_t u = e.get_uint64().value_unsafe();
    return cj_mix(u ^ 0x4D5A2DA51DE1AA47ull, 0xA0761D6478BD642Full) ^ (u > uint64_t(INT64_MAX) ? 5 : 4);
  }
  case dom::element_type::DOUBLE: {
    double d = e.get_double().value_unsafe();
    if (d >= -9.2e18 && d <= 9.2e18 && d == double(int64_t(d))) {
      return cj_mix(uint64_t(int64_t(d)) ^ 0x4D5A2DA51DE1AA47ull, 0xA0761D6478BD642Full) ^ 4;
    }
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    return cj_mix(bits ^ 0x3C6EF372FE94F82Bull, 0xE7037ED1A0B428DBull) ^ 6;
  }
  case dom::element_type::BOOL:
    return e.get_bool().value_unsafe() ? 0x7A2F1C3B5D4E6F81ull : 0x19E3B6C5D2A48F07ull;
  case dom::element_type::NULL_VALUE:
    return 0x6C8E9CF570932BD5ull;
  }
  return 0;
}

extern "C" uint64_t cj_content_hash(cj_value v) { return cj_hash_element(E(v)); }

extern "C" bool cj_duplicate_key(cj_parser *p, cj_value v, const char **path, size_t *pathlen, cj_value *first, size_t *total) {
  auto &nodes = p->nodes;
  auto &stack = p->stack;
  nodes.clear();
  stack.clear();
  dom::element root = E(v);
  auto type = root.type();
  if (type != dom::element_type::OBJECT && type != dom::element_type::ARRAY) { return false; }
  nodes.push_back(cj_node{root, -1, {}, -1});
  stack.push_back(0);
  *total = 0;
  bool found = false;
  auto report = [&](size_t at, std::string_view key, dom::element value) {
    *total += 1;
    if (found) { return; }
    found = true;
    std::vector<size_t> chain;
    for (int64_t n = int64_t(at); n > 0; n = nodes[size_t(n)].parent) { chain.push_back(size_t(n)); }
    p->path.clear();
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const cj_node &n = nodes[*it];
      if (n.index >= 0) {
        p->path += "[" + std::to_string(n.index) + "]";
      } else {
        if (!p->path.empty()) { p->path += "."; }
        p->path.append(n.key.data(), n.key.size());
      }
    }
    if (!p->path.empty()) { p->path += "."; }
    p->path.append(key.data(), key.size());
    *path = p->path.data(); *pathlen = p->path.size();
    *first = V(value);
  };
  while (!stack.empty()) {
    size_t at = stack.back();
    stack.pop_back();
    dom::element e = nodes[at].e;
    dom::object o;
    dom::array a;
    if (!e.get_object().get(o)) {
      // Keys and values side by side, written in place (no temporaries: this runs per record).
      auto &keys = p->keys;
      auto &vals = p->vals;
      size_t n = 0;
      for (auto it = o.begin(); it != o.end(); ++it) {
        if (n == keys.size()) { keys.resize(n * 2 + 32); vals.resize(n * 2 + 32); }
        keys[n] = it.key();
        vals[n] = it.value();
        n++;
      }
      if (n > 1 && n <= 4) {
        for (size_t j = 1; j < n; j++) {
          for (size_t k = 0; k < j; k++) {
            if (keys[j] == keys[k]) { report(at, keys[j], vals[k]); break; }
          }
        }
      } else if (n > 4 && n <= 128) {
        // An open-addressing table of the keys seen (a fresh stamp empties it in O(1)).
        if (++p->stamp == 0) { std::fill(std::begin(p->slotStamp), std::end(p->slotStamp), 0u); p->stamp = 1; }
        for (size_t j = 0; j < n; j++) {
          std::string_view k = keys[j];
          size_t len = k.size();
          uint32_t h = uint32_t(len) * 0x9E3779B1u;
          if (len > 0) {
            h ^= uint32_t(uint8_t(k[0])) * 0x85EBCA77u ^ uint32_t(uint8_t(k[len - 1])) * 0xC2B2AE3Du;
            h ^= uint32_t(uint8_t(k[len / 2])) * 0x27D4EB2Fu ^ uint32_t(uint8_t(k[len > 1 ? len - 2 : 0])) * 0x165667B1u;
          }
          h ^= h >> 15;
          size_t slot = h & 255u;
          bool dup = false;
          while (p->slotStamp[slot] == p->stamp) {
            if (keys[p->slotIndex[slot]] == k) {
              report(at, k, vals[p->slotIndex[slot]]);
              dup = true;
              break;
            }
            slot = (slot + 1) & 255u;
          }
          if (!dup) { p->slotStamp[slot] = p->stamp; p->slotIndex[slot] = uint16_t(j); }
        }
      } else if (n > 128) {
        // Large (hostile) objects: sort instead of comparing every pair.
        auto &order = p->order;
        order.resize(n);
        for (size_t i = 0; i < n; i++) { order[i] = uint32_t(i); }
        std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) { return keys[x] < keys[y] || (keys[x] == keys[y] && x < y); });
        size_t best = n;  // the repeat that comes first in the document
        size_t firstOf = 0, repeats = 0;
        size_t runStart = 0;  // within a run of equal keys, ties are sorted by position
        for (size_t i = 1; i < n; i++) {
          if (keys[order[i]] != keys[order[i - 1]]) { runStart = i; continue; }
          repeats++;
          if (order[i] < best) { best = order[i]; firstOf = order[runStart]; }
        }
        if (best < n) {
          report(at, keys[best], vals[firstOf]);
          *total += repeats - 1;
        }
      }
      // Children in reverse, so they are visited in document order.
      for (size_t i = n; i-- > 0;) {
        auto ct = vals[i].type();
        if (ct == dom::element_type::OBJECT || ct == dom::element_type::ARRAY) {
          nodes.push_back(cj_node{vals[i], int64_t(at), keys[i], -1});
          stack.push_back(nodes.size() - 1);
        }
      }
    } else if (!e.get_array().get(a)) {
      size_t start = stack.size();
      int64_t i = 0;
      for (dom::element x : a) {
        auto ct = x.type();
        if (ct == dom::element_type::OBJECT || ct == dom::element_type::ARRAY) {
          nodes.push_back(cj_node{x, int64_t(at), {}, i});
          stack.push_back(nodes.size() - 1);
        }
        i++;
      }
      std::reverse(stack.begin() + long(start), stack.end());
    }
  }
  return found;
}
