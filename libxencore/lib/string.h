/* Strings and memory: the C functions of <xencore/libc.h> (ours in the
 * freestanding build, the C library's in the host build) plus a few helpers. */
#ifndef XENCORE_LIB_STRING_H
#define XENCORE_LIB_STRING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <xencore/libc.h>

/* Our formatter (vsnprintf in the freestanding build); see format.c. */
int xc_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Formats a sentence saying why input was refused into @why and returns
 * -XC_EINVAL, so a checker can `return xc_refuse(why, size, "...", ...);`. */
int xc_refuse(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Copies at most size-1 bytes and always terminates (size > 0); returns strlen(src). */
size_t xc_strlcpy(char *dst, const char *src, size_t size);
/* True if @name is 1..@max characters of [A-Za-z0-9_.-]: what domain and
 * pool names may be (safe on a console line and in xl's output). */
bool xc_name_valid(const char *name, size_t max);

/* Parses an unsigned decimal or 0x-hex number covering all of [s, s+len).
 * Returns 0, or -XC_EINVAL for anything else (empty, junk, overflow). */
int xc_parse_u64(const char *s, size_t len, unsigned long long *out);

#endif /* XENCORE_LIB_STRING_H */
