/**
 * @file libc.h
 * @brief The few C library functions libxencore provides to code linked with it.
 *
 * Boot stubs and board ports run freestanding, without a C library. libxencore
 * carries these functions for its own use and offers them with their standard
 * C semantics. snprintf() and vsnprintf() implement the conversions
 * `d i u x X p s c %`, the flags `-` and `0`, a field width, a `.*` or `.N`
 * precision for `s`, and the length modifiers `l`, `ll` and `z`.
 *
 * Host builds (unit tests) define `XENCORE_HOSTED` and get the C library's.
 */
#ifndef XENCORE_LIBC_H
#define XENCORE_LIBC_H

#include <stdarg.h>
#include <stddef.h>

#ifdef XENCORE_HOSTED
#include <stdio.h>
#include <string.h>
#else
/**
 * @brief Copies @p n bytes; the areas must not overlap.
 * @param dst Where to copy to.
 * @param src Where to copy from.
 * @param n   Number of bytes.
 * @return @p dst.
 */
void *memcpy(void *dst, const void *src, size_t n);
/**
 * @brief Copies @p n bytes; the areas may overlap.
 * @param dst Where to copy to.
 * @param src Where to copy from.
 * @param n   Number of bytes.
 * @return @p dst.
 */
void *memmove(void *dst, const void *src, size_t n);
/**
 * @brief Fills @p n bytes with @p c.
 * @param dst The area to fill.
 * @param c   The byte value, converted to `unsigned char`.
 * @param n   Number of bytes.
 * @return @p dst.
 */
void *memset(void *dst, int c, size_t n);
/**
 * @brief Compares @p n bytes.
 * @param a First area.
 * @param b Second area.
 * @param n Number of bytes.
 * @return Less than, equal to or greater than zero as the first differing
 *         byte of @p a (as `unsigned char`) is less than, equal to or greater
 *         than that of @p b; 0 when @p n is 0.
 */
int memcmp(const void *a, const void *b, size_t n);
/**
 * @brief Finds byte @p c in the first @p n bytes of @p s.
 * @param s The area to search.
 * @param c The byte value, converted to `unsigned char`.
 * @param n Number of bytes to search.
 * @return The first matching byte, or NULL when there is none.
 */
void *memchr(const void *s, int c, size_t n);
/**
 * @brief Length of a NUL-terminated string.
 * @param s The string.
 * @return Number of characters before the terminating NUL.
 */
size_t strlen(const char *s);
/**
 * @brief Length of a string, at most @p max.
 * @param s   The string; need not be terminated within @p max bytes.
 * @param max Most bytes to examine.
 * @return Number of characters before the terminating NUL, or @p max when
 *         there is no NUL among the first @p max bytes.
 */
size_t strnlen(const char *s, size_t max);
/**
 * @brief Compares two strings.
 * @param a First NUL-terminated string.
 * @param b Second NUL-terminated string.
 * @return Less than, equal to or greater than zero as @p a sorts before,
 *         equal to or after @p b (bytes compared as `unsigned char`).
 */
int strcmp(const char *a, const char *b);
/**
 * @brief Compares at most @p n characters of two strings.
 * @param a First string.
 * @param b Second string.
 * @param n Most characters to compare.
 * @return Less than, equal to or greater than zero as the first @p n
 *         characters of @p a sort before, equal to or after those of @p b.
 */
int strncmp(const char *a, const char *b, size_t n);
/**
 * @brief Formats into @p buf (always terminated when @p size > 0).
 * @param buf  Where to write; may be NULL when @p size is 0.
 * @param size Size of @p buf in bytes, terminator included.
 * @param fmt  The format (conversions as listed in this file's description).
 * @param ap   The arguments the format converts.
 * @return Number of characters the complete output has, terminator not
 *         counted, even when @p buf was too small to hold it all.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/**
 * @brief Formats into @p buf (always terminated when @p size > 0).
 * @param buf  Where to write; may be NULL when @p size is 0.
 * @param size Size of @p buf in bytes, terminator included.
 * @param fmt  The format (conversions as listed in this file's description).
 * @param ...  The arguments the format converts.
 * @return Number of characters the complete output has, terminator not
 *         counted, even when @p buf was too small to hold it all.
 */
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif

#endif /* XENCORE_LIBC_H */
