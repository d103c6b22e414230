#include "cgzip.h"
#include <libdeflate.h>
#include <zlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* One decompressor per thread, freed when the thread ends (a thread-local pointer alone leaked
   ~11 KB per short-lived thread: the fuzzer found it as an out-of-memory after 400k runs). */
static pthread_key_t dec_key;
static pthread_once_t dec_once = PTHREAD_ONCE_INIT;
static _Atomic long live_decompressors = 0;
static void dec_free(void *d) {
  libdeflate_free_decompressor((struct libdeflate_decompressor *)d);
  live_decompressors--;
}
long cg_live_decompressors(void) { return live_decompressors; }
static void dec_init(void) { pthread_key_create(&dec_key, dec_free); }

static struct libdeflate_decompressor *thread_decompressor(void) {
  pthread_once(&dec_once, dec_init);
  struct libdeflate_decompressor *d = pthread_getspecific(dec_key);
  if (!d) {
    d = libdeflate_alloc_decompressor();
    if (d && pthread_setspecific(dec_key, d) != 0) { libdeflate_free_decompressor(d); d = NULL; }
    if (d) live_decompressors++;
  }
  return d;
}

int cg_gunzip_whole(const uint8_t *in, size_t inlen, size_t max_out, size_t padding,
                    uint8_t **bufp, size_t *bufsize, size_t *outlen) {
  struct libdeflate_decompressor *tl_dec = thread_decompressor();
  if (!tl_dec) return CG_NOMEM;
  uint8_t *buf = *bufp;
  size_t cap = *bufsize, used = 0, pos = 0;
  int rc = CG_OK;
  while (pos < inlen && rc == CG_OK) {
    if (inlen - pos < 18) { rc = CG_CORRUPT; break; }
    /* ISIZE (the last 4 bytes, mod 2^32) is the size of a single-member file: a good first guess. */
    const uint8_t *tail = in + inlen - 4;
    size_t want = (size_t)((uint32_t)tail[0] | ((uint32_t)tail[1] << 8) | ((uint32_t)tail[2] << 16) | ((uint32_t)tail[3] << 24));
    if (pos > 0 || want < (inlen - pos) * 2) want = (inlen - pos) * 4;
    for (;;) {
      if (want > max_out - used) want = max_out - used;
      if (used + want + padding > cap) {
        size_t ncap = used + want + padding;
        uint8_t *nb = realloc(buf, ncap);
        if (!nb) { rc = CG_NOMEM; break; }
        buf = nb; cap = ncap;
      }
      size_t in_used = 0, produced = 0;
      enum libdeflate_result r = libdeflate_gzip_decompress_ex(tl_dec, in + pos, inlen - pos, buf + used,
                                                               cap - used - padding, &in_used, &produced);
      if (r == LIBDEFLATE_SUCCESS) { used += produced; pos += in_used; break; }
      if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
        if (used + want >= max_out) { rc = CG_TOO_LARGE; break; }
        want = want ? want * 2 : 4096;
        continue;
      }
      rc = CG_CORRUPT;
      break;
    }
  }
  *bufp = buf; *bufsize = cap;
  if (rc != CG_OK) return rc;
  if (!buf || cap < used + padding) {
    uint8_t *nb = realloc(buf, used + padding + 1);
    if (!nb) return CG_NOMEM;
    buf = nb; *bufp = nb; *bufsize = used + padding + 1;
  }
  memset(buf + used, 0, padding);
  *outlen = used;
  return CG_OK;
}

struct cg_stream { z_stream z; int initialized; char err[128]; };

cg_stream *cg_stream_new(void) {
  cg_stream *s = calloc(1, sizeof(cg_stream));
  if (!s) return NULL;
  if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) { free(s); return NULL; }
  s->initialized = 1;
  return s;
}

void cg_stream_free(cg_stream *s) {
  if (!s) return;
  if (s->initialized) inflateEnd(&s->z);
  free(s);
}

int cg_stream_inflate(cg_stream *s, const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
                      size_t *consumed, size_t *produced, int *member_end) {
  s->z.next_in = (Bytef *)in; s->z.avail_in = (uInt)(inlen > 0x40000000u ? 0x40000000u : inlen);
  s->z.next_out = out; s->z.avail_out = (uInt)(outcap > 0x40000000u ? 0x40000000u : outcap);
  size_t in0 = s->z.avail_in, out0 = s->z.avail_out;
  int r = inflate(&s->z, Z_NO_FLUSH);
  *consumed = in0 - s->z.avail_in;
  *produced = out0 - s->z.avail_out;
  *member_end = 0;
  if (r == Z_STREAM_END) { *member_end = 1; inflateReset(&s->z); return CG_OK; }
  if (r == Z_OK || r == Z_BUF_ERROR) return CG_OK;
  const char *m = s->z.msg ? s->z.msg : (r == Z_MEM_ERROR ? "out of memory" : "invalid compressed data");
  strncpy(s->err, m, sizeof(s->err) - 1);
  return CG_CORRUPT;
}

const char *cg_stream_error(cg_stream *s) { return s->err; }

int cg_gzip(const uint8_t *in, size_t inlen, int level, uint8_t **out, size_t *outlen) {
  struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
  if (!c) return CG_NOMEM;
  size_t bound = libdeflate_gzip_compress_bound(c, inlen);
  uint8_t *buf = malloc(bound ? bound : 1);
  if (!buf) { libdeflate_free_compressor(c); return CG_NOMEM; }
  size_t n = libdeflate_gzip_compress(c, in, inlen, buf, bound);
  libdeflate_free_compressor(c);
  if (n == 0) { free(buf); return CG_NOMEM; }
  *out = buf; *outlen = n;
  return CG_OK;
}
