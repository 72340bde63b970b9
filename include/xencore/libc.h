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
/** @brief Copies @p n bytes; the areas must not overlap. */
void *memcpy(void *dst, const void *src, size_t n);
/** @brief Copies @p n bytes; the areas may overlap. */
void *memmove(void *dst, const void *src, size_t n);
/** @brief Fills @p n bytes with @p c. */
void *memset(void *dst, int c, size_t n);
/** @brief Compares @p n bytes. */
int memcmp(const void *a, const void *b, size_t n);
/** @brief Finds byte @p c in the first @p n bytes of @p s. */
void *memchr(const void *s, int c, size_t n);
/** @brief Length of a NUL-terminated string. */
size_t strlen(const char *s);
/** @brief Length of a string, at most @p max. */
size_t strnlen(const char *s, size_t max);
/** @brief Compares two strings. */
int strcmp(const char *a, const char *b);
/** @brief Compares at most @p n characters of two strings. */
int strncmp(const char *a, const char *b, size_t n);
/** @brief Formats into @p buf (always terminated when @p size > 0). */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/** @brief Formats into @p buf (always terminated when @p size > 0). */
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif

#endif /* XENCORE_LIBC_H */
