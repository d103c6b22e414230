// gzip decompression for CrossTrailIngest: libdeflate for whole buffers (fast path),
// zlib for streaming (large files, multi-member, recovery of truncated data).
#ifndef CGZIP_H
#define CGZIP_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

enum cg_status { CG_OK = 0, CG_CORRUPT = 1, CG_TOO_LARGE = 2, CG_NOMEM = 3 };

/// Decompresses all gzip members of `in` into `*buf` (a malloc'ed block of `*bufsize` bytes, or
/// NULL/0), reallocating it as needed; the output is followed by `padding` zero bytes. The buffer
/// stays the caller's on every return. Fails with CG_TOO_LARGE when the output would exceed
/// `max_out`, CG_CORRUPT on bad data (the caller then streams with cg_stream_* to keep the good prefix).
int cg_gunzip_whole(const uint8_t *in, size_t inlen, size_t max_out, size_t padding,
                    uint8_t **buf, size_t *bufsize, size_t *outlen);

typedef struct cg_stream cg_stream;
cg_stream *cg_stream_new(void);
void cg_stream_free(cg_stream *s);
/// Feeds input and produces output. Returns CG_OK while data flows, CG_CORRUPT on bad data.
/// `*consumed`/`*produced` report progress; `*member_end` is set to 1 after a member ended.
int cg_stream_inflate(cg_stream *s, const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap,
                      size_t *consumed, size_t *produced, int *member_end);
/// A readable reason for the last CG_CORRUPT.
const char *cg_stream_error(cg_stream *s);

/// Decompressors currently allocated (one per thread that has inflated something; freed when the thread ends).
long cg_live_decompressors(void);

/// gzip-compresses `in` at `level` (1-12) into a malloc'ed buffer. Returns CG_OK or CG_NOMEM.
int cg_gzip(const uint8_t *in, size_t inlen, int level, uint8_t **out, size_t *outlen);

#ifdef __cplusplus
}
#endif
#endif
