#include "cregex.h"
#include <stdlib.h>
#include <unicode/uregex.h>

struct cr_regex { URegularExpression *re; };

static cr_regex *wrap(URegularExpression *re, int32_t step_limit) {
    if (!re) return NULL;
    UErrorCode status = U_ZERO_ERROR;
    uregex_setTimeLimit(re, step_limit, &status);
    cr_regex *r = malloc(sizeof *r);
    if (!r) { uregex_close(re); return NULL; }
    r->re = re;
    return r;
}

cr_regex *cr_regex_open(const uint16_t *pattern, int32_t length, uint32_t flags, int32_t step_limit) {
    uint32_t f = 0;
    if (flags & CR_CASE_INSENSITIVE) f |= UREGEX_CASE_INSENSITIVE;
    if (flags & CR_MULTILINE) f |= UREGEX_MULTILINE;
    if (flags & CR_DOTALL) f |= UREGEX_DOTALL;
    UErrorCode status = U_ZERO_ERROR;
    URegularExpression *re = uregex_open((const UChar *)pattern, length, f, NULL, &status);
    if (U_FAILURE(status)) { if (re) uregex_close(re); return NULL; }
    return wrap(re, step_limit);
}

cr_regex *cr_regex_clone(const cr_regex *regex) {
    UErrorCode status = U_ZERO_ERROR;
    URegularExpression *re = uregex_clone(regex->re, &status);
    if (U_FAILURE(status)) { if (re) uregex_close(re); return NULL; }
    int32_t limit = uregex_getTimeLimit(regex->re, &status);
    return wrap(re, limit);
}

int cr_regex_find(cr_regex *regex, const uint16_t *text, int32_t length) {
    UErrorCode status = U_ZERO_ERROR;
    uregex_setText(regex->re, (const UChar *)text, length, &status);
    if (U_FAILURE(status)) return CR_ERROR;
    UBool found = uregex_find(regex->re, 0, &status);
    UErrorCode reset = U_ZERO_ERROR;
    static const UChar empty[1] = {0};
    uregex_setText(regex->re, empty, 0, &reset);  // the text is the caller's: detach it
    if (status == U_REGEX_TIME_OUT) return CR_TIMED_OUT;
    if (U_FAILURE(status)) return CR_ERROR;
    return found ? CR_MATCH : CR_NO_MATCH;
}

void cr_regex_close(cr_regex *regex) {
    if (!regex) return;
    uregex_close(regex->re);
    free(regex);
}
