// ICU's regular expressions behind a small C interface of their own: ICU's headers clash with
// the copy Foundation carries, so no Swift module sees them (as CLibXML2 does for libxml2).
#ifndef CREGEX_H
#define CREGEX_H
#include <stdint.h>

typedef struct cr_regex cr_regex;

enum { CR_CASE_INSENSITIVE = 1, CR_MULTILINE = 2, CR_DOTALL = 4 };
enum { CR_MATCH = 1, CR_NO_MATCH = 0, CR_TIMED_OUT = -1, CR_ERROR = -2 };

/// Compiles a UTF-16 pattern; NULL when it is not valid. `step_limit`: ICU's match time limit
/// (steps of its engine, about milliseconds each).
cr_regex *cr_regex_open(const uint16_t *pattern, int32_t length, uint32_t flags, int32_t step_limit);
/// A matcher of its own for another thread (ICU's are not thread-safe).
cr_regex *cr_regex_clone(const cr_regex *regex);
/// Searches UTF-16 text anywhere: CR_MATCH, CR_NO_MATCH, CR_TIMED_OUT or CR_ERROR.
int cr_regex_find(cr_regex *regex, const uint16_t *text, int32_t length);
void cr_regex_close(cr_regex *regex);

#endif
